#!/usr/bin/env python3
"""Generates src/rules/mcsb-v1.json: the Microsoft cloud security benchmark v1 controls,
with the benchmark's own mappings to CIS Controls v8 and NIST SP 800-53 Rev. 4.

Usage: python3 tools/mcsb_catalogue.py Microsoft_cloud_security_benchmark_v1.xlsx COMMIT \
           > src/rules/mcsb-v1.json

The input is the workbook Microsoft publishes in the repository MicrosoftDocs/SecurityBenchmarks,
path `Microsoft Cloud Security Benchmark/Microsoft_cloud_security_benchmark_v1.xlsx`, at COMMIT
(see src/rules/MCSB.md). Each sheet after `Readme` is one control domain; its columns
are ID, Control Domain, CIS Controls v7.1, CIS Controls v8, NIST SP800-53 r4, PCI-DSS v3.2.1,
Recommendation, ... Only the id, the domain, the recommendation and the CIS v8 and NIST r4
cells are kept, split into one item per line (`3.12 - Segment ...`, `AC-4: INFORMATION ...`).
The standard library reads the workbook: an .xlsx is a zip of XML parts.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CIS = re.compile(r"^(\d+\.\d+)\s*(?:-\s*)?(.*)$")
NIST = re.compile(r"^([A-Z]{2}-\d+)\s*:?\s*(.*)$")


def text(node):
    return "".join(t.text or "" for t in node.iter(MAIN + "t"))


def sheets(book):
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        shared = [text(si) for si in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(MAIN + "si")]
    rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    workbook = ET.fromstring(book.read("xl/workbook.xml"))
    for sheet in workbook.iter(MAIN + "sheet"):
        part = "xl/" + targets[sheet.get(REL)].lstrip("/").removeprefix("xl/")
        rows = []
        for row in ET.fromstring(book.read(part)).iter(MAIN + "row"):
            cells = {}
            for c in row.iter(MAIN + "c"):
                column = re.match(r"[A-Z]+", c.get("r")).group(0)
                v = c.find(MAIN + "v")
                if v is None:
                    inline = c.find(MAIN + "is")
                    cells[column] = text(inline) if inline is not None else ""
                else:
                    cells[column] = shared[int(v.text)] if c.get("t") == "s" else v.text
            rows.append(cells)
        yield sheet.get("name"), rows


def items(cell, pattern, what, control):
    out = []
    for line in (cell or "").replace("\xa0", " ").splitlines():
        line = " ".join(line.split())
        if not line or line == "N/A":
            continue
        m = pattern.match(line)
        if not m and out:  # a title the workbook wraps onto a second line
            out[-1]["title"] += " " + line
            continue
        if not m:
            sys.exit(f"{control}: cannot read the {what} item `{line}`")
        out.append({"id": m.group(1), "title": m.group(2).strip()})
    return out


def main(path, commit):
    controls = []
    for name, rows in sheets(zipfile.ZipFile(path)):
        if name == "Readme":
            continue
        header = rows[0]
        assert header["A"] == "ID" and header["D"] == "CIS Controls v8 ID(s)", name
        assert header["E"] == "NIST SP800-53 r4 ID(s)" and header["G"] == "Recommendation", name
        for row in rows[1:]:
            cid = (row.get("A") or "").strip()
            if not cid:
                continue
            controls.append({
                "id": cid,
                "domain": " ".join(row["B"].split()),
                "title": " ".join(row["G"].split()),
                "cis": items(row.get("D"), CIS, "CIS v8", cid),
                "nist": items(row.get("E"), NIST, "NIST", cid),
            })
    json.dump({
        "source": "MicrosoftDocs/SecurityBenchmarks@" + commit
        + ":Microsoft Cloud Security Benchmark/Microsoft_cloud_security_benchmark_v1.xlsx",
        "controls": controls,
    }, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
