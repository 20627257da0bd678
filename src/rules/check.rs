//! Rule paths checked against what the documents can hold: every property against the ARM
//! catalogue of its target's type at the pinned api-version, every `amlsec.*` fact against the
//! facts the link graph derives for that target. A misspelt property would otherwise read as
//! missing and could pass.

use serde_json::Value;

use super::Control;
use super::condition::{Arg, Condition, Operand};
use super::path::{Path, PathStep, Root};
use crate::error::Position;
use crate::graph::{TargetKind, catalogue};

/// A path the catalogue does not know: where, and why in words.
pub struct Unknown {
    pub at: Option<Position>,
    pub message: String,
}

/// Where relative paths start: a target's document, or somewhere inside it.
#[derive(Clone)]
struct Here {
    node: &'static Value,
    owner: TargetKind,
}

/// Checks every path of a control; `uncatalogued` lists path prefixes the rule declares
/// deliberately outside the catalogue (a preview property).
pub fn check(control: &Control, uncatalogued: &[String]) -> Vec<Unknown> {
    let mut checker = Checker {
        control,
        uncatalogued,
        problems: Vec::new(),
    };
    let here = checker.start(&control.target);
    for c in [&control.applies, &control.pass, &control.manual]
        .into_iter()
        .flatten()
    {
        checker.condition(c, here.as_ref());
    }
    for path in &control.evidence.paths {
        checker.path(path, here.as_ref());
    }
    checker.problems
}

struct Checker<'c> {
    control: &'c Control,
    uncatalogued: &'c [String],
    problems: Vec<Unknown>,
}

impl Checker<'_> {
    fn start(&self, kind: &TargetKind) -> Option<Here> {
        catalogue::document_tree(kind).map(|node| Here {
            node,
            owner: kind.clone(),
        })
    }

    fn condition(&mut self, c: &Condition, here: Option<&Here>) {
        match c {
            Condition::AllOf(items) | Condition::AnyOf(items) => {
                items.iter().for_each(|c| self.condition(c, here))
            }
            Condition::Not(c) => self.condition(c, here),
            Condition::Compare(cmp) => {
                match &cmp.left {
                    Operand::Field(p) | Operand::Value(Arg::Field(p)) => {
                        self.path(p, here);
                    }
                    Operand::Value(_) => {}
                    Operand::Count(count) => {
                        // Inside `where`, paths start at each element counted.
                        let inner = match &count.over {
                            Operand::Field(p) | Operand::Value(Arg::Field(p)) => self.path(p, here),
                            _ => None,
                        };
                        if let Some(f) = &count.filter {
                            self.condition(f, inner.as_ref());
                        }
                        if let Some(d) = &count.distinct {
                            self.path(d, inner.as_ref());
                        }
                    }
                }
                if let Some(Arg::Field(p)) = cmp.op.arg() {
                    self.path(p, here);
                }
            }
        }
    }

    /// Walks a path through the catalogue; what it reaches, when that is known.
    fn path(&mut self, path: &Path, here: Option<&Here>) -> Option<Here> {
        let start = self.root(path, here)?;
        if self.uncatalogued.iter().any(|u| {
            path.as_str()
                .to_ascii_lowercase()
                .starts_with(&u.to_ascii_lowercase())
        }) {
            return None;
        }
        let link = start.owner.link();
        let mut node = start.node;
        let mut steps = path.steps().peekable();
        while let Some(step) = steps.next() {
            if catalogue::is_open(node) {
                return None;
            }
            let next = match step {
                // Facts are derived by amlsec, not read from ARM: the graph declares them.
                PathStep::Key(k) if k.eq_ignore_ascii_case("amlsec") => {
                    match self.fact(path, link, steps.next()) {
                        Some(tree) => {
                            node = tree;
                            continue;
                        }
                        None => return None,
                    }
                }
                // A map (additional properties) takes any key.
                PathStep::Key(k) => match catalogue::member(node, k).or(node.get("{*}")) {
                    Some(child) => child,
                    None => {
                        let hint = catalogue::suggest(node, k)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        self.unknown(
                            path,
                            format!(
                                "`{k}` in `{}` is not a property of {}@{}{hint} (list the path under `uncatalogued:` if it is deliberate, e.g. a preview property)",
                                path.as_str(),
                                link.resource_type,
                                link.api_version
                            ),
                        );
                        return None;
                    }
                },
                PathStep::Elements => match node.get("[*]") {
                    Some(items) => items,
                    None => {
                        self.unknown(
                            path,
                            format!(
                                "`{}` takes the elements of something that is not a list in {}@{}",
                                path.as_str(),
                                link.resource_type,
                                link.api_version
                            ),
                        );
                        return None;
                    }
                },
                // A map's values, or any member's value of an object with named members.
                PathStep::Values => node.get("{*}")?,
            };
            node = next;
        }
        Some(Here {
            node,
            owner: start.owner,
        })
    }

    /// Where a path starts: the current element, the control's target, or a context.
    fn root(&mut self, path: &Path, here: Option<&Here>) -> Option<Here> {
        match path.root() {
            Root::Current => here.cloned(),
            Root::Context(name) if name == "root" => self.start(&self.control.target),
            Root::Context(name) => {
                // A context of another subject kind (`$workspace` in a registry control) is
                // never resolved for this control's subject.
                let context = TargetKind::named(name);
                let (theirs, ours) = (
                    crate::graph::subject_of(&context),
                    crate::graph::subject_of(&self.control.target),
                );
                if theirs != ours {
                    self.problems.push(Unknown {
                        at: path.at,
                        message: format!(
                            "{}: `${name}` belongs to the {} subject; target {} is evaluated per {}",
                            self.control.id, theirs.noun.0, self.control.target, ours.noun.0
                        ),
                    });
                    return None;
                }
                self.start(&context)
            }
        }
    }

    /// The catalogue of the fact `amlsec.<step>` reaches, when it is another target's
    /// documents; a name that is no fact of the target is a problem.
    fn fact(
        &mut self,
        path: &Path,
        link: &crate::graph::Link,
        step: Option<PathStep<'_>>,
    ) -> Option<&'static Value> {
        match step {
            // A fact that is another target's documents: checked against its type.
            Some(PathStep::Key(fact)) if link.facts.iter().any(|f| f.name == fact) => {
                let declared = link.facts.iter().find(|f| f.name == fact);
                let of = declared
                    .filter(|f| f.from != crate::graph::FactFrom::Computed)
                    .and_then(|f| f.needs.first())
                    .and_then(|n| TargetKind::parse(n).ok());
                match (of, declared.map(|f| f.from)) {
                    (Some(n), Some(crate::graph::FactFrom::Gather)) => catalogue::list_tree(&n),
                    (Some(n), Some(_)) => catalogue::document_tree(&n),
                    _ => None,
                }
            }
            other => {
                let facts: Vec<&str> = link.facts.iter().map(|f| f.name).collect();
                let found = match other {
                    Some(PathStep::Key(f)) => format!("`amlsec.{f}`"),
                    _ => "`amlsec`".into(),
                };
                self.unknown(
                    path,
                    format!(
                        "{found} is not a fact of the {} target; its facts: {}",
                        link.name,
                        if facts.is_empty() {
                            "none".into()
                        } else {
                            facts.join(", ")
                        }
                    ),
                );
                None
            }
        }
    }

    fn unknown(&mut self, path: &Path, message: String) {
        self.problems.push(Unknown {
            at: path.at,
            message: format!("{}: {message}", self.control.id),
        });
    }
}
