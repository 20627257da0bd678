#[cfg(feature = "live")]
pub mod fake_arm;
pub mod golden;
pub mod programs;
pub mod report;
