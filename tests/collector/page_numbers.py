#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks that the numbers a rendered job page shows (Chromium's --dump-dom output) are the
numbers of the collector's API report for the same job. Exit 1 with the differences.

usage: page_numbers.py DOM.html REPORT.json
"""
import json, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.steps, self.svgs = {}, [], set()
        self._id, self._row, self._cell, self._cells = None, None, None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "id" in a:
            self.svgs.add(a["id"])
        if "id" in a and tag in ("span", "td"):
            self._id = a["id"]; self.ids[self._id] = ""
        if tag == "tr" and a.get("class") == "step":
            self._row = {"step": a.get("data-step"), "node": a.get("data-node")}; self._cells = []
        if tag == "td" and self._row is not None:
            self._cell = ""
    def handle_endtag(self, tag):
        if tag in ("span", "td"):
            self._id = None
        if tag == "td" and self._row is not None and self._cell is not None:
            self._cells.append(self._cell.strip()); self._cell = None
        if tag == "tr" and self._row is not None:
            self._row["cells"] = self._cells; self.steps.append(self._row); self._row = None
    def handle_data(self, data):
        if self._id:
            self.ids[self._id] += data
        if self._cell is not None:
            self._cell += data

dom, rep = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
p = Page(); p.feed(dom)
errors = []
def same(name, shown, expected, places):
    try:
        if abs(float(shown) - expected) > 0.5 * 10 ** -places:
            errors.append(f"{name}: page shows {shown}, API says {expected}")
    except ValueError:
        errors.append(f"{name}: page shows '{shown}', API says {expected}")
same("GPU-hours", p.ids.get("gpu-hours", "?"), rep["gpu_hours"], 4)
same("GPU-seconds", p.ids.get("gpu-seconds", "?"), rep["gpu_seconds"], 1)
same("predicted GiB per GPU", p.ids.get("pred-gib", "?"), rep["prediction"]["gib_per_gpu"], 2)
same("capacity", p.ids.get("capacity-gib", "?"), rep["prediction"]["capacity_gib"], 2)
same("observed peak", p.ids.get("obs-peak-gib", "?"), rep["observed"]["gpu_mem_peak_gib"], 2)
if p.ids.get("state") != rep["outcome"]["state"]:
    errors.append(f"state: page {p.ids.get('state')}, API {rep['outcome']['state']}")
if len(p.steps) != len(rep["steps"]):
    errors.append(f"{len(p.steps)} step rows on the page, {len(rep['steps'])} in the API")
for row, s in zip(p.steps, rep["steps"]):
    if (row["step"], row["node"]) != (s["step_id"], s["node"]):
        errors.append(f"step row {row['step']}/{row['node']} vs {s['step_id']}/{s['node']}")
    same(f"step {s['step_id']} on {s['node']} GPU-seconds", row["cells"][5], s["gpu_seconds"], 2)
for svg in ("memory-chart", "timeline", "binding-map"):
    if svg not in p.svgs:
        errors.append(f"no <svg id={svg}> in the rendered page")
if errors:
    print("\n".join(errors)); sys.exit(1)
print(f"page matches the API: {rep['gpu_hours']} GPU-hours, {len(p.steps)} steps")
