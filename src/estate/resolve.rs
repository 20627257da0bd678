//! Resolution of each target from the documents, following baseline.md §1.2 and §1.6.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::policy;
use super::{DiagnosedResource, Estate, Instance, InstanceState, Target, TargetKind};
use crate::arm_id;
use crate::cloud::Settings;
use crate::documents::{Documents, ReadFailure};
use crate::rules::path::{hole, member, text};

/// Resolves every target of the workspace `id` (plus the Defender plans in `plans`).
pub fn resolve(
    docs: &Documents,
    id: &str,
    settings: &Settings,
    plans: &BTreeSet<String>,
) -> Estate {
    let audited = docs.get(id);
    let mut targets = BTreeMap::new();
    let r = Resolver { docs, id, settings };
    match &audited {
        Err(failure) => {
            // Nothing about an unreadable workspace can be judged.
            for kind in TargetKind::every(plans.iter().cloned()) {
                targets.insert(kind, Target::Failed(failure.clone()));
            }
        }
        Ok(audited) => {
            let body = r.workspace_body(audited);
            let mut put = |kind: TargetKind, t: Target| {
                targets.insert(kind, t);
            };
            put(
                TargetKind::Workspace,
                single(body.as_ref().map_err(Clone::clone).map(|b| {
                    (
                        arm_id_of(b, id),
                        with_facts(b.clone(), json!({"nonEmptyTagKeys": non_empty_tag_keys(b)})),
                    )
                })),
            );
            let storage = r.referenced(&body, "storageAccount", "storage account", false);
            let keyvault = r.referenced(&body, "keyVault", "key vault", false);
            let registry = r.referenced(&body, "containerRegistry", "container registry", true);
            let insights = r.referenced(&body, "applicationInsights", "Application Insights", true);
            let storage_child =
                |child: &str| match reference(&body, "storageAccount", "storage account", false) {
                    Ok(Some(sid)) => single(
                        r.docs
                            .get(&format!("{sid}/{child}"))
                            .map(|d| (format!("{sid}/{child}"), d.clone())),
                    ),
                    Ok(None) => Target::Absent("the workspace has no storage account".into()),
                    Err(f) => Target::Failed(f),
                };
            put(
                TargetKind::StorageBlobService,
                storage_child("blobServices/default"),
            );
            put(
                TargetKind::StorageFileService,
                storage_child("fileServices/default"),
            );
            // A project emits its own resource logs: its settings are judged, not the hub's.
            for (resource, source) in [
                (
                    DiagnosedResource::Workspace,
                    single(Ok((arm_id_of(audited, id), audited.clone()))),
                ),
                (DiagnosedResource::KeyVault, keyvault.clone()),
                (DiagnosedResource::Registry, registry.clone()),
                (
                    DiagnosedResource::StorageBlobService,
                    storage_child("blobServices/default"),
                ),
            ] {
                put(
                    TargetKind::DiagnosticSettings(resource),
                    r.diagnostic_settings(&source),
                );
            }
            put(TargetKind::RegistryReplications, r.replications(&registry));
            put(TargetKind::Storage, storage);
            put(TargetKind::KeyVault, keyvault);
            put(TargetKind::Registry, registry);
            put(TargetKind::Insights, insights);

            let computes = r.computes();
            let by_type = |t: &str| {
                filter_instances(
                    &computes,
                    |doc| text(doc, "properties.computeType").eq_ignore_ascii_case(t),
                    "no compute of this type",
                )
            };
            put(TargetKind::ComputeInstance, by_type("ComputeInstance"));
            put(TargetKind::ComputeCluster, by_type("AmlCompute"));
            let subnets = r.compute_subnets(&computes);
            put(TargetKind::ComputeNsg, r.compute_nsgs(&subnets));
            put(TargetKind::ComputeSubnet, subnets);
            put(TargetKind::Compute, computes);
            put(
                TargetKind::Datastore,
                r.children(&format!("{id}/datastores"), "no datastores"),
            );
            let connections = r.children(&format!("{id}/connections"), "no connections");
            let sql = r.sql_servers(&connections);
            put(TargetKind::SqlServerEntraOnly, r.sql_entra_only(&sql));
            put(TargetKind::SqlServer, sql);
            put(TargetKind::Connection, connections);

            let endpoints = r.private_endpoints(&body);
            put(TargetKind::PrivateDnsZone, r.private_dns_zones(&endpoints));
            put(TargetKind::WorkspacePrivateEndpoint, endpoints);

            let subscription = arm_id::subscription(id).unwrap_or_default();
            put(
                TargetKind::SubscriptionDiagnosticSettings,
                r.list_doc(
                    &format!("{subscription}/providers/Microsoft.Insights/diagnosticSettings"),
                    |_| true,
                    |_| Value::Null,
                ),
            );
            for plan in plans {
                put(
                    TargetKind::DefenderPricing(plan.clone()),
                    r.pricing(&subscription, plan),
                );
            }
            let roles = r.role_assignments();
            put(TargetKind::RoleDefinition, r.role_definitions(&roles));
            put(TargetKind::RoleAssignment, roles);
            let (assignments, sets) = policy::assignments(docs, id);
            put(TargetKind::PolicyAssignment, assignments);
            put(TargetKind::PolicySetDefinition, sets);
            put(TargetKind::Lock, r.locks(&subscription));
            add_log_destinations(&mut targets);
        }
    }
    Estate {
        id: id.to_string(),
        audited,
        settings: settings.clone(),
        targets,
    }
}

/// Setting values as the resolver compares them: trimmed, lower-cased.
fn lower(list: &[String]) -> Vec<String> {
    list.iter().map(|s| s.trim().to_ascii_lowercase()).collect()
}

fn arm_id_of(doc: &Value, fallback: &str) -> String {
    doc.get("id")
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_string()
}

/// A target of one document, or the read it failed on.
fn single(doc: Result<(String, Value), ReadFailure>) -> Target {
    match doc {
        Ok((id, doc)) => Target::Present(vec![Instance {
            id,
            state: InstanceState::Doc(doc),
        }]),
        Err(f) => Target::Failed(f),
    }
}

/// A derived document with facts under `amlsec`.
pub(super) fn with_facts(mut doc: Value, facts: Value) -> Value {
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("amlsec".into(), facts);
    }
    doc
}

/// The id a workspace property references: `Ok(None)` when an optional one is not set.
fn reference(
    body: &Result<Value, ReadFailure>,
    property: &str,
    what: &str,
    optional: bool,
) -> Result<Option<String>, ReadFailure> {
    let body = body.as_ref().map_err(Clone::clone)?;
    let id = text(body, &format!("properties.{property}"));
    match (id.is_empty(), optional) {
        (false, _) => Ok(Some(id.to_string())),
        (true, true) => Ok(None),
        (true, false) => Err(ReadFailure::bad_reference(
            &arm_id_of(body, ""),
            &format!("the workspace names no {what} (properties.{property} is missing)"),
        )),
    }
}

fn filter_instances(target: &Target, keep: impl Fn(&Value) -> bool, absent: &str) -> Target {
    match target {
        Target::Present(items) => {
            let kept: Vec<Instance> = items
                .iter()
                .filter(|i| match &i.state {
                    InstanceState::Doc(d) => keep(d),
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

fn docs_of(target: &Target) -> Vec<&Value> {
    match target {
        Target::Present(items) => items
            .iter()
            .filter_map(|i| match &i.state {
                InstanceState::Doc(d) => Some(d),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

struct Resolver<'a> {
    docs: &'a Documents,
    id: &'a str,
    settings: &'a Settings,
}

impl Resolver<'_> {
    /// The body workspace-derived targets come from: the hub's, for a project (§1.2).
    fn workspace_body(&self, audited: &Value) -> Result<Value, ReadFailure> {
        if !text(audited, "kind").eq_ignore_ascii_case("project") {
            return Ok(audited.clone());
        }
        let hub = text(audited, "properties.hubResourceId");
        if hub.is_empty() {
            return Err(ReadFailure::bad_reference(
                self.id,
                "project workspace without properties.hubResourceId",
            ));
        }
        self.docs.get(hub)
    }

    fn referenced(
        &self,
        body: &Result<Value, ReadFailure>,
        property: &str,
        what: &str,
        optional: bool,
    ) -> Target {
        match reference(body, property, what, optional) {
            Ok(Some(id)) => single(self.docs.get(&id).map(|d| (id.clone(), d.clone()))),
            Ok(None) => Target::Absent(format!("the workspace has no {what}")),
            Err(f) => Target::Failed(f),
        }
    }

    /// Each child of a collection as an instance; an empty collection is an absent target.
    fn children(&self, collection: &str, absent: &str) -> Target {
        match self.docs.list(collection) {
            Err(f) => Target::Failed(f),
            Ok(items) if items.is_empty() => Target::Absent(absent.into()),
            Ok(items) => Target::Present(
                items
                    .into_iter()
                    .map(|d| Instance {
                        id: arm_id_of(&d, collection),
                        state: InstanceState::Doc(d.clone()),
                    })
                    .collect(),
            ),
        }
    }

    /// A list read as one document `{id, value: [...]}`, evaluated once (an empty list included).
    fn list_doc(
        &self,
        collection: &str,
        keep: impl Fn(&Value) -> bool,
        facts: impl Fn(&Value) -> Value,
    ) -> Target {
        match self.docs.list(collection) {
            Err(f) => Target::Failed(f),
            Ok(items) => list_target(
                collection,
                items
                    .into_iter()
                    .filter(|d| keep(d))
                    .map(|d| augment(&d, &facts))
                    .collect(),
            ),
        }
    }

    fn computes(&self) -> Target {
        let all = self.children(
            &format!("{}/computes", self.id),
            "no compute instances or clusters",
        );
        filter_instances(
            &all,
            |d| {
                ["ComputeInstance", "AmlCompute"]
                    .iter()
                    .any(|t| text(d, "properties.computeType").eq_ignore_ascii_case(t))
            },
            "no compute instances or clusters",
        )
    }

    fn diagnostic_settings(&self, source: &Target) -> Target {
        match source {
            Target::Present(items) => match items.first().map(|i| &i.state) {
                Some(InstanceState::Doc(_)) => {
                    let id = &items[0].id;
                    self.list_doc(
                        &format!("{id}/providers/Microsoft.Insights/diagnosticSettings"),
                        |_| true,
                        |_| Value::Null,
                    )
                }
                Some(InstanceState::Failed(f)) => Target::Failed(f.clone()),
                _ => Target::Absent("no resource to read diagnostic settings of".into()),
            },
            other => other.clone(),
        }
    }

    fn replications(&self, registry: &Target) -> Target {
        let Some(reg) = docs_of(registry).first().copied() else {
            return match registry {
                Target::Failed(f) => Target::Failed(f.clone()),
                _ => Target::Absent("the workspace has no container registry".into()),
            };
        };
        let reg_id = arm_id_of(reg, "");
        let mut target = self.list_doc(
            &format!("{reg_id}/replications"),
            |_| true,
            |d| json!({"location": location(text(d, "location"))}),
        );
        if let Target::Present(items) = &mut target {
            for item in items {
                if let InstanceState::Doc(doc) = &mut item.state {
                    *doc = with_facts(
                        doc.take(),
                        json!({
                            "registryLocation": location(text(reg, "location")),
                            "registrySku": text(reg, "sku.name"),
                        }),
                    );
                }
            }
        }
        target
    }

    fn compute_subnets(&self, computes: &Target) -> Target {
        let mut users: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        for doc in docs_of(computes) {
            let subnet = text(doc, "properties.properties.subnet.id");
            if !subnet.is_empty() {
                let entry = users
                    .entry(arm_id::key(subnet))
                    .or_insert_with(|| (subnet.to_string(), vec![]));
                entry.1.push(text(doc, "name").to_string());
            }
        }
        if let Target::Failed(f) = computes {
            return Target::Failed(f.clone());
        }
        if users.is_empty() {
            return Target::Absent("no compute uses a customer subnet".into());
        }
        Target::Present(
            users
                .into_values()
                .map(|(id, names)| Instance {
                    state: match self.docs.get(&id) {
                        Ok(d) => InstanceState::Doc(with_facts(
                            d.clone(),
                            json!({"computeNames": names}),
                        )),
                        Err(f) => InstanceState::Failed(f),
                    },
                    id,
                })
                .collect(),
        )
    }

    fn compute_nsgs(&self, subnets: &Target) -> Target {
        let Target::Present(items) = subnets else {
            return subnets.clone();
        };
        let mut nsgs: BTreeMap<String, Instance> = BTreeMap::new();
        for subnet in items {
            match &subnet.state {
                InstanceState::Doc(doc) => {
                    let nsg = text(doc, "properties.networkSecurityGroup.id");
                    if !nsg.is_empty() {
                        let state = match self.docs.get(nsg) {
                            Ok(d) => InstanceState::Doc(d.clone()),
                            Err(f) => InstanceState::Failed(f),
                        };
                        nsgs.insert(
                            arm_id::key(nsg),
                            Instance {
                                id: nsg.to_string(),
                                state,
                            },
                        );
                    }
                }
                // The subnet's NSG is unknown, so an NSG may be unjudged: say so.
                other => {
                    nsgs.insert(
                        arm_id::key(&subnet.id),
                        Instance {
                            id: subnet.id.clone(),
                            state: other.clone(),
                        },
                    );
                }
            }
        }
        if nsgs.is_empty() {
            Target::Absent("no compute subnet has an NSG".into())
        } else {
            Target::Present(nsgs.into_values().collect())
        }
    }

    fn private_endpoints(&self, body: &Result<Value, ReadFailure>) -> Target {
        let body = match body {
            Ok(b) => b,
            Err(f) => return Target::Failed(f.clone()),
        };
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        if let Some(Value::Array(pecs)) =
            member(body, "properties").and_then(|p| member(p, "privateEndpointConnections"))
        {
            for pec in pecs {
                if text(pec, "properties.privateLinkServiceConnectionState.status")
                    .eq_ignore_ascii_case("Approved")
                {
                    let pe = text(pec, "properties.privateEndpoint.id");
                    if !pe.is_empty() {
                        ids.insert(arm_id::key(pe), pe.to_string());
                    }
                }
            }
        }
        if ids.is_empty() {
            return Target::Absent("the workspace has no approved private endpoint".into());
        }
        Target::Present(
            ids.into_values()
                .map(|id| {
                    let state = match self.docs.get(&id) {
                        Err(f) => InstanceState::Failed(f),
                        Ok(pe) => {
                            let (groups, names) =
                                match self.docs.list(&format!("{id}/privateDnsZoneGroups")) {
                                    Ok(groups) => {
                                        let names: BTreeSet<String> = groups
                                            .iter()
                                            .flat_map(zone_ids)
                                            .map(|z| arm_id::last_segment(&z).to_ascii_lowercase())
                                            .collect();
                                        (Value::Array(groups), json!(names))
                                    }
                                    Err(f) => (hole(&f), hole(&f)),
                                };
                            let vnet = arm_id::vnet_of_subnet(text(&pe, "properties.subnet.id"));
                            let mut doc = with_facts(
                                pe,
                                json!({"privateDnsZoneNames": names, "vnetId": vnet}),
                            );
                            doc["privateDnsZoneGroups"] = groups;
                            InstanceState::Doc(doc)
                        }
                    };
                    Instance { id, state }
                })
                .collect(),
        )
    }

    fn private_dns_zones(&self, endpoints: &Target) -> Target {
        let Target::Present(pes) = endpoints else {
            return endpoints.clone();
        };
        let wanted = lower(&self.settings.aml_private_dns_zones);
        // zone key -> (zone id, VNets of the endpoints whose zone groups name it)
        let mut zones: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
        // Zones reached through an endpoint or zone-group list that could not be read are
        // unknown: each such read is an instance in error, so the control cannot pass.
        let mut unreadable: Vec<Instance> = Vec::new();
        for pe in pes {
            let doc = match &pe.state {
                InstanceState::Doc(doc) => doc,
                other => {
                    unreadable.push(Instance {
                        id: pe.id.clone(),
                        state: other.clone(),
                    });
                    continue;
                }
            };
            let groups = match doc.get("privateDnsZoneGroups") {
                Some(Value::Array(g)) => g,
                _ => {
                    let path = format!("{}/privateDnsZoneGroups", pe.id);
                    let failure = self.docs.list(&path).err();
                    unreadable.push(Instance {
                        state: InstanceState::Failed(
                            failure.unwrap_or_else(|| ReadFailure::not_in_source(&path)),
                        ),
                        id: path,
                    });
                    continue;
                }
            };
            let vnet = arm_id::vnet_of_subnet(text(doc, "properties.subnet.id"));
            for zone in groups.iter().flat_map(zone_ids) {
                if wanted.contains(&arm_id::last_segment(&zone).to_ascii_lowercase()) {
                    let entry = zones
                        .entry(arm_id::key(&zone))
                        .or_insert_with(|| (zone.clone(), BTreeSet::new()));
                    entry.1.extend(vnet.iter().cloned());
                }
            }
        }
        if zones.is_empty() && unreadable.is_empty() {
            return Target::Absent(
                "no AML private DNS zone is bound to the workspace private endpoints".into(),
            );
        }
        // An unread endpoint may name the zone too: its VNet would be accepted, so the
        // accepted set is unknown rather than smaller.
        let unknown_vnets = unreadable.iter().find_map(|i| match &i.state {
            InstanceState::Failed(f) => Some(hole(f)),
            _ => None,
        });
        let mut instances: Vec<Instance> = zones
            .into_values()
            .map(|(id, vnets)| {
                let state = match self.docs.list(&format!("{id}/virtualNetworkLinks")) {
                    Err(f) => InstanceState::Failed(f),
                    Ok(links) => {
                        let base = self.docs.find(&id).unwrap_or_else(
                            || json!({"id": id, "name": arm_id::last_segment(&id)}),
                        );
                        let vnets = unknown_vnets.clone().unwrap_or_else(|| json!(vnets));
                        let mut doc = with_facts(base, json!({"privateEndpointVnetIds": vnets}));
                        doc["virtualNetworkLinks"] = Value::Array(links);
                        InstanceState::Doc(doc)
                    }
                };
                Instance { id, state }
            })
            .collect();
        instances.extend(unreadable);
        Target::Present(instances)
    }

    fn pricing(&self, subscription: &str, plan: &str) -> Target {
        let collection = format!("{subscription}/providers/Microsoft.Security/pricings");
        match self.docs.list(&collection) {
            Err(f) => Target::Failed(f),
            Ok(items) => {
                let found = items
                    .into_iter()
                    .find(|d| text(d, "name").eq_ignore_ascii_case(plan));
                // A plan missing from the list is read as Free (§1.2).
                let doc = found.unwrap_or_else(|| {
                    json!({"id": format!("{collection}/{plan}"), "name": plan, "properties": {"pricingTier": "Free"},
                           "amlsec": {"planMissing": true}})
                });
                single(Ok((arm_id_of(&doc, &collection), doc)))
            }
        }
    }

    fn role_assignments(&self) -> Target {
        let collection = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments",
            self.id
        );
        if let Some(f) = self.docs.failure(&collection) {
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
                Some("workspace")
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
            .scoped(ws, "Microsoft.Authorization/roleAssignments")
            .into_iter()
            .filter_map(|d| {
                let scope = text(&d, "properties.scope");
                let level = level(scope)?;
                Some(with_facts(d.clone(), json!({
                    "scopeLevel": level,
                    "roleDefinitionGuid": arm_id::last_segment(text(&d, "properties.roleDefinitionId")).to_ascii_lowercase(),
                })))
            })
            .collect();
        list_target(&collection, items)
    }

    fn role_definitions(&self, assignments: &Target) -> Target {
        let ids: BTreeMap<String, String> = docs_of(assignments)
            .into_iter()
            .flat_map(|list| list["value"].as_array().into_iter().flatten())
            .map(|a| text(a, "properties.roleDefinitionId"))
            .filter(|id| !id.is_empty())
            .map(|id| (arm_id::key(id), id.to_string()))
            .collect();
        match assignments {
            Target::Failed(f) => Target::Failed(f.clone()),
            _ if ids.is_empty() => Target::Absent("no role assignments".into()),
            _ => Target::Present(
                ids.into_values()
                    .map(|id| Instance {
                        state: match self.docs.get(&id) {
                            Ok(d) => InstanceState::Doc(d.clone()),
                            Err(f) => InstanceState::Failed(f),
                        },
                        id,
                    })
                    .collect(),
            ),
        }
    }

    fn locks(&self, subscription: &str) -> Target {
        let collection = format!("{subscription}/providers/Microsoft.Authorization/locks");
        let ws = self.id.to_string();
        let scopes = [
            subscription.to_string(),
            arm_id::resource_group(&ws).unwrap_or_default(),
            ws,
        ];
        let scope_of = |d: &Value| {
            let id = arm_id_of(d, "");
            let lower = id.to_ascii_lowercase();
            lower
                .rfind("/providers/microsoft.authorization/locks/")
                .map(|i| id[..i].to_string())
                .unwrap_or_default()
        };
        if let Some(f) = self.docs.failure(&collection) {
            return Target::Failed(f.clone());
        }
        let items = self
            .docs
            .scoped(self.id, "Microsoft.Authorization/locks")
            .into_iter()
            .filter(|d| scopes.iter().any(|s| arm_id::same(s, &scope_of(d))))
            .map(|d| {
                let scope = scope_of(&d);
                with_facts(d, json!({"scope": scope}))
            })
            .collect();
        list_target(&collection, items)
    }

    fn sql_servers(&self, connections: &Target) -> Target {
        let suffixes = lower(&self.settings.sql_host_suffixes);
        let mut instances: BTreeMap<String, Instance> = BTreeMap::new();
        for conn in docs_of(connections) {
            let category = text(conn, "properties.category");
            if !["AzureSqlDb", "SqlServer"]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(category))
            {
                continue;
            }
            let host = sql_host(text(conn, "properties.target"));
            if !suffixes
                .iter()
                .any(|s| !s.is_empty() && host.ends_with(s.as_str()))
            {
                continue; // not an Azure SQL Database: the SQL controls do not apply
            }
            let conn_id = arm_id_of(conn, "");
            let facts = json!({"connectionId": conn_id, "connectionTarget": text(conn, "properties.target"), "host": host});
            let server = self.docs.find_by(
                "Microsoft.Sql/servers",
                "properties.fullyQualifiedDomainName",
                &host,
            );
            let instance = match server {
                Some(s) => {
                    let id = arm_id_of(&s, "");
                    let state = match self.docs.failure(&id) {
                        Some(f) => InstanceState::Failed(f.clone()),
                        None => InstanceState::Doc(with_facts(s, facts)),
                    };
                    Instance { id, state }
                }
                None => {
                    let subscription = arm_id::subscription(self.id).unwrap_or_default();
                    let state = match self
                        .docs
                        .failure(&format!("{subscription}/providers/Microsoft.Sql/servers"))
                    {
                        Some(f) => InstanceState::Failed(f.clone()),
                        None => InstanceState::Manual(format!(
                            "host {host} not resolvable with current scope"
                        )),
                    };
                    Instance { id: conn_id, state }
                }
            };
            instances
                .entry(arm_id::key(&instance.id))
                .or_insert(instance);
        }
        match connections {
            Target::Failed(f) => Target::Failed(f.clone()),
            _ if instances.is_empty() => {
                Target::Absent("no connection to an Azure SQL Database".into())
            }
            _ => Target::Present(instances.into_values().collect()),
        }
    }

    fn sql_entra_only(&self, servers: &Target) -> Target {
        let Target::Present(items) = servers else {
            return servers.clone();
        };
        Target::Present(
            items
                .iter()
                .map(|server| match &server.state {
                    InstanceState::Doc(_) => {
                        let id = format!("{}/azureADOnlyAuthentications/Default", server.id);
                        let state = match self.docs.get(&id) {
                            Ok(d) => InstanceState::Doc(d.clone()),
                            // Not configured (§1.6): evaluated as an empty setting, which fails.
                            Err(f) if f.is_not_found() => InstanceState::Doc(json!({"id": id, "properties": {}, "amlsec": {"notConfigured": true}})),
                            Err(f) => InstanceState::Failed(f),
                        };
                        Instance { id, state }
                    }
                    _ => server.clone(),
                })
                .collect(),
        )
    }
}

/// The Log Analytics workspaces the estate's logs go to (AML-LT-07's set D), as facts on the
/// workspace target: `amlsec.logAnalyticsWorkspaceIds` (distinct, lower-cased) and
/// `amlsec.logAnalyticsSources`; a hole when a read they come from failed.
fn add_log_destinations(targets: &mut BTreeMap<TargetKind, Target>) {
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut failure = None;
    let settings = [
        TargetKind::DiagnosticSettings(DiagnosedResource::Workspace),
        TargetKind::DiagnosticSettings(DiagnosedResource::StorageBlobService),
        TargetKind::DiagnosticSettings(DiagnosedResource::KeyVault),
        TargetKind::DiagnosticSettings(DiagnosedResource::Registry),
        TargetKind::SubscriptionDiagnosticSettings,
    ];
    for kind in settings {
        match targets.get(&kind) {
            Some(Target::Failed(f)) => failure = failure.or(Some(f.clone())),
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
            None => {}
        }
    }
    match targets.get(&TargetKind::Insights) {
        Some(Target::Failed(f)) => failure = failure.or(Some(f.clone())),
        Some(target) => {
            for doc in docs_of(target) {
                let la = text(doc, "properties.WorkspaceResourceId");
                if !la.is_empty() {
                    sources.push((la.to_string(), "insights".into()));
                }
            }
        }
        None => {}
    }
    let ids: BTreeSet<String> = sources.iter().map(|(id, _)| arm_id::key(id)).collect();
    let (ids, sources) = match failure {
        Some(f) => (hole(&f), hole(&f)),
        None => (
            json!(ids),
            Value::Array(
                sources
                    .into_iter()
                    .map(|(id, source)| json!({"id": id, "source": source}))
                    .collect(),
            ),
        ),
    };
    if let Some(Target::Present(items)) = targets.get_mut(&TargetKind::Workspace)
        && let Some(InstanceState::Doc(doc)) = items.first_mut().map(|i| &mut i.state)
        && let Some(facts) = doc.get_mut("amlsec").and_then(Value::as_object_mut)
    {
        facts.insert("logAnalyticsWorkspaceIds".into(), ids);
        facts.insert("logAnalyticsSources".into(), sources);
    }
}

fn augment(d: &Value, facts: &impl Fn(&Value) -> Value) -> Value {
    match facts(d) {
        Value::Null => d.clone(),
        f => with_facts(d.clone(), f),
    }
}

fn list_target(collection: &str, items: Vec<Value>) -> Target {
    single(Ok((
        collection.to_string(),
        json!({"id": collection, "value": items}),
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

/// Tag keys (lower-cased) whose value is not blank: tags match case-insensitively and a blank
/// value counts as missing (§1.6).
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

/// Locations compare lower-cased without spaces (§1.3).
fn location(l: &str) -> String {
    l.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The host of a SQL connection target (§1.4): the `Server=`/`Data Source=` value if any,
/// without scheme, `tcp:` and port.
pub fn sql_host(target: &str) -> String {
    let lower = target.to_ascii_lowercase();
    let mut host = lower.as_str();
    for key in ["server=", "data source="] {
        if let Some(at) = lower.find(key) {
            host = lower[at + key.len()..]
                .split(';')
                .next()
                .unwrap_or_default();
            break;
        }
    }
    let host = host.trim();
    let host = host.split_once("://").map_or(host, |(_, h)| h);
    let host = host.strip_prefix("tcp:").unwrap_or(host);
    let host = host.split([':', ',', '/']).next().unwrap_or_default();
    host.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_hosts_are_extracted() {
        for (target, host) in [
            (
                "Server=tcp:srv.database.windows.net,1433;Database=d",
                "srv.database.windows.net",
            ),
            (
                "data source=SRV.database.windows.net;Initial Catalog=x",
                "srv.database.windows.net",
            ),
            (
                "mssql://srv.database.windows.net:1433/db",
                "srv.database.windows.net",
            ),
            ("srv.database.windows.net", "srv.database.windows.net"),
        ] {
            assert_eq!(sql_host(target), host, "{target}");
        }
    }

    #[test]
    fn locations_are_normalised() {
        assert_eq!(location("West Europe"), "westeurope");
    }
}
