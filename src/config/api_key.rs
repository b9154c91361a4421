//! The API key when one is needed: `AISA_API_KEY`, else what the config file's
//! `api_key_command` prints (run with `sh -c`, bounded in time, its output never shown).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::api::ApiKey;
use crate::config::env::Env;
use crate::config::precedence::KeySource;
use crate::error::{Error, Kind, clean};

/// How long `api_key_command` may take: enough for a password manager to ask for its
/// passphrase, short enough that a command stuck on a prompt nobody sees does not hang `wan`.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A key is one short line; this bounds what a runaway command can make `wan` hold.
const MAX_OUTPUT: u64 = 64 * 1024;

/// The key, from where `source` says; the command is run here and only here.
pub fn obtain(source: &KeySource, env: &Env, config: Option<&Path>) -> Result<ApiKey, Error> {
    match source {
        KeySource::Env => ApiKey::new(env.api_key.as_deref().unwrap_or_default()),
        KeySource::Command(command) => {
            let printed = run(&command.value, COMMAND_TIMEOUT)?;
            ApiKey::checked(&printed, &format!("printed by api_key_command `{}`", shown(&command.value)))
                .map_err(|e| e.with_hint("make the command print the key alone, e.g. `pass show aisa | head -n 1`"))
        }
        KeySource::Missing => {
            let place = config.map_or_else(|| "the config file".to_string(), |p| p.display().to_string());
            Err(Error::new(
                Kind::Auth,
                "no API key: AISA_API_KEY is not set and the config file has no api_key_command",
            )
            .with_hint(format!(
                "export AISA_API_KEY=<your key>, or set api_key_command = \"pass show aisa\" in {place} \
                     (keys are made at https://console.aisa.one)"
            )))
        }
    }
}

/// The key for a command that has no run settings of its own (`balance`, `resume`):
/// from the environment, else the config file's `api_key_command`.
pub fn for_command(env: &Env) -> Result<ApiKey, Error> {
    let config = crate::config::load(&env.dirs)?;
    obtain(&crate::config::precedence::key_source(env, &config.values), env, config.path.as_deref())
}

/// The base URL for such a command: `--base-url`, else `AISA_BASE_URL`, else the config
/// file's, else the service's own.
pub fn base_url_for_command(flag: Option<String>, env: &Env) -> Result<reqwest::Url, Error> {
    let config = crate::config::load(&env.dirs)?;
    let flags = crate::config::precedence::Flags { base_url: flag, ..Default::default() };
    Ok(crate::config::precedence::base_url(&flags, env, &config.values)?.value)
}

/// The command as it may be shown: it is the user's own text, but a control character
/// in it must not reach the terminal.
fn shown(command: &str) -> String {
    clean(command)
}

/// Runs `command` with `sh -c` and returns its standard output, trimmed. Its standard
/// error is passed on to `wan`'s (a password manager's own message reaches the user);
/// its standard input is closed, since `wan`'s may be carrying a prompt or an image.
/// A failure names the command and never holds what it printed.
pub fn run(command: &str, timeout: Duration) -> Result<String, Error> {
    let failed = |why: String| {
        Error::new(Kind::Auth, format!("api_key_command `{}` {why}", shown(command)))
            .with_hint("run it yourself to see what is wrong; it must print the key on standard output")
    };
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // Piped and copied rather than inherited: a process the command leaves behind
        // (`sh -c` forks) would otherwise hold `wan`'s standard error open after `wan` ends.
        .stderr(Stdio::piped());
    let group = Group::for_command(&mut shell);
    let mut child = shell.spawn().map_err(|e| failed(format!("could not be started with sh -c: {e}")))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (copied, stderr_done) = mpsc::channel();
    thread::spawn(move || {
        // Copied as it comes, so that a prompt without a line end shows at once.
        let _ = std::io::copy(&mut stderr, &mut std::io::stderr());
        let _ = copied.send(());
    });
    // Read on a thread, so that a command printing more than a pipe holds is drained while
    // it runs, and so that a grandchild keeping the pipe open cannot hold `wan` past the
    // deadline: that thread is left behind, not waited for.
    let (sent, output) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = stdout.by_ref().take(MAX_OUTPUT + 1).read_to_end(&mut bytes);
        let _ = sent.send(read.map(|_| bytes));
    });
    // One deadline for all of it: the command's end, then its output, then its last words.
    let deadline = Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| failed(format!("could not be waited for: {e}")))? {
            break status;
        }
        if left().is_zero() {
            group.stop(&mut child);
            return Err(failed(format!("did not finish within {} s", timeout.as_secs())));
        }
        // Polling, not a SIGCHLD handler: a few wake-ups for a command that takes seconds,
        // and no signal handling to share with the Ctrl-C handler.
        thread::sleep(Duration::from_millis(10));
    };
    let read = output.recv_timeout(left());
    // Whatever the command left behind ends with it (where it has a group of its own).
    group.stop(&mut child);
    // Its last words on stderr before `wan`'s own, where they can be waited for.
    let _ = stderr_done.recv_timeout(left().max(Duration::from_millis(100)));
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        _ if !status.success() => return Err(failed(format!("failed ({status})"))),
        Ok(Err(e)) => return Err(failed(format!("could not be read: {e}"))),
        Err(_) => return Err(failed("left a process behind that holds its output open".to_string())),
    };
    // Before the status: a command cut off by the cap dies of SIGPIPE, and the cap is the news.
    if bytes.len() as u64 > MAX_OUTPUT {
        return Err(failed(format!("printed more than {} KiB; a key is one short line", MAX_OUTPUT / 1024)));
    }
    if !status.success() {
        return Err(failed(format!("failed ({status})")));
    }
    let text = String::from_utf8(bytes).map_err(|_| failed("printed something that is not UTF-8 text".to_string()))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(failed("printed nothing".to_string()));
    }
    Ok(key.to_string())
}

/// The command's processes, to be stopped together. Off a terminal the command gets a
/// process group of its own, so that a process it starts in the background (and leaves
/// holding its output) is stopped with it. On a terminal it stays in `wan`'s group, which
/// the terminal lets read: a password manager may ask for a passphrase there, and a
/// process group of its own would be stopped (SIGTTIN) as it read.
#[derive(Clone, Copy)]
enum Group {
    Own,
    Shared,
}

impl Group {
    fn for_command(shell: &mut Command) -> Self {
        #[cfg(unix)]
        if std::fs::File::open("/dev/tty").is_err() {
            std::os::unix::process::CommandExt::process_group(shell, 0);
            return Self::Own;
        }
        let _ = shell;
        Self::Shared
    }

    /// Stops the command, and what it left behind where it has a group of its own.
    fn stop(self, child: &mut std::process::Child) {
        match self {
            #[cfg(unix)]
            Self::Own => {
                let group = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            }
            _ => {
                let _ = child.kill();
            }
        }
        let _ = child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_is_trimmed() {
        assert_eq!(run("printf '  sk-aisa-abc\\n\\n'", COMMAND_TIMEOUT).unwrap(), "sk-aisa-abc");
    }

    #[test]
    fn a_failure_names_the_command_and_never_its_output() {
        for command in ["echo SECRET-OUT; exit 3", "echo SECRET-OUT; kill -9 $$", "true", "exit 0 # SECRET-OUT"] {
            let error = run(command, COMMAND_TIMEOUT).unwrap_err();
            assert_eq!(error.kind.exit_code(), 3, "{command}");
            let message = error.to_string();
            assert!(message.starts_with(&format!("api_key_command `{command}`")), "{message}");
            assert!(!message.replace(command, "").contains("SECRET-OUT"), "{message}");
        }
    }

    #[test]
    fn a_command_that_hangs_is_stopped_at_the_deadline() {
        let started = Instant::now();
        let error = run("sleep 30", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        assert!(error.to_string().contains("did not finish within"), "{error}");
    }

    #[test]
    fn a_process_left_behind_is_stopped_at_the_deadline_with_the_command() {
        if std::fs::File::open("/dev/tty").is_ok() {
            eprintln!("skipped: on a terminal the command shares wan's process group");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let command = format!("sleep 60 & echo $! > {}; echo sk-aisa-key", pid_file.display());
        let started = Instant::now();
        let error = run(&command, Duration::from_millis(800)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "one deadline, not two: {:?}", started.elapsed());
        assert!(error.to_string().contains("left a process behind"), "{error}");
        let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
        // Killed, it is gone from /proc once reaped (by init, its parent now) or a zombie at most.
        let gone = (0..100).any(|_| {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let dead = state.is_empty() || state.split(") ").nth(1).is_some_and(|s| s.starts_with('Z'));
            thread::sleep(Duration::from_millis(20));
            dead
        });
        assert!(gone, "the background sleep {pid} still runs");
    }

    #[test]
    fn a_runaway_output_is_refused() {
        let error = run("head -c 1000000 /dev/zero | tr '\\0' a", COMMAND_TIMEOUT).unwrap_err();
        assert!(error.to_string().contains("more than 64 KiB"), "{error}");
    }

    #[test]
    fn a_key_of_two_lines_is_refused_with_a_hint() {
        let source = KeySource::Command(crate::config::precedence::Sourced {
            value: "printf 'sk-%s\\nuser: me\\n' SECRETPART".into(),
            source: crate::config::precedence::Source::File { line: 1 },
        });
        let error = obtain(&source, &Env::default(), None).unwrap_err();
        let shown = format!("{error} {}", error.hint.clone().unwrap_or_default());
        assert!(shown.contains("head -n 1") && !shown.contains("sk-SECRETPART"), "{shown}");
        assert_eq!(error.kind.exit_code(), 3);
    }
}
