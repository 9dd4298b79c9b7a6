#include "server/sql/session.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "api/statement.h"
#include "server/sql/literals.h"

namespace cloudlite::server::sql {
namespace {

// The savepoint that stands for the client's transaction inside the server's own.
constexpr const char* kSavepoint = "cloudlite_client_transaction";
// Around a statement that writes and returns rows, inside a transaction (RunPrepared).
constexpr const char* kStatementSavepoint = "SAVEPOINT cloudlite_statement";
constexpr const char* kStatementRelease = "RELEASE cloudlite_statement";
constexpr const char* kStatementRollback =
    "ROLLBACK TO cloudlite_statement; RELEASE cloudlite_statement";

using StmtPtr = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

// The length of the UTF-8 sequence that starts with `lead`, 0 if none can.
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 0;  // a continuation byte, or 0xf8..0xff
}

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): SQLite stores whatever bytes it is given as TEXT, and JSON can carry only UTF-8.
bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    size_t len = Utf8SequenceLength(c);
    if (len == 0 || i + len > text.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
      if ((byte(i + k) & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// `BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE] TRANSACTION READONLY`: what @libsql/client sends for a
// read transaction. Stock SQLite takes READONLY as the transaction's name, so the authorizer
// cannot tell; the last word can.
bool EndsWithReadonly(std::string_view sql) {
  while (!sql.empty() && (isspace(static_cast<unsigned char>(sql.back())) || sql.back() == ';')) {
    sql.remove_suffix(1);
  }
  constexpr std::string_view kWord = "READONLY";
  if (sql.size() < kWord.size() + 1) return false;
  std::string_view last = sql.substr(sql.size() - kWord.size());
  char before = sql[sql.size() - kWord.size() - 1];
  return strncasecmp(last.data(), kWord.data(), kWord.size()) == 0 &&
         isspace(static_cast<unsigned char>(before));
}

bool OnlySpaceAndComments(sqlite3* db, const char* tail) {
  // Preparing the rest finds a second statement the way SQLite would.
  while (*tail) {
    sqlite3_stmt* next = nullptr;
    if (sqlite3_prepare_v2(db, tail, -1, &next, &tail) != SQLITE_OK) return false;
    if (next) {
      sqlite3_finalize(next);
      return false;
    }
  }
  return true;
}

}  // namespace

bool BeginsWithWrite(std::string_view sql) {
  size_t i = sql.find_first_not_of(" \t\n\f\r");
  if (i == std::string_view::npos) return false;
  for (std::string_view keyword : {"INSERT", "UPDATE", "DELETE", "REPLACE"}) {
    if (sql.size() - i < keyword.size() || !IsKeyword(sql.substr(i, keyword.size()), keyword)) {
      continue;
    }
    const size_t after = i + keyword.size();
    if (after == sql.size() || !IsIdentifierChar(static_cast<unsigned char>(sql[after]))) {
      return true;
    }
  }
  return false;
}

Session::Session(DatabasePool::Lease lease, SessionLimits limits, bool read_only_access,
                 GroupCommitter* committer)
    : lease_(std::move(lease)),
      limits_(limits),
      read_only_access_(read_only_access),
      committer_(committer) {
  UpdateGuard();
}

Session::~Session() {
  EndRequest();
  if (lease_ && !sqlite3_get_autocommit(handle())) {
    sqlite3_exec(handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Session::UpdateGuard() {
  lease_.guard().read_only = read_only_access_ || state_.tx_read_only || view_only_;
}

void Session::BeginRequest(std::chrono::steady_clock::time_point deadline) {
  EndRequest();
  auto limit = std::chrono::steady_clock::now() + limits_.max_request_time;
  ConnectionGuard& guard = lease_.guard();
  guard.deadline = std::min(deadline, limit);
  guard.deadline_passed = false;
  result_bytes_ = 0;
}

void Session::EndRequest() {
  if (lease_) lease_.guard().deadline = std::chrono::steady_clock::time_point::max();
}

bool Session::PastDeadline() const {
  const ConnectionGuard& guard = lease_.guard();
  return guard.deadline_passed || std::chrono::steady_clock::now() >= guard.deadline;
}

HranaError Session::SqliteError(int rc) {
  if (lease_.guard().deadline_passed) {
    return {"the request ran past its time limit and was interrupted", "SQLITE_INTERRUPT"};
  }
  std::string message = sqlite3_errmsg(handle());
  int primary = rc & 0xff;
  if (primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_CANTOPEN) {
    Status store = lease_.db().last_store_error();
    if (!store.ok()) message += " (" + store.ToString() + ")";
  }
  return {message, SqliteCodeName(rc)};
}

Result<std::string> Session::SqlOf(const std::optional<std::string>& sql,
                                   const std::optional<int32_t>& sql_id, HranaError* error) const {
  if (sql) return *sql;
  auto it = state_.stored_sql.find(*sql_id);
  if (it != state_.stored_sql.end()) return it->second;
  *error = {"no SQL is stored under sql_id " + std::to_string(*sql_id) + " on this stream",
            "SQL_NOT_FOUND"};
  return Status::NotFound(error->message);
}

std::optional<HranaError> Session::CheckDeadline() {
  if (!PastDeadline()) return std::nullopt;
  lease_.guard().deadline_passed = true;
  return HranaError{"the request ran past its time limit: the statement was not run",
                    "SQLITE_INTERRUPT"};
}

std::variant<Session::Prepared, HranaError> Session::Prepare(std::string_view sql,
                                                             const char** tail) {
  if (auto e = CheckDeadline()) return *e;
  ConnectionGuard& guard = lease_.guard();
  guard.BeforePrepare();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(handle(), sql.data(), static_cast<int>(sql.size()), &stmt, tail);
  if (rc != SQLITE_OK) {
    if (!guard.refused.empty()) return HranaError{guard.refused, "SQLITE_AUTH"};
    return SqliteError(rc);
  }
  return Prepared{stmt, guard.tx_control};
}

std::optional<HranaError> Session::Bind(sqlite3_stmt* stmt, const std::vector<Value>& args,
                                        const std::vector<std::pair<std::string, Value>>& named) {
  int count = sqlite3_bind_parameter_count(stmt);
  if (static_cast<int64_t>(args.size()) > count) {
    return HranaError{std::to_string(args.size()) + " arguments given; the statement has " +
                          std::to_string(count) + " parameters",
                      "ARGS_INVALID"};
  }
  auto bind = [&](int index, const Value& v) {
    if (std::holds_alternative<std::nullptr_t>(v)) return sqlite3_bind_null(stmt, index);
    if (auto* n = std::get_if<int64_t>(&v)) return sqlite3_bind_int64(stmt, index, *n);
    if (auto* d = std::get_if<double>(&v)) return sqlite3_bind_double(stmt, index, *d);
    if (auto* t = std::get_if<std::string>(&v)) {
      return sqlite3_bind_text64(stmt, index, t->data(), t->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    const std::string& b = std::get<Blob>(v).bytes;
    return sqlite3_bind_blob64(stmt, index, b.data(), b.size(), SQLITE_TRANSIENT);
  };
  std::vector<bool> bound(static_cast<size_t>(count) + 1, false);
  for (size_t i = 0; i < args.size(); i++) {
    int rc = bind(static_cast<int>(i + 1), args[i]);
    if (rc != SQLITE_OK) return SqliteError(rc);
    bound[i + 1] = true;
  }
  for (const auto& [name, value] : named) {
    int index = 0;
    if (!name.empty() && (name[0] == ':' || name[0] == '@' || name[0] == '$')) {
      index = sqlite3_bind_parameter_index(stmt, name.c_str());
    } else {
      for (char prefix : {':', '@', '$'}) {
        if (index == 0) index = sqlite3_bind_parameter_index(stmt, (prefix + name).c_str());
      }
    }
    if (index == 0) {
      return HranaError{"the statement has no parameter named \"" + name + "\"", "ARGS_INVALID"};
    }
    int rc = bind(index, value);
    if (rc != SQLITE_OK) return SqliteError(rc);
    bound[static_cast<size_t>(index)] = true;
  }
  // A parameter left without a value would run as NULL; sqld refuses it (except in EXPLAIN).
  if (sqlite3_stmt_isexplain(stmt)) return std::nullopt;
  for (int index = 1; index <= count; index++) {
    if (bound[static_cast<size_t>(index)]) continue;
    const char* name = sqlite3_bind_parameter_name(stmt, index);
    return HranaError{"no value for parameter " +
                          (name ? std::string(name) : std::to_string(index)) +
                          ": give one argument per parameter",
                      "ARGS_INVALID"};
  }
  return std::nullopt;
}

Session::Outcome Session::Step(sqlite3_stmt* stmt, bool want_rows) {
  sqlite3_reset(stmt);
  int rc = sqlite3_step(stmt);
  // Columns only after the first step: a statement prepared before the schema changed (kept
  // prepared, or prepared before its transaction's first read) is prepared again there.
  StmtResult result;
  const int n = sqlite3_column_count(stmt);
  result.cols.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) {
    Column& col = result.cols.emplace_back();
    if (const char* name = sqlite3_column_name(stmt, i)) col.name = name;
    if (const char* type = sqlite3_column_decltype(stmt, i)) col.declared_type = type;
  }
  size_t rows = 0;
  for (; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
    if (!want_rows) continue;
    if (rows++ >= limits_.max_rows) {
      sqlite3_reset(stmt);
      return HranaError{"the result has more than " + std::to_string(limits_.max_rows) +
                            " rows, the server's limit: ask for fewer (LIMIT) or page through them",
                        "RESPONSE_TOO_LARGE"};
    }
    for (int i = 0; i < n; i++) {
      result_bytes_ += 8;
      Value& v = result.values.emplace_back(ColumnValue(stmt, i));
      if (const auto* text = std::get_if<std::string>(&v)) {
        if (!IsUtf8(*text)) {
          sqlite3_reset(stmt);
          return HranaError{"column " + std::to_string(i) +
                                " holds text that is not valid UTF-8, which JSON cannot carry: "
                                "select it as a blob (CAST(... AS BLOB))",
                            "UNICODE_ERROR"};
        }
        result_bytes_ += text->size();
      } else if (const auto* b = std::get_if<Blob>(&v)) {
        result_bytes_ += b->bytes.size();
      }
    }
    if (result_bytes_ > limits_.max_result_bytes) {
      sqlite3_reset(stmt);
      return HranaError{"the response would hold more than " +
                            std::to_string(limits_.max_result_bytes) +
                            " bytes of values, the server's limit: ask for less",
                        "RESPONSE_TOO_LARGE"};
    }
  }
  if (rc != SQLITE_DONE) {
    HranaError e = SqliteError(rc);
    sqlite3_reset(stmt);
    return e;
  }
  if (!sqlite3_stmt_readonly(stmt)) {
    result.affected_row_count = sqlite3_changes64(handle());
    result.last_insert_rowid = sqlite3_last_insert_rowid(handle());
  }
  sqlite3_reset(stmt);
  return result;
}

Session::Outcome Session::TransactionControl(const Prepared& p, std::string_view sql) {
  sqlite3* db = handle();
  auto run = [&](const char* text) -> std::optional<HranaError> {
    int rc = sqlite3_exec(db, text, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(rc);
    return std::nullopt;
  };
  const StmtResult empty;  // no columns, no rows, nothing changed
  if (p.tx == TxControl::kBegin) {
    if (state_.in_tx) {
      return HranaError{"cannot start a transaction within a transaction", "SQLITE_ERROR"};
    }
    if (nested_) {
      std::string savepoint = std::string("SAVEPOINT ") + kSavepoint;
      if (auto e = run(savepoint.c_str())) return *e;
    } else {
      int rc = sqlite3_step(p.stmt);
      if (rc != SQLITE_DONE) return SqliteError(rc);
    }
    state_.in_tx = true;
    state_.tx_read_only = EndsWithReadonly(sql);
    UpdateGuard();
    return empty;
  }
  if (!state_.in_tx) {
    return HranaError{p.tx == TxControl::kCommit ? "cannot commit - no transaction is active"
                                                 : "cannot rollback - no transaction is active",
                      "SQLITE_ERROR"};
  }
  std::optional<HranaError> error;
  if (nested_) {
    std::string text = p.tx == TxControl::kCommit
                           ? std::string("RELEASE ") + kSavepoint
                           : std::string("ROLLBACK TO ") + kSavepoint + "; RELEASE " + kSavepoint;
    error = run(text.c_str());
  } else {
    int rc = sqlite3_step(p.stmt);
    if (rc != SQLITE_DONE) {
      error = SqliteError(rc);
      if ((rc & 0xff) == SQLITE_BUSY && p.tx == TxControl::kCommit) {
        error = HranaError{
            "the transaction was rolled back: another writer committed first "
            "and this transaction's changes cannot be moved onto its version; "
            "nothing of it was written, run the transaction again",
            "SQLITE_BUSY"};
      }
      if (!sqlite3_get_autocommit(db)) run("ROLLBACK");
    }
  }
  state_.in_tx = false;
  state_.tx_read_only = false;
  UpdateGuard();
  if (error) return *error;
  return empty;
}

Session::Outcome Session::RunPrepared(const Prepared& p, std::string_view sql, bool want_rows) {
  if (p.tx != TxControl::kNone) return TransactionControl(p, sql);
  Outcome out = HranaError{};  // as in Run
  if (!nested_ && sqlite3_get_autocommit(handle()) && !sqlite3_stmt_readonly(p.stmt)) {
    // A write outside any transaction: its own Update, re-run if another writer wins.
    Status s = lease_.db().Update([&](Connection&) -> Status {
      out = Step(p.stmt, want_rows);
      if (auto* e = std::get_if<HranaError>(&out)) return Status::InvalidArgument(e->message);
      return Status::Ok();
    });
    if (!s.ok() && !std::holds_alternative<HranaError>(out)) {
      out = HranaError{s.message(), SqliteCodeNameFor(s)};
    }
    return out;
  }
  // A statement that writes and returns rows (RETURNING) may fail on the server's own limits
  // (RESPONSE_TOO_LARGE) after its changes are made, which SQLite would keep: under a savepoint
  // of its own it is rolled back as SQLite rolls back a statement that fails.
  const bool own_savepoint = !sqlite3_get_autocommit(handle()) && !sqlite3_stmt_readonly(p.stmt) &&
                             sqlite3_column_count(p.stmt) > 0;
  if (own_savepoint) {
    if (int rc = sqlite3_exec(handle(), kStatementSavepoint, nullptr, nullptr, nullptr)) {
      return SqliteError(rc);
    }
  }
  out = Step(p.stmt, want_rows);
  if (own_savepoint && !sqlite3_get_autocommit(handle())) {
    const char* end =
        std::holds_alternative<HranaError>(out) ? kStatementRollback : kStatementRelease;
    if (int rc = sqlite3_exec(handle(), end, nullptr, nullptr, nullptr)) out = SqliteError(rc);
  }
  if (sqlite3_get_autocommit(handle())) {
    if (nested_) {
      // The statement's error rolled back the whole transaction (SQLite does for some).
      if (!aborted_) {
        const auto* e = std::get_if<HranaError>(&out);
        aborted_ = HranaError{
            "nothing in this request was written: a statement's failure rolled "
            "back its transaction: " +
                (e ? e->message : std::string("unknown")),
            e ? e->code : "SQLITE_ABORT"};
      }
    }
  }
  if (!nested_) {
    // SQLite's word on whether a transaction is open: the client's SAVEPOINT opens one, an
    // error may have rolled one back.
    state_.in_tx = !sqlite3_get_autocommit(handle());
    if (!state_.in_tx) state_.tx_read_only = false;
    UpdateGuard();
  }
  return out;
}

Session::Outcome Session::Execute(const Stmt& s) {
  HranaError error;
  Result<std::string> sql = SqlOf(s.sql, s.sql_id, &error);
  if (!sql.ok()) return error;
  // A read or an insert with its values written in shares the statement of the same SQL taking
  // them as arguments (literals.h), a read's checked inside the transaction that runs it.
  const LiftedSql* lifted = nullptr;
  if (s.args.empty() && s.named_args.empty() && !sqlite3_get_autocommit(handle())) {
    const std::optional<LiftedSql>& l = Lifted(*sql);
    if (l && (!l->plan_may_differ || lease_.literals().Allowed(handle()))) lifted = &*l;
  }
  // A statement this connection prepared before, under the same guard, is run again as it is.
  StatementCache& cache = lease_.statements();
  const bool read_only = lease_.guard().read_only;
  Prepared p;
  StmtPtr owned(nullptr, sqlite3_finalize);
  if (sqlite3_stmt* cached = cache.Find(lifted ? lifted->sql : *sql, read_only)) {
    if (auto e = CheckDeadline()) return *e;
    p.stmt = cached;
  } else {
    const char* tail = nullptr;
    auto prepared = lifted ? Prepare(lifted->sql, &tail) : Prepare(*sql, &tail);
    if (lifted && !std::holds_alternative<Prepared>(prepared)) {
      lifted = nullptr;  // the error as the client's own text gives it
      prepared = Prepare(*sql, &tail);
    }
    if (auto* e = std::get_if<HranaError>(&prepared)) return *e;
    p = std::get<Prepared>(prepared);
    owned.reset(p.stmt);
    if (!p.stmt) return HranaError{"the SQL holds no statement", "SQL_NO_STATEMENT"};
    if (!OnlySpaceAndComments(handle(), tail)) {
      return HranaError{"the SQL holds more than one statement: use \"sequence\" or a batch",
                        "SQL_MANY_STATEMENTS"};
    }
  }
  if (auto e = lifted ? Bind(p.stmt, lifted->values, {}) : Bind(p.stmt, s.args, s.named_args)) {
    return *e;
  }
  Outcome out = RunPrepared(p, *sql, s.want_rows);
  if (owned && p.Keepable()) cache.Put(lifted ? lifted->sql : *sql, owned.release(), read_only);
  return out;
}

std::optional<HranaError> Session::Sequence(const StreamRequest& r) {
  HranaError error;
  Result<std::string> sql = SqlOf(r.sql, r.sql_id, &error);
  if (!sql.ok()) return error;
  const char* start = sql->c_str();
  const char* end = start + sql->size();
  while (start < end) {
    const char* tail = nullptr;
    auto prepared = Prepare(std::string_view(start, end - start), &tail);
    if (auto* e = std::get_if<HranaError>(&prepared)) return *e;
    Prepared p = std::get<Prepared>(prepared);
    StmtPtr guard(p.stmt, sqlite3_finalize);
    std::string_view text(start, tail - start);
    start = tail;
    if (!p.stmt) continue;
    Outcome out = RunPrepared(p, text, false);
    if (auto* e = std::get_if<HranaError>(&out)) return std::move(*e);
    if (aborted_) return aborted_;
  }
  return std::nullopt;
}

std::variant<DescribeResult, HranaError> Session::Describe(const StreamRequest& r) {
  HranaError error;
  Result<std::string> sql = SqlOf(r.sql, r.sql_id, &error);
  if (!sql.ok()) return error;
  const char* tail = nullptr;
  auto prepared = Prepare(*sql, &tail);
  if (auto* e = std::get_if<HranaError>(&prepared)) return *e;
  StmtPtr stmt(std::get<Prepared>(prepared).stmt, sqlite3_finalize);
  if (!stmt) return HranaError{"the SQL holds no statement", "SQL_NO_STATEMENT"};
  DescribeResult d;
  for (int i = 1; i <= sqlite3_bind_parameter_count(stmt.get()); i++) {
    const char* name = sqlite3_bind_parameter_name(stmt.get(), i);
    d.params.push_back(name ? std::optional<std::string>(name) : std::nullopt);
  }
  for (int i = 0; i < sqlite3_column_count(stmt.get()); i++) {
    Column& c = d.cols.emplace_back();
    if (const char* name = sqlite3_column_name(stmt.get(), i)) c.name = name;
    if (const char* type = sqlite3_column_decltype(stmt.get(), i)) c.declared_type = type;
  }
  d.is_explain = sqlite3_stmt_isexplain(stmt.get()) != 0;
  d.is_readonly = sqlite3_stmt_readonly(stmt.get()) != 0;
  return d;
}

void Session::Close() {
  if (state_.in_tx) {
    if (nested_) {
      std::string text = std::string("ROLLBACK TO ") + kSavepoint + "; RELEASE " + kSavepoint;
      sqlite3_exec(handle(), text.c_str(), nullptr, nullptr, nullptr);
    } else if (!sqlite3_get_autocommit(handle())) {
      sqlite3_exec(handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    state_.in_tx = false;
    state_.tx_read_only = false;
    UpdateGuard();
  }
  state_.closed = true;
  state_.stored_sql.clear();
}

std::vector<StepOutcome> Session::RunBatch(const Batch& batch) {
  std::vector<StepOutcome> steps(batch.steps.size());
  std::vector<bool> ran(batch.steps.size(), false);
  std::function<bool(const BatchCond&)> holds = [&](const BatchCond& c) -> bool {
    switch (c.kind) {
      case BatchCond::Kind::kOk:
        return ran[c.step] && steps[c.step].result.has_value();
      case BatchCond::Kind::kError:
        return ran[c.step] && steps[c.step].error.has_value();
      case BatchCond::Kind::kNot:
        return !holds(c.conds.at(0));
      case BatchCond::Kind::kAnd:
        return std::all_of(c.conds.begin(), c.conds.end(), holds);
      case BatchCond::Kind::kOr:
        return std::any_of(c.conds.begin(), c.conds.end(), holds);
      case BatchCond::Kind::kIsAutocommit:
        return is_autocommit();
    }
    return false;
  };
  for (size_t i = 0; i < batch.steps.size(); i++) {
    const BatchStep& step = batch.steps[i];
    if (aborted_ || (step.condition && !holds(*step.condition))) continue;
    ran[i] = true;
    Outcome out = Execute(step.stmt);
    if (auto* e = std::get_if<HranaError>(&out)) {
      steps[i].error = std::move(*e);
    } else {
      steps[i].result = std::move(std::get<StmtResult>(out));
    }
  }
  return steps;
}

StreamResult Session::Run(const StreamRequest& r) {
  using Type = StreamRequest::Type;
  if (state_.closed) return HranaError{"the stream is closed", "STREAM_CLOSED"};
  if (aborted_) return *aborted_;
  StreamResponse response;
  response.type = r.type;
  switch (r.type) {
    case Type::kClose:
      Close();
      break;
    case Type::kExecute: {
      Outcome out = Execute(r.stmt);
      if (auto* e = std::get_if<HranaError>(&out)) return std::move(*e);
      response.result = std::move(std::get<StmtResult>(out));
      break;
    }
    case Type::kBatch: {
      BatchResult batch;
      for (StepOutcome& s : RunBatch(r.batch)) {
        batch.step_results.push_back(std::move(s.result));
        batch.step_errors.push_back(std::move(s.error));
      }
      response.result = std::move(batch);
      break;
    }
    case Type::kSequence:
      if (std::optional<HranaError> e = Sequence(r)) return std::move(*e);
      break;
    case Type::kDescribe: {
      auto described = Describe(r);
      if (auto* e = std::get_if<HranaError>(&described)) return std::move(*e);
      response.result = std::move(std::get<DescribeResult>(described));
      break;
    }
    case Type::kStoreSql:
      if (state_.stored_sql.count(*r.sql_id)) {
        return HranaError{
            "sql_id " + std::to_string(*r.sql_id) + " is already stored on this stream",
            "SQL_STORE_EXISTS"};
      }
      if (state_.stored_sql.size() >= limits_.max_stored_sql) {
        return HranaError{"a stream stores at most " + std::to_string(limits_.max_stored_sql) +
                              " SQL texts: close_sql some first",
                          "SQL_STORE_TOO_MANY"};
      }
      if (r.sql->size() > limits_.max_stored_sql_bytes) {
        return HranaError{"a stored SQL text holds at most " +
                              std::to_string(limits_.max_stored_sql_bytes) + " bytes",
                          "SQL_STORE_TOO_LARGE"};
      }
      state_.stored_sql[*r.sql_id] = *r.sql;
      break;
    case Type::kCloseSql:
      state_.stored_sql.erase(*r.sql_id);
      break;
    case Type::kGetAutocommit:
      response.result = is_autocommit();
      break;
  }
  return response;
}

bool Session::AllReadOnly(std::string_view sql) {
  if (BeginsWithWrite(sql)) return false;
  StatementCache& cache = lease_.statements();
  // Execute looks for the statement of the lifted SQL, if there is one (literals.h).
  const std::optional<LiftedSql>& lifted = Lifted(sql);
  if (lifted) {
    if (std::optional<bool> known = cache.ReadOnly(lifted->sql)) return *known;
  } else if (std::optional<bool> known = cache.ReadOnly(sql)) {
    return *known;
  }
  // One statement that prepares under the read-only guard only reads, and is the statement
  // the View that runs this request will execute: prepared once, kept for it.
  auto keep_if_read = [&](std::string_view text) {
    ConnectionGuard& guard = lease_.guard();
    const bool was = guard.read_only;
    guard.read_only = true;
    const char* tail = nullptr;
    auto prepared = Prepare(text, &tail);
    guard.read_only = was;
    auto* p = std::get_if<Prepared>(&prepared);
    if (!p || !p->stmt) return false;
    StmtPtr stmt(p->stmt, sqlite3_finalize);
    if (!p->Keepable() || !sqlite3_stmt_readonly(stmt.get()) ||
        !OnlySpaceAndComments(handle(), tail)) {
      return false;
    }
    cache.Put(text, stmt.release(), /*read_only=*/true);
    return true;
  };
  if ((lifted && keep_if_read(lifted->sql)) || keep_if_read(sql)) return true;
  const char* start = sql.data();
  const char* end = start + sql.size();
  while (start < end) {
    const char* tail = nullptr;
    auto prepared = Prepare(std::string_view(start, end - start), &tail);
    if (std::holds_alternative<HranaError>(prepared)) return false;
    const Prepared& p = std::get<Prepared>(prepared);
    StmtPtr stmt(p.stmt, sqlite3_finalize);
    if (stmt && !sqlite3_stmt_readonly(stmt.get())) {
      // One statement that writes stays prepared: the next look at this SQL on this connection
      // (the worker's, after the fast path declined the request) finds the verdict, and
      // Execute the statement when this connection runs it under the same guard.
      if (start == sql.data() && p.Keepable() && OnlySpaceAndComments(handle(), tail)) {
        cache.Put(sql, stmt.release(), lease_.guard().read_only);
      }
      return false;
    }
    start = tail;
  }
  return true;
}

const std::optional<LiftedSql>& Session::Lifted(std::string_view sql) {
  if (lifted_text_ != sql) {
    lifted_ = LiftLiterals(sql);
    lifted_text_ = sql;
  }
  return lifted_;
}

bool Session::MayWrite(const std::vector<StreamRequest>& requests) {
  // Prepared outside any transaction: with the schema loaded this reads nothing from the
  // store. A statement that does not prepare (a table an earlier statement creates) counts
  // as a write.
  std::map<int32_t, std::string> stored = state_.stored_sql;
  auto text_of = [&](const std::optional<std::string>& sql,
                     const std::optional<int32_t>& id) -> const std::string* {
    if (sql) return &*sql;
    auto it = stored.find(*id);
    return it == stored.end() ? nullptr : &it->second;
  };
  auto writes = [&](const std::optional<std::string>& sql, const std::optional<int32_t>& id) {
    const std::string* text = text_of(sql, id);
    return text == nullptr || !AllReadOnly(*text);
  };
  for (const StreamRequest& r : requests) {
    switch (r.type) {
      case StreamRequest::Type::kExecute:
        if (writes(r.stmt.sql, r.stmt.sql_id)) return true;
        break;
      case StreamRequest::Type::kBatch:
        for (const BatchStep& s : r.batch.steps) {
          if (writes(s.stmt.sql, s.stmt.sql_id)) return true;
        }
        break;
      case StreamRequest::Type::kSequence:
        if (writes(r.sql, r.sql_id)) return true;
        break;
      case StreamRequest::Type::kStoreSql:
        stored[*r.sql_id] = *r.sql;
        break;
      case StreamRequest::Type::kCloseSql:
        stored.erase(*r.sql_id);
        break;
      default:
        break;
    }
  }
  return false;
}

bool Session::WouldWrite(const std::vector<StreamRequest>& requests) {
  return !read_only_access_ && MayWrite(requests);
}

Result<std::vector<StreamResult>> Session::RunAtomically(const std::vector<StreamRequest>& requests,
                                                         std::optional<HranaError>* abort,
                                                         const Durable& on_durable) {
  const bool writes = WouldWrite(requests);
  const State before = state_;
  std::vector<StreamResult> results;
  results.reserve(requests.size());
  std::function<Status()> body = [&]() -> Status {
    state_ = before;  // a re-run starts over
    aborted_.reset();
    results.clear();
    UpdateGuard();
    for (const StreamRequest& r : requests) {
      results.push_back(Run(r));
      if (aborted_) return Status::InvalidArgument(aborted_->message);
    }
    if (state_.in_tx) Close();  // a client transaction left open is rolled back
    return Status::Ok();
  };
  nested_ = true;
  view_only_ = !writes;
  UpdateGuard();
  GroupCommitter::Durable durable;
  if (on_durable) durable = [&](uint64_t version) { on_durable(results, version); };
  Status s;
  if (!writes) {
    s = lease_.db().View([&](Connection&) { return body(); });
  } else if (committer_) {
    uint64_t version = 0;
    s = committer_->Run(
        lease_, [&](DatabasePool::Lease& group) { return InGroup(group, body); }, &version,
        durable);
    if (s.ok()) committed_version_ = version;
  } else {
    s = lease_.db().Update([&](Connection&) { return body(); }, durable);
  }
  nested_ = false;
  view_only_ = false;
  state_.in_tx = false;
  state_.tx_read_only = false;
  UpdateGuard();
  if (aborted_) {
    *abort = std::move(aborted_);
    aborted_.reset();
    return Status::InvalidArgument((*abort)->message);
  }
  CL_RETURN_IF_ERROR(s);
  return results;
}

Status Session::InGroup(DatabasePool::Lease& group, const std::function<Status()>& body) {
  if (&group == &lease_) return body();  // this session leads: the group runs on its connection
  ConnectionGuard& mine = lease_.guard();
  std::swap(lease_, group);
  // The guard of the group's connection enforces this request's deadline meanwhile.
  ConnectionGuard& theirs = lease_.guard();
  const auto deadline = theirs.deadline;
  const bool passed = theirs.deadline_passed;
  theirs.deadline = mine.deadline;
  theirs.deadline_passed = mine.deadline_passed.load();
  Status s = body();
  mine.deadline_passed = theirs.deadline_passed.load();
  theirs.deadline = deadline;
  theirs.deadline_passed = passed;
  std::swap(lease_, group);
  return s;
}

}  // namespace cloudlite::server::sql
