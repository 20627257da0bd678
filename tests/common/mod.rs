pub mod fake_arm;
