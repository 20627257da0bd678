use std::collections::HashMap as StdHashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::arm_id;

/// A read that failed: what `amlsec collect` records and what makes a control `error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadFailure {
    /// The request path (an ARM id, or a list path such as `{ws}/computes`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The source cannot tell (a template that references without deploying, or a value
    /// known at deployment time): the control is `unknown`, not `error`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
}

impl ReadFailure {
    /// A document that another one references but the source does not hold (baseline.md §1.6).
    pub fn not_in_source(path: &str) -> Self {
        ReadFailure {
            path: path.to_string(),
            status: None,
            code: None,
            message: "referenced, but not in the snapshot".into(),
            request_id: None,
            unknown: false,
        }
    }

    /// A reference that is itself missing or not a string (e.g. a project without `hubResourceId`).
    pub fn bad_reference(path: &str, what: &str) -> Self {
        ReadFailure {
            path: path.to_string(),
            status: None,
            code: None,
            message: what.to_string(),
            request_id: None,
            unknown: false,
        }
    }

    /// What a template cannot tell: `what` it is about and why.
    pub fn unknown(path: &str, why: &str) -> Self {
        ReadFailure {
            path: path.to_string(),
            status: None,
            code: None,
            message: why.to_string(),
            request_id: None,
            unknown: true,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404) || self.status.is_none() && self.code.is_none()
    }
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Nothing was requested: the template cannot tell.
        if self.unknown {
            return write!(f, "unknown: {} ({})", self.message, self.path);
        }
        // A request path (`/subscriptions/…`, a URL) is a GET; anything else names a value.
        if self.path.starts_with('/') || self.path.contains("://") {
            write!(f, "GET {}", self.path)?;
        } else {
            write!(f, "{}", self.path)?;
        }
        match (self.status, &self.code) {
            (Some(s), Some(c)) => write!(f, " failed: HTTP {s} {c}")?,
            (Some(s), None) => write!(f, " failed: HTTP {s}")?,
            (None, Some(c)) => write!(f, " failed: {c}")?,
            (None, None) => write!(f, ":")?,
        }
        if !self.message.is_empty() {
            write!(f, " {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (x-ms-request-id {id})")?;
        }
        Ok(())
    }
}

/// What a pre-deployment source (an ARM template) deploys, and what it cannot tell: the store
/// then answers "unknown", never "absent", for what lies outside the template.
#[derive(Debug, Default)]
pub struct Deployment {
    /// Keys of every resource the template deploys.
    pub deployed: std::collections::HashSet<String>,
    /// Per document key: the places whose values are known only at deployment time.
    pub unknown: StdHashMap<String, Vec<(Vec<super::Step>, String)>>,
    /// Per document key: where the template declares it.
    pub declared_at: StdHashMap<String, Location>,
    /// The template overlays an estate (a snapshot): what it does not deploy is read from the
    /// estate, with the estate's rules.
    pub overlay: bool,
}

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The store's maps: keyed by ids, hashed for every document of a snapshot and every read,
/// where SipHash took a twentieth of an audit; foldhash is still seeded per process.
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

/// Property value (lower-cased) -> ids of the documents that have it.
type Lookup = HashMap<String, Vec<Key>>;

/// A document's key (its id, normalised), shared by the store's indexes rather than copied
/// into each.
type Key = Arc<str>;

/// A document's JSON text and, from its second reader on, its parsed tree: a network, policy
/// or role that many workspaces share is parsed once, as cloning a tree costs less than
/// parsing its text again; a workspace's own documents, read once, are never kept parsed.
#[derive(Debug)]
struct Held {
    /// Valid JSON: every way in parses or serialises it first.
    text: Box<str>,
    read_before: std::sync::atomic::AtomicBool,
    /// Boxed: the map has a slot per document, and most are never kept parsed.
    tree: std::sync::OnceLock<Box<Value>>,
}

impl Held {
    fn new(text: Box<str>) -> Held {
        Held {
            text,
            read_before: Default::default(),
            tree: Default::default(),
        }
    }
}

/// A held document parsed; a missing `type` is derived from the id (some ARM children, such
/// as `privateDnsZoneGroups`, omit it).
fn parse(held: &Held) -> Option<Value> {
    let mut doc: Value = serde_json::from_str(&held.text).ok()?;
    if let Some(obj) = doc.as_object_mut()
        && !obj.contains_key("type")
        && let Some(t) = obj
            .get("id")
            .and_then(Value::as_str)
            .and_then(arm_id::derive_type)
    {
        obj.insert("type".into(), Value::String(t));
    }
    Some(doc)
}

/// ARM documents keyed by id (case-insensitive), indexed by collection and by type, plus the
/// reads that failed. Documents are kept as JSON text and parsed when asked for: a parsed
/// `Value` tree takes several times the text's size, and each document is read by one or two
/// workspaces only.
#[derive(Debug, Default)]
pub struct Documents {
    docs: HashMap<Key, Held>,
    collections: HashMap<Collection, Vec<Key>>,
    types: HashMap<String, Vec<Key>>,
    failures: HashMap<String, ReadFailure>,
    /// Documents at management-group scope, which are ancestors of every subscription.
    management_group_scoped: Vec<Key>,
    /// Lazily built `(type, property) -> value -> ids` lookups, so a search by property value
    /// (a SQL server by host name) costs one pass over the type, not one per workspace.
    lookups: Mutex<HashMap<(String, String), Arc<Lookup>>>,
    /// Set when the documents are what a template would deploy.
    deployment: Option<Deployment>,
}

/// For an AML compute document: whether it is a list item without `properties.properties`
/// (baseline.md §1.2), which gives way to the full document of the same id.
fn compute_list_item(doc: &Value) -> Option<bool> {
    let id = doc.get("id").and_then(Value::as_str)?;
    let is_compute = arm_id::derive_type(id).is_some_and(|t| {
        t.eq_ignore_ascii_case("Microsoft.MachineLearningServices/workspaces/computes")
    });
    is_compute.then(|| {
        doc.get("properties")
            .and_then(|p| crate::documents::member(p, "properties"))
            .is_none_or(Value::is_null)
    })
}

/// The comparison key of a request path: no scheme and host, no query, as an id key.
fn path_key(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let path = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("", |j| &path[i + 3 + j..]),
        None => path,
    };
    arm_id::key(path)
}

/// Adds `key` to the index entry `at`, making the entry's name only when it is new (this runs
/// for every document of a snapshot).
fn index<N>(index: &mut HashMap<N, Vec<Key>>, at: &str, key: &Key, name: impl FnOnce() -> N)
where
    N: std::borrow::Borrow<str> + std::hash::Hash + Eq,
{
    match index.get_mut(at) {
        Some(keys) => keys.push(Arc::clone(key)),
        None => {
            index.insert(name(), vec![Arc::clone(key)]);
        }
    }
}

/// A collection's name (`{ws}/computes`), held as the start of the key of the first document
/// listed in it rather than copied: a snapshot has nearly as many collections as documents.
#[derive(Debug)]
struct Collection {
    first: Key,
    len: usize,
}

impl Collection {
    fn of(key: &Key) -> Collection {
        Collection {
            first: Arc::clone(key),
            len: arm_id::collection_of(key).len(),
        }
    }

    fn name(&self) -> &str {
        &self.first[..self.len]
    }
}

impl std::borrow::Borrow<str> for Collection {
    fn borrow(&self) -> &str {
        self.name()
    }
}

/// As the name's, so the map can be asked with a `&str`.
impl std::hash::Hash for Collection {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state)
    }
}

impl PartialEq for Collection {
    fn eq(&self, other: &Collection) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Collection {}

/// What became of a document added under an id the store already holds (baseline.md §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    Added,
    /// An identical copy, or a compute list item the full document already stands for.
    Kept,
    /// The new document is the full compute document for a list item held before.
    Replaced,
    /// Two different documents with one id: the store keeps the first.
    Conflict,
}

impl Documents {
    /// Adds a document read live. Its ids are normalised and its secrets redacted first; a document that conflicts with
    /// one already held replaces it, as the collector adds list items before the GET bodies.
    pub fn insert(&mut self, mut doc: Value) {
        super::entry::normalise_ids(&mut doc);
        super::entry::redact_secrets(&mut doc);
        if let Some(id) = doc.get("id").and_then(Value::as_str).map(str::to_string) {
            let raw: Box<str> = serde_json::to_string(&doc)
                .expect("a Value serialises")
                .into();
            let key: Key = arm_id::key(&id).into();
            if self.insert_raw(key.clone(), raw.clone()) == Merge::Conflict {
                self.docs.insert(key, Held::new(raw));
            }
        }
    }

    /// Adds a document read live, as the JSON text the collector kept: text it serialised
    /// from a reply whose ids were normalised when it was decoded. Its secrets are redacted
    /// first (the one case that parses it); like [`Documents::insert`], it replaces a document
    /// it conflicts with. A text without a string `id` is not a document and is left out.
    pub fn insert_read(&mut self, raw: &str) -> Result<(), serde_json::Error> {
        #[derive(Deserialize)]
        struct Id<'a> {
            #[serde(borrow)]
            id: Option<std::borrow::Cow<'a, str>>,
        }
        let Ok(Id { id: Some(id) }) = serde_json::from_str::<Id<'_>>(raw) else {
            return Ok(());
        };
        let raw: Box<str> = match super::entry::secret_map(&id) {
            Some(_) => {
                let mut doc: Value = serde_json::from_str(raw)?;
                super::entry::redact_secrets(&mut doc);
                serde_json::to_string(&doc)?.into()
            }
            None => raw.into(),
        };
        let key: Key = arm_id::key(&id).into();
        if self.insert_raw(key.clone(), raw.clone()) == Merge::Conflict {
            self.docs.insert(key, Held::new(raw));
        }
        Ok(())
    }

    /// Adds a document's JSON text under its id, given what the full parse of it found: `raw`
    /// must be text that [`super::entry::check`] accepted. Its ids are normalised and its
    /// secrets redacted first where needed.
    pub fn insert_checked(
        &mut self,
        id: &str,
        raw: &str,
        needs_normalising: bool,
    ) -> Result<Merge, serde_json::Error> {
        let key: Key = arm_id::key(id).into();
        if !needs_normalising && self.docs.get(&key).is_some_and(|held| *held.text == *raw) {
            // An identical copy (a snapshot may repeat a shared document): not copied again.
            return Ok(Merge::Kept);
        }
        let raw = if needs_normalising || super::entry::secret_map(id).is_some() {
            let mut doc: Value = serde_json::from_str(raw)?;
            super::entry::normalise_ids(&mut doc);
            super::entry::redact_secrets(&mut doc);
            serde_json::to_string(&doc)?.into()
        } else {
            raw.into()
        };
        Ok(self.insert_raw(key, raw))
    }

    fn insert_raw(&mut self, key: Key, raw: Box<str>) -> Merge {
        if let Some(held) = self.docs.get(&key) {
            let held = &held.text;
            if *held == raw {
                return Merge::Kept;
            }
            let (held_doc, new_doc): (Value, Value) =
                match (serde_json::from_str(held), serde_json::from_str(&raw)) {
                    (Ok(a), Ok(b)) => (a, b),
                    _ => return Merge::Conflict,
                };
            if held_doc == new_doc {
                return Merge::Kept;
            }
            return match (compute_list_item(&held_doc), compute_list_item(&new_doc)) {
                (Some(true), Some(false)) => {
                    self.docs.insert(key, Held::new(raw));
                    Merge::Replaced
                }
                (Some(false), Some(true)) => Merge::Kept,
                _ => Merge::Conflict,
            };
        }
        self.docs.insert(key.clone(), Held::new(raw));
        index(
            &mut self.collections,
            arm_id::collection_of(&key),
            &key,
            || Collection::of(&key),
        );
        if key.starts_with("/providers/microsoft.management/managementgroups/") {
            self.management_group_scoped.push(key.clone());
        }
        if let Some(mut t) = arm_id::derive_type(&key) {
            t.make_ascii_lowercase();
            index(&mut self.types, &t, &key, || t.clone());
        }
        Merge::Added
    }

    /// The parsed document, for a reader: kept parsed from its second reader on.
    fn parse(&self, key: &str) -> Option<Value> {
        let held = self.docs.get(key)?;
        if let Some(tree) = held.tree.get() {
            return Some(Value::clone(tree));
        }
        let doc = parse(held)?;
        if held
            .read_before
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            let _ = held.tree.set(Box::new(doc.clone()));
        }
        Some(doc)
    }

    pub fn record_failure(&mut self, failure: ReadFailure) {
        self.failures.insert(path_key(&failure.path), failure);
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn failures(&self) -> impl Iterator<Item = &ReadFailure> {
        self.failures.values()
    }

    /// Every document's JSON text, sorted by id, for writing a snapshot.
    pub fn raw_documents(&self) -> Vec<&str> {
        let mut keys: Vec<&Key> = self.docs.keys().collect();
        keys.sort();
        keys.into_iter().map(|k| &*self.docs[k].text).collect()
    }

    /// The JSON text held for an id.
    pub fn text_of(&self, id: &str) -> Option<&str> {
        Some(&self.docs.get(arm_id::key(id).as_str())?.text)
    }

    pub fn failure(&self, path: &str) -> Option<ReadFailure> {
        self.failures
            .get(&path_key(path))
            .cloned()
            .or_else(|| self.unknown_list(path))
    }

    /// The document with this id, if the source holds it.
    pub fn find(&self, id: &str) -> Option<Value> {
        self.parse(&arm_id::key(id))
    }

    /// A document that something references: absent means a failed read (baseline.md §1.6),
    /// or, for a template, a resource it references without deploying (`unknown`).
    pub fn get(&self, id: &str) -> Result<Value, ReadFailure> {
        if let Some(doc) = self.find(id) {
            return Ok(doc);
        }
        if let Some(f) = self.failures.get(&path_key(id)) {
            return Err(f.clone());
        }
        Err(match &self.deployment {
            Some(d) if !d.overlay => {
                ReadFailure::unknown(id, "referenced by the template, not deployed by it")
            }
            _ => ReadFailure::not_in_source(id),
        })
    }

    /// The children listed under `collection` (e.g. `{ws}/computes`), sorted by id; an
    /// unlisted collection is empty unless its read is recorded as failed. For a template, a
    /// list is known only under a resource the template deploys, and never for what is
    /// inherited from above (role and policy assignments, locks).
    pub fn list(&self, collection: &str) -> Result<Vec<Value>, ReadFailure> {
        if let Some(f) = self.failure(collection) {
            return Err(f);
        }
        Ok(self.sorted(self.collections.get(arm_id::key(collection).as_str())))
    }

    /// The children a template deploys under `collection`, whether or not the whole list is
    /// known (others may exist beside them).
    pub fn deployed_children(&self, collection: &str) -> Vec<Value> {
        match &self.deployment {
            Some(_) => self.sorted(self.collections.get(arm_id::key(collection).as_str())),
            None => Vec::new(),
        }
    }

    /// The places of a document whose values only a deployment would know.
    pub fn unread_of(&self, id: &str) -> Vec<super::Unread> {
        let Some(d) = &self.deployment else {
            return Vec::new();
        };
        d.unknown
            .get(&arm_id::key(id))
            .into_iter()
            .flatten()
            .map(|(at, why)| super::Unread {
                at: at.clone(),
                failure: ReadFailure::unknown(id, why),
            })
            .collect()
    }

    /// Where the template declares a document, for a template source.
    pub fn declared_at(&self, id: &str) -> Option<&Location> {
        self.deployment.as_ref()?.declared_at.get(&arm_id::key(id))
    }

    /// Whether the documents are what a template would deploy.
    pub fn is_deployment(&self) -> bool {
        self.deployment.is_some()
    }

    /// Lays a template's documents over this estate, as the deployment would leave it: its
    /// documents replace the estate's of the same id; what it does not deploy is the
    /// estate's. A subject the template only references is audited if the estate has it.
    pub fn overlay(&mut self, template: Documents) {
        let Documents {
            docs,
            failures,
            deployment,
            ..
        } = template;
        let mut keys: Vec<&Key> = docs.keys().collect();
        keys.sort();
        for key in keys {
            if let Ok(doc) = serde_json::from_str::<Value>(&docs[key].text) {
                self.insert(doc);
            }
        }
        for f in failures.into_values() {
            if self.find(&f.path).is_none() && self.failure(&f.path).is_none() {
                self.record_failure(f);
            }
        }
        let mut deployment = deployment.unwrap_or_default();
        deployment.overlay = true;
        self.deployment = Some(deployment);
    }

    /// Makes the store a template's: what it does not deploy is unknown, not absent.
    pub fn set_deployment(&mut self, deployment: Deployment) {
        self.deployment = Some(deployment);
    }

    /// For a template: why a list cannot be known, if it cannot.
    fn unknown_list(&self, collection: &str) -> Option<ReadFailure> {
        let d = self.deployment.as_ref().filter(|d| !d.overlay)?;
        let key = arm_id::key(collection);
        let inherited = ["/microsoft.authorization/", "/microsoft.security/"]
            .iter()
            .any(|p| key.contains(p));
        let parent = arm_id::collection_parent(&key);
        let known = !inherited && parent.is_some_and(|p| d.deployed.contains(&p));
        (!known).then(|| {
            ReadFailure::unknown(
                collection,
                "outside the template: it lists what exists beyond what the template deploys",
            )
        })
    }

    /// Every document of a resource type (case-insensitive), sorted by id.
    pub fn of_type(&self, resource_type: &str) -> Vec<Value> {
        self.sorted(self.types.get(&resource_type.to_ascii_lowercase()))
    }

    /// The ids (as written) of every document of a resource type, sorted by id, read without
    /// building the documents.
    pub fn ids_of_type(&self, resource_type: &str) -> Vec<String> {
        #[derive(Deserialize)]
        struct IdOnly {
            id: String,
        }
        let mut keys: Vec<&Key> = self
            .types
            .get(&resource_type.to_ascii_lowercase())
            .map(|k| k.iter().collect())
            .unwrap_or_default();
        keys.sort();
        keys.into_iter()
            .filter_map(|k| serde_json::from_str::<IdOnly>(&self.docs[k].text).ok())
            .map(|d| d.id)
            .collect()
    }

    /// Extension resources of `resource_type` (e.g. `Microsoft.Authorization/locks`) whose scope
    /// is `id` or one of its ancestors, including management groups and the tenant root.
    pub fn scoped(&self, id: &str, resource_type: &str) -> Vec<Value> {
        let suffix = format!("/providers/{}", resource_type.to_ascii_lowercase());
        let id = arm_id::key(id);
        let mut keys: Vec<&Key> = Vec::new();
        let mut prefixes: Vec<&str> = vec![""];
        prefixes.extend(id.match_indices('/').skip(1).map(|(i, _)| &id[..i]));
        prefixes.push(&id);
        for prefix in prefixes {
            if let Some(children) = self.collections.get(format!("{prefix}{suffix}").as_str()) {
                keys.extend(children);
            }
        }
        let mg_type = format!("{suffix}/");
        keys.extend(self.management_group_scoped.iter().filter(|k| {
            k.find(&mg_type)
                .is_some_and(|at| !k[at + mg_type.len()..].contains('/'))
        }));
        keys.sort();
        keys.dedup();
        keys.into_iter().filter_map(|k| self.parse(k)).collect()
    }

    /// The document (first by id) of a type whose string property at `path` (dotted,
    /// case-insensitive names) equals `value`, ignoring case.
    pub fn find_by(&self, resource_type: &str, path: &str, value: &str) -> Option<Value> {
        let index = {
            let mut cache = self.lookups.lock().unwrap_or_else(|e| e.into_inner());
            let entry = cache.entry((resource_type.to_ascii_lowercase(), path.to_string()));
            Arc::clone(entry.or_insert_with(|| {
                let mut index = Lookup::default();
                for key in self
                    .types
                    .get(&resource_type.to_ascii_lowercase())
                    .into_iter()
                    .flatten()
                {
                    // Read for the index only: not a reader that makes the document kept.
                    let doc = self.docs.get(key).and_then(parse);
                    let mut v = doc.as_ref();
                    for seg in path.split('.') {
                        v = v.and_then(|x| crate::documents::member(x, seg));
                    }
                    if let Some(text) = v.and_then(Value::as_str) {
                        index
                            .entry(text.trim().to_ascii_lowercase())
                            .or_default()
                            .push(key.clone());
                    }
                }
                Arc::new(index)
            }))
        };
        let first = index
            .get(&value.trim().to_ascii_lowercase())?
            .iter()
            .min()?;
        self.parse(first)
    }

    fn sorted(&self, keys: Option<&Vec<Key>>) -> Vec<Value> {
        let mut keys: Vec<&Key> = keys.map(|k| k.iter().collect()).unwrap_or_default();
        keys.sort();
        keys.into_iter().filter_map(|k| self.parse(k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_children_and_types_case_insensitively() {
        let mut d = Documents::default();
        d.insert(json!({"id": "/S/rg/providers/M.X/ws/W1/computes/b"}));
        d.insert(json!({"id": "/s/RG/providers/m.x/ws/w1/computes/A", "type": "Given"}));
        let list = d.list("/s/rg/providers/M.X/ws/w1/computes/").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["type"], "Given");
        assert_eq!(list[1]["type"], "M.X/ws/computes");
        assert_eq!(d.ids_of_type("m.x/WS/computes").len(), 2);
        d.insert(json!({"id": "/subscriptions/S1"}));
        assert_eq!(
            d.ids_of_type("Microsoft.Resources/subscriptions"),
            ["/subscriptions/S1"]
        );
    }

    #[test]
    fn scoped_documents_come_from_the_id_and_its_ancestors() {
        let mut d = Documents::default();
        let lock = |scope: &str| json!({"id": format!("{scope}/providers/Microsoft.Authorization/locks/l")});
        for scope in [
            "/subscriptions/s",
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s/resourceGroups/rg-edge",
            "/subscriptions/s/resourceGroups/rg/providers/M.X/ws/w",
            "/providers/Microsoft.Management/managementGroups/root",
            "",
        ] {
            d.insert(lock(scope));
        }
        d.insert(json!({"id": "/providers/Microsoft.Management/managementGroups/root/providers/Microsoft.Authorization/roleAssignments/r"}));
        let found = d.scoped(
            "/subscriptions/S/resourceGroups/RG/providers/M.X/ws/w",
            "Microsoft.Authorization/locks",
        );
        assert_eq!(found.len(), 5, "not rg-edge, not the role assignment");
        assert_eq!(
            d.scoped("/subscriptions/s", "Microsoft.Authorization/locks")
                .len(),
            3
        );
    }

    #[test]
    fn a_document_read_again_is_the_same_and_its_readers_own_their_copies() {
        let mut d = Documents::default();
        d.insert(json!({"id": "/s/providers/M.X/nsg/n", "properties": {"rules": [1, 2]}}));
        let mut first = d.get("/s/providers/M.X/nsg/n").unwrap();
        first["properties"]["rules"] = json!("changed by a reader");
        let second = d.get("/s/providers/M.X/nsg/n").unwrap();
        let third = d.get("/S/providers/m.x/NSG/n").unwrap();
        assert_eq!(second["properties"]["rules"], json!([1, 2]));
        assert_eq!(second, third, "the kept tree is the parsed one");
        assert_eq!(third["type"], "M.X/nsg");
    }

    #[test]
    fn finds_documents_by_property() {
        let mut d = Documents::default();
        d.insert(json!({"id": "/s/providers/Microsoft.Sql/servers/a", "properties": {"fullyQualifiedDomainName": "A.database.windows.net"}}));
        d.insert(json!({"id": "/s/providers/Microsoft.Sql/servers/b", "properties": {"fullyQualifiedDomainName": "b.database.windows.net"}}));
        let fqdn = "properties.fullyQualifiedDomainName";
        let found = d.find_by("microsoft.sql/servers", fqdn, "a.DATABASE.windows.net");
        assert_eq!(found.unwrap()["id"], "/s/providers/Microsoft.Sql/servers/a");
        assert!(d.find_by("Microsoft.Sql/servers", fqdn, "c").is_none());
        let held = &d.docs["/s/providers/microsoft.sql/servers/a"];
        assert!(
            held.tree.get().is_none(),
            "indexing is not a second reader: a workspace's own server is not kept parsed"
        );
    }

    #[test]
    fn failures_match_paths_with_host_and_query() {
        let mut d = Documents::default();
        d.record_failure(ReadFailure {
            path: "https://management.azure.com/s/x/computes?api-version=1".into(),
            status: Some(403),
            code: Some("AuthorizationFailed".into()),
            message: "no".into(),
            request_id: Some("r1".into()),
            unknown: false,
        });
        let err = d.list("/S/X/computes").unwrap_err();
        assert_eq!(
            err.to_string(),
            "GET https://management.azure.com/s/x/computes?api-version=1 failed: HTTP 403 AuthorizationFailed no (x-ms-request-id r1)"
        );
        assert_eq!(
            d.get("/s/y").unwrap_err().message,
            "referenced, but not in the snapshot"
        );
    }
}
