//! The YAML files users write by hand (rules, exceptions, answers) load or fail with a
//! diagnostic: never a panic.
#![no_main]

use std::sync::OnceLock;

use amlsec::date::Date;
use amlsec::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;

fn builtin() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(&RuleSource::builtin()).expect("the built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = Date::parse("2026-12-07").expect("a date");
    let user = RuleSource {
        name: "fuzz.yaml".into(),
        text: text.into(),
        builtin: false,
    };
    let _ = RuleSet::load(&[user]);
    let _ = amlsec::audit::answers::Answers::parse("answers.yaml", text, &builtin().controls, today);
    let _ = amlsec::audit::exceptions::Exceptions::parse("exceptions.yaml", text, today);
});
