// Replaying a write transaction's row changes on a newer version (docs/concurrency.md), so that
// a transaction that lost the commit race need not run its function again.
//
// A ChangeRecorder watches one transaction through SQLite's session extension. Its changeset is
// complete only if every row the transaction changed lives in a table the session extension can
// key: one with a PRIMARY KEY that cannot hold NULL. Anything else (a table without one, a
// nullable key column, changes no session records) makes the changeset unusable, and the caller
// re-runs the function instead. Changes outside tables (schema, user_version) are caught by the
// VFS, which sees page 1 change (vfs::LostRace::header_changed).
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "cloudlite/status.h"

namespace cloudlite {

// A transaction's row changes, and every table it changed (including tables the changeset
// cannot carry: ApplyChangeset refuses those).
// A progress handler as sqlite3_progress_handler takes it; `handler` null for none.
struct ProgressHandler {
  int instructions = 0;
  int (*handler)(void*) = nullptr;
  void* arg = nullptr;
};

struct RecordedChanges {
  std::string changeset;
  std::set<std::string> tables;
  bool complete = true;  // false: they outgrew the memory limit, and `changeset` is empty
};

class ChangeRecorder {
 public:
  // Starts recording the changes of the transaction open on `db` (call right after BEGIN).
  // Past `memory_limit` bytes of recorded changes it stops recording, and the changes are
  // unusable: a transaction that big runs again rather than holding its rows twice in memory
  // (docs/vfs.md, "Memory"). It watches through a progress handler that also calls `chain` (the
  // connection's own, which SQLite cannot tell us: the caller says) at least every
  // chain.instructions instructions and interrupts when it does; `chain` is installed again when
  // the recorder ends.
  static Result<std::unique_ptr<ChangeRecorder>> Start(sqlite3* db, uint64_t memory_limit,
                                                       ProgressHandler chain = {});
  ~ChangeRecorder();
  ChangeRecorder(const ChangeRecorder&) = delete;
  ChangeRecorder& operator=(const ChangeRecorder&) = delete;

  // The transaction's changes so far (an empty changeset if they outgrew the limit). Call
  // before COMMIT: the session reads current rows to build it.
  Result<RecordedChanges> Finish();

 private:
  ChangeRecorder(sqlite3* db, sqlite3_session* session, uint64_t memory_limit,
                 ProgressHandler chain)
      : db_(db), session_(session), memory_limit_(memory_limit), chain_(chain) {}
  static int Filter(void* self, const char* table);
  static int Watch(void* self);

  sqlite3* db_;
  sqlite3_session* session_;
  uint64_t memory_limit_;
  ProgressHandler chain_;
  bool too_big_ = false;          // stopped recording
  std::set<std::string> tables_;  // tables the transaction changed
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
  // Whether the session extension records every row change of `table`: it has a PRIMARY KEY
  // whose columns cannot be NULL. `remember`: false when the open transaction changed the
  // schema, which may yet roll back (then its cookie may come back with another schema).
  Result<bool> FullyRecorded(const std::string& table, bool remember);

 private:
  sqlite3* db_;
  sqlite3_stmt* version_ = nullptr;
  int64_t known_version_ = -1;         // the cookie `known_` was learned at
  std::map<std::string, bool> known_;  // FullyRecorded by table
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
