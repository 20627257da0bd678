//! Resolution of each target, including hub/project workspaces and the resolved points of
//! baseline.md §1.6.

use serde_json::{Value, json};

use super::*;
use crate::cloud::Settings;
use crate::documents::{Documents, ReadFailure};

const SUB: &str = "/subscriptions/s1";
const RG: &str = "/subscriptions/s1/resourceGroups/rg-ml";
const WS: &str = "/subscriptions/s1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws";
const ST: &str =
    "/subscriptions/s1/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/st";
const KV: &str = "/subscriptions/s1/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv";
const ACR: &str =
    "/subscriptions/s1/resourceGroups/rg-ml/providers/Microsoft.ContainerRegistry/registries/acr";

fn workspace(extra: Value) -> Value {
    let mut ws = json!({"id": WS, "name": "ws", "location": "westeurope", "properties": {
        "storageAccount": ST, "keyVault": KV, "containerRegistry": ACR, "applicationInsights": ""}});
    merge(&mut ws, extra);
    ws
}

fn merge(into: &mut Value, extra: Value) {
    match (into, extra) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn docs(items: Vec<Value>) -> Documents {
    let mut d = Documents::default();
    items.into_iter().for_each(|i| d.insert(i));
    d
}

fn estate(d: &Documents, id: &str) -> Estate {
    resolve(
        d,
        id,
        &Settings::default(),
        &crate::graph::closure(&crate::graph::every_kind("StorageAccounts")),
        &Shared::default(),
    )
}

fn k(name: &str) -> TargetKind {
    TargetKind::parse(name).unwrap()
}

fn present(e: &Estate, kind: TargetKind) -> Vec<Instance> {
    match e.target(&kind) {
        Target::Present(items) => items.clone(),
        other => panic!("{kind}: expected present, got {other:?}"),
    }
}

fn doc(i: &Instance) -> &Value {
    match &i.state {
        InstanceState::Doc(d) => &d.value,
        other => panic!("{}: expected a document, got {other:?}", i.id),
    }
}

fn is_failed(e: &Estate, kind: TargetKind) -> bool {
    matches!(e.target(&kind), Target::Failed(_))
}

fn is_absent(e: &Estate, kind: TargetKind) -> bool {
    matches!(e.target(&kind), Target::Absent(_))
}

#[test]
fn referenced_documents_missing_from_the_source_are_failed_reads() {
    let d = docs(vec![
        workspace(json!({})),
        json!({"id": format!("{ST}/blobServices/default")}),
    ]);
    let e = estate(&d, WS);
    assert!(
        is_failed(&e, k("storage")),
        "storage is referenced but absent"
    );
    assert!(is_failed(&e, k("keyvault")));
    // Independent reads stay independent: the blob service has its own document.
    assert_eq!(present(&e, k("storage-blob-service")).len(), 1);
    assert!(is_failed(&e, k("storage-file-service")));
    // diagnostic-settings (X) is error when X is error, not_applicable when X is absent.
    assert!(is_failed(&e, k("diagnostic-settings(keyvault)")));
    assert!(
        is_absent(&e, k("insights")),
        "an empty applicationInsights is no reference"
    );
    assert!(is_failed(&e, k("registry-replications")));
}

#[test]
fn an_optional_registry_can_be_absent() {
    let d = docs(vec![workspace(
        json!({"properties": {"containerRegistry": null}}),
    )]);
    let e = estate(&d, WS);
    assert!(is_absent(&e, k("registry")));
    assert!(is_absent(&e, k("registry-replications")));
    assert!(is_absent(&e, k("diagnostic-settings(registry)")));
}

#[test]
fn lists_are_evaluated_even_when_empty() {
    let d = docs(vec![
        workspace(json!({})),
        json!({"id": ACR, "location": "West Europe", "sku": {"name": "Premium"}}),
        json!({"id": format!("{ACR}/replications/northeurope"), "location": "northeurope", "properties": {"provisioningState": "Succeeded"}}),
    ]);
    let e = estate(&d, WS);
    let diag = present(&e, k("diagnostic-settings(registry)"));
    assert_eq!(doc(&diag[0])["value"], json!([]));
    let reps = present(&e, k("registry-replications"));
    assert_eq!(doc(&reps[0])["amlsec"]["registryLocation"], "westeurope");
    assert_eq!(
        doc(&reps[0])["value"][0]["amlsec"]["location"],
        "northeurope"
    );
    let pricing = present(&e, k("defender-pricing(StorageAccounts)"));
    assert_eq!(
        doc(&pricing[0])["properties"]["pricingTier"],
        "Free",
        "a plan missing from the list is Free"
    );
}

#[test]
fn computes_keep_instances_and_clusters_only() {
    let c = |name: &str, t: &str, subnet: Option<&str>| {
        json!({"id": format!("{WS}/computes/{name}"), "name": name, "properties": {"computeType": t,
            "properties": subnet.map(|s| json!({"subnet": {"id": s}}))}})
    };
    let subnet_ok = "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/ok";
    let subnet_gone = "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/gone";
    let nsg = "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/networkSecurityGroups/nsg";
    let d = docs(vec![
        workspace(json!({})),
        c("ci", "computeinstance", Some(subnet_ok)),
        c("cluster", "AmlCompute", Some(subnet_gone)),
        c("cluster2", "AmlCompute", Some(subnet_ok)),
        c("aks", "AKS", Some(subnet_ok)),
        json!({"id": subnet_ok, "properties": {"networkSecurityGroup": {"id": nsg}}}),
        json!({"id": nsg, "properties": {"securityRules": []}}),
    ]);
    let e = estate(&d, WS);
    assert_eq!(present(&e, k("compute")).len(), 3, "AKS is ignored");
    assert_eq!(
        present(&e, k("compute-instance")).len(),
        1,
        "computeType matches case-insensitively"
    );
    assert_eq!(present(&e, k("compute-cluster")).len(), 2);
    let subnets = present(&e, k("compute-subnet"));
    assert_eq!(subnets.len(), 2, "distinct subnets");
    assert!(
        matches!(subnets[0].state, InstanceState::Failed(_)),
        "the missing subnet is a failed read"
    );
    assert_eq!(
        doc(&subnets[1])["amlsec"]["computeNames"],
        json!(["ci", "cluster2"])
    );
    let nsgs = present(&e, k("compute-nsg"));
    assert_eq!(
        nsgs.len(),
        2,
        "the NSG of the unreadable subnet is unknown, and says so"
    );
    assert!(
        nsgs.iter()
            .any(|n| matches!(n.state, InstanceState::Failed(_)))
    );

    let none = docs(vec![workspace(json!({})), c("aks", "AKS", None)]);
    assert!(is_absent(&estate(&none, WS), k("compute")));
}

#[test]
fn failed_lists_fail_their_targets() {
    let mut d = docs(vec![workspace(json!({}))]);
    d.record_failure(ReadFailure {
        path: format!("{WS}/computes"),
        status: Some(403),
        code: Some("AuthorizationFailed".into()),
        message: String::new(),
        request_id: None,
        unknown: false,
    });
    d.record_failure(ReadFailure {
        path: format!("{WS}/providers/Microsoft.Authorization/roleAssignments"),
        status: Some(403),
        code: None,
        message: String::new(),
        request_id: None,
        unknown: false,
    });
    let e = estate(&d, WS);
    for kind in [
        k("compute"),
        k("compute-instance"),
        k("compute-subnet"),
        k("compute-nsg"),
        k("role-assignment"),
        k("role-definition"),
    ] {
        assert!(is_failed(&e, kind.clone()), "{kind}");
    }
    assert!(is_absent(&e, k("datastore")), "other lists are untouched");
}

#[test]
fn an_unreadable_workspace_fails_every_target() {
    let e = estate(&docs(vec![]), WS);
    assert!(e.audited.is_err());
    assert!(is_failed(&e, k("workspace")));
    assert!(is_failed(&e, k("lock")));
    assert!(is_failed(&e, k("defender-pricing(StorageAccounts)")));
}

#[test]
fn a_project_is_evaluated_through_its_hub() {
    let hub = "/subscriptions/s1/resourceGroups/rg-hub/providers/Microsoft.MachineLearningServices/workspaces/hub";
    let project = json!({"id": WS, "kind": "Project", "properties": {"hubResourceId": hub}});
    let hub_doc =
        json!({"id": hub, "kind": "hub", "properties": {"storageAccount": ST, "keyVault": KV}});
    let d = docs(vec![
        project.clone(),
        hub_doc,
        json!({"id": ST}),
        json!({"id": format!("{WS}/computes/ci"), "properties": {"computeType": "ComputeInstance"}}),
        json!({"id": format!("{hub}/providers/Microsoft.Authorization/locks/l"), "properties": {"level": "CanNotDelete"}}),
        json!({"id": format!("{RG}/providers/Microsoft.Authorization/locks/mine"), "properties": {"level": "ReadOnly"}}),
    ]);
    let e = estate(&d, WS);
    assert_eq!(doc(&present(&e, k("workspace"))[0])["id"], hub);
    assert_eq!(present(&e, k("storage"))[0].id.as_ref(), ST);
    assert_eq!(
        present(&e, k("compute")).len(),
        1,
        "computes are listed on the project"
    );
    assert!(is_absent(&e, k("registry")), "the hub has no registry");
    let locks = present(&e, k("lock"));
    let value = doc(&locks[0])["value"].as_array().unwrap().clone();
    assert_eq!(
        value.len(),
        1,
        "a lock on the hub does not protect the project"
    );
    assert_eq!(value[0]["amlsec"]["scope"], RG);
    assert_eq!(
        e.context("audited").unwrap().unwrap().value["kind"],
        "Project"
    );

    let orphan = docs(vec![
        project,
        json!({"id": format!("{WS}/computes/ci"), "properties": {"computeType": "AmlCompute"}}),
    ]);
    let e = estate(&orphan, WS);
    assert!(
        is_failed(&e, k("workspace")),
        "an unreadable hub is an error"
    );
    assert!(is_failed(&e, k("storage")));
    assert!(e.context("workspace").is_err());
    assert_eq!(present(&e, k("compute")).len(), 1);
}

#[test]
fn private_endpoints_zones_and_links() {
    let pe = "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe";
    let pending =
        "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pending";
    let vnet = "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v";
    let zone = |name: &str| {
        format!(
            "/subscriptions/hub/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/{name}"
        )
    };
    let pec = |id: &str, status: &str| json!({"properties": {"privateEndpoint": {"id": id}, "privateLinkServiceConnectionState": {"status": status}}});
    let d = docs(vec![
        workspace(
            json!({"properties": {"privateEndpointConnections": [pec(pe, "Approved"), pec(pending, "Pending")]}}),
        ),
        json!({"id": pe, "properties": {"subnet": {"id": format!("{vnet}/subnets/pe")}}}),
        json!({"id": format!("{pe}/privateDnsZoneGroups/default"), "properties": {"privateDnsZoneConfigs": [
            {"properties": {"privateDnsZoneId": zone("privatelink.api.azureml.ms")}},
            {"properties": {"privateDnsZoneId": zone("privatelink.blob.core.windows.net")}}]}}),
        json!({"id": format!("{}/virtualNetworkLinks/l1", zone("privatelink.api.azureml.ms")), "properties": {"virtualNetwork": {"id": vnet}}}),
    ]);
    let e = estate(&d, WS);
    let pes = present(&e, k("workspace-private-endpoint"));
    assert_eq!(pes.len(), 1, "only approved connections count");
    let pe_doc = doc(&pes[0]);
    assert_eq!(
        pe_doc["amlsec"]["privateDnsZoneNames"],
        json!([
            "privatelink.api.azureml.ms",
            "privatelink.blob.core.windows.net"
        ])
    );
    assert_eq!(pe_doc["amlsec"]["vnetId"], vnet);
    assert_eq!(pe_doc["privateDnsZoneGroups"].as_array().unwrap().len(), 1);
    let zones = present(&e, k("private-dns-zone"));
    assert_eq!(zones.len(), 1, "only zones named in aml_private_dns_zones");
    let z = doc(&zones[0]);
    assert_eq!(z["virtualNetworkLinks"].as_array().unwrap().len(), 1);
    assert_eq!(z["amlsec"]["privateEndpointVnetIds"], json!([vnet]));
}

#[test]
fn role_assignments_are_scoped_segment_by_segment() {
    let ra = |name: &str, scope: &str, role: &str| {
        json!({"id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
               "properties": {"scope": scope, "principalId": name, "roleDefinitionId": format!("/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/{role}")}})
    };
    let d = docs(vec![
        workspace(json!({})),
        ra("at-ws", WS, "OWNER-GUID"),
        ra("at-rg", RG, "r2"),
        ra("at-sub", SUB, "r2"),
        ra(
            "at-mg",
            "/providers/Microsoft.Management/managementGroups/root",
            "r3",
        ),
        ra(
            "elsewhere",
            "/subscriptions/s1/resourceGroups/rg-ml-edge",
            "r4",
        ),
        json!({"id": "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/r2", "properties": {"type": "CustomRole"}}),
    ]);
    let e = estate(&d, WS);
    let list = doc(&present(&e, k("role-assignment"))[0]).clone();
    let levels: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["amlsec"]["scopeLevel"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        [
            "managementGroup",
            "subscription",
            "resourceGroup",
            "resource"
        ]
    );
    assert_eq!(
        list["value"][3]["amlsec"]["roleDefinitionGuid"],
        "owner-guid"
    );
    let defs = present(&e, k("role-definition"));
    assert_eq!(defs.len(), 3, "distinct role definitions");
    assert_eq!(
        defs.iter()
            .filter(|d| matches!(d.state, InstanceState::Failed(_)))
            .count(),
        2
    );
}

#[test]
fn sql_connections_resolve_to_servers_by_host() {
    let conn = |name: &str, category: &str, target: &str| json!({"id": format!("{WS}/connections/{name}"), "properties": {"category": category, "target": target}});
    let server = "/subscriptions/s2/resourceGroups/data/providers/Microsoft.Sql/servers/sql1";
    let d = docs(vec![
        workspace(json!({})),
        conn(
            "known",
            "AzureSqlDb",
            "Server=tcp:SQL1.database.windows.net,1433;Database=x",
        ),
        conn(
            "unknown",
            "SqlServer",
            "Data Source=other.database.windows.net;",
        ),
        conn("onprem", "SqlServer", "Server=sql.contoso.local"),
        conn("blob", "AzureBlob", "https://x.blob.core.windows.net"),
        json!({"id": server, "properties": {"fullyQualifiedDomainName": "sql1.database.windows.net"}}),
    ]);
    let e = estate(&d, WS);
    let servers = present(&e, k("sql-server"));
    assert_eq!(servers.len(), 2, "the on-premises host is not Azure SQL");
    assert_eq!(servers[1].id.as_ref(), server);
    assert_eq!(
        doc(&servers[1])["amlsec"]["host"],
        "sql1.database.windows.net"
    );
    assert!(matches!(&servers[0].state, InstanceState::Manual(m) if m.contains("not resolvable")));
    let entra = present(&e, k("sql-server-entra-only"));
    assert_eq!(
        doc(&entra[1])["amlsec"]["notConfigured"],
        true,
        "a missing Entra-only setting is not configured"
    );

    let mut forbidden = docs(vec![
        workspace(json!({})),
        conn("known", "AzureSqlDb", "sql1.database.windows.net"),
        json!({"id": server, "properties": {"fullyQualifiedDomainName": "sql1.database.windows.net"}}),
    ]);
    forbidden.record_failure(ReadFailure {
        path: format!("{server}/azureADOnlyAuthentications/Default"),
        status: Some(403),
        code: None,
        message: String::new(),
        request_id: None,
        unknown: false,
    });
    let entra = present(&estate(&forbidden, WS), k("sql-server-entra-only"));
    assert!(
        matches!(entra[0].state, InstanceState::Failed(_)),
        "a 403 is an error, not 'not configured'"
    );
}
