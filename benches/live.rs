//! Live collection against the fake ARM with 50 ms of latency per request and two items per
//! list page (DESIGN §11: one workspace within 1.2 × its longest chain of dependent requests
//! + 50 ms; 100 workspaces within 1.2 × (requests / concurrency) × 50 ms).
//!
//! Tenant scale: workspaces spread over subscriptions, 20 ms per request, read through Azure
//! Resource Graph and by GET only: requests per workspace (DESIGN §11: at most 10 through the
//! graph) and wall time, at concurrency 16 and 64. AMLSEC_BENCH_TENANT=WORKSPACES/SUBSCRIPTIONS
//! sets the size [default: 400/40; the is 2000/200]; AMLSEC_BENCH_TENANT_ONLY=1 runs only
//! the tenant estates (even, and hot: a quarter of the workspaces in one subscription);
//! AMLSEC_BENCH_ESTATE=even (or hot) only that one.
//!
//! AMLSEC_BENCH_CPU=1 adds the CPU time of amlsec and of the fake to each tenant run (both share
//! this machine's cores).
//!
//! AMLSEC_BENCH_MEMORY=1 (with AMLSEC_BENCH_TENANT) measures instead the peak RSS of a live
//! audit and of `amlsec collect` on the even estate (Resource Graph on, no throttling) against
//! the size of the snapshot `collect` writes (DESIGN §11: at most 2x). Needs /usr/bin/time.
//!
//! Run: cargo bench --bench live

// Test and benchmark code may panic on what it sets up itself.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/fake_arm.rs"]
mod fake_arm;

mod support;

#[path = "support/chain.rs"]
mod chain;

use std::process::Command;
use std::time::{Duration, Instant};

use amlsec::source::snapshot;
use fake_arm::FakeArm;
use support::{estate, estate_with_hot};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/hardened-workspace.json"
);
const LATENCY: Duration = Duration::from_millis(50);

fn run(fake: &FakeArm, args: &[&str]) -> (Duration, usize) {
    let (elapsed, requests, _) = run_report(fake, args);
    (elapsed, requests)
}

fn run_report(fake: &FakeArm, args: &[&str]) -> (Duration, usize, serde_json::Value) {
    let (elapsed, seen, report) = run_seen(fake, args);
    (elapsed, seen.len(), report)
}

/// A run's wall time, the requests it made, and its JSON report.
fn run_seen(fake: &FakeArm, args: &[&str]) -> (Duration, Vec<fake_arm::Seen>, serde_json::Value) {
    let before = fake.seen().len();
    let fake_cpu = own_cpu_seconds();
    // The report goes to a file, as `amlsec audit ... > report.json` writes it: read through a
    // pipe, this process's copying of hundreds of megabytes would be timed as amlsec's.
    let report_path =
        std::env::temp_dir().join(format!("amlsec-bench-{}.json", std::process::id()));
    let report_file = std::fs::File::create(&report_path).unwrap();
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%U %S", env!("CARGO_BIN_EXE_amlsec")])
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
        .stdout(report_file)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap_or_default();
    let _ = std::fs::remove_file(&report_path);
    // Both run on this machine's cores: when their CPU time nears cores x wall, the wall time
    // measures the machine, not the scheduling.
    let amlsec_cpu: f64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    let seen = fake.seen().split_off(before);
    if std::env::var_os("AMLSEC_BENCH_CPU").is_some() {
        // Where the wall time went: before the first request (sign-in, start), between the
        // first and the last, and after the last (building the store, evaluating, the report).
        let since = |at: Option<&fake_arm::Seen>| {
            at.map_or(0.0, |s| s.at.duration_since(started).as_secs_f64())
        };
        let (first, last) = (since(seen.first()), since(seen.last()));
        // Requests arriving per second: at 20 ms each and 16 at once, at most 800.
        let mut per_second = vec![0usize; last as usize + 1];
        for s in &seen {
            per_second[s.at.duration_since(started).as_secs() as usize] += 1;
        }
        if std::env::var_os("AMLSEC_BENCH_TIMELINE").is_some() {
            println!("  requests per second: {per_second:?}");
        }
        println!(
            "  CPU: amlsec {amlsec_cpu:.1} s, fake {:.1} s, in {:.1} s wall on {} cores; requests from {first:.1} s to {last:.1} s",
            own_cpu_seconds() - fake_cpu,
            elapsed.as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    (elapsed, seen, report)
}

/// This process's CPU time (user and system), from /proc; 0 where there is none.
fn own_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime, in clock ticks of 1/100 s) follow the `)` of the name.
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Whether a request reads what Resource Graph indexes by GET: the document of an indexed
/// type by id, a subnet of a virtual network, or the Defender pricing list. The others (lists,
/// types the graph does not index, the graph's own queries) are the residual reads DESIGN §11
/// measures requests against.
fn spared_by_graph(seen: &fake_arm::Seen) -> bool {
    use amlsec::graph::indexed::{INDEXED, Yields};
    if seen.method != "GET" {
        return false;
    }
    let path = seen.path_and_query.split('?').next().unwrap_or_default();
    let indexed = |t: &str, yields: Yields| {
        INDEXED
            .iter()
            .any(|i| i.yields == yields && i.resource_type.eq_ignore_ascii_case(t))
    };
    match amlsec::arm_id::derive_type(path) {
        Some(t) if indexed(&t, Yields::Document) => true,
        Some(t) => t
            .strip_suffix("/subnets")
            .is_some_and(|v| indexed(v, Yields::Subnets)),
        None => amlsec::arm_id::derive_type(&format!("{path}/x"))
            .is_some_and(|t| indexed(&t, Yields::SubscriptionList)),
    }
}

fn main() {
    if std::env::var_os("AMLSEC_BENCH_MEMORY").is_some() {
        return memory();
    }
    if std::env::var_os("AMLSEC_BENCH_TENANT_ONLY").is_some() {
        return tenant();
    }
    let sub = "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a";
    let rules = amlsec::rules::RuleSet::load(&amlsec::rules::RuleSource::builtin()).unwrap();
    let selection = amlsec::audit::Selection {
        level: 2,
        ..Default::default()
    };
    let wanted = amlsec::audit::needs(&selection.apply(&rules).unwrap());
    let one = snapshot::load(std::path::Path::new(EXAMPLE), amlsec::input::SNAPSHOT_LIMIT).unwrap();
    // Two items per page, as the link-graph issue measured: paged lists make long chains.
    let fake = FakeArm::start(one, 2, LATENCY, vec![]);
    let ws = format!(
        "/subscriptions/{sub}/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardened"
    );
    let chain = chain::longest_chain(&fake, &ws, &wanted);
    let chain_ms = chain as f64 * 50.0;
    let mut runs: Vec<(Duration, usize)> =
        (0..5).map(|_| run(&fake, &["--workspace", &ws])).collect();
    runs.sort();
    let (median, requests) = runs[2];
    println!(
        "1 workspace, 2 items per page: {requests} requests, median wall {:.0} ms; longest dependent chain {chain} requests = {chain_ms:.0} ms (target 1.2x + 50 = {:.0} ms)",
        median.as_secs_f64() * 1e3,
        chain_ms * 1.2 + 50.0
    );

    let many = snapshot::parse("many", estate(100).as_bytes()).unwrap();
    let fake = FakeArm::start(many, 2, LATENCY, vec![]);
    // Workspaces are read as discovery pages arrive: the longest chain is the last page of
    // discovery followed by one workspace's own chain, or a workspace's chain through the
    // subscription-wide lists (locks, SQL servers), which are now 100 times longer.
    let discovery =
        format!("/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/workspaces");
    let discovery_pages = fake.served(&discovery).map_or(1, |w| w.len().div_ceil(2));
    let ws0 = format!(
        "/subscriptions/{sub}/resourceGroups/rg-ml-0/providers/Microsoft.MachineLearningServices/workspaces/mlw-0"
    );
    let chain_ms =
        (discovery_pages + chain).max(chain::longest_chain(&fake, &ws0, &wanted)) as f64 * 50.0;
    for concurrency in ["16", "64", "256"] {
        let (elapsed, requests) = run(
            &fake,
            &["--subscription", sub, "--concurrency", concurrency],
        );
        let floor = (requests as f64 / concurrency.parse::<f64>().unwrap() * 50.0).max(chain_ms);
        println!(
            "100 workspaces, 2 items per page, concurrency {concurrency}: {requests} requests, wall {:.0} ms (floor max(requests/{concurrency} x 50 ms, chain) = {floor:.0} ms; target 1.2x = {:.0} ms)",
            elapsed.as_secs_f64() * 1e3,
            floor * 1.2
        );
    }

    tenant();
}

fn tenant_size() -> (usize, usize) {
    std::env::var("AMLSEC_BENCH_TENANT")
        .ok()
        .and_then(|v| {
            let (w, s) = v.split_once('/')?;
            Some((w.parse().ok()?, s.parse().ok()?))
        })
        .unwrap_or((400usize, 40usize))
}

/// Peak RSS (KB, from /usr/bin/time) of the binary run with `args` against the fake.
fn peak_rss(fake: &FakeArm, args: &[&str]) -> u64 {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", env!("CARGO_BIN_EXE_amlsec")])
        .args(args)
        .args([
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--quiet",
        ])
        .env("AMLSEC_ACCESS_TOKEN", "bench-token")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"))
}

fn memory() {
    let (workspaces, subscriptions) = tenant_size();
    let subs: Vec<String> = (0..subscriptions).map(support::subscription).collect();
    let subs = subs.join(",");
    let text = estate_with_hot(workspaces, subscriptions, 0);
    let docs = snapshot::parse("tenant", text.as_bytes()).unwrap();
    let fake = FakeArm::start(docs, 100, Duration::from_millis(20), vec![]);
    let file = std::env::temp_dir().join("amlsec-bench-collected.json");
    let scope = [
        "--subscription",
        &subs,
        "--concurrency",
        "16",
        "--resource-graph",
        "always",
    ];
    let collect = peak_rss(
        &fake,
        &[&["collect", "--output", file.to_str().unwrap()], &scope[..]].concat(),
    );
    let size = std::fs::metadata(&file).unwrap().len() / 1024;
    let audit = peak_rss(
        &fake,
        &[&["audit", "--level", "2", "--format", "json"], &scope[..]].concat(),
    );
    let offline = Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M",
            env!("CARGO_BIN_EXE_amlsec"),
            "audit",
            "--snapshot",
            file.to_str().unwrap(),
            "--level",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let offline: u64 = String::from_utf8_lossy(&offline.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    println!(
        "{workspaces} workspaces in {subscriptions} subscriptions: collected snapshot {:.1} MB; peak RSS: live audit {:.1} MB ({:.2}x), collect {:.1} MB ({:.2}x), offline audit of the snapshot {:.1} MB ({:.2}x)",
        size as f64 / 1024.0,
        audit as f64 / 1024.0,
        audit as f64 / size as f64,
        collect as f64 / 1024.0,
        collect as f64 / size as f64,
        offline as f64 / 1024.0,
        offline as f64 / size as f64,
    );
}

fn tenant() {
    let (workspaces, subscriptions) = tenant_size();
    let subs: Vec<String> = (0..subscriptions).map(support::subscription).collect();
    let subs = subs.join(",");
    // Even, and hot: a quarter of the workspaces in one subscription (DESIGN §11).
    let only = std::env::var("AMLSEC_BENCH_ESTATE").ok();
    for (estate_name, hot) in [("even", 0), ("hot", workspaces / 4)] {
        if only.as_deref().is_some_and(|only| only != estate_name) {
            continue;
        }
        let text = estate_with_hot(workspaces, subscriptions, hot);
        let mut reference: Option<serde_json::Value> = None;
        for (concurrency, mode, throttled) in [
            ("16", "always", false),
            ("16", "always", true),
            ("16", "never", true),
        ] {
            let docs = snapshot::parse("tenant", text.as_bytes()).unwrap();
            let fake = FakeArm::start(docs, 100, Duration::from_millis(20), vec![]);
            if throttled {
                // A fresh fake per run: ARM's read buckets (250 per subscription, 25 a second).
                *fake.state.throttle.lock().unwrap() = Some(fake_arm::Throttle::new(250.0, 25.0));
            }
            let (elapsed, seen, report) = run_seen(
                &fake,
                &[
                    "--subscription",
                    &subs,
                    "--concurrency",
                    concurrency,
                    "--resource-graph",
                    mode,
                ],
            );
            let requests = seen.len();
            let spared: Vec<&str> = seen
                .iter()
                .filter(|r| spared_by_graph(r))
                .map(|r| r.path_and_query.as_str())
                .collect();
            let residual = requests - spared.len();
            let verdicts = verdicts_of(&report);
            let errors = count_errors(&report);
            let same = match &reference {
                None => {
                    reference = Some(verdicts);
                    "reference".to_string()
                }
                Some(r) => format!("verdicts identical to unthrottled: {}", *r == verdicts),
            };
            let answered_429 = fake
                .state
                .throttled
                .load(std::sync::atomic::Ordering::Relaxed);
            // The throttling floor: the busiest subscription's reads past its bucket, at 25 a
            // second.
            let busiest = fake
                .state
                .throttle
                .lock()
                .unwrap()
                .as_ref()
                .and_then(|t| t.served.values().max().copied())
                .unwrap_or(0);
            let throttle_floor = busiest.saturating_sub(250) as f64 / 25.0 * 1e3;
            let floor =
                (requests as f64 / concurrency.parse::<f64>().unwrap() * 20.0).max(throttle_floor);
            println!(
                "{estate_name}: {workspaces} workspaces in {subscriptions} subscriptions ({hot} in one), 20 ms per request, throttling {}, concurrency {concurrency}, {}: {requests} requests ({:.1} per workspace; residual reads {:.1} per workspace, {} GETs of what the graph indexes{}), {answered_429} answered 429, {errors} error results, {same}; wall {:.0} ms (floor {floor:.0} ms: max(requests/{concurrency} x 20 ms, the busiest subscription's {busiest} reads less its bucket of 250, at 25/s); ratio {:.2})",
                if throttled { "on" } else { "off" },
                if mode == "always" {
                    "Resource Graph"
                } else {
                    "GET only"
                },
                requests as f64 / workspaces as f64,
                residual as f64 / workspaces as f64,
                spared.len(),
                match spared.first() {
                    Some(first) if mode == "always" => format!(", e.g. {first}"),
                    _ => String::new(),
                },
                elapsed.as_secs_f64() * 1e3,
                elapsed.as_secs_f64() * 1e3 / floor,
            );
        }
    }
}

/// Each subject's results as (control, status) pairs, in the report's order.
fn verdicts_of(report: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for section in ["workspaces", "registries"] {
        for subject in report[section].as_array().into_iter().flatten() {
            let statuses: Vec<serde_json::Value> = subject["results"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| serde_json::json!([r["control"], r["status"]]))
                .collect();
            out.insert(
                subject["id"].as_str().unwrap_or("").to_string(),
                statuses.into(),
            );
        }
    }
    out.into()
}

fn count_errors(report: &serde_json::Value) -> usize {
    ["workspaces", "registries"]
        .iter()
        .flat_map(|s| report[*s].as_array().into_iter().flatten())
        .flat_map(|subject| subject["results"].as_array().into_iter().flatten())
        .filter(|r| r["status"] == "error")
        .count()
}
