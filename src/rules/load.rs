//! Strict loading of rule files: unknown keys, duplicate ids, unknown targets, bad paths,
//! regexes and parameters are diagnostics with file, line and column.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use regex_lite::RegexBuilder;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::condition::{Arg, Comparison, Condition, Count, Op, Operand, Params};
use super::path::{Path, Root};
use super::{CATEGORIES, Control, Evidence, Mode, References, Severity, Shown};
use crate::cloud::Settings;
use crate::error::{Diagnostic, Error, Position, Result};
use crate::graph::{self, TargetKind};

/// Longest regex a rule may use (`match` / `notMatch`).
pub const PATTERN_LIMIT: usize = 256;

/// The text of one rule file and the name diagnostics give it.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub name: String,
    pub text: String,
    pub builtin: bool,
}

impl RuleSource {
    /// Reads a rule file, or every `.yaml`/`.yml` file of a folder (sorted by name).
    pub fn read(path: &FsPath) -> Result<Vec<RuleSource>> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            files.sort();
            files
        } else {
            vec![path.to_path_buf()]
        };
        files
            .into_iter()
            .map(|file| {
                let text = crate::input::read_text(&file, crate::input::TEXT_FILE_LIMIT)?;
                Ok(RuleSource {
                    name: file.display().to_string(),
                    text,
                    builtin: false,
                })
            })
            .collect()
    }
}

/// Controls (sorted by id) and parameter values, ready to audit with.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub controls: Vec<Control>,
    pub params: Params,
    /// What the user's files changed: replaced built-in controls, overridden parameters.
    pub notices: Vec<String>,
    /// How many of the user's rule files were loaded.
    pub user_files: usize,
}

impl RuleSet {
    /// Loads built-in files first, then the user's; a user control with a built-in id replaces
    /// it, a user `parameters` entry overrides the default. Every problem is reported at once.
    pub fn load(sources: &[RuleSource]) -> Result<RuleSet> {
        let mut diagnostics = Vec::new();
        let mut set = RuleSet {
            user_files: sources.iter().filter(|s| !s.builtin).count(),
            ..RuleSet::default()
        };
        let mut defined: BTreeMap<String, (String, bool)> = BTreeMap::new();
        let mut param_refs: Vec<(String, Diagnostic)> = Vec::new();
        for source in sources {
            let file = match parse_file(source) {
                Ok(f) => f,
                Err(d) => {
                    diagnostics.push(d);
                    continue;
                }
            };
            for (name, value) in file.parameters {
                let old = set.params.insert(name.clone(), value);
                if !source.builtin && old.is_some() && old.as_ref() != set.params.get(&name) {
                    set.notices
                        .push(format!("{}: parameter {name} overridden", source.name));
                }
            }
            for loaded in file.controls {
                param_refs.extend(loaded.params);
                let control = loaded.control;
                match defined.get(&control.id) {
                    Some((origin, true)) if !source.builtin => {
                        set.notices.push(format!(
                            "{}: replaces built-in control {} ({origin})",
                            control.origin, control.id
                        ));
                        set.controls.retain(|c| c.id != control.id);
                    }
                    Some((origin, _)) => {
                        diagnostics.push(diagnostic_at(
                            &control.origin,
                            format!(
                                "duplicate control id {} (first defined at {origin})",
                                control.id
                            ),
                        ));
                        continue;
                    }
                    None => {}
                }
                defined.insert(control.id.clone(), (control.origin.clone(), source.builtin));
                set.controls.push(control);
            }
        }
        for (name, mut diagnostic) in param_refs {
            if !set.params.contains_key(&name) {
                diagnostic.message =
                    format!("unknown parameter `{name}`; declare it under `parameters:`");
                diagnostics.push(diagnostic);
            }
        }
        if !diagnostics.is_empty() {
            return Err(Error::Rules(diagnostics));
        }
        set.controls.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(set)
    }

    /// Applies `--param NAME=VALUE` overrides (VALUE is YAML: `3`, `[a, b]`, `text`).
    pub fn set_param(&mut self, assignment: &str) -> Result<()> {
        let usage = |m: String| Error::Usage(format!("--param {assignment}: {m}"));
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| usage("expected NAME=VALUE".into()))?;
        let name = name.trim();
        if !self.params.contains_key(name) {
            let known: Vec<&str> = self.params.keys().map(String::as_str).collect();
            return Err(usage(format!(
                "unknown parameter; known: {}",
                known.join(", ")
            )));
        }
        let value: Value = if value.trim().is_empty() {
            Value::String(String::new())
        } else {
            serde_saphyr::from_str_with_options(value, yaml_options()).map_err(|e| {
                usage(format!(
                    "not a YAML value: {}",
                    crate::input::yaml_message(&e)
                ))
            })?
        };
        self.params.insert(name.to_string(), value);
        Ok(())
    }
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! { strict_booleans: true }
}

// ---- the file format, as written -------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    category: Spanned<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    parameters: BTreeMap<String, Value>,
    #[serde(default)]
    controls: Vec<Spanned<RawControl>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    section: Option<String>,
    severity: Severity,
    level: Spanned<u8>,
    mode: Mode,
    target: Spanned<String>,
    #[serde(default)]
    applies: Option<Spanned<RawCondition>>,
    #[serde(default)]
    pass: Option<Spanned<RawCondition>>,
    /// When `pass` does not hold: what a person must judge (a value the rule cannot).
    #[serde(default)]
    manual: Option<Spanned<RawCondition>>,
    #[serde(default)]
    evidence: Vec<Spanned<RawEvidence>>,
    #[serde(default)]
    remediation: Option<String>,
    #[serde(default)]
    guidance: Option<String>,
    /// The page that explains the setting (an https URL).
    #[serde(default)]
    docs: Option<Spanned<String>>,
    #[serde(default)]
    references: RawReferences,
    /// Path prefixes deliberately outside the ARM catalogue (a preview property).
    #[serde(default)]
    uncatalogued: Vec<String>,
}

/// [`References`] as written, with where each benchmark id stands, to point at a wrong one.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReferences {
    #[serde(default)]
    seed: Vec<String>,
    #[serde(default)]
    mcsb: Vec<Spanned<String>>,
    #[serde(default)]
    anchors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    path: String,
    #[serde(default)]
    expected: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCondition {
    all_of: Option<Vec<Spanned<RawCondition>>>,
    any_of: Option<Vec<Spanned<RawCondition>>>,
    not: Option<Box<Spanned<RawCondition>>>,
    field: Option<String>,
    value: Option<Value>,
    count: Option<Box<RawCount>>,
    equals: Option<Value>,
    not_equals: Option<Value>,
    #[serde(rename = "in")]
    in_: Option<Value>,
    not_in: Option<Value>,
    contains: Option<Value>,
    not_contains: Option<Value>,
    greater: Option<Value>,
    greater_or_equals: Option<Value>,
    less: Option<Value>,
    less_or_equals: Option<Value>,
    exists: Option<bool>,
    non_empty: Option<bool>,
    #[serde(rename = "match")]
    match_: Option<String>,
    not_match: Option<String>,
    missing: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCount {
    field: Option<String>,
    value: Option<Value>,
    #[serde(rename = "where")]
    filter: Option<Spanned<RawCondition>>,
    distinct: Option<String>,
}

// ---- conversion -------------------------------------------------------------------------

struct ParsedFile {
    parameters: BTreeMap<String, Value>,
    controls: Vec<LoadedControl>,
}

struct LoadedControl {
    control: Control,
    /// Parameters the control names, with where, checked once every file is loaded.
    params: Vec<(String, Diagnostic)>,
}

fn position(loc: &serde_saphyr::Location) -> Option<Position> {
    (loc.line() > 0).then(|| Position {
        line: loc.line(),
        column: loc.column(),
    })
}

fn diagnostic_at(origin: &str, message: String) -> Diagnostic {
    // `origin` is `file:line:column`, as built by `Cx::origin`.
    let mut parts = origin.rsplitn(3, ':');
    let (column, line, file) = (parts.next(), parts.next(), parts.next());
    match (
        file,
        line.and_then(|l| l.parse().ok()),
        column.and_then(|c| c.parse().ok()),
    ) {
        (Some(file), Some(line), Some(column)) => Diagnostic {
            file: file.to_string(),
            position: Some(Position { line, column }),
            message,
        },
        _ => Diagnostic {
            file: origin.to_string(),
            position: None,
            message,
        },
    }
}

fn parse_file(source: &RuleSource) -> Result<ParsedFile, Diagnostic> {
    let raw: RawFile =
        serde_saphyr::from_str_with_options(&source.text, yaml_options()).map_err(|e| {
            Diagnostic {
                file: source.name.clone(),
                position: e.location().as_ref().and_then(position),
                message: crate::input::yaml_message(&e),
            }
        })?;
    let cx = Cx {
        file: &source.name,
        builtin: source.builtin,
    };
    let category = raw.category.value.trim().to_string();
    let category_title = match (CATEGORIES.iter().find(|(id, _)| *id == category), raw.title) {
        (_, Some(title)) => title,
        (Some((_, title)), None) => title.to_string(),
        (None, None) => {
            return Err(cx.at(
                &raw.category.referenced,
                format!("category `{category}` is not a baseline category; give it a `title:` (baseline categories: {})",
                    CATEGORIES.iter().map(|(id, _)| *id).collect::<Vec<_>>().join(", ")),
            ));
        }
    };
    let mut controls = Vec::new();
    for raw in raw.controls {
        controls.push(cx.control(raw, &category, &category_title)?);
    }
    Ok(ParsedFile {
        parameters: raw.parameters,
        controls,
    })
}

struct Cx<'a> {
    file: &'a str,
    builtin: bool,
}

impl Cx<'_> {
    fn at(&self, loc: &serde_saphyr::Location, message: String) -> Diagnostic {
        Diagnostic {
            file: self.file.to_string(),
            position: position(loc),
            message,
        }
    }

    /// The references, once every benchmark id is one the benchmark has.
    fn references(&self, raw: RawReferences, id: &str) -> Result<References, Diagnostic> {
        let mut mcsb = Vec::with_capacity(raw.mcsb.len());
        for m in raw.mcsb {
            if !super::mcsb::is_control(&m.value) {
                return Err(self.at(
                    &m.referenced,
                    format!(
                        "{id}: `{}` is not a Microsoft cloud security benchmark v1 control \
                         (its ids look like NS-2 or DP-8)",
                        m.value
                    ),
                ));
            }
            mcsb.push(m.value);
        }
        Ok(References {
            seed: raw.seed,
            mcsb,
            anchors: raw.anchors,
        })
    }

    fn origin(&self, loc: &serde_saphyr::Location) -> String {
        format!("{}:{}:{}", self.file, loc.line(), loc.column())
    }

    fn control(
        &self,
        raw: Spanned<RawControl>,
        category: &str,
        category_title: &str,
    ) -> Result<LoadedControl, Diagnostic> {
        let loc = raw.referenced;
        let raw = raw.value;
        let id = raw.id.value.trim().to_string();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(self.at(
                &raw.id.referenced,
                format!(
                    "invalid control id {:?}: non-empty, no spaces",
                    raw.id.value
                ),
            ));
        }
        if !matches!(raw.level.value, 1 | 2) {
            return Err(self.at(
                &raw.level.referenced,
                format!("{id}: level must be 1 or 2, not {}", raw.level.value),
            ));
        }
        let target = TargetKind::parse(&raw.target.value)
            .map_err(|m| self.at(&raw.target.referenced, format!("{id}: {m}")))?;
        self.mode_needs(&raw, &id, &loc)?;
        let mut params = Vec::new();
        let mut condition =
            |c: Option<Spanned<RawCondition>>| -> Result<Option<Condition>, Diagnostic> {
                c.map(|c| self.condition(c, &id, &mut params)).transpose()
            };
        let applies = condition(raw.applies)?;
        let pass = condition(raw.pass)?;
        let manual = condition(raw.manual)?;
        let evidence = self.evidence(raw.evidence, &id)?;
        let docs = match raw.docs {
            Some(d) => {
                Some(docs_url(&d.value).map_err(|m| self.at(&d.referenced, format!("{id}: {m}")))?)
            }
            None => None,
        };
        let references = self.references(raw.references, &id)?;
        let control = Control {
            id,
            title: raw.title,
            category: category.to_string(),
            category_title: category_title.to_string(),
            section: raw.section,
            severity: raw.severity,
            level: raw.level.value,
            mode: raw.mode,
            target,
            applies,
            pass,
            manual,
            evidence,
            remediation: raw.remediation,
            guidance: raw.guidance,
            docs,
            references,
            origin: self.origin(&loc),
            builtin: self.builtin,
        };
        let mut unknown = super::check::check(&control, &raw.uncatalogued).into_iter();
        if let Some(first) = unknown.next() {
            let more = match unknown.count() {
                0 => String::new(),
                n => format!(" (and {n} more unknown paths in this control)"),
            };
            return Err(Diagnostic {
                file: self.file.to_string(),
                position: first.at.or(position(&loc)),
                message: format!("{}{more}", first.message),
            });
        }
        Ok(LoadedControl { control, params })
    }

    /// What a control's mode asks of it: a manual one only guidance, an automated one a
    /// `pass` condition and remediation (and guidance for its `manual` condition).
    fn mode_needs(
        &self,
        raw: &RawControl,
        id: &str,
        loc: &serde_saphyr::Location,
    ) -> Result<(), Diagnostic> {
        match raw.mode {
            Mode::Manual => {
                if let Some(c) = raw
                    .applies
                    .as_ref()
                    .or(raw.pass.as_ref())
                    .or(raw.manual.as_ref())
                {
                    return Err(self.at(&c.referenced, format!("{id}: a manual control has no `applies` or `pass` condition; it always needs a human answer")));
                }
                if raw.guidance.as_deref().is_none_or(|g| g.trim().is_empty()) {
                    return Err(self.at(loc, format!("{id}: a manual control needs `guidance`")));
                }
            }
            Mode::Automated => {
                if raw.manual.is_some()
                    && raw.guidance.as_deref().is_none_or(|g| g.trim().is_empty())
                {
                    return Err(self.at(
                        loc,
                        format!(
                            "{id}: a `manual` condition needs `guidance`: what the person checks"
                        ),
                    ));
                }
                if raw.pass.is_none() {
                    return Err(self.at(
                        loc,
                        format!("{id}: an automated control needs a `pass` condition"),
                    ));
                }
                if raw
                    .remediation
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
                {
                    return Err(self.at(
                        loc,
                        format!("{id}: an automated control needs `remediation`"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The evidence paths a control shows, checked.
    fn evidence(
        &self,
        raw_evidence: Vec<Spanned<RawEvidence>>,
        id: &str,
    ) -> Result<Evidence, Diagnostic> {
        let mut evidence = Evidence::default();
        let mut shown = Vec::new();
        for e in raw_evidence {
            let path = self.path(&e.value.path, &e.referenced, id)?;
            shown.push(Shown {
                path: path.to_string(),
                expected: e.value.expected,
            });
            evidence.paths.push(path);
        }
        evidence.shown = shown.into();
        Ok(evidence)
    }

    fn path(&self, text: &str, loc: &serde_saphyr::Location, id: &str) -> Result<Path, Diagnostic> {
        let mut path = Path::parse(text).map_err(|m| self.at(loc, format!("{id}: {m}")))?;
        path.at = position(loc);
        if let Root::Context(name) = path.root()
            && name != "root"
            && !graph::contexts().any(|c| c == name)
        {
            let known: Vec<&str> = std::iter::once("root").chain(graph::contexts()).collect();
            return Err(self.at(
                loc,
                format!(
                    "{id}: unknown context `${name}` in path `{text}`; known: ${}",
                    known.join(", $")
                ),
            ));
        }
        Ok(path)
    }

    fn condition(
        &self,
        raw: Spanned<RawCondition>,
        id: &str,
        params: &mut Vec<(String, Diagnostic)>,
    ) -> Result<Condition, Diagnostic> {
        let loc = raw.referenced;
        let raw = raw.value;
        let err = |m: String| self.at(&loc, format!("{id}: {m}"));
        let combinators = [
            raw.all_of.is_some(),
            raw.any_of.is_some(),
            raw.not.is_some(),
        ];
        let operands = [
            raw.field.is_some(),
            raw.value.is_some(),
            raw.count.is_some(),
        ];
        let n_comb = combinators.iter().filter(|b| **b).count();
        let n_oper = operands.iter().filter(|b| **b).count();
        let condition = if n_comb > 0 {
            if n_comb + n_oper > 1 || raw.missing.is_some() || has_operator(&raw) {
                return Err(err("a condition is either one of allOf / anyOf / not, or one field / value / count with one operator".into()));
            }
            let mut list = |items: Vec<Spanned<RawCondition>>| {
                items
                    .into_iter()
                    .map(|c| self.condition(c, id, params))
                    .collect::<Result<Vec<_>, _>>()
            };
            if let Some(items) = raw.all_of {
                Condition::AllOf(list(items)?)
            } else if let Some(items) = raw.any_of {
                Condition::AnyOf(list(items)?)
            } else {
                Condition::Not(Box::new(self.condition(
                    *raw.not.expect("checked"),
                    id,
                    params,
                )?))
            }
        } else {
            if n_oper != 1 {
                return Err(err("a comparison needs exactly one of `field`, `value` or `count`, or use allOf / anyOf / not".into()));
            }
            let is_count = raw.count.is_some();
            let left = if let Some(f) = &raw.field {
                Operand::Field(self.path(f, &loc, id)?)
            } else if let Some(v) = raw.value.clone() {
                Operand::Value(self.arg(v, &loc, id, params)?)
            } else {
                let count = raw.count.as_ref().expect("checked");
                let over = match (&count.field, &count.value) {
                    (Some(f), None) => {
                        let path = self.path(f, &loc, id)?;
                        if !path.has_wildcard() {
                            return Err(err(format!(
                                "count field `{f}` must name elements with `[*]` or `{{*}}`"
                            )));
                        }
                        Operand::Field(path)
                    }
                    (None, Some(v)) => Operand::Value(self.arg(v.clone(), &loc, id, params)?),
                    _ => return Err(err("a count needs exactly one of `field` or `value`".into())),
                };
                Operand::Count(Box::new(Count {
                    over,
                    filter: None,
                    distinct: count
                        .distinct
                        .as_deref()
                        .map(|d| self.path(d, &loc, id))
                        .transpose()?,
                }))
            };
            let op = self.operator(&raw, &loc, id, params)?;
            let left = match (left, raw.count.map(|c| c.filter)) {
                (Operand::Count(mut c), Some(Some(w))) => {
                    c.filter = Some(self.condition(w, id, params)?);
                    Operand::Count(c)
                }
                (left, _) => left,
            };
            if is_count
                && !matches!(
                    op,
                    Op::Equals(_)
                        | Op::NotEquals(_)
                        | Op::Greater(_)
                        | Op::GreaterOrEquals(_)
                        | Op::Less(_)
                        | Op::LessOrEquals(_)
                        | Op::In(_)
                        | Op::NotIn(_)
                )
            {
                return Err(err("a count compares with equals, notEquals, in, notIn, greater, greaterOrEquals, less or lessOrEquals".into()));
            }
            Condition::Compare(Box::new(Comparison {
                left,
                op,
                missing: raw.missing,
            }))
        };
        Ok(condition)
    }

    fn operator(
        &self,
        raw: &RawCondition,
        loc: &serde_saphyr::Location,
        id: &str,
        params: &mut Vec<(String, Diagnostic)>,
    ) -> Result<Op, Diagnostic> {
        let err = |m: String| self.at(loc, format!("{id}: {m}"));
        let mut ops: Vec<Op> = Vec::new();
        let mut arg =
            |v: &Option<Value>, make: fn(Arg) -> Op, ops: &mut Vec<Op>| -> Result<(), Diagnostic> {
                if let Some(v) = v {
                    ops.push(make(self.arg(v.clone(), loc, id, params)?));
                }
                Ok(())
            };
        arg(&raw.equals, Op::Equals, &mut ops)?;
        arg(&raw.not_equals, Op::NotEquals, &mut ops)?;
        arg(&raw.in_, Op::In, &mut ops)?;
        arg(&raw.not_in, Op::NotIn, &mut ops)?;
        arg(&raw.contains, Op::Contains, &mut ops)?;
        arg(&raw.not_contains, Op::NotContains, &mut ops)?;
        arg(&raw.greater, Op::Greater, &mut ops)?;
        arg(&raw.greater_or_equals, Op::GreaterOrEquals, &mut ops)?;
        arg(&raw.less, Op::Less, &mut ops)?;
        arg(&raw.less_or_equals, Op::LessOrEquals, &mut ops)?;
        if let Some(b) = raw.exists {
            ops.push(Op::Exists(b));
        }
        if let Some(b) = raw.non_empty {
            ops.push(Op::NonEmpty(b));
        }
        for (pattern, negate) in [(&raw.match_, false), (&raw.not_match, true)] {
            if let Some(p) = pattern {
                // Matching costs pattern length × text length: keep patterns short.
                if p.chars().count() > PATTERN_LIMIT {
                    return Err(err(format!(
                        "regex of {} characters; at most {PATTERN_LIMIT} are allowed",
                        p.chars().count()
                    )));
                }
                let re = RegexBuilder::new(p)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| err(format!("invalid regex {p:?}: {e}")))?;
                ops.push(if negate {
                    Op::NotMatch(re)
                } else {
                    Op::Match(re)
                });
            }
        }
        match ops.len() {
            1 => Ok(ops.pop().expect("one")),
            0 => Err(err("the comparison has no operator (equals, notEquals, in, notIn, contains, notContains, greater, greaterOrEquals, less, lessOrEquals, exists, nonEmpty, match, notMatch)".into())),
            _ => Err(err("a comparison takes exactly one operator; combine several with allOf / anyOf".into())),
        }
    }

    fn arg(
        &self,
        v: Value,
        loc: &serde_saphyr::Location,
        id: &str,
        params: &mut Vec<(String, Diagnostic)>,
    ) -> Result<Arg, Diagnostic> {
        let err = |m: String| self.at(loc, format!("{id}: {m}"));
        match v {
            Value::Object(map) => {
                let mut entries = map.into_iter();
                match (entries.next(), entries.next()) {
                    (Some((k, Value::String(name))), None) if k == "param" => {
                        params.push((name.clone(), self.at(loc, String::new())));
                        Ok(Arg::Param(name))
                    }
                    (Some((k, Value::String(path))), None) if k == "field" => {
                        Ok(Arg::Field(self.path(&path, loc, id)?))
                    }
                    (Some((k, Value::String(name))), None) if k == "setting" => {
                        if Settings::NAMES.contains(&name.as_str()) {
                            Ok(Arg::Setting(name))
                        } else {
                            Err(err(format!(
                                "unknown setting `{name}`; settings: {}",
                                Settings::NAMES.join(", ")
                            )))
                        }
                    }
                    _ => Err(err(
                        "an operand is a literal, a list, {param: NAME}, {setting: NAME} or {field: PATH}".into(),
                    )),
                }
            }
            literal => Ok(Arg::Literal(literal)),
        }
    }
}

fn has_operator(raw: &RawCondition) -> bool {
    [
        &raw.equals,
        &raw.not_equals,
        &raw.in_,
        &raw.not_in,
        &raw.contains,
        &raw.not_contains,
        &raw.greater,
        &raw.greater_or_equals,
        &raw.less,
        &raw.less_or_equals,
    ]
    .iter()
    .any(|v| v.is_some())
        || raw.exists.is_some()
        || raw.non_empty.is_some()
        || raw.match_.is_some()
        || raw.not_match.is_some()
}

/// Parses one condition written in YAML (used by tests of the grammar).
pub fn parse_condition(yaml: &str) -> Result<Condition, Diagnostic> {
    let raw: Spanned<RawCondition> = serde_saphyr::from_str_with_options(yaml, yaml_options())
        .map_err(|e| Diagnostic {
            file: "<condition>".into(),
            position: e.location().as_ref().and_then(position),
            message: crate::input::yaml_message(&e),
        })?;
    Cx {
        file: "<condition>",
        builtin: false,
    }
    .condition(raw, "condition", &mut Vec::new())
}

/// A `docs` value: an https URL without blanks, of a sensible length, since reports link to it.
/// A `docs` value that is not one https URL (its first 80 characters).
#[derive(Debug, thiserror::Error)]
#[error("`docs` must be one https URL, not `{0}`")]
struct NotADocsUrl(String);

fn docs_url(text: &str) -> Result<String, NotADocsUrl> {
    let url = text.trim();
    if !url.starts_with("https://") || url.len() > 2048 || url.chars().any(char::is_whitespace) {
        return Err(NotADocsUrl(text.chars().take(80).collect()));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests;
