// What the commands that serve HTTP share (`cloudlite serve`, `cloudlite dynamodb serve`):
// parsing --listen, the loopback rule, the store's request counters in /metrics, and serving a
// Handler on the listener until SIGTERM or SIGINT with the line scripts wait for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// Copies the process's store request counters (admin.h, ProcessStoreStatsJson) into counters of
// the registry, so /metrics shows requests by kind and bytes.
void RefreshStoreMetrics(server::MetricsRegistry& metrics);

// Starts the listener, prints "<name>: listening on http://ADDRESS:PORT (store URI)" on stderr,
// serves until SIGTERM or SIGINT, then prints "<name>: stopped". The exit code (docs/cli.md).
int ServeUntilSignal(std::string_view name, server::ListenerOptions options,
                     const server::Handler& handler, const std::string& store);

}  // namespace cloudlite::cli
