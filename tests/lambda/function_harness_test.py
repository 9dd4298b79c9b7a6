#!/usr/bin/python3
"""The offline harness of the ready function, cloudlite-lambda (docs/lambda.md, "Testing
offline"): the zip is unzipped and its `bootstrap` run as child processes with a Lambda-like
environment (no HOME, AWS_LAMBDA_RUNTIME_API pointing at mock_runtime_api.py, the disk cache in a
private "/tmp") against a file:// store, and also against Ceph RGW and DynamoDB Local when
CLOUDLITE_TEST_S3_URI / CLOUDLITE_TEST_DYNAMODB_URI name them (scripts/test.sh starts them).

Checked per store: SQL through every event source (HTTP API v2, function URL, REST API v1, ALB,
from the AWS-shaped fixtures in tests/data/lambda/ and built here,
direct invocation of both request shapes); a response over 6 MiB (-> a 500 naming the limit, and
the function goes on); a statement still running at the deadline (-> interrupted and answered);
init failures (-> one /init/error, exit 1); warm reuse (the second read asks the store less than
the first; a new process on the kept /tmp cache reads fewer bytes than a cold one); SIGKILL in
the middle of a commit, then a restart on the same /tmp (the database is whole and consistent);
N processes as N sandboxes making concurrent bank transfers (every acknowledged transfer applied
exactly once, money conserved). Then, on the file:// store, the two auth schemes: the SQL API
with CLOUDLITE_AUTH_JWT_KEY_FILE (a read-write token writes, a read-only one reads but cannot
write, a missing or forged token gets 401), and the DynamoDB API (CLOUDLITE_API=dynamodb) signed
with SigV4 through a function URL and an HTTP API event (CreateTable, PutItem, GetItem, Query;
a wrong secret and an unsigned request refused with DynamoDB's errors; a warm consistent read
makes one store request).

Every wait is bounded (60 s) and no time is measured.
    function_harness_test.py path/to/cloudlite-lambda.zip
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_test import body_of, response_of, unpack, v2  # noqa: E402
from mock_runtime_api import MockRuntimeApi  # noqa: E402

WAIT = 60  # seconds: a bound, not a measurement
SIX_MIB = 6 * 1024 * 1024


class Sandbox:
    """One execution environment: the bootstrap under its own mock API, with its own /tmp."""

    def __init__(self, bootstrap, tmp, store, name, extra_env=None, store_env=True):
        self.api = MockRuntimeApi().start()
        self.tmp = tmp
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": ":UTC",
               "LAMBDA_TASK_ROOT": os.path.dirname(bootstrap), "AWS_REGION": "us-east-1",
               "AWS_LAMBDA_FUNCTION_NAME": "cloudlite", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
               "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "_HANDLER": "sql",
               "AWS_LAMBDA_RUNTIME_API": self.api.address,
               "CLOUDLITE_CACHE_DIR": os.path.join(tmp, "cloudlite"), "CLOUDLITE_CREATE": "1"}
        if store is not None:
            env["CLOUDLITE_STORE"] = store
        if store_env:  # the test servers' endpoints and keys, as Lambda's role would give them
            env.update({k: v for k, v in os.environ.items()
                        if k.startswith("AWS_") and k != "AWS_PROFILE"})
        env.update(extra_env or {})
        self.log_path = os.path.join(tmp, f"{name}-{self.api.port}.log")
        self.log = open(self.log_path, "wb")
        self.err_path = self.log_path + ".err"
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([bootstrap], env=env, cwd=tmp, stdout=self.log,
                                     stderr=self.err)

    def call(self, event, **kwargs):
        rid = self.api.queue(event, **kwargs)
        return rid, self.api.wait_posts(rid, timeout=WAIT)[0]

    def log_lines(self):
        """The function's per-request JSON lines (stdout)."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return [json.loads(line) for line in f.read().decode().splitlines() if line]

    def log_of(self, rid):
        found = [line for line in self.log_lines() if line["request_id"] == rid]
        assert len(found) == 1, (rid, self.log_lines())
        return found[0]

    def output(self):
        self.err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_exit(self):
        try:
            return self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the function did not exit; log:\n{self.output()}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        self.api.stop()
        self.log.close()
        self.err.close()


def stmt(sql, args=()):
    return {"type": "execute", "stmt": {"sql": sql, "args": [value(a) for a in args]}}


def value(a):
    if isinstance(a, int):
        return {"type": "integer", "value": str(a)}
    return {"type": "text", "value": str(a)}


def pipeline(*requests):
    """A one-shot pipeline: closed at the end, as libSQL clients send it (an open stream would
    keep its connection until it expires)."""
    return json.dumps({"requests": list(requests) + [{"type": "close"}]})


def results(answer_body):
    """The Hrana results of a pipeline answer; fails on any error result."""
    out = []
    for r in answer_body["results"]:
        assert r["type"] == "ok", r
        if r["response"]["type"] == "execute":
            out.append(r["response"]["result"])
    return out


def rows(result):
    return [[cell.get("value") for cell in row] for row in result["rows"]]


def check_sources(fn):
    create = pipeline(stmt("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)"),
                      stmt("INSERT OR REPLACE INTO kv VALUES ('a', 'from v2')"))
    _, post = fn.call(v2("POST", "/shop/v2/pipeline", body=create))
    answer = response_of(post)
    assert answer["statusCode"] == 200, answer
    results(body_of(answer))

    read = pipeline(stmt("SELECT v FROM kv WHERE k = 'a'"))
    # Function URL, the body base64-encoded by Lambda.
    _, post = fn.call(v2("POST", "/shop/v2/pipeline", body=base64.b64encode(read.encode()).decode(),
                         b64=True, domain="abcdefg.lambda-url.us-east-1.on.aws"))
    assert rows(results(body_of(response_of(post)))[0]) == [["from v2"]], post.body

    # REST API v1: CloudSQLite's {"sql_statement"} shape.
    _, post = fn.call({"httpMethod": "POST", "path": "/shop", "resource": "/{proxy+}",
                       "multiValueHeaders": {"Content-Type": ["application/json"]},
                       "requestContext": {"identity": {"sourceIp": "192.0.2.1"}},
                       "body": json.dumps({"sql_statement": "SELECT count(*) AS n FROM kv"}),
                       "isBase64Encoded": False})
    answer = response_of(post)
    assert answer["statusCode"] == 200 and "cookies" not in answer, answer
    assert json.loads(answer["body"])["rows"] == [[1]], answer

    # ALB.
    _, post = fn.call({"requestContext": {"elb": {"targetGroupArn": "arn:tg"}},
                       "httpMethod": "POST", "path": "/shop/v2/pipeline",
                       "headers": {"content-type": "application/json"}, "body": read,
                       "isBase64Encoded": False})
    answer = response_of(post)
    assert answer["statusDescription"] == "200 OK", answer
    assert rows(results(body_of(answer))[0]) == [["from v2"]], answer

    # Direct invocations: the payload names the database; the answer is the body itself.
    _, post = fn.call({"database": "shop", "requests": [stmt("SELECT v FROM kv"),
                                                        {"type": "close"}]})
    assert rows(results(response_of(post))[0]) == [["from v2"]], post.body
    _, post = fn.call({"database": "shop", "sql_statement": "SELECT v FROM kv"})
    assert "from v2" in post.body.decode(), post.body
    _, post = fn.call({"neither": 1})
    assert response_of(post)["code"] == "INVALID_DIRECT_INVOCATION", post.body

    # Health, and an undecodable event.
    _, post = fn.call(v2("GET", "/health"))
    assert response_of(post)["statusCode"] == 200, post.body
    _, post = fn.call("{oops")
    assert post.kind == "error", post

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "lambda")


def from_fixture(name, path, body):
    """tests/data/lambda/NAME.json (AWS's documented event, every field) as a POST of `body` to
    `path`: the SQL service sees what API Gateway, a function URL or an ALB really send."""
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        event = json.load(f)
    event["body"], event["isBase64Encoded"] = body, False
    if event.get("version") == "2.0":
        event["rawPath"], event["rawQueryString"] = path, ""
        event["requestContext"]["http"]["method"] = "POST"
        event["requestContext"]["http"]["path"] = path
        event.pop("queryStringParameters", None)
    else:
        event["path"], event["httpMethod"] = path, "POST"
        for key in ("queryStringParameters", "multiValueQueryStringParameters"):
            if key in event:
                event[key] = {}
    return event


def check_fixtures(fn):
    """Every source's documented event shape, carrying a Hrana pipeline."""
    read = pipeline(stmt("SELECT v FROM kv WHERE k = 'a'"))
    for name in ("http_api_v2", "function_url", "rest_api_v1", "alb", "alb_multi_value"):
        _, post = fn.call(from_fixture(name, "/shop/v2/pipeline", read))
        answer = response_of(post)
        assert answer["statusCode"] == 200, (name, answer)
        assert rows(results(body_of(answer))[0]) == [["from v2"]], (name, answer)
    with open(os.path.join(FIXTURES, "direct.json")) as f:
        direct = json.load(f)  # {"requests": [...]}: a direct Hrana pipeline
    _, post = fn.call(direct)
    assert all(r["type"] == "ok" for r in response_of(post)["results"]), post.body


def check_log_lines(fn):
    rid, post = fn.call(v2("POST", "/shop/v2/pipeline", body=pipeline(stmt("SELECT 1"))))
    assert response_of(post)["statusCode"] == 200
    line = fn.log_of(rid)
    assert line["status"] == 200, line
    assert line["method"] == "POST" and line["path"] == "/shop/v2/pipeline", line
    assert set(line["store"]) >= {"get", "put", "list", "delete", "bytes_in", "bytes_out"}, line
    assert isinstance(line["ms"], (int, float)), line


def check_oversize(fn):
    # About 8 MB of hex: over Lambda's 6 MiB, answered with a 500 that says why.
    big = pipeline(stmt("SELECT hex(zeroblob(4000000))"))
    _, post = fn.call(v2("POST", "/shop/v2/pipeline", body=big))
    answer = response_of(post)
    assert answer["statusCode"] == 500, answer["statusCode"]
    assert "RESPONSE_TOO_LARGE" in answer["body"], answer["body"][:300]
    assert len(post.body) < SIX_MIB, len(post.body)
    # Just under the limit is served whole.
    _, post = fn.call(v2("POST", "/shop/v2/pipeline",
                         body=pipeline(stmt("SELECT hex(zeroblob(2000000))"))))
    answer = response_of(post)
    assert answer["statusCode"] == 200, answer["statusCode"]
    assert len(rows(results(body_of(answer))[0])[0][0]) == 4_000_000


def check_deadline(fn):
    # A statement that would never end, with Lambda's deadline 3 s away: interrupted before the
    # deadline (the function's margin is 200 ms) and answered; the function goes on.
    forever = pipeline(stmt("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                            "SELECT count(*) FROM c"))
    _, post = fn.call(v2("POST", "/shop/v2/pipeline", body=forever),
                      deadline_ms=int(time.time() * 1000) + 3000)
    answer = response_of(post)
    body = body_of(answer)
    text = json.dumps(body).lower()
    assert "interrupt" in text or "deadline" in text or "time" in text, body
    _, post = fn.call(v2("POST", "/shop/v2/pipeline", body=pipeline(stmt("SELECT 1"))))
    assert response_of(post)["statusCode"] == 200, post.body


def check_init_failures(bootstrap, tmp):
    for store, want in [(None, "CLOUDLITE_STORE"), ("bogus://x/y", "bogus")]:
        fn = Sandbox(bootstrap, tmp, store, "init")
        try:
            post = fn.api.wait_init_error(WAIT)
            assert post.headers["lambda-runtime-function-error-type"] == "Runtime.ConfigInvalid"
            assert want in post.json()["errorMessage"], post.json()
            assert fn.wait_exit() == 1
            assert fn.api.next_calls == 0
        finally:
            fn.close()
    # A file:// store that is not there, and CLOUDLITE_CREATE=0: the store check fails init.
    fn = Sandbox(bootstrap, tmp, f"file://{tmp}/no-such-store", "init",
                 extra_env={"CLOUDLITE_CREATE": "0"})
    try:
        post = fn.api.wait_init_error(WAIT)
        assert post.headers["lambda-runtime-function-error-type"].startswith("Runtime."), post
        assert fn.wait_exit() == 1
    finally:
        fn.close()


def store_requests(line):
    s = line["store"]
    return s["get"] + s["put"] + s["list"] + s["delete"]


def check_warm_reuse(bootstrap, tmp, store):
    sandbox_tmp = os.path.join(tmp, "warm")
    os.makedirs(sandbox_tmp, exist_ok=True)
    fn = Sandbox(bootstrap, sandbox_tmp, store, "warm")
    try:
        _, post = fn.call(v2("POST", "/warm/v2/pipeline", body=pipeline(
            stmt("CREATE TABLE t (x)"),
            stmt("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                 "WHERE i < 2000) INSERT INTO t SELECT randomblob(500) FROM c"))))
        results(body_of(response_of(post)))
        # Enough commits for a checkpoint (one per 32): the pages are then read as frames, which
        # the disk cache keeps (records replayed at open are not cached).
        for i in range(40):
            _, post = fn.call(v2("POST", "/warm/v2/pipeline",
                                 body=pipeline(stmt("INSERT INTO t VALUES (?)", (i,)))))
            results(body_of(response_of(post)))
    finally:
        fn.close()
    read = v2("POST", "/warm/v2/pipeline",
              body=pipeline(stmt("SELECT sum(length(x)) FROM t WHERE typeof(x) = 'blob'")))
    # A cold process on an empty /tmp, then the same process warm.
    cold_tmp = os.path.join(tmp, "warm-cold")
    os.makedirs(cold_tmp, exist_ok=True)
    fn = Sandbox(bootstrap, cold_tmp, store, "warm")
    try:
        first_rid, post = fn.call(read)
        assert rows(results(body_of(response_of(post)))[0]) == [["1000000"]], post.body
        second_rid, post = fn.call(read)
        assert rows(results(body_of(response_of(post)))[0]) == [["1000000"]], post.body
        first, second = fn.log_of(first_rid), fn.log_of(second_rid)
    finally:
        fn.close()
    # Warm, the database is not opened again: at most the probe for a newer commit.
    assert store_requests(second) < store_requests(first), (first, second)
    assert second["store"]["bytes_in"] < first["store"]["bytes_in"], (first, second)
    # A new process (Lambda reset the environment) on the kept /tmp: its disk cache serves pages.
    fn = Sandbox(bootstrap, cold_tmp, store, "warm")
    try:
        rid, post = fn.call(read)
        assert rows(results(body_of(response_of(post)))[0]) == [["1000000"]], post.body
        restarted = fn.log_of(rid)
    finally:
        fn.close()
    assert restarted["store"]["bytes_in"] < first["store"]["bytes_in"], (first, restarted)
    return first, second, restarted


def check_kill_mid_commit(bootstrap, tmp, store):
    sandbox_tmp = os.path.join(tmp, "kill")
    os.makedirs(sandbox_tmp, exist_ok=True)
    committed = 0
    # SIGKILL this long after the function took the event: before, during or after the upload.
    for attempt, delay in enumerate([0.0, 0.03, 0.1, 0.3, 1.0]):
        fn = Sandbox(bootstrap, sandbox_tmp, store, "kill")
        try:
            if attempt == 0:
                _, post = fn.call(v2("POST", "/killed/v2/pipeline", body=pipeline(
                    stmt("CREATE TABLE t (batch INTEGER, x BLOB)"))))
                results(body_of(response_of(post)))
            # A large commit (many pages), killed with SIGKILL.
            big = pipeline(stmt(
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) "
                f"INSERT INTO t SELECT {attempt}, randomblob(1000) FROM c"))
            rid = fn.api.queue(v2("POST", "/killed/v2/pipeline", body=big))
            with fn.api.cond:
                assert fn.api.cond.wait_for(lambda: fn.api.current is not None
                                            and fn.api.current.request_id == rid, WAIT)
            time.sleep(delay)
            fn.proc.send_signal(signal.SIGKILL)
            fn.proc.wait(WAIT)
        finally:
            fn.close()
        # Lambda starts a new process on the same /tmp.
        fn = Sandbox(bootstrap, sandbox_tmp, store, "kill")
        try:
            _, post = fn.call(v2("POST", "/killed/v2/pipeline", body=pipeline(
                stmt("PRAGMA integrity_check"),
                stmt("SELECT batch, count(*) FROM t GROUP BY batch ORDER BY batch"),
                stmt("INSERT INTO t VALUES (-1, x'00')"), stmt("DELETE FROM t WHERE batch = -1"))))
            check, counts, _, _ = results(body_of(response_of(post)))
            assert rows(check) == [["ok"]], rows(check)
            for batch, n in rows(counts):
                assert n == "3000", rows(counts)  # a commit is whole or absent
            committed = len(rows(counts))
        finally:
            fn.close()
    return committed


def check_bank(bootstrap, tmp, store, sandboxes=3, transfers=12, accounts=8):
    setup_tmp = os.path.join(tmp, "bank-setup")
    os.makedirs(setup_tmp, exist_ok=True)
    fn = Sandbox(bootstrap, setup_tmp, store, "bank")
    try:
        _, post = fn.call(v2("POST", "/bank/v2/pipeline", body=pipeline(
            stmt("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"),
            stmt("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                 f"WHERE i < {accounts}) INSERT INTO accounts SELECT i, 100 FROM c"))))
        results(body_of(response_of(post)))
    finally:
        fn.close()

    rng = random.Random(1616)
    fns = []
    try:
        for i in range(sandboxes):
            sandbox_tmp = os.path.join(tmp, f"bank-{i}")
            os.makedirs(sandbox_tmp, exist_ok=True)
            fns.append(Sandbox(bootstrap, sandbox_tmp, store, "bank"))
        sent = []  # (sandbox, rid, src, dst, amount)
        for _ in range(transfers):
            for fn in fns:
                src, dst = rng.sample(range(1, accounts + 1), 2)
                amount = rng.randint(1, 20)
                # One atomic one-shot pipeline: both updates commit together or not at all.
                body = pipeline(
                    stmt("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, src)),
                    stmt("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, dst)))
                rid = fn.api.queue(v2("POST", "/bank/v2/pipeline", body=body))
                sent.append((fn, rid, src, dst, amount))
        expected = {i: 100 for i in range(1, accounts + 1)}
        applied = 0
        for fn, rid, src, dst, amount in sent:
            answer = response_of(fn.api.wait_posts(rid, timeout=WAIT)[0])
            body = body_of(answer)
            ok = answer["statusCode"] == 200 and all(r["type"] == "ok" for r in body["results"])
            if ok:
                expected[src] -= amount
                expected[dst] += amount
                applied += 1
        _, post = fns[0].call(v2("POST", "/bank/v2/pipeline", body=pipeline(
            stmt("SELECT id, balance FROM accounts ORDER BY id"))))
        got = {int(r[0]): int(r[1]) for r in rows(results(body_of(response_of(post)))[0])}
    finally:
        for fn in fns:
            fn.close()
    assert sum(got.values()) == 100 * accounts, got
    assert got == expected, (got, expected)
    assert applied > 0
    return applied, len(sent)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class JwtKey:
    """An Ed25519 key made by the openssl CLI, and tokens it signs (as libSQL tooling mints)."""

    def __init__(self, tmp):
        self.private = os.path.join(tmp, "jwt.key")
        self.public = os.path.join(tmp, "jwt.pub")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.private],
                       check=True)
        subprocess.run(["openssl", "pkey", "-in", self.private, "-pubout", "-out", self.public],
                       check=True)

    def token(self, claims):
        signed = b64url(b'{"alg":"EdDSA","typ":"JWT"}') + "." + b64url(json.dumps(claims).encode())
        # Ed25519 signs the whole message at once: OpenSSL 3.0 wants it in a file, not stdin.
        message = self.private + ".msg"
        with open(message, "w") as f:
            f.write(signed)
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.private, "-rawin",
                              "-in", message], capture_output=True, check=True).stdout
        return signed + "." + b64url(sig)


def check_jwt(bootstrap, tmp, store):
    """The SQL API with CLOUDLITE_AUTH_JWT_KEY_FILE, as `cloudlite serve --auth-jwt-key-file`."""
    key = JwtKey(tmp)
    fn = Sandbox(bootstrap, tmp, store, "jwt",
                 extra_env={"CLOUDLITE_AUTH_JWT_KEY_FILE": key.public})
    rw, ro = key.token({"a": "rw"}), key.token({"a": "ro"})
    other_dir = os.path.join(tmp, "other-key")
    os.makedirs(other_dir, exist_ok=True)
    forged = JwtKey(other_dir).token({"a": "rw"})  # signed by a key the function does not know

    def run(token, *stmts):
        event = v2("POST", "/jwt/v2/pipeline", body=pipeline(*stmts),
                   domain="abcdefg.lambda-url.us-east-1.on.aws")
        if token is not None:
            event["headers"]["authorization"] = "Bearer " + token
        _, post = fn.call(event)
        return response_of(post)

    try:
        answer = run(rw, stmt("CREATE TABLE t (x)"), stmt("INSERT INTO t VALUES (1)"))
        assert answer["statusCode"] == 200, answer
        results(body_of(answer))
        answer = run(ro, stmt("SELECT count(*) FROM t"))
        assert rows(results(body_of(answer))[0]) == [["1"]], answer
        answer = run(ro, stmt("INSERT INTO t VALUES (2)"))
        assert answer["statusCode"] == 200, answer  # Hrana reports it in the result
        assert body_of(answer)["results"][0]["type"] == "error", answer
        answer = run(rw, stmt("SELECT count(*) FROM t"))
        assert rows(results(body_of(answer))[0]) == [["1"]], answer  # the read-only write is absent
        for token in (None, "not.a.token", forged):
            answer = run(token, stmt("SELECT 1"))
            assert answer["statusCode"] == 401, (token, answer)
    except BaseException:
        print(fn.output(), file=sys.stderr)
        raise
    finally:
        fn.close()


DDB_KEY, DDB_SECRET = "AKIDHARNESS", "harness-secret"


def signed_ddb(target, body, secret=DDB_SECRET, host="abcdefg.lambda-url.us-east-1.on.aws",
               sign=True):
    """A v2 event carrying a DynamoDB request as an SDK sends it, SigV4-signed for `host` (the
    function URL's or the HTTP API's name, as the client saw it)."""
    payload = json.dumps(body).encode()
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"content-type": "application/x-amz-json-1.0", "host": host,
               "x-amz-date": amz_date, "x-amz-target": "DynamoDB_20120810." + target}
    signed = sorted(headers)
    canonical = "\n".join(["POST", "/", ""] + [f"{h}:{headers[h]}" for h in signed] +
                          ["", ";".join(signed), hashlib.sha256(payload).hexdigest()])
    scope = f"{day}/us-east-1/dynamodb/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "dynamodb", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if sign:
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={DDB_KEY}/{scope}, "
                                    f"SignedHeaders={';'.join(signed)}, Signature={signature}")
    headers["x-forwarded-proto"] = "https"
    event = v2("POST", "/", body=base64.b64encode(payload).decode(), b64=True, domain=host)
    event["headers"] = headers
    return event


def check_dynamodb(bootstrap, tmp, store):
    """CLOUDLITE_API=dynamodb: `cloudlite dynamodb serve`'s API, SigV4 checked; one partition
    per table (CLOUDLITE_DYNAMODB_PARTITIONS), so a transaction may hold any of its items."""
    env = {"CLOUDLITE_API": "dynamodb",
           "CLOUDLITE_DYNAMODB_CREDENTIALS": f"{DDB_KEY} {DDB_SECRET}",
           "CLOUDLITE_DYNAMODB_PARTITIONS": "1"}
    fn = Sandbox(bootstrap, tmp, store, "dynamodb", extra_env=env)

    def call(target, body, deadline_ms=None, **kwargs):
        rid, post = fn.call(signed_ddb(target, body, **kwargs), deadline_ms=deadline_ms)
        answer = response_of(post)
        return rid, answer["statusCode"], body_of(answer)

    try:
        _, status, body = call("CreateTable", {
            "TableName": "orders", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}]})
        assert status == 200 and body["TableDescription"]["TableStatus"] == "ACTIVE", body
        for n in range(3):
            _, status, body = call("PutItem", {"TableName": "orders", "Item": {
                "pk": {"S": "cust-1"}, "sk": {"N": str(n)}, "total": {"N": str(10 * n)}}})
            assert status == 200, body
        # The same API behind an HTTP API (payload 2.0 from API Gateway, not a function URL).
        _, status, body = call("Query", {
            "TableName": "orders", "KeyConditionExpression": "pk = :p AND sk >= :s",
            "ExpressionAttributeValues": {":p": {"S": "cust-1"}, ":s": {"N": "1"}}},
            host="abc123.execute-api.us-east-1.amazonaws.com")
        assert status == 200 and body["Count"] == 2, body
        assert [i["total"]["N"] for i in body["Items"]] == ["10", "20"], body
        get = {"TableName": "orders", "Key": {"pk": {"S": "cust-1"}, "sk": {"N": "2"}},
               "ConsistentRead": True}
        first, status, body = call("GetItem", get)
        assert status == 200 and body["Item"]["total"] == {"N": "20"}, body
        second, status, body = call("GetItem", get)
        assert status == 200 and body["Item"]["total"] == {"N": "20"}, body
        line = fn.log_of(second)
        assert line["operation"] == "GetItem" and line["table"] == "orders", line
        # Warm: the partition stays open, and a consistent read on file:// asks the store
        # nothing while its log's directory is unchanged (docs/design.md, "Watching a local
        # log"); elsewhere it would probe once.
        assert store_requests(line) == 0, (fn.log_of(first), line)
        # Auth failures, with DynamoDB's errors, and nothing written.
        _, status, body = call("PutItem", {"TableName": "orders", "Item": {
            "pk": {"S": "intruder"}, "sk": {"N": "0"}}}, secret="wrong-secret")
        assert status == 400, body
        assert body["__type"].endswith("#InvalidSignatureException"), body
        _, status, body = call("ListTables", {}, sign=False)
        assert status == 400, body
        assert body["__type"].endswith("#MissingAuthenticationTokenException"), body
        # Lambda's deadline 100 ms away, inside the function's 200 ms margin: answered at once
        # with an error SDKs retry, nothing written.
        _, status, body = call("PutItem", {"TableName": "orders", "Item": {
            "pk": {"S": "late"}, "sk": {"N": "0"}}}, deadline_ms=int(time.time() * 1000) + 100)
        assert status == 500, body
        assert body["__type"].endswith("#RequestTimeoutException"), body
        _, status, body = call("Scan", {"TableName": "orders", "Select": "COUNT"})
        assert status == 200 and body["Count"] == 3, body
        # One partition: a transaction over several partition keys is one commit.
        _, status, body = call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": "orders", "Item": {"pk": {"S": f"cust-{n}"}, "sk": {"N": "9"}}}}
            for n in range(2, 6)]})
        assert status == 200, body
        _, status, body = call("Scan", {"TableName": "orders", "Select": "COUNT"})
        assert status == 200 and body["Count"] == 7, body
        assert fn.proc.poll() is None, fn.output()
    except BaseException:
        print(fn.output(), file=sys.stderr)
        raise
    finally:
        fn.close()
    # The DynamoDB API without credentials is an init error unless asked for.
    fn = Sandbox(bootstrap, tmp, store, "dynamodb-open", extra_env={"CLOUDLITE_API": "dynamodb"})
    try:
        post = fn.api.wait_init_error(WAIT)
        assert "CLOUDLITE_DYNAMODB_CREDENTIALS" in post.json()["errorMessage"], post.json()
        assert fn.wait_exit() == 1
    finally:
        fn.close()


def stores(tmp):
    out = [("file", f"file://{tmp}/store")]
    suffix = "lambda-" + uuid.uuid4().hex[:8]
    for name, env in [("s3", "CLOUDLITE_TEST_S3_URI"), ("dynamodb", "CLOUDLITE_TEST_DYNAMODB_URI")]:
        uri = os.environ.get(env)
        if uri:
            base, sep, query = uri.partition("?")
            out.append((name, f"{base.rstrip('/')}/{suffix}{sep}{query}"))
    return out


def main():
    zip_path = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="cloudlite-lambda-fn-") as root:
        bootstrap = unpack(zip_path, os.path.join(root, "task"))
        check_init_failures(bootstrap, root)
        print("ok: init failures")
        for name, store in stores(root):
            tmp = os.path.join(root, name)
            os.makedirs(tmp)
            fn = Sandbox(bootstrap, tmp, store, "main")
            try:
                for step_name, step in [("sources", check_sources), ("fixtures", check_fixtures),
                                        ("log lines", check_log_lines),
                                        ("oversize", check_oversize), ("deadline", check_deadline)]:
                    step(fn)
                    print(f"ok: {name}: {step_name}")
                assert fn.proc.poll() is None, fn.output()
            except BaseException:
                print(fn.output(), file=sys.stderr)
                raise
            finally:
                fn.close()
            first, second, restarted = check_warm_reuse(bootstrap, tmp, store)
            print(f"ok: {name}: warm reuse: store {first['store']} cold, {second['store']} warm, "
                  f"{restarted['store']} after a restart on the kept /tmp")
            committed = check_kill_mid_commit(bootstrap, tmp, store)
            print(f"ok: {name}: SIGKILL mid-commit x5, restart on the same /tmp: whole "
                  f"({committed} of 5 big commits landed)")
            applied, sent = check_bank(bootstrap, tmp, store)
            print(f"ok: {name}: bank invariant, 3 sandboxes, {applied} of {sent} transfers "
                  "acknowledged and applied exactly once")
            if name == "file":
                check_jwt(bootstrap, tmp, store)
                print(f"ok: {name}: JWT auth (read-write, read-only, 401 without or with a bad "
                      "token)")
                check_dynamodb(bootstrap, tmp, store)
                print(f"ok: {name}: DynamoDB API through function URL and HTTP API events, SigV4 "
                      "checked (wrong secret, unsigned: refused); warm read: no store request")


if __name__ == "__main__":
    main()
