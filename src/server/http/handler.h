// What a request handler sees and returns: plain structs, no sockets and no Beast. The
// listener (server/http/listener) turns HTTP/1.1 into a Request and a Response back into bytes;
// a Lambda adapter does the same with API Gateway events, and tests call handlers directly.
// The SQL-over-HTTP service and the DynamoDB-compatible API are Handlers.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cloudlite::server {

struct Header {
  std::string name;  // lower case
  std::string value;
};

struct Response;

// Lets a handler answer before it returns, where the transport can: a write is answered as soon
// as its commit is durable, while the server still finishes the commit's bookkeeping.
class EarlyAnswer {
 public:
  // Sends `r` now (at most once per request). The handler must still return the same response:
  // the listener then sends nothing more, and logs it.
  virtual void Send(const Response& r) = 0;

 protected:
  ~EarlyAnswer() = default;
};

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string path;    // the target before '?', percent-decoding left to the handler
  std::string query;   // after '?', without it; "" if none
  std::vector<Header> headers;
  std::string body;    // complete; the listener enforces the size limit before calling
  std::string remote;  // "address:port" of the peer, for logs
  // When the handler should give up (the listener's or Lambda's request time limit).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Set by a listener that can send a worker's answer before the handler returns; null
  // elsewhere (a Lambda event, TLS, the I/O thread's fast path, tests).
  EarlyAnswer* early = nullptr;

  // The value of the first header named `name` (case-insensitive), "" if absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;  // Content-Length and Connection are the listener's
  std::string body;
  // A streamed body (for example NDJSON cursors): when set, `body` is sent first and then each
  // chunk this produces until it returns false. A Lambda adapter concatenates the chunks.
  std::function<bool(std::string* chunk)> next_chunk;
  // What served the request, in few words ("v2/pipeline", "health"): the route label of the
  // listener's metrics and access log. Never the raw path (unbounded label values). "" = "other".
  std::string route;
  // Fields the handler adds to the listener's access log line ("operation", "table",
  // "request_id"): short strings, never a secret, a body or a header value.
  std::vector<std::pair<std::string, std::string>> log_fields;

  void set_header(std::string name, std::string value);
  // A JSON body with Content-Type exactly "application/json" (libSQL clients keep error codes
  // only with that type).
  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body);
};

// Handlers are called on worker threads, several at once; they must be thread-safe.
using Handler = std::function<Response(const Request&)>;

// A handler's fast path, called on the listener's I/O thread before a request goes to the
// workers: it answers what it can without blocking (reads on a local store: no network
// request, no waiting for a lock or a commit, a small bound on its work) and returns nullopt for
// everything else, which the Handler then serves on a worker as if the fast path were not
// there. It must have no effect when it returns nullopt. A request answered here skips the
// hand-off to a worker (and the I/O thread's wake-up that finishes a worker's request), the
// bigger part of a point query's cost on a small machine (docs/benchmarks.md, "Reads on the I/O
// thread").
using InlineHandler = std::function<std::optional<Response>(const Request&)>;

// Inside an InlineHandler's services, when the fast path must be done by, or null for a request
// a worker runs: a function taking it returns nullopt for a request it leaves to a worker.
using InlineUntil = const std::chrono::steady_clock::time_point*;

}  // namespace cloudlite::server
