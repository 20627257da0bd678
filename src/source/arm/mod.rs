//! Live reading of Azure Resource Manager: credentials, the GET-only client, collection.
//! The network half is the `live` cargo feature (on by default); without it the offline engine
//! builds without the Azure, TLS and async stack, and a live read is a usage error.

#[cfg(feature = "live")]
mod certificate;
#[cfg(feature = "live")]
pub mod client;
#[cfg(feature = "live")]
pub mod collect;
#[cfg(feature = "live")]
pub mod credential;
#[cfg(feature = "live")]
mod pacing;
#[cfg(feature = "live")]
pub mod pkcs12;
#[cfg(feature = "live")]
mod read;
#[cfg(feature = "live")]
mod slots;

use std::sync::Arc;
use std::time::Duration;

pub use crate::cloud::Cloud;
use crate::documents::Documents;
#[cfg(not(feature = "live"))]
use crate::{cloud::Settings, error::Error, graph::TargetKind};
#[cfg(feature = "live")]
pub use read::read;

/// Default largest reply body (`LiveOptions::max_reply_bytes`): an ARM page is a few MB.
pub const REPLY_LIMIT: u64 = 64 << 20;

/// Default bound on all replies of one run (`LiveOptions::max_run_reply_bytes`): a tenant of
/// 2,000 workspaces reads about 70 MB; endless pages must not take the machine's memory.
pub const RUN_REPLY_LIMIT: u64 = 4 << 30;

/// How to reach ARM.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub cloud: Cloud,
    /// Overrides the cloud's ARM endpoint (tests, proxies); http only for loopback.
    pub endpoint: Option<String>,
    pub auth: AuthMode,
    pub concurrency: usize,
    pub timeout: Duration,
    /// Whether what Resource Graph indexes is read through it.
    pub resource_graph: ResourceGraph,
    /// Largest reply body read (see [`REPLY_LIMIT`]).
    pub max_reply_bytes: u64,
    /// How long the whole read may take: throttled reads are retried until then.
    pub max_duration: Duration,
    /// What all replies of the run may add up to (see [`RUN_REPLY_LIMIT`]).
    pub max_run_reply_bytes: u64,
    /// The program running the read: its runtime and where progress goes.
    pub host: Arc<dyn Host>,
}

/// What the program running a live read provides. The library neither starts a runtime nor
/// writes to the terminal: the program owns both.
pub trait Host: Send + Sync + std::fmt::Debug {
    /// The async runtime the read runs on.
    #[cfg(feature = "live")]
    fn runtime(&self) -> std::io::Result<tokio::runtime::Handle>;
    /// Told as the read goes. Best effort: it cannot fail the read.
    fn progress(&self, event: Progress<'_>);
}

/// How a live read is going.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Which credential got the token.
    SignedIn { credential: &'a str },
    /// Resource Graph answered with this many documents.
    GraphRead { documents: usize },
    /// Resource Graph could not be read; what it would have given is read by GET.
    GraphUnreadable { reason: &'a str },
    /// Every 200 ms while subjects are read.
    Reading(Status),
    /// Once, when every subject is read.
    Read(Status),
}

/// Counts for a progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    pub subscriptions: usize,
    pub subjects_read: usize,
    pub subjects_found: usize,
    pub requests: u64,
    pub pending: u64,
    pub throttled: u64,
}

/// When to read what Azure Resource Graph indexes through it rather than by GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceGraph {
    /// When more than one subscription is read.
    Auto,
    Always,
    Never,
}

/// Which subjects to read (baseline.md Annex A §1.7).
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// One workspace, by id.
    pub workspace: Option<String>,
    /// Resource groups or subscriptions (ids) whose workspaces are discovered, and their
    /// other subjects (AML registries, Foundry accounts) unless their kind is `undiscovered`.
    pub scopes: Vec<String>,
    pub undiscovered: Vec<&'static crate::graph::Subject>,
    /// Other subjects, by id (`--registry`, `--foundry`).
    pub named: Vec<crate::graph::SubjectId>,
    /// Subscriptions discovered rather than named: every one below a management group, or
    /// every one the identity can read. Their workspaces and registries are discovered.
    pub tenant: Option<Tenant>,
}

/// Where the subscriptions of a tenant-wide audit come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenant {
    /// `GET /subscriptions`: every subscription the identity can read.
    AllSubscriptions,
    /// The subscriptions below a management group (its descendants, at any depth).
    ManagementGroup(String),
}

impl std::fmt::Display for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tenant::AllSubscriptions => f.write_str("--all-subscriptions"),
            Tenant::ManagementGroup(mg) => write!(f, "--management-group {mg}"),
        }
    }
}

/// What a live read produced: the same documents a snapshot holds.
#[derive(Debug)]
pub struct Live {
    pub documents: Documents,
    pub subjects: Vec<crate::graph::SubjectId>,
    /// Lists of subjects that could not be read (a registry list): the audit is incomplete.
    pub errors: Vec<crate::documents::ReadFailure>,
    pub requests: u64,
    pub endpoint: String,
    /// What Resource Graph provided, when it was queried.
    pub graph: Option<GraphRead>,
}

/// The documents a live read took from Resource Graph rather than a GET of each.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphRead {
    pub api_version: &'static str,
    /// RFC 3339, UTC: when the queries were made.
    pub read_at: String,
    /// Their ids, sorted.
    pub documents: Vec<String>,
}

/// How amlsec authenticates to ARM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Service principal, workload identity, Azure Pipelines, managed identity, then Azure CLI / azd.
    Auto,
    /// Service principal: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or instead of
    /// the secret AZURE_CLIENT_CERTIFICATE_PATH (a PEM certificate with its RSA key).
    ServicePrincipal,
    /// Federated token file: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE.
    WorkloadIdentity,
    /// Azure Pipelines service connection with workload identity federation.
    AzurePipelines,
    /// Managed identity of the host (AZURE_CLIENT_ID selects a user-assigned one).
    ManagedIdentity,
    /// The Azure CLI login, then the Azure Developer CLI's.
    Cli,
    /// A bearer token from AMLSEC_ACCESS_TOKEN.
    Token,
}

/// Without the `live` feature there is no client: say so instead of reading nothing.
#[cfg(not(feature = "live"))]
pub fn read(
    _options: &LiveOptions,
    _selector: &Selector,
    _settings: &Settings,
    _wanted: &[TargetKind],
) -> Result<Live, Error> {
    Err(Error::Usage(
        "this amlsec was built without the `live` feature, so it cannot read Azure; audit a \
         --snapshot, or install a build with default features"
            .to_string(),
    ))
}
