#!/usr/bin/env python3
"""Builds assets/schema/catalogue.json (appxview's own compact format) from the research
reference in ../shared/schema. Python 3 standard library only. See tools/README.md."""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_SRC = os.path.join(REPO, "..", "shared", "schema")
OUT = os.path.join(REPO, "assets", "schema", "catalogue.json")

# Windows build numbers of the releases the reference compares (public release facts).
BUILD_NUMBERS = {
    "10_1511": 10586, "10_1607": 14393, "10_1703": 15063, "10_1709": 16299,
    "10_1803": 17134, "10_1809": 17763, "10_1903": 18362, "10_1909": 18363,
    "10_2004": 19041, "10_2009": 19042, "11_21H2": 22000, "11_22H2": 22621,
    "11_23H2": 22631, "11_24H2": 26100, "11_25H2": 26200, "11_26H1": 28000,
}

# Decoding tables that the reference marks as inferred (see its README "Uncertainties").
INFERRED_TABLES = {"PackageType"}


def field_row(f):
    row = [f["name"], f["type"]]
    if f.get("decoding"):
        row.append(f["decoding"])
    return row


def build_range(builds, build_keys):
    """Indices of the builds that have the event."""
    first = build_keys.index(builds["first_seen"])
    last = build_keys.index(builds["last_seen"])
    missing = set(builds.get("missing_in") or [])
    return [i for i in range(first, last + 1) if build_keys[i] not in missing]


def compact_builds(indices):
    """[[first, last], …] runs of consecutive build indices."""
    runs = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def convert_event(e, build_keys, task_values, keyword_masks):
    out = {"v": e["version"]}
    for key, short in (("level", "l"), ("opcode", "o"), ("channel", "c")):
        if e.get(key) is not None:
            out[short] = e[key]
    # Task as its number when the provider defines it (the name is in the provider's "tasks").
    if e.get("task") is not None:
        out["t"] = task_values.get(e["task"], e["task"])
    # Keywords as one mask when every name is defined, else as the list of names.
    if e.get("keywords"):
        if all(k in keyword_masks for k in e["keywords"]):
            mask = 0
            for k in e["keywords"]:
                mask |= keyword_masks[k]
            out["k"] = mask
        else:
            out["k"] = e["keywords"]
    # Positional and named templates; "" = defined empty, absent = not known.
    if e.get("message") is not None:
        out["m"] = e["message"]
    if e.get("message_named") is not None:
        out["n"] = e["message_named"]
    out["f"] = [field_row(f) for f in e["fields"]]
    present = build_range(e["builds"], build_keys)
    out["b"] = compact_builds(present)
    if e.get("field_history"):
        out["h"] = [
            [compact_builds(sorted(build_keys.index(b) for b in h["builds"])),
             [field_row(f) for f in h["fields"]]]
            for h in e["field_history"]
        ]
    return out


def convert_provider(p, build_keys):
    task_values = {t["name"]: t["value"] for t in p.get("tasks_defined") or []}
    keyword_masks = {k["name"]: int(k["mask"], 16) for k in p.get("keywords_defined") or []}
    events = {}
    for e in p["events"]:
        events[str(e["id"])] = convert_event(e, build_keys, task_values, keyword_masks)
    return {
        "guid": p.get("guid"),
        "channel": p.get("channel"),
        "tasks": {str(t["value"]): t["name"] for t in p.get("tasks_defined") or []},
        "keywords": {k["mask"]: k["name"] for k in p.get("keywords_defined") or []},
        "events": events,
    }


def has_inferred_note(table):
    return any(str(n).startswith("inferred") for n in table.get("notes") or [])


def convert_decodings(dec):
    out = {}
    for name, t in dec.items():
        if name.startswith("_") or name in ("HRESULT", "Level", "Opcode", "Keywords"):
            continue
        entry = {}
        if name == "DeploymentOptions":
            entry["kind"] = "deployment_options"
            entry["public"] = t["public_api_enum"]["values"]
            entry["low_by_build"] = t["etw_low32_bitmap_by_build"]
            entry["high_by_build"] = t["etw_high32_bitmap_by_build"]
            # The 64-bit FlagsHigh:Flags reading is inferred (README Uncertainties 1).
            entry["inferred_64bit"] = True
        elif name == "PackageFlags":
            entry["kind"] = "raw"
        else:
            kind = t.get("kind", "")
            entry["kind"] = "flags" if ("flag" in kind or "bitmap" in kind) else "enum"
            values = t.get("values") or t.get("candidate_values")
            if values is not None:
                entry["values"] = values
            if t.get("values_by_build"):
                entry["by_build"] = t["values_by_build"]
        if name in INFERRED_TABLES or (name != "DeploymentOptions" and has_inferred_note(t)):
            entry["inferred"] = True
        out[name] = entry
    return out


def hresult_field_names(h):
    names = set()
    for usage in (h.get("used_by") or {}).values():
        for nt in usage.get("field_name_type", []):
            names.add(nt.split(":")[0])
    for text in h.get("applies_to_fields") or []:
        head = text.split("(")[0]
        names.update(w for w in re.split(r"[\s/]+", head) if w)
    # "hr" is not a field name in the reference, but event 605's message labels its HRESULT
    # "hr:" and exports from other tools use it; the viewer treats it like ErrorCode.
    names.add("hr")
    return sorted(names)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SRC
    with open(os.path.join(src, "appxdeployment-server.json"), encoding="utf-8") as f:
        server = json.load(f)
    with open(os.path.join(src, "appx-other-providers.json"), encoding="utf-8") as f:
        others = json.load(f)
    with open(os.path.join(src, "decodings.json"), encoding="utf-8") as f:
        dec = json.load(f)

    build_keys = list(server["builds_compared"].keys())
    builds = [[k, server["builds_compared"][k]["label"], BUILD_NUMBERS[k]] for k in build_keys]
    providers = {}
    for p in [server] + others["providers"]:
        keys = list(p["builds_compared"].keys())
        if any(k not in build_keys for k in keys):
            raise SystemExit(f"{p['provider']}: unknown build key in builds_compared")
        providers[p["provider"]] = convert_provider(p, build_keys)

    h = dec["HRESULT"]
    catalogue = {
        "format": "appxview-catalogue/1",
        "builds": builds,
        "providers": providers,
        "decodings": convert_decodings(dec),
        "levels": dec["Level"]["values"],
        "opcodes": dec["Opcode"]["values"],
        "hresult_fields": hresult_field_names(h),
        "hresults": {code: [v["symbol"], v["meaning"]] for code, v in h["values"].items()},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        json.dump(catalogue, f, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    size = os.path.getsize(OUT)
    counts = {name: len(p["events"]) for name, p in providers.items()}
    print(f"wrote {OUT}: {size} bytes; events per provider: {counts}")


if __name__ == "__main__":
    main()
