#!/usr/bin/env python3
"""Prints a JMH SgemmBench JSON result as a table with GFLOP/s = 2 n^3 / (time per call)."""
import json
import sys

UNIT_SECONDS = {"s/op": 1.0, "ms/op": 1e-3, "us/op": 1e-6, "ns/op": 1e-9}


def main(path):
    with open(path) as f:
        runs = json.load(f)
    print("| n | transA | transB | time per call | GFLOP/s |")
    print("|---:|:---:|:---:|---:|---:|")
    for run in runs:
        p = run["params"]
        n = int(p["n"])
        metric = run["primaryMetric"]
        unit = metric["scoreUnit"]
        if unit not in UNIT_SECONDS:
            sys.exit(f"error: {path}: unexpected JMH unit {unit!r} (run SgemmBench in its default AverageTime mode)")
        seconds = metric["score"] * UNIT_SECONDS[unit]
        err = metric.get("scoreError")
        err_text = f" ± {err:.3g}" if isinstance(err, float) and err == err else ""
        print(f"| {n} | {p['transA']} | {p['transB']} | {metric['score']:.3f}{err_text} {unit} | {2.0 * n ** 3 / seconds / 1e9:.1f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sgemm-jmh.py RESULT.json")
    main(sys.argv[1])
