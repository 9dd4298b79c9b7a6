// The HTTP/1.1 listener: serves a Handler on Boost.Beast/Asio, plain or over TLS. The only
// part of cloudlite that includes Beast (module cloudlite_server_listener; handlers link only
// cloudlite_server_http and never see it).
//
// What it guarantees (docs/server.md, "HTTP layer"):
// - bounded everything: header bytes (431), body bytes (413), open connections and admitted
//   requests (503 with Retry-After; nothing waits in an unbounded queue);
// - a silent or slow client is dropped: idle keep-alive, read and write timeouts;
// - handlers run on a fixed worker pool, never on the I/O threads; Request::deadline is when the
//   request arrived plus the request time limit;
// - a streamed Response (next_chunk) goes out with chunked transfer encoding;
// - Shutdown stops accepting, closes idle connections, lets admitted requests finish (bounded by
//   shutdown_grace), then closes everything;
// - malformed HTTP gets a 400 and the connection is closed; nothing a client sends crashes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/logger.h"
#include "cloudlite/status.h"
#include "server/http/handler.h"
#include "server/http/metrics.h"

namespace cloudlite::server {

struct ListenerOptions {
  std::string address = "127.0.0.1";  // loopback unless told otherwise
  uint16_t port = 8080;               // 0: the system picks a free port (tests); see port()
  size_t io_threads = 1;              // threads doing socket I/O and HTTP parsing, each its own
                                      // connections (and the fast path's work)
  size_t worker_threads = 8;          // threads running handlers
  size_t max_connections = 1024;      // more are answered 503 and closed
  size_t max_in_flight = 64;          // requests queued or running; more are answered 503
  size_t max_header_bytes = size_t{16} * 1024;          // request line + headers; more: 431
  uint64_t max_body_bytes = uint64_t{8} * 1024 * 1024;  // more: 413
  std::chrono::milliseconds idle_timeout{60000};        // keep-alive wait for a next request
  std::chrono::milliseconds read_timeout{30000};        // first byte to last byte of a request
  std::chrono::milliseconds write_timeout{30000};       // each write of a response
  std::chrono::milliseconds request_timeout{30000};     // sets Request::deadline
  std::chrono::milliseconds shutdown_grace{10000};      // Shutdown's wait for admitted requests
  int retry_after_seconds = 1;                          // Retry-After of the 503s
  // TLS (OpenSSL) when both are set: PEM certificate chain and private key files.
  std::string tls_cert_file;
  std::string tls_key_file;
  Logger* access_log = nullptr;        // one JSON line per request, if set (kept by the caller)
  MetricsRegistry* metrics = nullptr;  // requests, latency, connections, if set (caller's)
};

class Listener {
 public:
  // Binds, listens and starts serving; errors (address in use, unreadable certificate) are
  // values. The handlers must be thread-safe; `fast`, if set, sees each admitted request first,
  // on the I/O thread (handler.h, InlineHandler).
  static Result<std::unique_ptr<Listener>> Start(ListenerOptions options, Handler handler,
                                                 InlineHandler fast = nullptr);
  ~Listener();  // Shutdown()
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  uint16_t port() const;
  std::string address() const;  // "127.0.0.1:8080", the bound address
  bool tls() const;

  // Graceful and idempotent; returns when every connection is closed and every thread joined.
  // A handler still running after shutdown_grace is waited for (it has its deadline).
  void Shutdown();

  // Blocks until SIGTERM or SIGINT arrives (or Shutdown is called elsewhere), then shuts down.
  // `on_waiting` runs once the signals are caught (tests raise a signal from it).
  void ServeUntilSignal(const std::function<void()>& on_waiting = nullptr);

  class Impl;

 private:
  explicit Listener(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// Runs `bytes`, as if a client sent them on one connection and then waited, through the
// listener's parser, limits and Request conversion, calls `handler` for each complete request
// (at most 64) and returns the bytes the listener would answer. No sockets: for the fuzz target.
std::string ServeBytes(std::string_view bytes, const ListenerOptions& options,
                       const Handler& handler);

}  // namespace cloudlite::server
