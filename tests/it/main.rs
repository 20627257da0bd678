//! The integration tests, one binary (ripgrep's layout): each module drives the built `amlsec`
//! or the library as a user would; `common` holds the helpers they share.

// Test and benchmark code may panic on what it sets up itself.
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod baseline;
mod cli;
mod contract;
mod distribution;
mod formats;
mod fuzz;
mod hostile;
mod html;
#[cfg(feature = "live")]
mod live;
mod screen;
mod templates;
mod verdicts;
