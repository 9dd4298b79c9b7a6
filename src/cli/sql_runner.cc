#include "cli/sql_runner.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/statement.h"
#include "vfs/status_mapping.h"

namespace cloudlite::cli {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// The first `n` words of a statement, uppercased, after leading whitespace and comments.
std::vector<std::string> LeadingWords(std::string_view sql, size_t n) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < sql.size() && words.size() < n) {
    unsigned char c = sql[i];
    if (std::isspace(c)) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i + 2);
      if (i != std::string_view::npos) i += 2;
    } else if (std::isalpha(c) || c == '_') {
      std::string word;
      while (i < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
      }
      words.push_back(std::move(word));
    } else {
      break;  // punctuation: no more leading keywords
    }
  }
  return words;
}

// BEGIN, COMMIT, END and ROLLBACK (but not ROLLBACK TO a savepoint) would end or nest the
// transaction that Update/View manage, splitting "one transaction" into pieces the retry
// logic cannot see. SAVEPOINT/RELEASE/ROLLBACK TO nest inside it and are fine.
bool IsTransactionControl(std::string_view sql) {
  std::vector<std::string> w = LeadingWords(sql, 3);
  if (w.empty()) return false;
  if (w[0] == "BEGIN" || w[0] == "COMMIT" || w[0] == "END") return true;
  if (w[0] != "ROLLBACK") return false;
  size_t next = w.size() > 1 && w[1] == "TRANSACTION" ? 2 : 1;
  return !(w.size() > next && w[next] == "TO");
}

// VACUUM (and VACUUM INTO) refuses to run inside a transaction.
bool IsVacuum(std::string_view sql) {
  std::vector<std::string> w = LeadingWords(sql, 1);
  return !w.empty() && w[0] == "VACUUM";
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

// Whether `sql` is exactly one statement and it only reads. Prepared outside any transaction
// on purpose: it is only a hint. If preparing fails (say our schema is stale and the table is
// new) the answer is "no", and the Update reports the real error with a fresh schema.
bool IsSingleReadOnlyStatement(sqlite3* handle, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(handle, sql.data(), static_cast<int>(sql.size()), &raw, &tail) !=
      SQLITE_OK) {
    return false;
  }
  StmtPtr stmt(raw);
  if (stmt == nullptr || sqlite3_stmt_readonly(stmt.get()) == 0) return false;
  std::string_view rest(tail, sql.data() + sql.size() - tail);
  sqlite3_stmt* next = nullptr;
  // The rest may hold comments only; preparing tells those apart from another statement.
  int rc = sqlite3_prepare_v2(handle, rest.data(), static_cast<int>(rest.size()), &next, nullptr);
  StmtPtr next_stmt(next);
  return rc == SQLITE_OK && next_stmt == nullptr;
}

// A statement that makes its own transaction (VACUUM) runs in SQLite's autocommit mode: the
// VFS commits it like any write. Another writer's commit first makes it fail with Busy; it then
// runs again on the new version, up to kAttempts times.
Status RunOnItsOwn(Database& db, std::string_view sql, std::vector<Rows>* results) {
  constexpr int kAttempts = 10;
  Status status;
  for (int attempt = 0; attempt < kAttempts; attempt++) {
    results->clear();
    Connection conn(db.handle());
    status = RunStatements(conn, db, sql, results);
    if (!status.IsBusy()) return status;
  }
  return Status::Busy("gave up after " + std::to_string(kAttempts) +
                      " attempts: other writers kept committing first (" + status.message() + ")");
}

}  // namespace

Status StatusFromSqlite(sqlite3* handle, int rc, const Database& db) {
  return vfs::StatusFromSqlite(rc, sqlite3_errmsg(handle), db.last_store_error());
}

Status RunStatements(Connection& conn, const Database& db, std::string_view sql,
                     std::vector<Rows>* results) {
  sqlite3* handle = conn.handle();
  const char* pos = sql.data();
  const char* end = sql.data() + sql.size();
  while (pos < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(handle, pos, static_cast<int>(end - pos), &raw, &tail);
    if (rc != SQLITE_OK) return StatusFromSqlite(handle, rc, db);
    StmtPtr stmt(raw);
    pos = tail;
    if (stmt == nullptr) continue;  // only whitespace or a comment
    if (IsTransactionControl(sqlite3_sql(stmt.get()))) {
      return Status::InvalidArgument(
          "BEGIN, COMMIT and ROLLBACK are not allowed: cloudlite already runs all statements of "
          "one `sql` command (or each shell statement) in one transaction; leave them out");
    }
    Rows rows;
    rc = ReadRows(stmt.get(), &rows);
    if (rc != SQLITE_DONE) return StatusFromSqlite(handle, rc, db);
    if (!rows.columns.empty()) results->push_back(std::move(rows));
  }
  return Status::Ok();
}

Status RunInTransaction(Database& db, std::string_view sql, std::vector<Rows>* results) {
  std::vector<std::string> statements = SplitStatements(sql);
  if (std::any_of(statements.begin(), statements.end(), IsVacuum)) {
    if (statements.size() > 1) {
      return Status::InvalidArgument(
          "VACUUM cannot run inside a transaction, and the statements of one `sql` command share "
          "one: run VACUUM as a command of its own");
    }
    return RunOnItsOwn(db, sql, results);
  }
  auto body = [&](Connection& conn) {
    results->clear();  // a retried attempt starts over
    return RunStatements(conn, db, sql, results);
  };
  if (IsSingleReadOnlyStatement(db.handle(), sql)) return db.View(body);
  return db.Update(body);
}

std::vector<std::string> SplitStatements(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  std::string candidate;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ';') continue;
    // sqlite3_complete knows about quotes, comments and CREATE TRIGGER ... END; bodies.
    candidate.assign(text.substr(start, i + 1 - start));
    if (sqlite3_complete(candidate.c_str()) == 0) continue;
    if (!IsBlank(candidate)) out.push_back(candidate);
    start = i + 1;
  }
  std::string_view rest = text.substr(start);
  if (!IsBlank(rest)) out.emplace_back(rest);
  return out;
}

}  // namespace cloudlite::cli
