#!/usr/bin/env python3
"""Differential check of `cloudlite serve` against libsql/hrana-test-server (not in CI).

Sends the same Hrana request sequences to both servers and compares the responses after
normalising what may legitimately differ: batons, base_url, timing and statistics fields, the
padding of base64, and the wording of error messages (codes are compared). The reference
server's code may not enter this repository, so fetch it yourself first:

    git clone https://github.com/libsql/hrana-test-server /tmp/hrana-test-server
    apt-get install python3-aiohttp python3-protobuf
    scripts/hrana-differential.py --reference=/tmp/hrana-test-server [--cloudlite=build/cloudlite]

It starts both servers on free loopback ports (the reference binds localhost:8080 itself; it is
started through a small launcher that moves it to a free port), runs every case, prints each
difference as JSON and exits 1 if there was one. docs/server.md ("Differential check") says what
it found and which test now covers each finding.
"""
import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# Fields one server may add that say nothing about the result (sqld's statistics, timings).
IGNORED_FIELDS = {"rows_read", "rows_written", "query_duration_ms", "replication_index",
                  "base_url"}

# The launcher runs the reference's server_vN.py unchanged, with aiohttp's TCPSite pointed at
# our port instead of the hard-coded localhost:8080.
LAUNCHER = r"""
import runpy, sys
import aiohttp.web as web
script, port = sys.argv[1], int(sys.argv[2])
real = web.TCPSite
web.TCPSite = lambda runner, host, _port, **kw: real(runner, "127.0.0.1", port, **kw)
sys.path.insert(0, sys.argv[3])
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        text = text.decode("utf-8")  # strict: a JSON text is UTF-8
        if url.endswith("/cursor") and status == 200:  # NDJSON: one JSON value per line
            return status, [json.loads(line) for line in text.splitlines() if line.strip()]
        return status, json.loads(text)
    except ValueError as e:
        return status, f"<not a UTF-8 JSON text: {e}>"


def wait_until_up(url, proc, log):
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit(f"server exited: {open(log).read()}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers, even if not 2xx
        except OSError:
            time.sleep(0.1)
    sys.exit(f"server at {url} did not answer: {open(log).read()}")


def start_reference(python, repo, version, work):  # server_vN.py on a free port
    port = free_port()
    log = os.path.join(work, f"reference-v{version}.log")
    env = dict(os.environ, ENCODING="json", LOG_LEVEL="WARNING")
    proc = subprocess.Popen([python, "-c", LAUNCHER, os.path.join(repo, f"server_v{version}.py"),
                             str(port), repo], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env=env)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/", proc, log)
    return proc, base


def start_cloudlite(binary, work):
    log = os.path.join(work, "cloudlite.log")
    proc = subprocess.Popen([binary, "serve", "--store", f"file://{work}/store", "--create",
                             "--listen", "127.0.0.1:0", "--access-log", "off"],
                            stderr=open(log, "w"))
    for _ in range(200):
        m = re.search(r"listening on (http://\S+)", open(log).read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    sys.exit(f"cloudlite serve did not start: {open(log).read()}")


def normalise(value):
    """What may differ between two correct servers, made equal; the rest kept."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in IGNORED_FIELDS:
                continue
            if k == "baton":
                out[k] = None if v is None else "<baton>"
            elif k == "message":
                out[k] = "<message>"
            elif k == "base64":
                out[k] = base64.b64encode(base64.b64decode(v + "=" * (-len(v) % 4))).decode()
            else:
                out[k] = normalise(v)
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def known(key, a, b, parent_a):
    """Why reference value a and cloudlite value b may differ at `key`, or None if they may not.
    Each reason is a documented choice (docs/server.md) or the reference's own limit."""
    if key == "code" and isinstance(a, str) and isinstance(b, str) and a.startswith(b + "_"):
        return "cloudlite sends the primary SQLite code name, as sqld does"
    if key == "code" and a == "<absent>" and b == "SQL_MANY_STATEMENTS":
        return "the reference gives this error no code; sqld's is SQL_MANY_STATEMENTS"
    if (key == "last_insert_rowid" and b is None and isinstance(parent_a, dict)
            and parent_a.get("affected_row_count") == 0):
        return "cloudlite sends null for a statement that changed nothing (docs/server.md)"
    if key == "status" and a == 500:
        return "the reference fails with HTTP 500 on this input"
    return None


def diff(a, b, path="", key=None, parent_a=None):
    """The paths at which a and b differ, with both values and, if any, why that is expected."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.get("status") == 500 and "body" in a:  # the reference failed: compare status only
            return diff(a["status"], b.get("status"), f"{path}/status", "status", a)
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}/{k}", k, a)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}/{i}", i, a)]
    if a == b and type(a) is type(b):
        return []
    d = {"path": path or "/", "reference": a, "cloudlite": b}
    reason = known(key, a, b, parent_a)
    if reason:
        d["known"] = reason
    return [d]


def ex(sql, **stmt):
    return {"type": "execute", "stmt": dict(sql=sql, **stmt)}


def val(kind, v=None):
    if kind == "null":
        return {"type": "null"}
    if kind == "blob":
        return {"type": "blob", "base64": v}
    return {"type": kind, "value": v}


CLOSE = {"type": "close"}


def step(sql, condition=None, **stmt):
    s = {"stmt": dict(sql=sql, **stmt)}
    if condition is not None:
        s["condition"] = condition
    return s


# Each case is a list of pipeline bodies sent in order on one stream ("baton" is filled in from
# the previous answer). Every case runs against its own database on cloudlite (/{case}/...) and
# uses table names of its own on the reference, whose HTTP database is shared.
CASES = {
    "values_round_trip": [{"requests": [
        ex("CREATE TABLE vals (i, r, t, b, n)"),
        ex("INSERT INTO vals VALUES (?, ?, ?, ?, ?)", args=[
            val("integer", "9223372036854775807"), val("float", 1.5), val("text", "h\u00e9llo \u2603"),
            val("blob", "AAEC/w=="), val("null")]),
        ex("INSERT INTO vals VALUES (?, ?, ?, ?, ?)", args=[
            val("integer", "-9223372036854775808"), val("float", -0.25), val("text", ""),
            val("blob", ""), val("integer", "0")]),
        ex("SELECT i, r, t, b, n, typeof(i), typeof(r), typeof(b) FROM vals ORDER BY rowid"),
        CLOSE]}],
    "unpadded_blob_argument": [{"requests": [
        ex("SELECT ?, length(?)", args=[val("blob", "AAE"), val("blob", "AAE")]), CLOSE]}],
    "float_results": [{"requests": [
        ex("SELECT 1.0, 0.1, 1e300, -2.5e-10, 1/3.0, 5.0/2"), CLOSE]}],
    "named_args": [{"requests": [
        ex("SELECT :a, @b, $c, :d", named_args=[
            {"name": ":a", "value": val("integer", "1")}, {"name": "@b", "value": val("text", "x")},
            {"name": "$c", "value": val("float", 2.5)}, {"name": "d", "value": val("null")}]),
        CLOSE]}],
    "mixed_positional_numbered": [{"requests": [
        ex("SELECT ?1, ?2, ?1", args=[val("integer", "7"), val("integer", "8")]), CLOSE]}],
    "want_rows_false": [{"requests": [
        ex("CREATE TABLE wr (x)"), ex("INSERT INTO wr VALUES (1), (2), (3)"),
        ex("SELECT x FROM wr", want_rows=False), CLOSE]}],
    "affected_rows_and_rowid": [{"requests": [
        ex("CREATE TABLE ar (id INTEGER PRIMARY KEY, v TEXT)"),
        ex("INSERT INTO ar (v) VALUES ('a'), ('b'), ('c')"),
        ex("UPDATE ar SET v = 'z' WHERE id >= 2"),
        ex("DELETE FROM ar WHERE id = 1"),
        ex("SELECT count(*) FROM ar"),
        CLOSE]}],
    "column_names_and_decltypes": [{"requests": [
        ex("CREATE TABLE cd (a INTEGER, b TEXT, c BLOB, d REAL, e NUMERIC, f)"),
        ex("SELECT a, b AS bee, c, d, e, f, a + 1, 'lit', NULL FROM cd"),
        ex("SELECT 1 AS \"quoted name\", * FROM cd"),
        CLOSE]}],
    "batch_conditions": [{"requests": [
        {"type": "batch", "batch": {"steps": [
            step("CREATE TABLE bc (x UNIQUE)"),
            step("INSERT INTO bc VALUES (1)", {"type": "ok", "step": 0}),
            step("INSERT INTO bc VALUES (1)", {"type": "ok", "step": 1}),
            step("SELECT 'after error'", {"type": "error", "step": 2}),
            step("SELECT 'not ok'", {"type": "not", "cond": {"type": "ok", "step": 2}}),
            step("SELECT 'and'", {"type": "and", "conds": [{"type": "ok", "step": 0},
                                                            {"type": "error", "step": 2}]}),
            step("SELECT 'or'", {"type": "or", "conds": [{"type": "ok", "step": 2},
                                                          {"type": "error", "step": 0}]}),
            step("SELECT 'and empty'", {"type": "and", "conds": []}),
            step("SELECT 'or empty'", {"type": "or", "conds": []}),
            step("SELECT count(*) FROM bc"),
        ]}},
        CLOSE]}],
    "batch_skipped_step_reference": [{"requests": [
        {"type": "batch", "batch": {"steps": [
            step("SELECT 1", {"type": "error", "step": 0}),
            step("SELECT 2", {"type": "ok", "step": 0}),
            step("SELECT 3", {"type": "error", "step": 0}),
        ]}},
        CLOSE]}],
    "sequence": [{"requests": [
        {"type": "sequence", "sql": "CREATE TABLE sq (x); INSERT INTO sq VALUES (1); "
                                    "INSERT INTO sq VALUES (2);"},
        ex("SELECT sum(x) FROM sq"),
        {"type": "sequence", "sql": "INSERT INTO sq VALUES (3); SELEC oops; INSERT INTO sq VALUES (4)"},
        ex("SELECT sum(x) FROM sq"),
        {"type": "sequence", "sql": ""},
        {"type": "sequence", "sql": "  ;  ; -- only a comment"},
        CLOSE]}],
    "describe": [{"requests": [
        ex("CREATE TABLE ds (a INTEGER, b TEXT)"),
        {"type": "describe", "sql": "SELECT a, b AS bee, ?1, :n FROM ds WHERE a = @m"},
        {"type": "describe", "sql": "INSERT INTO ds VALUES (?, ?)"},
        {"type": "describe", "sql": "EXPLAIN SELECT 1"},
        {"type": "describe", "sql": "EXPLAIN QUERY PLAN SELECT 1"},
        {"type": "describe", "sql": "SELEC 1"},
        CLOSE]}],
    "stored_sql": [{"requests": [
        {"type": "store_sql", "sql_id": 1, "sql": "SELECT ? + 1"},
        {"type": "execute", "stmt": {"sql_id": 1, "args": [val("integer", "41")]}},
        {"type": "batch", "batch": {"steps": [
            {"stmt": {"sql_id": 1, "args": [val("integer", "1")]}}]}},
        {"type": "close_sql", "sql_id": 1},
        CLOSE]}],
    "interactive_commit": [
        {"requests": [ex("CREATE TABLE ic (x)"), ex("BEGIN"), ex("INSERT INTO ic VALUES (1)")]},
        {"requests": [ex("INSERT INTO ic VALUES (2)"), ex("SELECT count(*) FROM ic")]},
        {"requests": [ex("COMMIT"), ex("SELECT count(*) FROM ic"), CLOSE]},
    ],
    "interactive_rollback": [
        {"requests": [ex("CREATE TABLE ir (x)"), ex("BEGIN"), ex("INSERT INTO ir VALUES (1)")]},
        {"requests": [ex("ROLLBACK"), ex("SELECT count(*) FROM ir"), CLOSE]},
    ],
    "close_then_nothing": [{"requests": [CLOSE]}],
    "stream_without_close": [
        {"requests": [ex("SELECT 1")]},
        {"requests": [ex("SELECT 2"), CLOSE]},
    ],
    "errors": [{"requests": [
        ex("SELEC 1"),
        ex("CREATE TABLE er (x UNIQUE NOT NULL)"),
        ex("INSERT INTO er VALUES (1)"),
        ex("INSERT INTO er VALUES (1)"),
        ex("INSERT INTO er VALUES (NULL)"),
        ex("SELECT * FROM missing_table"),
        ex("SELECT ?, ?", args=[val("integer", "1")]),
        ex("SELECT ?", args=[val("integer", "1"), val("integer", "2")]),
        ex("SELECT :a", named_args=[{"name": "b", "value": val("null")}]),
        ex(""),
        ex("-- nothing"),
        ex("SELECT 1; SELECT 2"),
        ex("SELECT count(*) FROM er"),
        CLOSE]}],
    "invalid_utf8_text": [{"requests": [ex("SELECT CAST(x'ff41' AS TEXT)"), CLOSE]}],
    "last_insert_rowid_untouched": [{"requests": [ex("SELECT 1"), CLOSE]}],
}

# Hrana 3 cases, against server_v3.py (ENCODING=json) on /v3/pipeline; ("cursor", body) goes
# to /v3/cursor on the same stream.
CASES_V3 = {
    "v3_autocommit": [{"requests": [
        {"type": "get_autocommit"},
        ex("CREATE TABLE v3a (x)"),
        ex("BEGIN"),
        {"type": "get_autocommit"},
        {"type": "batch", "batch": {"steps": [
            step("INSERT INTO v3a VALUES (1)", {"type": "is_autocommit"}),
            step("INSERT INTO v3a VALUES (2)", {"type": "not", "cond": {"type": "is_autocommit"}}),
        ]}},
        ex("ROLLBACK"),
        {"type": "get_autocommit"},
        ex("SELECT count(*) FROM v3a"),
        CLOSE]}],
    "v3_cursor": [
        {"requests": [ex("CREATE TABLE v3c (x, y)"),
                      ex("INSERT INTO v3c VALUES (1, 'a'), (2, x'00'), (3, NULL)")]},
        ("cursor", {"batch": {"steps": [
            step("SELECT x, y FROM v3c ORDER BY x"),
            step("SELEC nothing"),
            step("SELECT 'after error'", {"type": "error", "step": 1}),
            step("INSERT INTO v3c VALUES (4, 4.5)"),
        ]}}),
        {"requests": [ex("SELECT count(*) FROM v3c"), CLOSE]},
    ],
}


def run_case(base, bodies, db_path, version):
    answers, baton = [], None
    for body in bodies:
        route = "pipeline"
        if isinstance(body, tuple):
            route, body = body
        sent = dict(body)
        if baton is not None:
            sent["baton"] = baton
        status, answer = post(f"{base}{db_path}/v{version}/{route}", sent)
        answers.append({"status": status, "body": answer})
        head = answer[0] if isinstance(answer, list) and answer else answer
        baton = head.get("baton") if isinstance(head, dict) else None
    return answers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", required=True, help="checkout of libsql/hrana-test-server")
    ap.add_argument("--cloudlite", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                         "cloudlite"))
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="the Python that has Debian's python3-aiohttp (default /usr/bin/python3)")
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument("--show", action="store_true", help="print both answers of every case")
    ap.add_argument("--show-known", action="store_true",
                    help="print the expected differences too, with the reason")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="hrana-diff-")
    procs = []
    try:
        refs = {}
        for version in (2, 3):
            proc, refs[version] = start_reference(args.python, os.path.abspath(args.reference),
                                                  version, work)
            procs.append(proc)
        cl, cl_base = start_cloudlite(os.path.abspath(args.cloudlite), work)
        procs.append(cl)
        differences = expected = 0
        cases = [(2, n, b) for n, b in CASES.items()] + [(3, n, b) for n, b in CASES_V3.items()]
        for version, name, bodies in cases:
            if args.only and args.only not in name:
                continue
            want = run_case(refs[version], bodies, "", version)
            got = run_case(cl_base, bodies, "/" + name.replace("_", "-"), version)
            found = diff(normalise(want), normalise(got))
            if args.show:
                print(json.dumps({"case": name, "reference": want, "cloudlite": got}))
            for d in found:
                if "known" in d:
                    expected += 1
                    if not args.show_known:
                        continue
                else:
                    differences += 1
                print(json.dumps(dict(case=name, **d), ensure_ascii=False))
        print(f"{len(cases)} cases: {differences} differences, {expected} expected ones "
              f"(--show-known lists them)", file=sys.stderr)
        return 1 if differences else 0
    finally:
        for p in procs:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
