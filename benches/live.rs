//! Live collection against the fake ARM with 50 ms of latency per request (DESIGN §11: one
//! workspace in under 5 × 50 ms + 100 ms; 100 workspaces at concurrency 16 within
//! 1.3 × (requests / 16) × 50 ms).
//!
//! Run: cargo bench --bench live

#[path = "../tests/common/fake_arm.rs"]
mod fake_arm;

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use amlsec::source::snapshot;
use fake_arm::FakeArm;
use support::estate;

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/hardened-workspace.json"
);
const LATENCY: Duration = Duration::from_millis(50);

fn run(fake: &FakeArm, args: &[&str]) -> (Duration, usize) {
    let before = fake.seen().len();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_amlsec"))
        .args([
            "audit",
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--level",
            "2",
            "--format",
            "json",
            "--quiet",
        ])
        .args(args)
        .env("AMLSEC_ACCESS_TOKEN", "bench-token")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, fake.seen().len() - before)
}

fn main() {
    let sub = "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a";
    let one = snapshot::load(std::path::Path::new(EXAMPLE), amlsec::input::SNAPSHOT_LIMIT).unwrap();
    let fake = FakeArm::start(one, 100, LATENCY, vec![]);
    let ws = format!(
        "/subscriptions/{sub}/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardened"
    );
    let mut runs: Vec<(Duration, usize)> =
        (0..5).map(|_| run(&fake, &["--workspace", &ws])).collect();
    runs.sort();
    let (median, requests) = runs[2];
    println!(
        "1 workspace: {requests} requests, median wall {:.0} ms (target < {} ms; 4 dependent steps x 50 ms = 200 ms)",
        median.as_secs_f64() * 1e3,
        5 * 50 + 100
    );

    let many = snapshot::parse("many", estate(100).as_bytes()).unwrap();
    let fake = FakeArm::start(many, 100, LATENCY, vec![]);
    for concurrency in ["16", "64"] {
        let (elapsed, requests) = run(
            &fake,
            &["--subscription", sub, "--concurrency", concurrency],
        );
        let floor = requests as f64 / concurrency.parse::<f64>().unwrap() * 50.0;
        println!(
            "100 workspaces at concurrency {concurrency}: {requests} requests, wall {:.0} ms (requests/{concurrency} x 50 ms = {floor:.0} ms; target 1.3x = {:.0} ms)",
            elapsed.as_secs_f64() * 1e3,
            floor * 1.3
        );
    }
}
