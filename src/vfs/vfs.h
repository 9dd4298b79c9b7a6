// The "cloudlite" SQLite VFS: SQLite runs unchanged on a database held by an Engine.
//
//   file:NAME?vfs=cloudlite&store=STORE-URI[&cache_dir=DIR&cache_size=BYTES&max_staleness_ms=N
//                                        &isolation=serializable|snapshot&write_memory=BYTES&lease=on|off...]
//
// Parameters are checked by vfs/options.h (docs/vfs.md lists them); an unknown one fails the
// open. STORE-URI falls back to $CLOUDLITE_STORE, options to CLOUDLITE_* variables.
// Database::Open passes typed Options instead (vfs/options.h, PendingOpen). The main database
// file maps onto the engine; rollback journals live in memory (spilled to an unlinked temporary
// file past write_memory, like the transaction's dirty pages); temporary files go to the
// default VFS. The commit point is SQLITE_FCNTL_SYNC (sent at every commit, whatever
// PRAGMA synchronous says): the engine's PutIfAbsent of the next log slot. A lost race there is
// SQLITE_BUSY, and SQLite rolls the transaction back -- unless the transaction can commit on
// the new version unchanged (nothing it read was changed there, and its pages can move; see
// main_file.h and docs/concurrency.md). WAL mode is refused.
//
// Files: vfs.cc registers the VFS and holds the C trampolines; main_file.h is the main file's
// state and transactions as a class; memory_file.h the journals; change_counter.h the counter
// SQLite's page cache hangs on; write_control.h what the library's transactions see.
//
// KEY ASSUMPTIONS about how SQLite calls a VFS (checked where cheap; see docs/vfs.md):
//  1. Writes to the main database file are whole, page-aligned pages of one size per
//     transaction, made only while holding at least a RESERVED lock.
//  2. A transaction that changes the database sends SQLITE_FCNTL_SYNC exactly once to the main
//     file before it drops to SHARED, and after its last write.
//  3. Reads of the main file happen only while holding at least SHARED; a read may be smaller
//     than a page (the 100-byte header) but never spans two pages.
//  4. A connection drops to NONE between transactions (locking_mode=NORMAL): that is where it
//     looks for newer versions. locking_mode=EXCLUSIVE is refused.
//  5. With xAccess answering "no" for journals, SQLite never looks for a hot journal; none can
//     exist, because nothing is durable until the commit record is.
//  6. One sqlite3_file is used by one thread at a time (SQLite's connection mutex).
//  (docs/vfs.md numbers the next two 9 and 10.)
//  7. The only read without a lock is the header read while SQLite opens the database.
//  8. SQLite hands each database file its connection (SQLITE_FCNTL_PDB, from sqlite3BtreeOpen),
//     and takes EXCLUSIVE on every database of a commit before any of them writes or syncs
//     (vdbeCommit): there a write transaction that spans another durable database is refused.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>

#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "vfs/write_control.h"

namespace cloudlite::vfs {

inline constexpr char kVfsName[] = "cloudlite";

// Registers the VFS (not as the default). Safe to call many times, from any thread.
int Register();

// Facts about the database open on a connection's main file.
struct FileInfo {
  uint64_t version = 0;
  uint32_t page_size = 0;
  uint32_t pages = 0;
  int64_t last_commit_micros = 0;
  uint64_t checkpoint_version = 0;
  uint64_t first_version = 1;
};

// What the write transactions of a connection held in memory and spilled to temporary files,
// since it opened (docs/vfs.md, "Memory").
struct WriteMemoryStats {
  uint64_t limit = 0;  // write_memory
  uint64_t dirty_peak_memory_bytes = 0;
  uint64_t dirty_spilled_bytes = 0;
  uint64_t journal_peak_memory_bytes = 0;
  uint64_t journal_spilled_bytes = 0;
};
Result<WriteMemoryStats> WriteMemory(sqlite3* db);

// The status behind the last error of the main file of `db`, else of a cloudlite database
// attached to it (Ok if none, or not ours). Also `PRAGMA [schema.]cloudlite_last_error`.
Status LastError(sqlite3* db);
// Info of the main file of `db`, as of its last transaction.
Result<FileInfo> Info(sqlite3* db);
// The error of the last failed open on this thread (SQLite cannot carry it from xOpen).
Status LastOpenError();

// The write transactions of `db`'s main file, for their owner (api/transaction.h); null when it
// is not a cloudlite database. The one way the library steers the VFS (write_control.h).
WriteControl* WriteControlOf(sqlite3* db);

// Records the row changes of commits made through the plain VFS (row_feed.h): installs the
// preupdate hook on `db` (if not null) and, once per process, on every connection opened later
// (sqlite3_auto_extension). The extension's init calls it. Overrides a preupdate hook of the
// user's own on those connections.
int RecordPlainRowChanges(sqlite3* db);

// The frame cache and freshness probes every connection of the process shares (main_file.cc).
struct SharedStats {
  uint64_t frame_hits = 0, frame_misses = 0;    // engine::FrameCache::Stats
  uint64_t probes_made = 0, probes_shared = 0;  // engine::SharedProbe::Stats
  uint64_t probes_unchanged = 0;
  uint64_t records_known = 0;         // engine::FrameCache::Stats::record_hits
  uint64_t cache_capacity_bytes = 0;  // engine::FrameCache::capacity
};
SharedStats ProcessSharedStats();
// Raises the process's frame cache budget (FrameCache::Reserve) before any database opens.
void ReserveSharedCache(size_t bytes);

}  // namespace cloudlite::vfs
