//! The HTML report in a real browser (Chromium from Debian's packages; .ci/run installs it):
//! it renders under its own strict Content-Security-Policy, the filters hide what they should,
//! it prints, and nothing from the estate can become markup.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn audit(snapshot: &Path, format: &str) -> Vec<u8> {
    let out = cargo_bin_cmd!("amlsec")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["audit", "--snapshot"])
        .arg(snapshot)
        .args(["--level", "2", "--format", format])
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    out.stdout
}

/// Runs headless Chromium on the page with `args`, at most a minute, and returns its stdout.
fn chromium(page: &Path, fragment: &str, args: &[&str]) -> String {
    // Each run gets its own profile and output file.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let name = format!("run-{}", RUNS.fetch_add(1, Ordering::Relaxed));
    let profile = scratch(&format!("{name}-profile"));
    // A file, not a pipe: a DOM larger than the pipe's buffer would block Chromium.
    let stdout_path = scratch(&format!("{name}.out"));
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}{fragment}", page.display()))
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium is needed for this test (apt-get install chromium; .ci/run installs it)");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium failed: {status}");
    std::fs::read_to_string(stdout_path).unwrap()
}

/// The number of rows the page's script left shown (it writes it on `<body>`).
fn shown(dom: &str) -> usize {
    let at = dom
        .find("data-shown=\"")
        .unwrap_or_else(|| panic!("the filter script did not run (blocked by the CSP?)"));
    let rest = &dom[at + 12..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

#[test]
fn the_page_renders_filters_and_prints_in_a_real_browser() {
    if !crate::common::programs::available(
        "chromium",
        "--version",
        "html::the_page_renders_filters_and_prints_in_a_real_browser",
    ) {
        return;
    }
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hub-and-project.json");
    let page = scratch("hub-and-project.html");
    std::fs::write(&page, audit(&snapshot, "html")).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in ["src=", "<link", "url(", "@import", "http://"] {
        assert!(
            !html.contains(outside),
            "the page loads something: {outside}"
        );
    }
    // Documentation links are the only addresses, and only in anchors.
    let links = html.matches("<a class=\"docs\" href=\"https://").count();
    assert!(links > 0);
    assert_eq!(html.matches("https://").count(), links);
    let report: Value = serde_json::from_slice(&audit(&snapshot, "json")).unwrap();
    let results: Vec<&Value> = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["results"].as_array().unwrap())
        .collect();
    let count = |severity: &[&str], status: &[&str]| {
        results
            .iter()
            .filter(|r| {
                severity.contains(&r["severity"].as_str().unwrap())
                    && status.contains(&r["status"].as_str().unwrap())
            })
            .count()
    };

    // By default what needs someone: failures, errors, waivers and unknowns.
    let every_severity = ["critical", "high", "medium", "low"];
    let default = shown(&chromium(&page, "", &["--dump-dom"]));
    assert_eq!(
        default,
        count(&every_severity, &["fail", "error", "waived", "unknown"])
    );
    let all = shown(&chromium(
        &page,
        "#status=fail,error,waived,unknown,manual,pass,not_applicable",
        &["--dump-dom"],
    ));
    assert_eq!(all, results.len());
    let high_fail = shown(&chromium(
        &page,
        "#severity=high&status=fail",
        &["--dump-dom"],
    ));
    assert_eq!(high_fail, count(&["high"], &["fail"]));
    assert!(high_fail > 0 && high_fail < all);
    let manual = shown(&chromium(
        &page,
        "#status=manual,error&severity=critical,high,medium,low",
        &["--dump-dom"],
    ));
    assert_eq!(
        manual,
        count(&["critical", "high", "medium", "low"], &["manual", "error"])
    );

    // A blank page compresses to a few kilobytes; a drawn one does not.
    let png = scratch("hub-and-project.png");
    let _ = std::fs::remove_file(&png);
    chromium(
        &page,
        "",
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", png.display()),
        ],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 40_000,
        "{} bytes",
        bytes.len()
    );

    let pdf = scratch("hub-and-project.pdf");
    let _ = std::fs::remove_file(&pdf);
    chromium(&page, "", &[&format!("--print-to-pdf={}", pdf.display())]);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
}

/// Every text the page shows comes from somewhere a user or an estate controls: documents
/// (every string of every document but ids and types), rule files (titles, guidance, fixes),
/// exceptions (reasons) and answers. Poisoned all at once, none of it becomes markup or breaks
/// out of an attribute.
#[test]
fn no_text_from_documents_rules_exceptions_or_answers_becomes_markup() {
    const POISON: &str =
        "<img src=x onerror=alert(1)><script>alert(2)</script>\" onmouseover=\"alert(3)";
    fn poison(v: &mut Value, key: &str) {
        match v {
            Value::String(s) if !matches!(key, "id" | "type") && !s.starts_with('/') => {
                s.push_str(POISON)
            }
            Value::Array(items) => items.iter_mut().for_each(|x| poison(x, key)),
            Value::Object(o) => o.iter_mut().for_each(|(k, x)| poison(x, k)),
            _ => {}
        }
    }
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/default-workspace.json");
    let mut docs: Value = serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    poison(&mut docs, "");
    let snapshot = scratch("hostile.json");
    std::fs::write(&snapshot, serde_json::to_vec(&docs).unwrap()).unwrap();
    let quoted = serde_json::to_string(POISON).unwrap();
    let rules = scratch("hostile-rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "category: network\ncontrols:\n  - id: AML-NS-01\n    title: {quoted}\n    severity: high\n    level: 1\n    mode: automated\n    target: workspace\n    pass: {{field: properties.publicNetworkAccess, equals: Disabled}}\n    remediation: {quoted}\n    docs: https://learn.microsoft.com/x?a=\"><script>\n  - id: AML-X-01\n    title: {quoted}\n    severity: low\n    level: 1\n    mode: manual\n    target: workspace\n    guidance: {quoted}\n    docs: https://learn.microsoft.com/y\n"
        ),
    )
    .unwrap();
    let exceptions = scratch("hostile-exceptions.yaml");
    std::fs::write(
        &exceptions,
        format!("- control: AML-NS-02\n  resource: '*'\n  reason: {quoted}\n  expires: 2027-06-01\n  approvedBy: {quoted}\n"),
    )
    .unwrap();
    let answers = scratch("hostile-answers.yaml");
    std::fs::write(
        &answers,
        format!("- control: AML-X-01\n  verdict: partly\n  answer: {quoted}\n  answeredBy: {quoted}\n  answeredOn: 2026-12-01\n  expires: 2027-05-31\n"),
    )
    .unwrap();
    let out = cargo_bin_cmd!("amlsec")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["audit", "--snapshot"])
        .arg(&snapshot)
        .args(["--rules"])
        .arg(&rules)
        .args(["--exceptions"])
        .arg(&exceptions)
        .args(["--answers"])
        .arg(&answers)
        .args([
            "--level",
            "2",
            "--format",
            "html",
            "--status",
            "fail,pass,error,manual,not_applicable,waived",
        ])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(!html.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // The poison is there, as text, from each kind of source.
    let shown = "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;&quot; onmouseover=&quot;alert(3)";
    assert!(html.matches(shown).count() >= 5, "{html}");
    assert!(!html.contains("<img"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(
        !html.contains("\" onmouseover"),
        "no attribute is broken out of"
    );
}
