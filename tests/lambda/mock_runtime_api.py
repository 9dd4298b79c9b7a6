"""A mock of the AWS Lambda Runtime API (docs/lambda.md, "Testing offline"), stdlib only.

It serves queued events on GET /2018-06-01/runtime/invocation/next (blocking until one is
queued, like Lambda), records what the runtime posts to /response, /error and /init/error, and
answers with the status codes the real API uses: 202, 400 for a request id that is not the
current invocation's, 403 for a second answer to one invocation. A test can force any status on
the answer to one invocation (413, 400, 403, 500) or on /next (500: the container is broken).

    api = MockRuntimeApi(); api.start()
    rid = api.queue({"version": "2.0", ...})
    posts = api.wait_posts(rid)      # [Post(kind="response", status=202, headers, body)]
"""
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a killed runtime resets its connections: expected, not worth a traceback


@dataclass
class Post:
    kind: str  # "response", "error" or "init-error"
    status: int  # what the mock answered
    headers: dict  # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Invocation:
    request_id: str
    event: bytes
    deadline_ms: int
    trace_id: str = ""
    answer_status: int = 202  # forced status for the first answer
    posts: list = field(default_factory=list)
    answered: bool = False


class MockRuntimeApi:
    def __init__(self):
        self.cond = threading.Condition()
        self.pending = []
        self.invocations = {}
        self.current = None
        self.init_errors = []
        self.next_calls = 0
        self.connections = 0  # TCP connections accepted: keep-alive keeps this small
        self.next_status = None  # e.g. 500: every /next gets it
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like Lambda

            def setup(self):
                super().setup()
                with mock.cond:
                    mock.connections += 1
                # Without it, every answer waits for a delayed ACK (~40 ms, twice).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def do_GET(self):
                mock._get(self)

            def do_POST(self):
                mock._post(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # ---- what tests call ----

    def queue(self, event, deadline_ms=None, trace_id="", answer_status=202, request_id=None):
        """Queues an event (a dict, str or bytes); returns its request id."""
        if isinstance(event, (dict, list)):
            event = json.dumps(event)
        if isinstance(event, str):
            event = event.encode()
        rid = request_id or str(uuid.uuid4())
        if deadline_ms is None:
            deadline_ms = int(time.time() * 1000) + 60_000
        inv = Invocation(rid, event, deadline_ms, trace_id, answer_status)
        with self.cond:
            self.invocations[rid] = inv
            self.pending.append(inv)
            self.cond.notify_all()
        return rid

    def wait_posts(self, rid, count=1, timeout=60):
        """The first `count` answers posted for invocation `rid`; AssertionError after `timeout`."""
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.invocations[rid].posts) >= count, timeout)
            assert ok, f"no answer to {rid} within {timeout} s"
            return list(self.invocations[rid].posts)

    def wait_init_error(self, timeout=60):
        with self.cond:
            assert self.cond.wait_for(lambda: self.init_errors, timeout), "no /init/error"
            return self.init_errors[0]

    # ---- the API ----

    def _send(self, h, status, body=b"", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _get(self, h):
        if h.path != PREFIX + "/invocation/next":
            return self._send(h, 404, {"errorMessage": "unknown path", "errorType": "NotFound"})
        with self.cond:
            self.next_calls += 1
            self.cond.notify_all()  # tests may wait for the function to be idle in /next
            if self.next_status is not None:
                status = self.next_status
                inv = None
            else:
                self.cond.wait_for(lambda: self.pending or self.next_status is not None)
                status = self.next_status
                inv = self.pending.pop(0) if status is None else None
                if inv is not None:
                    self.current = inv
                    self.cond.notify_all()  # tests may wait for an event to be taken
        if inv is None:
            return self._send(h, status, {"errorMessage": "container error",
                                          "errorType": "Runtime.Error"})
        headers = [("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                   ("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms)),
                   ("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:hello")]
        if inv.trace_id:
            headers.append(("Lambda-Runtime-Trace-Id", inv.trace_id))
        self._send(h, 200, inv.event, headers)

    def _post(self, h):
        length = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(length)
        headers = {k.lower(): v for k, v in h.headers.items()}
        path = h.path[len(PREFIX):] if h.path.startswith(PREFIX) else h.path
        with self.cond:
            if path == "/init/error":
                self.init_errors.append(Post("init-error", 202, headers, body))
                self.cond.notify_all()
                return self._send(h, 202, {"status": "OK"})
            parts = path.split("/")  # ["", "invocation", id, "response"|"error"]
            if len(parts) != 4 or parts[1] != "invocation" or parts[3] not in ("response", "error"):
                return self._send(h, 404, {"errorMessage": "unknown path", "errorType": "NotFound"})
            rid, kind = parts[2], parts[3]
            inv = self.invocations.get(rid)
            if inv is None or inv is not self.current:
                status = 400  # InvalidRequestID
            elif inv.answered:
                status = 403  # InvalidStateTransition
            elif not inv.posts and inv.answer_status != 202:
                status = inv.answer_status  # forced: the invocation stays open
            else:
                status = 202
                inv.answered = True
            if inv is not None:
                inv.posts.append(Post(kind, status, headers, body))
            self.cond.notify_all()
        self._send(h, status, {"status": "OK"} if status == 202 else
                   {"errorMessage": f"mock answered {status}", "errorType": "Mock.Forced"})
