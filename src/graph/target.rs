//! A target kind as rules name it: a link of the graph, with its argument where it takes one
//! (`defender-pricing(StorageAccounts)`, `diagnostic-settings(keyvault)`).

use std::fmt;

use super::{Arg, LINKS, Link, link_named};

/// A target: a declared link and its argument. It holds the link itself, so the hot paths
/// (parents, resolution) never search the declaration; it compares by name and argument.
#[derive(Clone)]
pub struct TargetKind {
    link: &'static Link,
    arg: Option<String>,
}

impl TargetKind {
    fn key(&self) -> (&'static str, Option<&str>) {
        (self.link.name, self.arg.as_deref())
    }
}

impl PartialEq for TargetKind {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for TargetKind {}

impl std::hash::Hash for TargetKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl PartialOrd for TargetKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TargetKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Debug for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TargetKind({self})")
    }
}

impl TargetKind {
    /// The target kind of a link that takes no argument.
    pub fn named(name: &str) -> TargetKind {
        TargetKind {
            link: link_named(name).expect("a declared link"),
            arg: None,
        }
    }

    pub fn link(&self) -> &'static Link {
        self.link
    }

    pub fn name(&self) -> &'static str {
        self.link.name
    }

    pub fn arg(&self) -> Option<&str> {
        self.arg.as_deref()
    }

    /// The target this one is found from.
    pub fn parent(&self) -> Option<TargetKind> {
        let link = self.link();
        let parent = match link.arg {
            Arg::Parent(options) => options
                .iter()
                .find(|(a, _)| Some(*a) == self.arg.as_deref())
                .map(|(_, p)| *p)?,
            _ if link.needs.is_empty() => return None,
            _ => link.needs,
        };
        link_named(parent).map(|link| TargetKind { link, arg: None })
    }

    pub fn parse(text: &str) -> Result<TargetKind, TargetError> {
        let text = text.trim();
        let (name, arg) = match text.split_once('(') {
            Some((n, rest)) => match rest.strip_suffix(')') {
                Some(a) => (n.trim(), Some(a.trim())),
                None => {
                    return Err(TargetError(format!("unknown target `{text}`: missing `)`")));
                }
            },
            None => (text, None),
        };
        let known = || {
            LINKS
                .iter()
                .map(|l| match l.arg {
                    Arg::None => l.name.to_string(),
                    Arg::Name(what) => format!("{}({what})", l.name),
                    Arg::Parent(_) => format!("{}(X)", l.name),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(link) = link_named(name) else {
            return Err(TargetError(format!(
                "unknown target `{text}`; known targets: {}",
                known()
            )));
        };
        let kind = |arg: Option<&str>| TargetKind {
            link,
            arg: arg.map(str::to_string),
        };
        match (link.arg, arg) {
            (Arg::None, None) => Ok(kind(None)),
            (Arg::None, Some(_)) => Err(TargetError(format!(
                "unknown target `{text}`: {name} takes no argument"
            ))),
            (Arg::Parent(options), Some(a)) if options.iter().any(|(o, _)| *o == a) => {
                Ok(kind(Some(a)))
            }
            (Arg::Parent(options), _) => Err(TargetError(format!(
                "unknown target `{text}`: {name} takes one of {}",
                options
                    .iter()
                    .map(|(o, _)| *o)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            (Arg::Name(_), Some(a))
                if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Ok(kind(Some(a)))
            }
            (Arg::Name(what), _) => Err(TargetError(format!(
                "unknown target `{text}`: name the {what}, e.g. defender-pricing(StorageAccounts)"
            ))),
        }
    }
}

/// A rule's target that names no target of the graph, or names it wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arg {
            Some(a) => write!(f, "{}({a})", self.link.name),
            None => f.write_str(self.link.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_target() {
        for link in LINKS.iter().filter(|l| l.arg == Arg::None) {
            assert_eq!(TargetKind::parse(link.name).unwrap().to_string(), link.name);
        }
        let d = TargetKind::parse("diagnostic-settings (keyvault)").unwrap();
        assert_eq!(d.to_string(), "diagnostic-settings(keyvault)");
        assert_eq!(d.parent().unwrap().to_string(), "keyvault");
        let w = TargetKind::parse("diagnostic-settings(workspace)").unwrap();
        assert_eq!(
            w.parent().unwrap().to_string(),
            "audited",
            "a project's own"
        );
        assert_eq!(
            TargetKind::parse("defender-pricing(Containers)")
                .unwrap()
                .to_string(),
            "defender-pricing(Containers)"
        );
        assert!(TargetKind::parse("diagnostic-settings(nsg)").is_err());
        assert!(TargetKind::parse("defender-pricing").is_err());
        assert!(TargetKind::parse("storage(x)").is_err());
        assert!(
            TargetKind::parse("vm")
                .unwrap_err()
                .0
                .starts_with("unknown target `vm`")
        );
    }
}
