//! Collection as a dataflow over the link graph: each target's reads start as soon as its
//! parent's reads have answered, so the wall time follows the longest chain of dependent reads
//! (pages counted), and a slow paged list holds back only what is found through it. Only the
//! targets asked for (and their parents) are read; a read shared by workspaces (a
//! subscription's pricings, a hub, a role definition) is made once.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::client::ArmClient;
use crate::arm_id;
use crate::cloud::Settings;
use crate::documents::{Documents, ReadFailure, elements, text};
use crate::graph::SubjectId;
use crate::graph::{self, Find, Scope, Subject, TargetKind, api};

mod resource_graph;

type Read = Result<Value, ReadFailure>;
/// A read's query parameters.
type Query = &'static [(&'static str, &'static str)];

/// A read's answer as the run keeps it: the reply's JSON text, parsed again by each reader
/// (so a run holds text, several times smaller than the parsed trees), or the failure.
type Stored = Result<Arc<str>, ReadFailure>;

fn stored(value: &Value) -> Arc<str> {
    serde_json::to_string(value)
        .expect("a Value serialises")
        .into()
}

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).expect("text the collector wrote from a Value")
}
/// The documents a target's reads produced, which its children are found from.
type Found = Arc<Vec<Value>>;
type Node<'a> = Pin<Box<dyn Future<Output = Found> + Send + 'a>>;

pub struct Collector {
    client: Arc<ArmClient>,
    settings: Settings,
    /// Subscriptions whose SQL servers are listed to resolve SQL hosts (§1.4).
    subscriptions: Vec<String>,
    /// The SQL servers of those subscriptions by host name (lower case), listed once for the
    /// whole run however many workspaces look a host up.
    sql_hosts: OnceCell<HashMap<String, String>>,
    /// The targets to read for each subject kind, parents first.
    kinds: Vec<(&'static Subject, Vec<TargetKind>)>,
    /// Every read's answer by path (a list's under its path, a document's under its id).
    memo: Mutex<HashMap<String, Arc<OnceCell<Stored>>>>,
    failures: Mutex<Vec<ReadFailure>>,
    /// Ids of the documents Resource Graph provided, for the snapshot's record.
    from_graph: Mutex<Vec<String>>,
    found: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
    /// Subjects being read at once: each holds its targets' documents while it waits for its
    /// reads, so a run's memory follows this, not the estate.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// And per subscription, so a throttled subscription never holds them all.
    per_subscription: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// True while Resource Graph is being read: a read it may answer waits for it, every
    /// other read goes on meanwhile.
    graph_pending: tokio::sync::watch::Sender<bool>,
}

/// Subjects read at once, in all and per subscription (see [`Collector::start`]).
const SUBJECTS_IN_FLIGHT: usize = 64;
const SUBJECTS_IN_FLIGHT_PER_SUBSCRIPTION: usize = 16;

impl Collector {
    pub fn new(
        client: Arc<ArmClient>,
        settings: Settings,
        subscriptions: Vec<String>,
        wanted: &[TargetKind],
        graph: bool,
    ) -> Arc<Collector> {
        Arc::new(Collector {
            client,
            settings,
            subscriptions,
            sql_hosts: OnceCell::new(),
            kinds: graph::SUBJECTS
                .iter()
                .map(|s| {
                    let mine: Vec<TargetKind> = graph::closure(wanted)
                        .into_iter()
                        .filter(|k| graph::subject_of(k) == s)
                        .collect();
                    (s, mine)
                })
                .collect(),
            memo: Mutex::new(HashMap::new()),
            failures: Mutex::new(Vec::new()),
            from_graph: Mutex::new(Vec::new()),
            found: Default::default(),
            done: Default::default(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(SUBJECTS_IN_FLIGHT)),
            per_subscription: Mutex::new(HashMap::new()),
            graph_pending: tokio::sync::watch::Sender::new(graph),
        })
    }

    /// Resource Graph has answered (or failed): the reads waiting for it go on.
    pub fn graph_finished(&self) {
        self.graph_pending.send_replace(false);
    }

    pub fn subjects_done(&self) -> usize {
        self.done.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn subjects_found(&self) -> usize {
        self.found.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Collects every subject concurrently (the client bounds the requests in flight).
    pub async fn collect(self: &Arc<Self>, subjects: &[SubjectId]) {
        let mut tasks = tokio::task::JoinSet::new();
        for (subject, id) in subjects {
            self.start(&mut tasks, subject, id.clone());
        }
        while tasks.join_next().await.is_some() {}
    }

    fn start(
        self: &Arc<Self>,
        tasks: &mut tokio::task::JoinSet<()>,
        subject: &'static Subject,
        id: String,
    ) {
        let me = Arc::clone(self);
        me.found.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let subscription = arm_id::key(&arm_id::subscription(&id).unwrap_or_default());
        let own = Arc::clone(
            me.per_subscription
                .lock()
                .expect("slots lock")
                .entry(subscription)
                .or_insert_with(|| {
                    Arc::new(tokio::sync::Semaphore::new(
                        SUBJECTS_IN_FLIGHT_PER_SUBSCRIPTION,
                    ))
                }),
        );
        me.read_ahead(subject, &id);
        tasks.spawn(async move {
            // Its subscription's turn first, then a place among all: a subject waiting for a
            // throttled subscription holds no place another subscription could use.
            let _own = own.acquire_owned().await;
            let _place = Arc::clone(&me.in_flight).acquire_owned().await;
            me.subject(subject, &id).await;
            me.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
    }

    /// While Resource Graph is read, the subjects in flight soon all wait for it: the lists a
    /// subject will read that depend on its id alone (its child lists, the lists at its
    /// scopes, those its body includes) are read ahead meanwhile, one at a time per subject,
    /// into the memo, where the subject finds them. Reading ahead stops when the graph has
    /// answered; a list left unread then is read by the subject as before.
    fn read_ahead(self: &Arc<Self>, subject: &'static Subject, id: &str) {
        if !*self.graph_pending.borrow() {
            return;
        }
        let Some((_, kinds)) = self.kinds.iter().find(|(s, _)| *s == subject) else {
            return;
        };
        let mut lists: Vec<(String, &'static str, Query)> = Vec::new();
        for kind in kinds {
            let link = kind.link();
            let under_subject = kind
                .parent()
                .is_some_and(|p| matches!(p.link().find, Find::Audited));
            match link.find {
                Find::Audited => lists.extend(
                    link.includes
                        .iter()
                        .map(|i| (format!("{id}/{}", i.path), i.api_version, &[][..])),
                ),
                Find::ScopeList {
                    scope,
                    path,
                    at_scope,
                    ..
                } => {
                    let (collection, query) = scope_list(id, scope, path, at_scope);
                    lists.push((collection, link.api_version, query));
                }
                Find::Children { path, .. } | Find::ListDocument { path } if under_subject => {
                    lists.push((format!("{id}/{path}"), link.api_version, &[]));
                }
                _ => {}
            }
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            for (path, api, query) in lists {
                if !*me.graph_pending.borrow() {
                    break;
                }
                // A failure is kept in the memo too: the subject meets it there.
                let _ = me.stored(&path, true, api, query).await;
            }
        });
    }

    /// Every workspace (and every other subject whose kind is not `undiscovered`) of these
    /// resource groups or subscriptions, each collected as soon as its discovery page arrives;
    /// sorted by kind and id. Items of a kind the subject does not audit (Cognitive Services
    /// accounts that are not Foundry accounts) are dropped. A workspace discovery read that fails fails it all (which workspaces exist is
    /// then unknown), unless the scopes are a `tenant`'s subscriptions. A list that fails
    /// otherwise is returned beside the subjects (Annex A §1.6): the audit is incomplete,
    /// what could be listed is still audited.
    pub async fn discover_and_collect(
        self: &Arc<Self>,
        scopes: &[String],
        undiscovered: &[&'static Subject],
        tenant: bool,
    ) -> Result<(Vec<SubjectId>, Vec<ReadFailure>), ReadFailure> {
        let tasks = std::cell::RefCell::new(tokio::task::JoinSet::new());
        let ids: std::cell::RefCell<BTreeMap<(usize, String), SubjectId>> = Default::default();
        // Every kind's list in every scope at once: each is a chain of pages, and one kind's
        // pages need not wait for another's.
        let lists = graph::SUBJECTS
            .iter()
            .enumerate()
            .filter(|(_, s)| !undiscovered.contains(s) || *s == graph::workspace_subject())
            .flat_map(|(rank, subject)| scopes.iter().map(move |scope| (rank, subject, scope)));
        let listed = join_all(lists.map(|(rank, subject, scope)| {
            let (tasks, ids) = (&tasks, &ids);
            async move {
                let is_workspace = subject == graph::workspace_subject();
                let path = format!("{scope}/providers/{}", subject.resource_type);
                let discovered = self
                    .client
                    .list_pages(&path, subject.api_version(), &[], |page| {
                        for item in page {
                            if subject.audits_kind(&item, &self.settings) == Some(false) {
                                continue;
                            }
                            let id = arm_id::normalise(text(&item, "id")).to_string();
                            let key = (rank, arm_id::key(&id));
                            if ids.borrow().contains_key(&key) {
                                continue;
                            }
                            // Registry and account list items are complete bodies: not read
                            // again.
                            if !is_workspace {
                                self.seed(&id, item);
                            }
                            ids.borrow_mut().insert(key, (subject, id.clone()));
                            self.start(&mut tasks.borrow_mut(), subject, id);
                        }
                    })
                    .await;
                (is_workspace, discovered)
            }
        }))
        .await;
        let mut tasks = tasks.into_inner();
        let mut unlisted = Vec::new();
        for (is_workspace, discovered) in listed {
            match discovered {
                Ok(()) => {}
                // Named scopes: which workspaces exist is unknown. Across a tenant, one
                // unreadable subscription is reported and the others go on.
                Err(f) if is_workspace && !tenant => {
                    tasks.abort_all();
                    return Err(f);
                }
                Err(f) => {
                    self.failures.lock().expect("failures lock").push(f.clone());
                    unlisted.push(f);
                }
            }
        }
        while tasks.join_next().await.is_some() {}
        Ok((ids.into_inner().into_values().collect(), unlisted))
    }

    /// The one answer to reading `path`, however many readers and seeds ask for it.
    fn cell(&self, path: &str) -> Arc<OnceCell<Stored>> {
        let mut memo = self.memo.lock().expect("memo lock");
        Arc::clone(memo.entry(arm_id::key(path)).or_default())
    }

    /// Records a document already read (a complete list item) as the answer to its GET.
    fn seed(&self, id: &str, doc: Value) {
        let _ = self.cell(id).set(Ok(stored(&doc)));
    }

    /// Whether the selected controls read anything of this kind of subject.
    pub fn reads_for(&self, subject: &Subject) -> bool {
        self.kinds
            .iter()
            .any(|(s, kinds)| *s == subject && !kinds.is_empty())
    }

    /// A document already read (by GET, from a list or from Resource Graph).
    pub fn read_document(&self, id: &str) -> Option<Value> {
        let memo = self.memo.lock().expect("memo lock");
        let cell = memo.get(&arm_id::key(id))?;
        cell.get().and_then(|r| r.as_ref().ok().map(|t| parsed(t)))
    }

    /// The Foundry accounts these workspaces' connections name (Annex B §B.1): each
    /// workspace's connection list, read once however many targets need it.
    pub async fn foundry_accounts_named_by(&self, workspaces: &[&str]) -> Vec<String> {
        let lists = join_all(workspaces.iter().map(|ws| async move {
            self.list(&format!("{ws}/connections"), api::ML, &[])
                .await
                .unwrap_or_default()
        }))
        .await;
        let mut accounts: Vec<String> = Vec::new();
        for connection in lists.iter().flatten() {
            if let Some(id) = graph::named_foundry_account(connection)
                && !accounts.iter().any(|a| arm_id::same(a, &id))
            {
                accounts.push(id);
            }
        }
        accounts
    }

    /// The failed read of a path, if it failed.
    pub fn failure(&self, path: &str) -> Option<ReadFailure> {
        let key = arm_id::key(path);
        self.failures
            .lock()
            .expect("failures lock")
            .iter()
            .find(|f| arm_id::key(f.path.split('?').next().unwrap_or_default()) == key)
            .cloned()
    }

    /// The documents and failed reads collected: taken, as the run's last step (each answer
    /// is dropped as it moves into the store). List items go in first: a GET body of the same
    /// id (a compute read on its own) replaces its list item.
    pub fn documents(&self) -> Documents {
        let memo = std::mem::take(&mut *self.memo.lock().expect("memo lock"));
        let mut docs = Documents::default();
        let mut bodies: Vec<Arc<str>> = Vec::new();
        // The kept texts go in as they are, never parsed into trees and written again.
        let kept = "text the collector wrote from a Value";
        for (_, cell) in memo {
            let Some(Ok(text)) = cell.get().cloned() else {
                continue;
            };
            drop(cell);
            match serde_json::from_str::<Vec<&RawValue>>(&text) {
                Ok(items) => {
                    for item in items {
                        docs.insert_read(item.get()).expect(kept);
                    }
                }
                Err(_) => bodies.push(text),
            }
        }
        for text in bodies {
            docs.insert_read(&text).expect(kept);
        }
        for f in self.failures.lock().expect("failures lock").iter() {
            docs.record_failure(f.clone());
        }
        docs
    }

    /// One read, made once per path however many workspaces need it.
    async fn read(&self, path: &str, list: bool, api: &str, query: &[(&str, &str)]) -> Read {
        match self.stored(path, list, api, query).await {
            Ok(text) => Ok(parsed(&text)),
            Err(f) => Err(f),
        }
    }

    /// The kept answer to a read, reading it when it is the first to ask.
    async fn stored(&self, path: &str, list: bool, api: &str, query: &[(&str, &str)]) -> Stored {
        if *self.graph_pending.borrow() && graph::indexed::may_answer(path, list) {
            let mut pending = self.graph_pending.subscribe();
            // The sender lives as long as the collector: this ends when the graph is read.
            let _ = pending.wait_for(|pending| !pending).await;
        }
        let cell = self.cell(path);
        cell.get_or_init(|| async {
            let result = if list {
                self.client.list(path, api, query).await.map(Value::Array)
            } else {
                self.client.get(path, api).await
            };
            if let Err(f) = &result {
                self.failures.lock().expect("failures lock").push(f.clone());
            }
            result.map(|v| stored(&v))
        })
        .await
        .clone()
    }

    async fn get(&self, id: &str, api: &str) -> Option<Value> {
        self.read(id, false, api, &[]).await.ok()
    }

    async fn list(&self, path: &str, api: &str, query: &[(&str, &str)]) -> Option<Vec<Value>> {
        match self.read(path, true, api, query).await {
            Ok(Value::Array(items)) => Some(items),
            _ => None,
        }
    }

    /// Every wanted target of one subject, each started when its parent is done.
    async fn subject(&self, subject: &'static Subject, id: &str) {
        let Some((_, kinds)) = self.kinds.iter().find(|(s, _)| *s == subject) else {
            return;
        };
        let cells: HashMap<&TargetKind, OnceCell<Found>> =
            kinds.iter().map(|k| (k, OnceCell::new())).collect();
        join_all(kinds.iter().map(|k| self.node(id, &cells, k))).await;
        self.read_joined_missing(kinds, &cells).await;
    }

    /// A name a joined fact looks for that its target's list does not hold is read once more
    /// by GET under the list's parent (a system content-filter policy the list left out,
    /// Annex B §B.2): found, it joins the list; not found, the fact is a failed read.
    async fn read_joined_missing(
        &self,
        kinds: &[TargetKind],
        cells: &HashMap<&TargetKind, OnceCell<Found>>,
    ) {
        let docs_of = |kind: &TargetKind| -> Vec<Value> {
            cells
                .get(kind)
                .and_then(OnceCell::get)
                .map(|d| d.as_ref().clone())
                .unwrap_or_default()
        };
        let mut reads: Vec<(String, &'static str)> = Vec::new();
        for kind in kinds {
            for fact in kind.link().facts {
                let graph::FactFrom::Join { property, on } = fact.from else {
                    continue;
                };
                let Some(joined) = fact.needs.first().and_then(|n| TargetKind::parse(n).ok())
                else {
                    continue;
                };
                let Find::Children { path, .. } = joined.link().find else {
                    continue;
                };
                let (Some(parent), true) = (joined.parent(), cells.contains_key(&joined)) else {
                    continue;
                };
                let held = docs_of(&joined);
                for parent in docs_of(&parent) {
                    let collection = format!("{}/{path}", text(&parent, "id"));
                    // Only where the list itself was read: a failed list fails the fact.
                    if self.failure(&collection).is_some() {
                        continue;
                    }
                    for doc in docs_of(kind) {
                        let name = text(&doc, property).trim();
                        let under = text(&doc, "id")
                            .to_ascii_lowercase()
                            .starts_with(&text(&parent, "id").to_ascii_lowercase());
                        let held = held
                            .iter()
                            .any(|h| text(h, on).trim().eq_ignore_ascii_case(name));
                        if !name.is_empty() && under && !held {
                            reads.push((format!("{collection}/{name}"), joined.link().api_version));
                        }
                    }
                }
            }
        }
        reads.sort();
        reads.dedup();
        join_all(reads.iter().map(|(id, api)| self.get(id, api))).await;
    }

    fn node<'a>(
        &'a self,
        ws: &'a str,
        cells: &'a HashMap<&'a TargetKind, OnceCell<Found>>,
        kind: &'a TargetKind,
    ) -> Node<'a> {
        Box::pin(async move {
            let cell = &cells[kind];
            cell.get_or_init(|| async {
                let mut parent = match kind.parent() {
                    Some(p) => match cells.get_key_value(&p) {
                        Some((p, _)) => self.node(ws, cells, p).await,
                        None => Arc::new(Vec::new()),
                    },
                    None => Arc::new(Vec::new()),
                };
                // A union's parents are its own and those of the target it adds.
                if let Find::Union { with } = kind.link().find
                    && let Some((with, _)) = cells.get_key_value(&TargetKind::named(with))
                {
                    let more = self.node(ws, cells, with).await;
                    parent = Arc::new(parent.iter().chain(more.iter()).cloned().collect());
                }
                Arc::new(self.read_target(ws, kind, &parent).await)
            })
            .await
            .clone()
        })
    }

    /// The reads of one target, given its parent's documents.
    async fn read_target(&self, ws: &str, kind: &TargetKind, parents: &[Value]) -> Vec<Value> {
        let link = kind.link();
        let api = link.api_version;
        let first = parents.first();
        let docs: Vec<Value> =
            match link.find {
                Find::Audited => self.get(ws, api).await.into_iter().collect(),
                Find::WorkspaceBody { hub } => match first {
                    Some(body) if text(body, "kind").eq_ignore_ascii_case("project") => {
                        match text(body, hub) {
                            "" => vec![],
                            hub => self.get(hub, api).await.into_iter().collect(),
                        }
                    }
                    Some(body) => vec![body.clone()],
                    None => vec![],
                },
                Find::Reference { property, .. } => match first.map(|d| text(d, property)) {
                    Some(id) if !id.is_empty() => self.get(id, api).await.into_iter().collect(),
                    _ => vec![],
                },
                Find::ReferenceChild {
                    property, child, ..
                } => match first.map(|d| text(d, property)) {
                    Some(id) if !id.is_empty() => self
                        .get(&format!("{id}/{child}"), api)
                        .await
                        .into_iter()
                        .collect(),
                    _ => vec![],
                },
                Find::Children {
                    path,
                    keep,
                    complete_at,
                } => self.children(parents, path, keep, complete_at, api).await,
                Find::Select { property, equals } => parents
                    .iter()
                    .filter(|d| text(d, property).eq_ignore_ascii_case(equals))
                    .cloned()
                    .collect(),
                Find::ListDocument { path } => join_all(parents.iter().map(|parent| async move {
                    let collection = format!("{}/{path}", text(parent, "id"));
                    let items = self.list(&collection, api, &[]).await;
                    items.map(|items| json!({"id": collection, "value": items}))
                }))
                .await
                .into_iter()
                .flatten()
                .collect(),
                Find::References {
                    path,
                    when,
                    id,
                    read,
                } => {
                    let ids = self.references(kind, parents, path, when, id);
                    join_all(ids.into_iter().map(|id| async move {
                        match read {
                            true => self.get(&id, api).await,
                            false => Some(json!({"id": id})),
                        }
                    }))
                    .await
                    .into_iter()
                    .flatten()
                    .collect()
                }
                Find::ScopeList {
                    scope,
                    path,
                    at_scope,
                    ..
                } => {
                    let (collection, query) = scope_list(ws, scope, path, at_scope);
                    self.list(&collection, api, query)
                        .await
                        .map(|items| json!({"id": collection, "value": items}))
                        .into_iter()
                        .collect()
                }
                Find::Child { path, .. } => join_all(parents.iter().map(|p| async move {
                    self.get(&format!("{}/{path}", text(p, "id")), api).await
                }))
                .await
                .into_iter()
                .flatten()
                .collect(),
                Find::SqlServers => self.sql_servers(parents, link.resource_type).await,
                // Its documents are read by the targets it joins.
                Find::Union { .. } => return parents.to_vec(),
            };
        // The child lists a target includes are read under each of its documents.
        join_all(
            docs.into_iter()
                .map(|doc| self.with_includes(doc, link.includes)),
        )
        .await
    }

    /// A document with the child lists its target includes, each read under it.
    async fn with_includes(&self, mut doc: Value, includes: &[graph::Include]) -> Value {
        for include in includes {
            let path = format!("{}/{}", text(&doc, "id"), include.path);
            let items = self.list(&path, include.api_version, &[]).await;
            if let (Some(obj), Some(items)) = (doc.as_object_mut(), items) {
                obj.insert(include.member.to_string(), Value::Array(items));
            }
        }
        doc
    }

    /// The items of a child list under each parent, those `keep` names; a list item without
    /// its inner properties is read on its own (§1.2).
    async fn children(
        &self,
        parents: &[Value],
        path: &str,
        keep: Option<(&str, &[&str])>,
        complete_at: Option<&str>,
        api: &str,
    ) -> Vec<Value> {
        let lists = join_all(parents.iter().map(|parent| async move {
            let collection = format!("{}/{path}", text(parent, "id"));
            self.list(&collection, api, &[]).await.unwrap_or_default()
        }))
        .await;
        let kept = lists.into_iter().flatten().filter(|d| {
            keep.is_none_or(|(property, values)| {
                values
                    .iter()
                    .any(|v| text(d, property).eq_ignore_ascii_case(v))
            })
        });
        join_all(kept.map(|item| async move {
            let incomplete =
                complete_at.is_some_and(|p| crate::documents::elements(&item, p).is_empty());
            match incomplete {
                true => self.get(text(&item, "id"), api).await.unwrap_or(item),
                false => item,
            }
        }))
        .await
    }

    /// The ids the parents' elements at `path` name (those `when` selects), by key.
    fn references(
        &self,
        kind: &TargetKind,
        parents: &[Value],
        path: &str,
        when: Option<(&str, &str)>,
        id: &str,
    ) -> Vec<String> {
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for parent in parents {
            for element in elements(parent, path) {
                if let Some((property, value)) = when
                    && !text(element, property).eq_ignore_ascii_case(value)
                {
                    continue;
                }
                let found = match id {
                    "" => element.as_str().map(str::trim).unwrap_or_default(),
                    at => text(element, at),
                };
                if !found.is_empty() && graph::keeps_reference(kind, found, &self.settings) {
                    ids.insert(arm_id::key(found), found.to_string());
                }
            }
        }
        ids.into_values().collect()
    }

    /// The SQL servers of the scanned subscriptions whose host names the SQL connections
    /// name (§1.4), with their Entra-only setting read by the child target.
    async fn sql_servers(&self, connections: &[Value], resource_type: &str) -> Vec<Value> {
        let hosts: Vec<String> = connections
            .iter()
            .filter_map(|c| graph::azure_sql_host(c, &self.settings))
            .collect();
        if hosts.is_empty() {
            return vec![];
        }
        let by_host = self
            .sql_hosts
            .get_or_init(|| async {
                let lists = join_all(self.subscriptions.iter().map(|s| async move {
                    let path = format!("{s}/providers/{resource_type}");
                    self.list(&path, api::SQL, &[]).await.unwrap_or_default()
                }))
                .await;
                lists
                    .iter()
                    .flatten()
                    .map(|s| {
                        (
                            text(s, "properties.fullyQualifiedDomainName").to_ascii_lowercase(),
                            text(s, "id").to_string(),
                        )
                    })
                    .collect()
            })
            .await;
        let mut ids: Vec<&String> = hosts.iter().filter_map(|h| by_host.get(h)).collect();
        ids.sort();
        ids.dedup();
        join_all(ids.into_iter().map(|id| self.get(id, api::SQL)))
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

/// A list at a subject's scope: its path, and the query that keeps it to that scope.
fn scope_list(subject: &str, scope: Scope, path: &str, at_scope: bool) -> (String, Query) {
    let scope_id = match scope {
        Scope::Workspace => subject.to_string(),
        Scope::ResourceGroup => arm_id::resource_group(subject).unwrap_or_default(),
        Scope::Subscription => arm_id::subscription(subject).unwrap_or_default(),
    };
    let query: Query = match at_scope {
        true => &[("$filter", "atScope()")],
        false => &[],
    };
    (format!("{scope_id}/{path}"), query)
}

/// Runs futures concurrently on the current task and returns their outputs in order.
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pending.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outputs[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    pending.clear();
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}
