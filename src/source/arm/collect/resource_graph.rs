//! Resource Graph's part of a collection: its rows recorded as the answers to the GETs and
//! lists they stand for, before those are read.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Collector, join_all, parsed, stored};
use crate::arm_id;
use crate::documents::{ReadFailure, elements, text};
use crate::graph::TargetKind;
use crate::graph::indexed::{Indexed, Yields};

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
        use crate::graph::indexed;
        let kinds: Vec<TargetKind> = self.kinds.iter().flat_map(|(_, k)| k.clone()).collect();
        let needed = indexed::needed(&kinds);
        let mut tables: Vec<&str> = needed.iter().map(|i| i.table).collect();
        tables.sort_unstable();
        tables.dedup();
        // Every table and batch at once: they are independent, and the reads by GET wait for
        // them all.
        let queries: Vec<(Vec<&Indexed>, &[String])> = tables
            .iter()
            .flat_map(|table| {
                let of_table: Vec<&Indexed> = needed
                    .iter()
                    .copied()
                    .filter(|i| i.table == *table)
                    .collect();
                subscriptions
                    .chunks(indexed::SUBSCRIPTIONS_PER_QUERY)
                    .map(move |batch| (of_table.clone(), batch))
            })
            .collect();
        // Each query's rows are recorded when it has answered in full, while the others are
        // still being read: a tenant's rows are never all held at once.
        let answers = join_all(queries.iter().map(|(of_table, batch)| {
            let types: Vec<&str> = of_table.iter().map(|i| i.resource_type).collect();
            let query = indexed::query(of_table[0].table, &types, batch);
            async move {
                let mut rows = GraphRows::default();
                self.client
                    .resource_graph(&query, batch, |page| rows.take(of_table, page))
                    .await?;
                Ok::<_, ReadFailure>(self.seed_rows(rows))
            }
        }))
        .await;
        let mut provided = 0;
        let mut first_failure = None;
        for answer in answers {
            match answer {
                Ok(n) => provided += n,
                Err(f) => {
                    first_failure.get_or_insert(f);
                }
            }
        }
        match first_failure {
            Some(f) => Err(f),
            None => Ok(provided),
        }
    }

    /// Records one query's rows as the answers to the reads they stand for; returns how many
    /// documents they provided.
    fn seed_rows(&self, rows: GraphRows<'_>) -> usize {
        let mut provided = 0;
        let mut lists: BTreeMap<String, Vec<(String, Arc<str>)>> = BTreeMap::new();
        let mut unlisted: HashSet<String> = HashSet::new();
        for (kind, id, body) in rows.taken {
            let list = || {
                let sub = arm_id::subscription(&id).unwrap_or_default();
                format!("{sub}/providers/{}", kind.resource_type)
            };
            if rows.by_id[&arm_id::key(&id)].is_none() {
                if let Yields::SubscriptionList = kind.yields {
                    unlisted.insert(list());
                }
                continue;
            }
            match kind.yields {
                Yields::Document => provided += self.seed_got(&id, body) as usize,
                Yields::Subnets => {
                    for subnet in subnets(&parsed(&body)) {
                        let id = text(&subnet, "id").to_string();
                        provided += self.seed_got(&id, stored(&subnet)) as usize;
                    }
                }
                Yields::SubscriptionList => lists.entry(list()).or_default().push((id, body)),
            }
        }
        // A subscription the graph returned nothing for is read by GET: an empty answer may
        // only mean the identity cannot see its rows.
        for (path, items) in lists {
            if unlisted.contains(&path) {
                continue;
            }
            provided += items.len();
            self.seed_list(&path, items);
        }
        provided
    }

    /// Records a Resource Graph document as the answer to the GET of its id, unless that was
    /// answered already; true if it was recorded.
    fn seed_got(&self, id: &str, body: Arc<str>) -> bool {
        let recorded = self.cell(id).set(Ok(body)).is_ok();
        if recorded {
            self.from_graph
                .lock()
                .expect("graph lock")
                .push(id.to_string());
        }
        recorded
    }

    /// The ids of the documents Resource Graph provided, sorted.
    pub fn graph_documents(&self) -> Vec<String> {
        let mut ids = self.from_graph.lock().expect("graph lock").clone();
        ids.sort_by_key(|id| arm_id::key(id));
        ids
    }

    /// Records the items of a list (ids and bodies) as the answer to reading that list.
    fn seed_list(&self, path: &str, items: Vec<(String, Arc<str>)>) {
        let bodies: Vec<&str> = items.iter().map(|(_, body)| &**body).collect();
        let list: Arc<str> = format!("[{}]", bodies.join(",")).into();
        if self.cell(path).set(Ok(list)).is_ok() {
            self.from_graph
                .lock()
                .expect("graph lock")
                .extend(items.into_iter().map(|(id, _)| id));
        }
    }
}

/// One query's rows as the documents they stand for, kept as text until the query has
/// answered in full (a failed query records nothing).
#[derive(Default)]
struct GraphRows<'q> {
    /// The type each row was taken as, its id and its body.
    taken: Vec<(&'q Indexed, String, Arc<str>)>,
    /// Rows by id key: where the first is in `taken`, or none when two rows for one id
    /// differ. Such rows are never resolved by their order (a stale row could hide a failing
    /// setting): that id, and a list holding it, is read by GET instead.
    by_id: HashMap<String, Option<usize>>,
}

impl<'q> GraphRows<'q> {
    fn take(&mut self, of_table: &[&'q Indexed], page: Vec<Value>) {
        for row in page {
            // A row is taken only when its id says it is of a type asked for.
            let row_type = arm_id::derive_type(text(&row, "id")).unwrap_or_default();
            let Some(kind) = of_table.iter().find(|i| {
                i.resource_type.eq_ignore_ascii_case(&row_type)
                    && text(&row, "type").eq_ignore_ascii_case(&row_type)
            }) else {
                continue;
            };
            let doc = graph_document(row, kind.resource_type);
            let id = text(&doc, "id").to_string();
            let body = stored(&doc);
            match self.by_id.entry(arm_id::key(&id)) {
                Entry::Vacant(e) => {
                    e.insert(Some(self.taken.len()));
                    self.taken.push((kind, id, body));
                }
                Entry::Occupied(mut e) => {
                    if e.get().is_some_and(|i| self.taken[i].2 != body) {
                        e.insert(None);
                    }
                }
            }
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
