//! ARM resource ids: normalisation and the few structural questions the engine asks of them.
//! Ids compare case-insensitively, ignoring one trailing `/` (baseline.md §1.3).

/// An id as written, trimmed and without one trailing `/`.
pub fn normalise(id: &str) -> &str {
    let id = id.trim();
    id.strip_suffix('/').unwrap_or(id).trim_end()
}

/// The comparison key of an id: its normal form, lower-cased.
pub fn key(id: &str) -> String {
    normalise(id).to_ascii_lowercase()
}

/// Whether two ids name the same resource.
pub fn same(a: &str, b: &str) -> bool {
    key(a) == key(b)
}

/// The last segment of an id (a resource's name, a role or policy GUID).
pub fn last_segment(id: &str) -> &str {
    let id = normalise(id);
    id.rsplit('/').next().unwrap_or(id)
}

/// A key without its last segment: the collection a child lives in (`{ws}/computes/c1` →
/// `{ws}/computes`).
pub fn collection_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..i])
}

/// The resource a collection lists under (its key): `{ws}` of `{ws}/computes` and of
/// `{ws}/providers/Microsoft.Insights/diagnosticSettings`.
pub fn collection_parent(collection: &str) -> Option<String> {
    let k = key(collection);
    let segs: Vec<&str> = k.split('/').collect();
    let cut = match segs.len() {
        n if n >= 4 && segs[n - 3] == "providers" => 3,
        n if n >= 2 => 1,
        _ => return None,
    };
    let parent = segs[..segs.len() - cut].join("/");
    (!parent.is_empty()).then_some(parent)
}

/// `/subscriptions/{sub}` of an id, as written in the id.
pub fn subscription(id: &str) -> Option<String> {
    let segs: Vec<&str> = segments(id).collect();
    (segs.len() >= 2 && segs[0].eq_ignore_ascii_case("subscriptions"))
        .then(|| format!("/subscriptions/{}", segs[1]))
}

/// `/subscriptions/{sub}/resourceGroups/{rg}` of an id, as written in the id.
pub fn resource_group(id: &str) -> Option<String> {
    let segs: Vec<&str> = segments(id).collect();
    (segs.len() >= 4
        && segs[0].eq_ignore_ascii_case("subscriptions")
        && segs[2].eq_ignore_ascii_case("resourcegroups"))
    .then(|| format!("/subscriptions/{}/resourceGroups/{}", segs[1], segs[3]))
}

/// Whether `ancestor` is `id` or a segment-aligned prefix of it
/// (`/rg-ml` is not an ancestor of `/rg-ml-edge`).
pub fn is_self_or_ancestor(ancestor: &str, id: &str) -> bool {
    let (a, i) = (key(ancestor), key(id));
    a.is_empty() || i == a || (i.starts_with(&a) && i.as_bytes().get(a.len()) == Some(&b'/'))
}

/// The resource type an id denotes, e.g.
/// `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe/privateDnsZoneGroups/d`
/// → `Microsoft.Network/privateEndpoints/privateDnsZoneGroups`. Types nest under the last
/// `providers` segment, so extension resources (diagnostic settings, locks) get their own type.
pub fn derive_type(id: &str) -> Option<String> {
    let segs: Vec<&str> = segments(id).collect();
    let provider_at = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"));
    match provider_at {
        Some(p) => {
            let namespace = segs.get(p + 1)?;
            let rest = &segs[p + 2..];
            if rest.is_empty() || !rest.len().is_multiple_of(2) {
                return None;
            }
            let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
            Some(format!("{namespace}/{}", types.join("/")))
        }
        None => match segs.len() {
            2 if segs[0].eq_ignore_ascii_case("subscriptions") => {
                Some("Microsoft.Resources/subscriptions".into())
            }
            4 if segs[2].eq_ignore_ascii_case("resourcegroups") => {
                Some("Microsoft.Resources/resourceGroups".into())
            }
            _ => None,
        },
    }
}

/// Whether an id has the form of an AML workspace id (`/subscriptions/{s}/resourceGroups/{rg}/
/// providers/Microsoft.MachineLearningServices/workspaces/{name}`).
pub fn is_workspace_id(id: &str) -> bool {
    let segs: Vec<&str> = normalise(id).split('/').collect();
    let is = |i: usize, word: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(word));
    segs.len() == 9
        && segs[0].is_empty()
        && is(1, "subscriptions")
        && is(3, "resourceGroups")
        && is(5, "providers")
        && is(6, "Microsoft.MachineLearningServices")
        && is(7, "workspaces")
        && [2, 4, 8].iter().all(|&i| !segs[i].trim().is_empty())
}

/// The VNet id of a subnet id (`…/virtualNetworks/v/subnets/s` → `…/virtualNetworks/v`).
pub fn vnet_of_subnet(subnet_id: &str) -> Option<String> {
    let trimmed = subnet_id.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let at = lower.rfind("/subnets/")?;
    Some(trimmed[..at].to_string())
}

fn segments(id: &str) -> impl Iterator<Item = &str> {
    id.trim().split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/subscriptions/S1/resourceGroups/RG-ML/providers/Microsoft.MachineLearningServices/workspaces/ws";

    #[test]
    fn keys_ignore_case_and_one_trailing_slash() {
        assert!(same(WS, &format!("{}/", WS.to_uppercase())));
        assert_eq!(last_segment("/a/b/GUID/"), "GUID");
    }

    #[test]
    fn ancestors_are_segment_aligned() {
        assert!(is_self_or_ancestor(
            "/subscriptions/s1/resourceGroups/rg-ml",
            WS
        ));
        assert!(is_self_or_ancestor(WS, WS));
        assert!(!is_self_or_ancestor(
            "/subscriptions/s1/resourceGroups/rg-ml",
            "/subscriptions/s1/resourceGroups/rg-ml-edge/providers/X/y/z"
        ));
        assert_eq!(subscription(WS).unwrap(), "/subscriptions/S1");
        assert_eq!(
            resource_group(WS).unwrap(),
            "/subscriptions/S1/resourceGroups/RG-ML"
        );
    }

    #[test]
    fn workspace_ids_are_recognised() {
        assert!(is_workspace_id(WS));
        assert!(is_workspace_id(&format!("{WS}/")));
        for bad in [
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x",
            "/subscriptions/s1/resourceGroups//providers/Microsoft.MachineLearningServices/workspaces/ws",
            "subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c",
        ] {
            assert!(!is_workspace_id(bad), "{bad}");
        }
    }

    #[test]
    fn types_are_derived_from_ids() {
        assert_eq!(
            derive_type("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe/privateDnsZoneGroups/default").unwrap(),
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
        );
        assert_eq!(
            derive_type(&format!(
                "{WS}/providers/Microsoft.Insights/diagnosticSettings/d"
            ))
            .unwrap(),
            "Microsoft.Insights/diagnosticSettings"
        );
        assert_eq!(
            derive_type("/subscriptions/s").unwrap(),
            "Microsoft.Resources/subscriptions"
        );
        assert_eq!(
            derive_type("/subscriptions/s/resourceGroups/rg/providers/X.Y/z"),
            None
        );
        assert_eq!(
            vnet_of_subnet("/s/virtualNetworks/v/subnets/a").unwrap(),
            "/s/virtualNetworks/v"
        );
    }
}
