//! ARM template expressions (`"[concat('a', parameters('b'))]"`): parsed into a small tree and
//! evaluated against a deployment context. What only a deployment knows (`reference()`,
//! `list*()`, `utcNow()`), and every function amlsec does not evaluate, is `Unknown`, never a
//! guess.

mod cidr_and_dates;
mod functions;
mod lambda;
#[cfg(test)]
mod tests;

use serde_json::{Value, json};

use cidr_and_dates::cidr_and_date_functions;
use functions::*;
use lambda::call_lambda;

/// Why an expression has no value here.
#[derive(Debug, Clone, PartialEq)]
pub enum Eval {
    /// Known only at deployment time (or by a function amlsec does not evaluate).
    Unknown(String),
    /// The expression is wrong: a template error.
    Invalid(String),
}

pub type Outcome = Result<Value, Eval>;

impl From<SyntaxError> for Eval {
    fn from(e: SyntaxError) -> Self {
        Eval::Invalid(e.0)
    }
}

/// Deepest nesting of calls, accessors and parentheses accepted in one expression.
const MAX_DEPTH: usize = 64;
/// Longest string or array an expression may build (against `range()` or `concat` blow-ups).
const MAX_LEN: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Call(String, Vec<Expr>),
    Member(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
}

/// What evaluation needs from the template: parameters, variables, copy indexes and the
/// deployment's scope.
pub trait Context {
    fn parameter(&self, name: &str) -> Outcome;
    fn variable(&self, name: &str) -> Outcome;
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, Eval>;
    fn subscription_id(&self) -> &str;
    fn resource_group(&self) -> &str;
    fn location(&self) -> &str;
    /// The id of a resource declared with this symbolic name (languageVersion 2.0).
    fn symbolic(&self, name: &str) -> Option<String>;
    /// An output of a nested deployment the template declares (by id or symbolic name).
    fn deployment_output(&self, deployment: &str, output: &str) -> Option<Outcome>;
    /// What `environment()` returns: fixed by the cloud (`--cloud`).
    fn environment(&self) -> Value;
    /// A variable of the lambda being applied (`lambdaVariables('x')`).
    fn lambda_variable(&self, _name: &str) -> Option<Value> {
        None
    }
    /// Counts work done (values computed) against the template's budget; an error past it.
    fn spend(&self, _work: u64) -> Result<(), Eval> {
        Ok(())
    }
}

/// The values one template's expressions may compute in all (array elements, object members,
/// string kilobytes, calls): enough for any template ARM accepts, bounded for one that is not.
pub const WORK_BUDGET: u64 = 20_000_000;

/// What computing a value cost: one, plus its elements or members, plus its text in KB.
fn work_of(v: &Value) -> u64 {
    1 + match v {
        Value::Array(a) => a.len() as u64,
        Value::Object(o) => o.len() as u64,
        Value::String(s) => s.len() as u64 / 1024,
        _ => 0,
    }
}

/// Why a template expression cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

/// A template string: an expression when it is `[...]` (and not `[[...`), else a literal.
pub fn parse_string(text: &str) -> Result<Expr, SyntaxError> {
    let t = text.trim();
    if t.starts_with("[[") {
        return Ok(Expr::Literal(Value::String(text.replacen("[[", "[", 1))));
    }
    if t.starts_with('[') && t.ends_with(']') && t.len() >= 2 {
        let mut p = Parser {
            s: &t.as_bytes()[1..t.len() - 1],
            at: 0,
        };
        let e = p.expr(0)?;
        p.ws();
        if p.at != p.s.len() {
            return Err(SyntaxError(format!(
                "unexpected `{}` in expression `{t}`",
                String::from_utf8_lossy(&p.s[p.at..])
            )));
        }
        return Ok(e);
    }
    Ok(Expr::Literal(Value::String(text.to_string())))
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError(format!(
                "an expression nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut e = self.primary(depth)?;
        // Each accessor nests the tree one level deeper, like a call: a chain of thousands
        // would overflow the stack when it is evaluated or dropped.
        let mut nested = depth;
        let mut deeper = || {
            nested += 1;
            match nested > MAX_DEPTH {
                true => Err(SyntaxError(format!(
                    "an expression nested deeper than {MAX_DEPTH} levels"
                ))),
                false => Ok(()),
            }
        };
        loop {
            if self.eat(b'.') {
                deeper()?;
                let name = self.ident();
                if name.is_empty() {
                    return Err(SyntaxError("a property name must follow `.`".into()));
                }
                e = Expr::Member(Box::new(e), name);
            } else if self.eat(b'[') {
                deeper()?;
                let index = self.expr(depth + 1)?;
                if !self.eat(b']') {
                    return Err(SyntaxError("`[` without its `]`".into()));
                }
                e = Expr::Index(Box::new(e), Box::new(index));
            } else {
                return Ok(e);
            }
        }
    }

    fn ident(&mut self) -> String {
        self.ws();
        let start = self.at;
        while self.at < self.s.len()
            && (self.s[self.at].is_ascii_alphanumeric() || matches!(self.s[self.at], b'_' | b'$'))
        {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.at]).into_owned()
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        self.ws();
        match self.s.get(self.at) {
            None => Err(SyntaxError("an expression ends too early".into())),
            Some(b'\'') => {
                self.at += 1;
                let mut out = Vec::new();
                loop {
                    match self.s.get(self.at) {
                        None => return Err(SyntaxError("a string without its closing `'`".into())),
                        Some(b'\'') if self.s.get(self.at + 1) == Some(&b'\'') => {
                            out.push(b'\'');
                            self.at += 2;
                        }
                        Some(b'\'') => {
                            self.at += 1;
                            break;
                        }
                        Some(&c) => {
                            out.push(c);
                            self.at += 1;
                        }
                    }
                }
                Ok(Expr::Literal(Value::String(
                    String::from_utf8_lossy(&out).into_owned(),
                )))
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.at;
                self.at += 1;
                while self.at < self.s.len() && self.s[self.at].is_ascii_digit() {
                    self.at += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.at]);
                text.parse::<i64>()
                    .map(|n| Expr::Literal(json!(n)))
                    .map_err(|_| SyntaxError(format!("`{text}` is not a number")))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let mut name = self.ident();
                // User-defined functions are `namespace.name`.
                while self.s.get(self.at) == Some(&b'.')
                    && self.s.get(self.at + 1).is_some_and(u8::is_ascii_alphabetic)
                    && self.peek_call_after_dot()
                {
                    self.at += 1;
                    name = format!("{name}.{}", self.ident());
                }
                if !self.eat(b'(') {
                    return match name.to_ascii_lowercase().as_str() {
                        "true" => Ok(Expr::Literal(Value::Bool(true))),
                        "false" => Ok(Expr::Literal(Value::Bool(false))),
                        "null" => Ok(Expr::Literal(Value::Null)),
                        _ => Err(SyntaxError(format!(
                            "`{name}` must be a function call: `{name}(...)`"
                        ))),
                    };
                }
                let mut args = Vec::new();
                if !self.eat(b')') {
                    loop {
                        args.push(self.expr(depth + 1)?);
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(SyntaxError(format!(
                                "`,` or `)` expected in the arguments of {name}"
                            )));
                        }
                    }
                }
                Ok(Expr::Call(name, args))
            }
            Some(&c) => Err(SyntaxError(format!(
                "unexpected `{}` in an expression",
                c as char
            ))),
        }
    }

    /// Whether `.ident(` follows: a namespaced call rather than a member access.
    fn peek_call_after_dot(&self) -> bool {
        let mut i = self.at + 1;
        while i < self.s.len() && (self.s[i].is_ascii_alphanumeric() || self.s[i] == b'_') {
            i += 1;
        }
        self.s.get(i) == Some(&b'(')
    }
}

fn invalid<T>(m: impl Into<String>) -> Result<T, Eval> {
    Err(Eval::Invalid(m.into()))
}

fn unknown<T>(m: impl Into<String>) -> Result<T, Eval> {
    Err(Eval::Unknown(m.into()))
}

/// Evaluates an expression tree.
pub fn eval(e: &Expr, cx: &dyn Context) -> Outcome {
    match e {
        Expr::Literal(v) => Ok(v.clone()),
        Expr::Member(inner, name) => {
            if let Some(output) = deployment_output(e, cx) {
                return output;
            }
            let v = eval(inner, cx)?;
            match v {
                Value::Object(map) => map
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .map_or_else(|| invalid(format!("no property `{name}`")), Ok),
                _ => invalid(format!("`.{name}` on a value that is not an object")),
            }
        }
        Expr::Index(inner, index) => {
            let (v, i) = (eval(inner, cx)?, eval(index, cx)?);
            match (&v, &i) {
                (Value::Array(a), Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| a.get(n as usize))
                    .cloned()
                    .map_or_else(|| invalid(format!("index {n} is out of range")), Ok),
                (Value::Object(_), Value::String(k)) => eval(
                    &Expr::Member(Box::new(Expr::Literal(v.clone())), k.clone()),
                    cx,
                ),
                _ => invalid("an index that does not fit the value"),
            }
        }
        Expr::Call(name, args) => call(name, args, cx),
    }
}

/// `reference(<nested deployment>).outputs.<name>.value`: what a module returns (Bicep's
/// `module.outputs.x`) is known when its value is, unlike the rest of `reference()`.
fn deployment_output(e: &Expr, cx: &dyn Context) -> Option<Outcome> {
    let Expr::Member(outputs_name, value) = e else {
        return None;
    };
    let Expr::Member(outputs, name) = outputs_name.as_ref() else {
        return None;
    };
    let Expr::Member(call, key) = outputs.as_ref() else {
        return None;
    };
    let Expr::Call(f, args) = call.as_ref() else {
        return None;
    };
    if !(value.eq_ignore_ascii_case("value")
        && key.eq_ignore_ascii_case("outputs")
        && f.eq_ignore_ascii_case("reference"))
    {
        return None;
    }
    let Ok(Value::String(target)) = eval(args.first()?, cx) else {
        return None;
    };
    cx.deployment_output(&target, name)
}

fn string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn as_str<'v>(v: &'v Value, f: &str) -> Result<&'v str, Eval> {
    v.as_str()
        .map_or_else(|| invalid(format!("{f}() expects a string, got {v}")), Ok)
}

fn as_int(v: &Value, f: &str) -> Result<i64, Eval> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| invalid(format!("{f}() expects an integer, got {n}")), Ok),
        Value::String(s) => s.trim().parse().map_or_else(
            |_| invalid(format!("{f}() expects an integer, got '{s}'")),
            Ok,
        ),
        other => invalid(format!("{f}() expects an integer, got {other}")),
    }
}

fn truthy(v: &Value, f: &str) -> Result<bool, Eval> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => invalid(format!("{f}() expects a boolean, got {other}")),
    }
}

fn bounded(v: Value) -> Outcome {
    let len = match &v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if len > MAX_LEN {
        return invalid(format!("a value longer than {MAX_LEN}"));
    }
    Ok(v)
}

/// Equality as ARM compares: strings case-insensitively, everything else exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

/// `Type/names...`: the resource id segments of a type and its names.
fn resource_path(kind: &str, names: &[String]) -> Result<String, Eval> {
    // ARM accepts `Microsoft.Storage/storageAccounts/` (the quickstarts have it).
    let mut types = kind.trim_matches('/').split('/');
    let namespace = types.next().unwrap_or_default();
    let types: Vec<&str> = types.collect();
    if types.len() != names.len() {
        return invalid(format!(
            "resourceId: type {kind} takes {} names, got {}",
            types.len(),
            names.len()
        ));
    }
    let mut out = format!("providers/{namespace}");
    for (t, n) in types.iter().zip(names) {
        out.push_str(&format!("/{t}/{n}"));
    }
    Ok(out)
}

/// A function call, its result charged to the template's work budget.
fn call(name: &str, args: &[Expr], cx: &dyn Context) -> Outcome {
    let v = call_unmetered(name, args, cx)?;
    cx.spend(work_of(&v))?;
    Ok(v)
}

fn call_unmetered(name: &str, args: &[Expr], cx: &dyn Context) -> Outcome {
    let lower = name.to_ascii_lowercase();
    // `if` evaluates only the branch it takes.
    if lower == "if" {
        if args.len() != 3 {
            return invalid("if() takes 3 arguments");
        }
        let c = truthy(&eval(&args[0], cx)?, "if")?;
        return eval(&args[if c { 1 } else { 2 }], cx);
    }
    if let Some(outcome) = call_lambda(&lower, name, args, cx) {
        return outcome;
    }
    if lower == "lambdavariables" {
        let [Expr::Literal(Value::String(n))] = args else {
            return invalid("lambdaVariables() takes a variable's name");
        };
        return cx.lambda_variable(n).map_or_else(
            || invalid(format!("lambdaVariables('{n}') outside its lambda")),
            Ok,
        );
    }
    let v: Vec<Value> = args.iter().map(|a| eval(a, cx)).collect::<Result<_, _>>()?;
    if let Some((_, f)) = FUNCTIONS
        .iter()
        .find(|(names, _)| names.contains(&lower.as_str()))
    {
        let a = Args { name, lower, v, cx };
        return f(&a);
    }
    // Resource ids, and what only the deployment knows.
    let strings = || v.iter().map(string).collect::<Vec<_>>();
    match lower.as_str() {
        "resourceid" | "subscriptionresourceid" | "tenantresourceid" => {
            let s = strings();
            // The type is the first argument that holds a `/` (optional sub and group precede).
            let Some(at) = s.iter().position(|x| x.contains('/')) else {
                return invalid(format!("{name}() without a resource type"));
            };
            let path = resource_path(&s[at], &s[at + 1..])?;
            let prefix = match (lower.as_str(), &s[..at]) {
                ("tenantresourceid", _) => String::new(),
                ("subscriptionresourceid", []) => {
                    format!("/subscriptions/{}", cx.subscription_id())
                }
                ("subscriptionresourceid", [sub]) => format!("/subscriptions/{sub}"),
                ("resourceid", []) => format!(
                    "/subscriptions/{}/resourceGroups/{}",
                    cx.subscription_id(),
                    cx.resource_group()
                ),
                ("resourceid", [rg]) => {
                    format!(
                        "/subscriptions/{}/resourceGroups/{rg}",
                        cx.subscription_id()
                    )
                }
                ("resourceid", [sub, rg]) => format!("/subscriptions/{sub}/resourceGroups/{rg}"),
                _ => return invalid(format!("{name}(): too many arguments before the type")),
            };
            Ok(Value::String(format!("{prefix}/{path}")))
        }
        "extensionresourceid" => {
            let s = strings();
            if s.len() < 3 {
                return invalid("extensionResourceId(scope, type, name...)");
            }
            Ok(Value::String(format!(
                "{}/{}",
                s[0].trim_end_matches('/'),
                resource_path(&s[1], &s[2..])?
            )))
        }
        "managementgroupresourceid" => {
            let s = strings();
            // Without a management group named, it is the deployment's: not known here.
            match s.first() {
                Some(mg) if !mg.contains('/') && s.len() >= 3 => Ok(Value::String(format!(
                    "/providers/Microsoft.Management/managementGroups/{mg}/{}",
                    resource_path(&s[1], &s[2..])?
                ))),
                Some(_) => unknown(format!(
                    "{name}() of the deployment's management group is known only at deployment time"
                )),
                None => invalid(format!("{name}() without a resource type")),
            }
        }
        "reference" | "references" | "listkeys" | "listsecrets" | "listaccountsas"
        | "listservicesas" | "utcnow" | "newguid" | "pickzones" | "managementgroup"
        | "deployer" | "providers" => unknown(format!("{name}() is known only at deployment time")),
        f if f.starts_with("list") => unknown(format!("{name}() is known only at deployment time")),
        _ => match cx.symbolic(name) {
            Some(_) => invalid(format!("{name} is a resource, not a function")),
            None => unknown(format!("{name}() is not evaluated by amlsec")),
        },
    }
}

/// A call's evaluated arguments, and what its function needs to say about them.
struct Args<'a> {
    name: &'a str,
    lower: String,
    v: Vec<Value>,
    cx: &'a dyn Context,
}

impl Args<'_> {
    fn arity(&self, n: std::ops::RangeInclusive<usize>) -> Result<(), Eval> {
        if n.contains(&self.v.len()) {
            Ok(())
        } else {
            invalid(format!(
                "{}() does not take {} arguments",
                self.name,
                self.v.len()
            ))
        }
    }

    /// Every argument is taken through here: a call with too few is an error, never a panic.
    fn arg(&self, i: usize) -> Result<&Value, Eval> {
        self.v.get(i).map_or_else(
            || {
                invalid(format!(
                    "{}() needs at least {} argument(s)",
                    self.name,
                    i + 1
                ))
            },
            Ok,
        )
    }

    fn strings(&self) -> Vec<String> {
        self.v.iter().map(string).collect()
    }
}

/// A category's functions: their names (lower case) and what evaluates them.
type Category = (&'static [&'static str], fn(&Args<'_>) -> Outcome);

/// The functions amlsec evaluates, by ARM's categories (resource ids and what only the
/// deployment knows are in `call_unmetered`).
const FUNCTIONS: &[Category] = &[
    (
        &[
            "parameters",
            "variables",
            "copyindex",
            "tenant",
            "resourcegroup",
            "subscription",
            "deployment",
            "environment",
        ],
        deployment_functions,
    ),
    (
        &[
            "concat", "format", "tolower", "toupper", "trim", "string", "json", "join",
        ],
        string_functions,
    ),
    (
        &[
            "startswith",
            "endswith",
            "indexof",
            "lastindexof",
            "replace",
            "split",
            "substring",
            "padleft",
        ],
        substring_functions,
    ),
    (
        &[
            "base64",
            "base64tostring",
            "base64tojson",
            "datauri",
            "datauritostring",
            "uri",
            "uricomponent",
            "uricomponenttostring",
            "uniquestring",
            "guid",
        ],
        encoding_functions,
    ),
    (
        &[
            "bool",
            "equals",
            "not",
            "and",
            "or",
            "greater",
            "greaterorequals",
            "less",
            "lessorequals",
            "null",
            "true",
            "false",
            "coalesce",
        ],
        logical_functions,
    ),
    (
        &[
            "int", "add", "sub", "mul", "div", "mod", "min", "max", "float", "range",
        ],
        numeric_functions,
    ),
    (
        &["empty", "length", "contains", "intersection", "union"],
        collection_functions,
    ),
    (&["take", "skip", "first", "last"], array_functions),
    (
        &[
            "tryget",
            "shallowmerge",
            "array",
            "indexfromend",
            "tryindexfromend",
            "items",
            "objectkeys",
            "createarray",
            "createobject",
        ],
        object_functions,
    ),
    (
        &[
            "parsecidr",
            "cidrsubnet",
            "cidrhost",
            "datetimefromepoch",
            "datetimetoepoch",
            "datetimeadd",
        ],
        cidr_and_date_functions,
    ),
];
