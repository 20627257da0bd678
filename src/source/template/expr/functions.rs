//! The functions amlsec evaluates, one function per ARM category, and their helpers.

use serde_json::{Map, Value, json};

use super::*;

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

/// Deployment values and scopes: parameters, variables, copy indexes, the deployment and its resource group, subscription and tenant, the cloud.
pub(super) fn deployment_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, cx } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
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
        "tenant" => {
            arity(0..=0)?;
            Ok(json!({
                "tenantId": "00000000-0000-0000-0000-000000000000",
                "displayName": "template",
                "countryCode": "",
            }))
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
        "environment" => {
            arity(0..=0)?;
            Ok(cx.environment())
        }
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// String functions.
pub(super) fn string_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    let strings = || a.strings();
    match lower.as_str() {
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
        "json" => {
            arity(1..=1)?;
            serde_json::from_str(as_str(arg(0)?, name)?)
                .map_or_else(|e| invalid(format!("json(): {e}")), Ok)
        }
        "join" => {
            arity(2..=2)?;
            let Value::Array(items) = arg(0)? else {
                return invalid("join() takes an array of strings");
            };
            let parts: Vec<String> = items.iter().map(string).collect();
            Ok(Value::String(parts.join(as_str(arg(1)?, name)?)))
        }
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Logical and comparison functions, and the literals.
pub(super) fn logical_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
        "bool" => {
            arity(1..=1)?;
            Ok(Value::Bool(truthy(arg(0)?, name)?))
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
        "null" => Ok(Value::Null),
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "coalesce" => Ok(v
            .iter()
            .find(|x| !x.is_null())
            .cloned()
            .unwrap_or(Value::Null)),
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Numeric functions.
pub(super) fn numeric_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
        "int" => {
            arity(1..=1)?;
            Ok(json!(as_int(arg(0)?, name)?))
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
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Array and object functions.
pub(super) fn collection_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
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
        "union" => {
            if v.iter().all(Value::is_object) {
                let mut o = Map::new();
                for x in v {
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
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Encodings, URIs and the deterministic ids (`uniqueString`, `guid`).
pub(super) fn encoding_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    let strings = || a.strings();
    match lower.as_str() {
        "base64" => {
            arity(1..=1)?;
            Ok(Value::String(base64(as_str(arg(0)?, name)?.as_bytes())))
        }
        // tryGet(value, key or index, ...): what the path reaches, or null where it does not.
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
        "uniquestring" => {
            arity(1..=64)?;
            Ok(Value::String(unique_string(&strings())))
        }
        "guid" => {
            arity(1..=64)?;
            Ok(Value::String(guid(&strings())))
        }
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Object functions, and the array access functions of Bicep (`tryGet`, `indexFromEnd`).
pub(super) fn object_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
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
        "createarray" => Ok(Value::Array(v.clone())),
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
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Functions that cut, search or pad strings.
pub(super) fn substring_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
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
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}

/// Functions that take part of an array (or string).
pub(super) fn array_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
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
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}
