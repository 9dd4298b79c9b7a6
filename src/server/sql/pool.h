// The databases a server has open: one entry per database name, each with a few SQLite
// connections (a cloudlite::Database is one connection, used by one thread at a time), handed
// out to requests and streams and taken back afterwards. Bounded: at most `max_databases`
// names open and `max_connections` connections per name; past either bound Acquire answers
// Unavailable at once (the caller says 503, retry later) rather than queueing. Connections idle
// longer than `idle_close` are closed, and so is a database's last one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/options.h"
#include "server/sql/guard.h"
#include "server/sql/literals.h"

namespace cloudlite::server::sql {

// The prepared statements of one connection by their SQL text, so that a request repeating a
// statement skips sqlite3_prepare (the bigger part of a point query's SQL work). Each is kept
// with the guard's read_only flag it was prepared under: the authorizer's answers depend on it.
// Bounded; the least recently used is finalized first. Used by one thread at a time.
class StatementCache {
 public:
  explicit StatementCache(size_t capacity = 32) : capacity_(capacity) {}
  ~StatementCache() { Clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement prepared from exactly `sql` under `read_only`, reset and without bindings;
  // null if there is none. It stays the cache's.
  sqlite3_stmt* Find(std::string_view sql, bool read_only);
  // Whether the statement of `sql` (prepared under either flag) only reads; nullopt if none.
  std::optional<bool> ReadOnly(std::string_view sql) const;
  // Takes `stmt`, prepared from all of `sql` under `read_only`.
  void Put(std::string_view sql, sqlite3_stmt* stmt, bool read_only);
  void Clear();

 private:
  struct Entry {
    std::string sql;
    sqlite3_stmt* stmt;
    bool read_only;
  };
  const size_t capacity_;
  std::vector<Entry> entries_;  // most recently used last
};

struct PoolOptions {
  // Where the databases live: a store URI (file:///dir, s3://bucket/prefix?endpoint=...); a
  // database named `n` is the database URI with `/n` appended to the path.
  std::string store;
  Options options;  // for every Database::Open (cache size, isolation, ...)
  size_t max_databases = 64;
  size_t max_connections = 16;  // per database (a group commit holds one while writes queue)
  std::chrono::seconds idle_close{60};
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
};

class DatabasePool {
 public:
  struct Connection {
    std::string name;
    std::unique_ptr<Database> db;
    ConnectionGuard guard;  // installed on db's handle
    std::chrono::steady_clock::time_point idle_since;
    StatementCache statements;  // of db's handle: destroyed before it
    LiteralSharing literals;    // likewise
  };

  // A connection lent out; it goes back to the pool when the Lease is destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(DatabasePool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    Database& db() const { return *c_->db; }
    ConnectionGuard& guard() const { return c_->guard; }
    StatementCache& statements() const { return c_->statements; }
    LiteralSharing& literals() const { return c_->literals; }
    const std::string& name() const { return c_->name; }
    explicit operator bool() const { return c_ != nullptr; }
    // Gives the connection back now, to be lent after every other idle one (unless asked for
    // with Pick::kFreshest): the group commit's connection, kept up to date for its next group.
    void Park();

   private:
    DatabasePool* pool_ = nullptr;
    std::unique_ptr<Connection> c_;
  };

  explicit DatabasePool(PoolOptions options) : options_(std::move(options)) {}
  ~DatabasePool();

  // A connection to database `name`. NotFound if it does not exist and !create; Unavailable
  // past a bound; InvalidArgument for a name that is not [A-Za-z0-9_-] (1-64 characters, '.'
  // inside).
  // Which idle connection Acquire lends: the one given back last, or the one that has seen the
  // latest version (it has the least to read from the store before its next transaction).
  enum class Pick { kLastReturned, kFreshest };
  Result<Lease> Acquire(std::string_view name, bool create, Pick pick = Pick::kLastReturned);

  // The idle connection to `name` given back last, if there is one: never opens a connection or
  // closes idle ones, so it does not block (the I/O thread's fast path, SqlService::TryInline).
  std::optional<Lease> TryIdle(std::string_view name);
  // The database URI of `name` under the store.
  std::string UriOf(std::string_view name) const;
  static Status CheckName(std::string_view name);

  size_t open_connections() const;
  // Database names with a connection open (idle, lent out or being opened).
  size_t open_databases() const;

 private:
  struct Entry {
    std::vector<std::unique_ptr<Connection>> idle;
    size_t open = 0;  // idle + lent out + being opened
  };
  // `parked`: lent after the other idle connections (Lease::Park).
  void Release(std::unique_ptr<Connection> c, bool parked = false);
  // Moves connections idle too long (and, when `need_room`, every idle connection of the
  // database idle longest) into `doomed`, to be closed outside the lock.
  void CollectIdle(bool need_room, std::vector<std::unique_ptr<Connection>>* doomed);
  // One of `e`'s idle connections (there is one), as `pick` says, taken out of the list.
  std::unique_ptr<Connection> TakeIdleLocked(Entry& e, Pick pick);

  const PoolOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace cloudlite::server::sql
