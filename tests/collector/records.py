#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes accounting records in the aifactory.acct/1 form (as lib/acct/record.cpp builds them)
for the collector tests: a request body {"records":[...]} on stdout.

usage: records.py SITE CLUSTER JOB NODE... [--version N] [--bad FIELD] [--account A] [--reject]
"""
import argparse, json, uuid

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

def rec(site, cluster, job, component, **kw):
    r = {"schema": "aifactory.acct/1", "site": site, "cluster": cluster, "component": component,
         "record_id": str(uuid.uuid5(NS, f"{site}/{cluster}/{job}/{component}")),
         "created": "2026-08-20T09:00:00Z", "job_id": job}
    r.update(kw)
    return r

def job_records(site, cluster, job, nodes, version=None, account="proj1"):
    out = []
    pred = {"verdict": "fits;gib_per_gpu=41.3;capacity_gib=80;dominant=weights;gpu_hours=2.5"}
    for i, n in enumerate(nodes):
        out.append(rec(site, cluster, job, f"step/0/{n}", kind="step_end", step_id="0", node=n, gpus=4,
                       start_time="2026-08-20T08:00:00Z", end_time="2026-08-20T08:30:00Z",
                       gpu_seconds=7200.0, state="COMPLETED", exit_code=0, account=account,
                       partition="gpu", prediction=pred, binding={"rank0": "gpu0,cores0-7,mlx5_0"},
                       observed={"gpu_mem_peak_bytes": (36 + i) * 1024**3}))
    out.append(rec(site, cluster, job, f"step/batch/{nodes[0]}", kind="step_end", step_id="batch",
                   node=nodes[0], gpus=4, start_time="2026-08-20T07:59:58Z", end_time="2026-08-20T08:30:02Z",
                   gpu_seconds=7216.0, state="COMPLETED", exit_code=0, account=account))
    out.append(rec(site, cluster, job, f"end/{nodes[0]}", kind="job_end", node=nodes[0],
                   end_time="2026-08-20T08:30:03Z", account=account))
    if version:
        for r in out:
            r["record_version"] = version
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("site"); ap.add_argument("cluster"); ap.add_argument("job", type=int)
    ap.add_argument("nodes", nargs="+")
    ap.add_argument("--version", type=int)
    ap.add_argument("--bad")
    ap.add_argument("--account", default="proj1")
    ap.add_argument("--reject", action="store_true", help="add a rejected submit decision")
    a = ap.parse_args()
    recs = job_records(a.site, a.cluster, a.job, a.nodes, a.version, a.account)
    if a.reject:
        r = rec(a.site, a.cluster, None, f"submit/{a.job}", kind="submit_decision", decision="rejected",
                reason="needs 95.2 GiB per GPU; the partition has 80 GiB")
        del r["job_id"]
        recs.append(r)
    if a.bad:
        recs[0][a.bad] = -5
    print(json.dumps({"records": recs}))

main()
