// Replaying a write transaction's row changes on a newer version (docs/concurrency.md), so that
// a transaction that lost the commit race need not run its function again.
//
// A ChangeRecorder watches one transaction through SQLite's preupdate hook and hands back its
// row changes as a changeset in the session extension's format (sqlite3session.h), which
// sqlite3changeset_apply replays and the change feed decodes. It records what the session
// extension would, without its cost: the extension learns each table's columns and prepares a
// SELECT per table on every transaction (ten prepares for a one-row write); here both are kept
// per connection (SchemaFacts) until the schema changes. The changeset is complete only if every
// row the transaction changed lives in a table it can key: one with a PRIMARY KEY that cannot
// hold NULL. Anything else (a table without one, a nullable key column) makes the changeset
// unusable for a replay, and the caller re-runs the function instead. Changes outside tables
// (schema, user_version) are caught by the VFS, which sees page 1 change
// (vfs::LostRace::header_changed).
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite {

// A transaction's row changes, and every table it changed (including tables the changeset
// cannot carry: ApplyChangeset refuses those).
struct RecordedChanges {
  std::string changeset;
  std::set<std::string> tables;
  // false: the changeset is empty and unusable, because the changes outgrew the memory limit or
  // touched a table whose rows a changeset cannot carry faithfully (generated columns, a
  // table's columns changed by the transaction itself)
  bool complete = true;
};

// How a changeset carries a table's rows (SchemaFacts::Shape).
struct TableShape {
  int columns = 0;  // every column (preupdate events count them all)
  // Per column: its place in the PRIMARY KEY (1-based), 0 if none; the changeset's table header.
  std::string key;
  // A changeset carries its rows: it has a PRIMARY KEY and no generated column (which a
  // changeset leaves out, and sqlite3changeset_apply computes).
  bool carried = false;
  // SELECT every column FROM the table WHERE each key column IS ?<its column number>.
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> select{nullptr, sqlite3_finalize};
};

class SchemaFacts;

class ChangeRecorder {
 public:
  // Starts recording the changes of the transaction open on `db` (call right after BEGIN), whose
  // schema `facts` describes; `facts` must outlive the recorder. Past `memory_limit` bytes of
  // recorded changes it stops recording, and the changes are unusable: a transaction that big
  // runs again rather than holding its rows twice in memory (docs/vfs.md, "Memory"). It owns the
  // connection's preupdate hook until it ends.
  static Result<std::unique_ptr<ChangeRecorder>> Start(sqlite3* db, SchemaFacts& facts,
                                                       uint64_t memory_limit);
  ~ChangeRecorder();
  ChangeRecorder(const ChangeRecorder&) = delete;
  ChangeRecorder& operator=(const ChangeRecorder&) = delete;

  // The transaction's changes so far (an empty changeset if they are unusable). Call before
  // COMMIT: it reads the changed rows as they are now.
  Result<RecordedChanges> Finish();

 private:
  struct Table;
  ChangeRecorder(sqlite3* db, SchemaFacts& facts, uint64_t memory_limit, int64_t version);
  static void Hook(void* self, sqlite3* db, int op, const char* schema, const char* table,
                   sqlite3_int64 key1, sqlite3_int64 key2);
  void Note(int op, const char* table);
  Table* Find(const char* table);
  // A change to the row whose key the event's new values (`insert`) or old values hold.
  void NoteRow(Table& t, bool insert, bool indirect);
  void Stop();  // outgrown or unusable: drops the rows it holds, keeps noting tables
  // The changes of `t`, read through `shape`, in changeset form.
  Status AppendTable(std::string* out, const Table& t, TableShape& shape);

  sqlite3* db_;
  SchemaFacts& facts_;
  uint64_t memory_limit_;
  int64_t version_;                             // the schema cookie when recording started
  uint64_t bytes_ = 0;                          // an upper bound of what it holds and would write
  bool stopped_ = false;                        // see Stop()
  Status error_;                                // a failed look at the schema: Finish returns it
  std::vector<std::unique_ptr<Table>> tables_;  // every table changed, in the order first changed
};

// What every commit asks about a connection's schema, cheaply: from statements prepared once,
// and whether a table's rows are fully recorded remembered per schema cookie, which every schema
// change moves (the key SQLite's own schema cache trusts). Asking it afresh on every commit was
// a fifth of a one-row write's instructions. One per connection, kept across its transactions.
class SchemaFacts {
 public:
  explicit SchemaFacts(sqlite3* db) : db_(db) {}
  ~SchemaFacts();
  SchemaFacts(const SchemaFacts&) = delete;
  SchemaFacts& operator=(const SchemaFacts&) = delete;

  // The schema cookie (PRAGMA main.schema_version) as the open transaction sees it.
  Result<int64_t> Version();
  // Whether a ChangeRecorder records every row change of `table`: it has a PRIMARY KEY whose
  // columns cannot be NULL. `remember`: false when the open transaction changed the schema,
  // which may yet roll back (then its cookie may come back with another schema).
  Result<bool> FullyRecorded(const std::string& table, bool remember);
  // How a changeset carries the rows of `table` in the schema the open transaction sees, whose
  // cookie (Version) the caller just read; `remember` as above.
  Result<std::shared_ptr<TableShape>> Shape(const std::string& table, int64_t version,
                                            bool remember);

 private:
  // Forgets what another schema cookie than `version` taught.
  void Follow(int64_t version);

  sqlite3* db_;
  sqlite3_stmt* version_ = nullptr;
  sqlite3_stmt* columns_ = nullptr;    // a table's columns, for Shape
  int64_t known_version_ = -1;         // the cookie `known_` and `shapes_` were learned at
  std::map<std::string, bool> known_;  // FullyRecorded by table
  std::map<std::string, std::shared_ptr<TableShape>> shapes_;
};

// Applies `changes` inside the open transaction of `db` (whose schema `facts` describes), as the
// rows they record: triggers are off (their effects are already in them). Returns false, with
// nothing applied, if they cannot be replayed faithfully (a table the changeset cannot carry, or
// none at all) or any row conflicts: it was changed, deleted or inserted by someone else, or a
// constraint fails.
Result<bool> ApplyChangeset(sqlite3* db, SchemaFacts& facts, const RecordedChanges& changes);

// The CHANGESET section of the commit record of a transaction that made `changes` on the
// connection `facts` describes (docs/format.md): the changeset, and the tables whose rows it
// cannot carry.
Result<std::string> RowChangesSection(SchemaFacts& facts, const RecordedChanges& changes,
                                      bool schema_changed);

}  // namespace cloudlite
