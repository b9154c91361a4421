//! The API's base URL, checked: `http(s)`, a host, no query or fragment.

use reqwest::Url;

use crate::error::Error;

/// An `http(s)` URL with a host; a trailing `/` is dropped.
pub fn base_url(text: &str) -> Result<Url, Error> {
    let bad = |why: &str| {
        Error::usage(format!("base URL {text:?} {why}")).with_hint("for example --base-url https://api.aisa.one/v1")
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("may not have a query or fragment"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn base_urls_must_be_http_with_a_host() {
        assert!(base_url("https://api.aisa.one/v1/").is_ok());
        assert!(base_url("http://127.0.0.1:8787/v1").is_ok());
        for bad in ["api.aisa.one/v1", "ftp://x/v1", "https://", "not a url", "https://h/v1?x=1"] {
            let err = base_url(bad).unwrap_err();
            assert_eq!(err.kind, Kind::Usage, "{bad}");
        }
    }
}
