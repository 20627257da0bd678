//! Evaluation: each selected control against each workspace's estate, rolled up across
//! instances (baseline.md §1.6: fail > error > manual > pass > not_applicable), and scored.
//! `result` holds what an audit finds, `select` which controls and subjects run, `evaluate`
//! judges them, `verdict` turns the results into the exit code.

pub mod answers;
pub mod baseline;
pub mod compliance;
mod evaluate;
pub mod exceptions;
mod result;
mod select;
mod verdict;

pub use evaluate::*;
pub use result::*;
pub use select::*;
pub use verdict::*;

#[cfg(test)]
mod tests;
