"""A TCP proxy between a function and its store that breaks connections on purpose (docs/lambda.md,
"Testing offline"): it can reset every open connection at once (what a frozen Lambda environment
finds when it thaws: its idle keep-alive connections are gone), cut a connection after forwarding
a chosen request but before its answer reaches the client (the request took effect; the client
cannot know), or hold such an answer until told to go on (so a test can kill the client while the
request is in flight).

It reads just enough HTTP/1.1 from the client (request line, headers, Content-Length) to know
where each request starts; responses are passed through as bytes.
Python standard library only.
"""
import socket
import struct
import threading


class Rule:
    """What to do with the answers to the next `times` requests that `matches(method, path,
    headers)`: "cut" (reset both sides) or "hold" (keep it until `release`)."""

    def __init__(self, action, matches, times=1):
        self.action = action
        self.matches = matches
        self.times = times
        self.fired = threading.Event()  # a request was forwarded and its answer arrived
        self.requests = []  # (method, path) of the requests it took
        self.released = threading.Event()


class _RequestParser:
    """Splits the client's byte stream into requests; `feed` returns those that began."""

    def __init__(self):
        self.buf = b""
        self.body_left = 0

    def feed(self, data):
        started = []
        self.buf += data
        while self.buf:
            if self.body_left:
                n = min(self.body_left, len(self.buf))
                self.body_left -= n
                self.buf = self.buf[n:]
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            self.buf = self.buf[end + 4:]
            method, path = (lines[0].split(" ") + ["", ""])[:2]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.body_left = int(headers.get("content-length", "0") or 0)
            started.append((method, path, headers))
        return started


class FaultProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.lock = threading.Lock()
        self.conns = []  # open (client, upstream) socket pairs
        self.accepted = 0  # connections accepted, ever
        self.requests = 0  # requests seen, ever
        self.seen = []  # (method, path) of every request, in order
        self.rules = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.stopped = False

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self.stopped = True
        self.listener.close()
        for rule in self.rules:
            rule.released.set()
        self.reset_all()

    def add_rule(self, action, matches, times=1):
        rule = Rule(action, matches, times)
        with self.lock:
            self.rules.append(rule)
        return rule

    def open_connections(self):
        with self.lock:
            return len(self.conns)

    def reset_all(self):
        """Resets (RST) every open connection, both sides; returns how many there were."""
        with self.lock:
            conns, self.conns = self.conns, []
        for pair in conns:
            _reset(*pair)
        return len(conns)

    # ---- the pumps ----

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                _reset(client)
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = (client, upstream)
            with self.lock:
                self.conns.append(pair)
                self.accepted += 1
            state = {"rule": None}  # the rule armed for the answer now awaited on this pair
            threading.Thread(target=self._client_to_upstream, args=(pair, state),
                             daemon=True).start()
            threading.Thread(target=self._upstream_to_client, args=(pair, state),
                             daemon=True).start()

    def _client_to_upstream(self, pair, state):
        client, upstream = pair
        parser = _RequestParser()
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                return self._drop(pair)
            for method, path, headers in parser.feed(data):
                with self.lock:
                    self.requests += 1
                    self.seen.append((method, path))
                    for rule in self.rules:
                        if len(rule.requests) < rule.times and rule.matches(method, path,
                                                                             headers):
                            rule.requests.append((method, path))
                            state["rule"] = rule
                            break
            try:
                upstream.sendall(data)
            except OSError:
                return self._drop(pair)

    def _upstream_to_client(self, pair, state):
        client, upstream = pair
        while True:
            try:
                data = upstream.recv(65536)
            except OSError:
                data = b""
            if not data:
                return self._drop(pair)
            rule, state["rule"] = state["rule"], None
            if rule is not None:
                rule.fired.set()
                if rule.action == "hold":
                    rule.released.wait(120)  # bounded: a test that forgets does not hang
                if rule.action == "cut" or self.stopped:
                    return self._drop(pair)
            try:
                client.sendall(data)
            except OSError:
                return self._drop(pair)

    def _drop(self, pair):
        with self.lock:
            if pair in self.conns:
                self.conns.remove(pair)
        _reset(*pair)


def _reset(*sockets):
    for s in sockets:
        try:
            # Linger 0: close sends RST, as a NAT or load balancer dropping an idle flow does.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # Wakes a pump blocked in recv (close alone would not), without sending a FIN.
            s.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass
