//! The CIDR functions (`parseCidr`, `cidrSubnet`, `cidrHost`) and the date functions with their
//! fixed arguments.

use serde_json::{Value, json};

use super::*;

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

/// CIDR and date functions.
pub(super) fn cidr_and_date_functions(a: &Args<'_>) -> Outcome {
    let Args { name, lower, v, .. } = a;
    let arity = |n| a.arity(n);
    let arg = |i| a.arg(i);
    match lower.as_str() {
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
        _ => invalid(format!("{name}() is not one of these functions")),
    }
}
