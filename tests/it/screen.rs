//! The terminal report as a person sees it: golden screens at 80 and 120 columns, and the same
//! screen captured from a real terminal (tmux), where amlsec measures the width itself.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;

use crate::common::golden;

fn screen(example: &str, columns: &str, extra: &[&str]) -> String {
    let out = cargo_bin_cmd!("amlsec")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", columns)
        .args(["audit", "--snapshot", example, "--color", "never"])
        .args(extra)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn screens_at_80_and_120_columns_match_their_golden_files() {
    for (example, columns, extra, name) in [
        (
            "examples/default-workspace.json",
            "80",
            &[][..],
            "screen-default-80.txt",
        ),
        (
            "examples/default-workspace.json",
            "120",
            &[][..],
            "screen-default-120.txt",
        ),
        (
            "examples/hub-and-project.json",
            "120",
            &["--level", "2"][..],
            "screen-hub-120.txt",
        ),
        (
            "examples/hardened-workspace.json",
            "80",
            &["--show", "manual"][..],
            "screen-hardened-manual-80.txt",
        ),
    ] {
        let text = screen(example, columns, extra);
        let width: usize = columns.parse().unwrap();
        // Every line fits but a fix command and a docs URL, which are printed whole for the
        // terminal to wrap, so that they copy as they are.
        let mut after_fix = false;
        for line in text.lines() {
            let whole = after_fix || line.trim_start().starts_with("Docs: ");
            after_fix = line.trim() == "Fix:"
                || (after_fix
                    && !line.trim().is_empty()
                    && !line.trim_start().starts_with("Docs: "));
            assert!(
                whole || line.chars().count() <= width,
                "{name}: wider than {width}: {line}"
            );
        }
        golden::assert_golden(name, &text);
    }
}

#[test]
fn what_matters_most_comes_first_and_the_summary_last() {
    let text = screen("examples/default-workspace.json", "80", &[]);
    // The workspace's section; its registry follows, with findings of its own.
    let (workspace, registry) = text.split_once("\nAML registries\n").unwrap();
    assert!(registry.contains("  HIGH     AML-NS-32"));
    let lines: Vec<&str> = workspace.lines().collect();
    let first_finding = lines.iter().position(|l| l.starts_with("  HIGH ")).unwrap();
    assert!(
        first_finding < 16,
        "the first high finding is near the top, after the overview of the workspace and the registry: line {first_finding}"
    );
    let last_high = lines
        .iter()
        .rposition(|l| l.starts_with("  HIGH "))
        .unwrap();
    let first_medium = lines
        .iter()
        .position(|l| l.starts_with("  MEDIUM "))
        .unwrap();
    assert!(last_high < first_medium, "most severe first");
    assert!(
        text.contains(
            "Fix:\n           az storage account update -g rg-ml-sandbox -n stquickstart --https-only true --min-tls-version TLS1_2\n"
        ),
        "names filled in, the command whole on its own line"
    );
    assert!(
        text.contains("Docs: https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version\n"),
        "the URL whole, even at 80 columns"
    );
    assert!(
        text.lines().last().unwrap().contains("not applicable"),
        "the summary is the last line"
    );
    assert!(text.contains("20 manual controls need a person's answer"));
    assert!(
        !text.contains("AML-AM-04  AML asset inventory"),
        "manual guidance only on request"
    );
}

#[test]
fn a_real_terminal_is_measured_by_amlsec_itself() {
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", "amlsec-tests", "-f", "/dev/null"])
            .args(args)
            .output()
    };
    if !crate::common::programs::available(
        "tmux",
        "-V",
        "screen::a_real_terminal_is_measured_by_amlsec_itself",
    ) {
        return;
    }
    let session = format!("screen-{}", std::process::id());
    let command = format!(
        "cd {} && env -u COLUMNS {} audit --snapshot examples/default-workspace.json --color never 2>/dev/null; echo __done__; sleep 60",
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_amlsec")
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "80",
        "-y",
        "50",
        &command,
    ])
    .unwrap();
    let started = Instant::now();
    let captured = loop {
        // -J joins the lines the terminal wrapped: amlsec prints fix commands and URLs whole.
        let out = tmux(&[
            "capture-pane",
            "-t",
            &session,
            "-p",
            "-J",
            "-S",
            "-",
            "-E",
            "-",
        ])
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if text.contains("__done__") || started.elapsed() > Duration::from_secs(20) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = tmux(&["kill-session", "-t", &session]);
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/screen-default-80.txt"),
    )
    .unwrap();
    let shown = captured.split("__done__").next().unwrap();
    assert_eq!(
        shown.trim_end(),
        expected.trim_end(),
        "the terminal shows the 80-column screen"
    );
}
