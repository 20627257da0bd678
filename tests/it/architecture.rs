//! The import direction ARCHITECTURE.md names, checked on the source: a top-level module of the
//! library imports only the modules its "Layers" line puts before it, and no two files of one
//! folder import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers, lowest first, as the line of ARCHITECTURE.md that starts with "Layers" lists them
/// in backticks.
fn layers() -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Layers"))
        .expect("ARCHITECTURE.md has a line starting with `Layers`");
    line.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every `.rs` file under `dir`, but the binary (it may use everything).
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/estate/resolve.rs` -> `estate`).
fn top_module(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The names following `prefix::` in a text (`crate::graph::x` -> `graph`), comments included:
/// a doc link into a module above is as much a dependency on it.
fn named_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .filter(|(at, _)| {
            // `crate::` itself, not the end of another path such as `mycrate::`.
            text[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
        .map(|(at, _)| {
            text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

/// What `use super::{a, b::c}` and `super::a::` name among siblings.
fn siblings_named(text: &str) -> BTreeSet<String> {
    let mut names = named_after(text, "super::");
    for (at, _) in text.match_indices("use super::{") {
        let rest = &text[at + "use super::{".len()..];
        let list = &rest[..rest.find('}').unwrap_or(rest.len())];
        for item in list.split(',') {
            let name: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let layers = layers();
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut all = Vec::new();
    files(&src(), &mut all);
    let mut wrong = Vec::new();
    for file in &all {
        let module = top_module(file);
        if module == "lib" {
            continue;
        }
        let Some(&own) = rank.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module `{module}` is not named on ARCHITECTURE.md's Layers line",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in named_after(&text, "crate::") {
            match rank.get(used.as_str()) {
                Some(&r) if r < own || used == module => {}
                Some(_) => wrong.push(format!(
                    "{}: `{module}` imports `{used}`, which is not below it",
                    file.display()
                )),
                None => wrong.push(format!(
                    "{}: `{module}` imports `{used}`, which the Layers line does not name",
                    file.display()
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_two_files_of_a_folder_import_each_other() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    // folder -> file stem -> the sibling stems it names through `super::`
    let mut folders: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &all {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        if stem == "mod" || stem == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        // A unit-test module's `super::` is its own file.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        folders
            .entry(file.parent().unwrap().to_path_buf())
            .or_default()
            .insert(stem, siblings_named(text));
    }
    let mut cycles = Vec::new();
    for (folder, stems) in &folders {
        for (a, named) in stems {
            for b in named {
                if a < b && stems.get(b).is_some_and(|back| back.contains(a)) {
                    cycles.push(format!(
                        "{}: {a}.rs and {b}.rs import each other",
                        folder.display()
                    ));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
}

#[test]
fn the_scan_sees_imports_in_every_form() {
    let text = "use crate::graph::{self, Link};\nlet w = crate::report::terminal_width();\n/// see [`crate::audit`]\nmycrate::x";
    assert_eq!(
        named_after(text, "crate::"),
        ["audit", "graph", "report"].map(String::from).into()
    );
    let text = "use super::{policy, derived::with_facts};\nsuper::table::short_id(x)";
    assert_eq!(
        siblings_named(text),
        ["derived", "policy", "table"].map(String::from).into()
    );
}

/// The library reports through what it returns and through the host's progress sink; only the
/// binary writes to the terminal (or builds the runtime that a live read runs on).
#[test]
fn only_the_binary_writes_to_the_terminal_or_starts_a_runtime() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let forbidden = [
        "std::io::stderr",
        "std::io::stdout",
        "eprintln!",
        "println!",
        "eprint!",
        "runtime::Builder",
    ];
    let mut found = Vec::new();
    for file in &all {
        let text = std::fs::read_to_string(file).unwrap();
        // Unit tests may print.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for word in forbidden {
            if code.contains(word) {
                found.push(format!("{} uses {word}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Lines of `text` without string and char literals and line comments, so that braces
/// inside them do not count.
fn code_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_string = false;
    for line in text.lines() {
        let mut code = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (in_string, c) {
                (true, '\\') => {
                    chars.next();
                }
                (true, '"') => in_string = false,
                (true, _) => {}
                (false, '"') => in_string = true,
                (false, '\'') => {
                    // A char literal ('{', '\'') is skipped; a lifetime is kept.
                    let rest: String = chars.clone().take(3).collect();
                    if rest.starts_with('\\') {
                        // `\`, the escaped character, then up to the closing quote.
                        chars.next();
                        chars.next();
                        for c in chars.by_ref() {
                            if c == '\'' {
                                break;
                            }
                        }
                    } else if rest.chars().nth(1) == Some('\'') {
                        chars.next();
                        chars.next();
                    } else {
                        code.push('\'');
                    }
                }
                (false, '/') if chars.peek() == Some(&'/') => break,
                (false, c) => code.push(c),
            }
        }
        lines.push(code);
    }
    lines
}

/// Every function of the library's non-test code longer than `limit` lines, with where it is.
fn functions_longer_than(limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let bin = src().join("bin");
    for file in std::fs::read_dir(bin.join("amlsec")).unwrap() {
        all.push(file.unwrap().path());
    }
    let mut long = Vec::new();
    for file in &all {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let lines = code_lines(code);
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim_start();
            let is_fn = line.starts_with("fn ")
                || ["pub ", "pub(crate) ", "pub(super) ", "const ", "async "]
                    .iter()
                    .any(|p| line.starts_with(p) && line.contains("fn "));
            if !is_fn {
                i += 1;
                continue;
            }
            let (mut depth, mut opened, mut end) = (0i64, false, i);
            for (j, l) in lines.iter().enumerate().skip(i) {
                for c in l.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                end = j;
                if (opened && depth == 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            let length = end - i + 1;
            if length > limit {
                long.push(format!("{}:{} ({length} lines)", file.display(), i + 1));
            }
            i = end + 1;
        }
    }
    long
}

/// The house rule of ARCHITECTURE.md: no function over 120 lines, no source file over 900.
#[test]
fn functions_and_files_stay_small() {
    assert_eq!(functions_longer_than(120), Vec::<String>::new());
    // The scan finds long functions: some of today's are over 100 lines.
    assert!(!functions_longer_than(100).is_empty());
    let mut all = Vec::new();
    files(&src(), &mut all);
    let long_files: Vec<String> = all
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().lines().count() > 900)
        .map(|f| f.display().to_string())
        .collect();
    assert_eq!(long_files, Vec::<String>::new());
}

#[test]
fn the_length_scan_skips_braces_in_literals() {
    let text = "let s = \"{{\"; let c = '{'; let e = '\\''; // {\nfn x<'a>() {}";
    assert_eq!(
        code_lines(text),
        ["let s = ; let c = ; let e = ; ", "fn x<'a>() {}"]
    );
}

/// The library's errors are typed (thiserror, sources kept): no function returns a bare
/// `String` as its error.
#[test]
fn library_errors_are_typed() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let found: Vec<String> = all
        .iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            code.lines().any(|l| {
                let l = l.replace(' ', "");
                l.contains("->") && l.contains("Result<") && l.contains(",String>")
            })
        })
        .map(|f| f.display().to_string())
        .collect();
    assert_eq!(found, Vec::<String>::new());
}
