//! The longest chain of dependent requests an audit of one workspace needs against a fake
//! ARM (pages counted): the floor no collector can beat, computed from the link graph and
//! what the fake serves, independently of how the collector schedules its reads.

use amlsec::documents::{elements, text};
use amlsec::graph::{self, Find, Scope, TargetKind};
use serde_json::{Value, json};

use crate::fake_arm::FakeArm;

/// Requests in the longest dependent chain for auditing `ws` with the targets `wanted`.
pub fn longest_chain(fake: &FakeArm, ws: &str, wanted: &[TargetKind]) -> usize {
    let kinds = graph::closure(wanted);
    let mut found: Vec<(TargetKind, usize, Vec<Value>)> = Vec::new();
    let settings = amlsec::cloud::Settings::default();
    let pages = |path: &str| {
        let n = fake.served(path).map_or(0, |items| items.len());
        n.div_ceil(fake.page_size()).max(1)
    };
    let get = |id: &str| fake.document(id);
    for kind in kinds {
        let (depth, parents) = match kind.parent() {
            Some(p) => found
                .iter()
                .find(|(k, _, _)| *k == p)
                .map(|(_, d, docs)| (*d, docs.clone()))
                .unwrap_or_default(),
            None => (0, vec![]),
        };
        let first = parents.first();
        let id_of = |d: &Value| text(d, "id").to_string();
        let (cost, mut docs): (usize, Vec<Value>) = match kind.link().find {
            Find::Audited => (1, get(ws).into_iter().collect()),
            Find::WorkspaceBody { hub } => match first {
                Some(b) if text(b, "kind").eq_ignore_ascii_case("project") => {
                    (1, get(text(b, hub)).into_iter().collect())
                }
                Some(b) => (0, vec![b.clone()]),
                None => (0, vec![]),
            },
            Find::Reference { property, .. } => match first.map(|d| text(d, property)) {
                Some(id) if !id.is_empty() => (1, get(id).into_iter().collect()),
                _ => (0, vec![]),
            },
            Find::ReferenceChild {
                property, child, ..
            } => match first.map(|d| text(d, property)) {
                Some(id) if !id.is_empty() => {
                    (1, get(&format!("{id}/{child}")).into_iter().collect())
                }
                _ => (0, vec![]),
            },
            Find::Children {
                path, complete_at, ..
            } => match first {
                Some(p) => {
                    let collection = format!("{}/{path}", id_of(p));
                    let items = fake.served(&collection).unwrap_or_default();
                    let refetch = complete_at
                        .is_some_and(|c| items.iter().any(|i| elements(i, c).is_empty()));
                    (pages(&collection) + usize::from(refetch), items)
                }
                None => (0, vec![]),
            },
            Find::Select { .. } => (0, parents.clone()),
            // The parent's documents and the other target's, already costed where read.
            Find::Union { with } => {
                let other = TargetKind::named(with);
                let more = found
                    .iter()
                    .find(|(k, _, _)| *k == other)
                    .map(|(_, _, docs)| docs.clone())
                    .unwrap_or_default();
                (0, parents.iter().cloned().chain(more).collect())
            }
            Find::ListDocument { path } | Find::ScopeList { path, .. } => {
                let scope = match kind.link().find {
                    Find::ScopeList { scope, .. } => match scope {
                        Scope::Workspace => Some(ws.to_string()),
                        Scope::ResourceGroup => amlsec::arm_id::resource_group(ws),
                        Scope::Subscription => amlsec::arm_id::subscription(ws),
                    },
                    _ => first.map(id_of),
                };
                match scope {
                    Some(s) => {
                        let collection = format!("{s}/{path}");
                        let items = fake.served(&collection).unwrap_or_default();
                        (
                            pages(&collection),
                            vec![json!({"id": collection, "value": items})],
                        )
                    }
                    None => (0, vec![]),
                }
            }
            Find::References {
                path,
                when,
                id,
                read,
            } => {
                let mut ids: Vec<String> = Vec::new();
                for p in &parents {
                    for e in elements(p, path) {
                        if when.is_some_and(|(k, v)| !text(e, k).eq_ignore_ascii_case(v)) {
                            continue;
                        }
                        let found = if id.is_empty() {
                            e.as_str().unwrap_or("")
                        } else {
                            text(e, id)
                        };
                        if !found.is_empty() && graph::keeps_reference(&kind, found, &settings) {
                            ids.push(found.to_string());
                        }
                    }
                }
                let docs: Vec<Value> = ids
                    .iter()
                    .filter_map(|i| if read { get(i) } else { Some(json!({"id": i})) })
                    .collect();
                (usize::from(read && !ids.is_empty()), docs)
            }
            Find::Child { path, .. } => (
                usize::from(!parents.is_empty()),
                parents
                    .iter()
                    .filter_map(|p| get(&format!("{}/{path}", id_of(p))))
                    .collect(),
            ),
            Find::SqlServers => {
                let sub = amlsec::arm_id::subscription(ws).unwrap_or_default();
                let list = format!("{sub}/providers/Microsoft.Sql/servers");
                (pages(&list) + 1, fake.served(&list).unwrap_or_default())
            }
        };
        // Included lists are read after the document, all in parallel.
        let mut include_pages = 0;
        for doc in &mut docs {
            for include in kind.link().includes {
                let path = format!("{}/{}", id_of(doc), include.path);
                include_pages = include_pages.max(pages(&path));
                doc[include.member] = Value::Array(fake.served(&path).unwrap_or_default());
            }
        }
        found.push((kind, depth + cost + include_pages, docs));
    }
    found.iter().map(|(_, d, _)| *d).max().unwrap_or(0)
}
