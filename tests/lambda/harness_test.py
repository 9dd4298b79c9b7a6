#!/usr/bin/python3
"""The offline Lambda harness (docs/lambda.md, "Testing offline"): the packaged example function
(lambda_hello.zip, examples/lambda_hello.cc) is unzipped and its `bootstrap` run as a child
process with a Lambda-like environment (no HOME, AWS_LAMBDA_RUNTIME_API pointing at the mock in
mock_runtime_api.py, a file:// store), fed events of every source, and its answers checked:
round trips for HTTP API v2, function URL, REST API v1, ALB and direct invocation; calls kept on
at most two keep-alive connections; an event it
cannot decode (-> /error); a deadline already past (-> 504); 413, 400 and 403 answers from the
API (-> an error report, or the loop goes on); a 500 from /next (-> the process exits); init
failures (-> one /init/error, exit 1); and a restart on the same store.

Every wait is bounded (60 s) and no time is measured.
    harness_test.py path/to/lambda_hello.zip
"""
import base64
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mock_runtime_api import MockRuntimeApi  # noqa: E402

WAIT = 60  # seconds: a bound, not a measurement


def unpack(zip_path, into):
    """The zip's only entry must be an executable `bootstrap` at the root."""
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        assert names == ["bootstrap"], f"zip holds {names}, want exactly ['bootstrap']"
        mode = z.getinfo("bootstrap").external_attr >> 16
        assert mode & 0o777 == 0o755 and stat.S_ISREG(mode), f"bootstrap mode {oct(mode)}"
        path = z.extract("bootstrap", into)
    os.chmod(path, mode & 0o777)
    return path


class Function:
    """One execution environment: the bootstrap as a child process under a mock API."""

    def __init__(self, bootstrap, workdir, database, runtime_api=True):
        self.api = MockRuntimeApi().start()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": ":UTC",
               "LAMBDA_TASK_ROOT": os.path.dirname(bootstrap), "AWS_REGION": "us-east-1",
               "AWS_LAMBDA_FUNCTION_NAME": "hello", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
               "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "_HANDLER": "hello"}
        if runtime_api:
            env["AWS_LAMBDA_RUNTIME_API"] = self.api.address
        if database is not None:
            env["CLOUDLITE_DATABASE"] = database
        self.log_path = os.path.join(workdir, f"bootstrap-{self.api.port}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([bootstrap], env=env, cwd=workdir, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def call(self, event, **kwargs):
        rid = self.api.queue(event, **kwargs)
        posts = self.api.wait_posts(rid, timeout=WAIT)
        return rid, posts[0]

    def wait_exit(self):
        try:
            return self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the function did not exit; log:\n{self.output()}")

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        self.api.stop()
        self.log.close()


def v2(method, path, query="", body=None, b64=False, domain="id.execute-api.us-east-1.amazonaws.com"):
    event = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
             "headers": {"content-type": "application/json", "X-Forwarded-Proto": "https"},
             "requestContext": {"domainName": domain,
                                "http": {"method": method, "path": path, "sourceIp": "192.0.2.1"}},
             "isBase64Encoded": b64}
    if body is not None:
        event["body"] = body
    return event


def response_of(post):
    assert post.kind == "response" and post.status == 202, (post.kind, post.status, post.body)
    return post.json()


def body_of(answer):
    assert answer["isBase64Encoded"] is False, answer
    return json.loads(answer["body"])


def check_round_trips(fn):
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    rid, post = fn.call(v2("GET", "/hello", "name=Ada"), trace_id=trace)
    answer = response_of(post)
    assert answer["statusCode"] == 200, answer
    assert answer["headers"]["content-type"] == "application/json", answer
    assert answer["cookies"] == ["greeted=1; Path=/; HttpOnly", "visits=1; Path=/"], answer
    assert "multiValueHeaders" not in answer, answer
    body = body_of(answer)
    assert body == {"hello": "Ada", "visits": 1, "request_id": rid, "trace_id": trace}, body

    # Function URL, body base64-encoded by Lambda; a name that is not ASCII.
    raw = json.dumps({"name": "Zoë"}).encode()
    _, post = fn.call(v2("POST", "/hello", body=base64.b64encode(raw).decode(), b64=True,
                         domain="abcdefg.lambda-url.us-west-2.on.aws"))
    answer = response_of(post)
    assert body_of(answer)["hello"] == "Zoë" and body_of(answer)["visits"] == 1, answer
    assert body_of(answer)["trace_id"] == "", answer  # no trace id: _X_AMZN_TRACE_ID unset

    # REST API v1: multi-value query and headers in, multiValueHeaders out.
    _, post = fn.call({"httpMethod": "GET", "path": "/hello", "resource": "/hello",
                       "multiValueQueryStringParameters": {"name": ["Ada"]},
                       "multiValueHeaders": {"Accept": ["application/json"]},
                       "requestContext": {"identity": {"sourceIp": "192.0.2.1"}},
                       "body": None, "isBase64Encoded": False})
    answer = response_of(post)
    assert answer["statusCode"] == 200 and "cookies" not in answer, answer
    assert answer["multiValueHeaders"]["set-cookie"] == ["greeted=1; Path=/; HttpOnly",
                                                        "visits=2; Path=/"], answer
    assert body_of(answer)["visits"] == 2, answer

    # ALB.
    _, post = fn.call({"requestContext": {"elb": {"targetGroupArn": "arn:tg"}},
                       "httpMethod": "GET", "path": "/hello",
                       "queryStringParameters": {"name": "Ada"}, "headers": {}, "body": "",
                       "isBase64Encoded": False})
    answer = response_of(post)
    assert answer["statusDescription"] == "200 OK", answer
    assert body_of(answer)["visits"] == 3, answer

    # Direct invocation: the payload is the JSON body, the answer the body itself.
    _, post = fn.call({"name": "Direct"})
    answer = response_of(post)
    assert answer["hello"] == "Direct" and answer["visits"] == 1, answer

    # A handled error is a response, not an /error.
    _, post = fn.call(v2("GET", "/nowhere"))
    assert response_of(post)["statusCode"] == 404, post.body


def check_deadline(fn):
    # The deadline is already past: the handler answers 504 at once, before any SQL.
    past = int(time.time() * 1000) - 1000
    _, post = fn.call(v2("GET", "/hello", "name=Late"), deadline_ms=past)
    answer = response_of(post)
    assert answer["statusCode"] == 504, answer
    # Lambda's deadline far enough: served.
    _, post = fn.call(v2("GET", "/hello", "name=Late"),
                      deadline_ms=int(time.time() * 1000) + 600_000)
    assert response_of(post)["statusCode"] == 200, post.body


def check_errors(fn):
    for event in [v2("POST", "/hello", body="!!!not base64", b64=True), "{oops"]:
        _, post = fn.call(event)
        assert post.kind == "error" and post.status == 202, (post.kind, post.body)
        assert post.headers["lambda-runtime-function-error-type"] == "Function.InvalidEvent"
        err = post.json()
        assert err["errorType"] == "Function.InvalidEvent" and err["stackTrace"] == [], err
        assert err["errorMessage"], err

    # The API refuses the response as too large: the invocation gets an error report instead.
    rid = fn.api.queue(v2("GET", "/hello", "name=Big"), answer_status=413)
    posts = fn.api.wait_posts(rid, count=2, timeout=WAIT)
    assert [(p.kind, p.status) for p in posts] == [("response", 413), ("error", 202)], posts
    assert posts[1].headers["lambda-runtime-function-error-type"] == \
        "Function.ResponseSizeTooLarge"

    # 400 and 403 are logged and the loop goes on with the next event.
    for status in (400, 403):
        rid = fn.api.queue(v2("GET", "/hello", "name=Lost"), answer_status=status)
        assert fn.api.wait_posts(rid, timeout=WAIT)[0].status == status
        _, post = fn.call(v2("GET", "/hello", "name=After"))
        assert response_of(post)["statusCode"] == 200, post.body
    assert fn.proc.poll() is None, fn.output()


def check_keep_alive(fn):
    # Every call so far (15 events, 17 answers) went over the runtime's pooled keep-alive connections.
    calls = fn.api.next_calls
    assert calls >= 15 and fn.api.connections <= 2, (calls, fn.api.connections)


def check_next_500_exits(fn):
    with fn.api.cond:
        fn.api.next_status = 500
        fn.api.cond.notify_all()
    code = fn.wait_exit()
    assert code != 0, code
    assert "500" in fn.output(), fn.output()


def check_init_failure(bootstrap, workdir, database, expect_type, expect_text):
    fn = Function(bootstrap, workdir, database)
    try:
        post = fn.api.wait_init_error(WAIT)
        assert post.headers["lambda-runtime-function-error-type"] == expect_type, post.headers
        err = post.json()
        assert err["errorType"] == expect_type and expect_text in err["errorMessage"], err
        assert fn.wait_exit() == 1
        assert fn.api.next_calls == 0, "asked for an event after a failed init"
    finally:
        fn.close()


def main():
    zip_path = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="cloudlite-lambda-") as tmp:
        bootstrap = unpack(zip_path, os.path.join(tmp, "task"))
        database = f"file://{tmp}/store/hello"
        steps = [("round trips", check_round_trips), ("deadline", check_deadline),
                 ("errors", check_errors), ("keep-alive", check_keep_alive),
                 ("500 from /next", check_next_500_exits)]
        fn = Function(bootstrap, tmp, database)
        try:
            for name, step in steps:
                step(fn)
                print(f"ok: {name}")
        except BaseException:
            print(fn.output(), file=sys.stderr)
            raise
        finally:
            fn.close()

        # A new execution environment on the same store sees the earlier writes.
        fn = Function(bootstrap, tmp, database)
        try:
            _, post = fn.call(v2("GET", "/hello", "name=Ada"))
            assert body_of(response_of(post))["visits"] == 4, post.body
            print("ok: restart on the same store")
        finally:
            fn.close()

        check_init_failure(bootstrap, tmp, None, "Runtime.ConfigInvalid", "CLOUDLITE_DATABASE")
        check_init_failure(bootstrap, tmp, "bogus://nowhere/db", "Runtime.ConfigInvalid",
                           "bogus")
        print("ok: init failures")

        # Outside Lambda: a clear message and exit code 2.
        fn = Function(bootstrap, tmp, database, runtime_api=False)
        try:
            assert fn.wait_exit() == 2
            assert "AWS_LAMBDA_RUNTIME_API is not set" in fn.output(), fn.output()
            print("ok: not under Lambda")
        finally:
            fn.close()


if __name__ == "__main__":
    main()
