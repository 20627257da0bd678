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

mod expansion;
mod expr;
mod frame;
pub mod what_if;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::scan;
use crate::arm_id;
use crate::documents::{Deployment, Documents, Location, ReadFailure, member};
use crate::error::{Diagnostic, Error, Position, Result};
use expansion::*;
use expr::Outcome;
use frame::*;

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
    let mut values = match parameters {
        Some((pfile, ptext)) => parameters_file(pfile, ptext)?,
        None => HashMap::new(),
    };
    let mut notices = Vec::new();
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
    let scope = deployment_scope(scope)?;
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

/// The values a parameters file gives, by lower-case name; a Key Vault reference is unknown.
fn parameters_file(pfile: &str, ptext: &str) -> Result<HashMap<String, Given>> {
    let mut values: HashMap<String, Given> = HashMap::new();
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
            (None, Some(_)) => Given::Unknown("a Key Vault secret, read at deployment time".into()),
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
    Ok(values)
}

/// The resource group the template is deployed to: `--deployment-scope`, else a stand-in.
fn deployment_scope(scope: Option<&str>) -> Result<Scope> {
    Ok(match scope {
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
    })
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
