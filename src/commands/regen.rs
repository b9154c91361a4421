//! `wan regen FILE...`: the request that made each file, read from its label (else from the
//! journal's record of it, found by its SHA-256), checked (references found where they were
//! read, with the same SHA-256), and sent again as a `generate` or `edit` run would send it,
//! into the file's folder, with the same naming, cost line and `--max-cost` check.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::catalogue::money::{Micros, format_usd};
use crate::cli::run::{RegenArgs, RouteArg, RunArgs};
use crate::commands::generate;
use crate::commands::history::open_journal;
use crate::config::env::Env;
use crate::error::Error;
use crate::files::digest::{Sha256Hex, sha256_hex, sha256_of_file};
use crate::files::label;
use crate::files::prompts::{Prompts, checked_prompt};
use crate::files::provenance;
use crate::files::reference::Reference;
use crate::image::settings::Settings;
use crate::journal::queries;
use crate::outcome::Outcome;
use crate::term::ui::Ui;

/// The request that made a file, as far as it can be known.
#[derive(Debug, PartialEq)]
struct Recipe {
    model: String,
    prompt: String,
    /// `auto`, `chat`, `images` or `gemini`.
    route: String,
    /// The body's fields beside model, prompt and n (size, seed, `--param`s).
    params: Map<String, Value>,
    /// Where each reference was read (an absolute path, or a URL) and its SHA-256.
    references: Vec<(String, Option<String>)>,
    /// Where the mask of an edit was read and its SHA-256.
    mask: Option<(String, String)>,
    /// The file's label left the prompt out: so do the new files'.
    private: bool,
    /// Drawn by the emulator inside `wan --offline`: made again offline too.
    offline: bool,
}

pub fn run(args: RegenArgs, env: &mut Env) -> Result<Outcome, Error> {
    let ui = Ui::default();
    // Every file's request is read and checked before anything is sent.
    let mut recipes = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let recipe = recipe(file, env, &ui)?;
        if crate::catalogue::video::MODEL_NAMES.contains(&recipe.model.as_str()) {
            return Err(Error::usage(format!(
                "{} is a video ({}): wan regen makes images",
                file.display(),
                recipe.model
            ))
            .with_hint(format!("wan video create -m {} \"…\" makes a video", recipe.model)));
        }
        recipes.push((file, recipe));
    }
    go_offline_where_made_offline(&recipes, &args, env)?;
    let mut runs = Vec::with_capacity(recipes.len());
    for (file, recipe) in recipes {
        runs.push(settings(file, recipe, &args, env)?);
    }
    share_the_limit(&mut runs)?;
    let mut outcome = Outcome::Success;
    for settings in &runs {
        let this = generate::run_or_preview(settings)?;
        if outcome == Outcome::Success {
            outcome = this;
        }
    }
    Ok(outcome)
}

/// A file drawn offline (by the emulator inside `wan --offline`) is made again offline, as
/// `wan resume` finishes an offline run offline: its request was never the service's, and
/// must not be billed there by surprise. `--base-url` sends it where it says; files of
/// both kinds at once are refused, since one run cannot be both.
fn go_offline_where_made_offline(recipes: &[(&PathBuf, Recipe)], args: &RegenArgs, env: &mut Env) -> Result<(), Error> {
    let offline = recipes.iter().filter(|(_, recipe)| recipe.offline).count();
    if offline == 0 || env.offline || args.base_url.is_some() {
        return Ok(());
    }
    if offline < recipes.len() {
        let (made_offline, _) = recipes.iter().find(|(_, recipe)| recipe.offline).expect("one is offline");
        let (by_service, _) = recipes.iter().find(|(_, recipe)| !recipe.offline).expect("one is not");
        return Err(Error::usage(format!(
            "{} was drawn offline and {} by the service: one regen cannot make both",
            made_offline.display(),
            by_service.display()
        ))
        .with_hint("regenerate them in two commands (add --offline to draw the service's offline too)"));
    }
    crate::commands::offline::start(env)
}

/// `--max-cost` covers all the files' requests together, not each file's: refused before
/// anything is sent when their sum is over it, and otherwise shared out, so that what each
/// run tells the service (`X-AISA-Max-Price-USD`) adds up to the limit at most. Each run
/// was already checked against the whole limit (and a price not known refused).
fn share_the_limit(runs: &mut [Settings]) -> Result<(), Error> {
    let Some(limit) = runs.first().and_then(|run| run.max_cost).filter(|_| runs.len() > 1) else { return Ok(()) };
    let prices: Vec<Micros> = runs.iter().map(|run| run.list_price().unwrap_or(limit)).collect();
    let total = prices.iter().fold(0u64, |sum, price| sum.saturating_add(*price));
    if total > limit {
        return Err(Error::usage(format!(
            "these {} files' requests would cost {} together, more than the limit of {} (--max-cost)",
            runs.len(),
            format_usd(total),
            format_usd(limit)
        ))
        .with_hint("regenerate fewer files at once, lower -n, or raise --max-cost"));
    }
    let spare = (limit - total) / runs.len() as u64;
    for (run, price) in runs.iter_mut().zip(prices) {
        run.max_cost = Some(price + spare);
    }
    Ok(())
}

/// What made `file`: its label, else the journal's record, else an older `wan`'s PNG chunk.
fn recipe(file: &Path, env: &Env, ui: &Ui) -> Result<Recipe, Error> {
    let name = file.display();
    let open = || File::open(file).map_err(|e| Error::usage(format!("{name}: {e}")));
    let embedded = provenance::read(BufReader::new(open()?));
    let journal = || -> Result<Option<Recipe>, Error> {
        let Some(conn) = open_journal(env).ok().flatten() else { return Ok(None) };
        let Some(origin) = queries::origin(&conn, &sha256_of(open()?, file)?)? else { return Ok(None) };
        // The fields of the file's own model (a matrix's models each have theirs).
        let params = queries::find_run(&conn, &origin.run)
            .ok()
            .flatten()
            .and_then(|run| crate::image::resume::models_of(&run).into_iter().find(|m| m.model.name == origin.model))
            .map(|model| model.extra)
            .unwrap_or_default();
        let (references, mask) = (origin.references, origin.mask);
        let (model, prompt, route) = (origin.model, origin.prompt, origin.route);
        let offline = origin.offline;
        Ok(Some(Recipe { model, prompt, route, params, references, mask, private: false, offline }))
    };
    let xmp = embedded.xmp.as_deref().and_then(label::read).filter(label::Read::is_wans);
    if let Some(xmp) = xmp {
        let private = xmp.prompt.is_none();
        let prompt = match xmp.prompt.filter(|_| !xmp.prompt_cut) {
            Some(prompt) => prompt,
            // Left out (`--no-prompt-in-file`) or cut to fit: the journal has it whole.
            None => match journal()? {
                Some(recorded) => recorded.prompt,
                None => {
                    let why = if xmp.prompt_cut { "only the start of its prompt" } else { "no prompt" };
                    return Err(Error::usage(format!(
                        "{name} carries {why} (it was made with --no-prompt-in-file, or cut to fit), \
                         and the journal here has no record of it"
                    ))
                    .with_hint("run wan regen on the machine that made it, whose journal has the prompt"));
                }
            },
        };
        let model = xmp.model.ok_or_else(|| Error::usage(format!("{name}'s label names no model")))?;
        return Ok(Recipe {
            model,
            prompt,
            route: xmp.route.unwrap_or_else(|| "auto".into()),
            params: xmp.params.unwrap_or_default(),
            references: xmp.references,
            mask: xmp.mask,
            private,
            offline: xmp.provider.as_deref() == Some(label::OFFLINE_PROVIDER),
        });
    }
    if let Some(recorded) = journal()? {
        return Ok(recorded);
    }
    if let Some(chunk) = &embedded.wan_chunk {
        let text = |key: &str| chunk.get(key).and_then(Value::as_str).map(String::from);
        if let (Some(model), Some(prompt)) = (text("model"), text("prompt")) {
            ui.warn(&format!(
                "{name} was made by an older wan, which did not record the route, size or --param fields: \
                 sending model and prompt (and references) only"
            ));
            let references = chunk
                .get("references")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let source = r.get("source")?.as_str()?.to_string();
                    Some((source, r.get("sha256").and_then(Value::as_str).map(String::from)))
                })
                .collect();
            let params = Map::new();
            return Ok(Recipe {
                model,
                prompt,
                route: "auto".into(),
                params,
                references,
                mask: None,
                private: false,
                offline: false,
            });
        }
    }
    let why = match embedded.c2pa {
        Some(_) => {
            "it carries Content Credentials, which wan keeps as served, and the journal here has no record of it"
        }
        None => "it has no wan label, and the journal here has no record of it",
    };
    Err(Error::usage(format!("{name}: wan does not know how it was made: {why}")))
}

fn sha256_of(mut reader: File, file: &Path) -> Result<String, Error> {
    let mut hasher = Sha256Hex::default();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| Error::io(file.display(), &e))?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}

/// The settings of the run that sends `recipe` again: the recorded request as flags (so
/// that neither the config file nor the environment changes it), `regen`'s own options for
/// the rest.
fn settings(file: &Path, recipe: Recipe, args: &RegenArgs, env: &Env) -> Result<Settings, Error> {
    let name = file.display();
    for (source, sha256) in &recipe.references {
        check_reference(&name.to_string(), "reference image", source, sha256.as_deref())?;
    }
    if let Some((source, sha256)) = &recipe.mask {
        check_reference(&name.to_string(), "mask", source, Some(sha256))?;
    }
    let route = match recipe.route.as_str() {
        "chat" => RouteArg::Chat,
        "images" => RouteArg::Images,
        "gemini" => RouteArg::Gemini,
        _ => RouteArg::Auto,
    };
    let out = args.out.clone().or_else(|| Some(file.parent().map_or_else(PathBuf::new, Path::to_path_buf)));
    let out = out.filter(|dir| !dir.as_os_str().is_empty());
    let run = RunArgs {
        count: args.count,
        // The prompt recorded is one a template made (if one did): it is sent as it was.
        vars: Vec::new(),
        no_template: true,
        shard: None,
        model: vec![recipe.model],
        pro: false,
        out,
        name: Some(stem_of(file)),
        json: args.json,
        quiet: args.quiet,
        verbose: args.verbose,
        base_url: args.base_url.clone(),
        offline: args.offline,
        timeout: args.timeout,
        download_timeout: args.download_timeout,
        route: Some(route),
        retries: args.retries,
        jobs: args.jobs,
        rpm: None,
        size: None,
        aspect: None,
        // Each field as JSON, so that it is read back exactly as recorded (a string stays a string).
        params: recipe.params.iter().map(|(key, value)| format!("{key}={value}")).collect(),
        seed: None,
        dry_run: args.dry_run,
        quote: false,
        max_cost: args.max_cost.clone(),
        no_journal: args.no_journal,
        no_metadata: args.no_metadata,
        no_prompt_in_file: args.no_prompt_in_file || recipe.private,
        open: args.open,
        preview: false,
    };
    let prompt = Prompts::one(checked_prompt(recipe.prompt)?, None);
    let sources: Vec<String> = recipe.references.iter().map(|(source, _)| source.clone()).collect();
    let mask = recipe.mask.as_ref().map(|(source, _)| Path::new(source));
    let settings = generate::resolve(run, prompt, sources, mask, env, &mut std::io::empty())?;
    // Read once more by the run: still the same bytes.
    for (loaded, (source, sha256)) in settings.references.iter().zip(&recipe.references) {
        if let (Reference::Local(image), Some(sha256)) = (loaded, sha256)
            && sha256_hex(&image.bytes) != *sha256
        {
            return Err(changed(&name.to_string(), "reference image", source));
        }
    }
    if let (Some(mask), Some((source, sha256))) = (&settings.mask, &recipe.mask)
        && sha256_hex(&mask.bytes) != *sha256
    {
        return Err(changed(&name.to_string(), "mask", source));
    }
    Ok(settings)
}

/// A recorded reference (or mask: `what`) is where it was read and holds the same bytes,
/// or the error that names it. Hashed as it streams: nothing of it is held.
fn check_reference(file: &str, what: &str, source: &str, sha256: Option<&str>) -> Result<(), Error> {
    let Some(sha256) = sha256 else { return Ok(()) }; // a URL: sent as it was
    if source == "-" {
        return Err(Error::usage(format!(
            "{file} was made from a {what} read from standard input, which cannot be read again"
        )));
    }
    let found = sha256_of_file(Path::new(source)).map_err(|e| {
        Error::usage(format!("{what} {source} of {file} cannot be read: {e}"))
            .with_hint("put it back where it was; wan regen sends only the request that made the file")
    })?;
    if found != sha256 {
        return Err(changed(file, what, source));
    }
    Ok(())
}

fn changed(file: &str, what: &str, source: &str) -> Error {
    Error::usage(format!("{what} {source} of {file} has changed since {file} was made (its SHA-256 differs)"))
        .with_hint("nothing was sent; wan regen sends the same request only with the same references and mask")
}

/// The stem of `file`'s name as `wan` numbers files (`red-panda-001.png` → `red-panda`), so
/// that the new images take the next numbers beside it; any other name is its own stem.
fn stem_of(file: &Path) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let numbered = stem
        .rsplit_once('-')
        .filter(|(head, n)| !head.is_empty() && n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()));
    match numbered {
        Some((head, _)) => head.to_string(),
        None if stem.is_empty() || stem.chars().all(|c| c == '.') => "image".to_string(),
        None => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stem_is_the_file_s_without_its_number() {
        assert_eq!(stem_of(Path::new("out/red-panda-001.png")), "red-panda");
        assert_eq!(stem_of(Path::new("brand-1234.jpg")), "brand");
        assert_eq!(stem_of(Path::new("renamed.png")), "renamed");
        assert_eq!(stem_of(Path::new("a-12.png")), "a-12");
        assert_eq!(stem_of(Path::new("-001.png")), "-001");
    }
}
