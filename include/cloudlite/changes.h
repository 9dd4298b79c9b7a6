// The change feed: the row changes of a database's commits, read from the store.
//
//   auto feed = cloudlite::ChangeFeed::Open("file:///var/lib/app/orders", /*since=*/41).value();
//   while (auto change = feed->Next().value()) { ... }   // up to the newest commit
//
// Every commit made through Database::Update (with Options::change_feed, the default) records
// its row changes in its log record (docs/format.md, "CHANGESET section"); the feed reads those
// records, oldest first, and reports each commit's changes in order. What a record cannot tell
// is reported too, never skipped: a table whose rows cannot be carried (no PRIMARY KEY that
// cannot hold NULL), a schema change, a commit whose rows were not recorded (push, migrate, the
// plain VFS, change_feed off, a transaction too big to record). See docs/cli.md,
// "cloudlite changes".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/status.h"

namespace cloudlite {

enum class ChangeKind {
  kInsert,
  kUpdate,
  kDelete,
  kUnkeyedTable,   // `table` changed, but its rows cannot be carried (`note` says why)
  kSchemaChanged,  // the commit changed the schema; DDL itself is not in the feed
  kNotRecorded,    // the commit's row changes were not recorded (`note` says why)
};

// "insert", "update", "delete", "unkeyed", "schema", "not-recorded".
const char* ChangeKindName(ChangeKind kind);

struct RowChange {
  uint64_t version = 0;     // of the commit
  int64_t time_micros = 0;  // its commit time, microseconds since the Unix epoch (writer's clock)
  ChangeKind kind = ChangeKind::kNotRecorded;
  std::string table;  // empty for kSchemaChanged and kNotRecorded
  // Row changes only. The primary key's values, in column order.
  std::vector<Value> key;
  // Row changes only: one entry per column, in table order. An insert has every value; an
  // update the new value of each column it changed (nullopt: unchanged); a delete none (all
  // nullopt).
  std::vector<std::optional<Value>> values;
  std::string note;
};

class ChangeFeed {
 public:
  // The changes of the commits after version `since` of the database at `uri` (0: from its
  // first commit). NotFound if the database does not exist, or if the commits after `since`
  // are no longer kept (garbage collection); opening lists the log once.
  static Result<std::unique_ptr<ChangeFeed>> Open(std::string_view uri, uint64_t since);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // The next change, or nullopt once every commit the store has was read; calling again later
  // looks for newer commits (one GET), which is how a caller follows the database. Corruption
  // naming a key for a damaged record or a hole in the log; NotFound once the database was
  // removed.
  Result<std::optional<RowChange>> Next();

  // The newest version whose changes were all returned.
  uint64_t version() const;

 private:
  struct Impl;
  explicit ChangeFeed(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Calls `fn` with every change after version `since`, up to the newest commit; `fn` returns
// false to stop early.
Status ForEachChange(std::string_view uri, uint64_t since,
                     const std::function<bool(const RowChange&)>& fn);

}  // namespace cloudlite
