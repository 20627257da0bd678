#!/usr/bin/env python3
"""Builds the Foundry account examples (baseline.md Annex B) from the per-control cases in
tests/data/foundry-cases/ (Microsoft's ARM example bodies with minimal edits; provenance in
that folder's README.md and index.md).

- foundry-hardened.json: the documents of every `*.pass.json` case, one document per id (the
  account's properties merged across cases), with three edits so the cases agree: the PAT
  connection authenticates with Entra ID (AML-IM-19), the role assignments name the custom role
  the cases define rather than Owner (whose definition no case holds), and the deployment's
  policy is the one of AML-PV-10's pass case (the list example's, with harm filters fixed)
  in the mode of AML-PV-12's pass case (filtering before output is returned).
- foundry-exposed.json: the same for every `*.fail.json` case, unedited.

Run from anywhere: python3 examples/foundry.py  (rewrites examples/foundry-*.json)
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE.parent / "tests" / "data" / "foundry-cases"


def merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(a[k], v) if k in a else v
        return out
    if isinstance(a, list) and isinstance(b, list):
        if a and b and all(isinstance(x, dict) and "id" in x for x in a + b):
            by = {x["id"].lower(): x for x in a}
            for x in b:
                key = x["id"].lower()
                by[key] = merge(by[key], x) if key in by else x
            return list(by.values())
        return b if len(b) >= len(a) else a
    return b


def snapshot(kind):
    docs = {}
    for case in sorted(CASES.glob(f"*.{kind}.json")):
        for d in json.loads(case.read_text()):
            key = d["id"].lower()
            docs[key] = merge(docs[key], d) if key in docs else d
    return docs


def hardened():
    docs = snapshot("pass")
    custom = next(d["id"] for d in docs.values() if "/roledefinitions/" in d["id"].lower())
    policy = next(
        d
        for d in json.loads((CASES / "AML-PV-10.pass.json").read_text())
        if "/raipolicies/" in d["id"].lower()
    )
    policy["properties"]["mode"] = "Default"
    for key, d in docs.items():
        if key.endswith("/connections/connection-1") and "/projects/" not in key:
            d["properties"]["authType"] = "AAD"
        if "/roleassignments/" in key:
            d["properties"]["roleDefinitionId"] = custom
        if key == policy["id"].lower():
            docs[key] = policy
    return list(docs.values())


def main():
    for name, docs in [("hardened", hardened()), ("exposed", list(snapshot("fail").values()))]:
        (HERE / f"foundry-{name}.json").write_text(json.dumps(docs, indent=2) + "\n")


if __name__ == "__main__":
    main()
