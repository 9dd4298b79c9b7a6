"""A small S3-compatible server for the offline Lambda harness (docs/lambda.md, "Testing
offline"): the requests cloudlite's S3 store makes (src/store/s3/s3_store.cc), in memory, on
127.0.0.1, with keep-alive connections. It gives the fault cases a store reached over TCP when
Ceph RGW is not running. Signatures are not checked (the store's SigV4 is tested against RGW).

    GET/HEAD /bucket/key (Range: bytes=a-b), PUT /bucket/key (If-None-Match: * is atomic: 412),
    GET /bucket?list-type=2 (prefix, start-after, continuation-token, max-keys),
    POST /bucket?delete (DeleteObjects).
Python standard library only.
"""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client (or the fault proxy) hanging up mid-request is expected


class FakeS3:
    def __init__(self, bucket="lambda"):
        self.bucket = bucket
        self.lock = threading.Lock()
        self.objects = {}  # key -> bytes
        self.requests = 0  # every request answered, for tests that count
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_HEAD(self):
                fake._handle(self, "HEAD")

            def do_PUT(self):
                fake._handle(self, "PUT")

            def do_POST(self):
                fake._handle(self, "POST")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def keys(self, prefix=""):
        with self.lock:
            return sorted(k for k in self.objects if k.startswith(prefix))

    # ---- the API ----

    def _send(self, h, status, body=b"", headers=(), head=False):
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _error(self, h, status, code, head=False):
        body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode()
        self._send(h, status, body, [("Content-Type", "application/xml")], head)

    def _handle(self, h, method):
        url = urlsplit(h.path)
        parts = url.path.lstrip("/").split("/", 1)
        length = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(length) if length else b""
        with self.lock:
            self.requests += 1
        if parts[0] != self.bucket:
            return self._error(h, 404, "NoSuchBucket", method == "HEAD")
        key = unquote(parts[1]) if len(parts) > 1 else ""
        query = parse_qs(url.query, keep_blank_values=True)
        if not key:
            if method == "GET" and query.get("list-type") == ["2"]:
                return self._list(h, query)
            if method == "POST" and "delete" in query:
                return self._delete(h, body)
            return self._error(h, 400, "InvalidRequest")
        if method == "PUT":
            with self.lock:
                if h.headers.get("If-None-Match") == "*" and key in self.objects:
                    return self._error(h, 412, "PreconditionFailed")
                self.objects[key] = body
            return self._send(h, 200, headers=[("ETag", '"x"')])
        with self.lock:
            data = self.objects.get(key)
        if data is None:
            return self._error(h, 404, "NoSuchKey", method == "HEAD")
        if method == "HEAD":
            return self._send(h, 200, data, head=True)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", h.headers.get("Range", ""))
        if m is None:
            return self._send(h, 200, data)
        start = int(m.group(1))
        if start >= len(data):
            return self._error(h, 416, "InvalidRange")
        end = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
        return self._send(h, 206, data[start:end + 1],
                          [("Content-Range", f"bytes {start}-{end}/{len(data)}")])

    def _list(self, h, query):
        prefix = query.get("prefix", [""])[0]
        after = max(query.get("start-after", [""])[0], query.get("continuation-token", [""])[0])
        max_keys = int(query.get("max-keys", ["1000"])[0])
        keys = [k for k in self.keys(prefix) if k > after]
        page, truncated = keys[:max_keys], len(keys) > max_keys
        xml = ["<ListBucketResult>", f"<IsTruncated>{str(truncated).lower()}</IsTruncated>"]
        xml += [f"<Contents><Key>{escape(k)}</Key></Contents>" for k in page]
        if truncated:
            xml.append(f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>")
        xml.append("</ListBucketResult>")
        self._send(h, 200, "".join(xml).encode(), [("Content-Type", "application/xml")])

    def _delete(self, h, body):
        keys = re.findall(r"<Key>(.*?)</Key>", body.decode())
        with self.lock:
            for key in keys:
                key = key.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                self.objects.pop(key, None)
        self._send(h, 200, b"<DeleteResult></DeleteResult>", [("Content-Type", "application/xml")])
