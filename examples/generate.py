#!/usr/bin/env python3
"""Builds the example snapshots from the real ARM response shapes in arm-shapes/.

Each document starts as a body copied from Microsoft's public API specs (see
arm-shapes/PROVENANCE.md), gets consistent ids, and has only the properties the scenario
needs changed. Three shapes have no example in the specs (fileServices/default, workspace
connections, azureADOnlyAuthentications, policySetDefinitions); they are written here by hand
with the property names of the same api-versions, and marked `HAND-WRITTEN` below.

Run from anywhere: python3 examples/generate.py  (rewrites examples/*.json)
"""
import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHAPES = HERE / "arm-shapes"
SUB = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a"
SUB_GUID = SUB.split("/")[-1]
LA = f"{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/log-central"
ROLE = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
OWNER, CONTRIBUTOR = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c"
DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
MLOPS_DEPLOYER = "5d3c1a7e-2b4f-4e8a-9c6d-7f1e2a3b4c5d"  # a custom role of the example


def shape(name):
    return json.loads((SHAPES / f"{name}.body.json").read_text())


def first(name, **match):
    items = shape(name)["value"]
    for item in items:
        if all(item.get(k) == v for k, v in match.items()):
            return copy.deepcopy(item)
    raise KeyError(f"{name}: no item {match}")


def put(doc, path, value):
    *parents, last = path.split(".")
    for p in parents:
        doc = doc.setdefault(p, {})
    doc[last] = value


def drop(doc, *paths):
    for path in paths:
        *parents, last = path.split(".")
        d = doc
        for p in parents:
            d = d.get(p, {})
        d.pop(last, None)


def ident(doc, id_, location=None):
    doc["id"] = id_
    doc["name"] = id_.split("/")[-1]
    if location:
        doc["location"] = location
    return doc


def approved_pec(owner_id, pe_id):
    """A private endpoint connection in the shape of the workspace GET example."""
    pec = copy.deepcopy(shape("machinelearning/workspace-get")["properties"]["privateEndpointConnections"][0])
    pec["id"] = f"{owner_id}/privateEndpointConnections/{pe_id.split('/')[-1]}"
    pec["name"] = pe_id.split("/")[-1]
    pec["properties"]["privateEndpoint"]["id"] = pe_id
    return pec


class Names:
    def __init__(self, rg, ws):
        self.rg = f"{SUB}/resourceGroups/{rg}"
        self.ws = f"{self.rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
        short = ws.replace("mlw-", "").replace("-", "")
        self.storage = f"{self.rg}/providers/Microsoft.Storage/storageAccounts/st{short}"
        self.kv = f"{self.rg}/providers/Microsoft.KeyVault/vaults/kv-{short}"
        self.acr = f"{self.rg}/providers/Microsoft.ContainerRegistry/registries/cr{short}"
        self.appi = f"{self.rg}/providers/Microsoft.Insights/components/appi-{short}"
        net = f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network"
        self.vnet = f"{net}/virtualNetworks/vnet-ml"
        self.snet_pe = f"{self.vnet}/subnets/snet-pe"
        self.snet_compute = f"{self.vnet}/subnets/snet-compute"
        self.nsg = f"{net}/networkSecurityGroups/nsg-compute"
        self.pe = f"{net}/privateEndpoints/pe-{ws}"
        dns = f"{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones"
        self.zones = [f"{dns}/privatelink.api.azureml.ms", f"{dns}/privatelink.notebooks.azure.net"]
        self.uai = f"{self.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ml"
        self.location = "westeurope"


def workspace(n, location, *, kind=None, registry=True, isolated=True):
    ws = ident(shape("machinelearning/workspace-get"), n.ws, location)
    p = ws["properties"]
    p.update(storageAccount=n.storage, keyVault=n.kv, applicationInsights=n.appi)
    if registry:
        p["containerRegistry"] = n.acr
    else:
        drop(ws, "properties.containerRegistry")
    p["encryption"]["keyVaultProperties"]["keyVaultArmId"] = n.kv
    p["encryption"]["identity"]["userAssignedIdentity"] = f"{n.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ml"
    ws["identity"]["userAssignedIdentities"] = {f"{n.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ml": {"clientId": "00000000-1111-2222-3333-444444444444", "principalId": "00000000-1111-2222-3333-444444444444"}}
    drop(ws, "properties.sharedPrivateLinkResources", "properties.imageBuildCompute")
    if isolated:
        p["privateEndpointConnections"] = [approved_pec(n.ws, n.pe)]
    if kind:
        ws["kind"] = kind
    return ws


def compute_instance(n, name, *, hardened):
    c = ident(shape("machinelearning/compute-get-computeinstance"), f"{n.ws}/computes/{name}", "westeurope")
    pp = c["properties"]["properties"]
    drop(c, "properties.properties.customServices")
    if hardened:
        pp["subnet"]["id"] = n.snet_compute
        pp["sshSettings"]["sshPublicAccess"] = "Disabled"
        pp["osImageMetadata"].update(currentImageVersion="22.07.22", isLatestOsImageVersion=True)
        pp["idleTimeBeforeShutdown"] = "PT60M"
        pp["enableNodePublicIp"] = False
        drop(c, "properties.properties.connectivityEndpoints.publicIpAddress")
        c["properties"]["disableLocalAuth"] = True
    else:
        drop(c, "properties.properties.subnet")
    return c


def compute_cluster(n, name, *, hardened):
    c = ident(shape("machinelearning/compute-get-amlcompute"), f"{n.ws}/computes/{name}", "westeurope")
    pp = c["properties"]["properties"]
    pp["osType"] = "Linux"
    if hardened:
        pp["subnet"]["id"] = n.snet_compute
        pp["remoteLoginPortPublicAccess"] = "Disabled"
        pp["enableNodePublicIp"] = False
        c["properties"]["disableLocalAuth"] = True
    else:
        drop(c, "properties.properties.subnet")
    return c


def storage(n, location, *, hardened):
    if hardened:
        s = ident(shape("storage/storageaccount-update"), n.storage, location)
        p = s["properties"]
        p.update(publicNetworkAccess="Disabled", allowSharedKeyAccess=False, allowBlobPublicAccess=False,
                 allowCrossTenantReplication=False, supportsHttpsTrafficOnly=True, minimumTlsVersion="TLS1_2",
                 privateEndpointConnections=[approved_pec(n.storage, f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints/pe-st-blob")])
        p["networkAcls"].update(defaultAction="Deny", resourceAccessRules=[])
        p["encryption"].update(keySource="Microsoft.Keyvault", requireInfrastructureEncryption=True,
                               keyvaultproperties={"keyname": "st-cmk", "keyvaulturi": f"https://{n.kv.split('/')[-1]}.vault.azure.net"})
        s["tags"] = {"dataClassification": "Confidential"}
    else:
        # The GET example omits minimumTlsVersion, allowBlobPublicAccess and allowSharedKeyAccess,
        # as accounts created before the secure defaults do.
        s = ident(shape("storage/storageaccount-get"), n.storage, location)
        s["properties"]["networkAcls"] = {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []}
    s["sku"] = {"name": "Standard_LRS", "tier": "Standard"}
    s["kind"] = "StorageV2"
    return s


def blob_service(n, *, hardened):
    b = ident(shape("storage/blobservices-get"), f"{n.storage}/blobServices/default")
    drop(b, "properties.cors")
    b["properties"]["deleteRetentionPolicy"] = {"enabled": hardened, "days": 14} if hardened else {"enabled": False}
    if hardened:
        b["properties"]["containerDeleteRetentionPolicy"] = {"enabled": True, "days": 14}
    return b


def file_service(n, enabled):
    # HAND-WRITTEN: no fileServices example in the specs; property names of Microsoft.Storage 2025-06-01.
    return {"id": f"{n.storage}/fileServices/default", "name": "default", "type": "Microsoft.Storage/storageAccounts/fileServices",
            "properties": {"shareDeleteRetentionPolicy": {"enabled": enabled, "days": 7}}}


def keyvault(n, location, *, hardened):
    if hardened:
        kv = ident(shape("keyvault/vault-create-with-networkacls"), n.kv, location)
        p = kv["properties"]
        p.update(publicNetworkAccess="Disabled", enableRbacAuthorization=True, enableSoftDelete=True,
                 softDeleteRetentionInDays=90, enablePurgeProtection=True, accessPolicies=[])
        p["networkAcls"]["virtualNetworkRules"] = [{"id": n.snet_compute.lower()}]
        # The connection item shape of the vault create example (Microsoft.KeyVault 2025-05-01).
        pe = f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints/pe-kv"
        p["privateEndpointConnections"] = [{"id": f"{n.kv}/privateEndpointConnections/pe-kv", "etag": "",
                                            "properties": {"provisioningState": "Succeeded", "privateEndpoint": {"id": pe},
                                                           "privateLinkServiceConnectionState": {"status": "Approved", "actionsRequired": "None"}}}]
    else:
        kv = ident(shape("keyvault/vault-get"), n.kv, location)
    return kv


def registry(n, location, *, hardened):
    r = ident(shape("containerregistry/registry-get"), n.acr, location)
    if hardened:
        r["sku"] = {"name": "Premium", "tier": "Premium"}
        r["properties"].update(adminUserEnabled=False, anonymousPullEnabled=False, publicNetworkAccess="Disabled")
        r["properties"]["networkRuleSet"]["defaultAction"] = "Deny"
        r["properties"]["policies"]["exportPolicy"] = {"status": "disabled"}
        pe = f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints/pe-acr"
        r["properties"]["privateEndpointConnections"] = [{
            "id": f"{n.acr}/privateEndpointConnections/pe-acr", "name": "pe-acr", "type": "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
            "properties": {"privateEndpoint": {"id": pe}, "provisioningState": "Succeeded",
                           "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}}}]
        r["properties"]["encryption"] = {"status": "enabled", "keyVaultProperties": {
            "keyIdentifier": f"https://{n.kv.split('/')[-1]}.vault.azure.net/keys/acr-cmk", "identity": "00000000-1111-2222-3333-444444444444", "keyRotationEnabled": True}}
    else:
        r["properties"]["adminUserEnabled"] = True
    return r


def replication(n, region):
    rep = first("containerregistry/replications-list")
    return ident(rep, f"{n.acr}/replications/{region}", region)


def insights(n, location, *, hardened=False):
    a = ident(shape("insights/appinsights-component-get"), n.appi, location)
    a["properties"]["WorkspaceResourceId"] = LA
    if hardened:
        # Behind an Azure Monitor Private Link Scope, Entra-only ingestion.
        a["properties"].update(publicNetworkAccessForIngestion="Disabled", publicNetworkAccessForQuery="Disabled", DisableLocalAuth=True)
    a["tags"] = {}
    return a


def diagnostic_setting(resource_id, name, logs):
    d = first("insights/diagnosticsettings-list")
    d = ident(d, f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings/{name}")
    d["properties"].update(workspaceId=LA, logs=logs)
    drop(d, "properties.storageAccountId", "properties.eventHubAuthorizationRuleId", "properties.eventHubName", "properties.serviceBusRuleId")
    d["properties"]["metrics"] = []
    return d


ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]
ACTIVITY = [{"category": c, "enabled": True} for c in ("Administrative", "Security", "Policy", "Alert")]


def private_endpoint_docs(n):
    pe = ident(shape("network/privateendpoint-get"), n.pe, "westeurope")
    p = pe["properties"]
    p["subnet"] = {"id": n.snet_pe}
    p["privateLinkServiceConnections"] = [{"name": "pe-conn", "properties": {"privateLinkServiceId": n.ws, "groupIds": ["amlworkspace"],
                                           "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}}}]
    drop(pe, "properties.manualPrivateLinkServiceConnections", "properties.customDnsConfigs", "properties.ipConfigurations")
    group = ident(shape("network/privateendpoint-privatednszonegroup-get"), f"{n.pe}/privateDnsZoneGroups/default")
    configs = group["properties"]["privateDnsZoneConfigs"]
    for config, zone in zip(configs, n.zones):
        config["name"] = zone.split("/")[-1].replace(".", "-")
        config["properties"]["privateDnsZoneId"] = zone
    links = []
    for zone in n.zones:
        link = first("network/privatednszone-virtualnetworklinks-list")
        ident(link, f"{zone}/virtualNetworkLinks/link-vnet-ml")
        link["properties"].update(virtualNetwork={"id": n.vnet}, registrationEnabled=False, virtualNetworkLinkState="Completed")
        links.append(link)
    return [pe, group, *links]


def compute_network(n, *, endpoint_policy=False):
    subnet = ident(shape("network/subnet-get"), n.snet_compute)
    subnet["properties"]["networkSecurityGroup"] = {"id": n.nsg}
    if endpoint_policy:
        # Storage service endpoint limited to approved accounts (AML-NS-19).
        subnet["properties"]["serviceEndpoints"] = [{"service": "Microsoft.Storage", "locations": ["westeurope"], "provisioningState": "Succeeded"}]
        subnet["properties"]["serviceEndpointPolicies"] = [{"id": f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/serviceEndpointPolicies/sep-approved-storage"}]
    nsg = ident(shape("network/networksecuritygroup-get"), n.nsg, "westeurope")
    rule = nsg["properties"]["securityRules"][0]
    ident(rule, f"{n.nsg}/securityRules/allow-vnet-https")
    rule["properties"].update(sourceAddressPrefix="VirtualNetwork", destinationPortRange="443")
    for r in nsg["properties"]["defaultSecurityRules"]:
        r["id"] = f"{n.nsg}/defaultSecurityRules/{r['name']}"
    return [subnet, nsg]


def pricings(*, hardened):
    out = []
    for p in shape("security/pricings-list")["value"]:
        p = ident(copy.deepcopy(p), f"{SUB}/providers/Microsoft.Security/pricings/{p['name']}")
        if not hardened and p["name"] in ("StorageAccounts", "Containers", "CloudPosture"):
            p["properties"] = {"pricingTier": "Free", "freeTrialRemainingTime": "P30D"}
        out.append(p)
    return out


def role_assignment(scope, name, role_guid, principal, principal_type):
    a = first("authorization/roleassignments-list-for-scope")
    a["id"] = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    a["name"] = name
    a["properties"].update(scope=scope, roleDefinitionId=f"{ROLE}/{role_guid}", principalId=principal, principalType=principal_type)
    return a


def role_definition(guid, name, actions, role_type="BuiltInRole"):
    d = shape("authorization/roledefinition-get-by-id")
    d["id"] = f"{ROLE}/{guid}"
    d["name"] = guid
    d["properties"].update(roleName=name, type=role_type, description=name, assignableScopes=["/"])
    d["properties"]["permissions"] = [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}]
    return d


def policy_assignment(scope, name, definition, display, parameters=None, mode="Default"):
    a = first("authorization/policyassignments-list-for-rg")
    a["id"] = f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}"
    a["name"] = name
    a["properties"].update(scope=scope, policyDefinitionId=definition, displayName=display, description=display,
                           parameters=parameters or {}, notScopes=[], enforcementMode=mode)
    a["properties"]["metadata"] = {"category": "Security"}
    drop(a, "identity")
    return a


def lock(scope, level):
    l = first("authorization/locks-list-at-rg")
    l["id"] = f"{scope}/providers/Microsoft.Authorization/locks/aml-nodelete"
    l["name"] = "aml-nodelete"
    l["properties"] = {"level": level, "notes": "Protects the workspace from deletion"}
    return l


MCSB = "/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8"


def mcsb_initiative():
    # HAND-WRITTEN: an illustrative two-member subset of the built-in initiative (no example in the specs).
    return {"id": MCSB, "name": "1f3afdf9-d0c9-4c3d-847f-89da613e70a8", "type": "Microsoft.Authorization/policySetDefinitions",
            "properties": {"displayName": "Microsoft cloud security benchmark", "policyType": "BuiltIn",
                           "parameters": {"localAuthEffect": {"type": "String", "defaultValue": "Audit"}},
                           "policyDefinitions": [
                               {"policyDefinitionReferenceId": "amlComputeLocalAuth",
                                "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f",
                                "parameters": {"effect": {"value": "[parameters('localAuthEffect')]"}}},
                               {"policyDefinitionReferenceId": "amlPublicAccess",
                                "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce"}]}}


def connection(n, name, category, auth, target):
    # HAND-WRITTEN: no workspace-connection example in the specs; property names of 2025-12-01.
    return {"id": f"{n.ws}/connections/{name}", "name": name, "type": "Microsoft.MachineLearningServices/workspaces/connections",
            "properties": {"category": category, "authType": auth, "target": target, "isSharedToAll": False}}


def datastore(n, name, credentials):
    d = ident(shape("machinelearning/datastore-get-azureblob"), f"{n.ws}/datastores/{name}")
    d["type"] = "Microsoft.MachineLearningServices/workspaces/datastores"
    d["properties"].update(accountName=n.storage.split("/")[-1], containerName=name, description=name, tags={},
                           credentials=credentials)
    if credentials["credentialsType"] == "None":
        d["properties"]["serviceDataAccessAuthIdentity"] = "WorkspaceSystemAssignedIdentity"
    return d


ML = "Microsoft.MachineLearningServices/workspaces"


def online_endpoint(n, name, *, hardened):
    e = ident(shape("machinelearning/onlineendpoint-get"), f"{n.ws}/onlineEndpoints/{name}", n.location)
    e["type"] = f"{ML}/onlineEndpoints"
    e["kind"] = "Managed"
    drop(e, "properties.compute", "properties.properties", "sku")  # managed: no compute (Annex A §1.2)
    e["properties"].update(description=name, provisioningState="Succeeded", traffic={"blue": 100},
                           scoringUri=f"https://{name}.{n.location}.inference.ml.azure.com/score",
                           swaggerUri=f"https://{name}.{n.location}.inference.ml.azure.com/swagger.json")
    if hardened:
        e["properties"].update(authMode="AADToken", publicNetworkAccess="Disabled")
        e["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {n.uai: {"clientId": "00000000-1111-2222-3333-444444444444", "principalId": "00000000-1111-2222-3333-444444444444"}}}
    else:
        # publicNetworkAccess omitted, as in the GET example: Enabled (swagger default).
        e["properties"]["authMode"] = "Key"
        e["identity"] = {"type": "SystemAssigned", "principalId": "00000000-1111-2222-3333-444444444444", "tenantId": "00000000-1111-2222-3333-444444444444"}
    return e


def online_deployment(endpoint, name, *, hardened, environment):
    d = ident(copy.deepcopy(shape("machinelearning/onlinedeployment-list")["value"][0]), f"{endpoint['id']}/deployments/{name}", endpoint["location"])
    d["type"] = f"{ML}/onlineEndpoints/deployments"
    d["kind"] = "Managed"
    drop(d, "properties.containerResourceRequirements", "properties.properties", "sku", "identity")
    p = d["properties"]
    p.update(endpointComputeType="Managed", provisioningState="Succeeded", instanceType="Standard_DS3_v2",
             model=f"azureml:{endpoint['name']}-model:1", environmentVariables=environment, description=name)
    p["codeConfiguration"] = {"codeId": "azureml:score-code:1", "scoringScript": "score.py"}
    p["environmentId"] = "azureml:sklearn-env:1"
    if hardened:
        p["egressPublicNetworkAccess"] = "Disabled"
    return d


def batch_endpoint(n, name):
    e = ident(shape("machinelearning/batchendpoint-get"), f"{n.ws}/batchEndpoints/{name}", n.location)
    e["type"] = f"{ML}/batchEndpoints"
    drop(e, "properties.properties", "sku", "kind")
    e["properties"].update(authMode="AADToken", description=name, defaults={"deploymentName": "nightly-v1"},
                           scoringUri=f"https://{name}.{n.location}.inference.ml.azure.com/jobs",
                           swaggerUri=f"https://{name}.{n.location}.inference.ml.azure.com/swagger.json")
    e["identity"] = {"type": "SystemAssigned", "principalId": "00000000-1111-2222-3333-444444444444", "tenantId": "00000000-1111-2222-3333-444444444444"}
    return e


def serverless_endpoint(n, name):
    # The list example as it is: key authentication, content safety Disabled.
    e = ident(copy.deepcopy(shape("machinelearning/serverlessendpoint-list")["value"][0]), f"{n.ws}/serverlessEndpoints/{name}", n.location)
    e["type"] = f"{ML}/serverlessEndpoints"
    drop(e, "identity", "kind")
    e["sku"] = {"name": "Consumption"}
    e["properties"].update(provisioningState="Succeeded", endpointState="Online", marketplaceSubscriptionId=f"{n.ws}/marketplaceSubscriptions/llama-chat")
    e["properties"]["modelSettings"]["modelId"] = "azureml://registries/azureml-meta/models/Llama-2-7b-chat"
    e["properties"]["inferenceEndpoint"] = {"uri": f"https://{name}.{n.location}.models.ai.azure.com", "headers": {}}
    return e


def aml_registry(rg, name, location, *, hardened):
    """An AML registry (Annex A §1.7) with its system-created storage account and ACR in its
    managed resource group: private and locked down, or public as the CLI creates it."""
    reg_id = f"{SUB}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/registries/{name}"
    managed = f"{SUB}/resourceGroups/azureml-rg-{name}_00000000-1111-2222-3333-444444444444"
    short = name.replace("-", "")
    st_id = f"{managed}/providers/Microsoft.Storage/storageAccounts/st{short}"
    acr_id = f"{managed}/providers/Microsoft.ContainerRegistry/registries/cr{short}"
    r = ident(shape("machinelearning/registry-get"), reg_id, location)
    r["type"] = "Microsoft.MachineLearningServices/registries"
    drop(r, "kind")
    r["sku"] = {"name": "Basic", "tier": "Basic"}
    r["identity"] = {"type": "SystemAssigned", "principalId": "00000000-1111-2222-3333-444444444444", "tenantId": "00000000-1111-2222-3333-444444444444"}
    p = r["properties"]
    p.update(discoveryUrl=f"https://{location}.api.azureml.ms/registrymanagement/v1.0/registries/{name}/discovery",
             intellectualPropertyPublisher="", managedResourceGroup={"resourceId": managed},
             mlFlowRegistryUri=f"azureml://{location}.api.azureml.ms/mlflow/v1.0{reg_id}",
             publicNetworkAccess="Disabled" if hardened else "Enabled")
    region = p["regionDetails"][0]
    region["location"] = location
    region["acrDetails"][0]["systemCreatedAcrAccount"].update(acrAccountName=f"cr{short}", acrAccountSku="Premium", armResourceId={"resourceId": acr_id})
    region["storageAccountDetails"][0]["systemCreatedStorageAccount"].update(
        allowBlobPublicAccess=not hardened, armResourceId={"resourceId": st_id}, storageAccountName=f"st{short}", storageAccountType="Standard_LRS")
    pec = p["registryPrivateEndpointConnections"][0]
    pe = f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints/pe-{name}"
    pec.update(id=f"{reg_id}/privateEndpointConnections/pe-{name}", location=location)
    pec["properties"].update(groupIds=["amlregistry"], provisioningState="Succeeded",
                             privateEndpoint={"id": pe, "subnetArmId": f"{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-ml/subnets/snet-pe"})
    pec["properties"]["registryPrivateLinkServiceConnectionState"].update(description="Auto-Approved", actionsRequired="None")
    if not hardened:
        p["registryPrivateEndpointConnections"] = []
    # Its storage and ACR, from the same GET shapes as the workspace's.
    st = ident(shape("storage/storageaccount-update"), st_id, location)
    st["sku"] = {"name": "Standard_LRS", "tier": "Standard"}
    st["kind"] = "StorageV2"
    st["properties"].update(publicNetworkAccess="Disabled" if hardened else "Enabled", allowBlobPublicAccess=not hardened)
    st["properties"]["networkAcls"].update(defaultAction="Deny" if hardened else "Allow", resourceAccessRules=[])
    acr = ident(shape("containerregistry/registry-get"), acr_id, location)
    acr["sku"] = {"name": "Premium", "tier": "Premium"}
    acr["properties"]["publicNetworkAccess"] = "Disabled" if hardened else "Enabled"
    acr["properties"]["networkRuleSet"]["defaultAction"] = "Deny" if hardened else "Allow"
    docs = [r, st, acr]
    if hardened:
        docs.append(diagnostic_setting(reg_id, "to-central", [{"categoryGroup": "audit", "enabled": True}]))
    return docs


def hardened():
    n = Names("rg-ml-prod", "mlw-hardened")
    ws = workspace(n, "westeurope")
    p = ws["properties"]
    p.update(hbiWorkspace=True, systemDatastoresAuthMode="Identity", publicNetworkAccess="Disabled", allowPublicAccessWhenBehindVnet=False,
             primaryUserAssignedIdentity=n.uai)
    scoring = online_endpoint(n, "ep-fraud-scoring", hardened=True)
    ws["tags"] = {"dataClassification": "Confidential", "owner": "ml-platform"}
    sql = ident(shape("sql/server-get"), f"{n.rg}/providers/Microsoft.Sql/servers/sql-ml-training", "westeurope")
    sql["properties"].update(fullyQualifiedDomainName="sql-ml-training.database.windows.net", publicNetworkAccess="Disabled", minimalTlsVersion="1.2")
    for pec in sql["properties"]["privateEndpointConnections"]:
        pec["id"] = f"{sql['id']}/privateEndpointConnections/{pec['id'].split('/')[-1]}"
    docs = [
        ws,
        compute_instance(n, "ci-alice", hardened=True),
        compute_cluster(n, "cpu-cluster", hardened=True),
        datastore(n, "workspaceblobstore", {"credentialsType": "None"}),
        connection(n, "sql-training", "AzureSqlDb", "AAD", "Server=tcp:sql-ml-training.database.windows.net,1433;Database=training"),
        sql,
        # HAND-WRITTEN: no azureADOnlyAuthentications example in the specs; property names of 2023-08-01.
        {"id": f"{sql['id']}/azureADOnlyAuthentications/Default", "name": "Default", "type": "Microsoft.Sql/servers/azureADOnlyAuthentications",
         "properties": {"azureADOnlyAuthentication": True}},
        storage(n, "westeurope", hardened=True),
        blob_service(n, hardened=True),
        file_service(n, True),
        keyvault(n, "westeurope", hardened=True),
        registry(n, "westeurope", hardened=True),
        replication(n, "northeurope"),
        insights(n, "westeurope", hardened=True),
        scoring,
        online_deployment(scoring, "blue", hardened=True, environment={"MODEL_NAME": "fraud"}),
        diagnostic_setting(scoring["id"], "to-central", ALL_LOGS),
        batch_endpoint(n, "be-nightly-scoring"),
        diagnostic_setting(n.ws, "to-central", ALL_LOGS),
        diagnostic_setting(n.kv, "to-central", [{"categoryGroup": "audit", "enabled": True}]),
        diagnostic_setting(n.acr, "to-central", ALL_LOGS),
        diagnostic_setting(f"{n.storage}/blobServices/default", "to-central", ALL_LOGS),
        diagnostic_setting(SUB, "activity-to-central", ACTIVITY),
        *private_endpoint_docs(n),
        *compute_network(n, endpoint_policy=True),
        *pricings(hardened=True),
        role_assignment(SUB, "7d1b1c1e-0001-4a5b-9c1d-000000000001", OWNER, "11111111-aaaa-4bbb-8ccc-000000000001", "Group"),
        role_assignment(SUB, "7d1b1c1e-0002-4a5b-9c1d-000000000002", OWNER, "11111111-aaaa-4bbb-8ccc-000000000002", "User"),
        role_assignment(n.rg, "7d1b1c1e-0003-4a5b-9c1d-000000000003", CONTRIBUTOR, "22222222-aaaa-4bbb-8ccc-000000000003", "ServicePrincipal"),
        role_assignment(n.ws, "7d1b1c1e-0004-4a5b-9c1d-000000000004", DATA_SCIENTIST, "33333333-aaaa-4bbb-8ccc-000000000004", "Group"),
        role_definition(OWNER, "Owner", ["*"]),
        role_definition(CONTRIBUTOR, "Contributor", ["*"]),
        role_definition(DATA_SCIENTIST, "AzureML Data Scientist", ["Microsoft.MachineLearningServices/workspaces/*/read"]),
        role_assignment(n.ws, "7d1b1c1e-0005-4a5b-9c1d-000000000005", MLOPS_DEPLOYER, "33333333-aaaa-4bbb-8ccc-000000000005", "Group"),
        role_definition(MLOPS_DEPLOYER, "AML MLOps deployer", ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*", "Microsoft.MachineLearningServices/workspaces/read"], "CustomRole"),
        policy_assignment(n.rg, "allowed-resource-types", "/providers/Microsoft.Authorization/policyDefinitions/a08ec900-254a-4555-9bf5-e42af04b5c5c",
                          "Allowed resource types", {"listOfResourceTypesAllowed": {"value": ["Microsoft.MachineLearningServices/workspaces", "Microsoft.Storage/storageAccounts"]}}),
        policy_assignment(n.rg, "aml-compute-local-auth", "/providers/Microsoft.Authorization/policyDefinitions/e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f",
                          "Azure Machine Learning computes should have local authentication disabled", {"effect": {"value": "Deny"}}),
        policy_assignment(SUB, "mcsb", MCSB, "Microsoft cloud security benchmark"),
        mcsb_initiative(),
        lock(n.ws, "CanNotDelete"),
        *aml_registry("rg-ml-prod", "mlreg-shared", "westeurope", hardened=True),
    ]
    return docs


def default():
    n = Names("rg-ml-sandbox", "mlw-quickstart")
    n.location = "eastus"
    demo = online_endpoint(n, "ep-demo", hardened=False)
    ws = workspace(n, "eastus", registry=False, isolated=False)
    p = ws["properties"]
    drop(ws, "properties.encryption", "properties.managedNetwork", "properties.privateEndpointConnections")
    p.update(publicNetworkAccess="Enabled", hbiWorkspace=False)
    ws["identity"] = {"type": "SystemAssigned", "principalId": "00000000-1111-2222-3333-444444444444", "tenantId": "00000000-1111-2222-3333-444444444444"}
    aks = first("machinelearning/compute-list", computeType=None) if False else copy.deepcopy(shape("machinelearning/compute-list")["value"][0])
    ident(aks, f"{n.ws}/computes/aks-inference")
    return [
        ws,
        compute_instance(n, "ci-bob", hardened=False),
        compute_cluster(n, "gpu-cluster", hardened=False),
        aks,  # attached AKS: not a compute instance or cluster, so compute controls ignore it
        datastore(n, "workspaceblobstore", {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey"}}),
        connection(n, "openai", "AzureOpenAI", "ApiKey", "https://oai-sandbox.openai.azure.com/"),
        storage(n, "eastus", hardened=False),
        blob_service(n, hardened=False),
        file_service(n, True),
        keyvault(n, "eastus", hardened=False),
        insights(n, "eastus"),
        demo,
        # An example value where teams put secrets: amlsec redacts it on the way in (Annex A §1.6).
        online_deployment(demo, "blue", hardened=False, environment={"AZURE_STORAGE_KEY": "example-secret-value-not-real"}),
        serverless_endpoint(n, "llama-chat"),
        *pricings(hardened=False),
        role_assignment(n.rg, "8e2c2d2f-0001-4a5b-9c1d-000000000001", OWNER, "44444444-aaaa-4bbb-8ccc-000000000001", "User"),
        role_definition(OWNER, "Owner", ["*"]),
        *shape("authorization/policyassignments-list-for-rg")["value"],
        *aml_registry("rg-ml-sandbox", "mlreg-sandbox", "eastus", hardened=False),
    ]


def hub_and_project():
    n = Names("rg-ml-hub", "mlw-hub")
    hub = workspace(n, "westeurope", kind="hub")
    hub["properties"].update(publicNetworkAccess="Disabled", systemDatastoresAuthMode="Identity")
    hub["tags"] = {"owner": "ml-platform"}
    project_id = f"{n.rg}/providers/Microsoft.MachineLearningServices/workspaces/proj-fraud"
    project = ident(shape("machinelearning/workspace-get"), project_id, "westeurope")
    project["kind"] = "project"
    # A project names its hub; every workspace-derived target comes from the hub (baseline.md §1.2).
    project["properties"] = {"hubResourceId": n.ws, "friendlyName": "Fraud detection", "publicNetworkAccess": "Disabled",
                             "hbiWorkspace": False, "provisioningState": "Succeeded"}
    project["tags"] = {"owner": "fraud-team", "dataClassification": "Restricted"}
    pn = Names("rg-ml-hub", "proj-fraud")
    pn.ws = project_id
    return [
        hub,
        project,
        compute_instance(pn, "ci-carol", hardened=True),
        compute_instance(n, "ci-hub-admin", hardened=False),
        datastore(pn, "fraud-data", {"credentialsType": "Sas", "secrets": {"secretsType": "Sas"}}),
        storage(n, "westeurope", hardened=True),
        blob_service(n, hardened=True),
        file_service(n, False),
        keyvault(n, "westeurope", hardened=False),
        registry(n, "westeurope", hardened=False),
        insights(n, "westeurope"),
        diagnostic_setting(n.ws, "to-central", ALL_LOGS),
        *private_endpoint_docs(n),
        *compute_network(n),
        *pricings(hardened=True),
        lock(n.ws, "CanNotDelete"),
    ]


def main():
    for name, docs in [("hardened-workspace", hardened()), ("default-workspace", default()), ("hub-and-project", hub_and_project())]:
        ids = [d["id"] for d in docs]
        assert len(ids) == len({i.lower() for i in ids}), f"{name}: duplicate ids"
        (HERE / f"{name}.json").write_text(json.dumps(docs, indent=2) + "\n")
        print(f"examples/{name}.json: {len(docs)} documents")


if __name__ == "__main__":
    main()
