//! The command line's shape (clap) and how flags become library requests.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use amlsec::audit::Selection;
use amlsec::audit::Status;
use amlsec::cloud::Cloud;
use amlsec::config::Config;
use amlsec::error::{Error, Result};
use amlsec::pipeline::{Estate, RulesRequest, Source};

use crate::output::terminal_width;
use crate::subscription::{one_subscription, subscription_scope};
use amlsec::report::{self, View};
use amlsec::rules::Severity;
use amlsec::source::arm::{AuthMode, LiveOptions, ResourceGraph, Selector, Tenant};

pub const AFTER_HELP: &str = "\
Examples:
  amlsec audit --snapshot examples/default-workspace.json
  amlsec audit --workspace /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>
  amlsec audit --subscription <sub> --level 2 --output report.json --output sarif:results.sarif
  amlsec collect --resource-group rg-ml --output estate.json
  amlsec rules list --category network
  amlsec rules validate my-rules/

Exit codes: 0 no failing control at or above --fail-on; 1 a control failed; 2 usage or input
error (nothing audited); 3 audit incomplete (a read failed or a control is `error`).";

/// Security-baseline auditor for Azure Machine Learning workspaces.
#[derive(Parser)]
#[command(name = "amlsec", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Audit workspaces, AML registries and AI Foundry accounts against the baseline and report pass / fail / manual per control.
    #[command(after_help = "\
Examples:
  amlsec audit --snapshot examples/default-workspace.json
  amlsec audit --workspace ws-prod --resource-group rg-ml --subscription <sub> --fail-on high
  amlsec audit --resource-group rg-ml --auth cli --output sarif:amlsec.sarif
  amlsec audit --snapshot estate.json --workspace ws-prod --level 2 --fail-on high
  amlsec audit --snapshot - --format json < estate.json
  amlsec audit --snapshot estate.json --output report.json     # table on stdout, JSON to a file
  amlsec audit --snapshot estate.json --rules my-rules/ --param 'owner_tag_keys=[owner, costCenter]'

Exit codes: 0 clean; 1 a control failed at or above --fail-on; 2 usage or input error;
3 audit incomplete (a workspace, a registry, a Foundry account or a needed document could not be read).")]
    Audit(Box<AuditArgs>),
    /// Read workspaces, AML registries and Foundry accounts from Azure and write them to a snapshot file that audits offline.
    #[command(after_help = "\
Examples:
  amlsec collect --workspace <workspace id> --output estate.json
  amlsec collect --subscription <sub1>,<sub2> --output estate.json
  amlsec audit --snapshot estate.json          # later, offline, with the same results")]
    Collect(Box<CollectArgs>),
    /// Browse and check rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Example:\n  amlsec completions bash > /etc/bash_completion.d/amlsec")]
    Completions { shell: clap_complete::Shell },
    /// Answers to manual controls: `template` prints the questions to fill in.
    #[command(subcommand)]
    Answers(AnswersCommand),
    /// Write a commented amlsec.yaml (the settings `amlsec audit` reads) to fill in.
    #[command(after_help = "Example:\n  amlsec init && $EDITOR amlsec.yaml")]
    Init {
        /// Write over an existing amlsec.yaml.
        #[arg(long)]
        force: bool,
    },
    /// Print the man page (roff), or write every page (amlsec.1, amlsec-audit.1, …) to a folder.
    #[command(
        after_help = "Examples:\n  amlsec man --dir /usr/local/share/man/man1   # every page the main one refers to\n  amlsec man > amlsec.1"
    )]
    Man {
        /// Write amlsec.1 and one page per subcommand here instead of printing amlsec.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args)]
pub struct RuleArgs {
    /// Add rule files or folders of `*.yaml` (repeatable); a control with a built-in id replaces it.
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Use only the rules given with --rules.
    #[arg(long, requires = "rules")]
    pub no_builtin_rules: bool,
}

#[derive(Args)]
pub struct SourceArgs {
    /// A workspace: its full ARM id, or its name with --resource-group (and --subscription).
    /// With --snapshot, picks one workspace of the file (id, or name when unique).
    #[arg(long, value_name = "ID|NAME")]
    pub workspace: Option<String>,
    /// Every workspace of this resource group (or the group of a named --workspace).
    #[arg(long, value_name = "RG")]
    pub resource_group: Option<String>,
    /// Every workspace of these subscriptions (repeatable or comma-separated); otherwise the
    /// subscription of --resource-group. Defaults to AZURE_SUBSCRIPTION_ID, else `az account
    /// show`'s.
    #[arg(long, value_name = "SUB", value_delimiter = ',')]
    pub subscription: Vec<String>,
    /// An AML registry (full ARM id; repeatable or comma-separated), audited besides the
    /// workspaces. --resource-group and --subscription find their registries on their own.
    /// With --snapshot, picks registries of the file (id, or name when unique).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub registry: Vec<String>,
    /// Leave AML registries out of --resource-group and --subscription discovery.
    #[arg(long)]
    pub no_registries: bool,
    /// An Azure AI Foundry account (a Microsoft.CognitiveServices account of kind AIServices or
    /// OpenAI; full ARM id; repeatable or comma-separated), audited besides the workspaces.
    /// Discovery finds the accounts of --resource-group and --subscription, and those a
    /// picked workspace's AI-services connection names. With --snapshot, picks accounts of the
    /// file (id, or name when unique).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub foundry: Vec<String>,
    /// Leave Foundry accounts out of discovery (account lists and workspace connections);
    /// --foundry ids are still audited.
    #[arg(long)]
    pub no_foundry: bool,
    /// Every subscription below this management group (any depth), discovered with paging.
    #[arg(long, value_name = "ID", conflicts_with_all = ["workspace", "resource_group", "subscription", "all_subscriptions"])]
    pub management_group: Option<String>,
    /// Every subscription the identity can read (`GET /subscriptions`).
    #[arg(long, conflicts_with_all = ["workspace", "resource_group", "subscription"])]
    pub all_subscriptions: bool,
}

#[derive(Args)]
pub struct AzureArgs {
    /// Azure cloud: sets the ARM endpoint, token scope and sign-in authority together, and the
    /// default settings (private DNS zone names, SQL host suffixes), also offline [default: public].
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
    /// ARM endpoint to use instead of the cloud's (https, or http to a loopback address).
    #[arg(long, value_name = "URL")]
    pub arm_endpoint: Option<String>,
    /// Credential: auto tries service-principal, workload-identity, azure-pipelines,
    /// managed-identity, then cli; token reads AMLSEC_ACCESS_TOKEN [default: auto].
    #[arg(long, value_enum)]
    pub auth: Option<AuthArg>,
    /// Most ARM requests in flight at once [default: 16].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// Seconds before one ARM request is given up [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: Option<u64>,
    /// Seconds the whole live read may take: a read ARM throttles is retried, at the pace its
    /// subscription's read budget allows, until then [default: 3600].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub max_duration: Option<u64>,
    /// What all ARM replies of the run may add up to, e.g. 4GiB; past it, reads fail
    /// [default: 4GiB].
    #[arg(long, value_name = "SIZE", value_parser = amlsec::input::parse_size)]
    pub max_run_reply_size: Option<u64>,
    /// Largest ARM reply read, e.g. 64MiB; a longer one is a failed read [default: 64MiB].
    #[arg(long, value_name = "SIZE", value_parser = amlsec::input::parse_size)]
    pub max_reply_size: Option<u64>,
    /// Read what Azure Resource Graph indexes (workspaces, storage, key vaults, registries,
    /// networks, pricings) with one query per 300 subscriptions instead of a GET each: auto
    /// does when more than one subscription is read [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub resource_graph: Option<GraphArg>,
    /// No progress on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Say on stderr which credential signed in.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GraphArg {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CloudArg {
    Public,
    Usgov,
    China,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AuthArg {
    Auto,
    ServicePrincipal,
    WorkloadIdentity,
    AzurePipelines,
    ManagedIdentity,
    Cli,
    Token,
}

#[derive(Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub azure: AzureArgs,
    /// The snapshot file to write.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub settings: SettingArgs,
}

#[derive(Args)]
pub struct SettingArgs {
    /// Override an engine setting: NAME=VALUE, e.g. 'aml_private_dns_zones=[a, b]' or
    /// 'sql_host_suffixes=[.database.windows.net]' (defaults follow --cloud).
    #[arg(long, value_name = "NAME=VALUE")]
    pub setting: Vec<String>,
}

#[derive(Args)]
pub struct AuditArgs {
    /// Offline input: a JSON file of ARM documents, or `-` for standard input.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub snapshot: Option<PathBuf>,
    /// Pre-deployment input: an ARM template (JSON; run `bicep build` first for Bicep). What it
    /// would deploy is audited; what it cannot tell is `unknown`.
    /// With --snapshot, or --resource-group (live), the template is laid over that estate (what
    /// it does not deploy is read from it): how a pull request is judged against production.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub template: Option<PathBuf>,
    /// Pre-deployment input: a what-if result (`az deployment group what-if --result-format
    /// FullResourcePayloads --no-pretty-print`); the `after` payloads are audited.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["template", "snapshot"], help_heading = "Input")]
    pub what_if: Option<PathBuf>,
    /// A deployment parameters file for --template.
    #[arg(
        long,
        value_name = "FILE",
        requires = "template",
        help_heading = "Input"
    )]
    pub parameters: Option<PathBuf>,
    /// A template parameter, NAME=VALUE (the value as JSON, or else as a string); overrides
    /// --parameters.
    #[arg(
        long,
        value_name = "NAME=VALUE",
        requires = "template",
        help_heading = "Input"
    )]
    pub parameter: Vec<String>,
    /// The resource group the template is deployed to, /subscriptions/<sub>/resourceGroups/<rg>
    /// (with --snapshot: the estate's) [default: a placeholder group].
    #[arg(long, value_name = "ID", requires = "template", help_heading = "Input")]
    pub deployment_scope: Option<String>,
    /// Largest snapshot accepted, e.g. 512MiB or 4GiB [default: 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = amlsec::input::parse_size, help_heading = "Input")]
    pub max_snapshot_size: Option<u64>,
    #[command(flatten, next_help_heading = "Input")]
    pub source: SourceArgs,
    #[command(flatten, next_help_heading = "Azure")]
    pub azure: AzureArgs,
    /// Settings file [default: ./amlsec.yaml when it exists]; flags override what it sets.
    #[arg(long, value_name = "FILE", help_heading = "Selection")]
    pub config: Option<PathBuf>,
    /// 1: controls for every workspace; 2: also those for sensitive data (cost or hard to
    /// reverse) [default: 1].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2), help_heading = "Selection")]
    pub level: Option<u8>,
    /// Only these categories (repeatable or comma-separated), e.g. network,identity.
    #[arg(long, value_delimiter = ',', value_name = "CATEGORY", help_heading = "Selection", value_parser = categories(), hide_possible_values = true)]
    pub category: Vec<String>,
    /// Only these controls (repeatable or comma-separated), e.g. AML-NS-01.
    #[arg(long, value_delimiter = ',', value_name = "ID", help_heading = "Selection", value_parser = control_ids(), hide_possible_values = true)]
    pub control: Vec<String>,
    /// Only controls of this severity or higher; several, comma-separated: exactly those.
    #[arg(
        long,
        value_enum,
        value_name = "SEVERITY",
        value_delimiter = ',',
        ignore_case = true,
        help_heading = "Selection"
    )]
    pub severity: Vec<SeverityArg>,
    /// Leave these controls out (repeatable or comma-separated; `*` globs, e.g. AML-LT-*).
    #[arg(long, value_delimiter = ',', value_name = "ID", help_heading = "Selection", value_parser = control_ids(), hide_possible_values = true)]
    pub skip_control: Vec<String>,
    #[command(flatten, next_help_heading = "Selection")]
    pub rules: RuleArgs,
    /// Override a rule parameter: NAME=VALUE, VALUE in YAML (`3`, `[a, b]`, `text`).
    #[arg(long, value_name = "NAME=VALUE", help_heading = "Selection")]
    pub param: Vec<String>,
    #[command(flatten, next_help_heading = "Selection")]
    pub settings: SettingArgs,
    /// Lowest severity whose failure makes the exit code 1 [default: low].
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        help_heading = "Verdicts and exit code"
    )]
    pub fail_on: Option<SeverityArg>,
    /// Accepted exceptions (YAML): matching failures become `waived` in every output.
    #[arg(long, value_name = "FILE", help_heading = "Verdicts and exit code")]
    pub exceptions: Option<PathBuf>,
    /// Answers to manual controls (YAML; `amlsec answers template` writes one to fill in).
    #[arg(long, value_name = "FILE", help_heading = "Verdicts and exit code")]
    pub answers: Option<PathBuf>,
    /// A previous JSON report: its failures are `known`, the others `new`; fixed ones listed.
    #[arg(
        long,
        value_name = "REPORT.json",
        help_heading = "Verdicts and exit code"
    )]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only for failures the --baseline report did not have.
    #[arg(long, help_heading = "Verdicts and exit code")]
    pub fail_on_new: bool,
    /// Count `unknown` results (what a template cannot tell) as failures for the exit code.
    #[arg(long, help_heading = "Verdicts and exit code")]
    pub fail_on_unknown: bool,
    /// Format printed on standard output, and of an --output whose extension says none
    /// [default: table].
    #[arg(long, value_name = "FORMAT", value_parser = amlsec::report::Format::NAMES.to_vec(), help_heading = "Output")]
    pub format: Option<String>,
    /// Also write a report file (repeatable): FORMAT:PATH, or a PATH ending in .json, .sarif,
    /// .xml or .junit (JUnit), .md or .markdown, .csv, .html or .txt.
    #[arg(long, value_name = "[FORMAT:]PATH", help_heading = "Output")]
    pub output: Vec<String>,
    /// Colour the table: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Output")]
    pub color: ColorChoice,
    /// Also list in the table: `manual` (each manual control with its guidance).
    #[arg(long, value_name = "WHAT", value_parser = ["manual"], help_heading = "Output")]
    pub show: Vec<String>,
    /// Which controls the table lists, by status (comma-separated or repeated); other formats
    /// always hold every control [default: fail,waived,error,unknown,manual].
    #[arg(long, value_name = "STATUS", value_delimiter = ',', ignore_case = true, value_parser = clap::builder::PossibleValuesParser::new(Status::ALL.map(Status::as_str)), help_heading = "Output")]
    pub status: Vec<String>,
    /// Largest Markdown summary; past it a compact form is written. 64KiB fits a pull-request
    /// comment [default: 1MiB, what GitHub's step summary takes].
    #[arg(long, value_name = "SIZE", value_parser = crate::output::markdown_limit, help_heading = "Output")]
    pub markdown_limit: Option<usize>,
    /// Also summarise the verdicts by the items of a framework: mcsb (Microsoft cloud security
    /// benchmark v1), or cis (CIS Controls v8) or nist (NIST SP 800-53 r4) as the benchmark
    /// maps them; in every format.
    #[arg(long, value_name = "FRAMEWORK", value_parser = amlsec::rules::mcsb::Framework::NAMES.to_vec(), help_heading = "Output")]
    pub compliance: Option<String>,
    /// Print a control's full text (what it checks, why, the fix, references) and exit.
    #[arg(long, value_name = "ID", help_heading = "Output", value_parser = control_ids(), hide_possible_values = true)]
    pub explain: Option<String>,
}

/// Any text, with the built-in control ids offered to shell completion (user rules may add
/// others, so none is refused here; the audit says which ids match nothing).
fn control_ids() -> clap::builder::ValueParser {
    clap::builder::ValueParser::new(Offered(builtin_control_ids))
}

/// Any text, with the built-in categories offered to shell completion.
fn categories() -> clap::builder::ValueParser {
    clap::builder::ValueParser::new(Offered(|| {
        amlsec::rules::CATEGORIES
            .iter()
            .map(|(id, _)| *id)
            .collect()
    }))
}

/// Loading the rules takes tens of milliseconds: only completions and help ask for them.
fn builtin_control_ids() -> Vec<&'static str> {
    static IDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        amlsec::rules::RuleSet::load(&amlsec::rules::RuleSource::builtin())
            .map(|r| {
                r.controls
                    .iter()
                    .map(|c| &*Box::leak(c.id.clone().into_boxed_str()))
                    .collect()
            })
            .unwrap_or_default()
    })
    .clone()
}

/// A string parser whose offered values are computed only when asked for.
#[derive(Clone)]
struct Offered(fn() -> Vec<&'static str>);

impl clap::builder::TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.0)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
pub enum AnswersCommand {
    /// Print every manual control with its question and guidance as a YAML file to fill in.
    #[command(after_help = "Example:\n  amlsec answers template > answers.yaml")]
    Template {
        #[command(flatten)]
        rules: RuleArgs,
    },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List the controls: id, category, severity, level, mode, target, title.
    #[command(
        after_help = "Examples:\n  amlsec rules list\n  amlsec rules list --category network --format json"
    )]
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Only these categories (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',')]
        category: Vec<String>,
        /// table, json, or markdown (the control reference of docs/controls.md).
        #[arg(long, default_value = "table", value_parser = ["table", "json", "markdown"])]
        format: String,
    },
    /// Show one control in full: condition paths, evidence, remediation, guidance, references.
    #[command(after_help = "Example:\n  amlsec rules show AML-NS-01")]
    Show {
        #[arg(value_parser = control_ids(), hide_possible_values = true)]
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// List every target a rule can name: how it is found, what it reads, the facts it derives.
    #[command(after_help = "Example:\n  amlsec rules targets")]
    Targets,
    /// Check rule files (with the built-in ones, whose ids they may replace) without auditing.
    #[command(after_help = "Example:\n  amlsec rules validate my-rules/ extra.yaml")]
    Validate {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Validate the files alone, without the built-in rules.
        #[arg(long)]
        no_builtin_rules: bool,
    },
}

impl AzureArgs {
    /// The first Azure flag given explicitly that means nothing offline (`--cloud` does: it
    /// chooses the settings' defaults).
    pub fn given(&self) -> Option<&'static str> {
        [
            (self.arm_endpoint.is_some(), "--arm-endpoint"),
            (self.auth.is_some(), "--auth"),
            (self.concurrency.is_some(), "--concurrency"),
            (self.timeout.is_some(), "--timeout"),
            (self.max_duration.is_some(), "--max-duration"),
            (self.max_reply_size.is_some(), "--max-reply-size"),
            (self.max_run_reply_size.is_some(), "--max-run-reply-size"),
            (self.resource_graph.is_some(), "--resource-graph"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    pub fn cloud(&self) -> Cloud {
        match self.cloud.unwrap_or(CloudArg::Public) {
            CloudArg::Public => Cloud::Public,
            CloudArg::Usgov => Cloud::UsGov,
            CloudArg::China => Cloud::China,
        }
    }

    pub fn options(&self) -> LiveOptions {
        LiveOptions {
            cloud: self.cloud(),
            endpoint: self.arm_endpoint.clone(),
            auth: match self.auth.unwrap_or(AuthArg::Auto) {
                AuthArg::Auto => AuthMode::Auto,
                AuthArg::ServicePrincipal => AuthMode::ServicePrincipal,
                AuthArg::WorkloadIdentity => AuthMode::WorkloadIdentity,
                AuthArg::AzurePipelines => AuthMode::AzurePipelines,
                AuthArg::ManagedIdentity => AuthMode::ManagedIdentity,
                AuthArg::Cli => AuthMode::Cli,
                AuthArg::Token => AuthMode::Token,
            },
            concurrency: usize::from(self.concurrency.unwrap_or(16)),
            timeout: Duration::from_secs(self.timeout.unwrap_or(30)),
            max_duration: Duration::from_secs(self.max_duration.unwrap_or(3600)),
            max_run_reply_bytes: self
                .max_run_reply_size
                .unwrap_or(amlsec::source::arm::RUN_REPLY_LIMIT),
            resource_graph: match self.resource_graph.unwrap_or(GraphArg::Auto) {
                GraphArg::Auto => ResourceGraph::Auto,
                GraphArg::Always => ResourceGraph::Always,
                GraphArg::Never => ResourceGraph::Never,
            },
            host: std::sync::Arc::new(crate::host::Terminal::new(self.quiet, self.verbose)),
            max_reply_bytes: self
                .max_reply_size
                .unwrap_or(amlsec::source::arm::REPLY_LIMIT),
        }
    }
}

/// Which workspaces and registries the flags name (DESIGN §3, SOURCE; Annex A §1.7).
/// The subscriptions `--subscription` names, else AZURE_SUBSCRIPTION_ID's.
fn subscriptions(source: &SourceArgs) -> Vec<String> {
    let mut subs: Vec<String> = source
        .subscription
        .iter()
        .map(|s| subscription_scope(s))
        .collect();
    if subs.is_empty()
        && let Ok(default) = std::env::var("AZURE_SUBSCRIPTION_ID")
        && !default.trim().is_empty()
    {
        subs.push(subscription_scope(&default));
    }
    subs
}

pub fn selector(source: &SourceArgs) -> Result<Selector> {
    let subs = subscriptions(source);
    let one_sub = |what: &str| one_subscription(&subs, what);
    let (registry, foundry) = (
        amlsec::graph::registry_subject(),
        amlsec::graph::foundry_subject(),
    );
    let mut named = Vec::new();
    for (kind, ids) in [(registry, &source.registry), (foundry, &source.foundry)] {
        for id in ids.iter().map(|i| i.trim()) {
            let of_kind = amlsec::arm_id::derive_type(id)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind.resource_type));
            if !of_kind {
                let what = amlsec::graph::link_named(kind.root).map_or(kind.noun.0, |l| l.what);
                let article = match what.starts_with(['A', 'E', 'I', 'O', 'U']) {
                    true => "an",
                    false => "a",
                };
                return Err(Error::Usage(format!(
                    "{} {id}: not {article} {what} id; expected /subscriptions/<sub>/resourceGroups/<rg>/providers/{}/<name>",
                    kind.flag, kind.resource_type
                )));
            }
            named.push((kind, id.to_string()));
        }
    }
    let undiscovered = [
        (registry, source.no_registries),
        (foundry, source.no_foundry),
    ]
    .into_iter()
    .filter_map(|(kind, off)| off.then_some(kind))
    .collect();
    let mut selector = Selector {
        named,
        undiscovered,
        ..Selector::default()
    };
    // A tenant's subscriptions are discovered, not named.
    if let Some(mg) = &source.management_group {
        let mg = mg.trim().trim_end_matches('/');
        let mg = mg.rsplit('/').next().unwrap_or(mg);
        selector.tenant = Some(Tenant::ManagementGroup(mg.to_string()));
        return Ok(selector);
    }
    if source.all_subscriptions {
        selector.tenant = Some(Tenant::AllSubscriptions);
        return Ok(selector);
    }
    match (&source.workspace, &source.resource_group) {
        (Some(ws), None) if ws.contains('/') => {
            // A malformed id would only come back as a report of failed reads.
            if !amlsec::arm_id::is_workspace_id(ws) {
                return Err(Error::Usage(format!(
                    "--workspace {ws}: not a workspace id; expected /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>"
                )));
            }
            selector.workspace = Some(ws.trim().to_string());
        }
        (Some(ws), None) => return Err(Error::Usage(format!("--workspace {ws}: give the full ARM id, or add --resource-group"))),
        (Some(ws), Some(rg)) => {
            let sub = one_sub("--workspace NAME --resource-group RG")?;
            selector.workspace = Some(format!("{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"));
        }
        (None, Some(rg)) => selector.scopes = vec![format!("{}/resourceGroups/{rg}", one_sub("--resource-group")?)],
        // Registries named alone are audited alone, whatever AZURE_SUBSCRIPTION_ID says.
        (None, None) if !selector.named.is_empty() && source.subscription.is_empty() => {}
        (None, None) if !subs.is_empty() => selector.scopes = subs,
        (None, None) => return Err(Error::Usage(
            "name what to audit: --snapshot FILE, --workspace ID, --resource-group RG, --subscription SUB, --registry ID or --foundry ID".into(),
        )),
    }
    Ok(selector)
}

impl RuleArgs {
    pub fn request(&self, params: &[String]) -> RulesRequest {
        RulesRequest {
            paths: self.rules.clone(),
            builtin: !self.no_builtin_rules,
            params: params.to_vec(),
        }
    }
}

impl From<Severity> for SeverityArg {
    fn from(s: Severity) -> SeverityArg {
        match s {
            Severity::Critical => SeverityArg::Critical,
            Severity::High => SeverityArg::High,
            Severity::Medium => SeverityArg::Medium,
            Severity::Low => SeverityArg::Low,
        }
    }
}

impl SeverityArg {
    pub fn severity(self) -> Severity {
        match self {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
        }
    }
}

impl ColorChoice {
    /// Auto: on a terminal, unless NO_COLOR is set (to anything but empty).
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

impl AuditArgs {
    /// Takes what the flags leave unset from the settings file (`--config`, or ./amlsec.yaml).
    pub fn with_config(self) -> Result<AuditArgs> {
        let config = Config::find(self.config.as_deref())?.map(|(_, c)| c);
        Ok(self.merge(config.unwrap_or_default()))
    }

    fn merge(mut self, config: Config) -> AuditArgs {
        let pick =
            |flags: Vec<String>, file: Vec<String>| if flags.is_empty() { file } else { flags };
        self.level = self.level.or(config.level);
        self.category = pick(self.category, config.categories);
        self.control = pick(self.control, config.controls);
        self.skip_control = pick(self.skip_control, config.skip);
        if self.severity.is_empty() {
            self.severity = config.severity.map(SeverityArg::from).into_iter().collect();
        }
        self.fail_on = self.fail_on.or(config.fail_on.map(SeverityArg::from));
        self.fail_on_new |= config.fail_on_new;
        // Rules, parameters and settings add up; a flag given later wins over the file.
        self.rules.rules = [config.rules, self.rules.rules].concat();
        self.param = [Config::assignments(&config.params), self.param].concat();
        self.settings.setting =
            [Config::assignments(&config.settings), self.settings.setting].concat();
        self.exceptions = self.exceptions.or(config.exceptions);
        self.answers = self.answers.or(config.answers);
        self.baseline = self.baseline.or(config.baseline);
        self.output = pick(self.output, config.outputs);
        self.format = self.format.or(config.format);
        self.compliance = self
            .compliance
            .or(config.compliance.map(|f| f.name().to_string()));
        self
    }

    /// How the table is laid out on this terminal.
    pub fn view(&self) -> View {
        View {
            color: self.color.enabled(),
            show_manual: self.show.iter().any(|s| s == "manual"),
            width: terminal_width(),
            markdown_limit: self.markdown_limit.unwrap_or(report::MARKDOWN_LIMIT),
            statuses: if self.status.is_empty() {
                report::DEFAULT_STATUSES.to_vec()
            } else {
                Status::ALL
                    .into_iter()
                    .filter(|s| {
                        self.status
                            .iter()
                            .any(|given| given.eq_ignore_ascii_case(s.as_str()))
                    })
                    .collect()
            },
        }
    }

    /// Which controls run: level, categories, ids, minimum severity, skips.
    pub fn selection(&self) -> Selection {
        Selection {
            level: self.level.unwrap_or(1),
            categories: self.category.clone(),
            controls: self.control.clone(),
            severities: self.severity.iter().map(|s| s.severity()).collect(),
            skip: self.skip_control.clone(),
        }
    }

    /// Where the documents come from: a snapshot, or Azure (the flags that read from Azure
    /// do not go with a snapshot).
    pub fn source(&self) -> Result<Source> {
        if let Some(path) = self.what_if.clone() {
            return Ok(Source::WhatIf { path });
        }
        if let Some(path) = self.template.clone() {
            return self.template_source(path);
        }
        match self.snapshot.clone() {
            Some(path) => self.snapshot_source(path),
            None => Ok(Source::Live {
                options: self.azure.options(),
                selector: selector(&self.source)?,
            }),
        }
    }

    /// The tenant-wide flag given, if any.
    fn tenant_flag(&self) -> Option<&'static str> {
        (self.source.management_group.is_some())
            .then_some("--management-group")
            .or(self
                .source
                .all_subscriptions
                .then_some("--all-subscriptions"))
    }

    /// A template, alone or laid over a snapshot or a live resource group.
    fn template_source(&self, path: PathBuf) -> Result<Source> {
        if let Some(flag) = (!self.source.registry.is_empty())
            .then_some("--registry")
            .or((!self.source.foundry.is_empty()).then_some("--foundry"))
            .or(self.source.workspace.is_some().then_some("--workspace"))
            .or(self.tenant_flag())
        {
            return Err(Error::Usage(format!(
                "{flag}: with --template, what is audited is what the template deploys or adds to"
            )));
        }
        // `--resource-group` (with its subscription) is where the template is deployed,
        // and the live estate it is laid over.
        let (estate, scope) = match (&self.source.resource_group, self.snapshot.clone()) {
            (Some(_), Some(_)) => {
                return Err(Error::Usage(
                    "--template is laid over one estate: --snapshot or --resource-group, not both"
                        .into(),
                ));
            }
            (Some(rg), None) => {
                if self.deployment_scope.is_some() {
                    return Err(Error::Usage(
                        "--resource-group is the deployment scope; leave out --deployment-scope"
                            .into(),
                    ));
                }
                let sub = one_subscription(&subscriptions(&self.source), "--resource-group")?;
                (
                    Some(Estate::Live(self.azure.options())),
                    Some(format!("{sub}/resourceGroups/{rg}")),
                )
            }
            (None, Some(snapshot)) => {
                let max_bytes = self
                    .max_snapshot_size
                    .unwrap_or(amlsec::input::SNAPSHOT_LIMIT);
                (
                    Some(Estate::Snapshot {
                        path: snapshot,
                        max_bytes,
                    }),
                    self.deployment_scope.clone(),
                )
            }
            (None, None) => {
                if let Some(flag) = self
                    .azure
                    .given()
                    .or((!self.source.subscription.is_empty()).then_some("--subscription"))
                {
                    return Err(Error::Usage(format!(
                        "{flag}: --template reads Azure only to overlay a live resource group: add --resource-group RG"
                    )));
                }
                (None, self.deployment_scope.clone())
            }
        };
        Ok(Source::Template {
            path,
            parameters_file: self.parameters.clone(),
            parameters: self.parameter.clone(),
            estate,
            scope,
        })
    }

    /// A snapshot, and the subjects picked from it.
    fn snapshot_source(&self, path: PathBuf) -> Result<Source> {
        let live_only = (self
            .source
            .resource_group
            .is_some()
            .then_some("--resource-group"))
        .or((!self.source.subscription.is_empty()).then_some("--subscription"))
        .or(self.tenant_flag());
        if let Some(flag) = self.azure.given().or(live_only) {
            return Err(Error::Usage(format!(
                "{flag} reads from Azure; it does not go with --snapshot"
            )));
        }
        let max_bytes = self
            .max_snapshot_size
            .unwrap_or(amlsec::input::SNAPSHOT_LIMIT);
        if let Some(flag) = (self.source.no_registries)
            .then_some("--no-registries")
            .or(self.source.no_foundry.then_some("--no-foundry"))
        {
            return Err(Error::Usage(format!(
                "{flag} limits discovery in Azure; with --snapshot, pick what to audit with --workspace, --registry and --foundry"
            )));
        }
        let (workspace, registry, foundry) = (
            amlsec::graph::workspace_subject(),
            amlsec::graph::registry_subject(),
            amlsec::graph::foundry_subject(),
        );
        let pick = self
            .source
            .workspace
            .iter()
            .map(|w| (workspace, w.clone()))
            .chain(self.source.registry.iter().map(|r| (registry, r.clone())))
            .chain(self.source.foundry.iter().map(|f| (foundry, f.clone())))
            .collect();
        Ok(Source::Snapshot {
            path,
            max_bytes,
            pick,
        })
    }
}
