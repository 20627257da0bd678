//! A document as rules evaluate it: its JSON, and beside it (never inside it) the places
//! whose values could not be read. A snapshot can hold any key; a failed read is recorded
//! where no document can forge it.

use serde_json::Value;

use super::ReadFailure;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    /// Whether two steps name the same place (member names are case-insensitive in ARM).
    pub fn same(&self, other: &Step) -> bool {
        match (self, other) {
            (Step::Key(a), Step::Key(b)) => a.eq_ignore_ascii_case(b),
            (Step::Index(a), Step::Index(b)) => a == b,
            _ => false,
        }
    }
}

/// A place in a document whose value depends on a read that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unread {
    pub at: Vec<Step>,
    pub failure: ReadFailure,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    pub value: Value,
    pub unread: Vec<Unread>,
}

impl From<Value> for Doc {
    fn from(value: Value) -> Doc {
        Doc {
            value,
            unread: Vec::new(),
        }
    }
}

impl Doc {
    /// Marks the member path `keys` unreadable, leaving `null` there.
    pub fn set_unread(&mut self, keys: &[&str], failure: &ReadFailure) {
        let mut place = &mut self.value;
        for (i, key) in keys.iter().enumerate() {
            let Some(obj) = place.as_object_mut() else {
                break;
            };
            let slot = obj.entry(key.to_string()).or_insert(Value::Null);
            if i + 1 == keys.len() {
                *slot = Value::Null;
            } else if !slot.is_object() {
                *slot = Value::Object(Default::default());
            }
            place = slot;
        }
        self.unread.push(Unread {
            at: keys.iter().map(|k| Step::Key(k.to_string())).collect(),
            failure: failure.clone(),
        });
    }

    /// The failure behind `at`: an unread place at it or above it.
    pub fn unread_at(&self, at: &[Step]) -> Option<&ReadFailure> {
        unread_at(&self.unread, at)
    }

    /// The failure of an unread place at or below the member `key` (a whole list included
    /// at `key` could not be read, or part of it).
    /// The failure of an unread place on the way to, at, or below the member path `keys`
    /// (what a reference along that path may name is then unknown).
    pub fn unread_along(&self, keys: &[&str]) -> Option<&ReadFailure> {
        self.unread
            .iter()
            .find(|u| {
                u.at.iter()
                    .zip(keys)
                    .all(|(s, k)| s.same(&Step::Key(k.to_string())))
            })
            .map(|u| &u.failure)
    }

    pub fn unread_under(&self, key: &str) -> Option<&ReadFailure> {
        self.unread
            .iter()
            .find(|u| {
                u.at.first()
                    .is_some_and(|s| s.same(&Step::Key(key.to_string())))
            })
            .map(|u| &u.failure)
    }
}

/// The failure of the unread place at `at` or above it, if any.
pub fn unread_at<'u>(unread: &'u [Unread], at: &[Step]) -> Option<&'u ReadFailure> {
    unread
        .iter()
        .find(|u| u.at.len() <= at.len() && u.at.iter().zip(at).all(|(a, b)| a.same(b)))
        .map(|u| &u.failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unread_places_sit_beside_the_value() {
        let mut doc = Doc::from(json!({"id": "/x", "amlsec": {"a": 1}}));
        let f = ReadFailure::not_in_source("/y");
        doc.set_unread(&["amlsec", "b"], &f);
        assert_eq!(
            doc.value,
            json!({"id": "/x", "amlsec": {"a": 1, "b": null}})
        );
        let key = |k: &str| Step::Key(k.into());
        assert!(doc.unread_at(&[key("AMLSEC"), key("b")]).is_some());
        assert!(
            doc.unread_at(&[key("amlsec"), key("b"), Step::Index(0)])
                .is_some()
        );
        assert!(doc.unread_at(&[key("amlsec"), key("a")]).is_none());
        assert!(
            doc.unread_at(&[key("amlsec")]).is_none(),
            "an ancestor is readable"
        );
        assert!(doc.unread_under("amlsec").is_some());
    }
}
