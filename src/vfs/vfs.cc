#include "vfs/vfs.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>

#include "base/retry.h"
#include "engine/engine.h"
#include "engine/writer_lease.h"
#include "format/format.h"
#include "store/registry.h"
#include "vfs/journal_buffer.h"
#include "vfs/options.h"
#include "vfs/page_set.h"
#include "vfs/sqlite_header.h"
#include "vfs/status_mapping.h"

namespace cloudlite::vfs {
namespace {

// Private opcode: hands the library the main file's state (never seen by other VFSes).
constexpr int kFcntlCloudFile = 0x436c0001;
// How many times one commit moves onto a newer version before SQLite is told SQLITE_BUSY.
constexpr int kMaxRebases = 8;

sqlite3_vfs* g_default = nullptr;  // the platform VFS, for temp files and utilities
thread_local Status g_last_open_error;

// One frame cache for the process's connections. Never destroyed: connections may still be
// closing during exit.
const std::shared_ptr<engine::FrameCache>& SharedCache() {
  static auto* cache = new std::shared_ptr<engine::FrameCache>(
      std::make_shared<engine::FrameCache>(kDefaultCacheBytes));
  return *cache;
}

// The main database file: an Engine plus the open transaction's dirty pages and what it read.
//
// The engine stores pages of one size, fixed when the database is created (the size of
// SQLite's first writes). SQLite's own page size may change later (PRAGMA page_size + VACUUM
// copies a database of another page size in): reads and writes are byte ranges re-chunked into
// engine pages, so any page size SQLite uses maps onto the stored one.
//
// Lost races (docs/concurrency.md): when another commit took the next version, the transaction
// may still commit on top of it without running again, if nothing it depends on changed there:
// under kSerializable the pages it read, under kSnapshot the pages it wrote (page 1 counts only
// outside the header fields every commit rewrites). If its pages can also move (it allocated
// nothing and left page 1 alone), the VFS commits them on the new version itself; otherwise the
// library can replay the transaction's row changes there (ContinueAsReplay).
struct MainFile {
  std::string name;  // the database's
  std::unique_ptr<engine::Engine> engine;
  // The advisory writer lease (docs/concurrency.md), taken for each write transaction so that
  // writers of the plain VFS take turns instead of failing with SQLITE_BUSY; null when off.
  std::unique_ptr<engine::WriterLease> lease;
  std::chrono::milliseconds lease_wait{5000};
  bool read_only = false;
  Isolation isolation = Isolation::kSerializable;
  int lock = SQLITE_LOCK_NONE;
  // Engine pages changed by the open write transaction, and its journals: in memory up to
  // write_memory bytes each, then in temporary files (docs/vfs.md, "Memory").
  engine::DirtyPages dirty;
  uint64_t write_memory = 0;
  std::string spill_dir;
  std::shared_ptr<JournalStats> journal_stats = std::make_shared<JournalStats>();
  uint64_t txn_size = 0;       // the file size, in bytes, inside a write transaction
  uint32_t new_page_size = 0;  // the page size of a database that has none yet
  bool txn_dirty = false;      // written or truncated since RESERVED
  bool commit_failed = false;  // this write transaction's commit failed: it publishes nothing
  // The connection this file belongs to, as SQLite hands it over (SQLITE_FCNTL_PDB, assumption
  // 9 in vfs.h): to see the connection's other databases. Null until then.
  sqlite3* const* connection = nullptr;
  // Added to the version to make the change counter SQLite sees (sqlite_header.h). A failed
  // commit leaves SQLite believing the counter it wrote (version + 1 + offset); the winner's
  // version v + 1 would show the same counter, and SQLite would keep pages it rolled back. A new
  // offset after every failed commit makes the next counter differ from anything it cached.
  uint32_t counter_offset = 0;
  Status last_error;

  // Pages SQLite may hold in its page cache: everything served since it last had reason to drop
  // its cache (a transaction that starts with a different change counter). A transaction may
  // read any of them without asking, so together they are its read set.
  PageSet cached;
  uint32_t cached_counter = 0;  // the change counter SQLite holds `cached` under

  bool expect_write = false;   // the next transaction is a write: skip the freshness probe
  bool probe_skipped = false;  // the current (or last) transaction skipped it
  bool published = false;      // the current (or last) write transaction committed

  // The open write transaction's bases. Its dirty pages were made on `snapshot`; what it
  // depends on is known unchanged up to `validated` (the two differ for a replay, which carries
  // the read set of the transaction it replays).
  uint64_t snapshot = 0;
  uint32_t snapshot_pages = 0;
  std::string snapshot_page1;  // page 1 as stored at `snapshot` ("" for an empty database)
  uint64_t validated = 0;
  std::string validated_page1;
  PageSet carried;  // read set inherited from the replayed transaction

  LostRace lost;  // how the last lost race ended
  struct {        // what a replay of the last transaction would inherit
    PageSet reads;
    uint64_t version = 0;
    std::string page1;
    bool valid = false;  // the last lost race left nothing read changed
    bool armed = false;  // ContinueAsReplay: the next write transaction inherits it
  } carry;
  RaceCounts races;
  std::chrono::microseconds round_trip{0};  // of the latest commit attempt that lost a race
  // Races lost in a row, counted across transactions and halved by each write transaction that
  // commits (one with nothing to commit counts): the contention the next backoff starts from
  // (docs/concurrency.md, "Backing off").
  int lost_in_a_row = 0;

  void CountLostRace() {
    races.lost++;
    lost_in_a_row++;
  }

  uint64_t counter() const { return engine->version() + counter_offset; }

  uint32_t page_size() const {
    return engine->page_size() != 0 ? engine->page_size() : new_page_size;
  }
  uint64_t size_at_version() const { return uint64_t{engine->db_pages()} * engine->page_size(); }
  uint64_t size() const { return lock >= SQLITE_LOCK_RESERVED ? txn_size : size_at_version(); }
  int Fail(const Status& s, int fallback) {
    last_error = s;
    sqlite3_log(fallback, "cloudlite: %s", s.ToString().c_str());
    return SqliteCodeFor(s, fallback);
  }
  // The engine page `pgno` as the transaction sees it: dirty, committed, or zeros.
  Status ReadPage(uint32_t pgno, char* out) {
    if (dirty.contains(pgno)) return dirty.Read(pgno, out);
    cached.Insert(pgno);
    if (pgno > engine->db_pages()) {
      std::memset(out, 0, page_size());
      return Status::Ok();
    }
    CL_RETURN_IF_ERROR(engine->ReadPage(pgno, out));
    if (pgno == 1) StampHeader(out, page_size(), counter(), size_at_version());
    return Status::Ok();
  }
  // Page 1 as stored at the engine's version ("" for an empty database).
  Result<std::string> StoredPage1() {
    if (!engine->exists()) return std::string();
    std::string page(engine->page_size(), '\0');
    CL_RETURN_IF_ERROR(engine->ReadPage(1, page.data()));
    return page;
  }
  // The transaction's page 1, if it wrote one ("" otherwise).
  Result<std::string> DirtyPage1() const {
    if (!dirty.contains(1)) return std::string();
    std::string page(page_size(), '\0');
    CL_RETURN_IF_ERROR(dirty.Read(1, page.data()));
    return page;
  }
  // Whether the transaction depends on page `pgno`: under kSnapshot a write depends on what
  // it wrote (see the struct comment), and anything else on what it read.
  bool DependsOn(uint32_t pgno, bool writing) const {
    if (writing && isolation == Isolation::kSnapshot) return dirty.contains(pgno);
    return cached.Contains(pgno) || carried.Contains(pgno);
  }
};

// Takes the writer lease for a transaction about to write. Busy when, having waited for
// another writer, this transaction's snapshot turns out stale: SQLite then starts over (its busy
// handler, or the caller) on the newer version, with the lease still held. Store errors are
// ignored: the lease is advice.
Status TakeLease(MainFile& m) {
  if (!m.lease) return Status::Ok();
  uint64_t waits = m.lease->stats().waited;
  Result<bool> held = m.lease->Acquire(m.lease_wait);
  if (!held.ok() || !*held || m.lease->stats().waited == waits) return Status::Ok();
  Result<bool> latest = m.engine->IsLatest();
  if (latest.ok() && !*latest) {
    return Status::Busy("another writer committed while this one waited for the writer lease");
  }
  return Status::Ok();
}

void ReleaseLease(MainFile& m) {
  if (m.lease && m.lease->held()) (void)m.lease->Release();
}

struct File {
  sqlite3_file base;
  MainFile* main;
  JournalBuffer* memory;  // a rollback journal or super-journal (journal_buffer.h)
};

File* AsFile(sqlite3_file* f) { return reinterpret_cast<File*>(f); }

// Every trampoline runs its body through here: no exception crosses into SQLite.
template <typename Fn>
int Guard(Fn fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (...) {
    return SQLITE_IOERR;
  }
}

// ---- main database file ---------------------------------------------------------------------

int MainClose(sqlite3_file* f) {
  return Guard([&] {
    ReleaseLease(*AsFile(f)->main);
    delete AsFile(f)->main;
    AsFile(f)->main = nullptr;
    return SQLITE_OK;
  });
}

// SQLite reads the header once while it opens the database, before any lock, only to learn the
// page size; the first transaction reads page 1 again. A failure there would fail the open
// with a bare SQLite code, so it is remembered instead (Database::Open returns it, and
// PRAGMA cloudlite_last_error shows it) and SQLite gets a short read: zeros, as for a new file.
// The first transaction then fails on the same object, under its lock, with the same status.
int FailHeaderAtOpen(MainFile& m, const Status& s, void* buf, int amt) {
  m.Fail(s, SQLITE_IOERR_READ);
  std::memset(buf, 0, static_cast<size_t>(amt));
  return SQLITE_IOERR_SHORT_READ;
}

int MainRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    MainFile& m = *AsFile(f)->main;
    char* out = static_cast<char*>(buf);
    uint64_t offset = static_cast<uint64_t>(off);
    uint64_t end = std::min(offset + static_cast<uint64_t>(amt), m.size());
    uint32_t page_size = m.page_size();
    std::string page(page_size, '\0');
    for (uint64_t pos = offset; pos < end;) {
      uint32_t pgno = static_cast<uint32_t>(pos / page_size + 1);
      uint64_t within = pos % page_size;
      uint64_t n = std::min<uint64_t>(page_size - within, end - pos);
      Status s = m.ReadPage(pgno, page.data());
      if (!s.ok() && m.lock == SQLITE_LOCK_NONE) return FailHeaderAtOpen(m, s, buf, amt);
      if (!s.ok()) return m.Fail(s, SQLITE_IOERR_READ);
      std::memcpy(out + (pos - offset), page.data() + within, n);
      pos += n;
    }
    if (end < offset + static_cast<uint64_t>(amt)) {
      uint64_t got = end > offset ? end - offset : 0;
      std::memset(out + got, 0, static_cast<size_t>(amt) - got);
      return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
  });
}

int MainWrite(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    MainFile& m = *AsFile(f)->main;
    if (m.read_only) return SQLITE_READONLY;
    if (m.lock < SQLITE_LOCK_RESERVED || off < 0) {
      return m.Fail(Status::Internal("write outside a write transaction"), SQLITE_IOERR_WRITE);
    }
    if (m.page_size() == 0) {
      if (!format::IsValidPageSize(static_cast<uint32_t>(amt))) {
        return m.Fail(Status::Internal("first write of " + std::to_string(amt) + " bytes"),
                      SQLITE_IOERR_WRITE);
      }
      m.new_page_size = static_cast<uint32_t>(amt);
    }
    uint32_t page_size = m.page_size();
    const char* in = static_cast<const char*>(buf);
    uint64_t offset = static_cast<uint64_t>(off);
    uint64_t end = offset + static_cast<uint64_t>(amt);
    std::string page;
    for (uint64_t pos = offset; pos < end;) {
      uint32_t pgno = static_cast<uint32_t>(pos / page_size + 1);
      uint64_t within = pos % page_size;
      uint64_t n = std::min<uint64_t>(page_size - within, end - pos);
      std::string_view whole;
      if (n == page_size) {
        whole = std::string_view(in + (pos - offset), page_size);
      } else {  // a partial page: start from what is there
        page.resize(page_size);
        Status s = m.ReadPage(pgno, page.data());
        if (!s.ok()) return m.Fail(s, SQLITE_IOERR_WRITE);
        std::memcpy(page.data() + within, in + (pos - offset), n);
        whole = page;
      }
      Status s = m.dirty.Write(pgno, whole);
      if (!s.ok()) return m.Fail(s, SQLITE_IOERR_WRITE);
      pos += n;
    }
    m.txn_size = std::max(m.txn_size, end);
    m.txn_dirty = true;
    return SQLITE_OK;
  });
}

int MainTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Guard([&] {
    MainFile& m = *AsFile(f)->main;
    if (m.read_only) return SQLITE_READONLY;
    if (m.lock < SQLITE_LOCK_RESERVED || m.page_size() == 0) return SQLITE_OK;
    uint64_t bytes = static_cast<uint64_t>(size);
    uint64_t pages = (bytes + m.page_size() - 1) / m.page_size();
    m.dirty.EraseAfter(static_cast<uint32_t>(pages));
    m.txn_size = bytes;
    m.txn_dirty = true;
    return SQLITE_OK;
  });
}

int MainSync(sqlite3_file*, int) { return SQLITE_OK; }  // the commit is at SQLITE_FCNTL_SYNC

int MainFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Guard([&] {
    *size = static_cast<sqlite3_int64>(AsFile(f)->main->size());
    return SQLITE_OK;
  });
}

// Starts a write transaction (the lock reaches RESERVED) on the engine's version.
Status BeginWrite(MainFile& m) {
  CL_RETURN_IF_ERROR(TakeLease(m));
  m.dirty.Clear();
  m.txn_size = m.size();
  m.txn_dirty = false;
  m.published = false;
  m.lost = {};
  m.snapshot = m.engine->version();
  m.snapshot_pages = m.engine->db_pages();
  CL_ASSIGN_OR_RETURN(m.snapshot_page1, m.StoredPage1());
  m.carried.Clear();
  if (m.carry.armed && m.carry.valid && m.carry.version <= m.snapshot) {
    m.validated = m.carry.version;
    m.validated_page1 = std::move(m.carry.page1);
    m.carried = std::move(m.carry.reads);
  } else {
    m.validated = m.snapshot;
    m.validated_page1 = m.snapshot_page1;
  }
  m.carry = {};
  return Status::Ok();
}

// The durable database (not temp, not in memory) other than `self` that holds a write transaction
// on the connection, if any. SQLite commits a transaction's databases one after another, each
// for good, so a write transaction must not span a cloudlite database and another durable one:
// a lost race (or a failure) on the second would leave the first committed.
std::optional<std::string> OtherWriter(sqlite3_file* self, const MainFile& m) {
  if (m.connection == nullptr || *m.connection == nullptr) return std::nullopt;
  sqlite3* db = *m.connection;
  for (int i = 0; const char* schema = sqlite3_db_name(db, i); i++) {
    const char* path = sqlite3_db_filename(db, schema);
    if (path == nullptr || *path == '\0') continue;
    sqlite3_file* file = nullptr;
    sqlite3_file_control(db, schema, SQLITE_FCNTL_FILE_POINTER, &file);
    if (file == self) continue;
    if (sqlite3_txn_state(db, schema) == SQLITE_TXN_WRITE) return std::string(schema);
  }
  return std::nullopt;
}

// Checked when this file's transaction starts writing (RESERVED) and again when SQLite is about
// to write it out (EXCLUSIVE: before any database of the commit writes or syncs, whatever
// their order), so that such a transaction is refused before anything commits.
Status RefuseSecondWriter(sqlite3_file* self, const MainFile& m) {
  std::optional<std::string> other = OtherWriter(self, m);
  if (!other) return Status::Ok();
  return Status::NotSupported(
      "a write transaction cannot span cloudlite database '" + m.name +
      "' and another durable database ('" + *other +
      "'): SQLite commits them one after another, so a lost race on one could leave the other "
      "committed; write to each in its own transaction (BEGIN, not BEGIN IMMEDIATE, when "
      "reading across them)");
}

int MainLock(sqlite3_file* f, int level) {
  return Guard([&] {
    MainFile& m = *AsFile(f)->main;
    if (m.lock == SQLITE_LOCK_NONE && level >= SQLITE_LOCK_SHARED) {
      m.last_error = Status::Ok();
      // A write needs no probe: committing on a stale version fails, and the commit then
      // catches up (Commit). A connection that never synced, or whose last commit failed,
      // probes anyway.
      m.probe_skipped = m.expect_write && m.engine->synced();
      m.expect_write = false;
      if (!m.probe_skipped) {
        auto refreshed = m.engine->Refresh();
        if (!refreshed.ok()) return m.Fail(refreshed.status(), SQLITE_IOERR_LOCK);
      }
      // A write that may rebase wants its exact read set: a new counter makes SQLite drop its
      // page cache and read every page it needs through us (from the frame cache: cheap).
      if (m.probe_skipped && static_cast<uint32_t>(m.counter()) == m.cached_counter) {
        m.counter_offset++;
      }
      auto counter = static_cast<uint32_t>(m.counter());
      if (counter != m.cached_counter) {  // SQLite will drop its page cache on seeing it
        m.cached.Clear();
        m.cached_counter = counter;
      }
    }
    if (m.lock < SQLITE_LOCK_RESERVED && level >= SQLITE_LOCK_RESERVED) {
      if (m.read_only) return SQLITE_READONLY;
      Status refused = RefuseSecondWriter(f, m);
      if (!refused.ok()) return m.Fail(refused, SQLITE_READONLY);
      Status s = BeginWrite(m);
      if (!s.ok()) return m.Fail(s, SQLITE_IOERR_LOCK);
    }
    if (m.lock < SQLITE_LOCK_EXCLUSIVE && level == SQLITE_LOCK_EXCLUSIVE) {
      Status refused = RefuseSecondWriter(f, m);
      if (!refused.ok()) return m.Fail(refused, SQLITE_READONLY);
    }
    m.lock = std::max(m.lock, level);
    return SQLITE_OK;
  });
}

int MainUnlock(sqlite3_file* f, int level) {
  return Guard([&] {
    MainFile& m = *AsFile(f)->main;
    if (level < SQLITE_LOCK_RESERVED) {
      if (m.lock >= SQLITE_LOCK_RESERVED) ReleaseLease(m);
      m.dirty.Clear();  // committed at SQLITE_FCNTL_SYNC, or rolled back
      m.txn_dirty = false;
      if (m.commit_failed) m.counter_offset += 0x80000000u;
      m.commit_failed = false;
    }
    m.lock = std::min(m.lock, level);
    return SQLITE_OK;
  });
}

int MainCheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;  // no other connection's journal can ever be hot
  return SQLITE_OK;
}

// Whether what the transaction depends on is the same at the engine's version as at
// `validated` (MainFile::DependsOn). If not, `why` says what changed.
Result<bool> StillValid(MainFile& m, bool writing = true, LostRace* why = nullptr) {
  LostRace ignored;
  if (!why) why = &ignored;
  if (m.validated == m.engine->version()) return true;
  std::optional<std::set<uint32_t>> changed = m.engine->ChangedPagesSince(m.validated);
  if (!changed) {
    why->pages_changed = why->schema_changed = true;  // unknown: assume everything
    return false;
  }
  for (uint32_t pgno : *changed) {
    if (pgno != 1 && m.DependsOn(pgno, writing)) why->pages_changed = true;
  }
  if (changed->count(1)) {
    CL_ASSIGN_OR_RETURN(std::string page1, m.StoredPage1());
    if (!SamePage1(m.validated_page1, page1, /*ignore_allocation=*/true)) {
      why->schema_changed = true;
    }
    if (!why->pages_changed && !why->schema_changed) m.validated_page1 = std::move(page1);
  }
  if (why->pages_changed || why->schema_changed) return false;
  m.validated = m.engine->version();
  return true;
}

// After a lost race: catches up, and moves the transaction's pages onto the new version if it
// may commit there unchanged. Returns whether it moved (then `*db_pages` is the new size).
// Otherwise `lost` says why, and `carry` what a replay would inherit.
Result<bool> MoveToLatest(MainFile& m, uint32_t* db_pages) {
  CL_RETURN_IF_ERROR(m.engine->Refresh(/*force=*/true).status());
  CL_ASSIGN_OR_RETURN(std::string page1, m.DirtyPage1());
  m.lost.header_changed =
      !page1.empty() && !SamePage1(m.snapshot_page1, page1, /*ignore_allocation=*/true);
  CL_ASSIGN_OR_RETURN(bool valid, StillValid(m, /*writing=*/true, &m.lost));
  if (!valid || m.lost.header_changed) return false;
  m.carry.reads = m.cached;
  m.carry.reads.Merge(m.carried);
  m.carry.version = m.validated;
  m.carry.page1 = m.validated_page1;
  m.carry.valid = true;

  // Pages move only if the transaction neither allocated nor freed any (page 1 differs only in
  // its counters, the size is unchanged) and none of them changed meanwhile.
  bool allocated =
      !page1.empty() && !SamePage1(m.snapshot_page1, page1, /*ignore_allocation=*/false);
  uint32_t latest_pages = m.engine->db_pages();
  if (allocated || *db_pages != m.snapshot_pages || latest_pages < m.snapshot_pages) return false;
  std::optional<std::set<uint32_t>> changed = m.engine->ChangedPagesSince(m.snapshot);
  if (!changed) return false;
  for (uint32_t pgno : m.dirty.PageNumbers()) {
    if (pgno != 1 && (pgno > m.snapshot_pages || changed->count(pgno))) return false;
  }
  m.dirty.Erase(1);  // the latest page 1 stands
  m.snapshot = m.engine->version();
  m.snapshot_pages = latest_pages;
  CL_ASSIGN_OR_RETURN(m.snapshot_page1, m.StoredPage1());
  *db_pages = latest_pages;
  return true;
}

// See vfs::Backoff: full jitter (base/retry.h) strictly below the ceiling.
std::chrono::microseconds BackoffAfter(std::chrono::microseconds round_trip, int lost) {
  constexpr std::chrono::microseconds kMin{1000}, kMax{250000};
  const int64_t ceiling = BackoffCeiling(std::max(round_trip, kMin).count(), kMax.count(), lost);
  return std::chrono::microseconds(UniformUpTo(static_cast<uint64_t>(ceiling - 1)));
}

int Commit(MainFile& m) {
  // Once a commit failed, nothing more from this transaction may be published: SQLite's
  // rollback writes the journal back and syncs again, and not every page comes back (free pages
  // reused by the transaction are never journaled). That sync fails too, which also makes SQLite
  // drop its page cache; last_error keeps the first failure (Busy, Ambiguous, ...).
  if (m.commit_failed) return SqliteCodeFor(m.last_error, SQLITE_IOERR_FSYNC);
  if (!m.txn_dirty) return SQLITE_OK;
  // SQLite truncates a shrinking database only after this sync (pager_end_transaction), but
  // it has already written the final size into page 1.
  uint64_t bytes = m.txn_size;
  Result<std::string> page1 = m.DirtyPage1();
  if (!page1.ok()) return m.Fail(page1.status(), SQLITE_IOERR_FSYNC);
  if (!page1->empty()) bytes = HeaderDatabaseBytes(*page1).value_or(bytes);
  uint32_t page_size = m.page_size();
  auto pages = static_cast<uint32_t>((bytes + page_size - 1) / page_size);
  m.lost = {};
  m.carry = {};
  // A replay inherits a read set validated up to an older version: check it reaches this one.
  Result<bool> valid = StillValid(m, /*writing=*/true, &m.lost);
  auto publish = [&] {
    auto started = std::chrono::steady_clock::now();
    Status published = m.engine->Commit(m.dirty, page_size, pages);
    if (published.IsBusy()) {  // a lost race: one PutIfAbsent, the scale of Backoff
      m.round_trip = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started);
    }
    return published;
  };
  Status s = !valid.ok() ? valid.status()
             : !*valid   ? Status::Busy("what this transaction read was changed by a newer commit")
                         : publish();
  if (valid.ok() && !*valid) m.lost.happened = true;
  if (m.lost.happened || s.IsBusy()) m.CountLostRace();
  for (int moves = 0; s.IsBusy() && valid.ok() && *valid && moves < kMaxRebases; moves++) {
    m.lost.happened = true;
    // Moving right away would race the writers that lost together in lockstep, and lose to
    // the winner's next commit (docs/concurrency.md, "Backing off").
    std::this_thread::sleep_for(BackoffAfter(m.round_trip, m.lost_in_a_row));
    Result<bool> moved = MoveToLatest(m, &pages);
    if (!moved.ok()) s = moved.status();
    if (!moved.ok() || !*moved) break;
    s = publish();
    if (s.ok()) m.races.moved++;
    if (s.IsBusy()) m.CountLostRace();
  }
  if (!s.ok()) {
    m.commit_failed = true;
    return m.Fail(s, SQLITE_IOERR_FSYNC);
  }
  // SQLite now holds its pages under the counter it wrote: the one it read, plus one.
  m.cached_counter++;
  for (uint32_t pgno : m.dirty.PageNumbers()) m.cached.Insert(pgno);
  m.published = true;
  m.lost = {};
  m.dirty.Clear();
  m.txn_dirty = false;
  m.new_page_size = 0;
  return SQLITE_OK;
}

// PRAGMAs that would break the assumptions in vfs.h get a clear error instead.
int Pragma(MainFile& m, char** args) {
  std::string name = args[1] ? args[1] : "";
  std::string value = args[2] ? args[2] : "";
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  std::transform(value.begin(), value.end(), value.begin(), ::tolower);
  if (name == "journal_mode" && value == "wal") {
    args[0] = sqlite3_mprintf(
        "cloudlite does not support WAL mode: commits are atomic objects in the store; "
        "keep journal_mode=DELETE or MEMORY");
    return SQLITE_ERROR;
  }
  if (name == "locking_mode" && value == "exclusive") {
    args[0] = sqlite3_mprintf(
        "cloudlite does not support locking_mode=EXCLUSIVE: a connection must release its "
        "snapshot between transactions to see other writers' commits");
    return SQLITE_ERROR;
  }
  if (name == "cloudlite_version") {
    args[0] = sqlite3_mprintf("%llu", static_cast<unsigned long long>(m.engine->version()));
    return SQLITE_OK;
  }
  if (name == "cloudlite_last_error") {  // what SQLite's bare result code cannot say
    if (!m.last_error.ok()) args[0] = sqlite3_mprintf("%s", m.last_error.ToString().c_str());
    return SQLITE_OK;
  }
  return SQLITE_NOTFOUND;
}

int MainFileControl(sqlite3_file* f, int op, void* arg) {
  return Guard([&] {
    MainFile& m = *AsFile(f)->main;
    switch (op) {
      case SQLITE_FCNTL_SYNC:
        return Commit(m);
      case SQLITE_FCNTL_COMMIT_PHASETWO:
        // A write transaction committed, or had nothing to commit (not sent on rollback, so a
        // replay that conflicted and runs again does not count): contention is easing.
        if (!m.commit_failed) m.lost_in_a_row /= 2;
        return SQLITE_NOTFOUND;
      case SQLITE_FCNTL_PRAGMA:
        return Pragma(m, static_cast<char**>(arg));
      case SQLITE_FCNTL_VFSNAME:
        *static_cast<char**>(arg) = sqlite3_mprintf("%s", kVfsName);
        return SQLITE_OK;
      case kFcntlCloudFile:
        *static_cast<MainFile**>(arg) = &m;
        return SQLITE_OK;
      case SQLITE_FCNTL_PDB:
        m.connection = static_cast<sqlite3**>(arg);
        return SQLITE_OK;
      default:
        return SQLITE_NOTFOUND;
    }
  });
}

int SectorSize(sqlite3_file*) { return 4096; }
int MainDeviceCharacteristics(sqlite3_file*) {
  return SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_POWERSAFE_OVERWRITE |
         SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN;
}

const sqlite3_io_methods kMainMethods = {
    1,
    MainClose,
    MainRead,
    MainWrite,
    MainTruncate,
    MainSync,
    MainFileSize,
    MainLock,
    MainUnlock,
    MainCheckReservedLock,
    MainFileControl,
    SectorSize,
    MainDeviceCharacteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

// ---- journals (in memory, then in a temporary file) ----------------------------------------

int MemClose(sqlite3_file* f) {
  delete AsFile(f)->memory;
  AsFile(f)->memory = nullptr;
  return SQLITE_OK;
}
int MemRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    Result<size_t> n =
        AsFile(f)->memory->Read(static_cast<uint64_t>(off), static_cast<char*>(buf), amt);
    if (!n.ok()) {
      sqlite3_log(SQLITE_IOERR_READ, "cloudlite: %s", n.status().ToString().c_str());
      return SQLITE_IOERR_READ;
    }
    if (*n < static_cast<size_t>(amt)) {
      std::memset(static_cast<char*>(buf) + *n, 0, static_cast<size_t>(amt) - *n);
      return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
  });
}
int MemWrite(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    Status s = AsFile(f)->memory->Write(static_cast<uint64_t>(off),
                                        std::string_view(static_cast<const char*>(buf), amt));
    if (s.ok()) return SQLITE_OK;
    sqlite3_log(SQLITE_IOERR_WRITE, "cloudlite: %s", s.ToString().c_str());
    return SQLITE_IOERR_WRITE;
  });
}
int MemTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Guard([&] {
    Status s = AsFile(f)->memory->Truncate(static_cast<uint64_t>(size));
    if (s.ok()) return SQLITE_OK;
    sqlite3_log(SQLITE_IOERR_TRUNCATE, "cloudlite: %s", s.ToString().c_str());
    return SQLITE_IOERR_TRUNCATE;
  });
}
int MemSync(sqlite3_file*, int) { return SQLITE_OK; }
int MemFileSize(sqlite3_file* f, sqlite3_int64* size) {
  *size = static_cast<sqlite3_int64>(AsFile(f)->memory->size());
  return SQLITE_OK;
}
int MemLock(sqlite3_file*, int) { return SQLITE_OK; }
int MemCheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;
  return SQLITE_OK;
}
int MemFileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int MemDeviceCharacteristics(sqlite3_file*) {
  return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
         SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

const sqlite3_io_methods kMemoryMethods = {
    1,
    MemClose,
    MemRead,
    MemWrite,
    MemTruncate,
    MemSync,
    MemFileSize,
    MemLock,
    MemLock,
    MemCheckReservedLock,
    MemFileControl,
    SectorSize,
    MemDeviceCharacteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

// ---- the VFS --------------------------------------------------------------------------------

// SQLite's own URI parameters that mean here what they mean to SQLite.
constexpr std::string_view kSqliteParams[] = {"vfs", "mode", "cache", "psow"};

// SQLite's URI parameters that would break the assumptions in vfs.h, and why.
constexpr std::pair<std::string_view, std::string_view> kRefusedSqliteParams[] = {
    {"immutable",
     "SQLite would read the file without locks, so the connection would never look for newer "
     "versions and would serve the version it opened for ever; use mode=ro for a read-only "
     "connection that follows new commits"},
    {"nolock",
     "SQLite would take no locks, and the VFS learns at its locks when a transaction starts "
     "(and looks for newer versions) and when it writes"},
};

// The query parameters of SQLite's file name `name` (first of each name, as SQLite reads them).
Params FileNameParams(const char* name) {
  Params params;
  for (int i = 0; const char* key = sqlite3_uri_key(name, i); i++) {
    const char* value = sqlite3_uri_parameter(name, key);
    params.emplace(key, value ? value : "");
  }
  return params;
}

// Where a transaction's spill files go: where SQLite puts its temporary files (its
// temp_store_directory, SQLITE_TMPDIR, TMPDIR), else /tmp (writable on AWS Lambda, unlike
// /var/tmp).
std::string TempDirectory() {
  if (sqlite3_temp_directory && *sqlite3_temp_directory) return sqlite3_temp_directory;
  for (const char* env : {"SQLITE_TMPDIR", "TMPDIR"}) {
    const char* dir = std::getenv(env);
    if (dir && *dir) return dir;
  }
  return "/tmp";
}

// Bounds what a write transaction keeps in memory (docs/vfs.md, "Memory").
void ConfigureWriteMemory(uint64_t write_memory, MainFile* m) {
  m->write_memory = write_memory;
  m->spill_dir = TempDirectory();
  m->dirty.SetMemoryLimit(m->write_memory, m->spill_dir);
}

// What to open for the file name SQLite passes to xOpen: Database::Open's typed request
// (options=TOKEN), or the file name's own parameters over the environment's.
Result<OpenRequest> ResolveOpen(const char* name, bool create) {
  std::string db = name ? name : "";
  db.erase(0, db.find_first_not_of('/'));  // file:///name and file:name both name "name"
  Params params = name ? FileNameParams(name) : Params();
  for (std::string_view own : kSqliteParams) params.erase(std::string(own));
  for (const auto& [param, why] : kRefusedSqliteParams) {
    auto it = params.find(param);
    if (it != params.end()) {
      return Status::InvalidArgument(std::string(param) + "=" + it->second +
                                     " is not supported by cloudlite: " + std::string(why));
    }
  }
  if (auto token = params.extract(kOptionsParam)) {
    if (!params.empty()) {
      return Status::InvalidArgument("parameter \"" + params.begin()->first + "\" next to " +
                                     kOptionsParam + "=: Database::Open passes every option in it");
    }
    std::optional<OpenRequest> request = TakePendingOpen(token.mapped());
    if (!request) {
      return Status::InvalidArgument(
          std::string(kOptionsParam) + "=" + token.mapped() +
          " names no pending open: the parameter is Database::Open's own");
    }
    return std::move(*request);
  }
  CL_ASSIGN_OR_RETURN(Options options, OptionsFromEnvironment());
  CL_RETURN_IF_ERROR(TakeOptionParams(params, options, Reader::kVfs));
  auto store_param = params.extract("store");
  if (!params.empty()) {
    return Status::InvalidArgument("unknown parameter \"" + params.begin()->first + "\" in '" + db +
                                   "': cloudlite takes store, " + OptionParamNames(Reader::kVfs) +
                                   ", and SQLite's vfs, mode, cache, psow (docs/vfs.md)");
  }
  const char* env_store = std::getenv("CLOUDLITE_STORE");
  std::string store_text = store_param ? store_param.mapped() : env_store ? env_store : "";
  if (store_text.empty()) {
    return Status::InvalidArgument(
        "no store for '" + db +
        "': add store=URI to the file name (file:NAME?vfs=cloudlite&store=file:///dir) or set "
        "CLOUDLITE_STORE");
  }
  CL_ASSIGN_OR_RETURN(Uri store_uri, Uri::Parse(store_text));
  CL_ASSIGN_OR_RETURN(std::shared_ptr<ObjectStore> store, OpenStore(store_uri, create));
  return OpenRequest{std::move(store), std::move(db), std::move(options)};
}

Status OpenMain(const char* name, int flags, MainFile* m) {
  bool create = (flags & SQLITE_OPEN_CREATE) != 0;
  CL_ASSIGN_OR_RETURN(OpenRequest request, ResolveOpen(name, create));
  const Options& options = request.options;
  engine::EngineOptions engine_options;
  engine_options.cache_dir = options.cache_dir;
  engine_options.cache_max_bytes = options.cache_max_bytes;
  engine_options.max_staleness = options.max_staleness;
  SharedCache()->Reserve(options.cache_bytes);
  CL_ASSIGN_OR_RETURN(m->engine,
                      engine::Engine::Open(request.store, request.name, std::move(engine_options),
                                           SharedCache(), create));
  m->name = request.name;
  m->read_only = (flags & SQLITE_OPEN_READONLY) != 0;
  m->isolation = options.isolation;
  if (options.writer_lease && !m->read_only) {
    m->lease = std::make_unique<engine::WriterLease>(request.store, request.name);
    m->lease_wait = options.lease_wait;
  }
  ConfigureWriteMemory(options.write_memory, m);
  return Status::Ok();
}

// A journal bounded by its database's write_memory (the default for a super-journal).
JournalBuffer* NewJournal(const char* name, int flags) {
  sqlite3_file* db =
      (flags & SQLITE_OPEN_MAIN_JOURNAL) && name ? sqlite3_database_file_object(name) : nullptr;
  if (db && db->pMethods == &kMainMethods) {
    const MainFile& m = *AsFile(db)->main;
    return new JournalBuffer(m.write_memory, m.spill_dir, m.journal_stats);
  }
  return new JournalBuffer(kDefaultWriteMemory, TempDirectory(), nullptr);
}

// A name with a '/' after its leading ones ("/tmp/x.db", "./x.db") cannot be a cloudlite
// database (names have no '/'): it is a plain local file, such as the target of VACUUM INTO or
// an ATTACHed file, and it and its journals go to the default VFS.
bool IsLocalPath(const char* name) {
  if (name == nullptr) return false;
  std::string_view n(name);
  size_t start = n.find_first_not_of('/');
  return start != std::string_view::npos && n.find('/', start) != std::string_view::npos;
}

int VfsOpen(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  return Guard([&] {
    File* file = AsFile(f);
    file->base.pMethods = nullptr;
    file->main = nullptr;
    file->memory = nullptr;
    if (IsLocalPath(name)) return g_default->xOpen(g_default, name, f, flags, out_flags);
    if (flags & SQLITE_OPEN_MAIN_DB) {
      auto m = std::make_unique<MainFile>();
      Status s = OpenMain(name, flags, m.get());
      if (!s.ok()) {
        g_last_open_error = s;
        sqlite3_log(SQLITE_CANTOPEN, "cloudlite: %s", s.ToString().c_str());
        return SQLITE_CANTOPEN;
      }
      g_last_open_error = Status::Ok();
      file->main = m.release();
      file->base.pMethods = &kMainMethods;
    } else if (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL)) {
      file->memory = NewJournal(name, flags);
      file->base.pMethods = &kMemoryMethods;
    } else if (flags & SQLITE_OPEN_WAL) {
      return SQLITE_CANTOPEN;  // WAL is refused (vfs.h)
    } else {
      // Temporary databases, statement journals, sorter files: local scratch space.
      return g_default->xOpen(g_default, name, f, flags, out_flags);
    }
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
  });
}

int VfsDelete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (IsLocalPath(name)) return g_default->xDelete(g_default, name, sync_dir);
  return SQLITE_OK;  // journals are in memory
}

int VfsAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  if (IsLocalPath(name)) return g_default->xAccess(g_default, name, flags, out);
  *out = 0;  // no journal, WAL or super-journal ever exists outside memory
  return SQLITE_OK;
}

int VfsFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  if (IsLocalPath(name)) return g_default->xFullPathname(g_default, name, n, out);
  sqlite3_snprintf(n, out, "%s", name);
  return SQLITE_OK;
}

void* VfsDlOpen(sqlite3_vfs*, const char* path) { return g_default->xDlOpen(g_default, path); }
void VfsDlError(sqlite3_vfs*, int n, char* msg) { g_default->xDlError(g_default, n, msg); }
void (*VfsDlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_default->xDlSym(g_default, h, sym);
}
void VfsDlClose(sqlite3_vfs*, void* h) { g_default->xDlClose(g_default, h); }
int VfsRandomness(sqlite3_vfs*, int n, char* out) {
  return g_default->xRandomness(g_default, n, out);
}
int VfsSleep(sqlite3_vfs*, int micros) { return g_default->xSleep(g_default, micros); }
int VfsCurrentTime(sqlite3_vfs*, double* out) { return g_default->xCurrentTime(g_default, out); }
int VfsGetLastError(sqlite3_vfs*, int n, char* out) {
  if (n > 0) sqlite3_snprintf(n, out, "%s", g_last_open_error.ToString().c_str());
  return 0;
}
int VfsCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_default->xCurrentTimeInt64(g_default, out);
}

MainFile* MainOf(sqlite3* db) {
  MainFile* m = nullptr;
  if (sqlite3_file_control(db, "main", kFcntlCloudFile, &m) != SQLITE_OK) return nullptr;
  return m;
}

}  // namespace

int Register() {
  static int rc = [] {
    g_default = sqlite3_vfs_find(nullptr);
    if (!g_default) return SQLITE_ERROR;
    static sqlite3_vfs vfs = {};
    vfs.iVersion = 2;
    vfs.szOsFile = std::max<int>(sizeof(File), g_default->szOsFile);
    vfs.mxPathname = 1024;
    vfs.zName = kVfsName;
    vfs.xOpen = VfsOpen;
    vfs.xDelete = VfsDelete;
    vfs.xAccess = VfsAccess;
    vfs.xFullPathname = VfsFullPathname;
    vfs.xDlOpen = VfsDlOpen;
    vfs.xDlError = VfsDlError;
    vfs.xDlSym = VfsDlSym;
    vfs.xDlClose = VfsDlClose;
    vfs.xRandomness = VfsRandomness;
    vfs.xSleep = VfsSleep;
    vfs.xCurrentTime = VfsCurrentTime;
    vfs.xGetLastError = VfsGetLastError;
    vfs.xCurrentTimeInt64 = VfsCurrentTimeInt64;
    return sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  }();
  return rc;
}

Status LastError(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (m && !m->last_error.ok()) return m->last_error;
  // Databases ATTACHed through the VFS have their own (a refused write across them, say).
  for (int i = 1; const char* schema = sqlite3_db_name(db, i); i++) {
    MainFile* attached = nullptr;
    if (sqlite3_file_control(db, schema, kFcntlCloudFile, &attached) != SQLITE_OK) continue;
    if (!attached->last_error.ok()) return attached->last_error;
  }
  return Status::Ok();
}

Result<FileInfo> Info(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (!m) return Status::InvalidArgument("not a cloudlite database connection");
  const engine::Engine& e = *m->engine;
  return FileInfo{
      e.version(), e.page_size(), e.db_pages(), e.last_commit_micros(), e.checkpoint_version(),
      e.base()};
}

Status LastOpenError() { return g_last_open_error; }

Result<WriteMemoryStats> WriteMemory(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (!m) return Status::InvalidArgument("not a cloudlite database connection");
  return WriteMemoryStats{m->write_memory, m->dirty.peak_memory_bytes(),
                          m->dirty.total_spilled_bytes(), m->journal_stats->peak_memory_bytes,
                          m->journal_stats->spilled_bytes};
}

void ExpectWrite(sqlite3* db) {
  if (MainFile* m = MainOf(db)) m->expect_write = true;
}

Result<bool> ConfirmReads(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (!m || !m->probe_skipped || m->published) return true;
  m->probe_skipped = false;
  CL_RETURN_IF_ERROR(m->engine->Refresh(/*force=*/true).status());
  return StillValid(*m, /*writing=*/false);
}

LostRace LastLostRace(sqlite3* db) {
  MainFile* m = MainOf(db);
  return m ? m->lost : LostRace{};
}

void ContinueAsReplay(sqlite3* db) {
  if (MainFile* m = MainOf(db)) m->carry.armed = true;
}

RaceCounts Races(sqlite3* db) {
  MainFile* m = MainOf(db);
  return m ? m->races : RaceCounts{};
}

std::chrono::microseconds Backoff(sqlite3* db, int lost) {
  MainFile* m = MainOf(db);
  if (!m) return BackoffAfter(std::chrono::microseconds(0), lost);
  return BackoffAfter(m->round_trip, std::max(lost, m->lost_in_a_row));
}

}  // namespace cloudlite::vfs
