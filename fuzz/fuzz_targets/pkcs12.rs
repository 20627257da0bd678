//! A certificate file (PKCS#12) opens or is refused with a message: never a panic, and the
//! work its iteration counts ask for is bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = amlsec::source::arm::pkcs12::read(data, "");
    let _ = amlsec::source::arm::pkcs12::read(data, "password");
});
