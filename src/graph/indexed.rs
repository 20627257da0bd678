//! What Azure Resource Graph holds of the types the links read: the table each type is in,
//! and what its rows stand for. With `--resource-graph`, the collector reads these with one
//! paged query per table and batch of subscriptions instead of a GET per document; a document
//! the graph does not return is still read by GET, so its absence is never taken as fact.

#[cfg(test)]
use super::LINKS;
use super::{AML_REGISTRY, AML_WORKSPACE, FOUNDRY_ACCOUNT, Find, Scope, TargetKind};

/// The Resource Graph API version amlsec queries with.
pub const API_VERSION: &str = "2024-04-01";
/// Subscriptions per query: Resource Graph takes at most 1,000; 300 keeps a query's text and
/// its answer small.
pub const SUBSCRIPTIONS_PER_QUERY: usize = 300;

/// What a row of an indexed type gives the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Yields {
    /// The document a GET of its id returns.
    Document,
    /// A virtual network: each of its subnets, as a GET of the subnet's id returns it.
    Subnets,
    /// The items of the subscription-wide list of its type (Defender pricings), when the
    /// graph returns at least one for the subscription.
    SubscriptionList,
}

#[derive(Debug)]
pub struct Indexed {
    /// `resources`, `securityresources`, …
    pub table: &'static str,
    pub resource_type: &'static str,
    pub yields: Yields,
}

const fn doc(resource_type: &'static str) -> Indexed {
    Indexed {
        table: "resources",
        resource_type,
        yields: Yields::Document,
    }
}

/// Every type read through Resource Graph. Role and policy assignments stay GETs: their lists
/// are "at or above a scope" (management groups included), which one filtered query would
/// have to reimplement, and an empty answer would have to be believed.
pub const INDEXED: &[Indexed] = &[
    doc(AML_WORKSPACE),
    doc(AML_REGISTRY),
    // Account bodies only: Resource Graph indexes none of their child types (Annex B §B.1).
    doc(FOUNDRY_ACCOUNT),
    doc("Microsoft.Storage/storageAccounts"),
    doc("Microsoft.KeyVault/vaults"),
    doc("Microsoft.ContainerRegistry/registries"),
    doc("Microsoft.Insights/components"),
    doc("Microsoft.Network/privateEndpoints"),
    doc("Microsoft.Network/privateDnsZones"),
    doc("Microsoft.Network/networkSecurityGroups"),
    Indexed {
        table: "resources",
        resource_type: "Microsoft.Network/virtualNetworks",
        yields: Yields::Subnets,
    },
    Indexed {
        table: "securityresources",
        resource_type: "Microsoft.Security/pricings",
        yields: Yields::SubscriptionList,
    },
    // Custom role definitions and policy set definitions of the subscriptions; built-in ones
    // have no subscription, so they are still read by GET (once per run).
    Indexed {
        table: "authorizationresources",
        resource_type: "Microsoft.Authorization/roleDefinitions",
        yields: Yields::Document,
    },
    Indexed {
        table: "policyresources",
        resource_type: "Microsoft.Authorization/policySetDefinitions",
        yields: Yields::Document,
    },
];

/// The type of the documents an indexed type's rows yield.
pub fn yielded_type(indexed: &Indexed) -> &'static str {
    match indexed.yields {
        Yields::Subnets => "Microsoft.Network/virtualNetworks/subnets",
        _ => indexed.resource_type,
    }
}

/// Whether Resource Graph may hold the answer to reading `path`: a document of an indexed
/// type by id (a subnet, for virtual networks), or a subscription list it indexes. Such reads
/// wait for the graph's answer; every other read can start at once.
pub fn may_answer(path: &str, list: bool) -> bool {
    let path = crate::arm_id::normalise(path);
    let of = |t: &str, yields: Yields| {
        INDEXED
            .iter()
            .any(|i| i.yields == yields && i.resource_type.eq_ignore_ascii_case(t))
    };
    if list {
        // `/subscriptions/{s}/providers/{type}`: the type is what `{path}/x` would denote.
        let subscription_level = crate::arm_id::resource_group(path).is_none();
        return subscription_level
            && crate::arm_id::derive_type(&format!("{path}/x"))
                .is_some_and(|t| of(&t, Yields::SubscriptionList));
    }
    match crate::arm_id::derive_type(path) {
        Some(t) => {
            of(&t, Yields::Document)
                || t.strip_suffix("/subnets")
                    .is_some_and(|v| of(v, Yields::Subnets))
        }
        None => false,
    }
}

/// The indexed types a run that reads `kinds` needs: a type some wanted link reads by id, or
/// (for a subscription list) lists at a subscription.
pub fn needed(kinds: &[TargetKind]) -> Vec<&'static Indexed> {
    INDEXED
        .iter()
        .filter(|i| {
            kinds.iter().any(|k| {
                let link = k.link();
                let by_id = !matches!(link.find, Find::ScopeList { .. } | Find::Children { .. })
                    && link.resource_type.eq_ignore_ascii_case(yielded_type(i));
                let listed = matches!(
                    link.find,
                    Find::ScopeList {
                        scope: Scope::Subscription,
                        ..
                    }
                ) && link.resource_type.eq_ignore_ascii_case(i.resource_type);
                match i.yields {
                    Yields::SubscriptionList => listed,
                    _ => by_id,
                }
            })
        })
        .collect()
}

/// The one query form amlsec sends, so that a fake can answer it and a reviewer can audit
/// it: no joins, no summarize, no mv-expand (Resource Graph truncates those silently); the
/// joins happen in the link graph.
pub fn query(table: &str, types: &[&str], subscriptions: &[String]) -> String {
    let quoted = |items: &mut dyn Iterator<Item = String>| {
        items
            .map(|s| format!("'{}'", s.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let types = quoted(&mut types.iter().map(|t| t.to_ascii_lowercase()));
    let subscriptions = quoted(&mut subscriptions.iter().cloned());
    format!(
        "{table} | where type in~ ({types}) | where subscriptionId in~ ({subscriptions}) \
         | project id, name, type, kind, location, tags, sku, identity, properties \
         | order by id asc"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_graph_may_answer_are_told_from_the_others() {
        let rg = "/subscriptions/s/resourceGroups/rg/providers";
        assert!(may_answer(
            &format!("{rg}/Microsoft.Storage/storageAccounts/st"),
            false
        ));
        assert!(may_answer(
            &format!("{rg}/Microsoft.Network/virtualNetworks/v/subnets/a"),
            false
        ));
        assert!(may_answer(
            "/subscriptions/s/providers/Microsoft.Security/pricings",
            true
        ));
        // Lists, and types the graph does not index, never wait for it.
        assert!(!may_answer(
            &format!("{rg}/Microsoft.Storage/storageAccounts"),
            true
        ));
        assert!(!may_answer(
            &format!("{rg}/Microsoft.MachineLearningServices/workspaces/w/computes/c"),
            false
        ));
        assert!(!may_answer(
            &format!(
                "{rg}/Microsoft.MachineLearningServices/workspaces/w/providers/Microsoft.Insights/diagnosticSettings"
            ),
            true
        ));
    }

    #[test]
    fn every_indexed_type_yields_what_a_link_reads() {
        for i in INDEXED {
            assert!(
                LINKS
                    .iter()
                    .any(|l| l.resource_type.eq_ignore_ascii_case(yielded_type(i))),
                "{}",
                i.resource_type
            );
        }
    }

    #[test]
    fn only_what_the_wanted_targets_read_is_queried() {
        let kinds = crate::graph::closure(&[TargetKind::named("storage")]);
        let types: Vec<&str> = needed(&kinds).iter().map(|i| i.resource_type).collect();
        assert_eq!(
            types,
            [AML_WORKSPACE, "Microsoft.Storage/storageAccounts"],
            "the audited workspace and its storage account"
        );
        let kinds = crate::graph::closure(&[TargetKind::named("compute-nsg")]);
        let types: Vec<&str> = needed(&kinds).iter().map(|i| i.resource_type).collect();
        assert!(
            types.contains(&"Microsoft.Network/virtualNetworks"),
            "{types:?}"
        );
        assert!(types.contains(&"Microsoft.Network/networkSecurityGroups"));
        assert!(!types.contains(&"Microsoft.Security/pricings"));
    }

    #[test]
    fn the_query_has_the_one_readable_form() {
        let q = query(
            "resources",
            &["Microsoft.Storage/storageAccounts", AML_WORKSPACE],
            &["s1".to_string(), "s'2".to_string()],
        );
        assert_eq!(
            q,
            "resources | where type in~ ('microsoft.storage/storageaccounts', \
             'microsoft.machinelearningservices/workspaces') | where subscriptionId in~ ('s1', 's2') \
             | project id, name, type, kind, location, tags, sku, identity, properties | order by id asc"
        );
    }
}
