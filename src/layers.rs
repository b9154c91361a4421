//! The dependency rule, checked: each top-level module imports only the layers below it.
//!
//! The house, from the top: `main` routes to the front ends (`mcp`, `commands`), which
//! translate arguments into settings for the engines (`image`, `video`); below them the
//! configuration, the API client, files and the journal, the catalogue, the terminal, and
//! the leaves everything may use. The interface (`cli`) holds clap types, and only the
//! front ends may see it; the emulator is a program of its own that takes only the
//! catalogue and the leaves from the client side. The test reads every file's `crate::`
//! and `super::` paths (test code aside) and fails naming any import that points up or
//! sideways, and any circle between the files of one folder.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module's layer: a module may import only modules of a lower layer.
const LAYERS: &[(&str, u8)] = &[
    ("main", 12),
    ("mcp", 11),
    ("commands", 10),
    ("image", 8),
    ("video", 8),
    ("gallery", 8),
    ("config", 7),
    ("api", 6),
    ("files", 5),
    ("journal", 5),
    ("emulator", 4),
    ("cli", 4),
    ("catalogue", 3),
    ("term", 2),
    ("interrupt", 1),
    ("outcome", 1),
    ("retry", 1),
    ("shard", 1),
    ("error", 0),
    ("layers", 0),
];

/// Modules that only some may import, whatever their layer: clap types stay in the front
/// ends, and the emulator is started by `wan emulator` alone.
const ONLY_IMPORTED_BY: &[(&str, &[&str])] =
    &[("cli", &["main", "mcp", "commands"]), ("emulator", &["main", "commands"])];

/// Modules that may import only these, whatever their layer.
/// The journal knows strings, numbers and its own types: of the house it takes only the
/// error, the shard, the interrupt (to register its flush) and the terminal (to warn).
const ONLY_IMPORTS: &[(&str, &[&str])] =
    &[("emulator", &["catalogue", "error", "retry", "outcome"]), ("journal", &["error", "shard", "interrupt", "term"])];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(name, _)| *name == module).map(|(_, layer)| *layer)
}

/// Why `from` may not import `to`, if it may not.
fn refusal(from: &str, to: &str) -> Option<String> {
    if from == to {
        return None;
    }
    let (Some(from_layer), Some(to_layer)) = (layer(from), layer(to)) else {
        return Some(format!("{from} or {to} has no layer in src/layers.rs"));
    };
    if let Some((_, importers)) = ONLY_IMPORTED_BY.iter().find(|(name, _)| *name == to)
        && !importers.contains(&from)
    {
        return Some(format!("only {} may import {to}", importers.join(", ")));
    }
    if let Some((_, allowed)) = ONLY_IMPORTS.iter().find(|(name, _)| *name == from) {
        return (!allowed.contains(&to)).then(|| format!("{from} may import only {}", allowed.join(", ")));
    }
    if to_layer >= from_layer {
        let how = if to_layer == from_layer { "sideways" } else { "up" };
        return Some(format!("points {how}: {from} is layer {from_layer}, {to} is layer {to_layer}"));
    }
    None
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// A file's module path from the crate root: `src/image/run.rs` is `[image, run]`,
/// `src/image/mod.rs` is `[image]`, `src/main.rs` is `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src/");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "main" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file without comments and without the items marked `#[cfg(test)]`.
fn production_code(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            // Skip the item that follows: one line ending in `;`, or up to its closing brace.
            let mut depth = 0i64;
            for item in lines.by_ref() {
                depth += item.matches('{').count() as i64 - item.matches('}').count() as i64;
                if depth <= 0 && (item.trim_end().ends_with(';') || item.trim_end().ends_with('}')) {
                    break;
                }
            }
            continue;
        }
        let line = line.split("//").next().unwrap_or("");
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The module paths a file's code names: `crate::a::b…` as `[a, b]` (each name of a
/// `{…}` group after `a::` counted), and `super::…` resolved from the file's own path.
fn imports(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (start, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
        if start > 0
            && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_' || bytes[start - 1] == b':')
        {
            continue;
        }
        let mut base: Vec<String> = Vec::new();
        let mut rest = &code[start..];
        if rest.starts_with("crate::") {
            rest = &rest["crate::".len()..];
        } else {
            // `super::super::x`: up one level each, from the file's module.
            base = module.to_vec();
            while let Some(after) = rest.strip_prefix("super::") {
                base.pop();
                rest = after;
            }
        }
        let first: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if first.is_empty() {
            // `crate::{a, b::c}`: each member of the group names a module of its own.
            if let Some(group) = rest.strip_prefix('{') {
                found.extend(group_members(group).map(|name| [base.clone(), vec![name]].concat()));
            }
            continue;
        }
        let mut path = base;
        path.push(first.clone());
        let after = &rest[first.len()..];
        if let Some(next) = after.strip_prefix("::") {
            let second: String = next.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !second.is_empty() {
                path.push(second);
            } else if let Some(group) = next.strip_prefix('{') {
                found.extend(
                    group_members(group).filter(|n| n != "self").map(|name| [path.clone(), vec![name]].concat()),
                );
            }
        }
        found.push(path);
    }
    found
}

/// The first name of each member of a `{…}` group (the text after its `{`).
fn group_members(group: &str) -> impl Iterator<Item = String> + '_ {
    let end = group.find('}').unwrap_or(group.len());
    group[..end]
        .split(',')
        .map(|member| member.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|name| !name.is_empty())
}

struct Tree {
    /// Each file's module path and the module paths its code names.
    files: Vec<(PathBuf, Vec<String>, Vec<Vec<String>>)>,
}

impl Tree {
    fn read() -> Self {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        sources(&src, &mut paths);
        paths.sort();
        let files = paths
            .into_iter()
            .map(|file| {
                let module = module_path(&src, &file);
                let text = fs::read_to_string(&file).expect("a source file");
                // A file that is test code whole (`#![cfg(test)]`, as this one) is no layer's.
                let code = if text.contains("\n#![cfg(test)]") || text.starts_with("#![cfg(test)]") {
                    String::new()
                } else {
                    production_code(&text)
                };
                let named = imports(&module, &code);
                (file.strip_prefix(&src).expect("under src/").to_path_buf(), module, named)
            })
            .collect();
        Self { files }
    }

    /// The file a module path names within `folder` (`[image, run, Printer]` in `image`
    /// is `run`), if it names a file of that folder other than its `mod.rs`.
    fn sibling<'a>(&self, folder: &[String], path: &'a [String]) -> Option<&'a str> {
        let name = path.get(folder.len())?;
        let exists = self.files.iter().any(|(_, module, _)| {
            module.len() == folder.len() + 1
                && module.ends_with(std::slice::from_ref(name))
                && module.starts_with(folder)
        });
        (path.starts_with(folder) && exists).then_some(name.as_str())
    }
}

#[test]
fn every_import_points_down() {
    let tree = Tree::read();
    let mut wrong = BTreeSet::new();
    for (file, module, named) in &tree.files {
        let from = module.first().map_or("main", String::as_str);
        for path in named {
            let Some(to) = path.first() else { continue };
            if layer(to).is_none() && !tree.files.iter().any(|(_, m, _)| m.first() == Some(to)) {
                continue; // an item of the crate root (`crate::Cli` from main's tests), not a module
            }
            if let Some(why) = refusal(from, to) {
                wrong.insert(format!("src/{}: crate::{} — {why}", file.display(), path.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that break the layers:\n{}", wrong.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn every_module_has_a_layer() {
    let tree = Tree::read();
    let modules: BTreeSet<&str> = tree.files.iter().map(|(_, m, _)| m.first().map_or("main", String::as_str)).collect();
    let missing: Vec<&str> = modules.into_iter().filter(|m| layer(m).is_none()).collect();
    assert!(missing.is_empty(), "top-level modules with no layer in src/layers.rs: {missing:?}");
}

#[test]
fn no_circle_between_the_files_of_a_folder() {
    let tree = Tree::read();
    // Edges between sibling files, per folder (`mod.rs` counts as a file of its folder).
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (_, module, named) in &tree.files {
        if module.is_empty() {
            continue;
        }
        let is_mod_rs = tree.files.iter().any(|(_, other, _)| other.len() > module.len() && other.starts_with(module));
        let (folder, me) = if is_mod_rs {
            (module.clone(), "mod".to_string())
        } else {
            (module[..module.len() - 1].to_vec(), module[module.len() - 1].clone())
        };
        for path in named {
            if let Some(sibling) = tree.sibling(&folder, path) {
                if sibling != me {
                    edges.entry(folder.clone()).or_default().entry(me.clone()).or_default().insert(sibling.to_string());
                }
            } else if path == &folder && !is_mod_rs {
                // `crate::image::Thing`: an item of the folder's `mod.rs`.
                edges.entry(folder.clone()).or_default().entry(me.clone()).or_default().insert("mod".to_string());
            }
        }
    }
    let mut circles = Vec::new();
    for (folder, graph) in &edges {
        for start in graph.keys() {
            if let Some(cycle) = circle_through(graph, start) {
                let name = if folder.is_empty() { "src".to_string() } else { format!("src/{}", folder.join("/")) };
                circles.push(format!("{name}: {}", cycle.join(" → ")));
            }
        }
    }
    circles.sort();
    circles.dedup();
    assert!(circles.is_empty(), "files that import each other in a circle:\n{}", circles.join("\n"));
}

/// A path from `start` back to itself, if there is one.
fn circle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn the_checker_finds_what_it_should() {
    assert!(refusal("files", "image").is_some(), "up");
    assert!(refusal("image", "video").is_some(), "sideways");
    assert!(refusal("image", "cli").is_some(), "clap types in an engine");
    assert!(refusal("emulator", "files").is_some(), "the emulator beyond the catalogue");
    assert!(refusal("commands", "image").is_none());
    let module = vec!["image".to_string(), "run".to_string()];
    let named = imports(
        &module,
        "use crate::files::{fetch, output::X};\nuse super::save;\nlet x = crate::catalogue::profile(m);",
    );
    assert!(named.contains(&vec!["files".into(), "fetch".into()]), "{named:?}");
    assert!(named.contains(&vec!["files".into(), "output".into()]), "{named:?}");
    assert!(named.contains(&vec!["image".into(), "save".into()]), "{named:?}");
    assert!(named.contains(&vec!["catalogue".into(), "profile".into()]), "{named:?}");
    let code = production_code("use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n// crate::c\n");
    assert_eq!(imports(&[], &code), vec![vec!["a".to_string()]]);
}
