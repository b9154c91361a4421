//! Hostile and extreme input: absurd prices, limits at the edge, numbers and names
//! past what files allow, unwritable folders, file modes, and the emulator's own limits.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::emulator::Emulator;
use crate::support::*;

#[test]
fn an_absurd_reported_price_is_shown_as_reported_never_wrapped() {
    let mut sb = Sandbox::new();
    // Read as a float, each answer's price was 2^63 micro-dollars; two of them wrapped to $0.000.
    let urls: Vec<String> = (1..=4).map(|i| sb.url(&format!("/{i}.png"))).collect();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_header("x-aisa-price-usd", "9223372036854.775807")
        .with_body(chat_answer(&urls).to_string())
        .expect(2)
        .create();
    for i in 1..=4u8 {
        sb.image(&format!("/{i}.png"), &png(i));
    }
    let out = sb.wan().args(["generate", "x", "-n", "8"]).output().unwrap();
    api.assert();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("· $18446744073709.551614 (as reported by the service)"), "{stderr}");
}

#[test]
fn a_limit_a_hair_under_the_price_refuses_the_run() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let out = sb.wan().args(["generate", "x", "--max-cost", "0.0299999"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("more than --max-cost $0.029999"), "{stderr}");
    api.assert();
    // the price itself is within the limit
    sb.wan().args(["generate", "x", "--max-cost", "0.03", "--dry-run"]).assert().code(0);
}

#[test]
fn a_file_number_past_the_last_one_is_an_error_not_000() {
    let mut sb = Sandbox::new();
    let top = format!("cat-{}.png", u64::MAX);
    fs::write(sb.path(&top), b"the last one").unwrap();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "x", "--name", "cat"]).output().unwrap();
    let stderr = stderr_of(&out);
    // the image was paid for, and is reported with its URL
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("no file number is left for \"cat\" in ./"), "{stderr}");
    assert!(stderr.contains("another --name"), "{stderr}");
    assert!(stderr.contains(&sb.url("/1.png")), "{stderr}");
    assert_eq!(sb.files("."), [top]);
}

#[test]
fn a_name_too_long_for_a_file_is_refused_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let long = "a".repeat(250);
    for extra in [&[][..], &["--dry-run"]] {
        let out = sb.wan().args(["generate", "x", "--name", &long]).args(extra).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("255-byte limit"), "{stderr}");
        assert!(stdout_of(&out).is_empty());
    }
    api.assert();
    assert!(sb.files(".").is_empty());
}

/// Runs `wan ARGS` in the sandbox through `/bin/sh -c SCRIPT sh SCRIPT_ARGS… WAN ARGS…`,
/// behind `launcher` (such as `unshare -m`), with the sandbox's scrubbed environment;
/// SCRIPT ends with `exec "$@"`.
#[cfg(unix)]
fn wan_through_sh(sb: &Sandbox, launcher: &[&str], script: &str, script_args: &[&str], args: &[&str]) -> Output {
    let wan = sb.wan_process();
    let (program, rest) = match launcher.split_first() {
        Some((first, rest)) => (*first, rest),
        None => ("/bin/sh", &[][..]),
    };
    let mut cmd = Command::new(program);
    cmd.env_clear().current_dir(sb.dir.path()).args(rest);
    if !launcher.is_empty() {
        cmd.arg("/bin/sh");
    }
    cmd.args(["-c", script, "sh"]).args(script_args).arg(wan.get_program()).args(args);
    for (name, value) in wan.get_envs() {
        if let Some(value) = value {
            cmd.env(name, value);
        }
    }
    cmd.output().unwrap()
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn saved_files_get_the_mode_the_umask_gives() {
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let mut sb = Sandbox::new();
        sb.chat(&chat_answer(&[sb.url("/1.png")]));
        sb.image("/1.png", &png(1));
        let out = wan_through_sh(&sb, &[], &format!("umask {umask}; exec \"$@\""), &[], &["generate", "x"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        assert_eq!(stdout_of(&out), "x-001.png\n");
        assert_eq!(mode_of(&sb.path("x-001.png")), mode, "under umask {umask}");
    }
}

/// Runs `wan ARGS -o locked` where `locked` exists and cannot be written, and returns
/// its output; `None` (the test is skipped) where no such folder can be made. A 0555
/// folder stops only users without CAP_DAC_OVERRIDE; for root, `locked` is a read-only
/// tmpfs, mounted in a mount namespace of the wan process alone (`unshare -m` makes
/// mounts private), so nothing outlives the test.
#[cfg(unix)]
fn wan_with_unwritable_folder(sb: &Sandbox, args: &[&str]) -> Option<Output> {
    use std::os::unix::fs::PermissionsExt;
    let dir = sb.path("locked");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    let args: Vec<&str> = args.iter().copied().chain(["-o", "locked"]).collect();
    if fs::write(dir.join("try"), b"").is_err() {
        let out = sb.wan().args(&args).output().unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        return Some(out);
    }
    fs::remove_file(dir.join("try")).unwrap();
    let Some(unshare) = ["/usr/bin/unshare", "/bin/unshare"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("skipped: this user can write in a 0555 folder, and there is no unshare to mount a read-only one");
        return None;
    };
    let mount = "PATH=/usr/sbin:/usr/bin:/sbin:/bin mount -t tmpfs -o ro tmpfs \"$1\"";
    let check = Command::new(unshare)
        .args(["-m", "/bin/sh", "-c", &format!("{mount} && ! (: > \"$1\"/try) 2>/dev/null"), "sh", "locked"])
        .current_dir(sb.dir.path())
        .output()
        .unwrap();
    if !check.status.success() {
        eprintln!(
            "skipped: this user can write in a 0555 folder, and no read-only tmpfs could be mounted \
             (unshare -m, mount -t tmpfs -o ro): {}",
            stderr_of(&check).trim()
        );
        return None;
    }
    Some(wan_through_sh(sb, &[unshare, "-m"], &format!("{mount} && shift && exec \"$@\""), &["locked"], &args))
}

#[cfg(unix)]
#[test]
fn an_output_folder_that_cannot_be_written_is_refused_before_anything_is_sent() {
    for extra in [&[][..], &["--dry-run"]] {
        let mut sb = Sandbox::new();
        let api = never_called(&mut sb);
        let args: Vec<&str> = ["generate", "x"].into_iter().chain(extra.iter().copied()).collect();
        let Some(out) = wan_with_unwritable_folder(&sb, &args) else { return };
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("output folder locked is not writable"), "{stderr}");
        assert!(stdout_of(&out).is_empty(), "{extra:?}");
        api.assert();
    }
}

/// Sends the head of a chat request that announces `length` body bytes (and `key`, if
/// any), then only `sent` of them, and keeps the connection open for writing. Returns
/// the status and the JSON body of the answer, and how long it took; fails the test if
/// no whole answer came within 10 s, as when the emulator waits for the rest of the body.
fn announce_body(emulator: &Emulator, key: Option<&str>, length: u64, sent: &[u8]) -> (u16, Value, Duration) {
    let host = emulator.base.trim_start_matches("http://").trim_end_matches("/v1");
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(sent).unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    let whole = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break answer.clone(),
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) => {
                panic!("no whole answer in {:?}: {e}; got {:?}", started.elapsed(), String::from_utf8_lossy(&answer))
            }
        }
        // The answer is whole once its own Content-Length of body has arrived.
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let announced = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok());
            if announced.is_some_and(|n| body.len() >= n) {
                break answer.clone();
            }
        }
    };
    let elapsed = started.elapsed();
    let text = String::from_utf8(whole).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")), elapsed)
}

#[test]
fn the_emulator_refuses_a_bad_key_without_reading_the_body() {
    let emulator = Emulator::start(&["--api-key", "sk-right"]);
    // 1 GB announced, a few bytes sent: an emulator reading first would wait for ever
    for (key, code) in [(Some("sk-wrong"), "invalid_api_key"), (None, "missing_api_key")] {
        let (status, body, elapsed) = announce_body(&emulator, key, 1_000_000_000, b"{\"model\":");
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}

#[test]
fn the_emulator_answers_413_past_its_body_cap() {
    let emulator = Emulator::start(&["--api-key", "sk-right"]);
    // 500 MiB announced: over the 400 MiB cap, refused before any of it is read
    let (status, body, _) = announce_body(&emulator, Some("sk-right"), 500 << 20, b"{\"model\":");
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "request_too_large", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("400 MiB"), "{body}");
    for field in ["type", "request_id"] {
        assert!(body["error"][field].is_string(), "{field} in {body}");
    }
    let logged = emulator.requests_to("/v1/chat/completions", 1);
    assert!(logged.len() == 1 && logged[0].contains(" 413 "), "{logged:?}");
}
