//! The baseline rule files, embedded in the binary so it runs without `rules/` beside it.

use super::RuleSource;

/// `(name, text)` of every built-in rule file, in category order.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "rules/network.yaml",
        include_str!("../../rules/network.yaml"),
    ),
    (
        "rules/identity.yaml",
        include_str!("../../rules/identity.yaml"),
    ),
    (
        "rules/privileged-access.yaml",
        include_str!("../../rules/privileged-access.yaml"),
    ),
    (
        "rules/data-protection.yaml",
        include_str!("../../rules/data-protection.yaml"),
    ),
    (
        "rules/asset-management.yaml",
        include_str!("../../rules/asset-management.yaml"),
    ),
    (
        "rules/logging.yaml",
        include_str!("../../rules/logging.yaml"),
    ),
    (
        "rules/posture.yaml",
        include_str!("../../rules/posture.yaml"),
    ),
    ("rules/backup.yaml", include_str!("../../rules/backup.yaml")),
];

impl RuleSource {
    pub fn builtin() -> Vec<RuleSource> {
        BUILTIN
            .iter()
            .map(|(name, text)| RuleSource {
                name: name.to_string(),
                text: text.to_string(),
                builtin: true,
            })
            .collect()
    }
}
