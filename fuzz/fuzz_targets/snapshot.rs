//! A snapshot file parses into documents or one input error: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = amlsec::source::snapshot::parse("fuzz.json", data);
});
