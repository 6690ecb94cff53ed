#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Synthetic jobs for the calibration test: a request body {"records":[...]} on stdout.

Each job is one COMPLETED step record with the prediction job_submit signs (its components,
profile= and gpu=) and a measured peak from a known formula the calculator does not use:
activations really 0.8x, overhead 2 GiB more, +-1 % jitter.

usage: calibration_records.py SITE PROFILE FIRST_JOB COUNT
"""
import json, sys, uuid

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
GIB = 1024 ** 3


def job(site, profile, job_id, i):
    w, g, o = 2.0 + i % 9, 2.0 + i % 9, 4.0 + 2 * (i % 9)
    act, logits, ovh = 6.0 + 3.0 * (i % 11), 1.0 + 0.5 * (i % 3), 3.0 + 0.4 * (i % 5)
    jitter = 1.0 + 0.01 * ((i * 7919) % 21 - 10) / 10.0
    measured = (w + g + o + logits + 0.8 * act + ovh + 2.0) * jitter
    pred = {"verdict": "fits", "gib_per_gpu": round(w + g + o + act + logits + ovh, 2),
            "mem_weights_gib": w, "mem_gradients_gib": g, "mem_optimizer_gib": o,
            "mem_activations_gib": act, "mem_logits_gib": logits, "mem_overhead_gib": ovh,
            "profile": profile, "gpu": "nvidia-h100-sxm5-80gb"}
    component = "step/0/n1/1787212800"
    return {"schema": "aifactory.acct/1", "site": site, "cluster": "c1", "component": component,
            "record_id": str(uuid.uuid5(NS, f"{site}/c1/{job_id}/{component}")),
            "created": "2026-08-20T09:00:01Z", "job_id": job_id, "kind": "step_end", "step_id": "0",
            "node": "n1", "gpus": 4, "start_time": "2026-08-20T08:00:00Z", "end_time": "2026-08-20T09:00:00Z",
            "gpu_seconds": 14400.0, "state": "COMPLETED", "exit_code": 0, "account": "proj1",
            "partition": "gpu", "prediction": pred, "prediction_origin": "job_submit",
            "observed": {"gpu_mem_peak_bytes": int(measured * GIB)}}


def main():
    site, profile, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    recs = [job(site, profile, first + i, i) for i in range(count)]
    print(json.dumps({"records": recs}, sort_keys=True, separators=(",", ":")))


main()
