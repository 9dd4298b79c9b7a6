#!/usr/bin/python3
"""The cost table of docs/lambda.md, from measured request counts.

Runs cloudlite-lambda's bootstrap (from a zip) under the mock Runtime API
(tests/lambda/mock_runtime_api.py), makes N warm single-row writes and N warm point reads on one
database, and takes from the function's per-request log lines the store requests and bytes of
each, and from /proc the process's CPU time per request. Then prices them (us-east-1 list
prices, docs/lambda.md "Prices") per million requests: S3 and DynamoDB, 128/512/1024 MB x86_64,
behind a function URL, an HTTP API or a REST API; beside CloudSQLite's and DonutDB's designs
computed the same way from their documented requests per SQL request.

Duration = measured CPU ms per request x (1769 / memory MB): Lambda gives a function one vCPU
at 1,769 MB and a proportional share below. Time waiting on the store is not included (it is
not measurable offline): read the table as a floor on duration cost.

    scripts/lambda-cost.py build/cloudlite-lambda.zip [STORE_URI] [--requests N]
Prints the Markdown tables.
"""
import argparse
import json
import math
import os
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "tests", "lambda"))
from function_harness_test import Sandbox, pipeline, results, stmt  # noqa: E402
from harness_test import body_of, response_of, unpack, v2  # noqa: E402

# us-east-1 list prices (docs/lambda.md, "Prices"; shared anchors §6.3).
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_S_X86 = 0.0000166667
FRONT = {"function URL": 0.0, "HTTP API": 1.00 / 1e6, "REST API": 3.50 / 1e6}
S3_PUT_LIST = 0.005 / 1000
S3_GET = 0.0004 / 1000
DDB_WRU = 0.625 / 1e6
DDB_RRU = 0.125 / 1e6
FULL_VCPU_MB = 1769
MEMORY = (128, 512, 1024)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(bootstrap, tmp, store, n):
    fn = Sandbox(bootstrap, tmp, store, "cost")
    try:
        def run(sql, args=()):
            rid, post = fn.call(v2("POST", "/cost/v2/pipeline", body=pipeline(stmt(sql, args))))
            results(body_of(response_of(post)))
            return rid

        run("CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT)")
        run("INSERT OR REPLACE INTO kv VALUES (0, 'warm-up')")
        run("SELECT v FROM kv WHERE k = 0")
        out = {}
        # Each write changes its row (a write of what is already there commits nothing).
        for kind, sql, args in [
                ("write", "INSERT OR REPLACE INTO kv VALUES (?, ?)", lambda i: (i % 100, f"v{i}")),
                ("read", "SELECT v FROM kv WHERE k = ?", lambda i: (i % 100,))]:
            cpu0 = cpu_seconds(fn.proc.pid)
            rids = [run(sql, args(i)) for i in range(n)]
            cpu = (cpu_seconds(fn.proc.pid) - cpu0) / n
            lines = [fn.log_of(rid)["store"] for rid in rids]
            avg = {k: sum(line[k] for line in lines) / n for k in lines[0]}
            out[kind] = {"store": avg, "cpu_ms": cpu * 1000}
        return out
    finally:
        fn.close()


def lambda_cost(cpu_ms, memory_mb, wall_ms=None):
    """Requests + duration. Duration: `wall_ms` when given (a design's own latency figure), else
    the CPU time stretched by the vCPU share of `memory_mb`."""
    if wall_ms is None:
        wall_ms = cpu_ms * max(1.0, FULL_VCPU_MB / memory_mb)
    duration_ms = max(1, math.ceil(wall_ms))
    return LAMBDA_REQUEST + duration_ms / 1000 * memory_mb / 1024 * LAMBDA_GB_S_X86


def s3_cost(store):
    return (store["put"] + store["list"]) * S3_PUT_LIST + store["get"] * S3_GET


def dynamodb_units(store):
    """cloudlite's requests as DynamoDB capacity: a get is a GetItem (1 RRU per 4 KB, strongly
    consistent), a list a Query, a put a PutItem (1 WRU per KB), a delete a DeleteItem."""
    gets = store["get"] + store["list"]
    rru = gets * max(1, math.ceil(store["bytes_in"] / max(gets, 1) / 4096)) if gets else 0
    wru = store["put"] * max(1, math.ceil(store["bytes_out"] / max(store["put"], 1) / 1024)) \
        if store["put"] else 0
    return rru, wru + store["delete"]


def row(label, store_dollars, cpu_ms, wall_ms=None):
    cells = []
    for mb in MEMORY:
        lam = lambda_cost(cpu_ms, mb, wall_ms)
        for front in FRONT.values():
            cells.append(f"${(lam + store_dollars + front) * 1e6:.2f}")
    return f"| {label} | " + " | ".join(cells) + " |"


def tables(m, n, store_uri):
    fronts = list(FRONT)
    head = "| per million | " + " | ".join(f"{mb} MB {f}" for mb in MEMORY for f in fronts) + " |"
    sep = "|---" * (1 + len(MEMORY) * len(fronts)) + "|"
    out = [f"Measured here ({n} warm requests of each kind, store {store_uri.split('://')[0]}://, "
           "one process):", "",
           "| request | store requests (get/put/list/delete) | bytes in/out | CPU ms |",
           "|---|---|---|---|"]
    for kind in ("write", "read"):
        s = m[kind]["store"]
        out.append(f"| {kind} | {s['get']:.2f} / {s['put']:.2f} / {s['list']:.2f} / "
                   f"{s['delete']:.2f} | {s['bytes_in']:.0f} / {s['bytes_out']:.0f} | "
                   f"{m[kind]['cpu_ms']:.2f} |")
    out += ["", head, sep]
    for kind in ("write", "read"):
        s, cpu = m[kind]["store"], m[kind]["cpu_ms"]
        out.append(row(f"cloudlite S3 {kind}", s3_cost(s), cpu))
        rru, wru = dynamodb_units(s)
        out.append(row(f"cloudlite DynamoDB {kind}", rru * DDB_RRU + wru * DDB_WRU, cpu))
    # CloudSQLite: a DynamoDB lock acquire and release (2 PutItem/DeleteItem, 1 WRU each) and the
    # whole database GET from S3, plus a whole-database PUT for a write; its own warm latency
    # figure (200-800 ms) as duration, 500 ms. The database is 1 MB here.
    cloudsqlite_ms = 500
    for kind, s3 in [("write", S3_GET + S3_PUT_LIST), ("read", S3_GET)]:
        out.append(row(f"CloudSQLite {kind} (500 ms)", 2 * DDB_WRU + s3, 0, cloudsqlite_ms))
    # DonutDB: one global DynamoDB lock (conditional PutItem + DeleteItem), the file metadata
    # GetItem, the B-tree path as 4 KB sector GetItems (3 for a point query: 2 RRU each, 4 KB +
    # keys), and for a write the rollback journal (header + 1 page: 2 sectors) and the changed
    # page, 4 KB sectors at 5 WRU each, then the journal deleted. CPU as cloudlite's.
    donut_read = 2 * DDB_WRU + DDB_RRU + 3 * 2 * DDB_RRU
    donut_write = donut_read + 3 * 5 * DDB_WRU + 2 * DDB_WRU
    out.append(row("DonutDB write", donut_write, m["write"]["cpu_ms"]))
    out.append(row("DonutDB read", donut_read, m["read"]["cpu_ms"]))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zip")
    ap.add_argument("store", nargs="?")
    ap.add_argument("--requests", type=int, default=50)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cloudlite-cost-") as tmp:
        bootstrap = unpack(a.zip, os.path.join(tmp, "task"))
        store = a.store or f"file://{tmp}/store"
        m = measure(bootstrap, tmp, store, a.requests)
    print(tables(m, a.requests, store))
    print()
    print(json.dumps(m))


if __name__ == "__main__":
    main()
