//! What a run costs: the cost line, reported and unknown prices, `--max-cost` and the `--dry-run` preview.

use std::time::Duration;

use crate::support::*;

#[test]
fn a_huge_count_is_refused_by_max_cost_at_once_and_previewed_by_dry_run() {
    let sb = Sandbox::new();
    let refused = sb
        .wan()
        .args(["generate", "x", "-n", "4294967295", "--max-cost", "5"])
        .timeout(Duration::from_secs(10))
        .output();
    let refused = refused.unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr_of(&refused).contains("more than --max-cost $5.000"), "{}", stderr_of(&refused));

    let dry =
        sb.wan().args(["generate", "x", "-n", "4294967295", "--dry-run"]).timeout(Duration::from_secs(10)).output();
    let dry = dry.unwrap();
    assert_eq!(dry.status.code(), Some(0));
    assert_eq!(stdout_of(&dry).matches("\"model\"").count(), 20, "a bounded preview");
    let stderr = stderr_of(&dry);
    assert!(stderr.contains("would send 1073741824 requests"), "{stderr}");
    assert!(stderr.contains("4294967295 × $0.030 = $128849018.850"), "{stderr}");
}

#[test]
fn extra_images_are_saved_with_a_warning_since_they_were_billed() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png"), sb.url("/3.png")]));
    for (i, path) in ["/1.png", "/2.png", "/3.png"].iter().enumerate() {
        sb.image(path, &png(i as u8));
    }
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(sb.files("."), ["x-001.png", "x-002.png", "x-003.png"]);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the service returned 3 images for the 1 asked for (2 extra)"), "{stderr}");
    assert!(stderr.contains("3 × $0.030 = $0.090"), "{stderr}");
}
