//! The `amlsec` command line: argument parsing and wiring only; the work is in the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use amlsec::audit::{self, Selection};
use amlsec::date::Date;
use amlsec::error::{Error, Result};
use amlsec::exceptions::Exceptions;
use amlsec::report::{self, Format, Report};
use amlsec::rules::{Mode, RuleSet, RuleSource, Severity};
use amlsec::source::arm::collect::Plan;
use amlsec::source::arm::credential::AuthMode;
use amlsec::source::arm::{Cloud, Live, LiveOptions, Selector};
use amlsec::source::snapshot;

const AFTER_HELP: &str = "\
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
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit workspaces against the baseline and report pass / fail / manual per control.
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
3 audit incomplete (a workspace or a needed document could not be read).")]
    Audit(AuditArgs),
    /// Read workspaces from Azure and write them to a snapshot file that audits offline.
    #[command(after_help = "\
Examples:
  amlsec collect --workspace <workspace id> --output estate.json
  amlsec collect --subscription <sub1>,<sub2> --output estate.json
  amlsec audit --snapshot estate.json          # later, offline, with the same results")]
    Collect(CollectArgs),
    /// Browse and check rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Example:\n  amlsec completions bash > /etc/bash_completion.d/amlsec")]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  amlsec man > /usr/local/share/man/man1/amlsec.1")]
    Man,
}

#[derive(Args)]
struct RuleArgs {
    /// Add rule files or folders of `*.yaml` (repeatable); a control with a built-in id replaces it.
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Use only the rules given with --rules.
    #[arg(long, requires = "rules")]
    no_builtin_rules: bool,
}

#[derive(Args)]
struct SourceArgs {
    /// A workspace: its full ARM id, or its name with --resource-group (and --subscription).
    /// With --snapshot, picks one workspace of the file (id, or name when unique).
    #[arg(long, value_name = "ID|NAME")]
    workspace: Option<String>,
    /// Every workspace of this resource group (or the group of a named --workspace).
    #[arg(long, value_name = "RG")]
    resource_group: Option<String>,
    /// Every workspace of these subscriptions (repeatable or comma-separated); otherwise the
    /// subscription of --resource-group. Defaults to AZURE_SUBSCRIPTION_ID.
    #[arg(long, value_name = "SUB", value_delimiter = ',')]
    subscription: Vec<String>,
}

#[derive(Args)]
struct AzureArgs {
    /// Azure cloud: sets the ARM endpoint, token scope and sign-in authority together
    /// [default: public].
    #[arg(long, value_enum)]
    cloud: Option<CloudArg>,
    /// ARM endpoint to use instead of the cloud's (https, or http to a loopback address).
    #[arg(long, value_name = "URL")]
    arm_endpoint: Option<String>,
    /// Credential: auto tries service-principal, workload-identity, azure-pipelines,
    /// managed-identity, then cli; token reads AMLSEC_ACCESS_TOKEN [default: auto].
    #[arg(long, value_enum)]
    auth: Option<AuthArg>,
    /// Most ARM requests in flight at once [default: 16].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: Option<u16>,
    /// Seconds before one ARM request is given up [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: Option<u64>,
    /// Largest ARM reply read, e.g. 64MiB; a longer one is a failed read [default: 64MiB].
    #[arg(long, value_name = "SIZE", value_parser = amlsec::input::parse_size)]
    max_reply_size: Option<u64>,
    /// No progress on stderr.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum CloudArg {
    Public,
    Usgov,
    China,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthArg {
    Auto,
    ServicePrincipal,
    WorkloadIdentity,
    AzurePipelines,
    ManagedIdentity,
    Cli,
    Token,
}

#[derive(Args)]
struct CollectArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    azure: AzureArgs,
    /// The snapshot file to write.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
    /// Rule files whose parameters (private DNS zones, SQL host suffixes) shape what is read.
    #[command(flatten)]
    rules: RuleArgs,
}

#[derive(Args)]
struct AuditArgs {
    /// Offline input: a JSON file of ARM documents, or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Largest snapshot accepted, e.g. 512MiB or 4GiB [default: 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = amlsec::input::parse_size)]
    max_snapshot_size: Option<u64>,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    azure: AzureArgs,
    /// 1: controls for every workspace; 2: also those for sensitive data (cost or hard to reverse).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    level: u8,
    /// Only these categories (repeatable or comma-separated), e.g. network,identity.
    #[arg(long, value_delimiter = ',', value_name = "CATEGORY")]
    category: Vec<String>,
    /// Only these controls (repeatable or comma-separated), e.g. AML-NS-01.
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    control: Vec<String>,
    #[command(flatten)]
    rules: RuleArgs,
    /// Override a rule parameter: NAME=VALUE, VALUE in YAML (`3`, `[a, b]`, `text`).
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// Lowest severity whose failure makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    fail_on: FailOn,
    /// Accepted exceptions (YAML): matching failures become `waived` in every output.
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// Format printed on standard output.
    #[arg(long, default_value = "table", value_name = "FORMAT", value_parser = ["table", "json", "sarif", "junit", "markdown"])]
    format: String,
    /// Also write a report file (repeatable): FORMAT:PATH, or a PATH ending in .json, .sarif,
    /// .xml (JUnit), .md or .txt.
    #[arg(long, value_name = "[FORMAT:]PATH")]
    output: Vec<String>,
    /// Colour the table: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum RulesCommand {
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
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Audit(args) => audit(args),
        Command::Collect(args) => collect(args),
        Command::Rules(cmd) => rules(cmd),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "amlsec", &mut script);
            emit(|out| out.write_all(&script)).map(|()| 0)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .expect("rendering into memory does not fail");
            emit(|out| out.write_all(&page)).map(|()| 0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            note(&format!("error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes to standard output. A reader that went away (`| head`) is not an error: what it
/// read was complete, and the exit code stays the command's own. Any other failure (a full
/// disk) is, since the output is cut short.
fn emit(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        }),
        Ok(()) => Ok(()),
    }
}

/// A line on standard error, `amlsec: ` first; a closed or full stderr is ignored, since
/// there is nowhere left to say anything.
fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "amlsec: {message}");
}

fn load_rules(paths: &[PathBuf], builtin: bool) -> Result<RuleSet> {
    let mut sources = if builtin {
        RuleSource::builtin()
    } else {
        Vec::new()
    };
    for p in paths {
        sources.extend(RuleSource::read(p)?);
    }
    RuleSet::load(&sources)
}

fn audit(args: AuditArgs) -> Result<u8> {
    let started = Instant::now();
    let mut rules = load_rules(&args.rules.rules, !args.rules.no_builtin_rules)?;
    for p in &args.param {
        rules.set_param(p)?;
    }
    for notice in &rules.notices {
        note(notice);
    }
    let outputs = args
        .output
        .iter()
        .map(|o| parse_output(o))
        .collect::<Result<Vec<_>>>()?;
    let selection = Selection {
        level: args.level,
        categories: args.category,
        controls: args.control,
    };
    let controls = selection.apply(&rules)?;
    let today = Date::today();
    let exceptions = match &args.exceptions {
        Some(path) => Exceptions::load(path, today)?,
        None => Exceptions::default(),
    };
    let (docs, ids, source, requests) = match &args.snapshot {
        Some(path) => {
            let source_flag = (args
                .source
                .resource_group
                .is_some()
                .then_some("--resource-group"))
            .or((!args.source.subscription.is_empty()).then_some("--subscription"));
            if let Some(flag) = args.azure.given().or(source_flag) {
                return Err(Error::Usage(format!(
                    "{flag} reads from Azure; it does not go with --snapshot"
                )));
            }
            let limit = args
                .max_snapshot_size
                .unwrap_or(amlsec::input::SNAPSHOT_LIMIT);
            let docs = snapshot::load(path, limit)?;
            let ids = audit::workspaces(&docs, args.source.workspace.as_deref())?;
            (
                docs,
                ids,
                report::Source::Snapshot {
                    path: path.display().to_string(),
                },
                0,
            )
        }
        None => {
            let live = read_live(&args.source, &args.azure, &rules)?;
            let source = report::Source::Live {
                endpoint: live.endpoint.clone(),
            };
            (live.documents, live.workspaces, source, live.requests)
        }
    };
    let mut workspaces = audit::run(&docs, &ids, &rules, &controls);
    let outcomes = exceptions.apply(&mut workspaces, today);
    for warning in outcomes.iter().filter_map(|o| o.warning()) {
        note(&format!("warning: {warning}"));
    }
    let fail_on = match args.fail_on {
        FailOn::Critical => Severity::Critical,
        FailOn::High => Severity::High,
        FailOn::Medium => Severity::Medium,
        FailOn::Low => Severity::Low,
    };
    let code = audit::exit_code(&workspaces, fail_on);
    let reason = audit::exit_reason(&workspaces, fail_on);
    let report = Report {
        workspaces,
        level: args.level,
        source,
        generated_at: amlsec::date::now_rfc3339(),
        duration_ms: started.elapsed().as_millis() as u64,
        requests,
        exceptions: outcomes,
    };
    for (format, path) in outputs {
        std::fs::File::create(&path)
            .and_then(|mut file| report::write(format, &report, false, &mut file))
            .map_err(|source| Error::Write { path, source })?;
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let format = Format::parse(&args.format)?;
    emit(|out| report::write(format, &report, color, out))?;
    note(&reason);
    Ok(code as u8)
}

impl AzureArgs {
    /// The first Azure flag given explicitly (they mean nothing offline).
    fn given(&self) -> Option<&'static str> {
        [
            (self.arm_endpoint.is_some(), "--arm-endpoint"),
            (self.cloud.is_some(), "--cloud"),
            (self.auth.is_some(), "--auth"),
            (self.concurrency.is_some(), "--concurrency"),
            (self.timeout.is_some(), "--timeout"),
            (self.max_reply_size.is_some(), "--max-reply-size"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    fn options(&self) -> LiveOptions {
        LiveOptions {
            cloud: match self.cloud.unwrap_or(CloudArg::Public) {
                CloudArg::Public => Cloud::Public,
                CloudArg::Usgov => Cloud::UsGov,
                CloudArg::China => Cloud::China,
            },
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
            progress: !self.quiet,
            max_reply_bytes: self
                .max_reply_size
                .unwrap_or(amlsec::source::arm::client::REPLY_LIMIT),
        }
    }
}

/// `/subscriptions/{id}` from a subscription id or path.
fn subscription_scope(sub: &str) -> String {
    let sub = sub.trim().trim_end_matches('/');
    match sub.rsplit_once('/') {
        Some((_, id)) => format!("/subscriptions/{id}"),
        None => format!("/subscriptions/{sub}"),
    }
}

/// Which workspaces the flags name (DESIGN §3, SOURCE).
fn selector(source: &SourceArgs) -> Result<Selector> {
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
    let one_sub = |what: &str| match subs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Usage(format!(
            "{what} needs --subscription (or AZURE_SUBSCRIPTION_ID)"
        ))),
        _ => Err(Error::Usage(format!("{what} takes one --subscription"))),
    };
    match (&source.workspace, &source.resource_group) {
        (Some(ws), None) if ws.contains('/') => Ok(Selector::Workspace(ws.trim().to_string())),
        (Some(ws), None) => Err(Error::Usage(format!("--workspace {ws}: give the full ARM id, or add --resource-group"))),
        (Some(ws), Some(rg)) => {
            let sub = one_sub("--workspace NAME --resource-group RG")?;
            Ok(Selector::Workspace(format!("{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}")))
        }
        (None, Some(rg)) => Ok(Selector::Scopes(vec![format!("{}/resourceGroups/{rg}", one_sub("--resource-group")?)])),
        (None, None) if !subs.is_empty() => Ok(Selector::Scopes(subs)),
        (None, None) => Err(Error::Usage(
            "name what to audit: --snapshot FILE, --workspace ID, --resource-group RG or --subscription SUB".into(),
        )),
    }
}

fn read_live(source: &SourceArgs, azure: &AzureArgs, rules: &RuleSet) -> Result<Live> {
    let selector = selector(source)?;
    let list = |name: &str| -> Vec<String> {
        match rules.params.get(name) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => vec![],
        }
    };
    let plan = Plan {
        dns_zones: list("aml_private_dns_zones"),
        sql_host_suffixes: list("sql_host_suffixes"),
        subscriptions: vec![],
    };
    amlsec::source::arm::read(&azure.options(), &selector, plan)
}

fn collect(args: CollectArgs) -> Result<u8> {
    let rules = load_rules(&args.rules.rules, !args.rules.no_builtin_rules)?;
    let live = read_live(&args.source, &args.azure, &rules)?;
    let source = serde_json::json!({"kind": "live", "endpoint": live.endpoint, "workspaces": live.workspaces, "requests": live.requests});
    std::fs::File::create(&args.output)
        .and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            snapshot::write(
                &live.documents,
                &amlsec::date::now_rfc3339(),
                &source,
                &mut out,
            )?;
            std::io::Write::flush(&mut out)
        })
        .map_err(|source| Error::Write {
            path: args.output.clone(),
            source,
        })?;
    let failed = live.documents.failures().count();
    note(&format!(
        "wrote {}: {} workspaces, {} documents, {} failed reads, {} requests",
        args.output.display(),
        live.workspaces.len(),
        live.documents.len(),
        failed,
        live.requests
    ));
    Ok(0)
}

/// `FORMAT:PATH` or a path whose extension names the format.
fn parse_output(spec: &str) -> Result<(Format, PathBuf)> {
    if let Some((prefix, path)) = spec.split_once(':')
        && Format::NAMES.contains(&prefix.to_ascii_lowercase().as_str())
        && !path.is_empty()
    {
        return Ok((Format::parse(prefix)?, PathBuf::from(path)));
    }
    let path = PathBuf::from(spec);
    match Format::from_extension(&path) {
        Some(f) => Ok((f, path)),
        None => Err(Error::Usage(format!(
            "--output {spec}: cannot tell the format; write FORMAT:PATH (formats: {}) or end the name in .json, .sarif, .xml, .md or .txt",
            Format::NAMES.join(", ")
        ))),
    }
}

fn rules(cmd: RulesCommand) -> Result<u8> {
    use std::fmt::Write as _;
    let mut text = String::new();
    // Writing to a String cannot fail; the text goes out once, through `emit`.
    macro_rules! out {
        ($($arg:tt)*) => { let _ = writeln!(text, $($arg)*); };
    }
    match cmd {
        RulesCommand::List {
            rules,
            category,
            format,
        } => {
            let set = load_rules(&rules.rules, !rules.no_builtin_rules)?;
            let selection = Selection {
                level: 2,
                categories: category,
                controls: vec![],
            };
            let controls = selection.apply(&set)?;
            if format == "markdown" {
                text.push_str(&amlsec::rules::reference::markdown(&controls));
            } else if format == "json" {
                let list: Vec<serde_json::Value> = controls
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "id": c.id, "title": c.title, "category": c.category, "section": c.section,
                            "severity": c.severity, "level": c.level, "mode": c.mode,
                            "target": c.target.to_string(), "references": c.references,
                        })
                    })
                    .collect();
                out!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("serialisable")
                );
            } else {
                let mut t = comfy_table::Table::new();
                t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
                t.set_header(vec![
                    "Id", "Category", "Severity", "Level", "Mode", "Target", "Title",
                ]);
                for c in &controls {
                    t.add_row(vec![
                        c.id.clone(),
                        c.category.clone(),
                        c.severity.as_str().to_string(),
                        c.level.to_string(),
                        mode_name(c.mode).to_string(),
                        c.target.to_string(),
                        c.title.clone(),
                    ]);
                }
                out!("{t}\n{} controls", controls.len());
            }
        }
        RulesCommand::Show { id, rules } => {
            let set = load_rules(&rules.rules, !rules.no_builtin_rules)?;
            let c = set
                .controls
                .iter()
                .find(|c| c.id.eq_ignore_ascii_case(&id))
                .ok_or_else(|| {
                    Error::Usage(format!("no control {id} (see `amlsec rules list`)"))
                })?;
            out!("{} · {}", c.id, c.title);
            out!(
                "category   {}{}",
                c.category_title,
                c.section
                    .as_deref()
                    .map(|s| format!(" / {s}"))
                    .unwrap_or_default()
            );
            out!(
                "severity   {} · level {} · {}",
                c.severity.as_str(),
                c.level,
                mode_name(c.mode)
            );
            out!("target     {}", c.target);
            out!("defined at {}", c.origin);
            if let Some(a) = &c.applies {
                out!("applies    {a}");
            }
            if let Some(p) = &c.pass {
                out!("passes     {p}");
            }
            for e in &c.evidence {
                out!(
                    "evidence   {}{}",
                    e.path,
                    e.expected
                        .as_deref()
                        .map(|x| format!(" (expected {x})"))
                        .unwrap_or_default()
                );
            }
            for (label, text) in [("remediation", &c.remediation), ("guidance", &c.guidance)] {
                if let Some(t) = text {
                    out!("\n{label}:\n{}", t.trim_end());
                }
            }
            let r = &c.references;
            out!(
                "\nseed: {} · mcsb: {}",
                r.seed.join(", "),
                r.mcsb.join(", ")
            );
            for a in &r.anchors {
                out!("  {a}");
            }
        }
        RulesCommand::Validate {
            paths,
            no_builtin_rules,
        } => {
            let set = load_rules(&paths, !no_builtin_rules)?;
            let files: usize = paths
                .iter()
                .map(|p| RuleSource::read(p).map_or(0, |s| s.len()))
                .sum();
            for notice in &set.notices {
                note(notice);
            }
            let own = set.controls.iter().filter(|c| !c.builtin).count();
            out!(
                "ok: {own} controls in {files} file{}",
                if files == 1 { "" } else { "s" }
            );
        }
    }
    emit(|out| out.write_all(text.as_bytes())).map(|()| 0)
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Automated => "automated",
        Mode::Manual => "manual",
    }
}
