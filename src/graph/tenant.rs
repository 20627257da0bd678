//! How a tenant-wide audit finds its subscriptions: every subscription the caller can read,
//! or the subscriptions below a management group, at any depth.

use serde_json::Value;

use crate::documents::text;

pub const SUBSCRIPTIONS_PATH: &str = "/subscriptions";
pub const SUBSCRIPTIONS_API: &str = "2022-12-01";
pub const MANAGEMENT_GROUPS_API: &str = "2023-04-01";

/// The list of a management group's descendants: its groups and subscriptions, at any depth.
pub fn descendants_path(group: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{group}/descendants")
}

/// An item of a subscription list or a group's descendants that is neither.
#[derive(Debug, thiserror::Error)]
#[error(
    "item {id:?} of type {kind:?} is neither a subscription (/subscriptions/{{id}}) nor a management group"
)]
pub struct NotATenantItem {
    pub id: String,
    pub kind: String,
}

/// The subscription an item of `GET /subscriptions` or of a group's descendants stands for
/// (`/subscriptions/{id}`); `None` for a management group.
///
/// A subscription is known by its item id, `/subscriptions/{id}`. Its `type` is spelt two
/// ways by the contract: the 2023-04-01 example `GetDescendants.json` writes
/// `Microsoft.Management/managementGroups/subscriptions`, while the schema's description of
/// `DescendantInfo.type` says `/subscriptions` (as the service's children carry it), so the
/// type is never what decides. An item that is neither a subscription nor a management group
/// leaves the set of subscriptions unknown, and is an error.
pub fn subscription_of(item: &Value) -> Result<Option<String>, NotATenantItem> {
    let id = text(item, "id").trim();
    let mut segments = id.trim_matches('/').split('/');
    if let (Some(first), Some(sub), None) = (segments.next(), segments.next(), segments.next())
        && first.eq_ignore_ascii_case("subscriptions")
        && !sub.trim().is_empty()
    {
        return Ok(Some(format!("/subscriptions/{}", sub.trim())));
    }
    let kind = text(item, "type");
    let group = kind.eq_ignore_ascii_case("Microsoft.Management/managementGroups")
        || kind.eq_ignore_ascii_case("/providers/Microsoft.Management/managementGroups");
    match group {
        true => Ok(None),
        false => Err(NotATenantItem {
            id: id.to_string(),
            kind: kind.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscriptions_are_known_by_id_whatever_their_type_says() {
        for kind in [
            "Microsoft.Management/managementGroups/subscriptions",
            "/subscriptions",
        ] {
            let item = json!({"id": "/subscriptions/20000000-0004-0000-0000-000000000000", "type": kind, "name": "x"});
            assert_eq!(
                subscription_of(&item).unwrap().as_deref(),
                Some("/subscriptions/20000000-0004-0000-0000-000000000000")
            );
        }
        let group = json!({"id": "/providers/Microsoft.Management/managementGroups/g1", "type": "Microsoft.Management/managementGroups"});
        assert_eq!(subscription_of(&group).unwrap(), None);
        let other = json!({"id": "/providers/Microsoft.Management/managementGroups/g1/x", "type": "Something/else"});
        assert!(subscription_of(&other).is_err());
        assert!(subscription_of(&json!({"id": 5})).is_err());
    }
}
