//! Golden files: compared byte for byte, rewritten only when `UPDATE_GOLDEN=1` is set (no other
//! value), and a mismatch shows where the texts part.

use std::path::Path;

/// Asserts that `actual` equals the golden file `name` under `tests/golden/`.
pub fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if regenerate(std::env::var("UPDATE_GOLDEN").ok().as_deref()) {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some(diff) = diff(&expected, actual) {
        panic!(
            "{name} differs from tests/golden (- golden, + now):\n{diff}\nIf the change is intended, rerun with UPDATE_GOLDEN=1 and review `git diff`."
        );
    }
}

/// Only the explicit opt-in regenerates: `UPDATE_GOLDEN=0` or `=true` do not.
pub fn regenerate(value: Option<&str>) -> bool {
    value == Some("1")
}

/// The lines around the first difference, or None when the texts are equal.
pub fn diff(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let (old, new): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = old
        .iter()
        .zip(&new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    let from = first.saturating_sub(3);
    let mut out = format!("@@ line {} @@\n", first + 1);
    for line in &old[from..first] {
        out.push_str(&format!("  {line}\n"));
    }
    for line in old.iter().skip(first).take(8) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in new.iter().skip(first).take(8) {
        out.push_str(&format!("+ {line}\n"));
    }
    if old.len() != new.len() {
        out.push_str(&format!(
            "({} lines golden, {} now)\n",
            old.len(),
            new.len()
        ));
    }
    Some(out)
}

#[test]
fn golden_files_regenerate_only_on_explicit_request() {
    assert!(regenerate(Some("1")));
    for other in [None, Some(""), Some("0"), Some("true"), Some("yes")] {
        assert!(!regenerate(other), "{other:?}");
    }
    assert_eq!(diff("a\nb\n", "a\nb\n"), None);
    let d = diff("a\nb\nc\n", "a\nB\nc\n").unwrap();
    assert!(
        d.contains("@@ line 2 @@") && d.contains("- b") && d.contains("+ B"),
        "{d}"
    );
}
