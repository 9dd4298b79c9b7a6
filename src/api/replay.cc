#include "api/replay.h"

#include <algorithm>

#include "format/format.h"
#include "vfs/row_feed.h"

namespace cloudlite {
namespace {

Status SessionError(sqlite3* db, int rc, const char* what) {
  return Status::Internal(std::string(what) + ": " + sqlite3_errstr(rc) + " (" +
                          sqlite3_errmsg(db) + ")");
}

int AbortOnConflict(void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; }

}  // namespace

Result<std::unique_ptr<ChangeRecorder>> ChangeRecorder::Start(sqlite3* db, uint64_t memory_limit,
                                                              ProgressHandler chain) {
  sqlite3_session* session = nullptr;
  int rc = sqlite3session_create(db, "main", &session);
  if (rc != SQLITE_OK) return SessionError(db, rc, "starting a session");
  std::unique_ptr<ChangeRecorder> recorder(new ChangeRecorder(db, session, memory_limit, chain));
  int track_size = 1;  // for sqlite3session_changeset_size (Watch)
  rc = sqlite3session_object_config(session, SQLITE_SESSION_OBJCONFIG_SIZE, &track_size);
  if (rc != SQLITE_OK) return SessionError(db, rc, "starting a session");
  sqlite3session_table_filter(session, &ChangeRecorder::Filter, recorder.get());
  rc = sqlite3session_attach(session, nullptr);  // every table, as it is first changed
  if (rc != SQLITE_OK) return SessionError(db, rc, "starting a session");
  // A statement records at most one row per few VM instructions: checking every 1000 keeps the
  // overshoot to about 1000 rows' worth. A caller's handler may want to be asked more often.
  int every = 1000;
  if (chain.handler && chain.instructions > 0) every = std::min(every, chain.instructions);
  sqlite3_progress_handler(db, every, &ChangeRecorder::Watch, recorder.get());
  return recorder;
}

ChangeRecorder::~ChangeRecorder() {
  sqlite3_progress_handler(db_, chain_.handler ? chain_.instructions : 0, chain_.handler,
                           chain_.arg);
  sqlite3session_delete(session_);
}

int ChangeRecorder::Watch(void* self) {
  auto* recorder = static_cast<ChangeRecorder*>(self);
  // What the session holds (old values, keys) and what its changeset would (new values too).
  auto bytes = static_cast<uint64_t>(sqlite3session_memory_used(recorder->session_) +
                                     sqlite3session_changeset_size(recorder->session_));
  if (!recorder->too_big_ && bytes > recorder->memory_limit_) {
    recorder->too_big_ = true;
    sqlite3session_enable(recorder->session_, 0);
  }
  // The recorder never interrupts a statement; the caller's handler may.
  const ProgressHandler& chain = recorder->chain_;
  return chain.handler ? chain.handler(chain.arg) : 0;
}

int ChangeRecorder::Filter(void* self, const char* table) {
  static_cast<ChangeRecorder*>(self)->tables_.insert(table);
  return 1;
}

Result<RecordedChanges> ChangeRecorder::Finish() {
  (void)Watch(this);  // the last statement's changes count too
  if (too_big_) return RecordedChanges{{}, tables_, /*complete=*/false};
  int size = 0;
  void* bytes = nullptr;
  int rc = sqlite3session_changeset(session_, &size, &bytes);
  if (rc != SQLITE_OK) return SessionError(db_, rc, "reading the session's changes");
  RecordedChanges changes{std::string(static_cast<const char*>(bytes), static_cast<size_t>(size)),
                          tables_, /*complete=*/true};
  sqlite3_free(bytes);
  return changes;
}

SchemaFacts::~SchemaFacts() { sqlite3_finalize(version_); }

Result<int64_t> SchemaFacts::Version() {
  int rc = version_ ? SQLITE_OK
                    : sqlite3_prepare_v2(db_, "PRAGMA main.schema_version", -1, &version_, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(version_);
  const int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(version_, 0) : 0;
  sqlite3_reset(version_);
  if (rc != SQLITE_ROW) return SessionError(db_, rc, "reading the schema version");
  return version;
}

// The rule is vfs::FullyRecorded's (the plain VFS asks it too); this remembers its answers.
Result<bool> SchemaFacts::FullyRecorded(const std::string& table, bool remember) {
  CL_ASSIGN_OR_RETURN(int64_t version, Version());
  if (version != known_version_) {
    known_.clear();
    known_version_ = version;
  }
  if (auto it = known_.find(table); it != known_.end()) return it->second;
  CL_ASSIGN_OR_RETURN(bool fully, vfs::FullyRecorded(db_, "main", table));
  if (remember) known_[table] = fully;
  return fully;
}

Result<bool> ApplyChangeset(sqlite3* db, SchemaFacts& facts, const RecordedChanges& changes) {
  if (changes.changeset.empty()) return false;
  // Rows only: the transaction has not changed the schema.
  for (const std::string& table : changes.tables) {
    CL_ASSIGN_OR_RETURN(bool recorded, facts.FullyRecorded(table, /*remember=*/true));
    if (!recorded) return false;
  }
  const std::string& changeset = changes.changeset;
  int triggers = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &triggers);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  int rc = sqlite3changeset_apply(db, static_cast<int>(changeset.size()),
                                  const_cast<char*>(changeset.data()), nullptr, AbortOnConflict,
                                  nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, triggers, nullptr);
  if (rc == SQLITE_ABORT || (rc & 0xff) == SQLITE_CONSTRAINT) return false;
  if (rc != SQLITE_OK) return SessionError(db, rc, "replaying a transaction's changes");
  return true;
}

Result<std::string> RowChangesSection(SchemaFacts& facts, const RecordedChanges& changes,
                                      bool schema_changed) {
  format::RowChanges section;
  section.complete = changes.complete;
  section.schema_changed = schema_changed;
  section.changeset = changes.changeset;
  for (const std::string& table : changes.tables) {
    CL_ASSIGN_OR_RETURN(bool recorded, facts.FullyRecorded(table, !schema_changed));
    if (!recorded) section.unkeyed.push_back(table);
  }
  return format::EncodeRowChanges(section);
}

}  // namespace cloudlite
