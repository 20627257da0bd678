//! Pre-deployment source: an ARM template (JSON; Bicep after `bicep build`) and its
//! parameters, expanded into the ARM documents the deployment would create, with their ids,
//! so the same estate, rules and reports judge it. What the template does not deploy, and
//! every value known only at deployment time, is recorded as unknown in the store — never a
//! guess, never an absence (baseline.md §1.6 v0.2).
//!
//! The deployment scope is the resource group given (`--deployment-scope`), else a placeholder
//! (`TEMPLATE_SUBSCRIPTION`, `TEMPLATE_RESOURCE_GROUP`); `resourceGroup().location` is
//! `TEMPLATE_LOCATION`. `uniqueString` and `guid` are deterministic but not Azure's own
//! values: ids link up inside the template, they are not the names Azure would derive.

mod expr;
pub mod what_if;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::scan;
use crate::arm_id;
use crate::documents::{Deployment, Documents, Location, ReadFailure, Step, member};
use crate::error::{Diagnostic, Error, Position, Result};
use expr::{Eval, Outcome};

pub const TEMPLATE_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
pub const TEMPLATE_RESOURCE_GROUP: &str = "template-rg";
pub const TEMPLATE_LOCATION: &str = "westeurope";

/// Largest template or parameters file read.
const FILE_LIMIT: u64 = 16 << 20;
/// ARM's own limit on the iterations of one copy loop.
const MAX_COPY: i64 = 800;
/// Most resources one template may expand to (ARM allows 800 per template, nested ones more).
const MAX_RESOURCES: usize = 10_000;
/// Deepest nesting of inline deployments.
const MAX_NESTING: usize = 10;

/// What a template would deploy, and what amlsec noticed on the way.
pub struct Template {
    pub documents: Documents,
    /// Parameter values that break their constraints, resources left out, linked templates.
    pub notices: Vec<String>,
}

/// Reads and expands a template with its parameters (`NAME=VALUE` overrides win over the
/// file), deployed into `scope` (`/subscriptions/{sub}/resourceGroups/{rg}`; a placeholder
/// group when none is given).
pub fn load(
    path: &Path,
    parameters_file: Option<&Path>,
    overrides: &[String],
    scope: Option<&str>,
    cloud: crate::cloud::Cloud,
) -> Result<Template> {
    let text = crate::input::read_text(path, FILE_LIMIT)?;
    let parameters = match parameters_file {
        Some(p) => Some((
            p.display().to_string(),
            crate::input::read_text(p, FILE_LIMIT)?,
        )),
        None => None,
    };
    expand(
        &path.display().to_string(),
        &text,
        parameters.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
        overrides,
        scope,
        cloud,
    )
}

/// Expands a template given as text (named `file` in diagnostics), with a parameters file's
/// name and text: [`load`] without the reading, for input from anywhere (a fuzzer's).
pub fn expand(
    file: &str,
    text: &str,
    parameters: Option<(&str, &str)>,
    overrides: &[String],
    scope: Option<&str>,
    cloud: crate::cloud::Cloud,
) -> Result<Template> {
    let file = file.to_string();
    let root = parse_json(&file, text)?;
    let here = Here {
        file: &file,
        text: text.as_bytes(),
        outputs: RefCell::new(HashMap::new()),
        environment: cloud.environment(),
        work: std::cell::Cell::new(0),
    };
    if !member(&root, "resources").is_some_and(|r| r.is_array() || r.is_object()) {
        return Err(here.error(&[], "not an ARM template: it has no `resources`"));
    }
    if let Some(schema) = root.get("$schema").and_then(Value::as_str)
        && !schema
            .to_ascii_lowercase()
            .contains("/deploymenttemplate.json")
    {
        return Err(here.error(
            &[Own::Key("$schema".into())],
            &format!(
                "only resource-group deployment templates are audited; this one is `{schema}`"
            ),
        ));
    }
    let mut values: HashMap<String, Given> = HashMap::new();
    let mut notices = Vec::new();
    if let Some((pfile, ptext)) = parameters {
        let pfile = pfile.to_string();
        let proot = parse_json(&pfile, ptext)?;
        let Some(params) = member(&proot, "parameters").and_then(Value::as_object) else {
            return Err(Error::Template(Diagnostic {
                file: pfile,
                position: None,
                message: "not a parameters file: it has no `parameters` object".into(),
            }));
        };
        for (name, entry) in params {
            let value = match (member(entry, "value"), member(entry, "reference")) {
                (Some(v), _) => Given::Value(v.clone()),
                // A Key Vault reference: the secret itself is never read.
                (None, Some(_)) => {
                    Given::Unknown("a Key Vault secret, read at deployment time".into())
                }
                _ => {
                    let at = scan::position(
                        ptext.as_bytes(),
                        &[scan::Step::Key("parameters"), scan::Step::Key(name)],
                    )
                    .map(|(line, column)| Position { line, column });
                    return Err(Error::Template(Diagnostic {
                        file: pfile,
                        position: at,
                        message: format!("parameter {name} has neither `value` nor `reference`"),
                    }));
                }
            };
            values.insert(name.to_ascii_lowercase(), value);
        }
    }
    let declared: Vec<&String> = member(&root, "parameters")
        .and_then(Value::as_object)
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    for o in overrides {
        let Some((name, value)) = o.split_once('=') else {
            return Err(Error::Usage(format!(
                "--parameter {o}: expected NAME=VALUE"
            )));
        };
        let name = name.trim();
        if !declared.iter().any(|d| d.eq_ignore_ascii_case(name)) {
            return Err(Error::Usage(unknown_parameter(name, &declared)));
        }
        let value =
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        values.insert(name.to_ascii_lowercase(), Given::Value(value));
    }
    let scope = match scope {
        None => Scope {
            subscription: TEMPLATE_SUBSCRIPTION.to_string(),
            resource_group: TEMPLATE_RESOURCE_GROUP.to_string(),
        },
        Some(id) => {
            let segs: Vec<&str> = id.trim().trim_matches('/').split('/').collect();
            match segs.as_slice() {
                [s, sub, r, rg]
                    if s.eq_ignore_ascii_case("subscriptions")
                        && r.eq_ignore_ascii_case("resourceGroups") =>
                {
                    Scope {
                        subscription: sub.to_string(),
                        resource_group: rg.to_string(),
                    }
                }
                _ => {
                    return Err(Error::Usage(format!(
                        "--deployment-scope {id}: expected /subscriptions/<sub>/resourceGroups/<rg>"
                    )));
                }
            }
        }
    };
    let secure = Secure::of(&root, &values);
    let mut out = Expansion {
        here: &here,
        docs: Vec::new(),
        notices: Vec::new(),
    };
    let expanded = Frame::new(&root, &values, Vec::new(), scope, &here, &mut notices)
        .and_then(|frame| out.template(&root, &frame, Vec::new(), 0));
    expanded.map_err(|e| secure.hide_in_error(e))?;
    notices.append(&mut out.notices);
    let notices = notices.iter().map(|n| secure.hide(n)).collect();
    for d in &mut out.docs {
        secure.hide_in_value(&mut d.doc);
        for (_, why) in &mut d.unknown {
            *why = secure.hide(why);
        }
    }
    let documents = out.into_documents();
    Ok(Template { documents, notices })
}

/// What the template's secure parameters (`securestring`, `secureObject`) hold, as given or
/// by default: never printed, in an error, a warning, evidence or a report; `<secure>` stands
/// in for it.
struct Secure(Vec<String>);

impl Secure {
    /// Values shorter than this are hidden only where they are a whole string: as part of a
    /// longer text they would hide ordinary words.
    const SHORTEST_PART: usize = 4;

    fn of(root: &Value, values: &HashMap<String, Given>) -> Secure {
        let mut found = Vec::new();
        for (name, def) in member(root, "parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let kind = member(def, "type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !kind.to_ascii_lowercase().starts_with("secure") {
                continue;
            }
            let value = match values.get(&name.to_ascii_lowercase()) {
                Some(Given::Value(v)) => Some(v),
                Some(Given::Unknown(_)) => None,
                None => member(def, "defaultValue"),
            };
            if let Some(v) = value {
                strings(v, &mut found);
            }
        }
        found.retain(|s| !s.is_empty());
        // The longest first, so that a secret containing another is hidden whole.
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        found.dedup();
        Secure(found)
    }

    fn hide(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.0 {
            if out == *secret {
                return "<secure>".into();
            }
            if secret.len() >= Self::SHORTEST_PART {
                out = out.replace(secret.as_str(), "<secure>");
            }
        }
        out
    }

    fn hide_in_value(&self, v: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        match v {
            Value::String(s) => *s = self.hide(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.hide_in_value(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.hide_in_value(i)),
            _ => {}
        }
    }

    fn hide_in_error(&self, e: Error) -> Error {
        match e {
            Error::Template(mut d) => {
                d.message = self.hide(&d.message);
                Error::Template(d)
            }
            Error::Usage(m) => Error::Usage(self.hide(&m)),
            other => other,
        }
    }
}

/// Every string in a value (a secure object's leaves; numbers and booleans as text).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

fn parse_json(file: &str, text: &str) -> Result<Value> {
    if let Some(at) =
        crate::documents::entry::too_deep(text.as_bytes(), crate::documents::entry::MAX_DEPTH)
    {
        let (line, column) = scan::line_column(text.as_bytes(), at);
        return Err(Error::Template(Diagnostic {
            file: file.to_string(),
            position: Some(Position { line, column }),
            message: "nesting deeper than 128 levels of arrays and objects".into(),
        }));
    }
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        Error::Template(Diagnostic {
            file: file.to_string(),
            position: Some(Position {
                line: e.line() as u64,
                column: e.column() as u64,
            }),
            message: format!("not valid JSON: {message}"),
        })
    })
}

/// One step of a path into the template text.
#[derive(Debug, Clone)]
enum Own {
    Key(String),
    Index(usize),
}

/// The template's text, to point diagnostics and findings at, and what its nested
/// deployments output (by deployment id key, then output name), for `reference(...).outputs`.
struct Here<'t> {
    file: &'t str,
    text: &'t [u8],
    /// What `environment()` returns: the cloud's.
    environment: Value,
    outputs: RefCell<HashMap<String, HashMap<String, Outcome>>>,
    /// The evaluation work done so far, against [`expr::WORK_BUDGET`].
    work: std::cell::Cell<u64>,
}

impl Here<'_> {
    fn position(&self, at: &[Own]) -> Option<Position> {
        let steps: Vec<scan::Step<'_>> = at
            .iter()
            .map(|s| match s {
                Own::Key(k) => scan::Step::Key(k),
                Own::Index(i) => scan::Step::Index(*i),
            })
            .collect();
        scan::position(self.text, &steps).map(|(line, column)| Position { line, column })
    }

    fn error(&self, at: &[Own], message: &str) -> Error {
        Error::Template(Diagnostic {
            file: self.file.to_string(),
            position: self.position(at),
            message: message.to_string(),
        })
    }

    fn location(&self, at: &[Own]) -> Location {
        let p = self.position(at).unwrap_or(Position { line: 1, column: 1 });
        Location {
            file: self.file.to_string(),
            line: p.line as usize,
            column: p.column as usize,
        }
    }
}

fn with(at: &[Own], step: Own) -> Vec<Own> {
    let mut v = at.to_vec();
    v.push(step);
    v
}

#[derive(Clone)]
struct Scope {
    subscription: String,
    resource_group: String,
}

impl Scope {
    fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription, self.resource_group
        )
    }
}

/// A parameter value given from outside the template.
/// Why `--parameter NAME=...` names no parameter of the template, with the closest names.
fn unknown_parameter(name: &str, declared: &[&String]) -> String {
    let mut close: Vec<(f64, &str)> = declared
        .iter()
        .map(|d| {
            let score = strsim::jaro_winkler(&d.to_ascii_lowercase(), &name.to_ascii_lowercase());
            (score, d.as_str())
        })
        .filter(|(score, _)| *score > 0.8)
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0));
    let hint = match close.first() {
        Some((_, best)) => format!("; did you mean {best}?"),
        None if declared.is_empty() => "; it declares none".to_string(),
        None => format!(
            "; it declares {}",
            declared
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("--parameter {name}: the template has no parameter {name}{hint}")
}

enum Given {
    Value(Value),
    Unknown(String),
}

/// What a parameter or variable is made from.
enum Raw {
    /// A template value: its strings are expressions.
    Template(Value),
    /// Variable iteration: `copy: [{name, count, input}]`.
    Copy(Value),
    Unknown(String),
}

/// A lazily evaluated parameter or variable, with cycle detection.
struct Lazy {
    raw: Raw,
    at: Vec<Own>,
    state: RefCell<LazyState>,
}

enum LazyState {
    Pending,
    Evaluating,
    Done(Outcome),
}

/// The evaluation context of one template (a nested one has its own).
struct Frame<'t> {
    params: HashMap<String, Lazy>,
    vars: HashMap<String, Lazy>,
    copies: Vec<(String, i64)>,
    scope: Scope,
    here: &'t Here<'t>,
    /// Symbolic names of resources (languageVersion 2.0) and their ids.
    symbols: RefCell<HashMap<String, String>>,
    /// A cycle or bad expression found while evaluating lazily: reported once, as an error.
    problem: RefCell<Option<Error>>,
    /// Parameters and variables being evaluated, each inside the one before.
    lazy_depth: std::cell::Cell<usize>,
}

/// Deepest chain of variables (or parameters) each defined by the next: a template of
/// thousands, each naming the next, would overflow the stack.
const MAX_LAZY_DEPTH: usize = 64;

impl<'t> Frame<'t> {
    fn new(
        template: &Value,
        values: &HashMap<String, Given>,
        at: Vec<Own>,
        scope: Scope,
        here: &'t Here<'t>,
        notices: &mut Vec<String>,
    ) -> Result<Frame<'t>> {
        let mut params = HashMap::new();
        for (name, def) in member(template, "parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let def_at = with(
                &with(&at, Own::Key("parameters".into())),
                Own::Key(name.clone()),
            );
            let raw = match (
                values.get(&name.to_ascii_lowercase()),
                member(def, "defaultValue"),
            ) {
                // A null given for a parameter with a default takes the default, as ARM does
                // (Bicep passes `x.?y` to a module's optional parameter this way).
                (Some(Given::Value(Value::Null)), Some(d)) => Raw::Template(d.clone()),
                (Some(Given::Value(v)), _) => {
                    check_constraints(name, def, v, notices);
                    Raw::Template(escape_literal(v))
                }
                (Some(Given::Unknown(why)), _) => Raw::Unknown(why.clone()),
                (None, Some(d)) => Raw::Template(d.clone()),
                // Bicep's optional parameter (`param x string?`) is null when not given.
                (None, None) if nullable(def, template) => Raw::Template(Value::Null),
                (None, None) => {
                    return Err(here.error(
                        &def_at,
                        &format!(
                            "parameter {name} has no value: give it in --parameters FILE or --parameter {name}=VALUE"
                        ),
                    ));
                }
            };
            let lazy = Lazy {
                raw,
                at: with(&def_at, Own::Key("defaultValue".into())),
                state: RefCell::new(LazyState::Pending),
            };
            params.insert(name.to_ascii_lowercase(), lazy);
        }
        let mut vars = HashMap::new();
        if let Some(defs) = member(template, "variables").and_then(Value::as_object) {
            for (name, raw) in defs {
                if name == "copy" {
                    // Variable iteration: each entry becomes an array variable.
                    for (i, c) in raw.as_array().into_iter().flatten().enumerate() {
                        let Some(n) = member(c, "name").and_then(Value::as_str) else {
                            continue;
                        };
                        let lazy = Lazy {
                            raw: Raw::Copy(c.clone()),
                            at: with(
                                &with(
                                    &with(&at, Own::Key("variables".into())),
                                    Own::Key("copy".into()),
                                ),
                                Own::Index(i),
                            ),
                            state: RefCell::new(LazyState::Pending),
                        };
                        vars.insert(n.to_ascii_lowercase(), lazy);
                    }
                    continue;
                }
                let lazy = Lazy {
                    raw: Raw::Template(raw.clone()),
                    at: with(
                        &with(&at, Own::Key("variables".into())),
                        Own::Key(name.clone()),
                    ),
                    state: RefCell::new(LazyState::Pending),
                };
                vars.insert(name.to_ascii_lowercase(), lazy);
            }
        }
        Ok(Frame {
            params,
            vars,
            copies: Vec::new(),
            scope,
            here,
            symbols: RefCell::new(HashMap::new()),
            problem: RefCell::new(None),
            lazy_depth: std::cell::Cell::new(0),
        })
    }

    fn lazy(&self, kind: &str, table: &HashMap<String, Lazy>, name: &str) -> Outcome {
        let Some(l) = table.get(&name.to_ascii_lowercase()) else {
            return Err(Eval::Invalid(format!(
                "the template has no {kind} `{name}`"
            )));
        };
        match &*l.state.borrow() {
            LazyState::Done(v) => return v.clone(),
            LazyState::Evaluating => {
                return Err(Eval::Invalid(format!("{kind} `{name}` refers to itself")));
            }
            LazyState::Pending => {}
        }
        if self.lazy_depth.get() >= MAX_LAZY_DEPTH {
            return Err(Eval::Invalid(format!(
                "{kind} `{name}` is defined through more than {MAX_LAZY_DEPTH} others, each by the next"
            )));
        }
        *l.state.borrow_mut() = LazyState::Evaluating;
        self.lazy_depth.set(self.lazy_depth.get() + 1);
        let v = match &l.raw {
            Raw::Copy(c) => self.copy_variable(c, &l.at),
            Raw::Unknown(why) => Err(Eval::Unknown(why.clone())),
            Raw::Template(raw) => self.view().value(raw, &l.at),
        };
        self.lazy_depth.set(self.lazy_depth.get() - 1);
        if let Err(Eval::Invalid(m)) = &v {
            let mut problem = self.problem.borrow_mut();
            if problem.is_none() {
                *problem = Some(self.here.error(&l.at, &format!("{kind} {name}: {m}")));
            }
        }
        *l.state.borrow_mut() = LazyState::Done(v.clone());
        v
    }

    fn copy_count(&self, copy: &Value, at: &[Own]) -> std::result::Result<i64, Error> {
        let raw = member(copy, "count").cloned().unwrap_or(Value::Null);
        let count_at = with(at, Own::Key("count".into()));
        match self.view().value(&raw, &count_at) {
            Ok(v) => match v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
                Some(n) if (0..=MAX_COPY).contains(&n) => Ok(n),
                Some(n) => Err(self.here.error(
                    &count_at,
                    &format!("a copy count of {n}: ARM allows 0 to {MAX_COPY}"),
                )),
                None => Err(self.here.error(&count_at, &format!("a copy count that is not a number: {v}"))),
            },
            Err(Eval::Unknown(why)) => Err(self.here.error(
                &count_at,
                &format!("a copy count known only at deployment ({why}): the resources it makes cannot be listed"),
            )),
            Err(Eval::Invalid(m)) => Err(self.here.error(&count_at, &m)),
        }
    }

    fn copy_variable(&self, c: &Value, at: &[Own]) -> Outcome {
        let name = member(c, "name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let count = self
            .copy_count(c, at)
            .map_err(|e| Eval::Invalid(e.to_string()))?;
        let input = member(c, "input").cloned().unwrap_or(Value::Null);
        let mut items = Vec::new();
        for i in 0..count {
            let mut inner = self.view();
            inner.copies.push((name.clone(), i));
            items.push(inner.value(&input, &with(at, Own::Key("input".into())))?);
        }
        Ok(Value::Array(items))
    }

    /// The frame as expressions see it, to which copy loops add their indexes.
    fn view(&self) -> FrameView<'_, 't> {
        FrameView {
            frame: self,
            copies: self.copies.clone(),
        }
    }
}

/// A frame seen with extra copy indexes in force.
struct FrameView<'f, 't> {
    frame: &'f Frame<'t>,
    copies: Vec<(String, i64)>,
}

impl FrameView<'_, '_> {
    fn value(&self, raw: &Value, at: &[Own]) -> Outcome {
        match raw {
            Value::String(s) => {
                let e = expr::parse_string(s).map_err(Eval::Invalid)?;
                expr::eval(&e, self)
            }
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.value(v, &with(at, Own::Index(i))))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.value(v, &with(at, Own::Key(k.clone())))?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }
}

impl expr::Context for FrameView<'_, '_> {
    fn parameter(&self, name: &str) -> Outcome {
        self.frame.parameter(name)
    }
    fn variable(&self, name: &str) -> Outcome {
        self.frame.variable(name)
    }
    fn copy_index(&self, loop_name: Option<&str>) -> std::result::Result<i64, Eval> {
        copy_index(&self.copies, loop_name)
    }
    fn subscription_id(&self) -> &str {
        &self.frame.scope.subscription
    }
    fn resource_group(&self) -> &str {
        &self.frame.scope.resource_group
    }
    fn location(&self) -> &str {
        TEMPLATE_LOCATION
    }
    fn symbolic(&self, name: &str) -> Option<String> {
        self.frame.symbolic(name)
    }
    fn deployment_output(&self, deployment: &str, output: &str) -> Option<Outcome> {
        expr::Context::deployment_output(self.frame, deployment, output)
    }
    fn environment(&self) -> Value {
        self.frame.here.environment.clone()
    }
    fn spend(&self, work: u64) -> std::result::Result<(), Eval> {
        expr::Context::spend(self.frame, work)
    }
}

fn copy_index(copies: &[(String, i64)], loop_name: Option<&str>) -> std::result::Result<i64, Eval> {
    match loop_name {
        Some(n) => copies
            .iter()
            .rev()
            .find(|(c, _)| c.eq_ignore_ascii_case(n))
            .map(|(_, i)| *i)
            .ok_or_else(|| Eval::Invalid(format!("copyIndex('{n}') outside that copy loop"))),
        None => copies
            .last()
            .map(|(_, i)| *i)
            .ok_or_else(|| Eval::Invalid("copyIndex() outside a copy loop".into())),
    }
}

impl expr::Context for Frame<'_> {
    fn environment(&self) -> Value {
        self.here.environment.clone()
    }
    fn spend(&self, work: u64) -> std::result::Result<(), Eval> {
        let done = self.here.work.get().saturating_add(work);
        self.here.work.set(done);
        if done > expr::WORK_BUDGET {
            return Err(Eval::Invalid(format!(
                "the template asks for more than {} values to be computed (amlsec's evaluation budget; ARM itself limits templates to 4 MB and 800 copies)",
                expr::WORK_BUDGET
            )));
        }
        Ok(())
    }
    fn parameter(&self, name: &str) -> Outcome {
        self.lazy("parameter", &self.params, name)
    }
    fn variable(&self, name: &str) -> Outcome {
        self.lazy("variable", &self.vars, name)
    }
    fn copy_index(&self, loop_name: Option<&str>) -> std::result::Result<i64, Eval> {
        copy_index(&self.copies, loop_name)
    }
    fn subscription_id(&self) -> &str {
        &self.scope.subscription
    }
    fn resource_group(&self) -> &str {
        &self.scope.resource_group
    }
    fn location(&self) -> &str {
        TEMPLATE_LOCATION
    }
    fn symbolic(&self, name: &str) -> Option<String> {
        self.symbols
            .borrow()
            .get(&name.to_ascii_lowercase())
            .cloned()
    }
    fn deployment_output(&self, deployment: &str, output: &str) -> Option<Outcome> {
        let id = if deployment.contains('/') {
            deployment.to_string()
        } else {
            // A module by symbolic name, or a deployment by its bare name.
            expr::Context::symbolic(self, deployment).unwrap_or_else(|| {
                full_id(
                    &self.scope,
                    None,
                    "Microsoft.Resources/deployments",
                    deployment,
                    None,
                )
            })
        };
        let outputs = self.here.outputs.borrow();
        let of = outputs.get(&arm_id::key(&id))?;
        Some(
            of.get(&output.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| {
                    Err(Eval::Invalid(format!(
                        "the deployment has no output `{output}`"
                    )))
                }),
        )
    }
}

/// A parameter value is data, not an expression: a string starting with `[` is escaped.
fn escape_literal(v: &Value) -> Value {
    match v {
        Value::String(s) if s.trim_start().starts_with('[') => Value::String(format!("[{s}")),
        Value::Array(a) => Value::Array(a.iter().map(escape_literal).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), escape_literal(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A value outside its parameter's constraints is a warning: real templates ship placeholders.
fn check_constraints(name: &str, def: &Value, v: &Value, notices: &mut Vec<String>) {
    if let Some(allowed) = member(def, "allowedValues").and_then(Value::as_array)
        && !allowed.iter().any(|a| a == v)
    {
        notices.push(format!(
            "warning: parameter {name}: {v} is not one of its allowedValues"
        ));
    }
    if let (Some(max), Some(s)) = (member(def, "maxLength").and_then(Value::as_u64), v.as_str())
        && s.chars().count() as u64 > max
    {
        notices.push(format!(
            "warning: parameter {name}: '{s}' is longer than its maxLength {max}"
        ));
    }
}

/// One expanded resource.
struct Deployed {
    doc: Value,
    unknown: Vec<(Vec<Step>, String)>,
    at: Location,
    /// A reference to a resource deployed elsewhere (`existing: true`).
    existing: bool,
}

struct Expansion<'t> {
    here: &'t Here<'t>,
    docs: Vec<Deployed>,
    notices: Vec<String>,
}

impl Expansion<'_> {
    fn template(
        &mut self,
        template: &Value,
        frame: &Frame<'_>,
        at: Vec<Own>,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(self.here.error(
                &at,
                &format!("inline deployments nested deeper than {MAX_NESTING}"),
            ));
        }
        let resources_at = with(&at, Own::Key("resources".into()));
        match member(template, "resources") {
            Some(Value::Array(items)) => {
                for (i, r) in items.iter().enumerate() {
                    self.resource(r, frame, with(&resources_at, Own::Index(i)), None, depth)?;
                }
            }
            // languageVersion 2.0: symbolic names, which `reference` and `scope` may use.
            Some(Value::Object(items)) => {
                for (symbol, r) in items {
                    // A resource that is not deployed has no id to refer to; ARM evaluates
                    // neither its name nor its scope (an `existing` key vault of an unset
                    // customer-managed key). One whose id fails here fails where it is deployed.
                    let deployed = member(r, "condition").is_none_or(|c| {
                        frame.view().value(c, &resources_at) != Ok(Value::Bool(false))
                    });
                    if !deployed {
                        continue;
                    }
                    if let Ok(Some(id)) = self.id_of(r, frame, None) {
                        frame
                            .symbols
                            .borrow_mut()
                            .insert(symbol.to_ascii_lowercase(), id);
                    }
                }
                for (symbol, r) in items {
                    self.resource(
                        r,
                        frame,
                        with(&resources_at, Own::Key(symbol.clone())),
                        None,
                        depth,
                    )?;
                }
            }
            _ => {}
        }
        if let Some(e) = frame.problem.borrow_mut().take() {
            return Err(e);
        }
        Ok(())
    }

    fn name_and_type(
        &self,
        r: &Value,
        view: &dyn expr::Context,
        at: &[Own],
    ) -> Result<Option<(String, String)>> {
        let mut out = Vec::new();
        for key in ["type", "name"] {
            let raw = member(r, key).cloned().unwrap_or(Value::Null);
            let e = match &raw {
                Value::String(s) => expr::parse_string(s)
                    .map_err(|m| self.here.error(&with(at, Own::Key(key.into())), &m))?,
                _ => {
                    return Err(self
                        .here
                        .error(at, &format!("a resource without a `{key}` string")));
                }
            };
            match expr::eval(&e, view) {
                Ok(Value::String(s)) => out.push(s),
                Ok(other) => {
                    return Err(self.here.error(
                        &with(at, Own::Key(key.into())),
                        &format!("`{key}` is {other}, not a string"),
                    ));
                }
                Err(Eval::Invalid(m)) => {
                    return Err(self.here.error(&with(at, Own::Key(key.into())), &m));
                }
                Err(Eval::Unknown(_)) => return Ok(None),
            }
        }
        Ok(Some((out[0].clone(), out[1].clone())))
    }

    /// The id of a resource declaration (for symbolic names), when known.
    fn id_of(
        &self,
        r: &Value,
        frame: &Frame<'_>,
        parent: Option<(&str, &str)>,
    ) -> Result<Option<String>> {
        if member(r, "copy").is_some() {
            return Ok(None);
        }
        let Some((kind, name)) = self.name_and_type(r, frame, &[])? else {
            return Ok(None);
        };
        Ok(Some(full_id(&frame.scope, parent, &kind, &name, None)))
    }

    fn resource(
        &mut self,
        r: &Value,
        frame: &Frame<'_>,
        at: Vec<Own>,
        parent: Option<(&str, &str)>,
        depth: usize,
    ) -> Result<()> {
        if !r.is_object() {
            return Err(self.here.error(&at, "a resource that is not an object"));
        }
        match member(r, "copy") {
            Some(copy) => {
                let copy_at = with(&at, Own::Key("copy".into()));
                let name = member(copy, "name")
                    .and_then(Value::as_str)
                    .unwrap_or("copy")
                    .to_string();
                let count = frame.copy_count(copy, &copy_at)?;
                for i in 0..count {
                    let mut view = frame.view();
                    view.copies.push((name.clone(), i));
                    self.one(r, &view, frame, &at, parent, depth)?;
                }
                Ok(())
            }
            None => self.one(r, &frame.view(), frame, &at, parent, depth),
        }
    }

    fn one(
        &mut self,
        r: &Value,
        view: &FrameView<'_, '_>,
        frame: &Frame<'_>,
        at: &[Own],
        parent: Option<(&str, &str)>,
        depth: usize,
    ) -> Result<()> {
        if self.docs.len() >= MAX_RESOURCES {
            return Err(self.here.error(
                at,
                &format!("the template expands to more than {MAX_RESOURCES} resources"),
            ));
        }
        if let Some(c) = member(r, "condition") {
            match view.value(c, &with(at, Own::Key("condition".into()))) {
                Ok(v) if v == Value::Bool(false) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false")) => return Ok(()),
                Ok(_) => {}
                Err(Eval::Unknown(why)) => self.notices.push(format!(
                    "warning: {}: whether this resource is deployed is known only at deployment ({why}); it is audited as deployed",
                    self.here.location(at)
                )),
                Err(Eval::Invalid(m)) => return Err(self.here.error(&with(at, Own::Key("condition".into())), &m)),
            }
        }
        let Some((kind, name)) = self.name_and_type(r, view, at)? else {
            self.notices.push(format!(
                "warning: {}: a resource whose type or name is known only at deployment is not audited",
                self.here.location(at)
            ));
            return Ok(());
        };
        let scope_id = match member(r, "scope") {
            Some(s) => match view.value(s, &with(at, Own::Key("scope".into()))) {
                Ok(Value::String(s)) => Some(expr::Context::symbolic(frame, &s).unwrap_or(s)),
                _ => {
                    self.notices.push(format!(
                        "warning: {}: an extension resource whose scope is known only at deployment is not audited",
                        self.here.location(at)
                    ));
                    return Ok(());
                }
            },
            None => None,
        };
        let id = full_id(&frame.scope, parent, &kind, &name, scope_id.as_deref());
        let (full_kind, full_name) = match parent {
            Some((pk, pn)) => (format!("{pk}/{kind}"), format!("{pn}/{name}")),
            None => (kind.clone(), name.clone()),
        };
        if full_kind.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
            return self.deployment(&id, r, view, frame, at, depth);
        }
        let existing = member(r, "existing").is_some_and(|e| e == &Value::Bool(true));
        let mut doc = Map::new();
        doc.insert("id".into(), json!(id));
        doc.insert(
            "name".into(),
            json!(full_name.rsplit('/').next().unwrap_or_default()),
        );
        doc.insert("type".into(), json!(full_kind));
        let mut unknown = Vec::new();
        if !existing {
            for name in [
                "location",
                "kind",
                "sku",
                "identity",
                "tags",
                "zones",
                "plan",
                "properties",
            ] {
                // ARM reads a template's property names case-insensitively (`Properties`);
                // the location is the key as written.
                let Some((written, raw)) = r
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                else {
                    continue;
                };
                let mut path = vec![Step::Key(name.to_string())];
                let v = self.body(
                    raw,
                    view,
                    &with(at, Own::Key(written.clone())),
                    &mut path,
                    &mut unknown,
                )?;
                doc.insert(name.to_string(), v);
            }
        }
        let doc = Value::Object(doc);
        if !existing && full_kind.eq_ignore_ascii_case("Microsoft.Network/virtualNetworks") {
            self.inline_subnets(&doc, &unknown, at);
        }
        self.docs.push(Deployed {
            doc,
            unknown,
            at: self.here.location(at),
            existing,
        });
        // Child resources declared inline: names and types relative to this one.
        if let Some(children) = member(r, "resources").and_then(Value::as_array) {
            let children_at = with(at, Own::Key("resources".into()));
            for (i, c) in children.iter().enumerate() {
                self.resource(
                    c,
                    frame,
                    with(&children_at, Own::Index(i)),
                    Some((&full_kind, &full_name)),
                    depth,
                )?;
            }
        }
        Ok(())
    }

    /// Subnets declared inside a virtual network are resources of their own once deployed
    /// (`{vnet}/subnets/{name}`), which computes and NSG links point at.
    fn inline_subnets(&mut self, vnet: &Value, unknown: &[(Vec<Step>, String)], at: &[Own]) {
        let vnet_id = vnet["id"].as_str().unwrap_or_default();
        for (i, subnet) in vnet["properties"]["subnets"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(name) = subnet["name"].as_str() else {
                continue;
            };
            let prefix = [
                Step::Key("properties".into()),
                Step::Key("subnets".into()),
                Step::Index(i),
            ];
            let moved = unknown
                .iter()
                .filter(|(p, _)| p.len() > 3 && p[..3].iter().zip(&prefix).all(|(a, b)| a.same(b)))
                .map(|(p, why)| (p[3..].to_vec(), why.clone()))
                .collect();
            let decl_at = with(
                &with(
                    &with(at, Own::Key("properties".into())),
                    Own::Key("subnets".into()),
                ),
                Own::Index(i),
            );
            self.docs.push(Deployed {
                doc: json!({
                    "id": format!("{vnet_id}/subnets/{name}"),
                    "name": name,
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                    "properties": member(subnet, "properties").cloned().unwrap_or(json!({})),
                }),
                unknown: moved,
                at: self.here.location(&decl_at),
                existing: false,
            });
        }
    }

    /// A resource body: every string evaluated; a value known only at deployment becomes
    /// `null` with its place recorded, never a guess.
    fn body(
        &self,
        raw: &Value,
        view: &FrameView<'_, '_>,
        at: &[Own],
        path: &mut Vec<Step>,
        unknown: &mut Vec<(Vec<Step>, String)>,
    ) -> Result<Value> {
        Ok(match raw {
            Value::String(_) => match view.value(raw, at) {
                Ok(v) => v,
                Err(Eval::Unknown(why)) => {
                    unknown.push((path.clone(), why));
                    Value::Null
                }
                Err(Eval::Invalid(m)) => return Err(self.here.error(at, &m)),
            },
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    out.push(self.body(v, view, &with(at, Own::Index(i)), path, unknown)?);
                    path.pop();
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    if k == "copy" && v.is_array() {
                        // Property iteration: `copy: [{name, count, input}]` makes arrays.
                        for (i, c) in v.as_array().into_iter().flatten().enumerate() {
                            let c_at = with(&with(at, Own::Key("copy".into())), Own::Index(i));
                            let name = member(c, "name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string();
                            let count = view.frame.copy_count(c, &c_at)?;
                            let input = member(c, "input").cloned().unwrap_or(Value::Null);
                            let mut items = Vec::new();
                            path.push(Step::Key(name.clone()));
                            for n in 0..count {
                                let mut inner = FrameView {
                                    frame: view.frame,
                                    copies: view.copies.clone(),
                                };
                                inner.copies.push((name.clone(), n));
                                path.push(Step::Index(n as usize));
                                items.push(self.body(
                                    &input,
                                    &inner,
                                    &with(&c_at, Own::Key("input".into())),
                                    path,
                                    unknown,
                                )?);
                                path.pop();
                            }
                            path.pop();
                            out.insert(name, Value::Array(items));
                        }
                        continue;
                    }
                    path.push(Step::Key(k.clone()));
                    out.insert(
                        k.clone(),
                        self.body(v, view, &with(at, Own::Key(k.clone())), path, unknown)?,
                    );
                    path.pop();
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// An inline nested deployment: its template expanded in its own scope; a linked one is
    /// not read, and said so.
    fn deployment(
        &mut self,
        id: &str,
        r: &Value,
        view: &FrameView<'_, '_>,
        frame: &Frame<'_>,
        at: &[Own],
        depth: usize,
    ) -> Result<()> {
        let props = member(r, "properties").cloned().unwrap_or(Value::Null);
        let Some(template) = member(&props, "template") else {
            self.notices.push(format!(
                "warning: {}: a linked template (templateLink) is not read; the resources it deploys are not audited",
                self.here.location(at)
            ));
            return Ok(());
        };
        let mut scope = frame.scope.clone();
        for (key, slot) in [("resourceGroup", 0), ("subscriptionId", 1)] {
            if let Some(v) = r.get(key) {
                match view.value(v, &with(at, Own::Key(key.into()))) {
                    Ok(Value::String(s)) if slot == 0 => scope.resource_group = s,
                    Ok(Value::String(s)) => scope.subscription = s,
                    _ => {
                        self.notices.push(format!(
                            "warning: {}: a deployment whose target scope is known only at deployment is not audited",
                            self.here.location(at)
                        ));
                        return Ok(());
                    }
                }
            }
        }
        let template_at = with(
            &with(at, Own::Key("properties".into())),
            Own::Key("template".into()),
        );
        let inner = member(&props, "expressionEvaluationOptions")
            .and_then(|o| member(o, "scope"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        if inner {
            // Inner scope: the nested template's own parameters, given by the outer one.
            let mut values = HashMap::new();
            let params_at = with(
                &with(at, Own::Key("properties".into())),
                Own::Key("parameters".into()),
            );
            for (name, entry) in member(&props, "parameters")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let entry_at = with(
                    &with(&params_at, Own::Key(name.clone())),
                    Own::Key("value".into()),
                );
                // Bicep writes an optional module parameter as one expression whose value is
                // the `{"value": ...}` object: `[if(empty(..), createObject('value', ..), ..)]`.
                let given = match entry {
                    Value::String(_) => {
                        let whole_at = with(&params_at, Own::Key(name.clone()));
                        match view.value(entry, &whole_at) {
                            Ok(object) => match member(&object, "value") {
                                Some(v) => Some(Ok(v.clone())),
                                None if member(&object, "reference").is_some() => {
                                    Some(Err(Eval::Unknown(
                                        "a Key Vault secret, read at deployment time".into(),
                                    )))
                                }
                                None => Some(Err(Eval::Invalid(format!(
                                    "parameter {name} is given as {object}, not an object with a `value`"
                                )))),
                            },
                            Err(e) => Some(Err(e)),
                        }
                    }
                    _ => member(entry, "value").map(|v| view.value(v, &entry_at)),
                };
                let v = match given {
                    Some(Ok(v)) => Given::Value(v),
                    Some(Err(Eval::Unknown(why))) => Given::Unknown(why),
                    Some(Err(Eval::Invalid(m))) => return Err(self.here.error(&entry_at, &m)),
                    None => continue,
                };
                values.insert(name.to_ascii_lowercase(), v);
            }
            let mut notices = Vec::new();
            let nested = Frame::new(
                template,
                &values,
                template_at.clone(),
                scope,
                frame.here,
                &mut notices,
            )?;
            self.notices.extend(notices);
            self.template(template, &nested, template_at.clone(), depth + 1)?;
            self.record_outputs(id, template, &nested, &template_at);
            Ok(())
        } else if scope.id() != frame.scope.id() {
            // Outer scope into another resource group: its `resourceGroup()` would be
            // evaluated in the outer one, so its ids cannot be trusted.
            self.notices.push(format!(
                "warning: {}: an outer-scope deployment to another resource group is not audited; use expressionEvaluationOptions.scope inner",
                self.here.location(at)
            ));
            Ok(())
        } else {
            // Outer scope (the default): the nested template sees the outer parameters.
            self.template(template, frame, template_at.clone(), depth + 1)?;
            self.record_outputs(id, template, frame, &template_at);
            Ok(())
        }
    }

    /// A nested deployment's outputs, evaluated where its template is, for the
    /// `reference(...).outputs` of the deployments after it.
    fn record_outputs(&self, id: &str, template: &Value, frame: &Frame<'_>, at: &[Own]) {
        let outputs_at = with(at, Own::Key("outputs".into()));
        let mut out = HashMap::new();
        for (name, def) in member(template, "outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let raw = member(def, "value").cloned().unwrap_or(Value::Null);
            let value_at = with(
                &with(&outputs_at, Own::Key(name.clone())),
                Own::Key("value".into()),
            );
            out.insert(
                name.to_ascii_lowercase(),
                frame.view().value(&raw, &value_at),
            );
        }
        self.here.outputs.borrow_mut().insert(arm_id::key(id), out);
    }

    fn into_documents(self) -> Documents {
        let mut docs = Documents::default();
        let mut deployment = Deployment::default();
        let mut deployed: Vec<Deployed> = Vec::new();
        for d in self.docs {
            if d.existing {
                continue;
            }
            deployed.push(d);
        }
        synthesize_private_endpoint_connections(&mut deployed);
        let kinds: HashSet<String> = crate::graph::SUBJECTS
            .iter()
            .map(|s| s.resource_type.to_ascii_lowercase())
            .collect();
        let mut keys: HashSet<String> = HashSet::new();
        for d in &deployed {
            let id = d.doc["id"].as_str().unwrap_or_default().to_string();
            keys.insert(arm_id::key(&id));
        }
        for d in deployed {
            let id = d.doc["id"].as_str().unwrap_or_default().to_string();
            let key = arm_id::key(&id);
            // A child of a subject the template does not deploy (a compute added to an existing
            // workspace): that subject is audited, its own settings unknown.
            let mut at = key.clone();
            while let Some(parent) = parent_resource(&at) {
                let is_subject = arm_id::derive_type(&parent)
                    .is_some_and(|t| kinds.contains(&t.to_ascii_lowercase()));
                if is_subject && !keys.contains(&parent) {
                    docs.record_failure(ReadFailure::unknown(
                        &id_case(&id, &parent),
                        "referenced by the template, not deployed by it",
                    ));
                }
                at = parent;
            }
            deployment.deployed.insert(key.clone());
            deployment.declared_at.insert(key.clone(), d.at);
            if !d.unknown.is_empty() {
                deployment.unknown.insert(key, d.unknown);
            }
            docs.insert(d.doc);
        }
        docs.set_deployment(deployment);
        docs
    }
}

/// The id of `key`'s parent resource (`…/workspaces/ws` of `…/workspaces/ws/computes/ci`).
fn parent_resource(key: &str) -> Option<String> {
    let segs: Vec<&str> = key.split('/').collect();
    let p = segs.iter().rposition(|s| *s == "providers")?;
    // providers/{ns}/{type}/{name}[/{type}/{name}]...
    let tail = segs.len() - (p + 2);
    if tail > 2 && tail.is_multiple_of(2) {
        Some(segs[..segs.len() - 2].join("/"))
    } else {
        None
    }
}

/// The prefix of `id` (as written) that `key` (lower-case) names.
fn id_case(id: &str, key: &str) -> String {
    id.get(..key.len()).unwrap_or(key).to_string()
}

fn full_id(
    scope: &Scope,
    parent: Option<(&str, &str)>,
    kind: &str,
    name: &str,
    extension_scope: Option<&str>,
) -> String {
    let (kind, name) = match parent {
        Some((pk, pn)) => (format!("{pk}/{kind}"), format!("{pn}/{name}")),
        None => (kind.to_string(), name.to_string()),
    };
    let mut types = kind.split('/');
    let namespace = types.next().unwrap_or_default();
    let mut path = format!("providers/{namespace}");
    let names: Vec<&str> = name.split('/').collect();
    for (i, t) in types.enumerate() {
        path.push_str(&format!(
            "/{t}/{}",
            names.get(i).copied().unwrap_or_default()
        ));
    }
    match extension_scope {
        Some(s) => format!("{}/{path}", s.trim_end_matches('/')),
        None => format!("{}/{path}", scope.id()),
    }
}

/// A private endpoint the template deploys gives the resource it points at (deployed by the
/// template too) a connection: `Approved` for `privateLinkServiceConnections`, `Pending` for
/// manual ones — the deployer creates both sides.
fn synthesize_private_endpoint_connections(deployed: &mut [Deployed]) {
    let mut links: Vec<(String, String, String, &'static str)> = Vec::new();
    for d in deployed.iter() {
        if !d.doc["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Network/privateEndpoints"))
        {
            continue;
        }
        let pe = d.doc["id"].as_str().unwrap_or_default().to_string();
        for (member, status) in [
            ("privateLinkServiceConnections", "Approved"),
            ("manualPrivateLinkServiceConnections", "Pending"),
        ] {
            for c in d.doc["properties"][member].as_array().into_iter().flatten() {
                if let Some(target) = c["properties"]["privateLinkServiceId"].as_str() {
                    let name = c["name"].as_str().unwrap_or("connection").to_string();
                    links.push((arm_id::key(target), pe.clone(), name, status));
                }
            }
        }
    }
    for (target, pe, name, status) in links {
        let Some(d) = deployed.iter_mut().find(|d| {
            d.doc["id"]
                .as_str()
                .is_some_and(|i| arm_id::key(i) == target)
        }) else {
            continue;
        };
        let registry = d.doc["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(crate::graph::AML_REGISTRY));
        let (list, state) = if registry {
            (
                "registryPrivateEndpointConnections",
                "registryPrivateLinkServiceConnectionState",
            )
        } else {
            (
                "privateEndpointConnections",
                "privateLinkServiceConnectionState",
            )
        };
        let id = format!(
            "{}/privateEndpointConnections/{name}",
            d.doc["id"].as_str().unwrap_or_default()
        );
        let connection = json!({"id": id, "name": name, "properties": {
            "privateEndpoint": {"id": pe},
            state: {"status": status, "description": "created with the private endpoint by the template"},
        }});
        if !d.doc["properties"].is_object() {
            d.doc["properties"] = json!({});
        }
        match d.doc["properties"][list].as_array_mut() {
            Some(items) => items.push(connection),
            None => d.doc["properties"][list] = json!([connection]),
        }
    }
}

/// Whether a parameter may be left out (`"nullable": true` on it, or on the user-defined type
/// its `$ref` names, as Bicep compiles `param x T?`).
fn nullable(def: &Value, template: &Value) -> bool {
    let own = member(def, "nullable").and_then(Value::as_bool) == Some(true);
    let by_type = member(def, "$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/definitions/"))
        .and_then(|name| member(template, "definitions").and_then(|d| member(d, name)))
        .and_then(|t| member(t, "nullable"))
        .and_then(Value::as_bool)
        == Some(true);
    own || by_type
}
