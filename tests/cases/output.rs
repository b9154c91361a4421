//! Output files: the folder, the stem, numbering after existing files, never overwriting.

use std::fs;

use crate::support::*;

#[test]
fn the_folder_is_created_with_its_parents() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan().args(["generate", "x", "-o", "a/b/c"]).assert().code(0).stdout("a/b/c/x-001.png\n");
    assert_eq!(read(&sb.path("a/b/c/x-001.png")), png(1));
}

#[test]
fn numbering_continues_after_existing_files_and_leaves_them_alone() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("red-panda-001.png"), b"old one").unwrap();
    fs::write(sb.path("red-panda-007.jpg"), b"old seven").unwrap();
    fs::write(sb.path("red-panda-big-050.png"), b"other stem").unwrap();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));

    let out = sb.wan().args(["generate", "Red panda!", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(sorted_lines(&out), ["red-panda-008.png", "red-panda-009.png"]);

    assert_eq!(read(&sb.path("red-panda-001.png")), b"old one");
    assert_eq!(read(&sb.path("red-panda-007.jpg")), b"old seven");
    assert_eq!(read(&sb.path("red-panda-008.png")), png(1));
    assert_eq!(
        sb.files("."),
        ["red-panda-001.png", "red-panda-007.jpg", "red-panda-008.png", "red-panda-009.png", "red-panda-big-050.png"]
    );
}

#[test]
fn name_sets_the_stem() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan()
        .args(["generate", "anything at all", "--name", "cover", "-o", "o/"])
        .assert()
        .code(0)
        .stdout("o/cover-001.png\n");
}

#[test]
fn a_long_prompt_gives_a_short_slug() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan()
        .args(["generate", "A cute red panda, ultra-detailed, cinematic lighting, 8k, trending"])
        .assert()
        .code(0)
        // "a-cute-red-panda-ultra-detailed-cinematic" would be 41 characters: cut at a dash
        .stdout("a-cute-red-panda-ultra-detailed-001.png\n");
}
