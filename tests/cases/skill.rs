//! `wan skill`: the committed `skills/wan/SKILL.md` is what the binary prints, and it
//! follows the open SKILL.md format and teaches what an agent must know.

use std::path::Path;

use crate::support::*;

/// Fails when `skills/wan/SKILL.md` differs from what `wan skill` prints;
/// `WAN_UPDATE_SKILL=1 cargo test skill` rewrites it instead.
#[test]
fn committed_skill_matches_the_binary() {
    let sb = Sandbox::new();
    let out = sb.wan().arg("skill").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills/wan/SKILL.md");
    if std::env::var_os("WAN_UPDATE_SKILL").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &out.stdout).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(committed == out.stdout, "skills/wan/SKILL.md is stale: run WAN_UPDATE_SKILL=1 cargo test skill");
}

#[test]
fn the_skill_follows_the_open_format_and_teaches_the_essentials() {
    let sb = Sandbox::new();
    let text = stdout_of(&sb.wan().arg("skill").output().unwrap());
    let rest = text.strip_prefix("---\n").expect("front matter first");
    let (front, body) = rest.split_once("\n---\n").expect("front matter closed");
    let field = |key: &str| {
        front.lines().find_map(|l| l.strip_prefix(&format!("{key}: "))).unwrap_or_else(|| panic!("no {key}"))
    };
    // agentskills.io: name is 1-64 of [a-z0-9-] and equals the folder; description 1-1024 characters
    assert_eq!(field("name"), "wan");
    let description = field("description");
    assert!((1..=1024).contains(&description.chars().count()), "{} characters", description.len());
    assert!(description.contains("Use it when"), "the description says when to use it");
    // plain YAML scalars: no `: ` or ` #` inside, no indicator first, so any YAML reader takes them whole
    for value in [description, field("compatibility")] {
        assert!(!value.contains(": ") && !value.contains(" #"), "{value}");
        assert!(!value.starts_with(['`', '\'', '"', '[', '{', '&', '*', '!', '|', '>', '%', '@']), "{value}");
    }
    assert!(body.lines().count() < 500);
    for needle in [
        "--json",
        "--dry-run",
        "--max-cost",
        "wan resume",
        "| 7 | partial",
        "| 3 | authentication",
        "Never print, echo, log or write the key",
        "`wan2.7-image`: $0.030 per image",
    ] {
        assert!(body.contains(needle), "the skill does not teach {needle:?}");
    }
}
