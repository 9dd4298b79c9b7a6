#include "cloudlite/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>
#include <utility>

#include "api/sql.h"
#include "api/statement.h"
#include "api/transaction.h"
#include "format/format.h"
#include "store/registry.h"
#include "store/uri.h"
#include "vfs/options.h"
#include "vfs/vfs.h"

namespace cloudlite {
// ---- Connection -----------------------------------------------------------------------------

namespace {

// At most this many statements are kept per Database: the callers of Exec and Query use a few
// fixed ones. A long text is a one-off (values written into it): never kept, so that what is
// kept stays small.
constexpr size_t kMaxKept = 64;
constexpr size_t kMaxKeptText = 1024;

// Whether a statement may be kept prepared: one that SQLite answers when it runs, transaction
// control included (a group commit's SAVEPOINT and RELEASE run for every request). Not a PRAGMA
// (cloudlite's own are answered when prepared: docs/vfs.md), not DDL.
bool Keepable(std::string_view sql) {
  if (sql.size() > kMaxKeptText) return false;
  const size_t start = sql.find_first_not_of(" \n\t");
  if (start == std::string_view::npos) return false;
  size_t end = start;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) end++;
  const std::string_view word = sql.substr(start, end - start);
  for (std::string_view keepable : {"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH",
                                    "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}) {
    if (word.size() == keepable.size() &&
        std::equal(word.begin(), word.end(), keepable.begin(), [](char a, char b) {
          return (a & ~0x20) == b;  // ASCII letters only (isalpha above): upper-cased
        })) {
      return true;
    }
  }
  return false;
}

// Whether nothing but blanks and semicolons is left of a statement's text.
bool OnlyBlanks(const char* tail) {
  while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';') tail++;
  return *tail == 0;
}

// Connection::Kept, spelled out for the helpers below (a change to it stops their callers
// compiling).
using KeptStatements =
    std::unordered_map<std::string, sqlite3_stmt*, internal::TextHash, std::equal_to<>>;

// The statement `kept` holds for `sql`, or null. (Keep let in only what may be kept.)
sqlite3_stmt* FindKept(KeptStatements* kept, std::string_view sql) {
  if (kept == nullptr) return nullptr;
  auto it = kept->find(sql);
  return it == kept->end() ? nullptr : it->second;
}

// Keeps `stmt`, just prepared from `sql`, when it may be kept and there is room; false: the
// caller finalizes it after use.
bool Keep(KeptStatements* kept, std::string_view sql, sqlite3_stmt* stmt) {
  if (kept == nullptr || !Keepable(sql) || kept->size() >= kMaxKept) return false;
  kept->emplace(std::string(sql), stmt);
  return true;
}

// Runs a prepared statement to its end, discarding its rows.
int RunToEnd(sqlite3_stmt* stmt) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  return rc;
}

}  // namespace

Status Connection::Exec(std::string_view sql) {
  if (sqlite3_stmt* kept = FindKept(kept_, sql)) {
    int rc = RunToEnd(kept);
    sqlite3_reset(kept);
    return rc == SQLITE_DONE ? Status::Ok() : SqliteError(db_, rc, "running SQL");
  }
  std::string text(sql);
  const char* tail = text.c_str();
  while (*tail) {
    sqlite3_stmt* stmt = nullptr;
    const bool first = tail == text.c_str();
    int rc = sqlite3_prepare_v2(db_, tail, -1, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing SQL");
    if (!stmt) continue;  // whitespace or a comment
    rc = RunToEnd(stmt);
    // A statement alone that runs again and again (BEGIN, SAVEPOINT, ...) is kept prepared.
    if (first && OnlyBlanks(tail) && Keep(kept_, sql, stmt)) {
      sqlite3_reset(stmt);
    } else {
      sqlite3_finalize(stmt);
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "running SQL");
  }
  return Status::Ok();
}

Result<Rows> Connection::Query(std::string_view sql, const std::vector<Value>& params) {
  sqlite3_stmt* stmt = FindKept(kept_, sql);
  bool keep = stmt != nullptr;
  if (stmt == nullptr) {
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing SQL");
    if (!stmt) return Rows{};
    keep = Keep(kept_, sql, stmt);
  }
  // A kept statement is reset for its next use (releasing what it holds), any other finalized.
  struct Done {
    sqlite3_stmt* stmt;
    bool kept;
    ~Done() {
      if (!kept) {
        sqlite3_finalize(stmt);
        return;
      }
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  } done{stmt, keep};
  int rc = SQLITE_OK;
  for (size_t i = 0; i < params.size(); i++) {
    int index = static_cast<int>(i + 1);
    const Value& v = params[i];
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      const Blob& b = std::get<Blob>(v);
      rc = sqlite3_bind_blob64(stmt, index, b.bytes.data(), b.bytes.size(), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "binding parameter " + std::to_string(index));
  }
  Rows rows;
  rc = ReadRows(stmt, &rows);
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "running SQL");
  return rows;
}

// ---- Database -------------------------------------------------------------------------------

struct Database::Impl {
  sqlite3* db = nullptr;
  Options options;
  UpdateStats stats;
  // What Connection::Exec and Query keep prepared: preparing a point query costs more than
  // running it, and every View and Update runs BEGIN.
  Connection::Kept kept;
  std::unique_ptr<SchemaFacts> schema;  // for Update's transactions, made with `db`
  ~Impl() {
    for (const auto& [sql, stmt] : kept) sqlite3_finalize(stmt);
    schema.reset();
    if (db) sqlite3_close_v2(db);
  }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;
sqlite3* Database::handle() const { return impl_->db; }
Status Database::last_store_error() const { return vfs::LastError(impl_->db); }
UpdateStats Database::stats() const { return impl_->stats; }
void Database::SetProgressHandler(int instructions, int (*handler)(void*), void* arg) {
  sqlite3_progress_handler(impl_->db, instructions, handler, arg);
}
uint64_t Database::version() const {
  Result<vfs::FileInfo> f = vfs::Info(impl_->db);
  return f.ok() ? f->version : 0;
}

// Options in the URI's query override those in `options`; the rest of the query belongs to the
// store. The VFS gets the store and the typed options through a PendingOpen (vfs/options.h).
Result<std::unique_ptr<Database>> Database::Open(std::string_view uri, Options options) {
  CL_ASSIGN_OR_RETURN(DatabaseUri location, DatabaseUri::Parse(uri));
  auto invalid = [&](const Status& s) {
    return Status::InvalidArgument("invalid URI \"" + std::string(uri) + "\": " + s.message());
  };
  Status taken = vfs::TakeOptionParams(location.store.params, options, vfs::Reader::kDatabase);
  if (!taken.ok()) return invalid(taken);
  Status store_params = CheckStoreParams(location.store);
  if (!store_params.ok()) {
    return invalid(Status::InvalidArgument(store_params.message() + "; a database URI also takes " +
                                           vfs::OptionParamNames(vfs::Reader::kDatabase)));
  }
  // SQLite ignores a page size it cannot use without a word: say so instead.
  if (const uint32_t size = options.page_size; size != 0 && !format::IsValidPageSize(size)) {
    return Status::InvalidArgument(
        "page size " + std::to_string(size) +
        ": use 0 (SQLite's default) or a power of two from 512 to 65536");
  }
  options.writer_lease = false;  // Update settles races itself: the lease would only add requests
  if (!options.at.empty()) options.create_if_missing = false;  // a past version exists or not
  if (vfs::Register() != SQLITE_OK) return Status::Internal("could not register the VFS");
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store,
                      OpenStore(location.store, options.create_if_missing));
  vfs::PendingOpen pending({std::move(store), location.name, options});
  std::string filename =
      "file:" + location.name + "?vfs=cloudlite&" + vfs::kOptionsParam + "=" + pending.token();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  int rc = sqlite3_open_v2(filename.c_str(), &impl->db, flags, vfs::kVfsName);
  if (rc != SQLITE_OK) {
    Status s = vfs::LastOpenError();
    if (!s.ok()) return s;
    return Status::IOError(std::string("opening ") + std::string(uri) + ": " +
                           (impl->db ? sqlite3_errmsg(impl->db) : sqlite3_errstr(rc)));
  }
  // A failure while SQLite read the header at open (vfs.cc, FailHeaderAtOpen): the first
  // transaction would fail the same way; say so now, with the object's key.
  if (Status s = vfs::LastError(impl->db); !s.ok()) return s;
  sqlite3_extended_result_codes(impl->db, 1);
  std::unique_ptr<Database> db(new Database(std::move(impl)));
  if (const uint32_t page_size = db->impl_->options.page_size; page_size != 0) {
    // Outside a transaction: inside the migrations' (BEGIN IMMEDIATE) SQLite would have fixed
    // the size already. Ignored by a database that has pages.
    const std::string pragma = "PRAGMA page_size = " + std::to_string(page_size);
    if (sqlite3_exec(db->impl_->db, pragma.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Status::InvalidArgument("page size " + std::to_string(page_size) + ": " +
                                     sqlite3_errmsg(db->impl_->db));
    }
  }
  if (!db->impl_->options.migrations.empty()) {
    auto migrations = db->impl_->options.migrations;
    std::sort(migrations.begin(), migrations.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    CL_RETURN_IF_ERROR(db->Update([&](Connection& c) -> Status {
      CL_ASSIGN_OR_RETURN(Rows rows, c.Query("PRAGMA user_version"));
      int64_t applied = std::get<int64_t>(rows.rows.at(0).at(0));
      for (const Migration& m : migrations) {
        if (m.version <= applied) continue;
        Status s = m.up(c);
        if (!s.ok())
          return s.WithContext("migration " + std::to_string(m.version) + " (" + m.name + ")");
        CL_RETURN_IF_ERROR(c.Exec("PRAGMA user_version = " + std::to_string(m.version)));
      }
      return Status::Ok();
    }));
  }
  return db;
}

// Update, in the words of docs/concurrency.md: run fn in a write transaction; if another commit
// won the race, move the transaction onto the new version (the VFS moves its pages when it can,
// else its recorded row changes are replayed there), and only when what it depends on changed,
// run fn again. The lifecycle is Transaction's (api/transaction.h).
Status Database::Update(const std::function<Status(Connection&)>& fn) {
  return Update(fn, nullptr);
}

Status Database::Update(const std::function<Status(Connection&)>& fn,
                        const std::function<void(uint64_t version)>& on_durable) {
  Connection conn(impl_->db, &impl_->kept);
  if (!impl_->schema) impl_->schema = std::make_unique<SchemaFacts>(impl_->db);
  Transaction txn(
      conn, {impl_->options.isolation, impl_->options.max_attempts, impl_->options.change_feed,
             impl_->schema.get(), on_durable ? &on_durable : nullptr});
  Status s = txn.Run([&] { return fn(conn); });
  UpdateStats& stats = impl_->stats;
  stats.commits += txn.stats().commits;
  stats.runs += txn.stats().runs;
  stats.lost_races += txn.stats().lost_races;
  stats.rebases += txn.stats().rebases;
  return s;
}

Status Database::View(const std::function<Status(Connection&)>& fn) {
  sqlite3* db = impl_->db;
  Connection conn(db, &impl_->kept);
  // One probe for the whole view, however many read transactions SQLite starts in it.
  vfs::WriteControl* control = vfs::WriteControlOf(db);
  if (control) control->BeginView();
  Status s = conn.Exec("BEGIN");
  if (s.ok()) s = fn(conn);
  // A read transaction: nothing to commit.
  if (!sqlite3_get_autocommit(db)) (void)conn.Exec("ROLLBACK");
  if (control) control->EndView();
  return s;
}

Result<DatabaseInfo> Database::Info() {
  // A read transaction brings the engine up to date first.
  CL_RETURN_IF_ERROR(
      View([](Connection& c) { return c.Exec("SELECT 1 FROM sqlite_schema LIMIT 1"); }));
  CL_ASSIGN_OR_RETURN(vfs::FileInfo f, vfs::Info(impl_->db));
  DatabaseInfo info;
  info.version = f.version;
  info.page_size = f.page_size;
  info.pages = f.pages;
  info.bytes = uint64_t{f.pages} * f.page_size;
  info.last_commit_micros = f.last_commit_micros;
  info.checkpoint_version = f.checkpoint_version;
  info.first_version = f.first_version;
  return info;
}

}  // namespace cloudlite
