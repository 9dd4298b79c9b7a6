// SQL over HTTP: libSQL's Hrana over HTTP (so @libsql/client and the other libSQL clients work
// unchanged) and CloudSQLite's {"sql_statement": ...} shape, as a server::Handler: no sockets,
// so the listener, a Lambda adapter and tests call the same code. docs/server.md describes
// every route.
//
//   GET  /health, /version, [/{db}]/v2, [/{db}]/v3
//   POST [/{db}]/v2/pipeline, [/{db}]/v3/pipeline, [/{db}]/v3/cursor   Hrana 2 / 3, JSON
//   POST / or /{db}[/]                                                 {"sql_statement": "..."}
//
// The database is the path's first segment, else the x-namespace header, else the first label
// of Host (mydb.localhost:8080), else `default_database`.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/http/handler.h"
#include "server/http/metrics.h"
#include "server/sql/group_commit.h"
#include "server/sql/hrana_proto.h"
#include "server/sql/pool.h"
#include "server/sql/session.h"
#include "server/sql/streams.h"

namespace cloudlite::server::sql {

// What a request may do to a database.
enum class Access { kDenied, kReadOnly, kReadWrite };

struct AuthResult {
  Access access = Access::kReadWrite;
  // For kDenied: the HTTP status (401 no or bad credentials, 403 not allowed) and the body.
  int status = 403;
  std::string message;
  std::string code;
};

// Decides a request's access to `database` (for example from a Bearer JWT). Called on worker
// threads, several at once. Read-only access is enforced per statement by SQLite's authorizer.
using Authorizer = std::function<AuthResult(const Request&, std::string_view database)>;

struct ServiceOptions {
  PoolOptions pool;     // pool.store: where the databases live
  bool create = false;  // open missing databases as new ones (else 404)
  std::string default_database = "default";
  bool host_routing = true;  // take the database from Host's first label
  // Returned as base_url so clients send a stream's next requests to this process (sticky
  // streams behind a load balancer); "" = null.
  std::string base_url;
  SessionLimits session;
  DecodeLimits decode;
  StreamOptions streams;
  std::string version_text = "cloudlite";
  Authorizer authorize;                // empty: every request may read and write
  GroupCommitOptions group_commit;     // enabled = false: each one-shot write commits alone
  MetricsRegistry* metrics = nullptr;  // kept by the caller; writes, commits, group sizes
  // Above zero: TryInline answers one-shot reads of a database with an idle connection, if it
  // can within this long (else a worker runs them again). For a local store, whose reads do not
  // wait on a network; zero leaves every request to the workers.
  std::chrono::milliseconds inline_budget{0};
};

// Response headers: the version of the database a request read or committed, and the request
// header asking that a request see at least some version (read-your-writes across processes).
inline constexpr std::string_view kVersionHeader = "x-cloudlite-version";
inline constexpr std::string_view kMinVersionHeader = "x-cloudlite-min-version";

class SqlService {
 public:
  explicit SqlService(ServiceOptions options);
  ~SqlService();

  // Thread-safe.
  Response Handle(const Request& request);
  // The fast path (server/http/handler.h, InlineHandler): Handle's answer to a request it can
  // serve within options.inline_budget without blocking, else nullopt. Thread-safe.
  std::optional<Response> TryInline(const Request& request);
  // The service as a Handler and as its fast path; the service must outlive them.
  Handler AsHandler();
  InlineHandler AsInlineHandler();

  // Sets the gauges and counters that are read rather than counted (open streams, databases and
  // connections; the process's frame cache and freshness probes) in options.metrics, if any:
  // call before rendering /metrics.
  void RefreshMetrics();

  DatabasePool& pool() { return *pool_; }
  StreamTable& streams() { return *streams_; }
  // One-shot writes to `database` waiting for their group to start (tests).
  size_t writes_waiting(std::string_view database);

 private:
  struct Target;
  // The functions that take an InlineUntil (server/http/handler.h) return nullopt, or a null
  // session, for a request they leave to a worker.
  std::optional<Response> Serve(const Request& request, InlineUntil inline_until);
  std::optional<Response> Pipeline(const Request& request, const Target& target,
                                   HranaVersion version, InlineUntil inline_until);
  Response Cursor(const Request& request, const Target& target);
  Response SqlStatement(const Request& request, const Target& target);
  // The database a request addresses, with the authorizer's verdict.
  std::variant<Target, Response> Resolve(const Request& request, std::string path_database);
  // The committer of `database`'s one-shot writes, made on first use and kept.
  GroupCommitter* CommitterOf(std::string_view database);
  // A session for a one-shot request on `lease`.
  std::unique_ptr<Session> OneShotSession(DatabasePool::Lease lease, const Target& target);
  // Runs `requests` as one atomic one-shot request (RunAtomically) on a fresh session: the
  // session, kept for the version it read or committed, with `*results` filled in;
  // or the error response. With `inline_until`, only reads on an idle connection, done in time:
  // a null session for the rest. `on_durable` as RunAtomically's.
  std::variant<std::unique_ptr<Session>, Response> RunOneShot(
      const Request& request, const Target& target, const std::vector<StreamRequest>& requests,
      std::vector<StreamResult>* results, InlineUntil inline_until,
      const Session::Durable& on_durable = nullptr);

  const ServiceOptions options_;
  const WriteMetrics write_metrics_;
  std::mutex committers_mu_;
  std::map<std::string, std::unique_ptr<GroupCommitter>, std::less<>> committers_;
  std::unique_ptr<DatabasePool> pool_;
  std::unique_ptr<StreamTable> streams_;  // after pool_: streams hold its connections
};

}  // namespace cloudlite::server::sql
