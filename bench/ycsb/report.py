#!/usr/bin/env python3
"""Markdown tables from cloudlite_ycsb's JSON lines (bench/ycsb_bench.sh): throughput per
workload and target against the best peer measured in the same run, and per operation type
ops/s, p50 and p99. Peers are the targets that are neither cloudlite nor the fixed response;
the best peer of a workload is the one with the most ops/s in it."""
import json
import sys

ORDER = ["a", "b", "c", "f", "d", "e"]
OPS = ["READ", "UPDATE", "INSERT", "SCAN", "READ-MODIFY-WRITE"]


def is_peer(label):
    return not label.startswith("cloudlite") and label != "fixed-response"


def fmt(x, digits=0):
    return "-" if x is None else f"{x:.{digits}f}"


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    rows.sort(key=lambda r: (ORDER.index(r["workload"]) if r["workload"] in ORDER else 9,
                             r["phase"] != "load"))
    best = {}  # (workload, phase) -> the best peer's row
    for r in rows:
        key = (r["workload"], r["phase"])
        if is_peer(r["label"]) and (key not in best or r["ops_per_s"] > best[key]["ops_per_s"]):
            best[key] = r

    print("| workload | phase | target | ops/s | vs best peer | errors | seconds | client CPU us/request | store requests per write | PUTs per write |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        b = best.get((r["workload"], r["phase"]))
        ratio = f'{r["ops_per_s"] / b["ops_per_s"]:.2f}x ({b["label"]})' if b and b["ops_per_s"] else "-"
        writes = sum(r["ops"].get(op, {}).get("count", 0) for op in ("UPDATE", "INSERT"))
        per_write = puts = "-"
        if r.get("store_requests", -1) > 0 and writes:
            per_write = f'{r["store_requests"] / writes:.3f}'
            puts = f'{r["store_puts"] / writes:.3f}'
        timed = " (time limit)" if r.get("stopped_by_time") else ""
        print(f'| {r["workload"].upper()} | {r["phase"]} | {r["label"]} | {r["ops_per_s"]:.0f} | {ratio} | '
              f'{r["errors"]} | {r["seconds"]:.1f}{timed} | {r["client_cpu_us_per_request"]:.0f} | {per_write} | {puts} |')
    print()
    print("| workload | operation | target | ops/s | p50 ms | p99 ms | p99 / best peer's p99 | errors |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["phase"] != "run":
            continue
        b = best.get((r["workload"], r["phase"]))
        for op in OPS:
            o = r["ops"].get(op)
            if not o:
                continue
            bo = b["ops"].get(op) if b else None
            p99_ratio = f'{o["p99_us"] / bo["p99_us"]:.2f}x' if bo and bo["p99_us"] else "-"
            err = f'{o["errors"]} ({o["first_error"]})' if o.get("first_error") else str(o["errors"])
            print(f'| {r["workload"].upper()} | {op} | {r["label"]} | {o["ops_per_s"]:.0f} | '
                  f'{o["p50_us"] / 1000:.2f} | {o["p99_us"] / 1000:.2f} | {p99_ratio} | {err} |')


if __name__ == "__main__":
    main(sys.argv[1])
