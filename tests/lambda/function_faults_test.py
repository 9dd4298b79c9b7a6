#!/usr/bin/python3
"""Faults, concurrency and load for the ready function, cloudlite-lambda (docs/lambda.md,
"Testing offline"): its zip's `bootstrap` under the mock Runtime API, as function_harness_test.py
runs it, with the store reached through fault_proxy.py where the case needs a network between the
function and its store.

Stores: a networked S3 store always (fake_s3.py, in memory, behind the proxy) and Ceph RGW too
when scripts/rgw-start.sh's environment is set (CLOUDLITE_TEST_S3_URI, AWS_ENDPOINT_URL_S3);
file:// for the cases that need no network.

  dropped connections   the proxy resets every idle keep-alive connection to the store while the
                        function waits in /next (a frozen environment thawing); the next requests
                        succeed, over new connections.
  interrupted PUT       the proxy forwards the conditional PUT of a commit record, then resets
                        the connection before the answer arrives; the request comes out committed
                        or as an error that says the commit is ambiguous, and the table holds
                        exactly the acknowledged writes plus at most the ambiguous one, none twice.
                        Then every answer to one record's PUT is lost, re-sends included: the
                        request gets AMBIGUOUS_OUTCOME, the row is there at most once, and the
                        function goes on.
  SIGKILL in flight     the proxy holds the answer to a commit's PUT (the record itself: it landed;
                        or a segment of a big commit: the record was never written), the process
                        is killed, a new one starts on the same /tmp: the commit is there or not
                        as the store says, writes and reads work, PRAGMA integrity_check is ok and
                        `cloudlite verify` finds nothing damaged.
  warm reuse            the second identical read asks the store less than the first, by the log
                        line's counts, and the proxy saw exactly as many HTTP requests.
  bank                  4 processes as 4 sandboxes make concurrent transfers (a one-shot pipeline
                        or a BEGIN..COMMIT batch, each with its ledger row); the sum is unchanged,
                        every acknowledged transfer is in the ledger once, and the balances are
                        what the ledger says.
  load                  4 sandboxes x 200 requests (30% writes), bounded; prints throughput and
                        p50/p99 latency; checks only correctness: no 5xx, every write present.

Every wait is bounded and nothing timed is asserted.
    function_faults_test.py path/to/cloudlite-lambda.zip path/to/cloudlite
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_s3 import FakeS3  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402
from function_harness_test import (WAIT, Sandbox, pipeline, results, rows, stmt,  # noqa: E402
                                   store_requests)
from harness_test import body_of, response_of, unpack, v2  # noqa: E402


class NetStore:
    """An S3 store (the fake or RGW) and a fault proxy in front of it."""

    def __init__(self, name, bucket_uri, endpoint, env, fake=None):
        self.name, self.fake, self.env = name, fake, env
        up = urlsplit(endpoint)
        self.proxy = FaultProxy(up.port or 80, up.hostname).start()
        self.base = f"{bucket_uri.rstrip('/')}/lambda-{uuid.uuid4().hex[:8]}"
        self.endpoint = endpoint

    def uri(self):
        """The store URI the function gets: through the proxy."""
        return f"{self.base}?endpoint={self.proxy.endpoint}"

    def database_uri(self, db):
        """A database's URI for the CLI, straight to the store."""
        return f"{self.base}/{db}?endpoint={self.endpoint}"

    def close(self):
        self.proxy.stop()
        if self.fake:
            self.fake.stop()


def net_stores():
    fake = FakeS3().start()
    creds = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
             "AWS_REGION": "us-east-1"}
    out = [NetStore("fake-s3", f"s3://{fake.bucket}", fake.endpoint, creds, fake)]
    uri, endpoint = os.environ.get("CLOUDLITE_TEST_S3_URI"), os.environ.get("AWS_ENDPOINT_URL_S3")
    if uri and endpoint:
        out.append(NetStore("s3", uri.partition("?")[0], endpoint, {}))
    return out


def sandbox(bootstrap, root, store_uri, name, env=None):
    tmp = os.path.join(root, name)
    os.makedirs(tmp, exist_ok=True)
    return Sandbox(bootstrap, tmp, store_uri, name, extra_env=env)


def sql(fn, db, *stmts, **kwargs):
    """One one-shot pipeline; the v2 answer (statusCode, body)."""
    rid, post = fn.call(v2("POST", f"/{db}/v2/pipeline", body=pipeline(*stmts)), **kwargs)
    return rid, response_of(post)


def ok_results(answer):
    assert answer["statusCode"] == 200, answer
    return results(body_of(answer))


def wait_in_next(fn, calls):
    """Until the function has asked /next `calls` times: it is then idle, waiting for an event."""
    with fn.api.cond:
        assert fn.api.cond.wait_for(lambda: fn.api.next_calls >= calls, WAIT), fn.api.next_calls


def is_ambiguous(answer):
    text = json.dumps(answer).lower()
    return "ambiguous" in text or "may have been" in text


# ---- 1. dropped connections, interrupted conditional PUT ----

def check_dropped_connections(bootstrap, root, net):
    fn = sandbox(bootstrap, root, net.uri(), "drop", net.env)
    proxy = net.proxy
    try:
        ok_results(sql(fn, "drop", stmt("CREATE TABLE log (n INTEGER NOT NULL)"))[1])
        acked = []
        for n in range(3):
            wait_in_next(fn, len(fn.api.invocations) + 1)
            assert proxy.open_connections() >= 1, "no idle keep-alive connection to the store"
            accepted = proxy.accepted
            reset = proxy.reset_all()
            ok_results(sql(fn, "drop", stmt("INSERT INTO log VALUES (?)", (n,)))[1])
            acked.append(n)
            assert proxy.accepted > accepted, "the write did not need a new connection?"
            print(f"  reset {reset} idle connection(s); the next write succeeded")

        # The conditional PUT of the next commit record reaches the store; its answer does not.
        rule = proxy.add_rule("cut", lambda m, p, h: m == "PUT" and "/log/" in p
                              and h.get("if-none-match") == "*")
        _, answer = sql(fn, "drop", stmt("INSERT INTO log VALUES (100)"))
        assert rule.fired.is_set(), "the commit record's PUT was not cut"
        if answer["statusCode"] == 200 and all(r["type"] == "ok"
                                               for r in body_of(answer)["results"]):
            acked.append(100)
            outcome = "committed"
        else:
            assert is_ambiguous(answer), f"an error that does not say it is ambiguous: {answer}"
            outcome = "ambiguous"

        # Every answer to that record's PUT is lost, the re-sends' too: the store never says.
        def record_put(m, p, h):
            return m == "PUT" and "/log/" in p and h.get("if-none-match") == "*"

        first_key = []

        def same_record(m, p, h):
            if record_put(m, p, h) and not first_key:
                first_key.append(p)
            return record_put(m, p, h) and p == first_key[0]

        rule = proxy.add_rule("cut", same_record, times=1000)
        _, answer = sql(fn, "drop", stmt("INSERT INTO log VALUES (101)"))
        assert len(rule.requests) >= 2, rule.requests  # it was re-sent, the same record
        assert answer["statusCode"] != 200 or any(r["type"] != "ok"
                                                  for r in body_of(answer)["results"]), answer
        assert is_ambiguous(answer), f"an error that does not say it is ambiguous: {answer}"
        assert body_of(answer).get("code") == "AMBIGUOUS_OUTCOME", answer
        rule.times = 0  # the store answers again
        print(f"  every answer lost ({len(rule.requests)} sends of the record): "
              f"{json.dumps(body_of(answer))[:300]}")

        count = ok_results(sql(fn, "drop",
                               stmt("SELECT n, count(*) FROM log GROUP BY n ORDER BY n"))[1])[0]
        got = {int(n): int(c) for n, c in rows(count)}
        assert all(c == 1 for c in got.values()), f"a write applied twice: {got}"
        assert set(acked) <= set(got), (acked, got)
        assert set(got) - set(acked) <= {100, 101}, (acked, got)  # at most the ambiguous ones
        ok_results(sql(fn, "drop", stmt("INSERT INTO log VALUES (102)"))[1])  # and it goes on
        assert fn.proc.poll() is None, fn.output()
        return outcome, answer["statusCode"], sorted(got)
    except BaseException:
        print(fn.output(), file=sys.stderr)
        raise
    finally:
        fn.close()


# ---- 2. SIGKILL with a commit in flight, restart on the same /tmp ----

def check_kill_in_flight(bootstrap, root, net, cli):
    db = "killed"
    fn = sandbox(bootstrap, root, net.uri(), "kill", net.env)
    try:
        ok_results(sql(fn, db, stmt("CREATE TABLE t (batch TEXT, x BLOB)"))[1])
    finally:
        fn.close()
    big = ("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) "
           "INSERT INTO t SELECT ?, randomblob(1000) FROM c")
    cases = [  # (batch, what the proxy holds, the statement, rows the batch has afterwards)
        ("record", lambda m, p, h: m == "PUT" and "/log/" in p, "INSERT INTO t VALUES (?, x'01')",
         1),
        ("segment", lambda m, p, h: m == "PUT" and "/seg/" in p, big, 0),
    ]
    for batch, matches, statement, want in cases:
        rule = net.proxy.add_rule("hold", matches)
        fn = sandbox(bootstrap, root, net.uri(), "kill", net.env)
        try:
            fn.api.queue(v2("POST", f"/{db}/v2/pipeline", body=pipeline(stmt(statement, (batch,)))))
            assert rule.fired.wait(WAIT), f"no {batch} PUT was made: {fn.output()}"
            fn.proc.send_signal(signal.SIGKILL)
            fn.proc.wait(WAIT)
        finally:
            rule.released.set()
            fn.close()
        # Lambda starts a new process on the same /tmp.
        fn = sandbox(bootstrap, root, net.uri(), "kill", net.env)
        try:
            check, counts = ok_results(sql(
                fn, db, stmt("PRAGMA integrity_check"),
                stmt("SELECT batch, count(*) FROM t GROUP BY batch ORDER BY batch"))[1])
            assert rows(check) == [["ok"]], rows(check)
            got = {b: int(n) for b, n in rows(counts)}
            assert got.get(batch, 0) == want, (batch, got)
            ok_results(sql(fn, db, stmt("INSERT INTO t VALUES ('after', x'02')"))[1])
            counts = ok_results(sql(fn, db,
                                    stmt("SELECT count(*) FROM t WHERE batch = 'after'"))[1])
            assert int(rows(counts[0])[0][0]) >= 1
        except BaseException:
            print(fn.output(), file=sys.stderr)
            raise
        finally:
            fn.close()
        verify = subprocess.run([cli, "verify", net.database_uri(db)], capture_output=True,
                                text=True, timeout=WAIT, env={**os.environ, **net.env})
        assert verify.returncode == 0, (verify.returncode, verify.stdout, verify.stderr)
        print(f"  killed with the {batch} PUT in flight: {want} row(s) of it after the restart; "
              f"verify: {verify.stdout.strip().splitlines()[-1]}")


# ---- 3. warm reuse, cross-checked with the proxy ----

def check_warm_counts(bootstrap, root, net):
    db = "warm"
    fn = sandbox(bootstrap, root, net.uri(), "warm-setup", net.env)
    try:
        ok_results(sql(fn, db, stmt("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)"),
                       stmt("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                            "WHERE i < 500) INSERT INTO t SELECT i, randomblob(200) FROM c"))[1])
    finally:
        fn.close()
    fn = sandbox(bootstrap, root, net.uri(), "warm", net.env)
    try:
        wait_in_next(fn, 1)  # init (its check of the store) is over
        lines, seen = [], []
        for _ in range(2):
            before = net.proxy.requests
            rid, answer = sql(fn, db, stmt("SELECT count(*), sum(length(v)) FROM t"))
            assert rows(ok_results(answer)[0]) == [["500", "100000"]], answer
            seen.append(net.proxy.requests - before)
            lines.append(fn.log_of(rid))
    finally:
        fn.close()
    first, second = (store_requests(line) for line in lines)
    assert second < first, lines
    assert seen == [first, second], (seen, lines)  # the log line counts what really went out
    return first, second


# ---- 4. bank invariant, N sandboxes, with a ledger ----

def transfer(tid, src, dst, amount, as_batch):
    moves = [stmt("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, src)),
             stmt("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, dst)),
             stmt("INSERT INTO ledger VALUES (?, ?, ?, ?)", (tid, src, dst, amount))]
    if not as_batch:
        return pipeline(*moves)  # a one-shot pipeline is one transaction
    # What @libsql/client's batch() sends: BEGIN, the steps each on the one before, COMMIT,
    # ROLLBACK unless the COMMIT went through.
    steps = [{"stmt": stmt("BEGIN")["stmt"]}]
    for s in moves + [stmt("COMMIT")]:
        steps.append({"stmt": s["stmt"], "condition": {"type": "ok", "step": len(steps) - 1}})
    steps.append({"stmt": stmt("ROLLBACK")["stmt"],
                  "condition": {"type": "not", "cond": {"type": "ok", "step": len(steps) - 1}}})
    return json.dumps({"requests": [{"type": "batch", "batch": {"steps": steps}},
                                    {"type": "close"}]})


def acknowledged(answer):
    if answer["statusCode"] != 200:
        return False
    body = body_of(answer)
    if any(r["type"] != "ok" for r in body["results"]):
        return False
    for r in body["results"]:
        if r["response"]["type"] == "batch":
            res = r["response"]["result"]
            committed = res["step_results"][-2] is not None  # the COMMIT step ran
            return committed and all(e is None for e in res["step_errors"])
    return True


def check_bank(bootstrap, root, store_uri, env, sandboxes=4, per_sandbox=25, accounts=8):
    db = "bank"
    fn = sandbox(bootstrap, root, store_uri, "bank-setup", env)
    try:
        ok_results(sql(fn, db, stmt("CREATE TABLE accounts (id INTEGER PRIMARY KEY, "
                                    "balance INTEGER NOT NULL)"),
                       stmt("CREATE TABLE ledger (tid TEXT PRIMARY KEY, src INTEGER, "
                            "dst INTEGER, amount INTEGER)"),
                       stmt("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                            f"WHERE i < {accounts}) INSERT INTO accounts SELECT i, 100 FROM c"))[1])
    finally:
        fn.close()
    rng = random.Random(1616)
    fns, sent = [], {}
    try:
        fns = [sandbox(bootstrap, root, store_uri, f"bank-{i}", env) for i in range(sandboxes)]
        for k in range(per_sandbox):
            for i, f in enumerate(fns):
                src, dst = rng.sample(range(1, accounts + 1), 2)
                tid, amount = f"t{i}-{k}", rng.randint(1, 20)
                body = transfer(tid, src, dst, amount, as_batch=k % 2 == 1)
                rid = f.api.queue(v2("POST", f"/{db}/v2/pipeline", body=body))
                sent[tid] = (f, rid, src, dst, amount)
        acked, ambiguous = set(), set()
        for tid, (f, rid, *_) in sent.items():
            answer = response_of(f.api.wait_posts(rid, timeout=WAIT)[0])
            assert answer["statusCode"] < 500 or is_ambiguous(answer), answer
            if acknowledged(answer):
                acked.add(tid)
            elif is_ambiguous(answer):
                ambiguous.add(tid)
        balances, ledger = ok_results(sql(fns[0], db,
                                          stmt("SELECT id, balance FROM accounts ORDER BY id"),
                                          stmt("SELECT tid, src, dst, amount FROM ledger"))[1])
    finally:
        for f in fns:
            f.close()
    got = {int(i): int(b) for i, b in rows(balances)}
    entries = {tid: (int(s), int(d), int(a)) for tid, s, d, a in rows(ledger)}
    assert sum(got.values()) == 100 * accounts, got
    assert acked <= set(entries), sorted(acked - set(entries))  # every acknowledged one is there
    assert set(entries) - acked <= ambiguous, sorted(set(entries) - acked - ambiguous)
    for tid, entry in entries.items():
        assert entry == tuple(sent[tid][2:]), (tid, entry, sent[tid][2:])
    expected = {i: 100 for i in range(1, accounts + 1)}
    for src, dst, amount in entries.values():
        expected[src] -= amount
        expected[dst] += amount
    assert got == expected, (got, expected)  # the balances are exactly what the ledger says
    assert acked, "no transfer was acknowledged"
    return len(acked), len(sent)


# ---- 5. bounded load test ----

def check_load(bootstrap, root, store_uri, env, sandboxes=4, per_sandbox=200, write_share=0.3):
    db = "load"
    fn = sandbox(bootstrap, root, store_uri, "load-setup", env)
    try:
        ok_results(sql(fn, db, stmt("CREATE TABLE items (id TEXT PRIMARY KEY, sandbox INTEGER, "
                                    "v BLOB)"))[1])
    finally:
        fn.close()
    latencies, written, failures = [], [], []
    lock = threading.Lock()

    def drive(i, f):
        rng = random.Random(i)
        for k in range(per_sandbox):
            if rng.random() < write_share:
                item = f"s{i}-{k}"
                body = pipeline(stmt("INSERT INTO items VALUES (?, ?, randomblob(200))", (item, i)))
            else:
                item = None
                body = pipeline(stmt("SELECT count(*) FROM items WHERE sandbox = ?", (i,)),
                                stmt("SELECT id FROM items ORDER BY id DESC LIMIT 5"))
            start = time.perf_counter()
            rid = f.api.queue(v2("POST", f"/{db}/v2/pipeline", body=body))
            answer = response_of(f.api.wait_posts(rid, timeout=WAIT)[0])
            elapsed = time.perf_counter() - start
            ok = answer["statusCode"] == 200 and all(r["type"] == "ok"
                                                     for r in body_of(answer)["results"])
            with lock:
                latencies.append(elapsed)
                if not ok:
                    failures.append(answer)
                elif item:
                    written.append(item)

    fns = [sandbox(bootstrap, root, store_uri, f"load-{i}", env) for i in range(sandboxes)]
    try:
        threads = [threading.Thread(target=drive, args=(i, f)) for i, f in enumerate(fns)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT * 10)
        wall = time.perf_counter() - start
        assert not any(t.is_alive() for t in threads), "a load driver did not finish"
        assert len(latencies) == sandboxes * per_sandbox, len(latencies)
        assert not failures, failures[:3]
        count, = ok_results(sql(fns[0], db, stmt("SELECT id FROM items"))[1])
        present = {r[0] for r in rows(count)}
    finally:
        for f in fns:
            f.close()
    assert present == set(written), (len(present), len(written))
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return (f"{len(latencies)} requests ({len(written)} writes) in {wall:.2f} s: "
            f"{len(latencies) / wall:.0f} req/s, p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms")


def main():
    zip_path, cli = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="cloudlite-lambda-faults-") as root:
        bootstrap = unpack(zip_path, os.path.join(root, "task"))
        for net in net_stores():
            try:
                tmp = os.path.join(root, net.name)
                outcome, status, got = check_dropped_connections(bootstrap, tmp, net)
                print(f"ok: {net.name}: dropped idle connections; an interrupted conditional PUT "
                      f"came out {outcome}, one whose every answer was lost {status} "
                      f"AMBIGUOUS_OUTCOME; rows {got}, none twice")
                check_kill_in_flight(bootstrap, tmp, net, cli)
                print(f"ok: {net.name}: SIGKILL with a commit's PUT in flight, restart on /tmp")
                first, second = check_warm_counts(bootstrap, tmp, net)
                print(f"ok: {net.name}: warm reuse: {first} store requests cold, {second} warm, "
                      "as many as the proxy saw")
            finally:
                net.close()
        plain = [("file", f"file://{root}/store", {})]
        if os.environ.get("CLOUDLITE_TEST_S3_URI"):
            base = os.environ["CLOUDLITE_TEST_S3_URI"].partition("?")[0].rstrip("/")
            plain.append(("s3", f"{base}/lambda-{uuid.uuid4().hex[:8]}", {}))
        for name, store_uri, env in plain:
            tmp = os.path.join(root, "plain-" + name)
            acked, sent = check_bank(bootstrap, tmp, store_uri, env)
            print(f"ok: {name}: bank invariant, 4 sandboxes: {acked} of {sent} transfers "
                  "acknowledged, all in the ledger once, balances as the ledger says")
            print(f"ok: {name}: load: {check_load(bootstrap, tmp, store_uri, env)}")


if __name__ == "__main__":
    main()
