//! ARM template expressions (`"[concat('a', parameters('b'))]"`): parsed into a small tree and
//! evaluated against a deployment context. What only a deployment knows (`reference()`,
//! `list*()`, `utcNow()`), and every function amlsec does not evaluate, is `Unknown`, never a
//! guess.

use serde_json::{Map, Value, json};

/// Why an expression has no value here.
#[derive(Debug, Clone, PartialEq)]
pub enum Eval {
    /// Known only at deployment time (or by a function amlsec does not evaluate).
    Unknown(String),
    /// The expression is wrong: a template error.
    Invalid(String),
}

pub type Outcome = Result<Value, Eval>;

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

/// A context with a lambda's variables bound over the one it is applied in.
struct Bound<'c> {
    outer: &'c dyn Context,
    names: Vec<(String, Value)>,
}

impl Context for Bound<'_> {
    fn parameter(&self, name: &str) -> Outcome {
        self.outer.parameter(name)
    }
    fn variable(&self, name: &str) -> Outcome {
        self.outer.variable(name)
    }
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, Eval> {
        self.outer.copy_index(loop_name)
    }
    fn subscription_id(&self) -> &str {
        self.outer.subscription_id()
    }
    fn resource_group(&self) -> &str {
        self.outer.resource_group()
    }
    fn location(&self) -> &str {
        self.outer.location()
    }
    fn symbolic(&self, name: &str) -> Option<String> {
        self.outer.symbolic(name)
    }
    fn deployment_output(&self, deployment: &str, output: &str) -> Option<Outcome> {
        self.outer.deployment_output(deployment, output)
    }
    fn environment(&self) -> Value {
        self.outer.environment()
    }
    fn spend(&self, work: u64) -> Result<(), Eval> {
        self.outer.spend(work)
    }
    fn lambda_variable(&self, name: &str) -> Option<Value> {
        self.names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .or_else(|| self.outer.lambda_variable(name))
    }
}

/// A `lambda('a', 'b', body)` argument: its variable names (at most `most`) and its body.
fn lambda<'e>(
    e: &'e Expr,
    fewest: usize,
    most: usize,
    of: &str,
) -> Result<(Vec<&'e str>, &'e Expr), Eval> {
    let shape = || {
        invalid(format!(
            "{of}() takes a lambda of {fewest} to {most} variables"
        ))
    };
    let Expr::Call(n, args) = e else {
        return shape();
    };
    let Some((body, names)) = args.split_last() else {
        return shape();
    };
    if !n.eq_ignore_ascii_case("lambda") || names.len() < fewest || names.len() > most {
        return shape();
    }
    let names = names
        .iter()
        .map(|a| match a {
            Expr::Literal(Value::String(s)) => Ok(s.as_str()),
            _ => invalid(format!("{of}(): a lambda's variables are names")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((names, body))
}

/// The lambda's body with its variables bound to `values` (as many as it names).
fn apply(lambda: &(Vec<&str>, &Expr), values: &[Value], cx: &dyn Context) -> Outcome {
    let bound = Bound {
        outer: cx,
        names: lambda
            .0
            .iter()
            .zip(values)
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
    };
    eval(lambda.1, &bound)
}

/// The lambda functions (map, filter, reduce, sort, toObject, mapValues, groupBy): their
/// lambda is applied, not evaluated; `None` for any other function.
fn call_lambda(lower: &str, name: &str, args: &[Expr], cx: &dyn Context) -> Option<Outcome> {
    let items = |v: Value| -> Result<Vec<Value>, Eval> {
        match v {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            other => invalid(format!("{name}() of {other}, not an array")),
        }
    };
    let index = |i: usize| Value::from(i);
    let run = || -> Outcome {
        match (lower, args) {
            ("map", [array, f]) => {
                let f = lambda(f, 1, 2, name)?;
                let out = items(eval(array, cx)?)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| apply(&f, &[x, index(i)], cx))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Array(out))
            }
            ("filter", [array, f]) => {
                let f = lambda(f, 1, 2, name)?;
                let mut out = Vec::new();
                for (i, x) in items(eval(array, cx)?)?.into_iter().enumerate() {
                    if truthy(&apply(&f, &[x.clone(), index(i)], cx)?, name)? {
                        out.push(x);
                    }
                }
                Ok(Value::Array(out))
            }
            ("reduce", [array, initial, f]) => {
                let f = lambda(f, 2, 3, name)?;
                let mut acc = eval(initial, cx)?;
                for (i, x) in items(eval(array, cx)?)?.into_iter().enumerate() {
                    acc = apply(&f, &[acc, x, index(i)], cx)?;
                }
                Ok(acc)
            }
            ("sort", [array, f]) => {
                let f = lambda(f, 2, 2, name)?;
                // Insertion sort: the comparison may fail, and arrays here are small.
                let mut out: Vec<Value> = Vec::new();
                for x in items(eval(array, cx)?)? {
                    let mut at = out.len();
                    for (i, y) in out.iter().enumerate() {
                        if truthy(&apply(&f, &[x.clone(), y.clone()], cx)?, name)? {
                            at = i;
                            break;
                        }
                    }
                    out.insert(at, x);
                }
                Ok(Value::Array(out))
            }
            ("toobject", [array, key, rest @ ..]) if rest.len() <= 1 => {
                let key = lambda(key, 1, 1, name)?;
                let value = rest.first().map(|v| lambda(v, 1, 1, name)).transpose()?;
                let mut out = Map::new();
                for x in items(eval(array, cx)?)? {
                    let k = string(&apply(&key, std::slice::from_ref(&x), cx)?);
                    let v = match &value {
                        Some(f) => apply(f, &[x], cx)?,
                        None => x,
                    };
                    out.insert(k, v);
                }
                Ok(Value::Object(out))
            }
            ("mapvalues", [object, f]) => {
                let f = lambda(f, 1, 1, name)?;
                let Value::Object(o) = eval(object, cx)? else {
                    return invalid(format!("{name}() takes an object"));
                };
                let mut out = Map::new();
                for (k, v) in o {
                    out.insert(k, apply(&f, &[v], cx)?);
                }
                Ok(Value::Object(out))
            }
            ("groupby", [array, f]) => {
                let f = lambda(f, 1, 1, name)?;
                let mut out = Map::new();
                for x in items(eval(array, cx)?)? {
                    let k = string(&apply(&f, std::slice::from_ref(&x), cx)?);
                    if let Value::Array(group) =
                        out.entry(k).or_insert_with(|| Value::Array(Vec::new()))
                    {
                        group.push(x);
                    }
                }
                Ok(Value::Object(out))
            }
            (_, _) => invalid(format!("{name}() does not take {} arguments", args.len())),
        }
    };
    matches!(
        lower,
        "map" | "filter" | "reduce" | "sort" | "toobject" | "mapvalues" | "groupby"
    )
    .then(run)
}

/// A template string: an expression when it is `[...]` (and not `[[...`), else a literal.
pub fn parse_string(text: &str) -> Result<Expr, String> {
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
            return Err(format!(
                "unexpected `{}` in expression `{t}`",
                String::from_utf8_lossy(&p.s[p.at..])
            ));
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

    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "an expression nested deeper than {MAX_DEPTH} levels"
            ));
        }
        let mut e = self.primary(depth)?;
        // Each accessor nests the tree one level deeper, like a call: a chain of thousands
        // would overflow the stack when it is evaluated or dropped.
        let mut nested = depth;
        let mut deeper = || {
            nested += 1;
            match nested > MAX_DEPTH {
                true => Err(format!(
                    "an expression nested deeper than {MAX_DEPTH} levels"
                )),
                false => Ok(()),
            }
        };
        loop {
            if self.eat(b'.') {
                deeper()?;
                let name = self.ident();
                if name.is_empty() {
                    return Err("a property name must follow `.`".into());
                }
                e = Expr::Member(Box::new(e), name);
            } else if self.eat(b'[') {
                deeper()?;
                let index = self.expr(depth + 1)?;
                if !self.eat(b']') {
                    return Err("`[` without its `]`".into());
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

    fn primary(&mut self, depth: usize) -> Result<Expr, String> {
        self.ws();
        match self.s.get(self.at) {
            None => Err("an expression ends too early".into()),
            Some(b'\'') => {
                self.at += 1;
                let mut out = Vec::new();
                loop {
                    match self.s.get(self.at) {
                        None => return Err("a string without its closing `'`".into()),
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
                    .map_err(|_| format!("`{text}` is not a number"))
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
                        _ => Err(format!("`{name}` must be a function call: `{name}(...)`")),
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
                            return Err(format!("`,` or `)` expected in the arguments of {name}"));
                        }
                    }
                }
                Ok(Expr::Call(name, args))
            }
            Some(&c) => Err(format!("unexpected `{}` in an expression", c as char)),
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

/// A 64-bit FNV-1a hash: what `uniqueString` and `guid` are built from here. Deterministic,
/// so ids link up inside a template; not the value Azure would compute.
fn hash(parts: &[String], salt: u8) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(salt);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h = (h ^ u64::from(b'-')).wrapping_mul(0x100_0000_01b3);
        }
        for b in p.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

fn unique_string(parts: &[String]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut h = hash(parts, 0);
    (0..13)
        .map(|_| {
            let c = ALPHABET[(h & 31) as usize] as char;
            h >>= 5;
            c
        })
        .collect()
}

fn guid(parts: &[String]) -> String {
    let (a, b) = (hash(parts, 1), hash(parts, 2));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Standard base64 with padding (RFC 4648), as ARM's `base64()` returns.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn from_base64(text: &str, of: &str) -> Result<String, Eval> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| Eval::Invalid(format!("{of}(): not base64 ({e})")))?;
    String::from_utf8(bytes).map_err(|_| Eval::Invalid(format!("{of}(): not UTF-8 text")))
}

/// `encodeURIComponent`: every byte but the unreserved ones percent-encoded.
fn uri_component(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn from_uri_component(text: &str) -> Result<String, Eval> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Eval::Invalid("uriComponentToString(): a bad % escape".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Eval::Invalid("uriComponentToString(): not UTF-8".into()))
}

/// `uri(base, relative)`: the relative reference resolved against the base, as ARM does
/// (a base ending in `/` is a folder; otherwise its last segment is replaced).
fn uri(base: &str, relative: &str) -> Result<String, Eval> {
    let Some((scheme, rest)) = base.split_once("://") else {
        return invalid(format!("uri(): `{base}` is not an absolute URI"));
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..host_end];
    if relative.contains("://") {
        return Ok(relative.to_string());
    }
    if let Some(absolute) = relative.strip_prefix('/') {
        return Ok(format!("{scheme}://{authority}/{absolute}"));
    }
    let path = &rest[host_end..];
    let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let folder = if folder.is_empty() { "/" } else { folder };
    Ok(format!("{scheme}://{authority}{folder}{relative}"))
}

/// A CIDR block: its network address and prefix length.
fn cidr(text: &str, of: &str) -> Result<(std::net::IpAddr, u32), Eval> {
    let bad = || Eval::Invalid(format!("{of}(): `{text}` is not a CIDR block"));
    let (ip, bits) = text.trim().split_once('/').ok_or_else(bad)?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
    let bits: u32 = bits.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(bad());
    }
    Ok((ip, bits))
}

fn ip_bits(ip: std::net::IpAddr) -> (u128, u32) {
    match ip {
        std::net::IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        std::net::IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn ip_of(n: u128, width: u32) -> String {
    match width {
        32 => std::net::Ipv4Addr::from(n as u32).to_string(),
        _ => std::net::Ipv6Addr::from(n).to_string(),
    }
}

fn mask(bits: u32, width: u32) -> u128 {
    let all = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    match bits {
        0 => 0,
        b => all & !((1u128 << (width - b)).wrapping_sub(1) & all) & all,
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
    let arity = |n: std::ops::RangeInclusive<usize>| -> Result<(), Eval> {
        if n.contains(&v.len()) {
            Ok(())
        } else {
            invalid(format!("{name}() does not take {} arguments", v.len()))
        }
    };
    let strings = || v.iter().map(string).collect::<Vec<_>>();
    // Every argument is taken through here: a call with too few is an error, never a panic.
    let arg = |i: usize| -> Result<&Value, Eval> {
        v.get(i).map_or_else(
            || invalid(format!("{name}() needs at least {} argument(s)", i + 1)),
            Ok,
        )
    };
    match lower.as_str() {
        "parameters" => {
            arity(1..=1)?;
            cx.parameter(as_str(arg(0)?, name)?)
        }
        "variables" => {
            arity(1..=1)?;
            cx.variable(as_str(arg(0)?, name)?)
        }
        "copyindex" => {
            arity(0..=2)?;
            let (loop_name, offset) = match v.as_slice() {
                [] => (None, 0),
                [Value::String(s)] => (Some(s.as_str()), 0),
                [o] => (None, as_int(o, name)?),
                [Value::String(s), o] => (Some(s.as_str()), as_int(o, name)?),
                _ => return invalid("copyIndex(loopName, offset)"),
            };
            Ok(json!(cx.copy_index(loop_name)? + offset))
        }
        "concat" => {
            if v.iter().all(Value::is_array) && !v.is_empty() {
                bounded(Value::Array(
                    v.iter()
                        .flat_map(|a| a.as_array().cloned().unwrap_or_default())
                        .collect(),
                ))
            } else {
                bounded(Value::String(strings().concat()))
            }
        }
        "format" => {
            arity(1..=64)?;
            let pattern = as_str(arg(0)?, name)?;
            let mut out = pattern.to_string();
            for (i, a) in v[1..].iter().enumerate() {
                out = out.replace(&format!("{{{i}}}"), &string(a));
            }
            bounded(Value::String(out))
        }
        "tolower" => Ok(Value::String(as_str(arg(0)?, name)?.to_lowercase())),
        "toupper" => Ok(Value::String(as_str(arg(0)?, name)?.to_uppercase())),
        "trim" => Ok(Value::String(as_str(arg(0)?, name)?.trim().to_string())),
        "string" => {
            arity(1..=1)?;
            Ok(Value::String(string(arg(0)?)))
        }
        "int" => {
            arity(1..=1)?;
            Ok(json!(as_int(arg(0)?, name)?))
        }
        "bool" => {
            arity(1..=1)?;
            Ok(Value::Bool(truthy(arg(0)?, name)?))
        }
        "json" => {
            arity(1..=1)?;
            serde_json::from_str(as_str(arg(0)?, name)?)
                .map_or_else(|e| invalid(format!("json(): {e}")), Ok)
        }
        "equals" => {
            arity(2..=2)?;
            Ok(Value::Bool(same(arg(0)?, arg(1)?)))
        }
        "not" => {
            arity(1..=1)?;
            Ok(Value::Bool(!truthy(arg(0)?, name)?))
        }
        "and" | "or" => {
            arity(2..=64)?;
            let bools = v
                .iter()
                .map(|b| truthy(b, name))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Bool(if lower == "and" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "greater" | "greaterorequals" | "less" | "lessorequals" => {
            arity(2..=2)?;
            let ordering = match (arg(0)?, arg(1)?) {
                (Value::String(a), Value::String(b)) => a.cmp(b),
                (a, b) => as_int(a, name)?.cmp(&as_int(b, name)?),
            };
            use std::cmp::Ordering::*;
            Ok(Value::Bool(match lower.as_str() {
                "greater" => ordering == Greater,
                "greaterorequals" => ordering != Less,
                "less" => ordering == Less,
                _ => ordering != Greater,
            }))
        }
        "add" | "sub" | "mul" | "div" | "mod" => {
            arity(2..=2)?;
            let (a, b) = (as_int(arg(0)?, name)?, as_int(arg(1)?, name)?);
            let r = match lower.as_str() {
                "add" => a.checked_add(b),
                "sub" => a.checked_sub(b),
                "mul" => a.checked_mul(b),
                "div" => a.checked_div(b),
                _ => a.checked_rem(b),
            };
            r.map_or_else(
                || invalid(format!("{name}({a}, {b}) has no value")),
                |r| Ok(json!(r)),
            )
        }
        "min" | "max" => {
            let items: Vec<Value> = match v.as_slice() {
                [Value::Array(a)] => a.clone(),
                _ => v.clone(),
            };
            let ints = items
                .iter()
                .map(|x| as_int(x, name))
                .collect::<Result<Vec<_>, _>>()?;
            let r = if lower == "min" {
                ints.iter().min()
            } else {
                ints.iter().max()
            };
            r.map_or_else(|| invalid(format!("{name}() of nothing")), |r| Ok(json!(r)))
        }
        "empty" => {
            arity(1..=1)?;
            Ok(Value::Bool(match arg(0)? {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            }))
        }
        "length" => {
            arity(1..=1)?;
            Ok(json!(match arg(0)? {
                Value::String(s) => s.chars().count(),
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                other => return invalid(format!("length() of {other}")),
            }))
        }
        "contains" => {
            arity(2..=2)?;
            Ok(Value::Bool(match (arg(0)?, arg(1)?) {
                (Value::String(s), x) => s.to_lowercase().contains(&string(x).to_lowercase()),
                (Value::Array(a), x) => a.iter().any(|e| same(e, x)),
                (Value::Object(o), Value::String(k)) => {
                    o.keys().any(|key| key.eq_ignore_ascii_case(k))
                }
                _ => return invalid("contains() of a value that holds nothing"),
            }))
        }
        "startswith" | "endswith" => {
            arity(2..=2)?;
            let (s, x) = (
                as_str(arg(0)?, name)?.to_lowercase(),
                as_str(arg(1)?, name)?.to_lowercase(),
            );
            Ok(Value::Bool(if lower == "startswith" {
                s.starts_with(&x)
            } else {
                s.ends_with(&x)
            }))
        }
        "indexof" | "lastindexof" => {
            arity(2..=2)?;
            let (s, x) = (
                as_str(arg(0)?, name)?.to_lowercase(),
                as_str(arg(1)?, name)?.to_lowercase(),
            );
            let at = if lower == "indexof" {
                s.find(&x)
            } else {
                s.rfind(&x)
            };
            Ok(json!(at.map_or(-1, |i| i as i64)))
        }
        "replace" => {
            arity(3..=3)?;
            let (s, from, to) = (
                as_str(arg(0)?, name)?,
                as_str(arg(1)?, name)?,
                as_str(arg(2)?, name)?,
            );
            // Measured before it is built: a short template can ask for gigabytes here.
            let grows = to.len().saturating_sub(from.len());
            let hits = if from.is_empty() {
                s.len() + 1
            } else {
                s.matches(from).count()
            };
            if s.len().saturating_add(hits.saturating_mul(grows)) > MAX_LEN {
                return invalid(format!(
                    "replace() would build a string longer than {MAX_LEN}"
                ));
            }
            Ok(Value::String(s.replace(from, to)))
        }
        "split" => {
            arity(2..=2)?;
            let s = as_str(arg(0)?, name)?;
            let seps: Vec<String> = match arg(1)? {
                Value::Array(a) => a.iter().map(string).collect(),
                x => vec![string(x)],
            };
            let mut parts = vec![s.to_string()];
            for sep in seps.iter().filter(|s| !s.is_empty()) {
                parts = parts
                    .iter()
                    .flat_map(|p| {
                        p.split(sep.as_str())
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    })
                    .collect();
            }
            Ok(json!(parts))
        }
        "substring" => {
            arity(1..=3)?;
            let chars: Vec<char> = as_str(arg(0)?, name)?.chars().collect();
            let start = v.get(1).map(|x| as_int(x, name)).transpose()?.unwrap_or(0);
            let len = v
                .get(2)
                .map(|x| as_int(x, name))
                .transpose()?
                .unwrap_or(chars.len() as i64 - start);
            if start < 0 || len < 0 || (start + len) as usize > chars.len() {
                return invalid("substring() out of range");
            }
            Ok(Value::String(
                chars[start as usize..(start + len) as usize]
                    .iter()
                    .collect(),
            ))
        }
        "take" | "skip" => {
            arity(2..=2)?;
            let n = as_int(arg(1)?, name)?.max(0) as usize;
            Ok(match arg(0)? {
                Value::String(s) => Value::String(if lower == "take" {
                    s.chars().take(n).collect()
                } else {
                    s.chars().skip(n).collect()
                }),
                Value::Array(a) => Value::Array(if lower == "take" {
                    a.iter().take(n).cloned().collect()
                } else {
                    a.iter().skip(n).cloned().collect()
                }),
                other => return invalid(format!("{name}() of {other}")),
            })
        }
        "first" | "last" => {
            arity(1..=1)?;
            Ok(match arg(0)? {
                Value::String(s) => {
                    let c = if lower == "first" {
                        s.chars().next()
                    } else {
                        s.chars().last()
                    };
                    Value::String(c.map(String::from).unwrap_or_default())
                }
                Value::Array(a) => {
                    let x = if lower == "first" {
                        a.first()
                    } else {
                        a.last()
                    };
                    x.cloned().unwrap_or(Value::Null)
                }
                other => return invalid(format!("{name}() of {other}")),
            })
        }
        "padleft" => {
            arity(2..=3)?;
            let s = string(arg(0)?);
            let width = as_int(arg(1)?, name)?.clamp(0, 1 << 16) as usize;
            let pad = v
                .get(2)
                .map(string)
                .and_then(|p| p.chars().next())
                .unwrap_or(' ');
            let n = width.saturating_sub(s.chars().count());
            Ok(Value::String(
                std::iter::repeat_n(pad, n).chain(s.chars()).collect(),
            ))
        }
        "base64" => {
            arity(1..=1)?;
            Ok(Value::String(base64(as_str(arg(0)?, name)?.as_bytes())))
        }
        // tryGet(value, key or index, ...): what the path reaches, or null where it does not.
        "tryget" => {
            let mut at = arg(0)?;
            for step in &v[1..] {
                let next = match (at, step) {
                    (Value::Object(_), Value::String(k)) => crate::documents::member(at, k),
                    (Value::Array(items), Value::Number(n)) => {
                        n.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?))
                    }
                    _ => None,
                };
                match next {
                    Some(n) => at = n,
                    None => return Ok(Value::Null),
                }
            }
            Ok(at.clone())
        }
        // shallowMerge([objects]): their top-level members, a later one's winning.
        "shallowmerge" => {
            arity(1..=1)?;
            let Value::Array(items) = arg(0)? else {
                return invalid("shallowMerge() takes an array of objects");
            };
            let mut out = Map::new();
            for item in items {
                match item {
                    Value::Object(o) => out.extend(o.clone()),
                    Value::Null => {}
                    other => return invalid(format!("shallowMerge() of {other}, not an object")),
                }
            }
            Ok(Value::Object(out))
        }
        "array" => {
            arity(1..=1)?;
            Ok(match arg(0)? {
                Value::Array(a) => Value::Array(a.clone()),
                other => Value::Array(vec![other.clone()]),
            })
        }
        // indexFromEnd(array, n): the n-th element from the end (1 is the last).
        "indexfromend" | "tryindexfromend" => {
            arity(2..=2)?;
            let Value::Array(items) = arg(0)? else {
                return invalid(format!("{name}() takes an array"));
            };
            let n = as_int(arg(1)?, name)?;
            let at = usize::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .and_then(|n| items.len().checked_sub(n));
            match (at.and_then(|i| items.get(i)), lower.as_str()) {
                (Some(v), _) => Ok(v.clone()),
                (None, "tryindexfromend") => Ok(Value::Null),
                (None, _) => invalid(format!("{name}(): index {n} is outside the array")),
            }
        }
        "intersection" => {
            if v.len() < 2 {
                return invalid("intersection() takes two or more arrays or objects");
            }
            match &v[0] {
                Value::Array(first) => {
                    let sets: Vec<std::collections::HashSet<String>> = v[1..]
                        .iter()
                        .map(|o| {
                            o.as_array()
                                .into_iter()
                                .flatten()
                                .map(Value::to_string)
                                .collect()
                        })
                        .collect();
                    let mut seen = std::collections::HashSet::new();
                    let mut out: Vec<Value> = Vec::new();
                    for x in first {
                        let key = x.to_string();
                        if sets.iter().all(|s| s.contains(&key)) && seen.insert(key) {
                            out.push(x.clone());
                        }
                    }
                    Ok(Value::Array(out))
                }
                Value::Object(first) => {
                    let mut out = Map::new();
                    for (k, x) in first {
                        if v[1..].iter().all(|o| o.get(k) == Some(x)) {
                            out.insert(k.clone(), x.clone());
                        }
                    }
                    Ok(Value::Object(out))
                }
                other => invalid(format!("intersection() of {other}")),
            }
        }
        "float" => {
            arity(1..=1)?;
            let f = match arg(0)? {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            f.and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .map_or_else(
                    || {
                        invalid(format!(
                            "float() of {}",
                            arg(0).map(string).unwrap_or_default()
                        ))
                    },
                    Ok,
                )
        }
        "items" | "objectkeys" => {
            arity(1..=1)?;
            let Value::Object(o) = arg(0)? else {
                return invalid(format!("{name}() takes an object"));
            };
            Ok(Value::Array(
                o.iter()
                    .map(|(k, x)| match lower.as_str() {
                        "items" => json!({"key": k, "value": x}),
                        _ => json!(k),
                    })
                    .collect(),
            ))
        }
        "join" => {
            arity(2..=2)?;
            let Value::Array(items) = arg(0)? else {
                return invalid("join() takes an array of strings");
            };
            let parts: Vec<String> = items.iter().map(string).collect();
            Ok(Value::String(parts.join(as_str(arg(1)?, name)?)))
        }
        "base64tostring" => {
            arity(1..=1)?;
            Ok(Value::String(from_base64(as_str(arg(0)?, name)?, name)?))
        }
        "base64tojson" => {
            arity(1..=1)?;
            let text = from_base64(as_str(arg(0)?, name)?, name)?;
            serde_json::from_str(&text).map_err(|e| Eval::Invalid(format!("{name}(): {e}")))
        }
        "datauri" => {
            arity(1..=1)?;
            Ok(Value::String(format!(
                "data:text/plain;charset=utf8;base64,{}",
                base64(string(arg(0)?).as_bytes())
            )))
        }
        "datauritostring" => {
            arity(1..=1)?;
            let text = as_str(arg(0)?, name)?;
            let Some((_, data)) = text.split_once(";base64,") else {
                return invalid(format!("{name}(): not a base64 data URI"));
            };
            Ok(Value::String(from_base64(data, name)?))
        }
        "uri" => {
            arity(2..=2)?;
            Ok(Value::String(uri(
                as_str(arg(0)?, name)?,
                as_str(arg(1)?, name)?,
            )?))
        }
        "uricomponent" => {
            arity(1..=1)?;
            Ok(Value::String(uri_component(&string(arg(0)?))))
        }
        "uricomponenttostring" => {
            arity(1..=1)?;
            Ok(Value::String(from_uri_component(as_str(arg(0)?, name)?)?))
        }
        "parsecidr" => {
            arity(1..=1)?;
            let (ip, bits) = cidr(as_str(arg(0)?, name)?, name)?;
            let (n, width) = ip_bits(ip);
            let m = mask(bits, width);
            let network = n & m;
            let last = network
                | (!m
                    & if width == 32 {
                        u128::from(u32::MAX)
                    } else {
                        u128::MAX
                    });
            let mut out = json!({
                "network": ip_of(network, width),
                "netmask": ip_of(m, width),
                "firstUsable": ip_of(if bits + 1 >= width { network } else { network + 1 }, width),
                "lastUsable": ip_of(if width == 32 && bits + 1 < width { last - 1 } else { last }, width),
                "cidr": bits,
            });
            if width == 32 {
                out["broadcast"] = json!(ip_of(last, width));
            }
            Ok(out)
        }
        // cidrSubnet(block, newPrefix, index): the index-th subnet of that size in the block.
        "cidrsubnet" => {
            arity(3..=3)?;
            let (ip, bits) = cidr(as_str(arg(0)?, name)?, name)?;
            let (n, width) = ip_bits(ip);
            let new = u32::try_from(as_int(arg(1)?, name)?).unwrap_or(u32::MAX);
            let index = u128::try_from(as_int(arg(2)?, name)?)
                .map_err(|_| Eval::Invalid(format!("{name}(): a negative index")))?;
            if new < bits || new > width || (new - bits < 128 && index >> (new - bits) != 0) {
                return invalid(format!(
                    "{name}(): /{new} subnet {index} is not inside /{bits}"
                ));
            }
            let start = (n & mask(bits, width)) + (index << (width - new).min(127));
            Ok(Value::String(format!("{}/{new}", ip_of(start, width))))
        }
        // cidrHost(block, index): the index-th usable host address of the block.
        "cidrhost" => {
            arity(2..=2)?;
            let (ip, bits) = cidr(as_str(arg(0)?, name)?, name)?;
            let (n, width) = ip_bits(ip);
            let index = u128::try_from(as_int(arg(1)?, name)?)
                .map_err(|_| Eval::Invalid(format!("{name}(): a negative index")))?;
            let size = if width - bits >= 127 {
                u128::MAX
            } else {
                1u128 << (width - bits)
            };
            let reserved = if width == 32 { 2 } else { 1 };
            if index.saturating_add(reserved) >= size {
                return invalid(format!("{name}(): host {index} is not inside /{bits}"));
            }
            Ok(Value::String(ip_of(
                (n & mask(bits, width)) + 1 + index,
                width,
            )))
        }
        "datetimefromepoch" => {
            arity(1..=1)?;
            Ok(Value::String(crate::date::rfc3339(as_int(arg(0)?, name)?)))
        }
        "datetimetoepoch" => {
            arity(1..=1)?;
            crate::date::parse_timestamp(as_str(arg(0)?, name)?)
                .map(Value::from)
                .ok_or_else(|| Eval::Invalid(format!("{name}(): not an ISO 8601 date and time")))
        }
        // dateTimeAdd(base, ISO 8601 duration): a .NET output format is not reproduced.
        "datetimeadd" => {
            arity(2..=3)?;
            if v.len() == 3 {
                return unknown(format!(
                    "{name}() with a .NET date format is not evaluated by amlsec"
                ));
            }
            let base = crate::date::parse_timestamp(as_str(arg(0)?, name)?)
                .ok_or_else(|| Eval::Invalid(format!("{name}(): not an ISO 8601 date and time")))?;
            crate::date::add_duration(base, as_str(arg(1)?, name)?)
                .map(|t| Value::String(crate::date::rfc3339(t)))
                .ok_or_else(|| Eval::Invalid(format!("{name}(): not an ISO 8601 duration")))
        }
        "tenant" => {
            arity(0..=0)?;
            Ok(json!({
                "tenantId": "00000000-0000-0000-0000-000000000000",
                "displayName": "template",
                "countryCode": "",
            }))
        }
        "null" => Ok(Value::Null),
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "coalesce" => Ok(v.into_iter().find(|x| !x.is_null()).unwrap_or(Value::Null)),
        "createarray" => Ok(Value::Array(v)),
        "createobject" => {
            if !v.len().is_multiple_of(2) {
                return invalid("createObject() takes key, value pairs");
            }
            let mut o = Map::new();
            for pair in v.chunks(2) {
                o.insert(as_str(&pair[0], name)?.to_string(), pair[1].clone());
            }
            Ok(Value::Object(o))
        }
        "union" => {
            if v.iter().all(Value::is_object) {
                let mut o = Map::new();
                for x in &v {
                    for (k, val) in x.as_object().into_iter().flatten() {
                        o.insert(k.clone(), val.clone());
                    }
                }
                Ok(Value::Object(o))
            } else if v.iter().all(Value::is_array) {
                // Distinct elements in order: by their JSON text, so the work stays linear.
                let mut seen = std::collections::HashSet::new();
                let mut out: Vec<Value> = Vec::new();
                for x in v.iter().flat_map(|a| a.as_array().into_iter().flatten()) {
                    if seen.insert(x.to_string()) {
                        out.push(x.clone());
                    }
                }
                Ok(Value::Array(out))
            } else {
                invalid("union() takes objects or arrays")
            }
        }
        "range" => {
            arity(2..=2)?;
            let (start, count) = (as_int(arg(0)?, name)?, as_int(arg(1)?, name)?);
            if !(0..=MAX_LEN as i64).contains(&count) {
                return invalid(format!("range() of {count} items"));
            }
            let Some(end) = start.checked_add(count) else {
                return invalid(format!(
                    "range() past the largest integer ({start} + {count})"
                ));
            };
            Ok(Value::Array((start..end).map(|i| json!(i)).collect()))
        }
        "uniquestring" => {
            arity(1..=64)?;
            Ok(Value::String(unique_string(&strings())))
        }
        "guid" => {
            arity(1..=64)?;
            Ok(Value::String(guid(&strings())))
        }
        "resourcegroup" => Ok(json!({
            "id": format!("/subscriptions/{}/resourceGroups/{}", cx.subscription_id(), cx.resource_group()),
            "name": cx.resource_group(),
            "location": cx.location(),
            "type": "Microsoft.Resources/resourceGroups",
            "properties": {"provisioningState": "Succeeded"},
        })),
        "subscription" => Ok(json!({
            "id": format!("/subscriptions/{}", cx.subscription_id()),
            "subscriptionId": cx.subscription_id(),
            "tenantId": "00000000-0000-0000-0000-000000000000",
            "displayName": "template",
        })),
        "deployment" => Ok(json!({"name": "template", "properties": {}})),
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
        "environment" => {
            arity(0..=0)?;
            Ok(cx.environment())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    struct Cx;
    impl Context for Cx {
        fn parameter(&self, name: &str) -> Outcome {
            match name {
                "name" => Ok(json!("ml")),
                "n" => Ok(json!(3)),
                "flag" => Ok(json!(true)),
                _ => invalid(format!("no parameter {name}")),
            }
        }
        fn variable(&self, name: &str) -> Outcome {
            match name {
                "list" => Ok(json!(["a", "b"])),
                _ => invalid(format!("no variable {name}")),
            }
        }
        fn copy_index(&self, _: Option<&str>) -> Result<i64, Eval> {
            Ok(2)
        }
        fn subscription_id(&self) -> &str {
            "sub"
        }
        fn resource_group(&self) -> &str {
            "rg"
        }
        fn location(&self) -> &str {
            "westeurope"
        }
        fn symbolic(&self, _: &str) -> Option<String> {
            None
        }
        fn deployment_output(&self, deployment: &str, output: &str) -> Option<Outcome> {
            (deployment == "dep" && output == "id").then(|| Ok(json!("/x")))
        }
        fn environment(&self) -> Value {
            crate::cloud::Cloud::Public.environment()
        }
    }

    fn ev(text: &str) -> Outcome {
        eval(&parse_string(text).map_err(Eval::Invalid)?, &Cx)
    }

    #[test]
    fn every_function_real_templates_use() {
        let cases = [
            ("[concat('a', parameters('name'), 'b')]", json!("amlb")),
            (
                "[concat(variables('list'), createArray('c'))]",
                json!(["a", "b", "c"]),
            ),
            ("[format('{0}-{1}', parameters('name'), 7)]", json!("ml-7")),
            ("[toLower('AbC')]", json!("abc")),
            ("[toUpper('abc')]", json!("ABC")),
            (
                "[if(parameters('flag'), 'yes', reference('x'))]",
                json!("yes"),
            ),
            ("[equals('Enabled', 'enabled')]", json!(true)),
            ("[not(equals(1, 2))]", json!(true)),
            ("[and(true, or(false, true))]", json!(true)),
            ("[empty('')]", json!(true)),
            ("[empty(variables('list'))]", json!(false)),
            (
                "[union(createObject('a', 1), createObject('b', 2))]",
                json!({"a": 1, "b": 2}),
            ),
            ("[createObject('k', 'v').k]", json!("v")),
            ("[split('a/b/c', '/')]", json!(["a", "b", "c"])),
            ("[last(split('a/b/c', '/'))]", json!("c")),
            ("[first(variables('list'))]", json!("a")),
            ("[replace('a-b', '-', '')]", json!("ab")),
            ("[contains('Hello', 'ELL')]", json!(true)),
            ("[contains(variables('list'), 'b')]", json!(true)),
            ("[length(variables('list'))]", json!(2)),
            ("[string(parameters('n'))]", json!("3")),
            ("[int('42')]", json!(42)),
            ("[bool('true')]", json!(true)),
            ("[json('{\"a\": [1]}').a[0]]", json!(1)),
            ("[variables('list')[1]]", json!("b")),
            ("[copyIndex(1)]", json!(3)),
            ("[add(parameters('n'), 1)]", json!(4)),
            ("[substring('abcdef', 1, 3)]", json!("bcd")),
            ("[take('abcdef', 2)]", json!("ab")),
            ("[coalesce(null(), 'x')]", json!("x")),
            ("[range(1, 3)]", json!([1, 2, 3])),
            ("[padLeft('7', 3, '0')]", json!("007")),
            ("[base64('ls')]", json!("bHM=")),
            (
                "[reference('dep', '2022-09-01').outputs.id.value]",
                json!("/x"),
            ),
            ("[base64('abc')]", json!("YWJj")),
            ("[base64('a')]", json!("YQ==")),
            ("[resourceGroup().name]", json!("rg")),
            ("[subscription().subscriptionId]", json!("sub")),
            (
                "[resourceId('Microsoft.Storage/storageAccounts', 'st')]",
                json!(
                    "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
                ),
            ),
            (
                "[resourceId('other', 'Microsoft.MachineLearningServices/workspaces/computes', 'ws', 'ci')]",
                json!(
                    "/subscriptions/sub/resourceGroups/other/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/ci"
                ),
            ),
            (
                "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]",
                json!("/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/abc"),
            ),
            (
                "[extensionResourceId('/subscriptions/s/resourceGroups/r', 'Microsoft.Authorization/locks', 'l')]",
                json!(
                    "/subscriptions/s/resourceGroups/r/providers/Microsoft.Authorization/locks/l"
                ),
            ),
            ("[[literal]", json!("[literal]")),
            ("plain", json!("plain")),
            ("[concat('it''s', '')]", json!("it's")),
        ];
        for (text, want) in cases {
            assert_eq!(ev(text), Ok(want), "{text}");
        }
        let u = ev("[uniqueString(resourceGroup().id)]").unwrap();
        assert_eq!(u.as_str().unwrap().len(), 13);
        assert_eq!(
            u,
            ev("[uniqueString(resourceGroup().id)]").unwrap(),
            "deterministic"
        );
        let g = ev("[guid('a', 'b')]").unwrap();
        assert_eq!(g.as_str().unwrap().len(), 36);
    }

    #[test]
    fn deployment_time_values_are_unknown_and_mistakes_invalid() {
        for text in [
            "[reference('ws').principalId]",
            "[listKeys('st', '2023-01-01').keys[0].value]",
            "[utcNow()]",
            "[concat('a', reference('x'))]",
            "[myns.myfunc('a')]",
        ] {
            assert!(matches!(ev(text), Err(Eval::Unknown(_))), "{text}");
        }
        for text in [
            "[concat('a']",
            "[parameters('missing')]",
            "[if(true, 'a')]",
            "[int('x')]",
            "[range(0, 100000000)]",
            "[variables('list')[5]]",
            "[bogus]",
        ] {
            assert!(
                matches!(ev(text), Err(Eval::Invalid(_))),
                "{text}: {:?}",
                ev(text)
            );
        }
        let deep = format!("[{}'a'{}]", "concat(".repeat(100), ")".repeat(100));
        assert!(parse_string(&deep).is_err());
    }

    #[test]
    fn lambda_functions_and_try_get_as_bicep_compiles_them() {
        let cases = [
            (
                "[map(createArray(1, 2), lambda('x', mul(lambdaVariables('x'), 10)))]",
                json!([10, 20]),
            ),
            (
                "[map(createArray('a', 'b'), lambda('x', 'i', lambdaVariables('i')))]",
                json!([0, 1]),
            ),
            (
                "[filter(createArray(1, 2, 3), lambda('x', greater(lambdaVariables('x'), 1)))]",
                json!([2, 3]),
            ),
            (
                "[reduce(createArray(1, 2, 3), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]",
                json!(6),
            ),
            (
                "[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]",
                json!([1, 2, 3]),
            ),
            (
                "[toObject(createArray('a', 'b'), lambda('x', lambdaVariables('x')), lambda('x', true()))]",
                json!({"a": true, "b": true}),
            ),
            (
                "[mapValues(createObject('a', 1), lambda('v', add(lambdaVariables('v'), 1)))]",
                json!({"a": 2}),
            ),
            (
                "[groupBy(createArray('ab', 'ac', 'b'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]",
                json!({"a": ["ab", "ac"], "b": ["b"]}),
            ),
            // Nested lambdas see the outer one's variables.
            (
                "[map(createArray(1), lambda('x', map(createArray(2), lambda('y', add(lambdaVariables('x'), lambdaVariables('y'))))))]",
                json!([[3]]),
            ),
            // What Bicep compiles `managedIdentities.?userAssignedResourceIds` into.
            (
                "[reduce(map(coalesce(tryGet(createObject('ids', createArray('/u1')), 'ids'), createArray()), lambda('id', createObject(format('{0}', lambdaVariables('id')), createObject()))), createObject(), lambda('cur', 'next', union(lambdaVariables('cur'), lambdaVariables('next'))))]",
                json!({"/u1": {}}),
            ),
            (
                "[tryGet(createObject('a', createObject('B', 1)), 'a', 'b')]",
                json!(1),
            ),
            ("[tryGet(createObject('a', 1), 'missing')]", Value::Null),
            ("[tryGet(null(), 'a')]", Value::Null),
            ("[tryGet(createArray(5, 6), 1)]", json!(6)),
            (
                "[shallowMerge(createArray(createObject('a', 1, 'b', createObject('x', 1)), createObject('b', 2)))]",
                json!({"a": 1, "b": 2}),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ev(text), Ok(want), "{text}");
        }
        for bad in [
            "[lambdaVariables('x')]",
            "[map(createArray(1), 'x')]",
            "[map(createArray(1), lambda('x', 'y', 'z', 1))]",
            "[reduce(createArray(1), lambda('a', 'b', 1))]",
            "[map(createObject('a', 1), lambda('x', 1))]",
        ] {
            assert!(
                matches!(ev(bad), Err(Eval::Invalid(_))),
                "{bad}: {:?}",
                ev(bad)
            );
        }
    }

    /// Every function Microsoft documents for ARM templates is evaluated, but those whose value
    /// only the deployment knows (marked `*` in the list), which are `unknown`.
    #[test]
    fn every_documented_deterministic_function_is_evaluated() {
        let list = include_str!("../../../tests/data/templates/arm-template-functions.txt");
        let (mut evaluated, mut at_deployment) = (BTreeSet::new(), BTreeSet::new());
        for line in list
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (_, names) = line.split_once(':').unwrap();
            for name in names.split_whitespace() {
                match name.strip_suffix('*') {
                    Some(n) => at_deployment.insert(n.to_string()),
                    None => evaluated.insert(name.to_string()),
                };
            }
        }
        // Called without arguments: a value or an argument error, never "not evaluated".
        let outcome = |n: &str| call(n, &[], &Cx);
        for name in &evaluated {
            match outcome(name) {
                Err(Eval::Unknown(why)) => panic!("{name}() is not evaluated: {why}"),
                Ok(_) | Err(Eval::Invalid(_)) => {}
            }
        }
        for name in &at_deployment {
            assert!(
                matches!(outcome(name), Err(Eval::Unknown(ref w)) if w.contains("deployment")),
                "{name}() is known only at deployment"
            );
        }
        assert_eq!((evaluated.len(), at_deployment.len()), (94, 11));
    }

    #[test]
    fn string_array_object_cidr_and_date_functions_as_documented() {
        let cases = [
            ("[array('a')]", json!(["a"])),
            ("[indexFromEnd(createArray(1, 2, 3), 1)]", json!(3)),
            ("[tryIndexFromEnd(createArray(1), 5)]", Value::Null),
            (
                "[intersection(createArray('a', 'b', 'c'), createArray('b', 'c', 'd'))]",
                json!(["b", "c"]),
            ),
            (
                "[intersection(createObject('a', 1, 'b', 2), createObject('a', 1, 'b', 3))]",
                json!({"a": 1}),
            ),
            ("[float('1.5')]", json!(1.5)),
            (
                "[items(createObject('b', 2, 'a', 1))]",
                json!([{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
            ),
            (
                "[objectKeys(createObject('a', 1, 'b', 2))]",
                json!(["a", "b"]),
            ),
            ("[join(createArray('a', 'b'), ',')]", json!("a,b")),
            (
                "[base64ToString('b25lLCB0d28sIHRocmVl')]",
                json!("one, two, three"),
            ),
            ("[base64ToJson(base64('{\"a\": 1}'))]", json!({"a": 1})),
            (
                "[dataUri('Hello')]",
                json!("data:text/plain;charset=utf8;base64,SGVsbG8="),
            ),
            (
                "[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]",
                json!("Hello, World!"),
            ),
            (
                "[uri('http://contoso.com/resources/', 'nested/azuredeploy.json')]",
                json!("http://contoso.com/resources/nested/azuredeploy.json"),
            ),
            (
                "[uri('http://contoso.com/resources/azuredeploy.json', 'nested.json')]",
                json!("http://contoso.com/resources/nested.json"),
            ),
            (
                "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
                json!("http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json"),
            ),
            (
                "[uriComponentToString('http%3A%2F%2Fcontoso.com')]",
                json!("http://contoso.com"),
            ),
            (
                "[parseCidr('10.144.0.0/20')]",
                json!({"network": "10.144.0.0", "netmask": "255.255.240.0", "broadcast": "10.144.15.255", "firstUsable": "10.144.0.1", "lastUsable": "10.144.15.254", "cidr": 20}),
            ),
            (
                "[parseCidr('fdad:3236:5555::/48').network]",
                json!("fdad:3236:5555::"),
            ),
            (
                "[cidrSubnet('10.144.0.0/20', 24, 3)]",
                json!("10.144.3.0/24"),
            ),
            ("[cidrHost('10.144.3.0/24', 0)]", json!("10.144.3.1")),
            (
                "[dateTimeFromEpoch(1683040573)]",
                json!("2023-05-02T15:16:13Z"),
            ),
            (
                "[dateTimeToEpoch('2023-05-02T15:16:13Z')]",
                json!(1683040573),
            ),
            (
                "[dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')]",
                json!("2023-04-07T14:53:14Z"),
            ),
            (
                "[managementGroupResourceId('mg1', 'Microsoft.Authorization/policyDefinitions', 'p')]",
                json!(
                    "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/p"
                ),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ev(text), Ok(want), "{text}");
        }
        for bad in [
            "[indexFromEnd(createArray(1), 2)]",
            "[cidrSubnet('10.0.0.0/24', 16, 0)]",
            "[cidrSubnet('10.0.0.0/24', 26, 4)]",
            "[cidrHost('10.0.0.0/30', 2)]",
            "[parseCidr('10.0.0.0/33')]",
            "[base64ToString('***')]",
            "[dateTimeAdd('2020-04-07', 'three years')]",
            "[uri('relative', 'x')]",
        ] {
            assert!(
                matches!(ev(bad), Err(Eval::Invalid(_))),
                "{bad}: {:?}",
                ev(bad)
            );
        }
    }
}
