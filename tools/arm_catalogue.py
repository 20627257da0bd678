#!/usr/bin/env python3
"""Generates src/graph/catalogue.json: the property names of every ARM type amlsec reads, at
the api-version it reads it, from Microsoft's generated type definitions (Azure/bicep-types-az).

Usage: python3 tools/arm_catalogue.py PATH/TO/arm-types > src/graph/catalogue.json

The input is the `arm-types` folder of the team's shared material: one `types.json` per
provider namespace and api-version, copied unchanged from Azure/bicep-types-az at commit
1f896de2db966ad91e8f7d7d981e11d32e4f5d8d (see src/graph/CATALOGUE.md). A test keeps the list
below in step with the link graph (`graph::LINKS` and their includes).

Each type becomes a tree of property names: `"[*]"` stands for the items of an array, `"{*}"`
for the values of a map, and `{"*": 1}` for a place whose shape the definitions leave open
(AnyType, or a recursive type cut off). A leaf is `{}`.
"""
import glob
import json
import os
import sys

TYPES = [
    "Microsoft.MachineLearningServices/workspaces@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/computes@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/datastores@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/connections@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints@2025-12-01",
    "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints@2025-12-01",
    "Microsoft.MachineLearningServices/registries@2025-12-01",
    "Microsoft.Storage/storageAccounts@2025-06-01",
    "Microsoft.Storage/storageAccounts/blobServices@2025-06-01",
    "Microsoft.Storage/storageAccounts/fileServices@2025-06-01",
    "Microsoft.KeyVault/vaults@2025-05-01",
    "Microsoft.ContainerRegistry/registries@2025-04-01",
    "Microsoft.ContainerRegistry/registries/replications@2023-07-01",
    "Microsoft.Insights/components@2020-02-02",
    "Microsoft.Insights/diagnosticSettings@2021-05-01-preview",
    "Microsoft.Network/privateEndpoints@2025-03-01",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-03-01",
    "Microsoft.Network/privateDnsZones@2024-06-01",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01",
    "Microsoft.Network/virtualNetworks/subnets@2025-03-01",
    "Microsoft.Network/networkSecurityGroups@2025-01-01",
    "Microsoft.Security/pricings@2024-01-01",
    "Microsoft.Authorization/roleAssignments@2022-04-01",
    "Microsoft.Authorization/roleDefinitions@2022-04-01",
    "Microsoft.Authorization/policyAssignments@2025-03-01",
    "Microsoft.Authorization/policySetDefinitions@2025-03-01",
    "Microsoft.Authorization/locks@2020-05-01",
    "Microsoft.Sql/servers@2023-08-01",
    "Microsoft.Sql/servers/azureADOnlyAuthentications@2023-08-01",
    "Microsoft.CognitiveServices/accounts@2025-12-01",
    "Microsoft.CognitiveServices/accounts/deployments@2025-12-01",
    "Microsoft.CognitiveServices/accounts/raiPolicies@2025-12-01",
    "Microsoft.CognitiveServices/accounts/projects@2025-12-01",
    "Microsoft.CognitiveServices/accounts/connections@2025-12-01",
    "Microsoft.CognitiveServices/accounts/capabilityHosts@2025-12-01",
    "Microsoft.CognitiveServices/accounts/managedNetworks@2025-12-01",
    "Microsoft.CognitiveServices/accounts/defenderForAISettings@2025-12-01",
]
MAX_DEPTH = 10
OPEN = {"*": 1}


def merge(a, b):
    if a == OPEN or b == OPEN:
        return dict(OPEN)
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if k in out else v
    return out


def tree(types, ref, depth, path):
    index = int(ref["$ref"].split("/")[-1])
    if depth > MAX_DEPTH or index in path:
        return dict(OPEN)
    t = types[index]
    kind = t["$type"]
    path = path | {index}
    if kind == "ObjectType":
        out = {name: tree(types, p["type"], depth + 1, path) for name, p in t.get("properties", {}).items()}
        if "additionalProperties" in t:
            out["{*}"] = tree(types, t["additionalProperties"], depth + 1, path)
        return out
    if kind == "DiscriminatedObjectType":
        out = {name: tree(types, p["type"], depth + 1, path) for name, p in t.get("baseProperties", {}).items()}
        for element in t.get("elements", {}).values():
            out = merge(out, tree(types, element, depth, path))
        return out
    if kind == "ArrayType":
        return {"[*]": tree(types, t["itemType"], depth + 1, path)}
    if kind == "UnionType":
        out = {}
        for element in t.get("elements", []):
            out = merge(out, tree(types, element, depth, path))
        return out
    if kind == "AnyType":
        return dict(OPEN)
    return {}


def main(folder):
    found = {}
    for file in sorted(glob.glob(os.path.join(folder, "*", "*", "*.types.json"))):
        types = json.load(open(file))
        for t in types:
            if t.get("$type") == "ResourceType" and t["name"] in TYPES:
                found[t["name"]] = tree(types, t["body"], 0, frozenset())
    missing = [t for t in TYPES if t not in found]
    if missing:
        sys.exit(f"not in {folder}: {', '.join(missing)}")
    json.dump(dict(sorted(found.items())), sys.stdout, separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/arm-types")
