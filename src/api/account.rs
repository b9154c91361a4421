//! The account's own routes (`GET /credits/balance`, `GET /usage`): one GET each, with
//! the key, its answer read up to a cap and its failure classified as any API failure is.

use std::io::Read;
use std::time::Duration;

use serde_json::Value;

use super::ApiKey;
use super::classify::{self, MAX_ERROR_BODY};
use crate::error::{Error, Kind, root_cause};
use crate::retry::Verdict;

/// The JSON answer of `GET url`; `what` names it in messages (`the balance answer`).
pub fn get_json(url: &str, key: &ApiKey, what: &str) -> Result<Value, Error> {
    let http = super::http_client()?;
    let response = key
        .authorize(http.get(url))
        .timeout(Duration::from_secs(30))
        .send()
        .map_err(|e| Error::new(Kind::Service, format!("could not reach {url}: {}", root_cause(&e))))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    let cap = if status == 200 { 1 << 20 } else { MAX_ERROR_BODY };
    response.take(cap).read_to_end(&mut body).map_err(|e| Error::io(format_args!("{what} broke off"), &e))?;
    if status != 200 {
        let (Verdict::Fail(failure) | Verdict::Retry { error: failure, .. }) =
            classify::status_failure(status, &headers, &body, "");
        return Err(failure.error);
    }
    serde_json::from_slice(&body).map_err(|_| Error::new(Kind::Other, format!("{what} is not JSON")))
}
