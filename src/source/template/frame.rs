//! The evaluation frame of one template: its parameters and variables, evaluated lazily and
//! once, copy indexes, and what its expressions may ask of the deployment.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::expr::{self, Eval, Outcome};
use super::*;
use crate::documents::member;

pub(super) enum Given {
    Value(Value),
    Unknown(String),
}

/// What a parameter or variable is made from.
pub(super) enum Raw {
    /// A template value: its strings are expressions.
    Template(Value),
    /// Variable iteration: `copy: [{name, count, input}]`.
    Copy(Value),
    Unknown(String),
}

/// A lazily evaluated parameter or variable, with cycle detection.
pub(super) struct Lazy {
    pub(super) raw: Raw,
    pub(super) at: Vec<Own>,
    pub(super) state: RefCell<LazyState>,
}

pub(super) enum LazyState {
    Pending,
    Evaluating,
    Done(Outcome),
}

/// The evaluation context of one template (a nested one has its own).
pub(super) struct Frame<'t> {
    pub(super) params: HashMap<String, Lazy>,
    pub(super) vars: HashMap<String, Lazy>,
    pub(super) copies: Vec<(String, i64)>,
    pub(super) scope: Scope,
    pub(super) here: &'t Here<'t>,
    /// Symbolic names of resources (languageVersion 2.0) and their ids.
    pub(super) symbols: RefCell<HashMap<String, String>>,
    /// A cycle or bad expression found while evaluating lazily: reported once, as an error.
    pub(super) problem: RefCell<Option<Error>>,
    /// Parameters and variables being evaluated, each inside the one before.
    pub(super) lazy_depth: std::cell::Cell<usize>,
}

/// Deepest chain of variables (or parameters) each defined by the next: a template of
/// thousands, each naming the next, would overflow the stack.
pub(super) const MAX_LAZY_DEPTH: usize = 64;

impl<'t> Frame<'t> {
    pub(super) fn new(
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

    pub(super) fn lazy(&self, kind: &str, table: &HashMap<String, Lazy>, name: &str) -> Outcome {
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

    pub(super) fn copy_count(&self, copy: &Value, at: &[Own]) -> std::result::Result<i64, Error> {
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

    pub(super) fn copy_variable(&self, c: &Value, at: &[Own]) -> Outcome {
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
    pub(super) fn view(&self) -> FrameView<'_, 't> {
        FrameView {
            frame: self,
            copies: self.copies.clone(),
        }
    }
}

/// A frame seen with extra copy indexes in force.
pub(super) struct FrameView<'f, 't> {
    pub(super) frame: &'f Frame<'t>,
    pub(super) copies: Vec<(String, i64)>,
}

impl FrameView<'_, '_> {
    pub(super) fn value(&self, raw: &Value, at: &[Own]) -> Outcome {
        match raw {
            Value::String(s) => {
                let e = expr::parse_string(s)?;
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

pub(super) fn copy_index(
    copies: &[(String, i64)],
    loop_name: Option<&str>,
) -> std::result::Result<i64, Eval> {
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
pub(super) fn escape_literal(v: &Value) -> Value {
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
pub(super) fn check_constraints(name: &str, def: &Value, v: &Value, notices: &mut Vec<String>) {
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

/// Whether a parameter may be left out (`"nullable": true` on it, or on the user-defined type
/// its `$ref` names, as Bicep compiles `param x T?`).
pub(super) fn nullable(def: &Value, template: &Value) -> bool {
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
