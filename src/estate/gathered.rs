//! Facts that are other targets' documents ([`crate::graph::FactFrom`]), and the union of a
//! parent's instances with another target's: what a subject kind whose controls judge its
//! children at once (a Foundry account's capability hosts and connections) needs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::derived::with_facts;
use super::{Instance, InstanceState, Target};
use crate::arm_id;
use crate::documents::{ReadFailure, Step, Unread, text};
use crate::graph::{self, TargetKind};

/// A parent and the instances of another target as one target: a Foundry account and its
/// projects. An unreadable addition is an instance in error beside the parent's, so what was
/// read is still judged (Annex B §B.4).
pub(super) fn union(
    parent: Option<&Target>,
    with: Option<&Target>,
    id: &str,
    with_name: &str,
) -> Target {
    let Some(Target::Present(mine)) = parent else {
        return parent.cloned().unwrap_or_else(|| {
            Target::Failed(ReadFailure::bad_reference(
                id,
                "its parent target was not resolved",
            ))
        });
    };
    let mut items = mine.clone();
    match with {
        Some(Target::Present(more)) => items.extend(more.iter().cloned()),
        Some(Target::Absent(_)) => {}
        Some(Target::Failed(f)) => items.push(Instance {
            id: f.path.as_str().into(),
            state: InstanceState::Failed(f.clone()),
        }),
        None => items.push(Instance {
            id: id.into(),
            state: InstanceState::Failed(ReadFailure::bad_reference(
                id,
                &format!("{with_name} was not resolved for this audit"),
            )),
        }),
    }
    Target::Present(items)
}

/// Facts that are other targets' documents ([`graph::FactFrom`]): every document of a
/// target, or the one a property names. A target that could not be read, wholly or in part,
/// leaves the fact unknown where its documents would be.
pub(super) fn add_gathered_facts(targets: &mut BTreeMap<TargetKind, Target>, deployment: bool) {
    let kinds: Vec<TargetKind> = targets
        .keys()
        .filter(|k| {
            k.link()
                .facts
                .iter()
                .any(|f| f.from != graph::FactFrom::Computed)
        })
        .cloned()
        .collect();
    for kind in kinds {
        let link = kind.link();
        let sources: Vec<(&graph::Fact, Option<Target>)> = link
            .facts
            .iter()
            .filter(|f| f.from != graph::FactFrom::Computed)
            .map(|f| {
                let need = f.needs.first().and_then(|n| TargetKind::parse(n).ok());
                (f, need.and_then(|n| targets.get(&n).cloned()))
            })
            .collect();
        let Some(Target::Present(items)) = targets.get_mut(&kind) else {
            continue;
        };
        for item in items {
            let InstanceState::Doc(doc) = &mut item.state else {
                continue;
            };
            let mut facts = serde_json::Map::new();
            let mut unread: Vec<(Vec<Step>, ReadFailure)> = Vec::new();
            for (fact, source) in &sources {
                let derived = match fact.from {
                    graph::FactFrom::Join { property, on } => {
                        let wanted = text(&doc.value, property).trim().to_string();
                        if wanted.is_empty() {
                            continue;
                        }
                        let named = Named {
                            property,
                            wanted: &wanted,
                            on,
                        };
                        joined(fact, source.as_ref(), &named, deployment, &item.id)
                    }
                    _ => gathered(fact, source.as_ref(), &item.id),
                };
                match derived {
                    Ok(value) => {
                        facts.insert(fact.name.into(), value);
                    }
                    Err(failure) => unread.push((
                        vec![Step::Key("amlsec".into()), Step::Key(fact.name.into())],
                        failure,
                    )),
                }
            }
            doc.value = with_facts(doc.value.take(), Value::Object(facts));
            for (at, failure) in unread {
                doc.unread.push(Unread { at, failure });
            }
        }
    }
}

/// Every document of the source target; a part that could not be read makes it all unknown.
fn gathered(fact: &graph::Fact, source: Option<&Target>, id: &str) -> Result<Value, ReadFailure> {
    match source {
        Some(Target::Present(found)) => match first_failure(found) {
            Some(f) => Err(f),
            None => Ok(Value::Array(instance_docs(found))),
        },
        Some(Target::Absent(_)) => Ok(json!([])),
        Some(Target::Failed(f)) => Err(f.clone()),
        None => Err(ReadFailure::bad_reference(
            id,
            &format!("{}: not resolved", fact.name),
        )),
    }
}

/// What a joined fact looks for: the document whose `on` is `wanted`, named by `property`.
struct Named<'a> {
    property: &'a str,
    wanted: &'a str,
    on: &'a str,
}

/// The source's document whose `on` is `wanted`. Not found: the list's failure if part of it
/// failed; unknown in a template (it may name what exists already); else a failed reference.
fn joined(
    fact: &graph::Fact,
    source: Option<&Target>,
    named: &Named<'_>,
    deployment: bool,
    id: &str,
) -> Result<Value, ReadFailure> {
    let Named {
        property,
        wanted,
        on,
    } = named;
    let found = match source {
        Some(Target::Present(found)) => found,
        Some(Target::Failed(f)) => return Err(f.clone()),
        Some(Target::Absent(_)) => &Vec::new(),
        None => {
            return Err(ReadFailure::bad_reference(
                id,
                &format!("{}: not resolved", fact.name),
            ));
        }
    };
    if let Some(d) = instance_docs(found)
        .into_iter()
        .find(|d| text(d, on).trim().eq_ignore_ascii_case(wanted))
    {
        return Ok(d);
    }
    if let Some(f) = first_failure(found) {
        return Err(f);
    }
    let lists = fact.needs.join(", ");
    Err(match deployment {
        true => ReadFailure::unknown(
            id,
            &format!("{property} names `{wanted}`, which the template does not deploy"),
        ),
        false => ReadFailure::bad_reference(
            id,
            &format!("{property} names `{wanted}`, which the {lists} list does not hold"),
        ),
    })
}

fn instance_docs(items: &[Instance]) -> Vec<Value> {
    items
        .iter()
        .filter_map(|i| match &i.state {
            InstanceState::Doc(d) => Some(d.value.clone()),
            _ => None,
        })
        .collect()
}

fn first_failure(items: &[Instance]) -> Option<ReadFailure> {
    items.iter().find_map(|i| match &i.state {
        InstanceState::Failed(f) => Some(f.clone()),
        _ => None,
    })
}

pub(super) fn docs_of(target: &Target) -> Vec<&Value> {
    match target {
        Target::Present(items) => items
            .iter()
            .filter_map(|i| match &i.state {
                InstanceState::Doc(d) => Some(&d.value),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

/// The Log Analytics workspaces the estate's logs go to (AML-LT-07's set D), as facts on the
/// workspace target: `amlsec.logAnalyticsWorkspaceIds` (distinct, lower-cased) and
/// `amlsec.logAnalyticsSources`; a hole when a read they come from failed, or was not made.
pub(super) fn add_log_destinations(targets: &mut BTreeMap<TargetKind, Target>) {
    let Some(workspace) = graph::link_named("workspace") else {
        return;
    };
    let Some(fact) = workspace
        .facts
        .iter()
        .find(|f| f.name == "logAnalyticsWorkspaceIds")
    else {
        return;
    };
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut failure = None;
    for need in fact.needs {
        let kind = TargetKind::parse(need).expect("graph facts name valid targets");
        match targets.get(&kind) {
            None => {
                failure = failure.or(Some(ReadFailure::bad_reference(
                    need,
                    "not resolved for this audit",
                )))
            }
            Some(Target::Failed(f)) => failure = failure.or(Some(f.clone())),
            Some(target) if kind.name() == "insights" => {
                for doc in docs_of(target) {
                    let la = text(doc, "properties.WorkspaceResourceId");
                    if !la.is_empty() {
                        sources.push((la.to_string(), "insights".into()));
                    }
                }
            }
            Some(target) => {
                for list in docs_of(target) {
                    for setting in list["value"].as_array().into_iter().flatten() {
                        let la = text(setting, "properties.workspaceId");
                        if !la.is_empty() {
                            sources.push((
                                la.to_string(),
                                format!("{kind} {}", text(setting, "name")),
                            ));
                        }
                    }
                }
            }
        }
    }
    let ids: BTreeSet<String> = sources.iter().map(|(id, _)| arm_id::key(id)).collect();
    let sources: Vec<Value> = sources
        .into_iter()
        .map(|(id, source)| json!({"id": id, "source": source}))
        .collect();
    if let Some(Target::Present(items)) = targets.get_mut(&TargetKind::named("workspace"))
        && let Some(InstanceState::Doc(doc)) = items.first_mut().map(|i| &mut i.state)
    {
        if let Some(facts) = doc.value.get_mut("amlsec").and_then(Value::as_object_mut) {
            facts.insert("logAnalyticsWorkspaceIds".into(), json!(ids));
            facts.insert("logAnalyticsSources".into(), Value::Array(sources));
        }
        // A read they come from failed (or was not made): the destinations are unknown.
        if let Some(f) = failure {
            doc.set_unread(&["amlsec", "logAnalyticsWorkspaceIds"], &f);
            doc.set_unread(&["amlsec", "logAnalyticsSources"], &f);
        }
    }
}
