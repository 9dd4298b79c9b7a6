// MainFile: one connection's main database file, the C++ side of the VFS's main-file
// trampolines (vfs.cc). It holds an Engine, the open transaction's dirty pages and what it
// read, and commits at SQLITE_FCNTL_SYNC; every operation returns a Status, and the trampolines
// turn it into a SQLite code.
//
// The engine stores pages of one size, fixed when the database is created (the size of SQLite's
// first writes). SQLite's own page size may change later (PRAGMA page_size + VACUUM copies a
// database of another page size in): reads and writes are byte ranges re-chunked into engine
// pages, so any page size SQLite uses maps onto the stored one.
//
// A write transaction's life here: BeginWrite (the lock reaches RESERVED) records its snapshot;
// Write buffers whole engine pages; Commit publishes them as the next version. When another
// commit took that version (a lost race, docs/concurrency.md) the transaction may still commit
// on top of it without running again, if nothing it depends on changed there: under
// kSerializable the pages it read, under kSnapshot the pages it wrote (page 1 counts only outside
// the header fields every commit rewrites). If its pages can also move (it allocated nothing and
// left page 1 alone), Commit moves them onto the new version itself, backing off first; otherwise
// it fails with Busy, and the owner of the transaction (api/transaction.h) learns why through
// WriteControl::Outcome, and may replay the row changes or run the transaction again.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "engine/dirty_pages.h"
#include "engine/engine.h"
#include "engine/writer_lease.h"
#include "vfs/change_counter.h"
#include "vfs/journal_buffer.h"
#include "vfs/options.h"
#include "vfs/page_set.h"
#include "vfs/row_feed.h"
#include "vfs/vfs.h"
#include "vfs/write_control.h"

namespace cloudlite::vfs {

class MainFile final : public WriteControl {
 public:
  // Opens the database `request` names; `read_only` as SQLite opened the file.
  static Result<std::unique_ptr<MainFile>> Open(const OpenRequest& request, bool create,
                                                bool read_only);
  ~MainFile();  // releases the writer lease if held
  MainFile(const MainFile&) = delete;
  MainFile& operator=(const MainFile&) = delete;

  const std::string& name() const { return name_; }
  bool read_only() const { return read_only_; }
  int lock() const { return lock_; }
  const engine::Engine& engine() const { return *engine_; }
  // The status behind the last error this file returned to SQLite (PRAGMA cloudlite_last_error).
  const Status& last_error() const { return last_error_; }
  // Remembers `s` as the last error and logs it; returns the SQLite code for it.
  int Fail(const Status& s, int fallback);
  // SQLITE_READONLY for a write on a read-only file; one opened at a past version (time
  // travel) also remembers why, for the caller.
  int RefuseWrite();

  // The connection, as SQLite hands it over (SQLITE_FCNTL_PDB; assumption 8 in vfs.h): to see
  // its other databases. Null until then.
  sqlite3* connection() const { return connection_ ? *connection_ : nullptr; }
  void set_connection(sqlite3* const* connection) { connection_ = connection; }

  // ---- SQLite's file operations ----
  // The file size in bytes: the transaction's inside a write transaction.
  uint64_t size() const { return lock_ >= SQLITE_LOCK_RESERVED ? txn_size_ : size_at_version(); }
  // Copies the bytes [offset, offset + amt) that exist; returns how many (fewer past the end).
  Result<uint64_t> Read(uint64_t offset, char* out, uint64_t amt);
  // Writes inside a write transaction (Internal otherwise).
  Status Write(uint64_t offset, const char* in, uint64_t amt);
  void Truncate(uint64_t size);

  // ---- the transaction, at SQLite's locks ----
  // The lock leaves NONE: looks for newer versions (unless a write skips the probe).
  Status StartTransaction();
  // PRAGMA cloudlite_min_version: the next transaction to start looks for newer versions
  // whatever max_staleness allows if this connection has not seen `version` yet.
  void set_min_version(uint64_t version) { min_version_ = version; }
  // The lock reaches RESERVED: a write transaction starts on the engine's version.
  Status BeginWrite();
  void RaiseLock(int level) { lock_ = std::max(lock_, level); }
  // The lock drops to `level`: below RESERVED, the write transaction is over.
  void Unlock(int level);
  // SQLITE_FCNTL_SYNC: publishes the transaction as the next version, moving it onto newer
  // versions when it lost a race and may. Once a commit failed, call nothing more: SQLite's
  // rollback syncs again, and that must fail with the first failure (commit_failed()).
  Status Commit();
  bool commit_failed() const { return commit_failed_; }
  // SQLITE_FCNTL_COMMIT_PHASETWO: a write transaction committed, or had nothing to commit.
  void CommitEnded();

  // A journal bounded by this database's write_memory (docs/vfs.md, "Memory").
  std::unique_ptr<JournalBuffer> NewJournal() const;
  WriteMemoryStats write_memory() const;

  // ---- WriteControl (api/transaction.h) ----
  void PrepareWrite(const NextWrite& next) override;
  void BeginView() override;
  void EndView() override;
  WriteOutcome Outcome() const override;
  Result<bool> ConfirmReads() override;
  void SetRowChanges(std::string section) override;
  void SetDurableHook(const std::function<void(uint64_t version)>* hook) override;

  // ---- row changes of the plain VFS (row_feed.h) ----
  // The library owns this file's transactions (WriteControlOf): it records their rows itself.
  void set_owned() { owned_ = true; }
  // One preupdate event of the connection's hook, for a table of this database.
  void NoteRowChange(sqlite3* db, int op, const char* table, int64_t key1, int64_t key2);

 private:
  MainFile() = default;

  uint32_t page_size() const {
    return engine_->page_size() != 0 ? engine_->page_size() : new_page_size_;
  }
  uint64_t size_at_version() const { return uint64_t{engine_->db_pages()} * engine_->page_size(); }
  // The engine page `pgno` as the transaction sees it: dirty, committed, or zeros.
  Status ReadPage(uint32_t pgno, char* out);
  // Page 1 as stored at the engine's version ("" for an empty database).
  Result<std::string> StoredPage1();
  // The transaction's page 1, if it wrote one ("" otherwise).
  Result<std::string> DirtyPage1() const;
  // Whether the transaction depends on page `pgno`: under kSnapshot a write depends on what it
  // wrote, and anything else on what it read.
  bool DependsOn(uint32_t pgno, bool writing) const;
  Status TakeLease();
  void ReleaseLease();
  // Whether what the transaction depends on is the same at the engine's version as at
  // `validated_`. If not, `why` says what changed.
  Result<bool> StillValid(bool writing, LostRace* why);
  // After a lost race: catches up, and moves the transaction's pages onto the new version if it
  // may commit there unchanged. Returns whether it moved (then `*db_pages` is the new size).
  // Otherwise `lost_` says why, and `carry_` what a replay would inherit.
  Result<bool> MoveToLatest(uint32_t* db_pages);
  // One PutIfAbsent of the next version, timing a lost race's round trip.
  Status Publish(uint32_t page_size, uint32_t db_pages);
  void CountLostRace();
  // The CHANGESET section of a plain-VFS commit of `db_pages` pages whose page 1 is `page1`
  // ("" if unchanged), from the rows its hook saw touched; "" when it records none.
  std::string PlainRowChanges(const std::string& page1, uint32_t db_pages);

  std::string name_;  // the database's
  std::unique_ptr<engine::Engine> engine_;
  // The advisory writer lease (docs/concurrency.md), taken for each write transaction so that
  // writers of the plain VFS take turns instead of failing with SQLITE_BUSY; null when off.
  std::unique_ptr<engine::WriterLease> lease_;
  std::chrono::milliseconds lease_wait_{5000};
  bool read_only_ = false;
  Isolation isolation_ = Isolation::kSerializable;
  int lock_ = SQLITE_LOCK_NONE;
  sqlite3* const* connection_ = nullptr;
  Status last_error_;

  // Engine pages changed by the open write transaction, and its journals: in memory up to
  // write_memory bytes each, then in temporary files (docs/vfs.md, "Memory").
  engine::DirtyPages dirty_;
  uint64_t write_memory_ = 0;
  std::string spill_dir_;
  std::shared_ptr<JournalStats> journal_stats_ = std::make_shared<JournalStats>();
  uint64_t txn_size_ = 0;       // the file size, in bytes, inside a write transaction
  uint32_t new_page_size_ = 0;  // the page size of a database that has none yet
  bool txn_dirty_ = false;      // written or truncated since RESERVED
  bool commit_failed_ = false;  // this write transaction's commit failed: it publishes nothing
  std::string row_changes_;     // its CHANGESET section, if its owner recorded one
  const std::function<void(uint64_t)>* on_durable_ = nullptr;  // SetDurableHook, until called
  bool owned_ = false;                                         // set_owned
  bool change_feed_ = true;                                    // Options::change_feed
  TouchedRows touched_;                // rows the plain VFS's hook saw the transaction touch
  std::unique_ptr<RowDiffer> differ_;  // what they changed, made on the first such commit

  ChangeCounter counter_;  // what SQLite's page cache holds, and when it drops it
  // Pages SQLite may hold in its page cache: everything served since it last dropped its cache
  // (change_counter.h). A transaction may read any of them without asking, so together they are
  // its read set.
  PageSet cached_;
  std::string read_buffer_;  // Read's page, for reads of part of one

  bool expect_write_ = false;   // the next transaction is a write: skip the freshness probe
  bool probe_skipped_ = false;  // the current (or last) transaction skipped it
  uint64_t min_version_ = 0;    // set_min_version, for the next transaction
  uint64_t view_ = 0;           // the owner's current view (BeginView), 0 outside one
  uint64_t views_begun_ = 0;
  uint64_t probed_in_view_ = 0;  // the view whose transaction last probed, 0 if none
  bool published_ = false;       // the current (or last) write transaction committed

  // The open write transaction's bases. Its dirty pages were made on `snapshot_`; what it
  // depends on is known unchanged up to `validated_` (the two differ for a replay, which
  // inherits the read set of the transaction it replays).
  uint64_t snapshot_ = 0;
  uint32_t snapshot_pages_ = 0;
  std::string snapshot_page1_;  // page 1 as stored at `snapshot_` ("" for an empty database)
  uint64_t validated_ = 0;
  std::string validated_page1_;
  PageSet inherited_;  // read set inherited from the replayed transaction

  LostRace lost_;  // how the last lost race ended
  struct {         // what a replay of the last transaction would inherit
    PageSet reads;
    uint64_t version = 0;
    std::string page1;
    bool valid = false;  // the last lost race left nothing read changed
    bool armed = false;  // NextWrite::inherit_reads: the next write transaction inherits it
  } carry_;
  RaceCounts races_;
  Contention contention_;
};

}  // namespace cloudlite::vfs
