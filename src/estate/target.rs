//! The target kinds of baseline.md §1.2: what a control is evaluated against.

use std::fmt;

/// A resource whose diagnostic settings a `diagnostic-settings (X)` target lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiagnosedResource {
    Workspace,
    StorageBlobService,
    KeyVault,
    Registry,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetKind {
    Workspace,
    Compute,
    ComputeInstance,
    ComputeCluster,
    Datastore,
    Connection,
    Storage,
    StorageBlobService,
    StorageFileService,
    KeyVault,
    Registry,
    RegistryReplications,
    Insights,
    DiagnosticSettings(DiagnosedResource),
    SubscriptionDiagnosticSettings,
    WorkspacePrivateEndpoint,
    PrivateDnsZone,
    ComputeSubnet,
    ComputeNsg,
    /// A Defender plan, selected by name from the subscription's pricings.
    DefenderPricing(String),
    RoleAssignment,
    RoleDefinition,
    PolicyAssignment,
    PolicySetDefinition,
    Lock,
    SqlServer,
    SqlServerEntraOnly,
}

const SIMPLE: &[(&str, TargetKind)] = &[
    ("workspace", TargetKind::Workspace),
    ("compute", TargetKind::Compute),
    ("compute-instance", TargetKind::ComputeInstance),
    ("compute-cluster", TargetKind::ComputeCluster),
    ("datastore", TargetKind::Datastore),
    ("connection", TargetKind::Connection),
    ("storage", TargetKind::Storage),
    ("storage-blob-service", TargetKind::StorageBlobService),
    ("storage-file-service", TargetKind::StorageFileService),
    ("keyvault", TargetKind::KeyVault),
    ("registry", TargetKind::Registry),
    ("registry-replications", TargetKind::RegistryReplications),
    ("insights", TargetKind::Insights),
    (
        "subscription-diagnostic-settings",
        TargetKind::SubscriptionDiagnosticSettings,
    ),
    (
        "workspace-private-endpoint",
        TargetKind::WorkspacePrivateEndpoint,
    ),
    ("private-dns-zone", TargetKind::PrivateDnsZone),
    ("compute-subnet", TargetKind::ComputeSubnet),
    ("compute-nsg", TargetKind::ComputeNsg),
    ("role-assignment", TargetKind::RoleAssignment),
    ("role-definition", TargetKind::RoleDefinition),
    ("policy-assignment", TargetKind::PolicyAssignment),
    ("policy-set-definition", TargetKind::PolicySetDefinition),
    ("lock", TargetKind::Lock),
    ("sql-server", TargetKind::SqlServer),
    ("sql-server-entra-only", TargetKind::SqlServerEntraOnly),
];

const DIAGNOSED: &[(&str, DiagnosedResource)] = &[
    ("workspace", DiagnosedResource::Workspace),
    (
        "storage-blob-service",
        DiagnosedResource::StorageBlobService,
    ),
    ("keyvault", DiagnosedResource::KeyVault),
    ("registry", DiagnosedResource::Registry),
];

/// Context documents a rule path can start from (`$workspace.properties…`): the single-instance
/// targets of the same workspace, plus `$audited` (the workspace as listed: the project, for a
/// project) and `$root` (the evaluated document, from inside a `count`).
pub const CONTEXTS: &[&str] = &[
    "root",
    "audited",
    "workspace",
    "storage",
    "keyvault",
    "registry",
    "insights",
];

impl TargetKind {
    /// Every target kind, with the Defender plans named in `plans`.
    pub fn every(plans: impl IntoIterator<Item = String>) -> Vec<TargetKind> {
        let mut kinds: Vec<TargetKind> = SIMPLE.iter().map(|(_, k)| k.clone()).collect();
        kinds.extend(
            DIAGNOSED
                .iter()
                .map(|(_, r)| TargetKind::DiagnosticSettings(*r)),
        );
        kinds.extend(plans.into_iter().map(TargetKind::DefenderPricing));
        kinds
    }

    pub fn parse(text: &str) -> Result<TargetKind, String> {
        let text = text.trim();
        let (name, arg) = match text.split_once('(') {
            Some((n, rest)) => match rest.strip_suffix(')') {
                Some(a) => (n.trim(), Some(a.trim())),
                None => return Err(format!("unknown target `{text}`: missing `)`")),
            },
            None => (text, None),
        };
        let known = || {
            let mut names: Vec<&str> = SIMPLE.iter().map(|(n, _)| *n).collect();
            names.extend(["diagnostic-settings(X)", "defender-pricing(PLAN)"]);
            names.join(", ")
        };
        match (name, arg) {
            ("diagnostic-settings", Some(a)) => DIAGNOSED
                .iter()
                .find(|(n, _)| *n == a)
                .map(|(_, r)| TargetKind::DiagnosticSettings(*r))
                .ok_or_else(|| {
                    format!("unknown target `{text}`: diagnostic-settings takes one of workspace, storage-blob-service, keyvault, registry")
                }),
            ("defender-pricing", Some(plan)) if !plan.is_empty() && plan.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Ok(TargetKind::DefenderPricing(plan.to_string()))
            }
            ("defender-pricing", _) => Err(format!("unknown target `{text}`: name the plan, e.g. defender-pricing(StorageAccounts)")),
            (n, None) => SIMPLE
                .iter()
                .find(|(s, _)| *s == n)
                .map(|(_, k)| k.clone())
                .ok_or_else(|| format!("unknown target `{text}`; known targets: {}", known())),
            _ => Err(format!("unknown target `{text}`; known targets: {}", known())),
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetKind::DiagnosticSettings(r) => {
                let name = DIAGNOSED
                    .iter()
                    .find(|(_, d)| d == r)
                    .map_or("?", |(n, _)| n);
                write!(f, "diagnostic-settings({name})")
            }
            TargetKind::DefenderPricing(plan) => write!(f, "defender-pricing({plan})"),
            other => {
                let name = SIMPLE
                    .iter()
                    .find(|(_, k)| k == other)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_target() {
        for (name, kind) in SIMPLE {
            assert_eq!(&TargetKind::parse(name).unwrap(), kind);
            assert_eq!(&kind.to_string(), name);
        }
        let d = TargetKind::parse("diagnostic-settings (keyvault)").unwrap();
        assert_eq!(d.to_string(), "diagnostic-settings(keyvault)");
        assert_eq!(
            TargetKind::parse("defender-pricing(Containers)")
                .unwrap()
                .to_string(),
            "defender-pricing(Containers)"
        );
        assert!(TargetKind::parse("diagnostic-settings(nsg)").is_err());
        assert!(TargetKind::parse("defender-pricing").is_err());
        assert!(
            TargetKind::parse("vm")
                .unwrap_err()
                .starts_with("unknown target `vm`")
        );
    }
}
