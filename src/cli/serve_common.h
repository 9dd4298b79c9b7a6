// What the commands that serve HTTP share (`cloudlite serve`, `cloudlite dynamodb serve`):
// the listener's flags (--listen and the loopback rule, TLS, limits, the access log), the
// store's request counters in /metrics, and serving a Handler on the listener until SIGTERM or
// SIGINT with the line scripts wait for.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "server/http/handler.h"
#include "server/http/listener.h"
#include "server/http/metrics.h"

namespace cloudlite::cli {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback). `example` is shown in the error.
Result<HostPort> ParseListen(const std::string& text, std::string_view example);

// 127.0.0.0/8, ::1 or localhost: only this machine can connect.
bool IsLoopback(const std::string& host);

// The listener's flags, with their defaults; a command sets its own --listen and body limit.
struct ListenerFlags {
  std::string listen{};
  bool insecure_no_auth = false;
  std::string tls_cert{}, tls_key{};
  std::string access_log = "stderr";
  // Workers mostly wait (a group's members for its PUT, any request for the store), so their
  // count bounds how many writes share a commit, not CPU use (docs/server.md, --workers).
  size_t workers = 32;
  // Each with its own connections. Half the cores: `serve` answers one-shot reads on a file://
  // store on these threads, and the other half is left to the workers (writes, commits).
  size_t io_threads = std::max<size_t>(1, std::thread::hardware_concurrency() / 2);
  size_t max_connections = 1024;
  size_t max_in_flight = 64;
  uint64_t max_body_bytes = 8 << 20;
  int request_timeout_ms = 30000;
};

// Registers the flags on `app`. `auth_flag` is the command's own auth flag ("--credentials
// FILE"), named by the help of --insecure-no-auth.
void AddListenerFlags(CLI::App* app, ListenerFlags& flags, std::string_view auth_flag);

// The listener's options from the flags, once checked: the address (`example` shown when it is
// not HOST:PORT), TLS given whole, and no listening beyond loopback without auth (`has_auth`)
// unless --insecure-no-auth. The access log, when on, is the process's stderr.
Result<server::ListenerOptions> ListenerOptionsFrom(const ListenerFlags& flags,
                                                    std::string_view example, bool has_auth,
                                                    std::string_view auth_flag);

// What every database a server opens is given: the library's CLOUDLITE_* environment
// (CLOUDLITE_CACHE_SIZE, CLOUDLITE_CACHE_DIR, ...: docs/cli.md), then the flags, which win.
// Without either, a server's frame cache is kServerCacheBytes, not the library's 32 MiB: a
// long-lived process serving many databases (or a table's partitions) re-fetched its pages and
// records from the store with less (YCSB A on 10,000 records: 5.9 GETs per operation at 32 MiB,
// 0.53 at 128 MiB, 0.38 at 256 MiB; docs/benchmarks.md).
constexpr size_t kServerCacheBytes = size_t{256} << 20;
struct DatabaseFlags {
  std::optional<size_t> cache_bytes;  // --cache-size: the in-memory frame cache, bytes
};
void AddDatabaseFlags(CLI::App* app, DatabaseFlags& flags);
Result<Options> DatabaseOptionsFrom(const DatabaseFlags& flags);

// Copies the process's store request counters (admin.h, ProcessStoreStatsJson) into counters of
// the registry, so /metrics shows requests by kind and bytes, and the frame cache's budget.
void RefreshStoreMetrics(server::MetricsRegistry& metrics);

// Starts the listener, prints "<name>: listening on http://ADDRESS:PORT (store URI)" on stderr,
// serves until SIGTERM or SIGINT, then prints "<name>: stopped". The exit code (docs/cli.md).
// `fast`, if set, is the handler's fast path on the I/O thread (server/http/handler.h).
int ServeUntilSignal(std::string_view name, server::ListenerOptions options,
                     const server::Handler& handler, const std::string& store,
                     server::InlineHandler fast = nullptr);

// Whether `store` is a local directory (file://): reading it waits for no network.
bool IsFileStore(const std::string& store);

// How long a read may run on the I/O thread before a worker takes it over (--inline-reads-ms):
// on a local store (file://), whose reads wait for no network, and on others when reads may be
// stale (then most need no request to the store; those that do go to a worker); else zero.
std::chrono::milliseconds InlineBudget(const std::string& store, int inline_reads_ms,
                                       std::chrono::milliseconds max_staleness);

}  // namespace cloudlite::cli
