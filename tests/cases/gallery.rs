//! `wan gallery`: a run's contact sheet — every image with its prompt, model, cost and name,
//! links that resolve from where the page is, the totals, text that stays text, the files it
//! replaces and those it leaves, and (where Chromium is installed) the page as a browser shows it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

/// The ids of the journal's runs, newest first.
fn run_ids(sb: &Sandbox) -> Vec<String> {
    let history = journaled(sb).args(["history", "--json"]).output().unwrap();
    stdout_of(&history)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().into())
        .collect()
}

/// Every `src` of the page, as written (percent-encoded, HTML-escaped).
fn sources(page: &str) -> Vec<String> {
    page.split(" src=\"").skip(1).map(|rest| rest[..rest.find('"').unwrap()].to_string()).collect()
}

/// A relative URL's path as a file path from `from`: `&amp;` and percent-escapes undone.
fn resolve(from: &Path, src: &str) -> PathBuf {
    assert!(!src.contains(':') && !src.starts_with('/'), "{src} is not relative");
    let src = src.replace("&amp;", "&");
    let (bytes, mut out, mut i) = (src.as_bytes(), Vec::new(), 0);
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&src[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    from.join(String::from_utf8(out).unwrap())
}

/// The files of `dir` that every `src` of `page` (read from `from`) names, sorted: each must be there.
fn shown_files(page: &str, from: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = sources(page)
        .iter()
        .map(|src| {
            let path = resolve(from, src);
            assert!(path.is_file(), "{src} resolves to {}, which is not there", path.display());
            path.canonicalize().unwrap()
        })
        .collect();
    files.sort();
    files
}

fn pngs_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().canonicalize().unwrap())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
}

const OWL: &str = "an owl <script>alert(1)</script> & \"moon\"";

/// A batch of two prompts, two images each (requests of 2 at $0.030 an image), into `out/`.
fn two_prompts(sb: &mut Sandbox) {
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    fs::write(sb.path("prompts.txt"), format!("a red panda\n{OWL}\n")).unwrap();
    journaled(sb).args(["generate", "-f", "prompts.txt", "-n", "2", "-o", "out"]).assert().code(0);
}

#[test]
fn the_page_shows_every_image_with_its_prompt_model_cost_and_name_and_the_total() {
    let mut sb = Sandbox::new();
    two_prompts(&mut sb);
    let id = &run_ids(&sb)[0];
    // from the journal alone: no key, and no service where there was one
    let out = journaled(&sb)
        .env_remove("AISA_API_KEY")
        .env("AISA_BASE_URL", "http://127.0.0.1:9/v1")
        .arg("gallery")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let printed = format!("out/gallery-{id}.html");
    assert_eq!(stdout_of(&out), format!("{printed}\n"));
    assert_eq!(stderr_of(&out), "", "nothing to warn of");
    let page = fs::read_to_string(sb.path(&printed)).unwrap();
    assert_eq!(shown_files(&page, &sb.path("out")), pngs_in(&sb.path("out")), "every image, each once");
    assert_eq!(pngs_in(&sb.path("out")).len(), 4);
    // grouped by prompt, in the batch's order, each image under its own
    let sections: Vec<&str> = page.split("<section class=\"prompt\">").skip(1).collect();
    assert_eq!(sections.len(), 2);
    assert!(sections[0].contains("<span class=\"number\">1</span>a red panda</h2>"), "{}", sections[0]);
    for (section, slug) in sections.iter().zip(["a-red-panda-", "an-owl-"]) {
        let names: Vec<String> = sources(section).iter().map(|s| s.replace("%20", " ")).collect();
        assert_eq!(names.len(), 2, "{section}");
        assert!(names.iter().all(|n| n.starts_with(slug)), "{names:?}");
        assert!(names.is_sorted(), "in number order, whichever landed first: {names:?}");
        for name in &names {
            assert!(section.contains(&format!("<span class=\"file\">{name}</span>")), "the file name shown");
        }
        assert!(section.contains("<h3>wan2.7-image<span class=\"sum\">2 images · $0.060</span></h3>"), "{section}");
        // each image's cost: its request's, shared among the images it returned, and how
        assert_eq!(section.matches("<span class=\"cost\">$0.030</span>").count(), 2, "{section}");
        assert_eq!(section.matches("a $0.060 request ÷ 2 images").count(), 2, "{section}");
    }
    // the prompt is text, never markup: no script in the page at all
    assert!(!page.to_lowercase().contains("<script"), "{page}");
    assert!(page.contains("an owl &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;moon&quot;</h2>"), "{page}");
    // the run: its id, model, images and total, in the header and the footer's sum
    assert!(page.contains(&format!("<h1>Run <code>{id}</code></h1>")), "{page}");
    assert!(page.contains("<dt>images</dt><dd>4 saved of 4 asked</dd>"), "{page}");
    assert!(page.contains("<dt>cost</dt><dd>$0.120 (at list price"), "{page}");
    assert!(
        page.contains("<tr class=\"total\"><th>total</th><th>4</th><th>0</th><th class=\"money\">$0.120</th></tr>"),
        "{page}"
    );
    assert!(!page.contains("class=\"offline\""), "a run of the service is not marked offline");
}

#[test]
fn links_resolve_from_wherever_the_page_is_written() {
    let mut sb = Sandbox::new();
    two_prompts(&mut sb);
    let id = &run_ids(&sb)[0];
    let expected = pngs_in(&sb.path("out"));
    // a file elsewhere: the images are found up and down from it
    let out = journaled(&sb).args(["gallery", "-o", "pages/deep/sheet.html"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "pages/deep/sheet.html\n");
    let page = fs::read_to_string(sb.path("pages/deep/sheet.html")).unwrap();
    assert!(sources(&page).iter().all(|s| s.starts_with("../../out/")), "{:?}", sources(&page));
    assert_eq!(shown_files(&page, &sb.path("pages/deep")), expected);
    // a folder: the page goes in it, named for the run
    fs::create_dir(sb.path("sheets")).unwrap();
    let out = journaled(&sb).args(["gallery", "-o", "sheets"]).output().unwrap();
    assert_eq!(stdout_of(&out), format!("sheets/gallery-{id}.html\n"));
    let page = fs::read_to_string(sb.path(&format!("sheets/gallery-{id}.html"))).unwrap();
    assert_eq!(shown_files(&page, &sb.path("sheets")), expected);
    // standard output: the images found from the current folder, and no path printed
    let out = journaled(&sb).args(["gallery", "-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let page = stdout_of(&out);
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"), "{page}");
    assert!(sources(&page).iter().all(|s| s.starts_with("out/")), "{:?}", sources(&page));
    assert_eq!(shown_files(&page, sb.dir.path()), expected);
}

#[test]
fn an_image_not_on_disk_or_never_saved_is_marked_missing_with_its_name_and_link() {
    let mut sb = Sandbox::new();
    // the second link fails (and carries the key, which the journal never keeps)
    let failing = format!("/2.png?k={KEY}");
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url(&failing)]));
    sb.image("/1.png", &png(1));
    sb.server.mock("GET", "/2.png").match_query(mockito::Matcher::Any).with_status(404).create();
    journaled(&sb).args(["generate", "x", "-n", "2", "-o", "out"]).assert().code(7);
    fs::remove_file(sb.path("out/x-001.png")).unwrap();
    let out = journaled(&sb).args(["gallery", "-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "the page is made all the same: {}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "wan: 2 of the run's 2 images could not be shown; the page marks them missing\n");
    let page = stdout_of(&out);
    assert!(sources(&page).is_empty(), "no thumbnail of a file that is not there: {page}");
    assert_eq!(page.matches("<div class=\"hole\">missing</div>").count(), 2, "{page}");
    assert!(page.contains("<span class=\"file\">out/x-001.png</span>"), "{page}");
    assert!(page.contains("not on disk any more"), "{page}");
    assert!(page.contains("not saved: its link expired"), "{page}");
    let kept = format!("{}/2.png?k=[redacted]", sb.server.url());
    assert!(page.contains(&format!("href=\"{kept}\"")), "the link the journal kept: {page}");
    assert!(!page.contains(KEY), "{page}");
}

#[test]
fn a_failed_request_is_said_under_its_prompt_in_words_that_stay_text() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(400)
        .with_body(json!({"error": {"code": "bad_size", "message": "size <b>9x9</b>\u{1b}[2J refused"}}).to_string())
        .create();
    journaled(&sb).args(["generate", "x", "-n", "2", "-o", "out"]).assert().code(4);
    let out = journaled(&sb).args(["gallery", "-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("holds no images: the page says what became of its prompts"),
        "{}",
        stderr_of(&out)
    );
    let page = stdout_of(&out);
    assert!(
        page.contains("a request for 2 images failed: the API rejected the request: HTTP 400 bad_size: size &lt;b&gt;9x9&lt;/b&gt; [2J refused"),
        "{page}"
    );
    assert!(!page.contains('\u{1b}'));
}

#[test]
fn a_file_that_is_not_a_page_of_wan_gallery_is_left_as_it_is_and_an_earlier_page_is_replaced() {
    let mut sb = Sandbox::new();
    two_prompts(&mut sb);
    fs::write(sb.path("index.html"), "<p>mine</p>").unwrap();
    let out = journaled(&sb).args(["gallery", "-o", "index.html"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("index.html is there and is not a page wan gallery wrote"), "{}", stderr_of(&out));
    assert_eq!(fs::read_to_string(sb.path("index.html")).unwrap(), "<p>mine</p>");
    assert!(stdout_of(&out).is_empty());
    for _ in 0..2 {
        journaled(&sb).args(["gallery", "-o", "sheet.html"]).assert().code(0);
    }
    // a page of an earlier run is a page too: replaced by this run's
    journaled(&sb).args(["generate", "another", "-o", "out"]).assert().code(0);
    let out = journaled(&sb).args(["gallery", "-o", "sheet.html"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(fs::read_to_string(sb.path("sheet.html")).unwrap().contains("another</h2>"));
    assert!(!sb.files(".").iter().any(|f| f.ends_with(".part")), "{:?}", sb.files("."));
}

#[test]
fn the_run_is_the_latest_or_the_one_a_unique_start_of_its_id_names() {
    let mut sb = Sandbox::new();
    let out = journaled(&sb).arg("gallery").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("no runs in the journal yet"), "{}", stderr_of(&out));
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    journaled(&sb).args(["generate", "the first", "-o", "one"]).assert().code(0);
    journaled(&sb).args(["generate", "the second", "-o", "two"]).assert().code(0);
    let ids = run_ids(&sb);
    let latest = journaled(&sb).args(["gallery", "-o", "-"]).output().unwrap();
    assert!(stdout_of(&latest).contains("the second</h2>"));
    let named = journaled(&sb).args(["gallery", &ids[1][..6]]).output().unwrap();
    assert_eq!(stdout_of(&named), format!("one/gallery-{}.html\n", ids[1]));
    assert!(fs::read_to_string(sb.path(&format!("one/gallery-{}.html", ids[1]))).unwrap().contains("the first</h2>"));
    let unknown = journaled(&sb).args(["gallery", "zzzz"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr_of(&unknown).contains("no run \"zzzz\" in the journal"), "{}", stderr_of(&unknown));
}

#[test]
fn open_shows_the_page_it_printed_and_a_page_on_standard_output_cannot_be_opened() {
    let mut sb = Sandbox::new();
    two_prompts(&mut sb);
    let bin = stand_in_viewer(&sb, 0);
    let out = journaled(&sb).env("PATH", &bin).args(["gallery", "--open"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(fs::read_to_string(sb.path("opened")).unwrap(), stdout_of(&out));
    fs::remove_file(sb.path("opened")).unwrap();
    let out = journaled(&sb).env("PATH", &bin).args(["gallery", "--open", "-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--open shows a page written to a file"), "{}", stderr_of(&out));
    assert!(stdout_of(&out).is_empty() && !sb.path("opened").exists());
}

#[test]
fn an_offline_run_is_a_gallery_too_marked_as_such() {
    let sb = Sandbox::new();
    journaled(&sb)
        .env_remove("AISA_API_KEY")
        .args(["generate", "a fox", "-n", "2", "-o", "out", "--offline"])
        .assert()
        .code(0);
    let out = journaled(&sb).args(["gallery", "-o", "-"]).output().unwrap();
    let page = stdout_of(&out);
    assert_eq!(shown_files(&page, sb.dir.path()), pngs_in(&sb.path("out")));
    assert!(page.contains("<span class=\"offline\">offline</span></h1>"), "{page}");
    assert!(page.contains("nothing billed: made offline"), "{page}");
}

/// The first of the Chromium builds that is on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// What a headless Chromium finds of each image of the page at `page`: a wrapper page (for
/// this test only; the gallery has no script) holds it in a frame and writes each image's
/// `src` and natural width into its own DOM, which Chromium prints.
fn widths_in_a_browser(browser: &Path, sb: &Sandbox, page: &Path) -> Vec<(String, u32)> {
    let src = format!("file://{}", page.display()).replace(' ', "%20");
    let wrapper = sb.path("wrapper.html");
    fs::write(
        &wrapper,
        format!(
            "<!DOCTYPE html><iframe id=\"g\" src=\"{src}\" style=\"width:1200px;height:20000px\"></iframe>\
             <pre id=\"found\"></pre><script>window.addEventListener('load', () => {{\
             const images = document.getElementById('g').contentDocument.images;\
             document.getElementById('found').textContent = '[' + Array.from(images).map(i => \
             JSON.stringify([i.getAttribute('src'), i.naturalWidth])).join(',') + ']'; }});</script>"
        ),
    )
    .unwrap();
    let mut child = Command::new(browser)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--allow-file-access-from-files"])
        .arg(format!("--user-data-dir={}", sb.path("chromium-profile").display()))
        // A tall window: every thumbnail (loaded lazily, as it comes near the view) is in sight.
        .args(["--window-size=1280,20000", "--virtual-time-budget=10000", "--dump-dom"])
        .arg(format!("file://{}", wrapper.display()))
        .env("HOME", sb.path("chromium-home"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Chromium did not print the page within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let found = dom.split("<pre id=\"found\">").nth(1).and_then(|rest| rest.split("</pre>").next());
    let found = found.unwrap_or_else(|| panic!("no result in the page Chromium printed: {dom}"));
    serde_json::from_str(&found.replace("&amp;", "&")).unwrap_or_else(|e| panic!("{e}: {found}"))
}

#[test]
fn a_browser_shows_every_image_of_the_page() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH");
        return;
    };
    let sb = Sandbox::new();
    fs::write(sb.path("prompts.txt"), "a fox\nan owl & a moon\n").unwrap();
    journaled(&sb)
        .env_remove("AISA_API_KEY")
        .args(["generate", "-f", "prompts.txt", "-n", "2", "-o", "out dir", "--offline"])
        .assert()
        .code(0);
    let id = &run_ids(&sb)[0];
    journaled(&sb).arg("gallery").assert().code(0);
    journaled(&sb).args(["gallery", "-o", "pages/sheet.html"]).assert().code(0);
    for page in [sb.path(&format!("out dir/gallery-{id}.html")), sb.path("pages/sheet.html")] {
        let widths = widths_in_a_browser(&browser, &sb, &page);
        assert_eq!(widths.len(), 4, "{widths:?}");
        assert!(widths.iter().all(|(_, width)| *width > 0), "an image did not load in {}: {widths:?}", page.display());
    }
    // and the check sees an image that cannot load
    let gone = pngs_in(&sb.path("out dir")).remove(0);
    fs::remove_file(&gone).unwrap();
    let widths = widths_in_a_browser(&browser, &sb, &sb.path("pages/sheet.html"));
    assert_eq!(widths.iter().filter(|(_, width)| *width == 0).count(), 1, "{widths:?}");
}
