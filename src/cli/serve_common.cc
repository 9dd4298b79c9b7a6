#include "cli/serve_common.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/logger.h"
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

void AddListenerFlags(CLI::App* app, ListenerFlags& f, std::string_view auth_flag) {
  app->add_option("--listen", f.listen, "Address to listen on, HOST:PORT")->capture_default_str();
  app->add_flag("--insecure-no-auth", f.insecure_no_auth,
                "Allow listening on a non-loopback address without " + std::string(auth_flag) +
                    " (something in front of this server must check who may connect)");
  app->add_option("--tls-cert", f.tls_cert, "PEM certificate chain: serve HTTPS");
  app->add_option("--tls-key", f.tls_key, "PEM private key of --tls-cert");
  app->add_option("--access-log", f.access_log, "stderr (one JSON line per request) or off")
      ->check(CLI::IsMember({"stderr", "off"}))
      ->capture_default_str();
  app->add_option("--workers", f.workers, "Threads running requests")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--io-threads", f.io_threads,
                  "Threads doing socket I/O and HTTP parsing, each with its own connections "
                  "(default: half the cores)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--max-connections", f.max_connections, "Open connections; more get 503")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app->add_option("--max-in-flight", f.max_in_flight, "Requests queued or running; more get 503")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app->add_option("--max-body-bytes", f.max_body_bytes, "Largest request body; more get 413")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  app->add_option("--request-timeout-ms", f.request_timeout_ms, "Time limit of one request")
      ->check(CLI::Range(1, 3600 * 1000))
      ->capture_default_str();
}

void AddDatabaseFlags(CLI::App* app, DatabaseFlags& f) {
  app->add_option("--cache-size", f.cache_bytes,
                  "Bytes of decompressed pages kept in memory for all databases of the process "
                  "(default $CLOUDLITE_CACHE_SIZE, else 256 MiB)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 40));
}

Result<Options> DatabaseOptionsFrom(const DatabaseFlags& f) {
  Options defaults;
  defaults.cache_bytes = kServerCacheBytes;
  CL_ASSIGN_OR_RETURN(Options options, OptionsFromEnvironment(defaults));
  if (f.cache_bytes) options.cache_bytes = *f.cache_bytes;
  return options;
}

Result<server::ListenerOptions> ListenerOptionsFrom(const ListenerFlags& f,
                                                    std::string_view example, bool has_auth,
                                                    std::string_view auth_flag) {
  Result<HostPort> listen = ParseListen(f.listen, example);
  if (!listen.ok()) return listen.status();
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  }
  if (!IsLoopback(listen->host) && !has_auth && !f.insecure_no_auth) {
    return Status::InvalidArgument("refusing to listen on " + listen->host +
                                   " without auth: give " + std::string(auth_flag) +
                                   ", or --insecure-no-auth if something in front of this server "
                                   "checks who may connect");
  }
  // One for the process, so that the options may outlive any caller's scope.
  static const std::unique_ptr<Logger> stderr_log = Logger::ToFd(2);
  server::ListenerOptions options;
  options.address = listen->host;
  options.port = listen->port;
  options.worker_threads = f.workers;
  options.io_threads = f.io_threads;
  options.max_connections = f.max_connections;
  options.max_in_flight = f.max_in_flight;
  options.max_body_bytes = f.max_body_bytes;
  options.request_timeout = std::chrono::milliseconds(f.request_timeout_ms);
  options.tls_cert_file = f.tls_cert;
  options.tls_key_file = f.tls_key;
  options.access_log = f.access_log == "stderr" ? stderr_log.get() : nullptr;
  return options;
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
  server::Counter* known = metrics.GetCounter(
      "cloudlite_known_records_total",
      "Log records a connection took from the process's cache instead of the store");
  const ProcessCacheStats cache = GetProcessCacheStats();
  const auto records = static_cast<double>(cache.records_known);
  if (records > known->value()) known->Increment(records - known->value());
  metrics
      .GetGauge("cloudlite_frame_cache_capacity_bytes",
                "The process's budget of decompressed pages and log records (--cache-size)")
      ->Set(static_cast<double>(cache.cache_capacity_bytes));
}

bool IsFileStore(const std::string& store) {
  constexpr std::string_view kLocal = "file://";
  return store.size() >= kLocal.size() &&
         std::equal(kLocal.begin(), kLocal.end(), store.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

std::chrono::milliseconds InlineBudget(const std::string& store, int inline_reads_ms,
                                       std::chrono::milliseconds max_staleness) {
  const bool read_anytime = IsFileStore(store) || max_staleness.count() > 0;
  return std::chrono::milliseconds(read_anytime ? inline_reads_ms : 0);
}

int ServeUntilSignal(std::string_view name, server::ListenerOptions options,
                     const server::Handler& handler, const std::string& store,
                     server::InlineHandler fast) {
  Result<std::unique_ptr<server::Listener>> listener =
      server::Listener::Start(std::move(options), handler, std::move(fast));
  if (!listener.ok()) return ReportError(listener.status());
  const std::string who(name);
  // Scripts wait for this line (and read the port from it when --listen asked for port 0), then
  // may stop the server with SIGTERM at once: it is printed only once that signal is caught, or
  // the signal would kill the process (the I/O threads answer requests before this thread gets
  // here, and on a loaded machine it may get here late).
  (*listener)->ServeUntilSignal([&] {
    std::fprintf(stderr, "%s: listening on %s://%s (store %s)\n", who.c_str(),
                 (*listener)->tls() ? "https" : "http", (*listener)->address().c_str(),
                 store.c_str());
    std::fflush(stderr);
  });
  std::fprintf(stderr, "%s: stopped\n", who.c_str());
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace cloudlite::cli
