//! The core's module graph is layered: a module may use only modules of a lower layer (the
//! base first: model, provider traits, error, clock, store), never one of its own layer or
//! above, so the graph has no cycle. Read from the sources (test code excluded), through the
//! crate root's re-exports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every top-level module and its layer, lowest first.
const LAYERS: &[(&str, u32)] = &[
    ("text", 0),
    ("model", 0),
    ("log", 0),
    ("provider", 1),
    ("error", 2),
    ("clock", 3),
    ("store", 4),
    ("limits", 5),
    ("state", 5),
    ("transition", 5),
    ("event", 6),
    ("diff", 6),
    ("conformance", 7),
    ("history", 8),
    ("session", 8),
    ("retry", 9),
    ("memory", 10),
    ("input", 10),
    ("engine", 11),
    ("manifest", 11),
    ("fuzzing", 11),
    ("pull", 12),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module of a source file (`retry/worker.rs` is `retry`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its test module and comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names the crate root re-exports, with the module each comes from.
fn root_names() -> BTreeMap<String, String> {
    let lib = code(&src().join("lib.rs"));
    let mut names = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = rest.split("::").next().unwrap().trim().to_owned();
        let list = match (rest.find('{'), rest.rfind('}')) {
            (Some(a), Some(b)) => rest[a + 1..b].to_owned(),
            _ => rest.rsplit("::").next().unwrap().to_owned(),
        };
        for name in list.split(',') {
            let name = name.trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.clone());
            }
        }
    }
    names
}

/// The modules a file's code names through `crate::`.
fn used_modules(code: &str, root: &BTreeMap<String, String>) -> Vec<String> {
    let mut used = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with('$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            let list = &list[..list.find('}').unwrap_or(list.len())];
            for name in list.split(',') {
                if let Some(module) = root.get(name.trim()) {
                    used.push(module.clone());
                }
            }
            continue;
        }
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if word.starts_with(|c: char| c.is_uppercase()) {
            used.extend(root.get(&word).cloned());
        } else if !word.is_empty() {
            used.push(word);
        }
    }
    used
}

#[test]
fn every_module_uses_only_lower_layers() {
    let layers: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let root = root_names();
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut violations = Vec::new();
    for file in files {
        let module = module_of(&file);
        if module == "lib" {
            continue;
        }
        let own = *layers
            .get(module.as_str())
            .unwrap_or_else(|| panic!("module `{module}` has no layer in LAYERS"));
        for used in used_modules(&code(&file), &root) {
            if used == module {
                continue;
            }
            let theirs = *layers
                .get(used.as_str())
                .unwrap_or_else(|| panic!("{} uses `{used}`, which has no layer", file.display()));
            if theirs >= own {
                violations.push(format!(
                    "{} (layer {own}) uses `{used}` (layer {theirs})",
                    file.strip_prefix(src()).unwrap().display()
                ));
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "upward or sideways uses:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_a_use_through_the_root() {
    let root = root_names();
    assert_eq!(root.get("StatusService").map(String::as_str), Some("retry"));
    let used = used_modules(
        "fn f(_: crate::StatusService, _: crate::model::Task) {}",
        &root,
    );
    assert_eq!(used, vec!["retry".to_owned(), "model".to_owned()]);
}
