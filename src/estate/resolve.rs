//! Resolution of targets from the documents, by walking the link graph: each target is found
//! from its parent the way [`crate::graph::LINKS`] declares it (baseline.md §1.2, §1.6).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::derived::{list_document, location, with_facts};
use super::gathered::{add_gathered_facts, add_log_destinations, docs_of, union};
use super::{Estate, Instance, InstanceState, Target, policy};
use crate::arm_id;
use crate::cloud::Settings;
use crate::documents::{Doc, Documents, ReadFailure, Unread, elements, member, text};
use crate::graph::{self, Find, Link, Scope, Shape, TargetKind};

/// Lists read at a subscription's scope (Defender pricings, the activity log's settings),
/// parsed once for every workspace of the subscription in a run.
#[derive(Default)]
pub struct Shared {
    lists: RefCell<HashMap<String, Result<Vec<Value>, ReadFailure>>>,
}

/// Resolves the targets `kinds` of the subject `id`: the wanted targets with every target
/// they need, parents first ([`graph::closure`], computed once per run, not per subject).
pub fn resolve(
    docs: &Documents,
    id: &str,
    settings: &Settings,
    kinds: &[TargetKind],
    shared: &Shared,
) -> Estate {
    let audited = docs.get(id).and_then(|body| {
        // A type with several kinds, one of them audited: ARM always says which (B.1).
        let kindless = graph::SUBJECTS.iter().any(|s| {
            arm_id::derive_type(id).is_some_and(|t| t.eq_ignore_ascii_case(s.resource_type))
                && s.audits_kind(&body, settings).is_none()
        });
        match kindless {
            true => Err(ReadFailure::bad_reference(
                id,
                "the body has no `kind`, which ARM always returns for this type",
            )),
            false => Ok(body),
        }
    });
    let mut targets: BTreeMap<TargetKind, Target> = BTreeMap::new();
    // A template that deploys children of a subject it does not deploy: the subject's own
    // settings are unknown, but its children are still judged.
    let stub = match &audited {
        Err(f) if f.unknown => Some(json!({"id": id, "name": arm_id::last_segment(id)})),
        _ => None,
    };
    match (&audited, &stub) {
        // Nothing about an unreadable workspace can be judged.
        (Err(failure), None) => {
            for kind in kinds {
                targets.insert(kind.clone(), Target::Failed(failure.clone()));
            }
        }
        (Ok(body), _) | (Err(_), Some(body)) => {
            let r = Resolver {
                docs,
                id,
                audited: body,
                audited_unknown: audited.as_ref().err().cloned(),
                settings,
                shared,
            };
            for kind in kinds {
                let parent = kind.parent().and_then(|p| targets.get(&p));
                let target = match kind.link().find {
                    Find::Union { with } => {
                        union(parent, targets.get(&TargetKind::named(with)), id, with)
                    }
                    _ => r.find(kind, parent),
                };
                targets.insert(kind.clone(), target);
            }
            add_log_destinations(&mut targets);
            add_gathered_facts(&mut targets, docs.is_deployment());
        }
    }
    Estate {
        unresolved: Target::Failed(ReadFailure::bad_reference(
            id,
            "a target this audit did not resolve",
        )),
        id: id.to_string(),
        audited,
        settings: settings.clone(),
        targets,
    }
}

struct Resolver<'a> {
    docs: &'a Documents,
    id: &'a str,
    audited: &'a Value,
    /// Why the audited body's own members are unknown (a template that does not deploy it).
    audited_unknown: Option<ReadFailure>,
    settings: &'a Settings,
    shared: &'a Shared,
}

impl Resolver<'_> {
    fn find(&self, kind: &TargetKind, parent: Option<&Target>) -> Target {
        let link = kind.link();
        let unresolved = || {
            Target::Failed(ReadFailure::bad_reference(
                self.id,
                &format!("{kind}: its parent target was not resolved"),
            ))
        };
        match (link.find, parent) {
            (Find::Audited, _) => single(Ok((
                id_of(self.audited, self.id),
                self.audited_doc(self.audited.clone()),
            ))),
            (Find::WorkspaceBody { hub }, _) => single(self.workspace_body(hub).map(|b| {
                let facts = json!({"nonEmptyTagKeys": non_empty_tag_keys(&b)});
                let id = id_of(&b, self.id);
                let doc = if arm_id::same(&id, self.id) {
                    self.audited_doc(with_facts(b, facts))
                } else {
                    self.stored(with_facts(b, facts))
                };
                (id, doc)
            })),
            (_, None) => unresolved(),
            (Find::Reference { property, required }, Some(p)) => {
                match reference(p, property, required, link) {
                    Ok(id) => single(self.docs.get(&id).map(|d| (id, self.stored(d)))),
                    Err(t) => t,
                }
            }
            (
                Find::ReferenceChild {
                    property,
                    required,
                    child,
                },
                Some(p),
            ) => match reference(p, property, required, link) {
                Ok(id) => {
                    let id = format!("{id}/{child}");
                    single(self.docs.get(&id).map(|d| (id, self.stored(d))))
                }
                Err(t) => t,
            },
            (
                Find::Children {
                    path,
                    keep,
                    complete_at,
                },
                Some(p),
            ) => self.children(p, path, keep, complete_at, link),
            (Find::Select { property, equals }, Some(p)) => filter_instances(
                p,
                |d| text(d, property).eq_ignore_ascii_case(equals),
                link.absent,
            ),
            (Find::ListDocument { path }, Some(p)) => self.list_documents(kind, p, path),
            (
                Find::References {
                    path,
                    when,
                    id,
                    read,
                },
                Some(p),
            ) => self.references(kind, p, path, when, id, read),
            (
                Find::ScopeList {
                    scope, path, shape, ..
                },
                _,
            ) => self.scope_list(kind, scope, path, shape),
            (
                Find::Child {
                    path,
                    missing_means_unset,
                },
                Some(p),
            ) => self.child(p, path, missing_means_unset),
            (Find::SqlServers, Some(p)) => self.sql_servers(p, link),
            (Find::Union { with }, Some(p)) => union(Some(p), None, self.id, with),
        }
    }

    /// A stored document with the places only a deployment would know (a template's).
    fn stored(&self, value: Value) -> Doc {
        let unread = self.docs.unread_of(&id_of(&value, ""));
        Doc { value, unread }
    }

    /// The audited body: for a subject a template does not deploy, every member is unknown.
    fn audited_doc(&self, value: Value) -> Doc {
        let mut doc = self.stored(value);
        if let Some(f) = &self.audited_unknown {
            for member in [
                "properties",
                "identity",
                "sku",
                "tags",
                "kind",
                "location",
                "amlsec",
            ] {
                doc.set_unread(&[member], f);
            }
        }
        doc
    }

    /// The body workspace-derived targets come from: the hub's, for a project (§1.2).
    fn workspace_body(&self, hub: &str) -> Result<Value, ReadFailure> {
        if !text(self.audited, "kind").eq_ignore_ascii_case("project") {
            return Ok(self.audited.clone());
        }
        let hub = text(self.audited, hub);
        if hub.is_empty() {
            return Err(ReadFailure::bad_reference(
                self.id,
                "project workspace without properties.hubResourceId",
            ));
        }
        self.docs.get(hub)
    }

    /// Each child of every parent instance's collection as an instance; none kept is an
    /// absent target. A single parent whose list fails fails the target; among several
    /// parents (the deployments of each online endpoint) a failed list is an instance in
    /// error, so only that parent's children are unknown (Annex A §1.6).
    fn children(
        &self,
        parent: &Target,
        path: &str,
        keep: Option<(&str, &[&str])>,
        complete_at: Option<&str>,
        link: &Link,
    ) -> Target {
        let Target::Present(parents) = parent else {
            return parent.clone();
        };
        let mut kept: Vec<Instance> = Vec::new();
        for p in parents {
            let parent_id = match &p.state {
                InstanceState::Doc(d) => id_of(&d.value, &p.id),
                InstanceState::Failed(f) if parents.len() == 1 => {
                    return Target::Failed(f.clone());
                }
                _ => {
                    kept.push(p.clone());
                    continue;
                }
            };
            let collection = format!("{parent_id}/{path}");
            let items = match self.docs.list(&collection) {
                Ok(items) => items,
                // A template adds children to a parent it does not deploy: those are judged,
                // and the others that may exist are one unknown instance beside them.
                Err(f) if f.unknown && !self.docs.deployed_children(&collection).is_empty() => {
                    kept.push(Instance {
                        id: collection.as_str().into(),
                        state: InstanceState::Failed(f),
                    });
                    self.docs.deployed_children(&collection)
                }
                Err(f) if parents.len() == 1 => return Target::Failed(f),
                Err(f) => {
                    kept.push(Instance {
                        id: collection.into(),
                        state: InstanceState::Failed(f),
                    });
                    continue;
                }
            };
            kept.extend(
                items
                    .into_iter()
                    .filter(|d| {
                        keep.is_none_or(|(property, values)| {
                            values
                                .iter()
                                .any(|v| text(d, property).eq_ignore_ascii_case(v))
                        })
                    })
                    .map(|d| {
                        let id = id_of(&d, &collection);
                        // A list item whose own read failed is never judged as complete
                        // (baseline.md §1.6, v0.3): the instance is the failed read.
                        let mut doc = self.stored(d);
                        // A list item whose own read failed is never judged as complete
                        // (baseline.md §1.6, v0.3): all of it is unread, though the item
                        // still says which kind of child it is.
                        if let Some(at) = complete_at
                            && elements(&doc.value, at).is_empty()
                            && let Some(failure) = self.docs.failure(&id)
                        {
                            doc.unread.push(Unread {
                                at: Vec::new(),
                                failure,
                            });
                        }
                        Instance {
                            id: id.into(),
                            state: InstanceState::Doc(doc),
                        }
                    }),
            );
        }
        if kept.is_empty() {
            Target::Absent(link.absent.into())
        } else {
            Target::Present(kept)
        }
    }

    /// The list under each parent instance as one document; a single parent that failed
    /// (or a list that did) fails the target, as for [`Self::children`].
    fn list_documents(&self, kind: &TargetKind, parent: &Target, path: &str) -> Target {
        let Target::Present(parents) = parent else {
            return parent.clone();
        };
        let mut instances: Vec<Instance> = Vec::new();
        for p in parents {
            let InstanceState::Doc(doc) = &p.state else {
                match &p.state {
                    InstanceState::Failed(f) if parents.len() == 1 => {
                        return Target::Failed(f.clone());
                    }
                    _ => instances.push(p.clone()),
                }
                continue;
            };
            let mut target = self.list_doc(&format!("{}/{path}", p.id));
            list_facts(kind, &mut target, &doc.value);
            match target {
                Target::Present(items) => instances.extend(items),
                Target::Failed(f) if parents.len() == 1 => return Target::Failed(f),
                Target::Failed(f) => instances.push(Instance {
                    id: format!("{}/{path}", p.id).into(),
                    state: InstanceState::Failed(f),
                }),
                Target::Absent(_) => {}
            }
        }
        if instances.is_empty() {
            Target::Absent(kind.link().absent.into())
        } else {
            Target::Present(instances)
        }
    }

    /// A list read as one document `{id, value: [...]}`, evaluated once (an empty list included).
    fn list_doc(&self, collection: &str) -> Target {
        match self.docs.list(collection) {
            Err(f) => Target::Failed(f),
            Ok(items) => list_target(collection, items),
        }
    }

    /// Distinct ids referenced by the parent's documents, each one instance. A parent instance
    /// that could not be read (or whose included list could not) may reference more: it is an
    /// instance in error, and facts drawn from the referrers are unknown.
    fn references(
        &self,
        kind: &TargetKind,
        parent: &Target,
        path: &str,
        when: Option<(&str, &str)>,
        id_at: &str,
        read: bool,
    ) -> Target {
        let link = kind.link();
        let Target::Present(parents) = parent else {
            return parent.clone();
        };
        let mut unreadable: Vec<Instance> = Vec::new();
        // id key -> (id as written, the parent documents that reference it)
        let mut found: BTreeMap<String, (String, Vec<&Value>)> = BTreeMap::new();
        for p in parents {
            let doc = match &p.state {
                InstanceState::Doc(doc) => doc,
                other => {
                    unreadable.push(Instance {
                        id: p.id.clone(),
                        state: other.clone(),
                    });
                    continue;
                }
            };
            // A list included where the path goes could not be read (or a template sets a
            // value on it only at deployment): what it names is unknown.
            let keys: Vec<&str> = path.split('.').map(|k| k.trim_end_matches("[*]")).collect();
            if let Some(f) = doc.unread_along(&keys) {
                unreadable.push(Instance {
                    id: p.id.clone(),
                    state: InstanceState::Failed(f.clone()),
                });
                continue;
            }
            for element in elements(&doc.value, path) {
                if let Some((property, value)) = when
                    && !text(element, property).eq_ignore_ascii_case(value)
                {
                    continue;
                }
                let id = if id_at.is_empty() {
                    element.as_str().map(str::trim).unwrap_or_default()
                } else {
                    text(element, id_at)
                };
                if id.is_empty() || !graph::keeps_reference(kind, id, self.settings) {
                    continue;
                }
                found
                    .entry(arm_id::key(id))
                    .or_insert_with(|| (id.to_string(), Vec::new()))
                    .1
                    .push(&doc.value);
            }
        }
        if found.is_empty() && unreadable.is_empty() {
            return Target::Absent(link.absent.into());
        }
        let referrers_unknown: Option<ReadFailure> =
            unreadable.iter().find_map(|i| match &i.state {
                InstanceState::Failed(f) => Some(f.clone()),
                _ => None,
            });
        let mut instances: Vec<Instance> = found
            .into_values()
            .map(|(id, referrers)| {
                let doc = if read {
                    self.docs.get(&id)
                } else {
                    Ok(self
                        .docs
                        .find(&id)
                        .unwrap_or_else(|| json!({"id": id, "name": arm_id::last_segment(&id)})))
                };
                let state = match doc {
                    Err(f) => InstanceState::Failed(f),
                    Ok(doc) => {
                        let mut doc =
                            self.stored(with_facts(doc, reference_facts(kind, &referrers)));
                        // An unread parent may name this one too: facts drawn from the
                        // parents are unknown rather than smaller.
                        if let Some(f) = &referrers_unknown {
                            for fact in link.facts {
                                doc.set_unread(&["amlsec", fact.name], f);
                            }
                        }
                        InstanceState::Doc(self.include(link, &id, doc))
                    }
                };
                Instance {
                    id: id.into(),
                    state,
                }
            })
            .collect();
        instances.extend(unreadable);
        Target::Present(instances)
    }

    /// The document with the child lists its link includes; a list that cannot be read is
    /// an unread place where it would be.
    fn include(&self, link: &Link, id: &str, mut doc: Doc) -> Doc {
        for include in link.includes {
            match self.docs.list(&format!("{id}/{}", include.path)) {
                Ok(items) => {
                    if let Some(obj) = doc.value.as_object_mut() {
                        obj.insert(include.member.to_string(), Value::Array(items));
                    }
                }
                Err(f) => doc.set_unread(&[include.member], &f),
            }
        }
        if link.facts.iter().any(|f| f.name == "privateDnsZoneNames") {
            // Facts drawn from the included zone groups (AML-NS-04, AML-NS-43).
            let vnet = arm_id::vnet_of_subnet(text(&doc.value, "properties.subnet.id"));
            let names: BTreeSet<String> = elements(&doc.value, "privateDnsZoneGroups[*]")
                .into_iter()
                .flat_map(zone_ids)
                .map(|z| arm_id::last_segment(&z).to_ascii_lowercase())
                .collect();
            let mut facts = json!({"privateDnsZoneNames": names, "vnetId": vnet});
            // The zones the subject's kind needs (a Foundry account's), and those missing.
            if link.facts.iter().any(|f| f.name == "expectedDnsZoneNames") {
                let expected = self.settings.foundry_zones_for(text(self.audited, "kind"));
                let missing: Vec<&String> = expected
                    .iter()
                    .filter(|z| !names.contains(&z.trim().to_ascii_lowercase()))
                    .collect();
                facts["expectedDnsZoneNames"] = json!(expected);
                facts["missingDnsZoneNames"] = json!(missing);
            }
            let groups_unread = doc.unread_under("privateDnsZoneGroups").cloned();
            doc.value = with_facts(doc.value, facts);
            if let Some(f) = groups_unread {
                doc.set_unread(&["amlsec", "privateDnsZoneNames"], &f);
                doc.set_unread(&["amlsec", "missingDnsZoneNames"], &f);
            }
        }
        doc
    }

    fn scope_list(&self, kind: &TargetKind, scope: Scope, path: &str, shape: Shape) -> Target {
        let scope_id = match scope {
            Scope::Workspace => self.id.to_string(),
            Scope::ResourceGroup => arm_id::resource_group(self.id).unwrap_or_default(),
            Scope::Subscription => arm_id::subscription(self.id).unwrap_or_default(),
        };
        let collection = format!("{scope_id}/{path}");
        match shape {
            Shape::List if scope == Scope::Subscription => {
                self.with_shared_list(&collection, |items| {
                    items
                        .map(|items| list_target(&collection, items.to_vec()))
                        .map_err(Clone::clone)
                })
            }
            Shape::List => self.list_doc(&collection),
            Shape::PricingPlan => self.pricing(&collection, kind.arg().unwrap_or_default()),
            Shape::RoleAssignments => self.role_assignments(&collection, kind.link()),
            Shape::PolicyAssignments => policy::assignments(self.docs, self.id),
            Shape::Locks => self.locks(&collection, kind.link()),
        }
    }

    /// A subscription-scope list, parsed once per run.
    fn with_shared_list(
        &self,
        collection: &str,
        then: impl FnOnce(Result<&[Value], &ReadFailure>) -> Result<Target, ReadFailure>,
    ) -> Target {
        let mut lists = self.shared.lists.borrow_mut();
        let list = lists
            .entry(crate::arm_id::key(collection))
            .or_insert_with(|| self.docs.list(collection));
        then(list.as_deref()).unwrap_or_else(Target::Failed)
    }

    fn pricing(&self, collection: &str, plan: &str) -> Target {
        self.with_shared_list(collection, |items| {
            let found = items
                .map_err(Clone::clone)?
                .iter()
                .find(|d| text(d, "name").eq_ignore_ascii_case(plan))
                .cloned();
            // A plan missing from the list is read as Free (§1.2).
            let doc = found.unwrap_or_else(|| {
                json!({"id": format!("{collection}/{plan}"), "name": plan, "properties": {"pricingTier": "Free"},
                       "amlsec": {"planMissing": true}})
            });
            Ok(single(Ok((id_of(&doc, collection), doc.into()))))
        })
    }

    /// The audited subject's role assignments, each with the level of its scope: `resource`
    /// (the workspace or account itself), `resourceGroup`, `subscription`, `managementGroup`.
    fn role_assignments(&self, collection: &str, link: &Link) -> Target {
        if let Some(f) = self.docs.failure(collection) {
            return Target::Failed(f.clone());
        }
        let ws = self.id;
        let rg = arm_id::resource_group(ws).unwrap_or_default();
        let sub = arm_id::subscription(ws).unwrap_or_default();
        let level = |scope: &str| -> Option<&'static str> {
            if scope
                .to_ascii_lowercase()
                .starts_with("/providers/microsoft.management/managementgroups/")
            {
                Some("managementGroup")
            } else if arm_id::same(scope, ws) {
                Some("resource")
            } else if arm_id::same(scope, &rg) {
                Some("resourceGroup")
            } else if arm_id::same(scope, &sub) {
                Some("subscription")
            } else if arm_id::is_self_or_ancestor(scope, ws) && !scope.is_empty() {
                Some("ancestor")
            } else {
                None
            }
        };
        let items = self
            .docs
            .scoped(ws, link.resource_type)
            .into_iter()
            .filter_map(|d| {
                let scope = text(&d, "properties.scope");
                let level = level(scope)?;
                let guid = arm_id::last_segment(text(&d, "properties.roleDefinitionId"))
                    .to_ascii_lowercase();
                Some(with_facts(
                    d,
                    json!({"scopeLevel": level, "roleDefinitionGuid": guid}),
                ))
            })
            .collect();
        list_target(collection, items)
    }

    fn locks(&self, collection: &str, link: &Link) -> Target {
        let ws = self.id.to_string();
        let scopes = [
            arm_id::subscription(&ws).unwrap_or_default(),
            arm_id::resource_group(&ws).unwrap_or_default(),
            ws,
        ];
        let scope_of = |d: &Value| {
            let id = id_of(d, "");
            let lower = id.to_ascii_lowercase();
            lower
                .rfind("/providers/microsoft.authorization/locks/")
                .map(|i| id[..i].to_string())
                .unwrap_or_default()
        };
        if let Some(f) = self.docs.failure(collection) {
            return Target::Failed(f.clone());
        }
        let items = self
            .docs
            .scoped(self.id, link.resource_type)
            .into_iter()
            .filter(|d| scopes.iter().any(|s| arm_id::same(s, &scope_of(d))))
            .map(|d| {
                let scope = scope_of(&d);
                with_facts(d, json!({"scope": scope}))
            })
            .collect();
        list_target(collection, items)
    }

    /// A child of each parent instance; a child never configured is a stub that fails
    /// rather than a failed read where the link says so (§1.6).
    fn child(&self, parent: &Target, path: &str, missing_means_unset: bool) -> Target {
        let Target::Present(items) = parent else {
            return parent.clone();
        };
        Target::Present(
            items
                .iter()
                .map(|p| match &p.state {
                    InstanceState::Doc(_) => {
                        let id = format!("{}/{path}", p.id);
                        let state = match self.docs.get(&id) {
                            Ok(d) => InstanceState::Doc(d.into()),
                            Err(f) if missing_means_unset && f.is_not_found() => {
                                InstanceState::Doc(json!({"id": id, "properties": {}, "amlsec": {"notConfigured": true}}).into())
                            }
                            Err(f) => InstanceState::Failed(f),
                        };
                        Instance { id: id.into(), state }
                    }
                    _ => p.clone(),
                })
                .collect(),
        )
    }

    /// The SQL servers the SQL connections point to, matched by host name (§1.4).
    fn sql_servers(&self, connections: &Target, link: &Link) -> Target {
        let mut instances: BTreeMap<String, Instance> = BTreeMap::new();
        for conn in docs_of(connections) {
            let conn_id = id_of(conn, "");
            let host = match graph::sql_target(conn, self.settings) {
                // Not an Azure SQL Database: the SQL controls do not apply.
                graph::SqlTarget::Elsewhere => continue,
                graph::SqlTarget::Azure(host) => host,
                graph::SqlTarget::NoHost => {
                    let instance = Instance {
                        id: conn_id.clone().into(),
                        state: InstanceState::Manual(format!(
                            "the SQL connection's target {:?} names no host amlsec can read: check which server it reaches",
                            text(conn, "properties.target")
                        )),
                    };
                    instances.entry(arm_id::key(&conn_id)).or_insert(instance);
                    continue;
                }
            };
            let facts = json!({"connectionId": conn_id, "connectionTarget": text(conn, "properties.target"), "host": host});
            let server = self.docs.find_by(
                link.resource_type,
                "properties.fullyQualifiedDomainName",
                &host,
            );
            let instance = match server {
                Some(s) => {
                    let id = id_of(&s, "");
                    let state = match self.docs.failure(&id) {
                        Some(f) => InstanceState::Failed(f.clone()),
                        None => InstanceState::Doc(with_facts(s, facts).into()),
                    };
                    Instance {
                        id: id.into(),
                        state,
                    }
                }
                None => {
                    let subscription = arm_id::subscription(self.id).unwrap_or_default();
                    let list = format!("{subscription}/providers/{}", link.resource_type);
                    let state = match self.docs.failure(&list) {
                        Some(f) => InstanceState::Failed(f.clone()),
                        None => InstanceState::Manual(format!(
                            "host {host} not resolvable with current scope"
                        )),
                    };
                    Instance {
                        id: conn_id.into(),
                        state,
                    }
                }
            };
            instances
                .entry(arm_id::key(&instance.id))
                .or_insert(instance);
        }
        match connections {
            Target::Failed(f) => Target::Failed(f.clone()),
            _ if instances.is_empty() => Target::Absent(link.absent.into()),
            _ => Target::Present(instances.into_values().collect()),
        }
    }
}

/// The id a property of the parent's document references: a target that cannot be had
/// (`Err`) when the parent cannot, or when a required reference is missing.
fn reference(
    parent: &Target,
    property: &str,
    required: bool,
    link: &Link,
) -> Result<String, Target> {
    let (parent_id, parent_doc) = first_doc(parent)?;
    let steps: Vec<crate::documents::Step> = property
        .split('.')
        .map(|k| crate::documents::Step::Key(k.to_string()))
        .collect();
    // A template that sets the reference only at deployment: the target is unknown.
    if let Some(f) = parent_doc.unread_at(&steps) {
        return Err(Target::Failed(f.clone()));
    }
    let doc = &parent_doc.value;
    match (text(doc, property), required) {
        ("", false) => Err(Target::Absent(link.absent.into())),
        ("", true) => Err(Target::Failed(ReadFailure::bad_reference(
            &parent_id,
            &format!(
                "the workspace names no {} ({property} is missing)",
                link.what
            ),
        ))),
        (id, _) => Ok(id.to_string()),
    }
}

/// The document of a single-instance parent, or what to return when there is none.
fn first_doc(parent: &Target) -> Result<(String, &Doc), Target> {
    match parent {
        Target::Present(items) => match items.first().map(|i| (&i.id, &i.state)) {
            Some((id, InstanceState::Doc(d))) => Ok((id_of(&d.value, id), d)),
            Some((_, InstanceState::Failed(f))) => Err(Target::Failed(f.clone())),
            _ => Err(Target::Absent("no parent document".into())),
        },
        other => Err(other.clone()),
    }
}

/// Facts of a referenced instance drawn from the documents that reference it.
fn reference_facts(kind: &TargetKind, referrers: &[&Value]) -> Value {
    let declares = |name: &str| graph::fact(kind, name).is_some();
    if declares("computeNames") {
        let names: Vec<&str> = referrers.iter().map(|c| text(c, "name")).collect();
        json!({"computeNames": names})
    } else if declares("privateEndpointVnetIds") {
        let vnets: BTreeSet<String> = referrers
            .iter()
            .filter_map(|pe| arm_id::vnet_of_subnet(text(pe, "properties.subnet.id")))
            .collect();
        json!({"privateEndpointVnetIds": vnets})
    } else {
        Value::Null
    }
}

/// Facts of a list read as one document: a registry's replications (AML-BR-05).
fn list_facts(kind: &TargetKind, target: &mut Target, parent: &Value) {
    if kind.name() != "registry-replications" {
        return;
    }
    if let Target::Present(items) = target {
        for item in items {
            if let InstanceState::Doc(Doc { value: doc, .. }) = &mut item.state {
                if let Some(Value::Array(replicas)) = doc.get_mut("value") {
                    for r in replicas.iter_mut() {
                        let facts = json!({"location": location(text(r, "location"))});
                        *r = with_facts(r.take(), facts);
                    }
                }
                *doc = with_facts(
                    doc.take(),
                    json!({
                        "registryLocation": location(text(parent, "location")),
                        "registrySku": text(parent, "sku.name"),
                    }),
                );
            }
        }
    }
}

fn id_of(doc: &Value, fallback: &str) -> String {
    doc.get("id")
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_string()
}

/// A target of one document, or the read it failed on.
fn single(doc: Result<(String, Doc), ReadFailure>) -> Target {
    match doc {
        Ok((id, doc)) => Target::Present(vec![Instance {
            id: id.into(),
            state: InstanceState::Doc(doc),
        }]),
        Err(f) => Target::Failed(f),
    }
}

fn filter_instances(target: &Target, keep: impl Fn(&Value) -> bool, absent: &str) -> Target {
    match target {
        Target::Present(items) => {
            let kept: Vec<Instance> = items
                .iter()
                .filter(|i| match &i.state {
                    InstanceState::Doc(d) => keep(&d.value),
                    _ => true,
                })
                .cloned()
                .collect();
            if kept.is_empty() {
                Target::Absent(absent.into())
            } else {
                Target::Present(kept)
            }
        }
        other => other.clone(),
    }
}

pub(super) fn list_target(collection: &str, items: Vec<Value>) -> Target {
    single(Ok((
        collection.to_string(),
        list_document(collection, items).into(),
    )))
}

fn zone_ids(group: &Value) -> Vec<String> {
    member(group, "properties")
        .and_then(|p| member(p, "privateDnsZoneConfigs"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| text(c, "properties.privateDnsZoneId").to_string())
        .filter(|z| !z.is_empty())
        .collect()
}

fn non_empty_tag_keys(doc: &Value) -> Vec<String> {
    let mut keys: Vec<String> = member(doc, "tags")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.as_str().is_some_and(|s| !s.trim().is_empty()))
        .map(|(k, _)| k.trim().to_ascii_lowercase())
        .collect();
    keys.sort();
    keys
}
