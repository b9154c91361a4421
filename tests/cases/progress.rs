//! The progress bars on a real terminal (a pseudo-terminal under `script`): what is left
//! on the screen once wan is done with it, read back from what the terminal was sent.

use crate::support::Sandbox;
use crate::support::emulator::Emulator;
use crate::support::pty::{Typing, screen};

const COLS: u16 = 100;

/// `line` run on a terminal against `emulator`, Ctrl-C typed once the terminal shows
/// `drawn`: the exit code, and the screen as it is left.
fn interrupted(sb: &Sandbox, emulator: &Emulator, line: &str, drawn: &[&str]) -> Option<(Option<i32>, Vec<String>)> {
    let mut wan = sb.wan_process();
    // A terminal that names itself: with no TERM, bars are not drawn at all.
    wan.env("AISA_BASE_URL", &emulator.base).env("WAN_STATE_DIR", sb.path("state")).env("TERM", "xterm");
    let mut typing = Typing::start(&wan, line, COLS)?;
    for text in drawn {
        typing.wait_for(text);
    }
    // A tick more, so that the bars were drawn since the text came (the spinner moved on).
    std::thread::sleep(std::time::Duration::from_millis(300));
    typing.type_keys("\x03");
    let (code, sent) = typing.finish();
    Some((code, screen(&sent, usize::from(COLS))))
}

fn assert_no_bar_left(shown: &[String], bar_words: &[&str]) {
    let text = shown.join("\n");
    assert!(text.contains("wan: interrupted"), "{text}");
    for words in bar_words {
        assert!(!text.contains(words), "a bar was left on the screen ({words:?}):\n{text}");
    }
}

#[test]
fn a_typed_ctrl_c_leaves_no_spinner_of_a_single_run() {
    let emulator = Emulator::start(&["--latency", "20000"]);
    let sb = Sandbox::new();
    let line = r#""$WAN" generate "a fox" -n 2 -o out/"#;
    let Some((code, shown)) = interrupted(&sb, &emulator, line, &["waiting for the service"]) else { return };
    assert_eq!(code, Some(130), "{shown:#?}");
    assert_no_bar_left(&shown, &["waiting for the service", "^C"]);
}

#[test]
fn a_typed_ctrl_c_leaves_no_bar_of_a_batch() {
    let emulator = Emulator::start(&["--latency", "20000"]);
    let sb = Sandbox::new();
    std::fs::write(sb.path("prompts.txt"), "p1\np2\np3\np4\np5\np6\n").unwrap();
    let line = r#""$WAN" generate -f prompts.txt -n 1 -j 2 -o out/"#;
    let drawn = ["0/6 prompts", "p1 · wan2.7-image", "p2 · wan2.7-image"];
    let Some((code, shown)) = interrupted(&sb, &emulator, line, &drawn) else { return };
    assert_eq!(code, Some(130), "{shown:#?}");
    assert_no_bar_left(&shown, &["prompts ·", "waiting for the service", "^C"]);
}

#[test]
fn a_typed_ctrl_c_leaves_no_spinner_of_a_video_wait() {
    let emulator = Emulator::start(&["--video-ms", "60000"]);
    let sb = Sandbox::new();
    let line = r#""$WAN" video create "a fox running" -o vid/ --poll 2"#;
    let Some((code, shown)) = interrupted(&sb, &emulator, line, &["· waited"]) else { return };
    assert_eq!(code, Some(130), "{shown:#?}");
    assert_no_bar_left(&shown, &["· waited", "^C"]);
    assert!(shown.iter().any(|l| l.starts_with("  wan video wait video_task_")), "{shown:#?}");
}

/// `line` run on a terminal against `emulator` to its end: the exit code, and what the
/// terminal was sent.
fn run_to_the_end(sb: &Sandbox, emulator: &Emulator, line: &str) -> Option<(Option<i32>, String)> {
    let mut wan = sb.wan_process();
    wan.env("AISA_BASE_URL", &emulator.base).env("WAN_STATE_DIR", sb.path("state")).env("TERM", "xterm");
    Some(Typing::start(&wan, line, COLS)?.finish())
}

#[test]
fn paths_piped_to_the_same_screen_leave_no_bar_between_them() {
    // Downloads slow enough for their bar to be drawn when the paths are printed.
    let emulator = Emulator::start(&["--noise", "--size", "128x128", "--slow-downloads", "100000"]);
    let sb = Sandbox::new();
    let line = r#""$WAN" generate "pipe fox" -n 4 -o p/ | cat"#;
    let Some((code, sent)) = run_to_the_end(&sb, &emulator, line) else { return };
    let shown = screen(&sent, usize::from(COLS));
    assert_eq!(code, Some(0), "{shown:#?}");
    let text = shown.join("\n");
    for n in 1..=4 {
        assert!(shown.contains(&format!("p/pipe-fox-00{n}.png")), "each path on a line of its own:\n{text}");
    }
    assert!(!text.contains("downloading") && !text.contains("waiting for"), "a bar was left:\n{text}");
    // A batch: the bars come back between its prompts, and are gone at the end.
    std::fs::write(sb.path("prompts.txt"), "p1\np2\np3\n").unwrap();
    let line = r#""$WAN" generate -f prompts.txt -n 2 -j 2 -o b/ | cat"#;
    let (code, sent) = run_to_the_end(&sb, &emulator, line).unwrap();
    let shown = screen(&sent, usize::from(COLS));
    assert_eq!(code, Some(0), "{shown:#?}");
    let text = shown.join("\n");
    assert_eq!(shown.iter().filter(|l| l.starts_with("b/p")).count(), 6, "{text}");
    for words in ["downloading", "waiting for", "prompts ·"] {
        assert!(!text.contains(words), "a bar was left ({words:?}):\n{text}");
    }
}

#[test]
fn the_batch_bar_counts_and_prices_the_same_images() {
    // Two requests a prompt (4 images, then 2), some seen landing before their prompt is done.
    let emulator = Emulator::start(&["--latency", "300", "--noise", "--slow-downloads", "200000"]);
    let sb = Sandbox::new();
    let line = r#""$WAN" generate "a fox in {the snow|the rain|the fog}" -n 6 -j 2 -o t/"#;
    let Some((code, sent)) = run_to_the_end(&sb, &emulator, line) else { return };
    assert_eq!(code, Some(0), "{sent:?}");
    // Every figure the bar showed: its images at the emulator's $0.030 each.
    let mut figures = 0;
    for (at, _) in sent.match_indices(" prompts · ") {
        let words: Vec<&str> = sent[at..].split(" · ").skip(1).take(2).collect();
        let images: u64 = words[0].split(' ').next().unwrap().parse().unwrap();
        let cost = words[1].split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '$')).next().unwrap();
        assert_eq!(cost, format!("${:.3}", images as f64 * 0.03), "the bar said {words:?}");
        figures += 1;
    }
    assert!(figures > 2, "the bar was drawn: {sent:?}");
}

#[test]
fn spinners_tell_apart_prompts_alike_but_for_their_end() {
    let emulator = Emulator::start(&["--latency", "300"]);
    let sb = Sandbox::new();
    let template = "a very long prompt about a fox walking through the forest in {the snow|the rain|the fog}";
    let line = format!(r#""$WAN" generate "{template}" -j 3 -o t/"#);
    let Some((code, sent)) = run_to_the_end(&sb, &emulator, &line) else { return };
    assert_eq!(code, Some(0), "{sent:?}");
    // On 100 columns, each keeps its start and its end (cut at 24 characters, all three
    // read `a very long prompt about…`).
    for end in ["the snow", "the rain", "the fog"] {
        assert!(sent.contains(&format!("{end} · wan2.7-image")), "{end}: {sent:?}");
    }
    assert!(sent.contains("\x1b[0m a very long prompt"), "{sent:?}");
}
