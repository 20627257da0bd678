use std::collections::HashMap;

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
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404) || self.status.is_none() && self.code.is_none()
    }
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GET {}", self.path)?;
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

/// ARM documents keyed by id (case-insensitive), indexed by collection and by type, plus the
/// reads that failed.
#[derive(Debug, Default)]
pub struct Documents {
    docs: HashMap<String, Value>,
    collections: HashMap<String, Vec<String>>,
    types: HashMap<String, Vec<String>>,
    failures: HashMap<String, ReadFailure>,
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

impl Documents {
    /// Adds a document that has a string `id`; fills in `type` from the id when it is absent.
    /// A later document with the same id replaces an earlier one.
    pub fn insert(&mut self, mut doc: Value) {
        let Some(id) = doc.get("id").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let derived = arm_id::derive_type(&id);
        if let (Some(obj), Some(t)) = (doc.as_object_mut(), &derived) {
            obj.entry("type")
                .or_insert_with(|| Value::String(t.clone()));
        }
        let key = arm_id::key(&id);
        if self.docs.insert(key.clone(), doc).is_none() {
            self.collections
                .entry(arm_id::collection_key(&id))
                .or_default()
                .push(key.clone());
            if let Some(t) = derived {
                self.types
                    .entry(t.to_ascii_lowercase())
                    .or_default()
                    .push(key);
            }
        }
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

    pub fn failure(&self, path: &str) -> Option<&ReadFailure> {
        self.failures.get(&path_key(path))
    }

    /// The document with this id, if the source holds it.
    pub fn find(&self, id: &str) -> Option<&Value> {
        self.docs.get(&arm_id::key(id))
    }

    /// A document that something references: absent means a failed read (baseline.md §1.6).
    pub fn get(&self, id: &str) -> Result<&Value, ReadFailure> {
        if let Some(doc) = self.find(id) {
            return Ok(doc);
        }
        Err(self
            .failure(id)
            .cloned()
            .unwrap_or_else(|| ReadFailure::not_in_source(id)))
    }

    /// The children listed under `collection` (e.g. `{ws}/computes`), sorted by id; an
    /// unlisted collection is empty unless its read is recorded as failed.
    pub fn list(&self, collection: &str) -> Result<Vec<&Value>, ReadFailure> {
        if let Some(f) = self.failure(collection) {
            return Err(f.clone());
        }
        Ok(self.sorted(self.collections.get(&arm_id::key(collection))))
    }

    /// Every document of a resource type (case-insensitive), sorted by id.
    pub fn of_type(&self, resource_type: &str) -> Vec<&Value> {
        self.sorted(self.types.get(&resource_type.to_ascii_lowercase()))
    }

    fn sorted(&self, keys: Option<&Vec<String>>) -> Vec<&Value> {
        let mut keys: Vec<&String> = keys.map(|k| k.iter().collect()).unwrap_or_default();
        keys.sort();
        keys.into_iter().filter_map(|k| self.docs.get(k)).collect()
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
        assert_eq!(d.of_type("m.x/WS/computes").len(), 2);
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
