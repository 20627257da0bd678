#!/usr/bin/env python3
"""Generates src/documents/secrets.json: where each ARM type amlsec reads holds secrets, from
Microsoft's generated type definitions (Azure/bicep-types-az, the same files and types as
tools/arm_catalogue.py). A property is secret when the definitions mark it write-only
(flags & 4: ARM never returns it, so a body that carries one anyway must not keep it) or its
type sensitive (`"sensitive": true`, from the specs' `x-ms-secret` / `format: password`).

Usage: python3 tools/arm_secrets.py PATH/TO/arm-types > src/documents/secrets.json

Each type maps to a list of paths, each a list of steps: a property name, "[*]" for the items
of an array, "{*}" for the values of a map. The value found at the end of a path is replaced
with "<redacted>" where documents enter amlsec (src/documents/entry.rs).
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from arm_catalogue import TYPES, MAX_DEPTH  # noqa: E402

WRITE_ONLY = 4
# Write-only settings that are not secrets (an enum such as a key vault's createMode) are left:
# a write-only property is secret when it holds text or an object of them.
SECRET_KINDS = {"StringType", "ObjectType", "AnyType"}
# Secret values the definitions do not mark: the environment a deployment or a compute's
# custom service runs with is where applications put their keys (baseline.md Annex A §1.6).
DECLARED = {
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments": [
        ["properties", "environmentVariables", "{*}"],
    ],
    # Every kind of connection credential (API keys, access keys, SAS tokens): ARM does not
    # return them, and the definitions mark only some kinds.
    "Microsoft.MachineLearningServices/workspaces/connections": [
        ["properties", "credentials", "{*}"],
    ],
    "Microsoft.MachineLearningServices/workspaces/computes": [
        ["properties", "properties", "customServices", "[*]", "environmentVariables", "{*}", "value"],
    ],
    # Foundry connections (account and project ones share the schema; Annex B §B.4).
    "Microsoft.CognitiveServices/accounts/connections": [
        ["properties", "credentials", "{*}"],
    ],
}
# Types read under one link with another's schema: a Foundry project's connections are read
# beside the account's (graph link `foundry-connection`), so they are redacted alike.
SAME_SCHEMA = {
    "Microsoft.CognitiveServices/accounts/projects/connections": "Microsoft.CognitiveServices/accounts/connections",
}


def sensitive(types, ref):
    return bool(types[int(ref["$ref"].split("/")[-1])].get("sensitive"))


def secrets(types, ref, depth, seen, prefix, out):
    index = int(ref["$ref"].split("/")[-1])
    if depth > MAX_DEPTH or index in seen:
        return
    t = types[index]
    kind = t["$type"]
    seen = seen | {index}

    def properties(props):
        for name, p in props.items():
            here = prefix + [name]
            kind_of = types[int(p["type"]["$ref"].split("/")[-1])]["$type"]
            write_only = p.get("flags", 0) & WRITE_ONLY and kind_of in SECRET_KINDS
            if write_only or sensitive(types, p["type"]):
                out.add(tuple(here))
            else:
                secrets(types, p["type"], depth + 1, seen, here, out)

    if kind == "ObjectType":
        properties(t.get("properties", {}))
        if "additionalProperties" in t:
            extra = t["additionalProperties"]
            if sensitive(types, extra):
                out.add(tuple(prefix + ["{*}"]))
            else:
                secrets(types, extra, depth + 1, seen, prefix + ["{*}"], out)
    elif kind == "DiscriminatedObjectType":
        properties(t.get("baseProperties", {}))
        for element in t.get("elements", {}).values():
            secrets(types, element, depth, seen, prefix, out)
    elif kind == "ArrayType":
        if sensitive(types, t["itemType"]):
            out.add(tuple(prefix + ["[*]"]))
        else:
            secrets(types, t["itemType"], depth + 1, seen, prefix + ["[*]"], out)
    elif kind == "UnionType":
        for element in t.get("elements", []):
            secrets(types, element, depth, seen, prefix, out)


def main(folder):
    found = {}
    for file in sorted(glob.glob(os.path.join(folder, "*", "*", "*.types.json"))):
        types = json.load(open(file))
        for t in types:
            if t.get("$type") == "ResourceType" and t["name"] in TYPES:
                out = set()
                secrets(types, t["body"], 0, frozenset(), [], out)
                name = t["name"].split("@")[0]
                out |= {tuple(p) for p in DECLARED.get(name, [])}
                if out:
                    found[name] = sorted(list(p) for p in out)
    for alias, of in SAME_SCHEMA.items():
        found[alias] = found[of]
    json.dump(dict(sorted(found.items())), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/arm-types")
