#include "cli/serve_common.h"

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/exit_codes.h"
#include "cloudlite/admin.h"

namespace cloudlite::cli {

Result<HostPort> ParseListen(const std::string& text, std::string_view example) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("--listen \"" + text + "\" is not HOST:PORT (e.g. " +
                                   std::string(example) + ")");
  }
  HostPort out;
  out.host = text.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) out.host = "127.0.0.1";
  std::string port = text.substr(colon + 1);
  char* end = nullptr;
  unsigned long value = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value > 65535) {
    return Status::InvalidArgument("--listen \"" + text + "\": the port must be 0..65535");
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void RefreshStoreMetrics(server::MetricsRegistry& metrics) {
  boost::system::error_code ec;
  boost::json::value stats = boost::json::parse(ProcessStoreStatsJson(), ec);
  if (ec || !stats.is_object()) return;
  for (const auto& [key, value] : stats.as_object()) {
    if (!value.is_number()) continue;
    double now = value.to_number<double>(ec);
    if (ec) continue;
    std::string_view kind = key;
    server::Counter* c =
        kind.rfind("bytes_", 0) == 0
            ? metrics.GetCounter("cloudlite_store_bytes_total",
                                 "Payload bytes to and from the store",
                                 {{"direction", std::string(kind.substr(6))}})
            : metrics.GetCounter("cloudlite_store_requests_total", "Requests sent to the store",
                                 {{"kind", std::string(kind)}});
    if (now > c->value()) c->Increment(now - c->value());
  }
}

int ServeUntilSignal(std::string_view name, server::ListenerOptions options,
                     const server::Handler& handler, const std::string& store) {
  Result<std::unique_ptr<server::Listener>> listener =
      server::Listener::Start(std::move(options), handler);
  if (!listener.ok()) return ReportError(listener.status());
  const std::string who(name);
  // Scripts wait for this line (and read the port from it when --listen asked for port 0).
  std::fprintf(stderr, "%s: listening on %s://%s (store %s)\n", who.c_str(),
               (*listener)->tls() ? "https" : "http", (*listener)->address().c_str(),
               store.c_str());
  std::fflush(stderr);
  (*listener)->ServeUntilSignal();
  std::fprintf(stderr, "%s: stopped\n", who.c_str());
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace cloudlite::cli
