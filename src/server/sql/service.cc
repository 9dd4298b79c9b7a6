#include "server/sql/service.h"

#include <sqlite3.h>

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

#include "base/base64.h"
#include "base/offline.h"
#include "cloudlite/admin.h"
#include "server/sql/errors.h"

namespace cloudlite::server::sql {
namespace json = boost::json;

struct SqlService::Target {
  std::string database;
  Access access = Access::kReadWrite;
};

namespace {

// Whether a pipeline's JSON names SQL that begins with a write (`"sql": "INSERT ...`, see
// BeginsWithWrite), found without parsing it: the fast path leaves such a request to the
// workers at once. A false alarm (a write only described or stored, never executed) only sends
// a read to a worker; a miss is judged after parsing.
bool NamesWrite(std::string_view body) {
  constexpr std::string_view kKey = "\"sql\"", kSpace = " \t\n\r";
  for (size_t at = body.find(kKey); at != std::string_view::npos;
       at = body.find(kKey, at + kKey.size())) {
    size_t i = body.find_first_not_of(kSpace, at + kKey.size());
    if (i == std::string_view::npos || body[i] != ':') continue;
    i = body.find_first_not_of(kSpace, i + 1);
    if (i != std::string_view::npos && body[i] == '"' && BeginsWithWrite(body.substr(i + 1))) {
      return true;
    }
  }
  return false;
}

constexpr std::string_view kHello = "Hello, this is HTTP API v2 (Hrana over HTTP)";

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out.emplace_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool IsRoute(const std::string& first) {
  return first == "v1" || first == "v2" || first == "v3" || first == "v3-protobuf" ||
         first == "health" || first == "version";
}

// The first label of a Host header when it names a database: mydb.localhost:8080 -> mydb.
// Not for a single label (localhost) or an IP address.
std::string HostLabel(std::string_view host) {
  if (host.empty() || host.front() == '[') return "";
  host = host.substr(0, host.find(':'));
  size_t dot = host.find('.');
  if (dot == std::string_view::npos) return "";
  bool numeric = true;
  for (char c : host) numeric = numeric && (isdigit(static_cast<unsigned char>(c)) || c == '.');
  if (numeric) return "";
  return std::string(host.substr(0, dot));
}

std::string ClientOf(const Request& request) {
  std::string_view remote = request.remote;
  size_t colon = remote.rfind(':');
  return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

Response MethodNotAllowed(std::string_view allow) {
  Response r = ErrorResponse(405, "use " + std::string(allow) + " here", "METHOD_NOT_ALLOWED");
  r.set_header("allow", std::string(allow));
  return r;
}

Response BadRequest(const Status& s) {
  return ErrorResponse(400, s.message(), "HRANA_PROTO_ERROR");
}

Response RefusalResponse(const StreamRefusal& refusal) {
  return ErrorResponse(refusal.status, refusal.error.message, refusal.error.code);
}

// x-cloudlite-min-version: the session must see at least that version. A read transaction
// already starts at the latest version unless max_staleness allows otherwise: the PRAGMA makes
// the next one (Info's) ask the store whatever it allows.
std::optional<Response> EnsureMinVersion(const Request& request, Session& session) {
  std::string_view text = request.header(kMinVersionHeader);
  if (text.empty()) return std::nullopt;
  uint64_t min = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), min);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return ErrorResponse(400, std::string(kMinVersionHeader) + " must be a decimal version",
                         "HRANA_PROTO_ERROR");
  }
  if (session.version() >= min || !session.is_autocommit()) return std::nullopt;
  Database& db = session.lease().db();
  const std::string pragma = "PRAGMA cloudlite_min_version = " + std::to_string(min);
  if (sqlite3_exec(db.handle(), pragma.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return ErrorResponse(Status::Internal(sqlite3_errmsg(db.handle())));
  }
  Result<DatabaseInfo> info = db.Info();
  if (!info.ok()) return ErrorResponse(info.status());
  if (info->version >= min) return std::nullopt;
  return ErrorResponse(503,
                       "the database is at version " + std::to_string(info->version) +
                           ", not yet at " + std::to_string(min) + ": retry",
                       "VERSION_NOT_REACHED");
}

// The version a response's request read or committed, for a client's later min_version.
void SetVersion(Response* r, uint64_t version) {
  r->set_header(std::string(kVersionHeader), std::to_string(version));
}

// A one-shot pipeline's answer: its results, and the version it read or committed.
Response OneShotResponse(const std::vector<StreamResult>& results, uint64_t version) {
  Response r = Response::Json(200, PipelineBody(std::nullopt, std::nullopt, results));
  SetVersion(&r, version);
  return r;
}

// The base_url a response gives with a baton: the configured one, none if not configured.
std::optional<std::string> BaseUrl(const std::optional<std::string>& baton,
                                   const std::string& base_url) {
  if (!baton || base_url.empty()) return std::nullopt;
  return base_url;
}

}  // namespace

SqlService::SqlService(ServiceOptions options)
    : options_(std::move(options)),
      write_metrics_(WriteMetrics::In(options_.metrics)),
      pool_(std::make_unique<DatabasePool>(options_.pool)),
      streams_(std::make_unique<StreamTable>(options_.streams)) {}

SqlService::~SqlService() {
  streams_.reset();  // their connections go back to the pool first
  committers_.clear();
}

GroupCommitter* SqlService::CommitterOf(std::string_view database) {
  std::lock_guard lock(committers_mu_);
  auto it = committers_.find(database);
  if (it == committers_.end()) {
    it = committers_
             .emplace(std::string(database),
                      std::make_unique<GroupCommitter>(options_.group_commit, write_metrics_,
                                                       [this, name = std::string(database)] {
                                                         return pool_->Acquire(
                                                             name, /*create=*/false,
                                                             DatabasePool::Pick::kFreshest);
                                                       }))
             .first;
  }
  return it->second.get();
}

size_t SqlService::writes_waiting(std::string_view database) {
  return CommitterOf(database)->waiting();
}

std::unique_ptr<Session> SqlService::OneShotSession(DatabasePool::Lease lease,
                                                    const Target& target) {
  return std::make_unique<Session>(std::move(lease), options_.session,
                                   target.access == Access::kReadOnly,
                                   CommitterOf(target.database));
}

std::variant<std::unique_ptr<Session>, Response> SqlService::RunOneShot(
    const Request& request, const Target& target, const std::vector<StreamRequest>& requests,
    std::vector<StreamResult>* results, InlineUntil inline_until,
    const Session::Durable& on_durable) {
  // On the fast path nothing may wait on the network: what would is refused at once, and
  // the request goes to a worker.
  std::optional<OfflineScope> offline;
  if (inline_until) offline.emplace();
  DatabasePool::Lease lease;
  if (inline_until) {
    std::optional<DatabasePool::Lease> idle = pool_->TryIdle(target.database);
    if (!idle) return nullptr;
    lease = std::move(*idle);
  } else {
    Result<DatabasePool::Lease> acquired =
        pool_->Acquire(target.database, options_.create && target.access == Access::kReadWrite);
    if (!acquired.ok()) return ErrorResponse(acquired.status());
    lease = std::move(acquired).value();
  }
  std::unique_ptr<Session> session = OneShotSession(std::move(lease), target);
  if (inline_until && session->WouldWrite(requests)) return nullptr;
  if (auto r = EnsureMinVersion(request, *session)) {
    if (offline && offline->refused()) return nullptr;
    return std::move(*r);
  }
  session->BeginRequest(inline_until ? std::min(request.deadline, *inline_until)
                                     : request.deadline);
  std::optional<HranaError> abort;
  Result<std::vector<StreamResult>> ran = session->RunAtomically(requests, &abort, on_durable);
  session->EndRequest();
  // Out of time on the fast path (interrupted, or slow), or in need of the store: a worker runs
  // it again from the start.
  if (inline_until && (offline->refused() || std::chrono::steady_clock::now() >= *inline_until)) {
    return nullptr;
  }
  if (abort) return ErrorResponse(400, abort->message, abort->code);
  if (!ran.ok()) return ErrorResponse(ran.status());
  *results = std::move(ran).value();
  return session;
}

void SqlService::RefreshMetrics() {
  MetricsRegistry* m = options_.metrics;
  if (!m) return;
  m->GetGauge("cloudlite_sql_open_streams", "Hrana streams open (batons not yet closed)")
      ->Set(static_cast<double>(streams_->open()));
  m->GetGauge("cloudlite_sql_open_databases", "Databases the pool has open")
      ->Set(static_cast<double>(pool_->open_databases()));
  m->GetGauge("cloudlite_sql_open_connections", "SQLite connections the pool holds")
      ->Set(static_cast<double>(pool_->open_connections()));
  // Process-wide totals, copied into counters (they only grow).
  auto copy = [](Counter* c, uint64_t total) {
    if (static_cast<double>(total) > c->value())
      c->Increment(static_cast<double>(total) - c->value());
  };
  const ProcessCacheStats cache = GetProcessCacheStats();
  const char* frames = "Frame cache lookups (decompressed pages shared by every connection)";
  copy(m->GetCounter("cloudlite_frame_cache_requests_total", frames, {{"result", "hit"}}),
       cache.frame_hits);
  copy(m->GetCounter("cloudlite_frame_cache_requests_total", frames, {{"result", "miss"}}),
       cache.frame_misses);
  const char* probes =
      "Freshness probes of read transactions: made, shared with another read, or left unmade "
      "because the local store's watch saw no change";
  copy(m->GetCounter("cloudlite_freshness_probes_total", probes, {{"result", "made"}}),
       cache.probes_made);
  copy(m->GetCounter("cloudlite_freshness_probes_total", probes, {{"result", "shared"}}),
       cache.probes_shared);
  copy(m->GetCounter("cloudlite_freshness_probes_total", probes, {{"result", "unchanged"}}),
       cache.probes_unchanged);
}

Handler SqlService::AsHandler() {
  return [this](const Request& r) { return Handle(r); };
}

InlineHandler SqlService::AsInlineHandler() {
  return [this](const Request& r) { return TryInline(r); };
}

Response SqlService::Handle(const Request& request) { return *Serve(request, nullptr); }

std::optional<Response> SqlService::TryInline(const Request& request) {
  if (options_.inline_budget.count() <= 0) return std::nullopt;
  const auto until = std::chrono::steady_clock::now() + options_.inline_budget;
  return Serve(request, &until);
}

std::variant<SqlService::Target, Response> SqlService::Resolve(const Request& request,
                                                               std::string path_database) {
  Target t;
  if (!path_database.empty()) {
    t.database = std::move(path_database);
  } else if (std::string_view ns = request.header("x-namespace"); !ns.empty()) {
    t.database = std::string(ns);
  } else if (std::string label = options_.host_routing ? HostLabel(request.header("host")) : "";
             !label.empty() && DatabasePool::CheckName(label).ok()) {
    t.database = label;
  } else {
    t.database = options_.default_database;
  }
  if (Status s = DatabasePool::CheckName(t.database); !s.ok()) {
    return ErrorResponse(400, s.message(), "DATABASE_NAME_INVALID");
  }
  if (options_.authorize) {
    AuthResult auth = options_.authorize(request, t.database);
    if (auth.access == Access::kDenied) {
      return ErrorResponse(auth.status, auth.message.empty() ? "not allowed" : auth.message,
                           auth.code.empty() ? "AUTH_DENIED" : auth.code);
    }
    t.access = auth.access;
  }
  return t;
}

std::optional<Response> SqlService::Serve(const Request& request, InlineUntil inline_until) {
  // The fast path is for POSTed pipelines; what the process serves besides (GET /metrics, ...)
  // goes to the workers.
  if (inline_until && request.method != "POST") return std::nullopt;
  std::vector<std::string> parts = Segments(request.path);
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (parts.size() == 1 && (parts[0] == "health" || parts[0] == "version")) {
    if (!get) return MethodNotAllowed("GET");
    return parts[0] == "health" ? Response::Text(200, "")
                                : Response::Text(200, options_.version_text);
  }
  std::string path_database;
  if (!parts.empty() && !IsRoute(parts[0])) {
    path_database = parts[0];
    parts.erase(parts.begin());
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // "/mydb/" is "/mydb"
  auto is = [&](std::initializer_list<std::string_view> want) {
    return parts.size() == want.size() && std::equal(parts.begin(), parts.end(), want.begin());
  };
  enum class Route { kHello, kPipeline2, kPipeline3, kCursor, kSqlStatement } route;
  if (is({"v2"}) || is({"v3"})) {
    route = Route::kHello;
  } else if (is({"v2", "pipeline"})) {
    route = Route::kPipeline2;
  } else if (is({"v3", "pipeline"})) {
    route = Route::kPipeline3;
  } else if (is({"v3", "cursor"})) {
    route = Route::kCursor;
  } else if (parts.empty()) {
    route = Route::kSqlStatement;
  } else {
    return ErrorResponse(404, "no such route: " + request.method + " " + request.path, "NOT_FOUND");
  }
  if (route == Route::kHello) {
    if (!get) return MethodNotAllowed("GET");
    return Response::Text(200, std::string(kHello));
  }
  if (!post) return MethodNotAllowed("POST");
  // The fast path serves one-shot pipelines only: streams, cursors and CloudSQLite's shape go
  // to the workers, as does closing expired streams (it may roll back their transactions).
  const bool pipeline = route == Route::kPipeline2 || route == Route::kPipeline3;
  if (inline_until && (!pipeline || NamesWrite(request.body))) return std::nullopt;
  if (!inline_until) streams_->Expire();
  auto target = Resolve(request, std::move(path_database));
  if (auto* r = std::get_if<Response>(&target)) return std::move(*r);
  const Target& t = std::get<Target>(target);
  switch (route) {
    case Route::kPipeline2:
      return Pipeline(request, t, HranaVersion::k2, inline_until);
    case Route::kPipeline3:
      return Pipeline(request, t, HranaVersion::k3, inline_until);
    case Route::kCursor:
      return Cursor(request, t);
    default:
      return SqlStatement(request, t);
  }
}

namespace {

// A stream for one request: the one `baton` names, or a new one with its own connection.
std::variant<StreamTable::Taken, Response> TakeStream(StreamTable& streams, DatabasePool& pool,
                                                      const Request& request,
                                                      const std::string& database,
                                                      const std::optional<std::string>& baton,
                                                      bool create, Access access,
                                                      const SessionLimits& limits) {
  if (baton) {
    auto taken = streams.Take(*baton, database);
    if (auto* refusal = std::get_if<StreamRefusal>(&taken)) return RefusalResponse(*refusal);
    return std::move(std::get<StreamTable::Taken>(taken));
  }
  auto reserved = streams.Reserve(ClientOf(request), database);
  if (auto* refusal = std::get_if<StreamRefusal>(&reserved)) return RefusalResponse(*refusal);
  StreamTable::Taken taken = std::move(std::get<StreamTable::Taken>(reserved));
  Result<DatabasePool::Lease> lease =
      pool.Acquire(database, create && access == Access::kReadWrite);
  if (!lease.ok()) {
    streams.Put(std::move(taken));  // no session: the reservation ends
    return ErrorResponse(lease.status());
  }
  taken.session = std::make_unique<Session>(std::move(lease).value(), limits,
                                            access == Access::kReadOnly, nullptr);
  return taken;
}

}  // namespace

std::optional<Response> SqlService::Pipeline(const Request& request, const Target& target,
                                             HranaVersion version, InlineUntil inline_until) {
  Result<PipelineRequest> parsed = ParsePipeline(request.body, version, options_.decode);
  if (!parsed.ok()) return BadRequest(parsed.status());
  PipelineRequest& p = *parsed;
  Response response;
  const bool one_shot =
      !p.baton && !p.requests.empty() && p.requests.back().type == StreamRequest::Type::kClose;
  if (one_shot) {
    // A request without a stream: all of it in one transaction (re-run on a lost race). A
    // write is answered as soon as its commit is durable, where the listener can.
    std::optional<Response> sent;
    Session::Durable answer;
    if (request.early && !inline_until) {
      answer = [&](const std::vector<StreamResult>& results, uint64_t version) {
        sent = OneShotResponse(results, version);
        request.early->Send(*sent);
      };
    }
    std::vector<StreamResult> results;
    auto ran = RunOneShot(request, target, p.requests, &results, inline_until, answer);
    if (sent) return std::move(*sent);
    if (auto* r = std::get_if<Response>(&ran)) return std::move(*r);
    if (!std::get<std::unique_ptr<Session>>(ran)) return std::nullopt;
    return OneShotResponse(results, std::get<std::unique_ptr<Session>>(ran)->version());
  }
  if (inline_until) return std::nullopt;  // a stream's requests run on the workers
  auto stream = TakeStream(*streams_, *pool_, request, target.database, p.baton, options_.create,
                           target.access, options_.session);
  if (auto* r = std::get_if<Response>(&stream)) return std::move(*r);
  StreamTable::Taken taken = std::move(std::get<StreamTable::Taken>(stream));
  Session& session = *taken.session;
  if (auto r = EnsureMinVersion(request, session)) {
    streams_->Put(std::move(taken));
    return std::move(*r);
  }
  session.BeginRequest(request.deadline);
  std::vector<StreamResult> results;
  results.reserve(p.requests.size());
  for (const StreamRequest& r : p.requests) results.push_back(session.Run(r));
  session.EndRequest();
  SetVersion(&response, session.version());
  std::optional<std::string> baton = streams_->Put(std::move(taken));
  Response out =
      Response::Json(200, PipelineBody(baton, BaseUrl(baton, options_.base_url), results));
  out.headers.insert(out.headers.end(), response.headers.begin(), response.headers.end());
  return out;
}

Response SqlService::Cursor(const Request& request, const Target& target) {
  Result<CursorRequest> parsed = ParseCursor(request.body, options_.decode);
  if (!parsed.ok()) return BadRequest(parsed.status());
  auto stream = TakeStream(*streams_, *pool_, request, target.database, parsed->baton,
                           options_.create, target.access, options_.session);
  if (auto* r = std::get_if<Response>(&stream)) return std::move(*r);
  StreamTable::Taken taken = std::move(std::get<StreamTable::Taken>(stream));
  Session& session = *taken.session;
  session.BeginRequest(request.deadline);
  std::vector<StepOutcome> steps = session.RunBatch(parsed->batch);
  session.EndRequest();
  const uint64_t version = session.version();
  std::optional<std::string> baton = streams_->Put(std::move(taken));

  // The entries, NDJSON: first the stream, then per step begin, rows and end (or its error).
  auto lines = std::make_shared<std::vector<std::string>>();
  for (size_t i = 0; i < steps.size(); i++) {
    AppendCursorEntries(i, steps[i].result, steps[i].error, lines.get());
  }
  Response r;
  r.status = 200;
  r.set_header("content-type", "text/plain");
  SetVersion(&r, version);
  r.body = CursorHead(baton, BaseUrl(baton, options_.base_url)) + "\n";
  auto next = std::make_shared<size_t>(0);
  r.next_chunk = [lines, next](std::string* chunk) {
    chunk->clear();
    // About 64 KiB per chunk.
    while (*next < lines->size() && chunk->size() < (64 << 10)) {
      *chunk += (*lines)[*next];
      *chunk += '\n';
      ++*next;
    }
    return !chunk->empty();
  };
  return r;
}

namespace {

// A value in CloudSQLite's plain JSON: numbers, strings, null; a blob as {"base64": ...}.
json::value PlainValue(const Value& v) {
  if (const int64_t* n = std::get_if<int64_t>(&v)) return *n;
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const std::string* text = std::get_if<std::string>(&v)) return json::string(*text);
  if (const Blob* b = std::get_if<Blob>(&v)) {
    return json::object{
        {"base64", Base64Encode(b->bytes, Base64Alphabet::kStandard, Base64Padding::kUnpadded)}};
  }
  return nullptr;
}

}  // namespace

Response SqlService::SqlStatement(const Request& request, const Target& target) {
  boost::system::error_code ec;
  json::value v = json::parse(request.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* sql = o ? o->if_contains("sql_statement") : nullptr;
  if (!sql || !sql->is_string()) {
    return ErrorResponse(400,
                         "expected a JSON object {\"sql_statement\": \"...\"} (or use the Hrana "
                         "routes, /v2/pipeline)",
                         "BAD_REQUEST");
  }
  StreamRequest execute;
  execute.type = StreamRequest::Type::kExecute;
  execute.stmt.sql = std::string(sql->as_string());
  StreamRequest close;
  close.type = StreamRequest::Type::kClose;
  std::vector<StreamResult> results;
  auto ran = RunOneShot(request, target, {execute, close}, &results, nullptr);
  if (auto* r = std::get_if<Response>(&ran)) return std::move(*r);
  const Session& session = *std::get<std::unique_ptr<Session>>(ran);
  if (const auto* e = std::get_if<HranaError>(&results[0])) {
    return ErrorResponse(400, e->message, e->code);
  }
  const StmtResult& result = std::get<StmtResult>(std::get<StreamResponse>(results[0]).result);
  json::array columns, rows;
  for (const Column& c : result.cols) {
    columns.push_back(c.name ? json::value(*c.name) : json::value(nullptr));
  }
  const size_t width = result.cols.size();
  for (size_t row = 0; row < result.row_count(); row++) {
    json::array plain;
    for (size_t c = 0; c < width; c++) plain.push_back(PlainValue(result.values[row * width + c]));
    rows.push_back(std::move(plain));
  }
  json::object body;
  body["columns"] = std::move(columns);
  body["rows"] = std::move(rows);
  body["rows_affected"] = result.affected_row_count;
  body["last_insert_rowid"] =
      result.last_insert_rowid ? json::value(*result.last_insert_rowid) : json::value(nullptr);
  body["version"] = session.version();
  Response response = Response::Json(200, json::serialize(body));
  SetVersion(&response, session.version());
  return response;
}

}  // namespace cloudlite::server::sql
