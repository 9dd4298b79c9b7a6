#include "cli/serve_command.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/exit_codes.h"
#include "cli/serve_common.h"
#include "cloudlite/admin.h"
#include "server/http/auth.h"
#include "server/http/listener.h"
#include "server/http/metrics.h"
#include "server/sql/jwt_authorizer.h"
#include "server/sql/service.h"

namespace cloudlite::cli {

ServeCommand& AddServeCommand(CLI::App& app) {
  static ServeCommand command;  // CLI11 keeps pointers into it until parsing is done
  ServeCommand& c = command;
  c.app =
      app.add_subcommand("serve",
                         "Serve SQL over HTTP (libSQL's Hrana, for @libsql/client and other libSQL "
                         "clients) for every database in a store, until SIGTERM or SIGINT");
  c.app->add_option("--store", c.store, "Store URI holding the databases, e.g. file:///var/dbs")
      ->required();
  c.app->add_flag("--create", c.create,
                  "A request to a missing database creates it (else 404 Not Found)");
  c.app->add_option("--auth-jwt-key-file", c.jwt_key_file,
                    "Ed25519 public keys (PEM or base64url lines) that sign accepted Bearer "
                    "tokens, as libSQL's sqld takes them");
  c.app->add_option("--base-url", c.base_url,
                    "This process's own URL, returned to clients so that a stream's requests "
                    "come back here (sticky streams behind a load balancer)");
  c.app
      ->add_option("--default-database", c.default_database,
                   "Database of requests that name none (no path, x-namespace or Host label)")
      ->capture_default_str();
  c.app
      ->add_option("--inline-reads-ms", c.inline_reads_ms,
                   "On a file:// store (on others with --max-staleness-ms), one-shot reads run on "
                   "the I/O thread, skipping two thread hand-offs, unless they take longer than "
                   "this or need the store (then a worker runs them again); 0: every request on a "
                   "worker")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  c.app
      ->add_option("--max-staleness-ms", c.max_staleness_ms,
                   "How old a read may be: within it, a read asks the store nothing and serves "
                   "the newest version this process knows (x-cloudlite-min-version still asks); "
                   "default $CLOUDLITE_MAX_STALENESS_MS, else 0: every read at the latest version")
      ->check(CLI::Range(uint64_t{0}, uint64_t{86400000}));
  c.app->add_option("--max-databases", c.max_databases, "Databases open at once")
      ->check(CLI::Range(1, 1 << 16))
      ->capture_default_str();
  c.app
      ->add_option("--group-commit", c.group_commit,
                   "on: concurrent one-shot writes to a database share one commit; off: each "
                   "commits alone")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  AddDatabaseFlags(c.app, c.database);
  AddListenerFlags(c.app, c.listener, "--auth-jwt-key-file");
  c.app->footer(
      "Example: cloudlite serve --store file:///var/dbs --create\n"
      "then, from node: createClient({ url: \"http://127.0.0.1:8080/mydb/\" }) (mind the "
      "trailing slash)");
  return c;
}

int RunServeCommand(const ServeCommand& c) {
  Result<server::ListenerOptions> options = ListenerOptionsFrom(
      c.listener, "127.0.0.1:8080", !c.jwt_key_file.empty(), "--auth-jwt-key-file");
  if (!options.ok()) return ReportError(options.status());
  Result<Options> database_options = DatabaseOptionsFrom(c.database);
  if (!database_options.ok()) return ReportError(database_options.status());
  ReserveProcessCache(database_options->cache_bytes);
  // A store that does not answer is better found now than by the first request.
  if (Status s = CheckStore(c.store, c.create); !s.ok()) return ReportError(s);

  server::sql::ServiceOptions service_options;
  service_options.pool.store = c.store;
  service_options.pool.options = std::move(database_options).value();
  if (c.max_staleness_ms) {
    service_options.pool.options.max_staleness = std::chrono::milliseconds(*c.max_staleness_ms);
  }
  service_options.pool.max_databases = c.max_databases;
  // Each worker holds at most one connection for a one-shot request, a group commit one more,
  // and each I/O thread's fast path one.
  service_options.pool.max_connections = std::max(service_options.pool.max_connections,
                                                  c.listener.workers + 1 + c.listener.io_threads);
  service_options.create = c.create;
  service_options.default_database = c.default_database;
  service_options.base_url = c.base_url;
  service_options.version_text = "cloudlite " CLOUDLITE_VERSION;
  service_options.inline_budget =
      InlineBudget(c.store, c.inline_reads_ms, service_options.pool.options.max_staleness);
  if (!c.jwt_key_file.empty()) {
    Result<server::PublicKeys> keys = server::PublicKeys::LoadFile(c.jwt_key_file);
    if (!keys.ok()) return ReportError(keys.status());
    service_options.authorize =
        server::sql::JwtAuthorizer(std::make_shared<server::Authenticator>(std::move(*keys)));
  }
  server::MetricsRegistry metrics;
  service_options.group_commit.enabled = c.group_commit == "on";
  service_options.metrics = &metrics;
  server::sql::SqlService service(std::move(service_options));

  server::Handler sql = service.AsHandler();
  const std::string store = c.store;
  server::Handler handler = [&metrics, &service, sql, store](const server::Request& r) {
    if (r.method == "GET" && r.path == "/metrics") {
      RefreshStoreMetrics(metrics);
      service.RefreshMetrics();
      server::Response out = server::MetricsResponse(metrics);
      out.route = "metrics";
      return out;
    }
    if (r.method == "GET" && r.path == "/readyz") {
      Status s = CheckStore(store);
      server::Response out = s.ok() ? server::Response::Text(200, "ready\n")
                                    : server::Response::Text(503, s.ToString() + "\n");
      out.route = "readyz";
      return out;
    }
    return sql(r);
  };

  options->metrics = &metrics;
  return ServeUntilSignal("cloudlite serve", std::move(*options), handler, c.store,
                          service.AsInlineHandler());
}

}  // namespace cloudlite::cli
