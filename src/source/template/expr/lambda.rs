//! The lambda functions (`map`, `filter`, `reduce`, `sort`, `toObject`, `mapValues`,
//! `groupBy`): their lambda applied with its variables bound.

use serde_json::{Map, Value};

use super::*;

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
pub(super) fn call_lambda(
    lower: &str,
    name: &str,
    args: &[Expr],
    cx: &dyn Context,
) -> Option<Outcome> {
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
