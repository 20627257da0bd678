//! Resource Graph's part of a collection: its rows recorded as the answers to the GETs and
//! lists they stand for, before those are read.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};

use super::{Collector, join_all, stored};
use crate::arm_id;
use crate::documents::{ReadFailure, elements, text};
use crate::graph::TargetKind;

impl Collector {
    /// Reads through Resource Graph what it indexes of the types this run reads, in the
    /// `subscriptions` (ids), and records each row as the answer to the GET of its id (or,
    /// for a subscription list, to that list). What the graph does not return is read by GET
    /// as before. Returns how many documents it provided; on a failure nothing is recorded
    /// from the failed query and every document of its types is read by GET.
    pub async fn prefetch_from_graph(
        &self,
        subscriptions: &[String],
    ) -> Result<usize, ReadFailure> {
        use crate::graph::indexed::{self, Yields};
        let kinds: Vec<TargetKind> = self.kinds.iter().flat_map(|(_, k)| k.clone()).collect();
        let needed = indexed::needed(&kinds);
        let mut tables: Vec<&str> = needed.iter().map(|i| i.table).collect();
        tables.sort_unstable();
        tables.dedup();
        // Every table and batch at once: they are independent, and the reads by GET wait for
        // them all.
        let queries: Vec<(Vec<&indexed::Indexed>, &[String])> = tables
            .iter()
            .flat_map(|table| {
                let of_table: Vec<&indexed::Indexed> = needed
                    .iter()
                    .copied()
                    .filter(|i| i.table == *table)
                    .collect();
                subscriptions
                    .chunks(indexed::SUBSCRIPTIONS_PER_QUERY)
                    .map(move |batch| (of_table.clone(), batch))
            })
            .collect();
        let answers = join_all(queries.iter().map(|(of_table, batch)| {
            let types: Vec<&str> = of_table.iter().map(|i| i.resource_type).collect();
            let query = indexed::query(of_table[0].table, &types, batch);
            async move { self.client.resource_graph(&query, batch).await }
        }))
        .await;
        let mut provided = 0;
        let mut first_failure = None;
        for ((of_table, _), answer) in queries.iter().zip(answers) {
            let rows = match answer {
                Ok(rows) => rows,
                Err(f) => {
                    first_failure.get_or_insert(f);
                    continue;
                }
            };
            let mut lists: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            let mut taken: Vec<(&indexed::Indexed, Value)> = Vec::new();
            // Rows by id: two different rows for one id are never resolved by their order
            // (a stale row could hide a failing setting); that id, and a list holding it, is
            // read by GET instead.
            let mut by_id: HashMap<String, Option<usize>> = HashMap::new();
            for row in rows {
                // A row is taken only when its id says it is of a type asked for.
                let row_type = arm_id::derive_type(text(&row, "id")).unwrap_or_default();
                let Some(kind) = of_table.iter().find(|i| {
                    i.resource_type.eq_ignore_ascii_case(&row_type)
                        && text(&row, "type").eq_ignore_ascii_case(&row_type)
                }) else {
                    continue;
                };
                let doc = graph_document(row, kind.resource_type);
                match by_id.entry(arm_id::key(text(&doc, "id"))) {
                    Entry::Vacant(e) => {
                        e.insert(Some(taken.len()));
                        taken.push((kind, doc));
                    }
                    Entry::Occupied(mut e) => {
                        if e.get().is_some_and(|i| taken[i].1 != doc) {
                            e.insert(None);
                        }
                    }
                }
            }
            let conflicting: HashSet<String> = by_id
                .iter()
                .filter(|(_, at)| at.is_none())
                .map(|(id, _)| id.clone())
                .collect();
            let mut unlisted: HashSet<String> = HashSet::new();
            for (kind, doc) in taken {
                if conflicting.contains(&arm_id::key(text(&doc, "id"))) {
                    if let Yields::SubscriptionList = kind.yields {
                        let sub = arm_id::subscription(text(&doc, "id")).unwrap_or_default();
                        unlisted.insert(format!("{sub}/providers/{}", kind.resource_type));
                    }
                    continue;
                }
                match kind.yields {
                    Yields::Document => provided += self.seed_got(doc) as usize,
                    Yields::Subnets => {
                        for subnet in subnets(&doc) {
                            provided += self.seed_got(subnet) as usize;
                        }
                    }
                    Yields::SubscriptionList => {
                        let sub = arm_id::subscription(text(&doc, "id")).unwrap_or_default();
                        let list = format!("{sub}/providers/{}", kind.resource_type);
                        lists.entry(list).or_default().push(doc);
                    }
                }
            }
            // A subscription the graph returned nothing for is read by GET: an empty
            // answer may only mean the identity cannot see its rows.
            for (path, items) in lists {
                if unlisted.contains(&path) {
                    continue;
                }
                provided += items.len();
                self.seed_list(&path, items);
            }
        }
        match first_failure {
            Some(f) => Err(f),
            None => Ok(provided),
        }
    }

    /// Records a Resource Graph document as the answer to the GET of its id, unless that was
    /// answered already; true if it was recorded.
    fn seed_got(&self, doc: Value) -> bool {
        let cell = self.cell(text(&doc, "id"));
        let recorded = cell.set(Ok(stored(&doc))).is_ok();
        if recorded {
            self.from_graph
                .lock()
                .expect("graph lock")
                .push(text(&doc, "id").to_string());
        }
        recorded
    }

    /// The ids of the documents Resource Graph provided, sorted.
    pub fn graph_documents(&self) -> Vec<String> {
        let mut ids = self.from_graph.lock().expect("graph lock").clone();
        ids.sort_by_key(|id| arm_id::key(id));
        ids
    }

    /// Records the items of a list as the answer to reading that list.
    fn seed_list(&self, path: &str, items: Vec<Value>) {
        let cell = self.cell(path);
        let list = Value::Array(items);
        if cell.set(Ok(stored(&list))).is_ok() {
            self.from_graph.lock().expect("graph lock").extend(
                list.as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| text(i, "id").to_string()),
            );
        }
    }
}

/// A Resource Graph row as a GET of its id returns the document: without the nulls the graph
/// gives for what the resource lacks, its ids normalised, and its type spelt as ARM spells it
/// (the graph lower-cases types).
fn graph_document(row: Value, resource_type: &str) -> Value {
    let mut doc = match row {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    };
    crate::documents::entry::normalise_ids(&mut doc);
    doc["type"] = Value::String(resource_type.to_string());
    doc
}

/// The subnets of a virtual network, each as a GET of the subnet returns it.
fn subnets(vnet: &Value) -> Vec<Value> {
    elements(vnet, "properties.subnets[*]")
        .into_iter()
        .filter(|s| !text(s, "id").is_empty())
        .map(|s| {
            let mut subnet = json!({
                "id": text(s, "id"),
                "name": text(s, "name"),
                "type": "Microsoft.Network/virtualNetworks/subnets",
            });
            if let Some(p) = s.get("properties") {
                subnet["properties"] = p.clone();
            }
            subnet
        })
        .collect()
}
