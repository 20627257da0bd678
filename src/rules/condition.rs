//! The condition grammar (DESIGN §9), modelled on Azure Policy: a `field`, `value` or `count`
//! compared with one operator, combined with `allOf` / `anyOf` / `not`. Evaluation is
//! three-valued: a condition that needs a failed read is unreadable, never true or false.

use std::collections::BTreeMap;

use regex_lite::Regex;
use serde_json::Value;

use super::path::{Found, Located, Path, Root};
use crate::documents::{Doc, ReadFailure, Step, Unread};

pub type Params = BTreeMap<String, Value>;

#[derive(Debug, Clone)]
pub enum Condition {
    AllOf(Vec<Condition>),
    AnyOf(Vec<Condition>),
    Not(Box<Condition>),
    Compare(Box<Comparison>),
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub left: Operand,
    pub op: Op,
    /// What a missing value stands for; without it a missing value equals nothing.
    pub missing: Option<Value>,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Field(Path),
    Value(Arg),
    Count(Box<Count>),
}

impl Operand {
    fn paths<'c>(&'c self, out: &mut Vec<&'c Path>) {
        match self {
            Operand::Field(p) | Operand::Value(Arg::Field(p)) => out.push(p),
            Operand::Value(_) => {}
            Operand::Count(count) => {
                count.over.paths(out);
                if let Some(f) = &count.filter {
                    f.paths(out);
                }
                out.extend(&count.distinct);
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Count {
    pub over: Operand,
    pub filter: Option<Condition>,
    /// Count distinct values of this path (relative to each element) instead of elements.
    pub distinct: Option<Path>,
}

/// The right-hand side of an operator, or a `value` operand.
#[derive(Debug, Clone)]
pub enum Arg {
    Literal(Value),
    Param(String),
    /// An engine setting (`{setting: aml_private_dns_zones}`), not a rule parameter.
    Setting(String),
    Field(Path),
}

#[derive(Debug, Clone)]
pub enum Op {
    Equals(Arg),
    NotEquals(Arg),
    In(Arg),
    NotIn(Arg),
    Contains(Arg),
    NotContains(Arg),
    Greater(Arg),
    GreaterOrEquals(Arg),
    Less(Arg),
    LessOrEquals(Arg),
    Exists(bool),
    NonEmpty(bool),
    Match(Regex),
    NotMatch(Regex),
}

/// Documents a path can start from besides the evaluated one (`$workspace`, `$registry`, …).
pub trait Context {
    fn context(&self, name: &str) -> Result<Option<&Doc>, ReadFailure>;
    /// An engine setting's value (`{setting: NAME}`).
    fn setting(&self, name: &str) -> Option<Value>;
}

/// What one evaluation sees.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub root: &'a Doc,
    /// What relative paths start from: the root, or the element a `count` is at.
    current: &'a Value,
    /// Where `current` is in the root, and the root's unread places (none for elements of a
    /// `value` operand, which are not in the document).
    current_at: &'a [Step],
    current_unread: &'a [Unread],
    pub context: &'a dyn Context,
    pub params: &'a Params,
    /// The evaluated document could not be read: paths into it are unreadable, while paths
    /// into context documents still answer (baseline.md §1.6, "depends only on the reads").
    unread_root: Option<&'a ReadFailure>,
}

static NO_DOCUMENT: Doc = Doc {
    value: Value::Null,
    unread: Vec::new(),
};

pub type Outcome = Result<bool, ReadFailure>;

impl<'a> Scope<'a> {
    pub fn new(root: &'a Doc, context: &'a dyn Context, params: &'a Params) -> Self {
        Scope {
            root,
            current: &root.value,
            current_at: &[],
            current_unread: &root.unread,
            context,
            params,
            unread_root: None,
        }
    }

    /// A scope whose evaluated document is the read that failed.
    pub fn unread(failure: &'a ReadFailure, context: &'a dyn Context, params: &'a Params) -> Self {
        Scope {
            unread_root: Some(failure),
            ..Scope::new(&NO_DOCUMENT, context, params)
        }
    }

    pub fn resolve(&self, path: &Path) -> Result<Found<'a>, ReadFailure> {
        let (start, at, unread) = self.start(path)?;
        // Most paths name one property of a document with no unread places: no walk needed.
        if unread.is_empty() && !path.has_wildcard() {
            return Ok(Found::One(path.follow(start)));
        }
        let located = path.walk(start, at, unread)?;
        let mut values: Vec<Option<&'a Value>> = located.into_iter().map(|(v, _)| v).collect();
        Ok(if path.has_wildcard() {
            // Null elements of a wildcard path are missing, and skipped (baseline.md §1.3, v0.3).
            values.retain(|v| !v.is_some_and(Value::is_null));
            Found::Many(values)
        } else {
            Found::One(values.drain(..).next().flatten())
        })
    }

    /// The values a path reaches, with where they are, and the unread places that apply there.
    fn locate(&self, path: &Path) -> Result<(Vec<Located<'a>>, &'a [Unread]), ReadFailure> {
        let (start, at, unread) = self.start(path)?;
        Ok((path.walk(start, at, unread)?, unread))
    }

    /// Where a path starts: its document, the place in it, and that document's unread places.
    #[allow(clippy::type_complexity)]
    fn start(
        &self,
        path: &Path,
    ) -> Result<(Option<&'a Value>, &'a [Step], &'a [Unread]), ReadFailure> {
        let at_root = match path.root() {
            Root::Current => std::ptr::eq(self.current, &self.root.value),
            Root::Context(name) => name == "root",
        };
        if let (true, Some(failure)) = (at_root, self.unread_root) {
            return Err(failure.clone());
        }
        Ok(match path.root() {
            Root::Current => (Some(self.current), self.current_at, self.current_unread),
            Root::Context(name) if name == "root" => {
                (Some(&self.root.value), &[], &self.root.unread)
            }
            Root::Context(name) => match self.context.context(name)? {
                Some(doc) => (Some(&doc.value), &[], &doc.unread),
                None => (None, &[], &[]),
            },
        })
    }

    fn arg(&self, arg: &'a Arg) -> Result<Option<Value>, ReadFailure> {
        Ok(match arg {
            Arg::Literal(v) => Some(v.clone()),
            Arg::Param(name) => self.params.get(name).cloned(),
            Arg::Setting(name) => self.context.setting(name),
            Arg::Field(path) => match self.resolve(path)? {
                Found::One(v) => v.cloned(),
                Found::Many(vs) => Some(Value::Array(vs.into_iter().flatten().cloned().collect())),
            },
        })
    }
}

impl Condition {
    /// Every path the condition reads, for knowing which targets and facts it needs.
    pub fn paths<'c>(&'c self, out: &mut Vec<&'c Path>) {
        match self {
            Condition::AllOf(items) | Condition::AnyOf(items) => {
                items.iter().for_each(|c| c.paths(out))
            }
            Condition::Not(c) => c.paths(out),
            Condition::Compare(c) => {
                c.left.paths(out);
                if let Some(Arg::Field(p)) = c.op.arg() {
                    out.push(p);
                }
            }
        }
    }

    pub fn eval(&self, scope: &Scope<'_>) -> Outcome {
        match self {
            Condition::AllOf(items) => {
                let mut unreadable = None;
                for c in items {
                    match c.eval(scope) {
                        Ok(false) => return Ok(false),
                        Ok(true) => {}
                        Err(e) => unreadable = unreadable.or(Some(e)),
                    }
                }
                unreadable.map_or(Ok(true), Err)
            }
            Condition::AnyOf(items) => {
                let mut unreadable = None;
                for c in items {
                    match c.eval(scope) {
                        Ok(true) => return Ok(true),
                        Ok(false) => {}
                        Err(e) => unreadable = unreadable.or(Some(e)),
                    }
                }
                unreadable.map_or(Ok(false), Err)
            }
            Condition::Not(c) => c.eval(scope).map(|b| !b),
            Condition::Compare(c) => c.eval(scope),
        }
    }
}

impl Op {
    pub fn arg(&self) -> Option<&Arg> {
        match self {
            Op::Equals(a)
            | Op::NotEquals(a)
            | Op::In(a)
            | Op::NotIn(a)
            | Op::Contains(a)
            | Op::NotContains(a)
            | Op::Greater(a)
            | Op::GreaterOrEquals(a)
            | Op::Less(a)
            | Op::LessOrEquals(a) => Some(a),
            Op::Exists(_) | Op::NonEmpty(_) | Op::Match(_) | Op::NotMatch(_) => None,
        }
    }

    /// The operator applied to one value; `None` is a missing value.
    fn test(&self, value: Option<&Value>, arg: Option<&Value>) -> bool {
        let value = value.filter(|v| !v.is_null());
        match self {
            Op::Exists(want) => value.is_some() == *want,
            Op::NonEmpty(want) => value.is_some_and(non_empty) == *want,
            Op::Equals(_) => matches!((value, arg), (Some(v), Some(a)) if equal(v, a)),
            Op::NotEquals(_) => !matches!((value, arg), (Some(v), Some(a)) if equal(v, a)),
            Op::In(_) => matches!((value, arg), (Some(v), Some(a)) if within(v, a)),
            Op::NotIn(_) => !matches!((value, arg), (Some(v), Some(a)) if within(v, a)),
            Op::Contains(_) => matches!((value, arg), (Some(v), Some(a)) if contains(v, a)),
            Op::NotContains(_) => !matches!((value, arg), (Some(v), Some(a)) if contains(v, a)),
            Op::Greater(_) => order(value, arg).is_some_and(|o| o.is_gt()),
            Op::GreaterOrEquals(_) => order(value, arg).is_some_and(|o| o.is_ge()),
            Op::Less(_) => order(value, arg).is_some_and(|o| o.is_lt()),
            Op::LessOrEquals(_) => order(value, arg).is_some_and(|o| o.is_le()),
            Op::Match(re) => value.and_then(as_text).is_some_and(|s| re.is_match(&s)),
            Op::NotMatch(re) => !value.and_then(as_text).is_some_and(|s| re.is_match(&s)),
        }
    }
}

/// Longest text a regex is matched against: matching costs pattern length × text length, and
/// the values rules match (names, hosts, ids) are far shorter. A longer one is `error`.
pub const MATCH_INPUT_LIMIT: usize = 64 << 10;

impl Comparison {
    fn eval(&self, scope: &Scope<'_>) -> Outcome {
        let arg = match self.op.arg() {
            Some(a) => scope.arg(a)?,
            None => None,
        };
        let test = |v: Option<&Value>| {
            let v = v.filter(|v| !v.is_null()).or(self.missing.as_ref());
            self.op.test(v, arg.as_ref())
        };
        let judge = |v: Option<&Value>| -> Outcome {
            match (&self.op, v) {
                (Op::Match(_) | Op::NotMatch(_), Some(Value::String(s)))
                    if s.len() > MATCH_INPUT_LIMIT =>
                {
                    Err(ReadFailure::bad_reference(
                        &self.left.to_string(),
                        &format!(
                            "a value of {} bytes is longer than the {MATCH_INPUT_LIMIT} bytes a pattern is matched against",
                            s.len()
                        ),
                    ))
                }
                _ => Ok(test(v)),
            }
        };
        match &self.left {
            Operand::Field(path) => match scope.resolve(path)? {
                Found::One(v) => judge(v),
                // A wildcard path holds when every value does (vacuously on none), as in Azure
                // Policy; a false one decides, an unjudgeable one leaves it unknown.
                Found::Many(vs) => {
                    let mut unknown = None;
                    for v in vs {
                        match judge(v) {
                            Ok(false) => return Ok(false),
                            Ok(true) => {}
                            Err(e) => unknown = unknown.or(Some(e)),
                        }
                    }
                    unknown.map_or(Ok(true), Err)
                }
            },
            Operand::Value(a) => judge(scope.arg(a)?.as_ref()),
            Operand::Count(count) => {
                let (known, unknown) = count.eval(scope)?;
                let mut first = None;
                for n in known..=known + unknown.len() {
                    let r = test(Some(&Value::from(n)));
                    match first {
                        None => first = Some(r),
                        Some(f) if f != r => return Err(unknown[0].clone()),
                        Some(_) => {}
                    }
                }
                Ok(first.unwrap_or(false))
            }
        }
    }
}

impl Count {
    /// How many elements match for certain, and the failures of those that cannot be judged.
    fn eval(&self, scope: &Scope<'_>) -> Result<(usize, Vec<ReadFailure>), ReadFailure> {
        let owned;
        // Each element with where it is in the document (nowhere, for a `value` operand).
        let (elements, unread): (Vec<Located<'_>>, &[Unread]) = match &self.over {
            Operand::Field(path) => {
                let (located, unread) = scope.locate(path)?;
                // Null elements are missing, not elements (v0.3).
                let elements = if path.has_wildcard() {
                    located
                        .into_iter()
                        .filter(|(v, _)| v.is_some_and(|v| !v.is_null()))
                        .collect()
                } else {
                    match located.into_iter().next() {
                        Some((Some(Value::Array(items)), at)) => items
                            .iter()
                            .enumerate()
                            .filter(|(_, item)| !item.is_null())
                            .map(|(i, item)| {
                                let mut place = at.clone();
                                if !unread.is_empty() {
                                    place.push(Step::Index(i));
                                }
                                (Some(item), place)
                            })
                            .collect(),
                        Some((Some(v), at)) => vec![(Some(v), at)],
                        _ => vec![],
                    }
                };
                (elements, unread)
            }
            Operand::Value(a) => {
                owned = scope.arg(a)?;
                let elements = match &owned {
                    Some(Value::Array(items)) => {
                        items.iter().map(|v| (Some(v), Vec::new())).collect()
                    }
                    Some(v) => vec![(Some(v), Vec::new())],
                    None => vec![],
                };
                (elements, &[][..])
            }
            Operand::Count(_) => unreachable!("the loader rejects a count over a count"),
        };
        let mut matched: Vec<(&Value, &[Step])> = Vec::new();
        let mut unknown = Vec::new();
        for (element, place) in &elements {
            let Some(element) = *element else { continue };
            let inner = Scope {
                current: element,
                current_at: place,
                current_unread: unread,
                ..*scope
            };
            match self.filter.as_ref().map_or(Ok(true), |w| w.eval(&inner)) {
                Ok(true) => matched.push((element, place)),
                Ok(false) => {}
                Err(e) => unknown.push(e),
            }
        }
        let known = match &self.distinct {
            None => matched.len(),
            Some(path) => {
                let mut keys: Vec<String> = Vec::new();
                for (element, place) in matched {
                    let inner = Scope {
                        current: element,
                        current_at: place,
                        current_unread: unread,
                        ..*scope
                    };
                    let key = match inner.resolve(path)? {
                        Found::One(v) => v.map(comparable).unwrap_or_default(),
                        Found::Many(vs) => vs
                            .iter()
                            .flatten()
                            .map(|v| comparable(v))
                            .collect::<Vec<_>>()
                            .join(","),
                    };
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                keys.len()
            }
        };
        Ok((known, unknown))
    }
}

/// "non-empty" of baseline.md §1.3: not `""` after trimming, not `[]`, not `{}`.
pub fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The form in which scalars compare: trimmed, lower-cased, an ARM id without a trailing `/`.
/// Booleans and numbers compare with their string forms, because ARM returns
/// `isEnabled: "True"` and TLS versions as strings.
fn comparable(v: &Value) -> String {
    match as_text(v) {
        Some(s) => {
            let s = s.to_ascii_lowercase();
            match s.strip_suffix('/') {
                Some(stripped) if s.starts_with('/') => stripped.to_string(),
                _ => s,
            }
        }
        None => v.to_string(),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => a == b,
        _ => comparable(a) == comparable(b),
    }
}

fn within(v: &Value, list: &Value) -> bool {
    match list {
        Value::Array(items) => items.iter().any(|i| equal(v, i)),
        single => equal(v, single),
    }
}

fn contains(v: &Value, needle: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| equal(i, needle)),
        Value::String(s) => as_text(needle)
            .is_some_and(|n| s.to_ascii_lowercase().contains(&n.to_ascii_lowercase())),
        _ => false,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn order(v: Option<&Value>, arg: Option<&Value>) -> Option<std::cmp::Ordering> {
    number(v?)?.partial_cmp(&number(arg?)?)
}

// ---- text form, for `rules show` and the generated control reference ----------------------

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |f: &mut std::fmt::Formatter<'_>, items: &[Condition], word: &str| {
            write!(f, "(")?;
            for (i, c) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {word} ")?;
                }
                write!(f, "{c}")?;
            }
            write!(f, ")")
        };
        match self {
            Condition::AllOf(items) => join(f, items, "and"),
            Condition::AnyOf(items) => join(f, items, "or"),
            Condition::Not(c) => write!(f, "not {c}"),
            Condition::Compare(c) => {
                write!(f, "{} {}", c.left, c.op)?;
                match &c.missing {
                    Some(m) => write!(f, " [missing = {m}]"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::fmt::Display for Operand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operand::Field(p) => write!(f, "{p}"),
            Operand::Value(a) => write!(f, "{a}"),
            Operand::Count(c) => {
                write!(f, "count(")?;
                if let Some(d) = &c.distinct {
                    write!(f, "distinct {d} of ")?;
                }
                write!(f, "{}", c.over)?;
                if let Some(w) = &c.filter {
                    write!(f, " where {w}")?;
                }
                write!(f, ")")
            }
        }
    }
}

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Literal(v) => write!(f, "{v}"),
            Arg::Param(p) => write!(f, "param({p})"),
            Arg::Setting(s) => write!(f, "setting({s})"),
            Arg::Field(p) => write!(f, "field({p})"),
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (word, arg): (&str, Option<&Arg>) = match self {
            Op::Equals(a) => ("==", Some(a)),
            Op::NotEquals(a) => ("!=", Some(a)),
            Op::In(a) => ("in", Some(a)),
            Op::NotIn(a) => ("not in", Some(a)),
            Op::Contains(a) => ("contains", Some(a)),
            Op::NotContains(a) => ("does not contain", Some(a)),
            Op::Greater(a) => (">", Some(a)),
            Op::GreaterOrEquals(a) => (">=", Some(a)),
            Op::Less(a) => ("<", Some(a)),
            Op::LessOrEquals(a) => ("<=", Some(a)),
            Op::Exists(true) => ("exists", None),
            Op::Exists(false) => ("does not exist", None),
            Op::NonEmpty(true) => ("is non-empty", None),
            Op::NonEmpty(false) => ("is empty", None),
            Op::Match(re) => return write!(f, "matches /{}/", re.as_str()),
            Op::NotMatch(re) => return write!(f, "does not match /{}/", re.as_str()),
        };
        match arg {
            Some(a) => write!(f, "{word} {a}"),
            None => write!(f, "{word}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::parse_condition;
    use serde_json::json;

    struct NoContext;
    impl Context for NoContext {
        fn setting(&self, _: &str) -> Option<Value> {
            None
        }

        fn context(&self, name: &str) -> Result<Option<&Doc>, ReadFailure> {
            Err(ReadFailure::not_in_source(&format!("${name}")))
        }
    }

    fn eval_with(yaml: &str, doc: &Value, params: &Params) -> Outcome {
        eval_doc(yaml, &Doc::from(doc.clone()), params)
    }

    fn eval_doc(yaml: &str, doc: &Doc, params: &Params) -> Outcome {
        let cond = parse_condition(yaml).unwrap();
        cond.eval(&Scope::new(doc, &NoContext, params))
    }

    fn eval(yaml: &str, doc: &Value) -> Outcome {
        eval_with(yaml, doc, &Params::new())
    }

    #[test]
    fn conditions_print_as_text() {
        let c = parse_condition(
            "{allOf: [{field: a.b, equals: Disabled, missing: Enabled}, {count: {field: 'x[*]', where: {field: ., in: {param: p}}}, greater: 0}]}",
        )
        .unwrap();
        assert_eq!(
            c.to_string(),
            r#"(a.b == "Disabled" [missing = "Enabled"] and count(x[*] where . in param(p)) > 0)"#
        );
    }

    #[test]
    fn equals_ignores_case_whitespace_and_boolean_strings() {
        let doc =
            json!({"properties": {"pna": " disabled ", "on": "True", "tls": "1.2", "id": "/A/B/"}});
        assert_eq!(
            eval("{field: properties.pna, equals: Disabled}", &doc),
            Ok(true)
        );
        assert_eq!(
            eval("{field: Properties.PNA, notEquals: Disabled}", &doc),
            Ok(false)
        );
        assert_eq!(eval("{field: properties.on, equals: true}", &doc), Ok(true));
        assert_eq!(
            eval("{field: properties.tls, in: [\"1.2\", \"1.3\"]}", &doc),
            Ok(true)
        );
        assert_eq!(eval("{field: properties.tls, in: [1.2]}", &doc), Ok(true));
        assert_eq!(eval("{field: properties.id, equals: /a/b}", &doc), Ok(true));
    }

    #[test]
    fn missing_values_equal_nothing_unless_declared() {
        let doc = json!({"properties": {"nullish": null}});
        assert_eq!(
            eval("{field: properties.x, equals: Disabled}", &doc),
            Ok(false)
        );
        assert_eq!(
            eval("{field: properties.x, notEquals: true}", &doc),
            Ok(true)
        );
        assert_eq!(eval("{field: properties.x, in: [a]}", &doc), Ok(false));
        assert_eq!(eval("{field: properties.x, notIn: [a]}", &doc), Ok(true));
        assert_eq!(
            eval("{field: properties.nullish, exists: true}", &doc),
            Ok(false)
        );
        assert_eq!(
            eval("{field: properties.x.y, exists: false}", &doc),
            Ok(true)
        );
        assert_eq!(eval("{field: properties.x, greater: 1}", &doc), Ok(false));
        assert_eq!(eval("{field: properties.x, match: '.*'}", &doc), Ok(false));
        assert_eq!(eval("{field: properties.x, contains: a}", &doc), Ok(false));
        assert_eq!(
            eval(
                "{field: properties.x, equals: Disabled, missing: Disabled}",
                &doc
            ),
            Ok(true)
        );
        assert_eq!(
            eval(
                "{field: properties.x, notEquals: false, missing: true}",
                &doc
            ),
            Ok(true)
        );
    }

    #[test]
    fn non_empty_follows_the_spec() {
        let doc = json!({"a": "  ", "b": [], "c": {}, "d": "x", "e": [1], "f": 0});
        for (path, want) in [
            ("a", false),
            ("b", false),
            ("c", false),
            ("d", true),
            ("e", true),
            ("f", true),
            ("z", false),
        ] {
            assert_eq!(
                eval(&format!("{{field: {path}, nonEmpty: true}}"), &doc),
                Ok(want),
                "{path}"
            );
        }
    }

    #[test]
    fn ordering_contains_and_match() {
        let doc = json!({"n": 3, "s": "12", "t": "AllowOnlyApprovedOutbound", "l": ["A", "b"]});
        assert_eq!(eval("{field: n, greater: 2}", &doc), Ok(true));
        assert_eq!(eval("{field: n, lessOrEquals: 3}", &doc), Ok(true));
        assert_eq!(eval("{field: s, greaterOrEquals: 12}", &doc), Ok(true));
        assert_eq!(eval("{field: n, less: 3}", &doc), Ok(false));
        assert_eq!(eval("{field: t, contains: approved}", &doc), Ok(true));
        assert_eq!(eval("{field: l, contains: a}", &doc), Ok(true));
        assert_eq!(eval("{field: l, notContains: c}", &doc), Ok(true));
        assert_eq!(
            eval("{field: t, match: '^allow.*outbound$'}", &doc),
            Ok(true)
        );
        assert_eq!(eval("{field: t, notMatch: '^Deny'}", &doc), Ok(true));
    }

    #[test]
    fn wildcard_fields_hold_for_every_element_and_vacuously() {
        let doc = json!({"links": [{"reg": false}, {"reg": true}], "none": []});
        assert_eq!(
            eval("{field: 'links[*].reg', notEquals: true}", &doc),
            Ok(false)
        );
        assert_eq!(
            eval("{field: 'none[*].reg', notEquals: true}", &doc),
            Ok(true)
        );
        assert_eq!(
            eval("{field: 'absent[*].reg', equals: true}", &doc),
            Ok(true)
        );
    }

    #[test]
    fn combinators_and_count() {
        let doc = json!({"pecs": [
            {"properties": {"state": {"status": "Pending"}}},
            {"properties": {"state": {"status": "approved"}}}]});
        let approved = "{count: {field: 'pecs[*]', where: {field: properties.state.status, equals: Approved}}, greater: 0}";
        assert_eq!(eval(approved, &doc), Ok(true));
        assert_eq!(eval(approved, &json!({})), Ok(false));
        assert_eq!(
            eval("{count: {field: 'pecs[*]'}, equals: 2}", &doc),
            Ok(true)
        );
        assert_eq!(
            eval(
                "{not: {anyOf: [{field: a, exists: true}, {field: pecs, exists: true}]}}",
                &doc
            ),
            Ok(false)
        );
        assert_eq!(eval("{allOf: []}", &doc), Ok(true));
        assert_eq!(eval("{anyOf: []}", &doc), Ok(false));
    }

    #[test]
    fn count_distinct_and_params() {
        let doc = json!({"value": [
            {"p": "u1", "r": "owner"}, {"p": "U1", "r": "owner"}, {"p": "u2", "r": "owner"}, {"p": "u3", "r": "reader"}]});
        let params = Params::from([
            ("max".to_string(), json!(2)),
            ("keys".to_string(), json!(["owner", "cost"])),
        ]);
        let c = "{count: {field: 'value[*]', where: {field: r, equals: owner}, distinct: p}, lessOrEquals: {param: max}}";
        assert_eq!(eval_with(c, &doc, &params), Ok(true));
        let tags = json!({"tagKeys": ["owner"]});
        let every_key = "{count: {value: {param: keys}, where: {field: ., notIn: {field: $root.tagKeys}}}, equals: 0}";
        assert_eq!(eval_with(every_key, &tags, &params), Ok(false));
        assert_eq!(
            eval_with("{value: {param: keys}, contains: cost}", &tags, &params),
            Ok(true)
        );
    }

    #[test]
    fn unreadable_data_is_neither_true_nor_false() {
        let failure = ReadFailure::not_in_source("/set");
        let mut unread = Doc::from(json!({"value": [{"ok": true}, {"ok": null}]}));
        unread.unread.push(crate::documents::Unread {
            at: vec![
                Step::Key("value".into()),
                Step::Index(1),
                Step::Key("ok".into()),
            ],
            failure: failure.clone(),
        });
        let doc = unread.value.clone();
        let any = "{count: {field: 'value[*]', where: {field: ok, equals: true}}, greater: 0}";
        assert_eq!(eval_doc(any, &unread, &Params::new()), Ok(true));
        let all = "{count: {field: 'value[*]', where: {field: ok, equals: true}}, equals: 2}";
        assert_eq!(eval_doc(all, &unread, &Params::new()), Err(failure.clone()));
        // Elements of a `value` operand are not in the document: its unread places do not apply.
        let over_values =
            "{count: {value: [{ok: true}], where: {field: ok, equals: true}}, equals: 1}";
        assert_eq!(eval_doc(over_values, &unread, &Params::new()), Ok(true));
        assert_eq!(
            eval(
                "{anyOf: [{field: $registry.id, exists: true}, {field: value, exists: true}]}",
                &doc
            ),
            Ok(true)
        );
        assert!(
            eval(
                "{allOf: [{field: $registry.id, exists: true}, {field: value, exists: true}]}",
                &doc
            )
            .is_err()
        );
    }
}
