// cloudlite: a SQLite database whose only durable state lives in an object store.
//
//   auto db = cloudlite::Database::Open("file:///var/lib/app/orders").value();
//   db->Update([](cloudlite::Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); });
//
// Thread-safety: a Database is one SQLite connection; use it from one thread at a time (or open
// one Database per thread). Any number of Databases, in any number of processes on any number
// of machines, may read and write the same database URI at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cloudlite/options.h"
#include "cloudlite/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cloudlite {

// One SQL value. std::string holds TEXT; Blob holds BLOB.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

namespace internal {
// Hashes a string key and a string_view looked up alike, so that a lookup copies nothing.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
}  // namespace internal

// The connection handed to Update and View callbacks. It is inside a transaction.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  // Runs one or more statements; results are discarded. On a Database's connection, a
  // statement alone of up to 1 KiB (BEGIN, SAVEPOINT x, an INSERT; not a PRAGMA or DDL) stays
  // prepared for the next call with the same text, as Query's do.
  Status Exec(std::string_view sql);
  // Runs one statement with `params` bound to ?1, ?2, ... and returns its rows.
  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params = {});
  // The raw handle, for anything else SQLite can do.
  sqlite3* handle() const { return db_; }

 private:
  friend class Database;
  // Statements Query keeps prepared from one call to the next, by their SQL: a Database's own.
  using Kept = std::unordered_map<std::string, sqlite3_stmt*, internal::TextHash, std::equal_to<>>;
  Connection(sqlite3* db, Kept* kept) : db_(db), kept_(kept) {}

  sqlite3* db_;
  Kept* kept_ = nullptr;
};

// What this Database's Update calls have done so far (counters since Open).
struct UpdateStats {
  uint64_t commits = 0;     // Update calls that committed
  uint64_t runs = 0;        // executions of transaction functions, re-runs included
  uint64_t lost_races = 0;  // commit attempts another writer's commit beat
  uint64_t rebases = 0;     // lost races settled without re-running the function: the
                            // transaction's pages moved onto the new version, or its row
                            // changes were replayed there
};

struct DatabaseInfo {
  uint64_t version = 0;  // number of the latest commit; 0 = empty
  uint32_t page_size = 0;
  uint32_t pages = 0;
  uint64_t bytes = 0;              // pages × page size
  int64_t last_commit_micros = 0;  // Unix time of the latest commit, 0 if none
  uint64_t checkpoint_version = 0;
  // The version of its first commit: 1, or past the log of a database of the same name that was
  // removed before it was created (docs/format.md, "Incarnations").
  uint64_t first_version = 1;
  uint64_t commits() const { return version >= first_version ? version - first_version + 1 : 0; }
};

class Database {
 public:
  // Opens the database at `uri` (file:///dir/name, mem://store/name, s3://bucket/prefix/name,
  // dynamodb://table/name). NotFound if it does not exist and !options.create_if_missing.
  // Option parameters in the URI (?cache_size=...&isolation=snapshot, docs/vfs.md) override
  // `options`; an unknown or malformed parameter is InvalidArgument naming it. Reads no
  // environment variable (see OptionsFromEnvironment). Corruption found while SQLite opens the
  // database (page 1) is returned here, naming the object's key.
  static Result<std::unique_ptr<Database>> Open(std::string_view uri, Options options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs fn in a write transaction at the latest version and commits it. If another commit won
  // the race, fn runs again on the new state (so fn must not have outside side effects), at
  // most options.max_attempts times; then Busy. A non-Ok status from fn rolls back and is
  // returned as is.
  Status Update(const std::function<Status(Connection&)>& fn);
  // The same, and `on_durable` is called once, on this thread, with the committed version as
  // soon as the commit is durable in the store: before Update returns, while this connection
  // still finishes the commit (so it must not use this Database). A server answers its client
  // there. Once it was called the transaction is committed, whatever Update returns. Never
  // called if nothing was committed, nor on a connection of the plain VFS.
  Status Update(const std::function<Status(Connection&)>& fn,
                const std::function<void(uint64_t version)>& on_durable);
  // Runs fn in a read transaction on the latest version (see max_staleness).
  Status View(const std::function<Status(Connection&)>& fn);

  Result<DatabaseInfo> Info();
  // The version this Database's last transaction read or committed (0 before the first), without
  // asking the store: what a server reports so a client can read its own writes elsewhere.
  uint64_t version() const;
  UpdateStats stats() const;
  // The SQLite connection (not inside a transaction unless you begin one).
  sqlite3* handle() const;
  // Installs a progress handler on the connection (as sqlite3_progress_handler: called about
  // every `instructions` virtual machine instructions; returning non-zero interrupts the
  // statement). `handler` null removes it.
  void SetProgressHandler(int instructions, int (*handler)(void*), void* arg);
  // The status behind the last SQLite I/O error, with the store's own message.
  Status last_store_error() const;

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cloudlite
