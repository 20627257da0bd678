//! Property test of the parsers users feed by hand: random mutations of the bundled snapshots
//! and rule files never panic, and end either in a report (exit 0, 1 or 3) or in an input
//! error (exit 2); random template expressions are values or errors, never panics. Deterministic; `AMLSEC_FUZZ_SEED` and `AMLSEC_FUZZ_CASES` explore more.

use std::panic::{AssertUnwindSafe, catch_unwind};

use amlsec::audit::Selection;
use amlsec::cloud::Cloud;
use amlsec::date::Date;
use amlsec::pipeline::{self, AuditRequest, Source};
use amlsec::report::{self, Format};
use amlsec::rules::mcsb::Framework;
use amlsec::rules::{RuleSet, RuleSource, Severity};
use amlsec::source::snapshot;

/// xorshift64*: enough randomness for mutations, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four edits: a byte changed, a range dropped or repeated, a token inserted, a cut.
fn mutate(rng: &mut Rng, text: &[u8], tokens: &[&str]) -> Vec<u8> {
    let mut out = text.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if at < out.len() => out[at] = rng.next() as u8,
            1 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(256)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            3 => out.truncate(at),
            _ => {
                let token = tokens[rng.below(tokens.len())];
                out.splice(at..at, token.bytes());
            }
        }
    }
    out
}

fn seed() -> u64 {
    std::env::var("AMLSEC_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_a3c1_0f00_d1e5)
}

fn cases(default: usize) -> usize {
    std::env::var("AMLSEC_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The exit code the binary would give for this snapshot text: the snapshot parser, then the
/// library's pipeline with every format rendered (a compliance summary included).
fn audit_snapshot(text: &[u8], rules: &RuleSet) -> u8 {
    let documents = match snapshot::parse("fuzz.json", text) {
        Ok(d) => d,
        Err(e) => return e.exit_code(),
    };
    let request = AuditRequest {
        source: Source::Documents {
            documents: Box::new(documents),
            label: "fuzz.json".into(),
            pick: vec![],
        },
        rules,
        selection: Selection {
            level: 2,
            ..Default::default()
        },
        cloud: Cloud::Public,
        settings: vec![],
        exceptions: None,
        answers: None,
        baseline: None,
        fail_on: Severity::Low,
        fail_on_new: false,
        fail_on_unknown: false,
        outputs: vec![],
        markdown_limit: report::MARKDOWN_LIMIT,
        text_width: 100,
        compliance: Some(Framework::Nist),
        today: Date::today(),
    };
    let show = |report: &report::Report<'_>| {
        for format in Format::NAMES {
            report::write(
                Format::parse(format).unwrap(),
                report,
                &report::View::plain(),
                &mut Vec::new(),
            )
            .unwrap();
        }
        Ok(())
    };
    match pipeline::audit(request, show) {
        Ok(finished) => finished.code,
        Err(e) => e.exit_code(),
    }
}

#[test]
fn mutated_snapshots_never_panic() {
    let rules = RuleSet::load(&RuleSource::builtin()).unwrap();
    let examples: Vec<Vec<u8>> = ["default-workspace", "hub-and-project"]
        .iter()
        .map(|e| {
            std::fs::read(format!("{}/examples/{e}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
        })
        .collect();
    let tokens = [
        "{",
        "}",
        "[",
        "]",
        "\"",
        ",",
        ":",
        "null",
        "1e400",
        "-0",
        "\u{a0}",
        "\u{feff}",
        "/",
        "{\"value\": [",
        "\"id\": \"/\"",
        "\"properties\": {}",
        "\\u0000",
        "\"\\ud800\"",
    ];
    let mut rng = Rng(seed());
    let mut codes = [0usize; 4];
    for case in 0..cases(200) {
        let base = &examples[case % examples.len()];
        let text = mutate(&mut rng, base, &tokens);
        let code =
            catch_unwind(AssertUnwindSafe(|| audit_snapshot(&text, &rules))).unwrap_or_else(|_| {
                panic!(
                    "case {case} panicked; input: {}",
                    String::from_utf8_lossy(&text)
                )
            });
        assert!(code <= 3, "case {case}: exit {code}");
        codes[code as usize] += 1;
    }
    // The mutations must reach both sides: reports and input errors.
    assert!(
        codes[2] > 0 && codes[0] + codes[1] + codes[3] > 0,
        "{codes:?}"
    );
}

#[test]
fn mutated_rule_files_never_panic() {
    let files = RuleSource::builtin();
    let tokens = [
        ":",
        "- ",
        "{",
        "}",
        "[",
        "]",
        "\t",
        "*a",
        "&a ",
        "!!str ",
        "'",
        "\"",
        "\n  ",
        "$root.",
        "[*]",
        "{*}",
        "count:",
        "allOf: [",
        "match: '(",
        "~",
        "null",
        "1e400",
    ];
    let mut rng = Rng(seed() ^ 0xa5a5);
    let (mut loaded, mut rejected) = (0, 0);
    for case in 0..cases(200) {
        // One file at a time: loading all eight per case is slow in a debug build.
        let base = &files[case % files.len()];
        let text = mutate(&mut rng, base.text.as_bytes(), &tokens);
        let sources = [RuleSource {
            name: "fuzz.yaml".into(),
            text: String::from_utf8_lossy(&text).into_owned(),
            builtin: false,
        }];
        let outcome = catch_unwind(AssertUnwindSafe(|| RuleSet::load(&sources)));
        match outcome {
            Err(_) => panic!("case {case} panicked; rule file:\n{}", sources[0].text),
            Ok(Ok(_)) => loaded += 1,
            Ok(Err(e)) => {
                assert_eq!(e.exit_code(), 2, "case {case}");
                assert!(e.to_string().contains("fuzz.yaml"), "case {case}: {e}");
                rejected += 1;
            }
        }
    }
    assert!(
        loaded > 0 && rejected > 0,
        "{loaded} loaded, {rejected} rejected"
    );
}

/// A random template expression from the functions ARM templates use, with random
/// arguments, accessors and stray tokens.
fn expression(rng: &mut Rng, depth: usize) -> String {
    const FUNCTIONS: &[&str] = &[
        "concat",
        "format",
        "toLower",
        "toUpper",
        "trim",
        "replace",
        "split",
        "join",
        "length",
        "substring",
        "padLeft",
        "string",
        "int",
        "bool",
        "json",
        "base64",
        "if",
        "equals",
        "not",
        "and",
        "or",
        "empty",
        "union",
        "intersection",
        "createObject",
        "createArray",
        "first",
        "last",
        "skip",
        "take",
        "contains",
        "indexOf",
        "range",
        "min",
        "max",
        "add",
        "sub",
        "mul",
        "div",
        "mod",
        "uniqueString",
        "guid",
        "resourceId",
        "environment",
        "resourceGroup",
        "subscription",
        "parameters",
        "variables",
        "coalesce",
        "startsWith",
        "endsWith",
        "uri",
        "dataUri",
        "items",
        "reference",
        "nope",
    ];
    let literal = |rng: &mut Rng| match rng.below(7) {
        0 => "'a'".to_string(),
        1 => format!("{}", rng.below(10_000) as i64 - 5_000),
        2 => "true".to_string(),
        3 => "'p'".to_string(),
        4 => "'x,y'".to_string(),
        5 => "9223372036854775807".to_string(),
        _ => "''".to_string(),
    };
    let mut e = if depth == 0 || rng.below(3) == 0 {
        literal(rng)
    } else {
        let f = FUNCTIONS[rng.below(FUNCTIONS.len())];
        let args: Vec<String> = (0..rng.below(4))
            .map(|_| expression(rng, depth - 1))
            .collect();
        format!("{f}({})", args.join(", "))
    };
    for _ in 0..rng.below(3) {
        match rng.below(3) {
            0 => e.push_str(".name"),
            1 => e.push_str(&format!("[{}]", rng.below(3))),
            _ => e.push_str(["(", ")", ",", "'", "["][rng.below(5)]),
        }
    }
    e
}

#[test]
fn random_template_expressions_are_errors_or_values_never_panics() {
    let mut rng = Rng(seed());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-expr");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("template.json");
    for case in 0..cases(400) {
        let e = expression(&mut rng, 4);
        let template = serde_json::json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "parameters": {"p": {"type": "string", "defaultValue": "v"}},
            "variables": {"v": "[createArray(1, 2)]"},
            "resources": [{
                "type": "Microsoft.MachineLearningServices/workspaces",
                "apiVersion": "2024-04-01",
                "name": "mlw",
                "location": "westeurope",
                "properties": {"description": format!("[{e}]"), "friendlyName": format!("[{e}]")}
            }]
        });
        std::fs::write(&file, template.to_string()).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            amlsec::source::template::load(&file, None, &[], None, Cloud::Public).map(|_| ())
        }));
        assert!(outcome.is_ok(), "case {case}: `[{e}]` panicked");
    }
}
