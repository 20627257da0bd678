//! The `amlsec` command line: flags become a library request; the work is in the library.

mod args;
mod host;
mod output;
mod subscription;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use amlsec::audit::Selection;
use amlsec::date::Date;
use amlsec::error::{Error, Result};
use amlsec::pipeline::{self, AuditRequest, RulesRequest};
use amlsec::report::{self, Format};
use amlsec::rules::{Severity, reference};
use args::{AnswersCommand, AuditArgs, Cli, CollectArgs, Command, RulesCommand, SeverityArg};
use output::{emit, note};

// An audit makes and frees millions of small JSON values; glibc's allocator spends a third of
// the run on them and musl's (the static release builds) far more.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Audit(args) => audit(*args),
        Command::Collect(args) => collect(*args),
        Command::Rules(cmd) => rules(cmd),
        Command::Answers(AnswersCommand::Template { rules }) => {
            pipeline::load_rules(&rules.request(&[])).and_then(|set| {
                print(&amlsec::audit::answers::template(
                    &set.controls,
                    Date::today(),
                ))
            })
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "amlsec", &mut script);
            print(&String::from_utf8_lossy(&script))
        }
        Command::Init { force } => amlsec::config::init(force).map(|done| {
            note(&done);
            0
        }),
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command().disable_help_subcommand(true))
                .render(&mut page)
                .expect("rendering into memory does not fail");
            print(&String::from_utf8_lossy(&page))
        }
        Command::Man { dir: Some(dir) } => clap_mangen::generate_to(Cli::command(), &dir)
            .map(|()| {
                note(&format!("man pages written to {}", dir.display()));
                0
            })
            .map_err(|source| amlsec::error::Error::Write { path: dir, source }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            note(&format!("error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

fn audit(a: AuditArgs) -> Result<u8> {
    let a = a.with_config()?;
    let rules = pipeline::load_rules(&a.rules.request(&a.param))?;
    if let Some(id) = &a.explain {
        let c = rules
            .controls
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(id));
        let text = reference::show(c.ok_or_else(|| {
            Error::Usage(format!(
                "--explain {id}: no such control (see `amlsec rules list`)"
            ))
        })?);
        emit(|out| out.write_all(text.as_bytes()))?;
        return Ok(0);
    }
    let outputs = a
        .output
        .iter()
        .map(|o| output::parse_output(o, a.format.as_deref()))
        .collect::<Result<Vec<_>>>()?;
    let format = Format::parse(a.format.as_deref().unwrap_or("table"))?;
    let source = a.source()?;
    if a.selection().apply(&rules)?.is_empty() {
        // Only --severity can select nothing without an error: no control has it today.
        note(&format!(
            "exit 0: no control has the severity asked for ({}): nothing to judge",
            a.severity
                .iter()
                .map(|s| s.severity().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Ok(0);
    }
    let view = a.view();
    let request = AuditRequest {
        source,
        rules: &rules,
        selection: a.selection(),
        cloud: a.azure.cloud(),
        settings: a.settings.setting,
        exceptions: a.exceptions,
        answers: a.answers,
        baseline: a.baseline,
        fail_on: a.fail_on.map_or(Severity::Low, SeverityArg::severity),
        fail_on_new: a.fail_on_new,
        fail_on_unknown: a.fail_on_unknown,
        outputs,
        markdown_limit: view.markdown_limit,
        text_width: view.width,
        compliance: a
            .compliance
            .as_deref()
            .map(amlsec::rules::mcsb::Framework::parse)
            .transpose()?,
        today: Date::today(),
    };
    let finished = pipeline::audit(request, |report| {
        emit(|out| report::write(format, report, &view, out))
    })?;
    finished.notices.iter().for_each(|n| note(n));
    note(&finished.reason);
    Ok(finished.code)
}

fn collect(a: CollectArgs) -> Result<u8> {
    let settings = pipeline::settings(a.azure.cloud(), &a.settings.setting)?;
    let done = pipeline::collect(
        &a.azure.options(),
        &args::selector(&a.source)?,
        &settings,
        &a.output,
    )?;
    note(&format!("wrote {}: {done}", a.output.display()));
    Ok(0)
}

fn rules(cmd: RulesCommand) -> Result<u8> {
    let text = match cmd {
        RulesCommand::List {
            rules,
            category,
            format,
        } => {
            let set = pipeline::load_rules(&rules.request(&[]))?;
            let selection = Selection {
                level: 2,
                categories: category,
                ..Default::default()
            };
            let controls = selection.apply(&set)?;
            match format.as_str() {
                "markdown" => reference::markdown(&controls),
                "json" => reference::json(&controls),
                _ => reference::table(&controls, output::terminal_width()),
            }
        }
        RulesCommand::Show { id, rules } => {
            let set = pipeline::load_rules(&rules.request(&[]))?;
            let c = set.controls.iter().find(|c| c.id.eq_ignore_ascii_case(&id));
            reference::show(c.ok_or_else(|| {
                Error::Usage(format!("no control {id} (see `amlsec rules list`)"))
            })?)
        }
        RulesCommand::Targets => reference::targets(output::terminal_width()),
        RulesCommand::Validate {
            paths,
            no_builtin_rules,
        } => {
            let set = pipeline::load_rules(&RulesRequest::files(paths, !no_builtin_rules))?;
            set.notices.iter().for_each(|n| note(n));
            reference::validated(&set)
        }
    };
    print(&text)
}

/// A command's whole output on standard output; exit 0 once written.
fn print(text: &str) -> Result<u8> {
    emit(|out| out.write_all(text.as_bytes())).map(|()| 0)
}
