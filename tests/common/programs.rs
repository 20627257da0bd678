//! Tests that drive a real program (Chromium, tmux). Where the program is missing they say so
//! and are skipped, so that `cargo test` passes on a machine with only Rust; under `CI=true`
//! (as `.ci/run` runs, after installing them) a missing program fails the test.

use std::io::Write;
use std::process::{Command, Stdio};

/// Whether `program` can be run (`program VERSION_FLAG` succeeds). When it cannot: outside CI,
/// prints which test is skipped and how to run it, and returns false; under `CI=true`, panics.
pub fn available(program: &str, version_flag: &str, test: &str) -> bool {
    let runs = Command::new(program)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        return true;
    }
    let how = format!("apt-get install {program}, or run bash .ci/run, which installs it");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test} needs {program}, which is missing under CI=true ({how})");
    }
    // Written to the process's stderr, past the test harness's capture, so that it shows.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {program} is not installed ({how})"
    );
    false
}
