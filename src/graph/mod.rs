//! The link graph: what amlsec knows about how ARM resources relate, declared once. Each entry
//! is a target kind: how its documents are found from the target it needs first, the ARM type
//! and api-version they are read with, the child lists included in them, and the facts derived
//! from them. The live collector walks it to decide what to read, the resolver to find the
//! documents again, and rule validation to check targets, `$context` roots and `amlsec.*` facts.
//!
//! Adding a target kind is one entry in [`LINKS`] (plus its facts in the resolver).

pub mod catalogue;
pub mod indexed;
mod links;
mod sql;
mod target;
pub mod tenant;

use crate::cloud::Settings;

pub use links::LINKS;
pub use sql::{SqlTarget, azure_sql_host, sql_host, sql_target};
pub use target::TargetKind;

/// The api-versions amlsec reads at (baseline.md §11).
pub mod api {
    pub const ML: &str = "2025-12-01";
    pub const STORAGE: &str = "2025-06-01";
    pub const KEYVAULT: &str = "2025-05-01";
    pub const REGISTRY: &str = "2025-04-01";
    pub const REPLICATIONS: &str = "2023-07-01";
    pub const INSIGHTS: &str = "2020-02-02";
    pub const DIAGNOSTICS: &str = "2021-05-01-preview";
    pub const NETWORK: &str = "2025-03-01";
    pub const NSG: &str = "2025-01-01";
    pub const PRIVATE_DNS: &str = "2024-06-01";
    pub const PRICINGS: &str = "2024-01-01";
    pub const ROLES: &str = "2022-04-01";
    pub const POLICY: &str = "2025-03-01";
    pub const LOCKS: &str = "2020-05-01";
    pub const SQL: &str = "2023-08-01";
    pub const COGNITIVE: &str = "2025-12-01";
}

/// The scope of a list read, relative to the audited workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Workspace,
    ResourceGroup,
    Subscription,
}

/// How a target's documents are found from its parent (the target it `needs`).
#[derive(Debug, Clone, Copy)]
pub enum Find {
    /// The audited subject itself: the workspace as listed (the project, for a project), or
    /// the AML registry.
    Audited,
    /// The body workspace-derived targets come from: the hub's, for a project (§1.2).
    WorkspaceBody { hub: &'static str },
    /// The document whose id a property of the parent holds; a missing optional one is absent.
    Reference {
        property: &'static str,
        required: bool,
    },
    /// A child at a fixed path under the id a property of the parent holds, read on its own
    /// (`{storage}/blobServices/default` does not need the storage account's body).
    ReferenceChild {
        property: &'static str,
        required: bool,
        child: &'static str,
    },
    /// Each parent instance's child list, one instance per item kept; items lacking
    /// `complete_at` are read on their own.
    Children {
        path: &'static str,
        keep: Option<(&'static str, &'static [&'static str])>,
        complete_at: Option<&'static str>,
    },
    /// The parent's instances whose property is one of the values.
    Select {
        property: &'static str,
        equals: &'static str,
    },
    /// A list under each parent instance read as one document `{id, value}`, evaluated once
    /// per parent instance (an empty list included).
    ListDocument { path: &'static str },
    /// Distinct ids at `path` in the parent's documents (elements where `when` holds), each one
    /// document; with `read: false` the id alone is the instance (only its includes are read).
    References {
        path: &'static str,
        when: Option<(&'static str, &'static str)>,
        /// Where the id is in each element (`""`: the element is the id).
        id: &'static str,
        read: bool,
    },
    /// A list at a scope of the audited workspace (`$filter=atScope()` where asked).
    ScopeList {
        scope: Scope,
        path: &'static str,
        at_scope: bool,
        shape: Shape,
    },
    /// A child of each parent instance at a fixed path; `missing_means_unset`: a 404 is a
    /// setting never configured, not a failed read (§1.6).
    Child {
        path: &'static str,
        missing_means_unset: bool,
    },
    /// The SQL servers the parent's SQL connections point to, matched by host name (§1.4).
    SqlServers,
    /// The parent's instances and those of another target of the same subject, as one
    /// target (a Foundry account and its projects, whose connections are read under each).
    Union { with: &'static str },
}

/// What a scope list becomes, where more than the list is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One document `{id, value}`.
    List,
    /// The item named by the target's argument; a missing one is `pricingTier: Free` (§1.2).
    PricingPlan,
    /// Assignments whose scope is the workspace or an ancestor, with their scope level.
    RoleAssignments,
    /// Enforced, in-scope assignments with their definitions' effects (§1.3).
    PolicyAssignments,
    /// Locks at the subscription, the resource group or the workspace.
    Locks,
}

/// A child list read under each instance and included in its document at `member`.
#[derive(Debug, Clone, Copy)]
pub struct Include {
    pub member: &'static str,
    pub path: &'static str,
    pub resource_type: &'static str,
    pub api_version: &'static str,
}

/// A fact derived for a target, readable in rules as `amlsec.<name>`; `needs` are the other
/// targets it is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Fact {
    pub name: &'static str,
    pub needs: &'static [&'static str],
    pub from: FactFrom,
}

/// How a fact is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactFrom {
    /// By the resolver's code for this target (`estate/resolve.rs`).
    Computed,
    /// Every document of the one target in `needs`, as an array (an account's capability
    /// hosts, for a control judged once per account).
    Gather,
    /// The one document of the target in `needs` whose `on` equals this document's
    /// `property` (case-insensitive): a deployment's content-filter policy by its name. An
    /// empty `property` gives no fact; a name the target does not hold is a failed read.
    Join {
        property: &'static str,
        on: &'static str,
    },
}

const fn computed(name: &'static str, needs: &'static [&'static str]) -> Fact {
    Fact {
        name,
        needs,
        from: FactFrom::Computed,
    }
}

/// One target kind.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub name: &'static str,
    /// The target it is found from; `""` for an audited subject itself.
    pub needs: &'static str,
    pub find: Find,
    /// The ARM type of its documents (what rule paths are checked against).
    pub resource_type: &'static str,
    pub api_version: &'static str,
    pub includes: &'static [Include],
    pub facts: &'static [Fact],
    /// What the target is, in words (`storage account`), for "the workspace names no …".
    pub what: &'static str,
    /// Why the target is absent, when its parent is present but yields none.
    pub absent: &'static str,
    /// Usable as a `$name` root in rule paths (single-instance targets).
    pub context: bool,
    /// For a target that takes an argument (`defender-pricing(PLAN)`,
    /// `diagnostic-settings(X)`): what it accepts; `Parent` args name the parent target.
    pub arg: Arg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    /// A name, e.g. a Defender plan.
    Name(&'static str),
    /// The parent target, one of `(argument, parent link)`.
    Parent(&'static [(&'static str, &'static str)]),
}

const fn link(name: &'static str, needs: &'static str, find: Find) -> Link {
    Link {
        name,
        needs,
        find,
        resource_type: "",
        api_version: api::ML,
        includes: &[],
        facts: &[],
        what: name,
        absent: "",
        context: false,
        arg: Arg::None,
    }
}

/// A kind of audited subject: what controls are evaluated once per (baseline.md §1.7). Each
/// control belongs to the subject its target's chain of parents starts from, and each kind
/// has its own report section. A new kind (the AI Foundry resource) is one more entry here
/// and one root link in [`LINKS`].
#[derive(Debug, PartialEq, Eq)]
pub struct Subject {
    /// The root link its targets are found from.
    pub root: &'static str,
    pub resource_type: &'static str,
    /// The report section: its JSON key and its heading.
    pub section: &'static str,
    pub heading: &'static str,
    /// One and many, in words.
    pub noun: (&'static str, &'static str),
    /// The flag that picks one (`--workspace`, `--registry`, `--foundry`).
    pub flag: &'static str,
    /// The engine setting listing the `kind`s audited, for a type that holds more (only
    /// some Cognitive Services accounts are Foundry accounts); a body without `kind` is then
    /// not what ARM returns.
    pub kinds: Option<&'static str>,
}

pub const AML_WORKSPACE: &str = "Microsoft.MachineLearningServices/workspaces";
pub const AML_REGISTRY: &str = "Microsoft.MachineLearningServices/registries";
pub const FOUNDRY_ACCOUNT: &str = "Microsoft.CognitiveServices/accounts";

/// A subject to audit: its kind and its id.
pub type SubjectId = (&'static Subject, String);

/// Every subject kind, in report order.
pub const SUBJECTS: &[Subject] = &[
    Subject {
        root: "audited",
        resource_type: AML_WORKSPACE,
        section: "workspaces",
        heading: "AML workspaces",
        noun: ("workspace", "workspaces"),
        flag: "--workspace",
        kinds: None,
    },
    Subject {
        root: "aml-registry",
        resource_type: AML_REGISTRY,
        section: "registries",
        heading: "AML registries",
        noun: ("registry", "registries"),
        flag: "--registry",
        kinds: None,
    },
    Subject {
        root: "foundry-account",
        resource_type: FOUNDRY_ACCOUNT,
        section: "foundryAccounts",
        heading: "AI Foundry accounts",
        noun: ("Foundry account", "Foundry accounts"),
        flag: "--foundry",
        kinds: Some("foundry_kinds"),
    },
];

impl Subject {
    /// The api-version its documents (and its discovery lists) are read with.
    pub fn api_version(&self) -> &'static str {
        link_named(self.root).map_or(api::ML, |l| l.api_version)
    }

    /// Whether a body of this subject's type is one of the kinds audited (`None`: a body
    /// without `kind`, which ARM never returns for a type that has several).
    pub fn audits_kind(&self, doc: &serde_json::Value, settings: &Settings) -> Option<bool> {
        let Some(setting) = self.kinds else {
            return Some(true);
        };
        let kind = crate::documents::text(doc, "kind").trim();
        if kind.is_empty() {
            return None;
        }
        let audited = settings.value(setting);
        Some(
            audited
                .as_ref()
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .any(|k| k.trim().eq_ignore_ascii_case(kind)),
        )
    }
}

/// The Foundry account a workspace connection names (Annex B §B.1): a connection of category
/// `AIServices` or `AzureOpenAI` whose `metadata.ResourceId` (any case) is an account id.
pub fn named_foundry_account(connection: &serde_json::Value) -> Option<String> {
    let category = crate::documents::text(connection, "properties.category");
    if !["AIServices", "AzureOpenAI"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(category.trim()))
    {
        return None;
    }
    let id = crate::documents::text(connection, "properties.metadata.ResourceId").trim();
    let is_account =
        crate::arm_id::derive_type(id).is_some_and(|t| t.eq_ignore_ascii_case(FOUNDRY_ACCOUNT));
    is_account.then(|| crate::arm_id::normalise(id).to_string())
}

/// The subject kind whose root link is `root` (`audited`, `aml-registry`).
pub fn subject(root: &str) -> &'static Subject {
    SUBJECTS
        .iter()
        .find(|s| s.root == root)
        .expect("a declared subject kind")
}

/// The workspace subject.
pub fn workspace_subject() -> &'static Subject {
    subject("audited")
}

/// The AML registry subject.
pub fn registry_subject() -> &'static Subject {
    subject("aml-registry")
}

/// The Foundry account subject (baseline.md Annex B).
pub fn foundry_subject() -> &'static Subject {
    subject("foundry-account")
}

/// The subject a target is evaluated for: the one whose root its chain of parents reaches.
pub fn subject_of(kind: &TargetKind) -> &'static Subject {
    let mut at = kind.clone();
    while let Some(parent) = at.parent() {
        at = parent;
    }
    SUBJECTS
        .iter()
        .find(|s| s.root == at.name())
        .unwrap_or(&SUBJECTS[0])
}

/// Whether a document is a list item that is read on its own to be complete (a compute
/// without `properties.properties`, baseline.md §1.2): a failed read of its id beside it is
/// what the collector records when that read fails.
pub fn awaits_its_own_read(doc: &serde_json::Value) -> bool {
    let Some(t) = crate::arm_id::derive_type(crate::documents::text(doc, "id")) else {
        return false;
    };
    LINKS.iter().any(|l| match l.find {
        Find::Children {
            complete_at: Some(at),
            ..
        } => {
            l.resource_type.eq_ignore_ascii_case(&t)
                && crate::documents::elements(doc, at).is_empty()
        }
        _ => false,
    })
}

/// One kind of request amlsec makes: a GET of one resource of a type, or of a list of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Request {
    pub resource_type: &'static str,
    pub api_version: &'static str,
    pub list: bool,
}

/// Every kind of request the graph can make: each link's reads, each include's list, the
/// discovery lists of every subject kind, and a tenant's subscriptions. Each must have a
/// recorded reply of Microsoft's (`examples/arm-shapes/requests.json`, checked by a test).
pub fn requests() -> Vec<Request> {
    let of = |resource_type, api_version, list| Request {
        resource_type,
        api_version,
        list,
    };
    let mut out = Vec::new();
    for l in LINKS {
        let (get, list) = match l.find {
            Find::Audited
            | Find::WorkspaceBody { .. }
            | Find::Reference { .. }
            | Find::ReferenceChild { .. }
            | Find::Child { .. } => (true, false),
            Find::References { read, .. } => (read, false),
            Find::Children { complete_at, .. } => (complete_at.is_some(), true),
            Find::ListDocument { .. } | Find::ScopeList { .. } | Find::SqlServers => (false, true),
            Find::Select { .. } | Find::Union { .. } => (false, false),
        };
        if get {
            out.push(of(l.resource_type, l.api_version, false));
        }
        if list {
            out.push(of(l.resource_type, l.api_version, true));
        }
        for i in l.includes {
            out.push(of(i.resource_type, i.api_version, true));
        }
    }
    for s in SUBJECTS {
        out.push(of(s.resource_type, s.api_version(), true));
    }
    out.push(of(
        "Microsoft.Resources/subscriptions",
        tenant::SUBSCRIPTIONS_API,
        true,
    ));
    out.push(of(
        "Microsoft.Management/managementGroups/descendants",
        tenant::MANAGEMENT_GROUPS_API,
        true,
    ));
    out.sort();
    out.dedup();
    out
}

/// The link of a target name.
pub fn link_named(name: &str) -> Option<&'static Link> {
    LINKS.iter().find(|l| l.name == name)
}

/// Whether a referenced id belongs to the target: AML private DNS zones by their names (the
/// settings'), initiatives among policy definitions; every id elsewhere.
pub fn keeps_reference(kind: &TargetKind, id: &str, settings: &Settings) -> bool {
    match kind.name() {
        "private-dns-zone" => {
            let name = crate::arm_id::last_segment(id);
            settings
                .aml_private_dns_zones
                .iter()
                .any(|z| z.trim().eq_ignore_ascii_case(name))
        }
        "foundry-private-dns-zone" => {
            let name = crate::arm_id::last_segment(id);
            settings
                .foundry_private_dns_zones
                .values()
                .flatten()
                .any(|z| z.trim().eq_ignore_ascii_case(name))
        }
        _ if kind.link().resource_type == "Microsoft.Authorization/policySetDefinitions" => {
            id.to_ascii_lowercase().contains("/policysetdefinitions/")
        }
        _ => true,
    }
}

/// Names usable as `$name` roots in rule paths, besides `$root` (the evaluated document).
pub fn contexts() -> impl Iterator<Item = &'static str> {
    LINKS.iter().filter(|l| l.context).map(|l| l.name)
}

/// Every fact name a target derives, with the targets it needs.
pub fn fact(kind: &TargetKind, name: &str) -> Option<&'static Fact> {
    kind.link().facts.iter().find(|f| f.name == name)
}

/// Every target kind, a target that takes a name taking `name` (the pricings list is one read
/// for every plan): what `amlsec collect` reads.
pub fn every_kind(name: &str) -> Vec<TargetKind> {
    LINKS
        .iter()
        .flat_map(|l| -> Vec<String> {
            match l.arg {
                Arg::None => vec![l.name.to_string()],
                Arg::Name(_) => vec![format!("{}({name})", l.name)],
                Arg::Parent(options) => options
                    .iter()
                    .map(|(o, _)| format!("{}({o})", l.name))
                    .collect(),
            }
        })
        .map(|t| TargetKind::parse(&t).expect("declared targets parse"))
        .collect()
}

/// The target kinds `wanted` need, parents first, each once.
pub fn closure(wanted: &[TargetKind]) -> Vec<TargetKind> {
    let mut out: Vec<TargetKind> = Vec::new();
    fn visit(kind: TargetKind, out: &mut Vec<TargetKind>) {
        if out.contains(&kind) {
            return;
        }
        if let Some(parent) = kind.parent() {
            visit(parent, out);
        }
        if let Find::Union { with } = kind.link().find {
            visit(TargetKind::named(with), out);
        }
        out.push(kind);
    }
    for kind in wanted {
        visit(kind.clone(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parent_is_declared_before_its_children() {
        for (i, link) in LINKS.iter().enumerate() {
            let parents: Vec<&str> = match link.arg {
                Arg::Parent(options) => options.iter().map(|(_, p)| *p).collect(),
                _ if link.needs.is_empty() => vec![],
                _ => vec![link.needs],
            };
            for p in parents {
                let at = LINKS.iter().position(|l| l.name == p);
                assert!(at.is_some_and(|at| at < i), "{} needs {p}", link.name);
            }
            for fact in link.facts {
                for need in fact.needs {
                    assert!(TargetKind::parse(need).is_ok(), "{}: {need}", link.name);
                }
            }
        }
    }

    #[test]
    fn closure_puts_parents_first() {
        let zone = TargetKind::parse("private-dns-zone").unwrap();
        let names: Vec<String> = closure(&[zone]).iter().map(|k| k.to_string()).collect();
        assert_eq!(
            names,
            [
                "audited",
                "workspace",
                "workspace-private-endpoint",
                "private-dns-zone"
            ]
        );
    }
}
