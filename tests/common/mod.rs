pub mod avm;
#[cfg(feature = "live")]
pub mod fake_arm;
pub mod foundry;
pub mod golden;
pub mod programs;
pub mod report;
