//! `wan gallery`'s engine: a run's contact sheet, one HTML page written as the journal is
//! read — each image with its prompt, model, cost and file name, grouped by prompt and by
//! model within it, and the run's total.

mod html;
mod link;

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use html::{GENERATOR_WITHIN, is_a_gallery};
pub use link::normalised;

use crate::catalogue::money::format_usd;
use crate::error::Error;
use crate::journal::queries::RunRow;
use crate::journal::sheet::{self, SheetEntry, SheetImage, SheetPrompt, SheetRequest};
use crate::term::text::{plural, them, thousands};

/// What the page is of, and where it is read from.
#[derive(Debug)]
pub struct Sheet<'a> {
    pub run: &'a RunRow,
    /// The folder the page's links start from (absolute): the page's own, or the current
    /// folder for a page written to standard output.
    pub from: PathBuf,
    /// The run's state as `wan history` says it.
    pub state: String,
}

/// What the page showed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Images (and clips) the run's answers held, and how many of them the page could not show.
    pub images: u64,
    pub missing: u64,
}

/// Writes the page of `sheet.run` to `out`, a prompt at a time.
pub fn write(conn: &Connection, sheet: &Sheet, out: &mut dyn Write) -> Result<Written, Error> {
    let run = sheet.run;
    let io = |e: std::io::Error| Error::io("cannot write the gallery", &e);
    out.write_all(html::head(&title(run)).as_bytes()).map_err(io)?;
    out.write_all(header(sheet).as_bytes()).map_err(io)?;
    out.write_all(b"<main>\n").map_err(io)?;
    let mut totals = Totals::default();
    sheet::each_prompt::<Error>(conn, &run.id, |prompt| {
        let section = section(sheet, &prompt, &mut totals);
        out.write_all(section.as_bytes()).map_err(io)
    })?;
    out.write_all(b"</main>\n").map_err(io)?;
    out.write_all(footer(run, &totals).as_bytes()).map_err(io)?;
    out.write_all(html::TAIL.as_bytes()).map_err(io)?;
    out.flush().map_err(io)?;
    let images = totals.models.iter().map(|(_, t)| t.images).sum();
    let missing = totals.models.iter().map(|(_, t)| t.missing).sum();
    Ok(Written { images, missing })
}

/// Each model's part of the run, in the order the models first came.
#[derive(Debug, Default)]
struct Totals {
    models: Vec<(String, Total)>,
}

#[derive(Debug, Default)]
struct Total {
    images: u64,
    missing: u64,
    /// What its requests cost where known, and how many images are of unknown price.
    cost: u64,
    unpriced: u64,
}

impl Totals {
    fn of(&mut self, model: &str) -> &mut Total {
        let at = match self.models.iter().position(|(name, _)| name == model) {
            Some(at) => at,
            None => {
                self.models.push((model.to_string(), Total::default()));
                self.models.len() - 1
            }
        };
        &mut self.models[at].1
    }
}

fn title(run: &RunRow) -> String {
    let prompt = run.first_prompt.as_deref().map(|p| format!(" · {}", html::cut(p, 60))).unwrap_or_default();
    html::text(&format!("wan gallery · run {}{prompt}", run.id))
}

fn header(sheet: &Sheet) -> String {
    let run = sheet.run;
    let mut rows = vec![
        ("started", html::text(&crate::journal::when::local_minute(&run.started))),
        ("command", html::text(&run.command)),
        ("model", html::text(&run.model)),
        (if run.command == "video" { "clips" } else { "images" }, {
            format!("{} saved of {} asked", thousands(run.saved), thousands(asked(run)))
        }),
        ("cost", run_cost(run)),
        ("state", html::text(&sheet.state)),
    ];
    if let Some(shard) = run.shard {
        rows.push(("shard", format!("{shard} of its batch (prompts numbered as in the file)")));
    }
    rows.push(("folder", if run.out_dir == "-" { "standard output (-o -)".into() } else { html::text(&run.out_dir) }));
    let offline = if run.offline { " <span class=\"offline\">offline</span>" } else { "" };
    let rows: String = rows.into_iter().map(|(name, value)| format!("<dt>{name}</dt><dd>{value}</dd>\n")).collect();
    format!(
        "<header>\n<h1>Run <code>{}</code>{offline}</h1>\n<dl class=\"run\">\n{rows}</dl>\n</header>\n",
        html::text(&run.id)
    )
}

/// What the run made: a video run's file is a clip.
fn noun(run: &RunRow) -> &'static str {
    if run.command == "video" { "clip" } else { "image" }
}

/// Images asked for: of each prompt, of each model (a matrix's run has several).
fn asked(run: &RunRow) -> u64 {
    run.prompts.saturating_mul(per_prompt(run))
}

/// Images asked of one prompt: `-n` of each model.
fn per_prompt(run: &RunRow) -> u64 {
    u64::from(run.count).saturating_mul(run.model_names().len() as u64)
}

/// The run's cost as the header says it: the sum of its requests', where it came from,
/// and what is of unknown price.
fn run_cost(run: &RunRow) -> String {
    if run.offline {
        return "nothing billed: made offline (<code>--offline</code>), drawn by wan's emulator".into();
    }
    let unpriced = run.unpriced + run.tasks_unpriced;
    let source = match run.cost_source() {
        "charged" => "what the service said it charged",
        "list" => "at list price, or as the service reported it",
        _ => "partly what the service said it charged, partly at list price",
    };
    match unpriced {
        0 => format!("{} ({source})", format_usd(run.cost)),
        n => format!("{} ({source}) and {} image{} of unknown price", format_usd(run.cost), thousands(n), plural(n)),
    }
}

/// A prompt's section: its number and text, then its requests' images grouped by model.
fn section(sheet: &Sheet, prompt: &SheetPrompt, totals: &mut Totals) -> String {
    let run = sheet.run;
    let number = run.shard.map_or(prompt.position + 1, |shard| shard.number(prompt.position as usize));
    let mut out = format!(
        "<section class=\"prompt\">\n<h2><span class=\"number\">{number}</span>{}</h2>\n",
        html::text(&prompt.text)
    );
    // The models in the order they first came, each with its requests.
    let mut groups: Vec<(&str, Vec<&SheetEntry>)> = Vec::new();
    for entry in &prompt.requests {
        // A request's model, and so each image's it returned (a matrix's run has several).
        let model = entry.request.model.as_str();
        match groups.iter_mut().find(|(name, _)| *name == model) {
            Some((_, entries)) => entries.push(entry),
            None => groups.push((model, vec![entry])),
        }
    }
    for (model, entries) in &groups {
        out.push_str(&group(sheet, &prompt.text, model, entries, totals.of(model)));
    }
    let recorded: u64 = prompt.requests.iter().map(|entry| u64::from(entry.request.n)).sum();
    let unsent = per_prompt(run).saturating_sub(recorded);
    if unsent > 0 {
        let what = match (run.state.as_str(), run.command.as_str()) {
            ("running", _) => "not sent yet".to_string(),
            (_, "video") => "never sent".to_string(),
            _ => format!("never sent (<code>wan resume {}</code> sends {})", html::text(&run.id), them(unsent)),
        };
        let asked = format!("{} {}{}", thousands(unsent), noun(run), plural(unsent));
        out.push_str(&format!("<p class=\"note\">{asked} asked, {what}</p>\n"));
    }
    out.push_str("</section>\n");
    out
}

/// One model's images of a prompt, and what its requests that brought none say.
fn group(sheet: &Sheet, prompt: &str, model: &str, entries: &[&SheetEntry], total: &mut Total) -> String {
    let offline = sheet.run.offline;
    // Each figure by its file's name, so that they come in number order (`-002` of a
    // request answered first before `-001` of a later one; a prompt's names share their
    // stem, so the longer number is the larger: `-999` before `-1000`), the unsaved last.
    let mut figures: Vec<(Option<&str>, String)> = Vec::new();
    let mut notes = String::new();
    let (mut images, mut cost, mut unpriced) = (0u64, 0u64, 0u64);
    for entry in entries {
        let returned = entry.request.returned.unwrap_or(entry.images.len() as u64);
        match entry.request.cost {
            Some(c) => cost = cost.saturating_add(c),
            None => unpriced += returned,
        }
        for image in &entry.images {
            let (figure, shown) = figure(sheet, prompt, image, &share(&entry.request, returned, offline));
            figures.push((image.path.as_deref(), figure));
            images += 1;
            total.missing += u64::from(!shown);
        }
        if entry.images.is_empty() {
            notes.push_str(&format!("<p class=\"note\">{}</p>\n", no_image(sheet.run, &entry.request)));
        }
    }
    total.images += images;
    total.cost = total.cost.saturating_add(cost);
    total.unpriced += unpriced;
    let sum = match (offline, unpriced) {
        (true, _) => "offline".to_string(),
        (false, 0) => format_usd(cost),
        (false, n) => format!("{} + {n} of unknown price", format_usd(cost)),
    };
    figures.sort_by_key(|(path, _)| (path.is_none(), path.map(str::len), *path));
    let figures: String = figures.into_iter().map(|(_, figure)| figure).collect();
    let sheet_div =
        if figures.is_empty() { String::new() } else { format!("<div class=\"sheet\">\n{figures}</div>\n") };
    format!(
        "<h3>{}<span class=\"sum\">{} {}{} · {sum}</span></h3>\n{sheet_div}{notes}",
        html::text(model),
        thousands(images),
        noun(sheet.run),
        plural(images)
    )
}

/// An image's cost: its request's, shared evenly among the images the request returned
/// (rounded down to the micro-dollar), and how, where it was shared.
fn share(request: &SheetRequest, returned: u64, offline: bool) -> String {
    if offline {
        return "<span class=\"cost\">offline</span>".into();
    }
    match (request.cost, returned) {
        (None, _) => "<span class=\"cost\">price unknown</span>".into(),
        (Some(cost), 0 | 1) => format!("<span class=\"cost\">{}</span>", format_usd(cost)),
        (Some(cost), n) => format!(
            "<span class=\"cost\">{}</span><span class=\"how\">a {} request ÷ {n} images</span>",
            format_usd(cost / n),
            format_usd(cost)
        ),
    }
}

/// An image's figure, and whether it could be shown: the thumbnail (a link to the file)
/// where its file is there, else `missing` with its name, why, and its link if the journal
/// kept one.
fn figure(sheet: &Sheet, prompt: &str, image: &SheetImage, cost: &str) -> (String, bool) {
    // A run made with `-o -` kept no file: its path was a stage that is gone.
    let path = image.path.as_deref().map(Path::new).filter(|_| sheet.run.out_dir != "-");
    let name = path.map(|p| link::relative(&sheet.from, p));
    let name_text = name.as_deref().map(|n| html::text(&n.display().to_string()));
    let on_disk = image.state == "saved" && path.is_some_and(Path::is_file);
    if let (true, Some(name), Some(name_text)) = (on_disk, &name, &name_text) {
        let src = html::escape(&link::url_path(name));
        let alt = html::text(&format!("{} ({})", html::cut(prompt, 100), name.display()));
        let media = match image.format.as_deref() {
            Some("mp4" | "mov" | "webm") => format!("<video src=\"{src}\" controls preload=\"metadata\"></video>"),
            // Lazy: a page of thousands loads the thumbnails in sight, not all at once.
            _ => format!("<a href=\"{src}\"><img src=\"{src}\" alt=\"{alt}\" loading=\"lazy\"></a>"),
        };
        let caption = format!("<span class=\"file\">{name_text}</span>{cost}");
        return (format!("<figure>\n{media}\n<figcaption>{caption}</figcaption>\n</figure>\n"), true);
    }
    let why = match (image.state.as_str(), sheet.run.state.as_str()) {
        ("saved", _) if sheet.run.out_dir == "-" => "written to standard output (-o -), not kept".to_string(),
        ("saved", _) => "not on disk any more".to_string(),
        ("pending" | "placing", "running") => "being saved".to_string(),
        ("pending" | "placing", _) => {
            format!("not saved: <code>wan resume {}</code> fetches it while its link lives", html::text(&sheet.run.id))
        }
        ("expired" | "gone", _) => "not saved: its link expired".to_string(),
        _ => "not saved: its download failed".to_string(),
    };
    // An offline run's links were the emulator's inside a `wan` that has ended.
    let linked = image.source.starts_with("https://") || image.source.starts_with("http://");
    let url = match linked && !sheet.run.offline {
        true => format!(
            "<a class=\"url\" href=\"{}\" rel=\"noreferrer\">{}</a>",
            html::text(&image.source),
            html::text(&image.source)
        ),
        false => String::new(),
    };
    let name_text = name_text.unwrap_or_else(|| format!("{} {} of its request", noun(sheet.run), image.position + 1));
    let caption = format!("<span class=\"file\">{name_text}</span>{cost}<span class=\"why\">{why}</span>{url}");
    (
        format!(
            "<figure class=\"missing\">\n<div class=\"hole\">missing</div>\n<figcaption>{caption}</figcaption>\n</figure>\n"
        ),
        false,
    )
}

/// What a request that brought no image says.
fn no_image(run: &RunRow, request: &SheetRequest) -> String {
    let asked = format!("{} {}{}", request.n, noun(run), plural(u64::from(request.n)));
    match request.state.as_str() {
        "failed" => {
            // The message as `wan` said it at the time (it names the status and the code);
            // the status and the code where it kept none.
            let said = match (&request.message, request.status, &request.code) {
                (Some(message), ..) => crate::error::sanitize(message),
                (None, status, code) => {
                    let status = status.map(|s| format!("HTTP {s}"));
                    let code = code.as_deref().map(crate::error::sanitize);
                    [status, code].into_iter().flatten().collect::<Vec<_>>().join(" ")
                }
            };
            format!("a request for {asked} failed: {}", html::escape(&said))
        }
        "answered" => format!("a request for {asked} was answered with none"),
        _ if run.state == "running" => format!("a request for {asked} is waiting for its answer"),
        _ => format!("a request for {asked} was sent and never answered: it may have been billed"),
    }
}

fn footer(run: &RunRow, totals: &Totals) -> String {
    let money = |total: &Total| match (run.offline, total.unpriced) {
        (true, _) => "offline".to_string(),
        (false, 0) => format_usd(total.cost),
        (false, n) => format!("{} + {} image{} of unknown price", format_usd(total.cost), thousands(n), plural(n)),
    };
    let mut all = Total::default();
    let mut rows = String::new();
    for (model, total) in &totals.models {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"money\">{}</td></tr>\n",
            html::text(model),
            thousands(total.images),
            thousands(total.missing),
            money(total)
        ));
        all.images += total.images;
        all.missing += total.missing;
        all.cost = all.cost.saturating_add(total.cost);
        all.unpriced += total.unpriced;
    }
    rows.push_str(&format!(
        "<tr class=\"total\"><th>total</th><th>{}</th><th>{}</th><th class=\"money\">{}</th></tr>\n",
        thousands(all.images),
        thousands(all.missing),
        money(&all)
    ));
    let how = match run.offline {
        true => "Made offline: nothing was sent off this machine and nothing was billed.",
        false => {
            "Each image's cost is its request's, shared evenly among the images the request returned \
             (rounded down to the micro-dollar): what the service said it charged, else the price it \
             reported, else the model's list price. The totals are the requests' sums."
        }
    };
    format!(
        "<footer>\n<table>\n<tr><th>model</th><th>{}s</th><th>missing</th><th>cost</th></tr>\n{rows}</table>\n\
         <p>{how}</p>\n</footer>\n",
        noun(run)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cost: Option<u64>) -> SheetRequest {
        SheetRequest {
            id: 1,
            chunk: 0,
            n: 3,
            state: "answered".into(),
            status: Some(200),
            code: None,
            message: None,
            returned: Some(3),
            cost,
            model: "wan2.7-image".into(),
        }
    }

    #[test]
    fn an_image_costs_its_share_of_its_request_and_says_how() {
        assert_eq!(
            share(&request(Some(100_000)), 3, false),
            "<span class=\"cost\">$0.033333</span><span class=\"how\">a $0.100 request ÷ 3 images</span>"
        );
        assert_eq!(share(&request(Some(35_000)), 1, false), "<span class=\"cost\">$0.035</span>");
        assert_eq!(share(&request(None), 3, false), "<span class=\"cost\">price unknown</span>");
        assert_eq!(share(&request(Some(100_000)), 3, true), "<span class=\"cost\">offline</span>");
    }
}
