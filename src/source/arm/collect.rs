//! Collection (baseline.md §11): every read a workspace's targets need, issued concurrently
//! where they do not depend on each other, so the wall time follows the longest chain of
//! dependent reads (workspace → private endpoint → zone groups → VNet links). Reads shared by
//! workspaces (a subscription's pricings, a hub, a role definition) are made once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::OnceCell;

use super::client::ArmClient;
use crate::arm_id;
use crate::documents::text;
use crate::documents::{Documents, ReadFailure};

const ML: &str = "2025-12-01";
const STORAGE: &str = "2025-06-01";
const KEYVAULT: &str = "2025-05-01";
const REGISTRY: &str = "2025-04-01";
const REPLICATIONS: &str = "2023-07-01";
const INSIGHTS: &str = "2020-02-02";
const DIAGNOSTICS: &str = "2021-05-01-preview";
const NETWORK: &str = "2025-03-01";
const NSG: &str = "2025-01-01";
const PRIVATE_DNS: &str = "2024-06-01";
const PRICINGS: &str = "2024-01-01";
const ROLES: &str = "2022-04-01";
const POLICY: &str = "2025-03-01";
const LOCKS: &str = "2020-05-01";
const SQL: &str = "2023-08-01";

/// What the settings tell the collector to read (baseline.md §1.2, §1.4).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Names of the private DNS zones whose VNet links are read.
    pub dns_zones: Vec<String>,
    /// Host suffixes of Azure SQL connections.
    pub sql_host_suffixes: Vec<String>,
    /// Subscriptions whose SQL servers are listed to resolve SQL hosts.
    pub subscriptions: Vec<String>,
}

type Read = Result<Value, ReadFailure>;

pub struct Collector {
    client: Arc<ArmClient>,
    plan: Plan,
    memo: Mutex<HashMap<String, Arc<OnceCell<Read>>>>,
    /// List items and GET bodies apart: a GET body (a compute read on its own) is added after
    /// the list item of the same id, which it replaces.
    listed: Mutex<Vec<Value>>,
    got: Mutex<Vec<Value>>,
    failures: Mutex<Vec<ReadFailure>>,
    done: std::sync::atomic::AtomicUsize,
}

fn items<'v>(doc: &'v Value, path: &str) -> impl Iterator<Item = &'v Value> {
    let mut v = Some(doc);
    for seg in path.split('.') {
        v = v.and_then(|x| crate::documents::member(x, seg));
    }
    v.and_then(Value::as_array).into_iter().flatten()
}

impl Collector {
    pub fn new(client: Arc<ArmClient>, plan: Plan) -> Arc<Collector> {
        Arc::new(Collector {
            client,
            plan,
            memo: Mutex::new(HashMap::new()),
            listed: Mutex::new(Vec::new()),
            got: Mutex::new(Vec::new()),
            failures: Mutex::new(Vec::new()),
            done: Default::default(),
        })
    }

    pub fn workspaces_done(&self) -> usize {
        self.done.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One read, made once per path however many workspaces need it.
    async fn read(&self, path: &str, list: bool, api: &str, query: &[(&str, &str)]) -> Read {
        let cell = {
            let mut memo = self.memo.lock().expect("memo lock");
            Arc::clone(memo.entry(arm_id::key(path)).or_default())
        };
        cell.get_or_init(|| async {
            let result = if list {
                self.client.list(path, api, query).await.map(Value::Array)
            } else {
                self.client.get(path, api).await
            };
            match &result {
                Ok(Value::Array(found)) if list => self
                    .listed
                    .lock()
                    .expect("docs lock")
                    .extend(found.iter().cloned()),
                Ok(doc) => self.got.lock().expect("docs lock").push(doc.clone()),
                Err(f) => self.failures.lock().expect("failures lock").push(f.clone()),
            }
            result
        })
        .await
        .clone()
    }

    async fn get(&self, id: impl AsRef<str>, api: &str) -> Option<Value> {
        self.read(id.as_ref(), false, api, &[]).await.ok()
    }

    async fn list(&self, path: impl AsRef<str>, api: &str) -> Vec<Value> {
        self.list_with(path, api, &[]).await
    }

    async fn list_with(
        &self,
        path: impl AsRef<str>,
        api: &str,
        query: &[(&str, &str)],
    ) -> Vec<Value> {
        match self.read(path.as_ref(), true, api, query).await {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        }
    }

    /// Collects every workspace concurrently (the client bounds the requests in flight).
    pub async fn collect(self: &Arc<Self>, workspaces: &[String]) {
        let mut tasks = tokio::task::JoinSet::new();
        for id in workspaces {
            let (me, id) = (Arc::clone(self), id.clone());
            tasks.spawn(async move {
                me.workspace(&id).await;
                me.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// The documents and failed reads collected so far.
    pub fn documents(&self) -> Documents {
        let mut docs = Documents::default();
        for list in [&self.listed, &self.got] {
            for d in list.lock().expect("docs lock").drain(..) {
                docs.insert(d);
            }
        }
        for f in self.failures.lock().expect("failures lock").iter() {
            docs.record_failure(f.clone());
        }
        docs
    }

    async fn workspace(&self, ws: &str) {
        let sub = arm_id::subscription(ws).unwrap_or_default();
        let rg = arm_id::resource_group(ws).unwrap_or_default();
        let at_scope = [("$filter", "atScope()")];
        let roles_path = format!("{ws}/providers/Microsoft.Authorization/roleAssignments");
        let policy_path = format!("{rg}/providers/Microsoft.Authorization/policyAssignments");
        let (body, computes, _, connections, roles, policies, _, _, _) = tokio::join!(
            self.get(ws, ML),
            self.list(format!("{ws}/computes"), ML),
            self.list(format!("{ws}/datastores"), ML),
            self.list(format!("{ws}/connections"), ML),
            self.list_with(&roles_path, ROLES, &at_scope),
            self.list_with(&policy_path, POLICY, &at_scope),
            self.list(
                format!("{sub}/providers/Microsoft.Authorization/locks"),
                LOCKS
            ),
            self.list(
                format!("{sub}/providers/Microsoft.Security/pricings"),
                PRICINGS
            ),
            self.list(
                format!("{sub}/providers/Microsoft.Insights/diagnosticSettings"),
                DIAGNOSTICS
            ),
        );
        let Some(body) = body else { return };
        tokio::join!(
            self.workspace_dependencies(ws, &body),
            self.compute_network(ws, &computes),
            self.role_definitions(&roles),
            self.policy_sets(&policies),
            self.sql_servers(&connections),
        );
    }

    /// Everything read through the workspace body: the hub's, for a project (§1.2).
    async fn workspace_dependencies(&self, ws: &str, audited: &Value) {
        let hub_body;
        let body = if text(audited, "kind").eq_ignore_ascii_case("project") {
            let hub = text(audited, "properties.hubResourceId");
            if hub.is_empty() {
                return;
            }
            match self.get(hub, ML).await {
                Some(b) => {
                    hub_body = b;
                    &hub_body
                }
                None => return,
            }
        } else {
            audited
        };
        let storage = text(body, "properties.storageAccount");
        let keyvault = text(body, "properties.keyVault");
        let registry = text(body, "properties.containerRegistry");
        let insights = text(body, "properties.applicationInsights");
        let diag = |id: &str| format!("{id}/providers/Microsoft.Insights/diagnosticSettings");
        let blob = format!("{storage}/blobServices/default");
        let optional = |id: &str, api: &'static str| {
            let id = id.to_string();
            async move {
                if !id.is_empty() {
                    self.get(&id, api).await;
                }
            }
        };
        let optional_list = |path: String, enabled: bool, api: &'static str| async move {
            if enabled {
                self.list(&path, api).await;
            }
        };
        tokio::join!(
            optional(storage, STORAGE),
            optional(if storage.is_empty() { "" } else { &blob }, STORAGE),
            optional(
                &if storage.is_empty() {
                    String::new()
                } else {
                    format!("{storage}/fileServices/default")
                },
                STORAGE
            ),
            optional(keyvault, KEYVAULT),
            optional(registry, REGISTRY),
            optional(insights, INSIGHTS),
            optional_list(
                format!("{registry}/replications"),
                !registry.is_empty(),
                REPLICATIONS
            ),
            // A project's own diagnostic settings, not its hub's (§1.2).
            optional_list(diag(ws), true, DIAGNOSTICS),
            optional_list(diag(&blob), !storage.is_empty(), DIAGNOSTICS),
            optional_list(diag(keyvault), !keyvault.is_empty(), DIAGNOSTICS),
            optional_list(diag(registry), !registry.is_empty(), DIAGNOSTICS),
            self.private_endpoints(body),
        );
    }

    async fn private_endpoints(&self, body: &Value) {
        let endpoints: BTreeSet<String> = items(body, "properties.privateEndpointConnections")
            .filter(|c| {
                text(c, "properties.privateLinkServiceConnectionState.status")
                    .eq_ignore_ascii_case("Approved")
            })
            .map(|c| text(c, "properties.privateEndpoint.id").to_string())
            .filter(|id| !id.is_empty())
            .collect();
        let wanted: Vec<String> = self
            .plan
            .dns_zones
            .iter()
            .map(|z| z.to_ascii_lowercase())
            .collect();
        let wanted = &wanted;
        let per_endpoint = endpoints.iter().map(|pe| async move {
            let (_, groups) = tokio::join!(
                self.get(pe, NETWORK),
                self.list(format!("{pe}/privateDnsZoneGroups"), NETWORK)
            );
            groups
                .iter()
                .flat_map(|g| items(g, "properties.privateDnsZoneConfigs"))
                .map(|c| text(c, "properties.privateDnsZoneId").to_string())
                .filter(|z| wanted.contains(&arm_id::last_segment(z).to_ascii_lowercase()))
                .collect::<Vec<String>>()
        });
        let zones: BTreeSet<String> = join_all(per_endpoint).await.into_iter().flatten().collect();
        join_all(
            zones
                .iter()
                .map(|z| self.list(format!("{z}/virtualNetworkLinks"), PRIVATE_DNS)),
        )
        .await;
    }

    async fn compute_network(&self, ws: &str, computes: &[Value]) {
        // A list item without its inner properties is read on its own (§1.2).
        let fetched = join_all(computes.iter().map(|c| async move {
            let kind = text(c, "properties.computeType");
            let relevant = ["ComputeInstance", "AmlCompute"]
                .iter()
                .any(|t| t.eq_ignore_ascii_case(kind));
            if relevant
                && crate::documents::member(&c["properties"], "properties")
                    .is_none_or(Value::is_null)
            {
                let id = match text(c, "id") {
                    "" => format!("{ws}/computes/{}", text(c, "name")),
                    id => id.to_string(),
                };
                self.get(&id, ML).await.unwrap_or_else(|| c.clone())
            } else {
                c.clone()
            }
        }))
        .await;
        let subnets: BTreeMap<String, String> = fetched
            .iter()
            .map(|c| text(c, "properties.properties.subnet.id"))
            .filter(|s| !s.is_empty())
            .map(|s| (arm_id::key(s), s.to_string()))
            .collect();
        join_all(subnets.values().map(|s| async move {
            if let Some(subnet) = self.get(s, NETWORK).await {
                let nsg = text(&subnet, "properties.networkSecurityGroup.id");
                if !nsg.is_empty() {
                    self.get(nsg, NSG).await;
                }
            }
        }))
        .await;
    }

    async fn role_definitions(&self, assignments: &[Value]) {
        let ids: BTreeMap<String, String> = assignments
            .iter()
            .map(|a| text(a, "properties.roleDefinitionId"))
            .filter(|id| !id.is_empty())
            .map(|id| (arm_id::key(id), id.to_string()))
            .collect();
        join_all(ids.values().map(|id| self.get(id, ROLES))).await;
    }

    async fn policy_sets(&self, assignments: &[Value]) {
        let ids: BTreeMap<String, String> = assignments
            .iter()
            .map(|a| text(a, "properties.policyDefinitionId"))
            .filter(|id| id.to_ascii_lowercase().contains("/policysetdefinitions/"))
            .map(|id| (arm_id::key(id), id.to_string()))
            .collect();
        join_all(ids.values().map(|id| self.get(id, POLICY))).await;
    }

    async fn sql_servers(&self, connections: &[Value]) {
        let hosts: BTreeSet<String> = connections
            .iter()
            .filter(|c| {
                ["AzureSqlDb", "SqlServer"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(text(c, "properties.category")))
            })
            .map(|c| crate::estate::sql_host(text(c, "properties.target")))
            .filter(|h| {
                self.plan
                    .sql_host_suffixes
                    .iter()
                    .any(|s| !s.is_empty() && h.ends_with(&s.to_ascii_lowercase()))
            })
            .collect();
        if hosts.is_empty() {
            return;
        }
        let lists = join_all(
            self.plan
                .subscriptions
                .iter()
                .map(|s| self.list(format!("{s}/providers/Microsoft.Sql/servers"), SQL)),
        )
        .await;
        let servers: BTreeSet<String> = lists
            .iter()
            .flatten()
            .filter(|s| {
                hosts.contains(&text(s, "properties.fullyQualifiedDomainName").to_ascii_lowercase())
            })
            .map(|s| text(s, "id").to_string())
            .collect();
        join_all(servers.iter().map(|id| async move {
            tokio::join!(
                self.get(id, SQL),
                self.get(format!("{id}/azureADOnlyAuthentications/Default"), SQL)
            );
        }))
        .await;
    }
}

/// Runs futures concurrently on the current task and returns their outputs in order.
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
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

/// Workspace ids from a discovery request: every workspace of a resource group or subscription.
pub async fn discover(client: &ArmClient, scope: &str) -> Result<Vec<String>, ReadFailure> {
    let list = client
        .list(
            &format!("{scope}/providers/Microsoft.MachineLearningServices/workspaces"),
            ML,
            &[],
        )
        .await?;
    Ok(list
        .iter()
        .map(|w| text(w, "id").to_string())
        .filter(|id| !id.is_empty())
        .collect())
}
