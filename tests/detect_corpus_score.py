#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scores `aifactory detect` on a corpus of real batch scripts kept outside the repository.

usage: tests/detect_corpus_score.py CORPUS_DIR [--manifest FILE] [--aifactory PATH] [-v]

The manifest (default CORPUS_DIR/MANIFEST.tsv) has one tab-separated line per script:
  file  repository  path  commit  licence  kind  expected
kind is `llm` or `negative`; expected lists `KEY=VALUE` pairs, every value the script (or a file
it names) states: model, the fields of `arch` (hidden layers heads kv_heads ffn experts ...), of
`layout` (tp pp cp ep vpp), and mbs gbs seq tokens precision recompute zero fsdp. Config files a
script names are placed under CORPUS_DIR/cfg/FILE/ at the path the script names; detect runs
from there, as sbatch would from the submission directory.

An LLM script is read right when it is detected and every expected value is read as stated; a
negative is right when it is not detected. Not part of `make check` (the corpus is not in the tree).
"""
import argparse
import json
import os
import subprocess
import sys

FIELD_KEYS = ("arch", "layout")


def read_manifest(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 6:
                raise SystemExit(f"{path}: bad line (need 6 or 7 tab-separated columns): {line!r}")
            expected = dict(kv.split("=", 1) for kv in (cols[6].split() if len(cols) > 6 else []))
            rows.append({"file": cols[0], "repo": cols[1], "kind": cols[5], "expected": expected})
    return rows


def read_values(result):
    """key -> value, with arch and layout opened into their fields."""
    got = {}
    for v in result.get("values", []):
        if v["key"] == "layout":  # the compact form leaves out degrees of 1
            got.update({k: "1" for k in ("tp", "pp", "cp", "ep")})
        if v["key"] in FIELD_KEYS:
            for field in v["value"].split(","):
                if "=" in field:
                    k, val = field.split("=", 1)
                    got[k] = val
        else:
            got[v["key"]] = v["value"]
    return got


def detect(aifactory, corpus, name):
    script = os.path.abspath(os.path.join(corpus, name))
    cwd = os.path.join(corpus, "cfg", name)
    if not os.path.isdir(cwd):
        cwd = corpus
    out = subprocess.run([aifactory, "detect", "--json", script], cwd=cwd, capture_output=True, text=True, timeout=60)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"status": "error", "error": (out.stderr or out.stdout).strip()[:200]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--manifest")
    ap.add_argument("--aifactory", default=os.environ.get("AIFACTORY", os.path.join(here, "..", "build", "tools", "aifactory")))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every script, not only the wrong ones")
    a = ap.parse_args()
    rows = read_manifest(a.manifest or os.path.join(a.corpus, "MANIFEST.tsv"))
    llm_right = llm = neg_detected = neg = 0
    for row in rows:
        r = detect(a.aifactory, a.corpus, row["file"])
        detected = r.get("status") == "detected"
        if row["kind"] == "negative":
            neg += 1
            neg_detected += detected
            ok = not detected
            why = "detected as " + r.get("framework", "?") if detected else ""
        else:
            llm += 1
            got = read_values(r) if detected else {}
            wrong = [f"{k}={got.get(k, '(none)')} (expected {v})" for k, v in row["expected"].items() if got.get(k) != v]
            ok = detected and not wrong
            llm_right += ok
            why = "not detected (" + r.get("status", "?") + ")" if not detected else ", ".join(wrong)
        if a.verbose or not ok:
            print(f"{'ok  ' if ok else 'FAIL'} {row['file']:32} {r.get('framework', '-'):22} {why}")
    pct = 100.0 * llm_right / llm if llm else 0.0
    print(f"LLM training scripts read completely right: {llm_right}/{llm} ({pct:.0f} %)")
    print(f"non-LLM GPU jobs detected (misfires): {neg_detected}/{neg}")
    return 0 if llm and neg_detected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
