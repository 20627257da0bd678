//! Reading a JSON report in tests.

use serde_json::Value;

/// The status of `control` on the first subject of a report section (`workspaces`,
/// `registries`, `foundryAccounts`); `absent` when the control is not in it.
pub fn status_in(report: &Value, section: &str, control: &str) -> String {
    report[section][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["control"] == control)
        .and_then(|r| r["status"].as_str())
        .unwrap_or("absent")
        .to_string()
}
