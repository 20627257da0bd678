//! The whole job, request to report, in one place: the binary, the tests and the benches all
//! call these functions, so none of them rebuilds the pipeline by hand.

use std::path::PathBuf;
use std::time::Instant;

use crate::audit::answers::Answers;
use crate::audit::baseline::Baseline;
use crate::audit::exceptions::Exceptions;
use crate::audit::{self, Selection, SubjectId};
use crate::cloud::{Cloud, Settings};
use crate::date::Date;
use crate::documents::Documents;
use crate::error::{Error, Result};
use crate::graph;
use crate::report::{self, Format, Report};
use crate::rules::{Control, RuleSet, RuleSource, Severity};
use crate::source::arm::{self, LiveOptions, Selector};
use crate::source::{snapshot, template};

/// Which rule files to load, and the parameter overrides (`NAME=VALUE`) to apply.
#[derive(Debug, Clone, Default)]
pub struct RulesRequest {
    pub paths: Vec<PathBuf>,
    pub builtin: bool,
    pub params: Vec<String>,
}

impl RulesRequest {
    /// Rule files, with or without the built-in ones, and no overrides.
    pub fn files(paths: Vec<PathBuf>, builtin: bool) -> RulesRequest {
        RulesRequest {
            paths,
            builtin,
            params: vec![],
        }
    }
}

/// Loads the built-in rules (unless left out), then the user's files, then the overrides.
pub fn load_rules(request: &RulesRequest) -> Result<RuleSet> {
    let mut sources = if request.builtin {
        RuleSource::builtin()
    } else {
        Vec::new()
    };
    for p in &request.paths {
        sources.extend(RuleSource::read(p)?);
    }
    let mut rules = RuleSet::load(&sources)?;
    for p in &request.params {
        rules.set_param(p)?;
    }
    Ok(rules)
}

/// Where the documents come from.
#[derive(Debug)]
pub enum Source {
    /// A snapshot file (or `-`), at most `max_bytes`; `pick` names the subjects to audit (id
    /// or name), every subject of the file when empty.
    Snapshot {
        path: PathBuf,
        max_bytes: u64,
        pick: Vec<SubjectId>,
    },
    /// Azure Resource Manager, read live.
    Live {
        options: LiveOptions,
        selector: Selector,
    },
    /// An ARM template, its parameters file and `NAME=VALUE` overrides: what the deployment
    /// would create, judged before it exists.
    Template {
        path: PathBuf,
        parameters_file: Option<PathBuf>,
        parameters: Vec<String>,
        /// The estate the template is deployed into, or none.
        estate: Option<Estate>,
        /// The resource group it is deployed to (`/subscriptions/{sub}/resourceGroups/{rg}`).
        scope: Option<String>,
    },
    /// A what-if result (`az deployment group what-if --result-format FullResourcePayloads
    /// --no-pretty-print`): the `after` payloads.
    WhatIf { path: PathBuf },
    /// Documents already in memory (tests, benchmarks, tools built on the library).
    Documents {
        documents: Box<Documents>,
        label: String,
        pick: Vec<SubjectId>,
    },
}

/// What a template is laid over: a snapshot (at most `max_bytes`), or Azure itself (the
/// subjects the template touches, read live).
#[derive(Debug)]
pub enum Estate {
    Snapshot { path: PathBuf, max_bytes: u64 },
    Live(LiveOptions),
}

/// One audit.
pub struct AuditRequest<'r> {
    pub source: Source,
    pub rules: &'r RuleSet,
    pub selection: Selection,
    /// The cloud whose settings are the defaults, and the user's overrides (`NAME=VALUE`).
    pub cloud: Cloud,
    pub settings: Vec<String>,
    pub exceptions: Option<PathBuf>,
    /// Answers to manual controls (YAML).
    pub answers: Option<PathBuf>,
    /// A previous JSON report: failures it had are `known`, the others `new`.
    pub baseline: Option<PathBuf>,
    pub fail_on: Severity,
    /// Only new failures (not in the baseline) make the exit code 1.
    pub fail_on_new: bool,
    /// `unknown` results (a template cannot tell) count as failures for the exit code.
    pub fail_on_unknown: bool,
    /// Report files to write besides what `show` does with the report.
    pub outputs: Vec<(Format, PathBuf)>,
    /// Bytes a Markdown summary may take before its compact form is written.
    pub markdown_limit: usize,
    /// Columns a text report file wraps at: the terminal's, or `COLUMNS`.
    pub text_width: usize,
    /// Also summarise the verdicts by this framework's items.
    pub compliance: Option<crate::rules::mcsb::Framework>,
    pub today: Date,
}

/// How an audit ended: the exit code (DESIGN §4), why, and what the user should be told.
#[derive(Debug)]
pub struct Finished {
    pub code: u8,
    pub reason: String,
    /// Replaced built-in controls, overridden parameters, expired or unmatched exceptions.
    pub notices: Vec<String>,
}

/// The settings of a request: the cloud's defaults with the overrides applied.
pub fn settings(cloud: Cloud, overrides: &[String]) -> Result<Settings> {
    let mut settings = Settings::for_cloud(cloud);
    for o in overrides {
        settings.set(o).map_err(|e| Error::Usage(e.to_string()))?;
    }
    Ok(settings)
}

/// Runs an audit: reads the source, resolves and evaluates, applies exceptions, writes the
/// report files, and hands the report to `show` (the binary prints it).
pub fn audit(
    request: AuditRequest<'_>,
    show: impl FnOnce(&Report<'_>) -> Result<()>,
) -> Result<Finished> {
    let started = Instant::now();
    let rules = request.rules;
    let controls = request.selection.apply(rules)?;
    let settings = settings(request.cloud, &request.settings)?;
    let exceptions = match &request.exceptions {
        Some(path) => Exceptions::load(path, request.today)?,
        None => Exceptions::default(),
    };
    exceptions.check_controls(rules.controls.iter().map(|c| c.id.as_str()))?;
    let answers = match &request.answers {
        Some(path) => Answers::load(path, &rules.controls, request.today)?,
        None => Answers::default(),
    };
    let baseline = match &request.baseline {
        Some(path) => Some(Baseline::load(path)?),
        None if request.fail_on_new => {
            return Err(Error::Usage(
                "--fail-on-new needs --baseline REPORT.json (the findings already known)".into(),
            ));
        }
        None => None,
    };
    let Read {
        docs,
        ids,
        source,
        requests,
        errors,
        notices: template_notices,
    } = read(request.source, &settings, &controls, request.cloud)?;
    let mut subjects = audit::run(&docs, &ids, rules, &controls, &settings);
    audit::locate(&mut subjects, &docs);
    drop(docs);
    let mut notices = rules.notices.clone();
    notices.extend(template_notices);
    notices.extend(answers.apply(&mut subjects, request.today));
    let outcomes = exceptions.apply(&mut subjects, request.today);
    notices.extend(
        outcomes
            .iter()
            .filter_map(|o| o.warning())
            .map(|w| format!("warning: {w}")),
    );
    let comparison = baseline.map(|b| b.compare(&mut subjects));
    if let Some(c) = &comparison {
        notices.push(format!(
            "baseline {}: {} new, {} known, {} fixed",
            c.path,
            c.new,
            c.known,
            c.fixed.len()
        ));
    }
    let gate = audit::Gate {
        fail_on: request.fail_on,
        new_only: request.fail_on_new,
        unknown_fails: request.fail_on_unknown,
    };
    let code = audit::exit_code(&subjects, &errors, gate) as u8;
    let reason = audit::exit_reason(&subjects, &errors, gate);
    let compliance = request
        .compliance
        .map(|f| audit::compliance::Compliance::of(f, &subjects));
    let report = Report {
        compliance,
        subjects,
        errors,
        level: request.selection.level,
        source,
        generated_at: crate::date::now_rfc3339(),
        duration_ms: started.elapsed().as_millis() as u64,
        requests,
        exceptions: outcomes,
        baseline: comparison,
    };
    let file_view = report::View {
        markdown_limit: request.markdown_limit,
        width: request.text_width,
        ..report::View::plain()
    };
    write_outputs(request.outputs, &report, &file_view)?;
    show(&report)?;
    Ok(Finished {
        code,
        reason,
        notices,
    })
}

/// What a source gave: the documents, the subjects to audit, where they came from, the
/// requests made, the subject lists that failed, and the template's notices.
struct Read {
    docs: Documents,
    ids: Vec<SubjectId>,
    source: report::Source,
    requests: u64,
    errors: Vec<crate::documents::ReadFailure>,
    notices: Vec<String>,
}

/// Reads the request's source: a snapshot, documents, a template (alone or over an estate),
/// a what-if result, or ARM live.
fn read(source: Source, settings: &Settings, controls: &[&Control], cloud: Cloud) -> Result<Read> {
    let offline = |docs, ids, source, notices| Read {
        docs,
        ids,
        source,
        requests: 0,
        errors: Vec::new(),
        notices,
    };
    Ok(match source {
        Source::Snapshot {
            path,
            max_bytes,
            pick,
        } => {
            let docs = snapshot::load(&path, max_bytes)?;
            let ids = audit::subjects(&docs, &pick, settings)?;
            let label = path.display().to_string();
            offline(docs, ids, report::Source::Snapshot { path: label }, vec![])
        }
        Source::Documents {
            documents,
            label,
            pick,
        } => {
            let ids = audit::subjects(&documents, &pick, settings)?;
            offline(
                *documents,
                ids,
                report::Source::Snapshot { path: label },
                vec![],
            )
        }
        Source::Template {
            path,
            parameters_file,
            parameters,
            estate,
            scope,
        } => {
            let t = template::load(
                &path,
                parameters_file.as_deref(),
                &parameters,
                scope.as_deref(),
                cloud,
            )?;
            // The subjects the template deploys or adds to, judged as it would leave them.
            let ids = deployed_subjects(&t.documents, &path, settings)?;
            let source = report::Source::Template {
                path: path.display().to_string(),
            };
            let (docs, requests) = match estate {
                Some(Estate::Snapshot { path, max_bytes }) => {
                    let mut base = snapshot::load(&path, max_bytes)?;
                    base.overlay(t.documents);
                    (base, 0)
                }
                Some(Estate::Live(options)) => {
                    let selector = template_selector(&ids)?;
                    let live = arm::read(&options, &selector, settings, &audit::needs(controls))?;
                    let mut base = live.documents;
                    base.overlay(t.documents);
                    (base, live.requests)
                }
                None => (t.documents, 0),
            };
            Read {
                requests,
                ..offline(docs, ids, source, t.notices)
            }
        }
        Source::WhatIf { path } => {
            let t = template::what_if::load(&path)?;
            let file = path.display().to_string();
            let ids = deployed_subjects(&t.documents, &path, settings)?;
            offline(
                t.documents,
                ids,
                report::Source::Template { path: file },
                t.notices,
            )
        }
        Source::Live { options, selector } => {
            let live = arm::read(&options, &selector, settings, &audit::needs(controls))?;
            Read {
                docs: live.documents,
                ids: live.subjects,
                source: report::Source::Live {
                    endpoint: live.endpoint,
                },
                requests: live.requests,
                errors: live.errors,
                notices: Vec::new(),
            }
        }
    })
}

/// Writes each `--output` file, making its folder when missing (`amlsec init` suggests
/// `reports/...`).
fn write_outputs(
    outputs: Vec<(Format, PathBuf)>,
    report: &Report<'_>,
    file_view: &report::View,
) -> Result<()> {
    for (format, path) in outputs {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        folder
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::File::create(&path))
            .and_then(|mut file| {
                if format == report::Format::Csv {
                    std::io::Write::write_all(&mut file, report::CSV_BOM.as_bytes())?;
                }
                report::write(format, report, file_view, &mut file)
            })
            .map_err(|source| Error::Write { path, source })?;
    }
    Ok(())
}

/// The subjects a template (or what-if result) at `path` deploys or adds to; none is an
/// error about that file.
fn deployed_subjects(
    docs: &Documents,
    path: &std::path::Path,
    settings: &Settings,
) -> Result<Vec<SubjectId>> {
    audit::subjects(docs, &[], settings).map_err(|e| {
        Error::Template(crate::error::Diagnostic {
            file: path.display().to_string(),
            position: None,
            message: e.to_string(),
        })
    })
}

/// The live read a template overlay needs: the subjects it deploys or adds to. The live
/// reader takes one workspace at a time; more is a snapshot's job.
fn template_selector(subjects: &[SubjectId]) -> Result<Selector> {
    let workspaces: Vec<&String> = subjects
        .iter()
        .filter(|(s, _)| *s == graph::workspace_subject())
        .map(|(_, id)| id)
        .collect();
    if workspaces.len() > 1 {
        return Err(Error::Usage(format!(
            "the template touches {} workspaces; a live overlay reads one: write a snapshot with `amlsec collect` and give it with --snapshot",
            workspaces.len()
        )));
    }
    Ok(Selector {
        workspace: workspaces.first().map(|w| w.to_string()),
        named: subjects
            .iter()
            .filter(|(s, _)| *s != graph::workspace_subject())
            .cloned()
            .collect(),
        ..Selector::default()
    })
}

/// What `amlsec collect` wrote.
#[derive(Debug)]
pub struct Collected {
    pub subjects: Vec<SubjectId>,
    pub documents: usize,
    pub failed_reads: usize,
    pub requests: u64,
}

impl std::fmt::Display for Collected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for subject in graph::SUBJECTS {
            let n = self.subjects.iter().filter(|(s, _)| *s == subject).count();
            if n > 0 || subject == graph::workspace_subject() {
                let noun = if n == 1 {
                    subject.noun.0
                } else {
                    subject.noun.1
                };
                write!(f, "{n} {noun}, ")?;
            }
        }
        write!(
            f,
            "{} documents, {} failed reads, {} requests",
            self.documents, self.failed_reads, self.requests
        )
    }
}

/// Reads workspaces and registries live and writes them to a snapshot file that audits
/// offline.
pub fn collect(
    options: &LiveOptions,
    selector: &Selector,
    settings: &Settings,
    output: &std::path::Path,
) -> Result<Collected> {
    // A snapshot serves any later audit: every target is read.
    let live = arm::read(
        options,
        selector,
        settings,
        &graph::every_kind("Containers"),
    )?;
    let ids = |subject: &graph::Subject| -> Vec<&str> {
        live.subjects
            .iter()
            .filter(|(s, _)| *s == subject)
            .map(|(_, id)| id.as_str())
            .collect()
    };
    let mut source =
        serde_json::json!({"kind": "live", "endpoint": live.endpoint, "requests": live.requests});
    for subject in graph::SUBJECTS {
        source[subject.section] = serde_json::json!(ids(subject));
    }
    // How each document was read: those listed came from Resource Graph, the others by GET.
    if let Some(g) = &live.graph {
        source["resourceGraph"] = serde_json::json!(g);
    }
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(output)?);
        snapshot::write(
            &live.documents,
            &crate::date::now_rfc3339(),
            &source,
            &mut out,
        )?;
        std::io::Write::flush(&mut out)
    };
    write().map_err(|source| Error::Write {
        path: output.to_path_buf(),
        source,
    })?;
    Ok(Collected {
        documents: live.documents.len(),
        failed_reads: live.documents.failures().count(),
        requests: live.requests,
        subjects: live.subjects,
    })
}
