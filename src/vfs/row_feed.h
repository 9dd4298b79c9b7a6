// Row changes of commits made through the plain VFS (a user's own sqlite3 with the extension),
// for the change feed (docs/design.md, "A write transaction has one owner"; docs/vfs.md, "Row
// changes"; docs/format.md, "CHANGESET section").
//
// The library records a transaction's rows with a session before COMMIT (api/replay.h). The
// plain VFS cannot: it learns that a transaction ends only inside COMMIT, where no SQL may run on
// the user's connection. It works in two steps instead:
//  1. Which rows may have changed: a preupdate hook on the user's connection notes, per table,
//     the keys the transaction touched (TouchedRows). Statements and savepoints rolled back send
//     no event, so some of these keys may in the end be unchanged: step 2 finds out.
//  2. What they changed: at the commit (MainFile::Commit), a side connection of its own reads
//     each touched row in the version the transaction started from and in the state being
//     committed (two read-only Images), and SQLite's session extension writes exactly the
//     differences as a changeset (RowDiffer).
// Whatever cannot be shown right is not recorded (RowChanges::complete false).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "format/format.h"

namespace cloudlite::vfs {

// Whether the session extension records every change to `table` of database `schema` of `db`:
// it has a PRIMARY KEY whose columns cannot be NULL (rows with a NULL key go unrecorded). Keys
// of WITHOUT ROWID tables and rowid aliases (INTEGER PRIMARY KEY, which has no index of its
// own) never are; other keys of rowid tables only if declared NOT NULL. The library's recorder
// and the plain VFS list the other tables they change as unkeyed.
Result<bool> FullyRecorded(sqlite3* db, const char* schema, const std::string& table);
// `name` as an SQL identifier: in double quotes, its own doubled.
std::string Quote(std::string_view name);

// The rows a write transaction may have changed, as its preupdate events named them. Past
// `limit` bytes it forgets them and is incomplete, like the library's recorder.
class TouchedRows {
 public:
  struct Cell {
    int type = SQLITE_NULL;
    int64_t integer = 0;
    double real = 0;
    std::string bytes;
  };
  using Row = std::vector<Cell>;
  struct Table {
    std::set<int64_t> rowids;
    // Whole rows (old and new) of events whose rowids were both 0: what a WITHOUT ROWID table
    // sends. Their key columns are picked at the commit, when the schema can be read.
    std::vector<Row> rows;
  };

  void set_limit(uint64_t limit) { limit_ = limit; }
  // One preupdate event (sqlite3_preupdate_hook's arguments), read through `db`.
  void Note(sqlite3* db, int op, const char* table, int64_t key1, int64_t key2);
  void Clear();
  bool complete() const { return !overflow_; }
  bool empty() const { return tables_.empty(); }
  const std::map<std::string, Table>& tables() const { return tables_; }

 private:
  uint64_t limit_ = UINT64_MAX;
  uint64_t bytes_ = 0;
  bool overflow_ = false;
  std::map<std::string, Table> tables_;
};

// The preupdate hook that feeds TouchedRows is installed on `db` (vfs.h, RecordPlainRowChanges).
// Only then may a commit of `db` say which rows it changed.
void MarkRowHookInstalled(sqlite3* db);
bool RowHookInstalled(sqlite3* db);

// A read-only database file image: `bytes` long, read in pages of `page_size`. Its page 1 is
// stamped with `counter` (set by RowDiffer) so that a connection reading it drops the pages it
// cached from an earlier image.
struct Image {
  uint32_t page_size = 0;
  uint64_t bytes = 0;
  std::function<Status(uint32_t pgno, char* out)> read_page;
  uint64_t counter = 0;
};

// Finds a commit's row changes on a side connection of its own, kept open across commits (a
// new one costs more than the comparison).
class ImageLoan;
class RowDiffer {
 public:
  RowDiffer();
  ~RowDiffer();
  RowDiffer(const RowDiffer&) = delete;
  RowDiffer& operator=(const RowDiffer&) = delete;

  // The row changes that turned `before` into `after`, among the rows `touched` names, as a
  // CHANGESET section's content (the caller sets schema_changed). Incomplete when a touched
  // table cannot be compared (a system table, generated columns, missing) or the changeset
  // outgrows `limit` bytes. The images are read only during the call.
  // `schema_cookie` is both images' (page 1, offset 40): what the differ learned of their tables
  // holds while it stays the same.
  Result<format::RowChanges> Diff(Image before, Image after, const TouchedRows& touched,
                                  uint64_t limit, uint32_t schema_cookie);

 private:
  struct TableShape;
  Status Open();
  void Close();
  // What the differ knows of `table`, learned on first use.
  Result<TableShape*> Shape(const std::string& table);
  Result<format::RowChanges> DiffOpen(const TouchedRows& touched, uint64_t limit);

  std::map<std::string, std::unique_ptr<TableShape>> shapes_;
  uint32_t schema_cookie_ = 0;

  Image before_, after_;
  std::unique_ptr<ImageLoan> before_loan_, after_loan_;
  sqlite3* side_ = nullptr;
  uint64_t generation_ = 0;
};

}  // namespace cloudlite::vfs
