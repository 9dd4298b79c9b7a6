#include "vfs/main_file.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "base/coding.h"
#include "base/retry.h"
#include "format/format.h"
#include "vfs/memory_file.h"
#include "vfs/sqlite_header.h"
#include "vfs/status_mapping.h"

namespace cloudlite::vfs {
namespace {

// How many times one commit moves onto a newer version before SQLite is told SQLITE_BUSY.
constexpr int kMaxRebases = 8;

// One frame cache for the process's connections. Never destroyed: connections may still be
// closing during exit.
const std::shared_ptr<engine::FrameCache>& SharedCache() {
  static auto* cache = new std::shared_ptr<engine::FrameCache>(
      std::make_shared<engine::FrameCache>(kDefaultCacheBytes));
  return *cache;
}

// One freshness probe at a time per log key for the process's connections (shared_probe.h):
// keyed by the store's description, like the frame cache. Never destroyed, like it.
const std::shared_ptr<engine::SharedProbe>& SharedProbes() {
  static auto* probe =
      new std::shared_ptr<engine::SharedProbe>(std::make_shared<engine::SharedProbe>());
  return *probe;
}

}  // namespace

SharedStats ProcessSharedStats() {
  const std::shared_ptr<engine::FrameCache>& cache = SharedCache();
  engine::FrameCache::Stats frames = cache->stats();
  engine::SharedProbe::Stats probes = SharedProbes()->stats();
  return {frames.hits,      frames.misses,      probes.fetches,   probes.shared,
          probes.unchanged, frames.record_hits, cache->capacity()};
}

void ReserveSharedCache(size_t bytes) { SharedCache()->Reserve(bytes); }

std::chrono::microseconds Contention::Backoff(int lost) const {
  return RaceBackoff(round_trip, std::max(lost, lost_in_a_row));
}

Result<std::unique_ptr<MainFile>> MainFile::Open(const OpenRequest& request, bool create,
                                                 bool read_only) {
  const Options& options = request.options;
  engine::EngineOptions engine_options;
  engine_options.cache_dir = options.cache_dir;
  engine_options.cache_max_bytes = options.cache_max_bytes;
  engine_options.max_staleness = options.max_staleness;
  engine_options.probe = SharedProbes();
  SharedCache()->Reserve(options.cache_bytes);
  std::unique_ptr<MainFile> m(new MainFile());
  if (!options.at.empty()) {
    // Time travel: a past version, read-only whatever SQLite was told.
    const engine::HistoryPoint at{options.at.version, options.at.time_micros};
    CL_ASSIGN_OR_RETURN(
        m->engine_, engine::Engine::OpenAt(request.store, request.name, std::move(engine_options),
                                           SharedCache(), at));
    read_only = true;
  } else {
    CL_ASSIGN_OR_RETURN(m->engine_,
                        engine::Engine::Open(request.store, request.name, std::move(engine_options),
                                             SharedCache(), create));
  }
  m->name_ = request.name;
  m->read_only_ = read_only;
  m->isolation_ = options.isolation;
  if (options.writer_lease && !read_only) {
    m->lease_ = std::make_unique<engine::WriterLease>(request.store, request.name);
    m->lease_wait_ = options.lease_wait;
  }
  m->write_memory_ = options.write_memory;
  m->change_feed_ = options.change_feed;
  m->touched_.set_limit(m->write_memory_ / 4);  // the library's recorder's bound
  m->spill_dir_ = TempDirectory();
  m->dirty_.SetMemoryLimit(m->write_memory_, m->spill_dir_);
  return m;
}

MainFile::~MainFile() { ReleaseLease(); }

int MainFile::RefuseWrite() {
  if (!engine_->pinned()) return SQLITE_READONLY;
  return Fail(Status::NotSupported("'" + name_ + "' is open at version " +
                                   std::to_string(engine_->version()) +
                                   " (time travel), which is read-only: write through a "
                                   "connection opened without `at`"),
              SQLITE_READONLY);
}

int MainFile::Fail(const Status& s, int fallback) {
  last_error_ = s;
  sqlite3_log(fallback, "cloudlite: %s", s.ToString().c_str());
  return SqliteCodeFor(s, fallback);
}

// ---- SQLite's file operations ----------------------------------------------------------------

Status MainFile::ReadPage(uint32_t pgno, char* out) {
  if (dirty_.contains(pgno)) return dirty_.Read(pgno, out);
  cached_.Insert(pgno);
  if (pgno > engine_->db_pages()) {
    std::memset(out, 0, page_size());
    return Status::Ok();
  }
  CL_RETURN_IF_ERROR(engine_->ReadPage(pgno, out));
  if (pgno == 1) StampHeader(out, page_size(), counter_.At(engine_->version()), size_at_version());
  return Status::Ok();
}

Result<uint64_t> MainFile::Read(uint64_t offset, char* out, uint64_t amt) {
  uint64_t end = std::min(offset + amt, size());
  uint32_t page_size = this->page_size();
  for (uint64_t pos = offset; pos < end;) {
    auto pgno = static_cast<uint32_t>(pos / page_size + 1);
    uint64_t within = pos % page_size;
    uint64_t n = std::min<uint64_t>(page_size - within, end - pos);
    if (n == page_size) {  // SQLite reads whole pages, but for a few bytes of the header
      CL_RETURN_IF_ERROR(ReadPage(pgno, out + (pos - offset)));
    } else {
      read_buffer_.resize(page_size);
      CL_RETURN_IF_ERROR(ReadPage(pgno, read_buffer_.data()));
      std::memcpy(out + (pos - offset), read_buffer_.data() + within, n);
    }
    pos += n;
  }
  return end > offset ? end - offset : 0;
}

Status MainFile::Write(uint64_t offset, const char* in, uint64_t amt) {
  if (lock_ < SQLITE_LOCK_RESERVED) return Status::Internal("write outside a write transaction");
  if (page_size() == 0) {
    if (!format::IsValidPageSize(static_cast<uint32_t>(amt))) {
      return Status::Internal("first write of " + std::to_string(amt) + " bytes");
    }
    new_page_size_ = static_cast<uint32_t>(amt);
  }
  uint32_t page_size = this->page_size();
  uint64_t end = offset + amt;
  std::string page;
  for (uint64_t pos = offset; pos < end;) {
    auto pgno = static_cast<uint32_t>(pos / page_size + 1);
    uint64_t within = pos % page_size;
    uint64_t n = std::min<uint64_t>(page_size - within, end - pos);
    std::string_view whole;
    if (n == page_size) {
      whole = std::string_view(in + (pos - offset), page_size);
    } else {  // a partial page: start from what is there
      page.resize(page_size);
      CL_RETURN_IF_ERROR(ReadPage(pgno, page.data()));
      std::memcpy(page.data() + within, in + (pos - offset), n);
      whole = page;
    }
    CL_RETURN_IF_ERROR(dirty_.Write(pgno, whole));
    pos += n;
  }
  txn_size_ = std::max(txn_size_, end);
  txn_dirty_ = true;
  return Status::Ok();
}

void MainFile::Truncate(uint64_t size) {
  if (lock_ < SQLITE_LOCK_RESERVED || page_size() == 0) return;
  uint64_t pages = (size + page_size() - 1) / page_size();
  dirty_.EraseAfter(static_cast<uint32_t>(pages));
  txn_size_ = size;
  txn_dirty_ = true;
}

// ---- the transaction, at SQLite's locks -------------------------------------------------------

Status MainFile::StartTransaction() {
  last_error_ = Status::Ok();
  // A write needs no probe: committing on a stale version fails, and the commit then catches up
  // (Commit). A connection that never synced, or whose last commit failed, probes anyway; so
  // does one due to re-sync its map (Engine::resync_due), or it would never checkpoint again.
  probe_skipped_ = expect_write_ && engine_->synced() && !engine_->resync_due();
  expect_write_ = false;
  const bool behind = engine_->version() < min_version_;
  min_version_ = 0;
  // A view's later read transactions read the version its first one probed (BeginView).
  const bool probed_in_this_view = view_ != 0 && probed_in_view_ == view_;
  if (!probe_skipped_ && !(probed_in_this_view && !behind)) {
    CL_RETURN_IF_ERROR(engine_->Refresh(/*force=*/behind).status());
    probed_in_view_ = view_;
  }
  // A write that may rebase wants its exact read set (change_counter.h, rule 3).
  if (counter_.StartTransaction(engine_->version(), /*exact_reads=*/probe_skipped_)) {
    cached_.Clear();
  }
  return Status::Ok();
}

// Takes the writer lease for a transaction about to write. Busy when, having waited for another
// writer, this transaction's snapshot turns out stale: SQLite then starts over (its busy
// handler, or the caller) on the newer version, with the lease still held. Store errors are
// ignored: the lease is advice.
Status MainFile::TakeLease() {
  if (!lease_) return Status::Ok();
  uint64_t waits = lease_->stats().waited;
  Result<bool> held = lease_->Acquire(lease_wait_);
  if (!held.ok() || !*held || lease_->stats().waited == waits) return Status::Ok();
  Result<bool> latest = engine_->IsLatest();
  if (latest.ok() && !*latest) {
    return Status::Busy("another writer committed while this one waited for the writer lease");
  }
  return Status::Ok();
}

void MainFile::ReleaseLease() {
  if (lease_ && lease_->held()) (void)lease_->Release();
}

Status MainFile::BeginWrite() {
  CL_RETURN_IF_ERROR(TakeLease());
  dirty_.Clear();
  txn_size_ = size();
  txn_dirty_ = false;
  published_ = false;
  lost_ = {};
  snapshot_ = engine_->version();
  snapshot_pages_ = engine_->db_pages();
  CL_ASSIGN_OR_RETURN(snapshot_page1_, StoredPage1());
  inherited_.Clear();
  if (carry_.armed && carry_.valid && carry_.version <= snapshot_) {
    validated_ = carry_.version;
    validated_page1_ = std::move(carry_.page1);
    inherited_ = std::move(carry_.reads);
  } else {
    validated_ = snapshot_;
    validated_page1_ = snapshot_page1_;
  }
  carry_ = {};
  return Status::Ok();
}

void MainFile::Unlock(int level) {
  if (level < SQLITE_LOCK_RESERVED) {
    if (lock_ >= SQLITE_LOCK_RESERVED) ReleaseLease();
    dirty_.Clear();  // committed at SQLITE_FCNTL_SYNC, or rolled back
    row_changes_.clear();
    on_durable_ = nullptr;
    touched_.Clear();
    txn_dirty_ = false;
    if (commit_failed_) counter_.CommitFailed();
    commit_failed_ = false;
  }
  lock_ = std::min(lock_, level);
}

void MainFile::CommitEnded() {
  // Not sent on rollback, so a replay that conflicted and runs again does not count:
  // contention is easing only when commits land.
  if (!commit_failed_) contention_.lost_in_a_row /= 2;
}

// ---- validation, page moves and the commit ----------------------------------------------------

Result<std::string> MainFile::StoredPage1() {
  if (!engine_->exists()) return std::string();
  std::string page(engine_->page_size(), '\0');
  CL_RETURN_IF_ERROR(engine_->ReadPage(1, page.data()));
  return page;
}

Result<std::string> MainFile::DirtyPage1() const {
  if (!dirty_.contains(1)) return std::string();
  std::string page(page_size(), '\0');
  CL_RETURN_IF_ERROR(dirty_.Read(1, page.data()));
  return page;
}

bool MainFile::DependsOn(uint32_t pgno, bool writing) const {
  if (writing && isolation_ == Isolation::kSnapshot) return dirty_.contains(pgno);
  return cached_.Contains(pgno) || inherited_.Contains(pgno);
}

Result<bool> MainFile::StillValid(bool writing, LostRace* why) {
  LostRace ignored;
  if (!why) why = &ignored;
  if (validated_ == engine_->version()) return true;
  std::optional<std::set<uint32_t>> changed = engine_->ChangedPagesSince(validated_);
  if (!changed) {
    why->pages_changed = why->schema_changed = true;  // unknown: assume everything
    return false;
  }
  for (uint32_t pgno : *changed) {
    if (pgno != 1 && DependsOn(pgno, writing)) why->pages_changed = true;
  }
  if (changed->count(1)) {
    CL_ASSIGN_OR_RETURN(std::string page1, StoredPage1());
    if (!SamePage1(validated_page1_, page1, /*ignore_allocation=*/true)) {
      why->schema_changed = true;
    }
    if (!why->pages_changed && !why->schema_changed) validated_page1_ = std::move(page1);
  }
  if (why->pages_changed || why->schema_changed) return false;
  validated_ = engine_->version();
  return true;
}

Result<bool> MainFile::MoveToLatest(uint32_t* db_pages) {
  CL_RETURN_IF_ERROR(engine_->Refresh(/*force=*/true).status());
  CL_ASSIGN_OR_RETURN(std::string page1, DirtyPage1());
  lost_.header_changed =
      !page1.empty() && !SamePage1(snapshot_page1_, page1, /*ignore_allocation=*/true);
  CL_ASSIGN_OR_RETURN(bool valid, StillValid(/*writing=*/true, &lost_));
  if (!valid || lost_.header_changed) return false;
  carry_.reads = cached_;
  carry_.reads.Merge(inherited_);
  carry_.version = validated_;
  carry_.page1 = validated_page1_;
  carry_.valid = true;

  // Pages move only if the transaction neither allocated nor freed any (page 1 differs only in
  // its counters, the size is unchanged) and none of them changed meanwhile.
  bool allocated =
      !page1.empty() && !SamePage1(snapshot_page1_, page1, /*ignore_allocation=*/false);
  uint32_t latest_pages = engine_->db_pages();
  if (allocated || *db_pages != snapshot_pages_ || latest_pages < snapshot_pages_) return false;
  std::optional<std::set<uint32_t>> changed = engine_->ChangedPagesSince(snapshot_);
  if (!changed) return false;
  for (uint32_t pgno : dirty_.PageNumbers()) {
    if (pgno != 1 && (pgno > snapshot_pages_ || changed->count(pgno))) return false;
  }
  dirty_.Erase(1);  // the latest page 1 stands
  snapshot_ = engine_->version();
  snapshot_pages_ = latest_pages;
  CL_ASSIGN_OR_RETURN(snapshot_page1_, StoredPage1());
  *db_pages = latest_pages;
  return true;
}

Status MainFile::Publish(uint32_t page_size, uint32_t db_pages) {
  auto started = std::chrono::steady_clock::now();
  // The hook goes with the attempt that lands (a lost one, moved onto the newer version, tries
  // again), and is called once.
  std::function<void(uint64_t)> durable;
  if (on_durable_) durable = [this](uint64_t v) { (*std::exchange(on_durable_, nullptr))(v); };
  Status published = engine_->Commit(dirty_, page_size, db_pages, row_changes_, &durable);
  if (published.IsBusy()) {  // a lost race: one PutIfAbsent, the scale of the backoff
    contention_.round_trip = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
  }
  return published;
}

void MainFile::CountLostRace() {
  races_.lost++;
  contention_.lost_in_a_row++;
}

Status MainFile::Commit() {
  // Once a commit failed, nothing more from this transaction may be published: SQLite's
  // rollback writes the journal back and syncs again, and not every page comes back (free pages
  // reused by the transaction are never journaled). That sync fails too, which also makes SQLite
  // drop its page cache; last_error keeps the first failure (Busy, Ambiguous, ...).
  if (commit_failed_) return last_error_;
  if (!txn_dirty_) return Status::Ok();
  // SQLite truncates a shrinking database only after this sync (pager_end_transaction), but it
  // has already written the final size into page 1.
  uint64_t bytes = txn_size_;
  CL_ASSIGN_OR_RETURN(std::string page1, DirtyPage1());
  if (!page1.empty()) bytes = HeaderDatabaseBytes(page1).value_or(bytes);
  uint32_t page_size = this->page_size();
  auto pages = static_cast<uint32_t>((bytes + page_size - 1) / page_size);
  lost_ = {};
  carry_ = {};
  if (row_changes_.empty()) row_changes_ = PlainRowChanges(page1, pages);
  // A replay inherits a read set validated up to an older version: check it reaches this one.
  Result<bool> valid = StillValid(/*writing=*/true, &lost_);
  Status s = !valid.ok() ? valid.status()
             : !*valid   ? Status::Busy("what this transaction read was changed by a newer commit")
                         : Publish(page_size, pages);
  if (valid.ok() && !*valid) lost_.happened = true;
  if (lost_.happened || s.IsBusy()) CountLostRace();
  for (int moves = 0; s.IsBusy() && valid.ok() && *valid && moves < kMaxRebases; moves++) {
    lost_.happened = true;
    // Moving right away would race the writers that lost together in lockstep, and lose to the
    // winner's next commit (docs/concurrency.md, "Backing off").
    std::this_thread::sleep_for(contention_.Backoff(contention_.lost_in_a_row));
    Result<bool> moved = MoveToLatest(&pages);
    if (!moved.ok()) s = moved.status();
    if (!moved.ok() || !*moved) break;
    s = Publish(page_size, pages);
    if (s.ok()) races_.moved++;
    if (s.IsBusy()) CountLostRace();
  }
  if (!s.ok()) {
    commit_failed_ = true;
    return s;
  }
  counter_.Committed();
  for (uint32_t pgno : dirty_.PageNumbers()) cached_.Insert(pgno);
  published_ = true;
  lost_ = {};
  dirty_.Clear();
  txn_dirty_ = false;
  new_page_size_ = 0;
  return Status::Ok();
}

// ---- what the library sees ---------------------------------------------------------------------

std::unique_ptr<JournalBuffer> MainFile::NewJournal() const {
  return std::make_unique<JournalBuffer>(write_memory_, spill_dir_, journal_stats_);
}

WriteMemoryStats MainFile::write_memory() const {
  return WriteMemoryStats{write_memory_, dirty_.peak_memory_bytes(), dirty_.total_spilled_bytes(),
                          journal_stats_->peak_memory_bytes, journal_stats_->spilled_bytes};
}

void MainFile::PrepareWrite(const NextWrite& next) {
  expect_write_ = next.skip_probe;
  if (next.inherit_reads) carry_.armed = true;
}

void MainFile::BeginView() { view_ = ++views_begun_; }

void MainFile::EndView() { view_ = 0; }

void MainFile::NoteRowChange(sqlite3* db, int op, const char* table, int64_t key1, int64_t key2) {
  if (owned_ || !change_feed_ || lock_ < SQLITE_LOCK_RESERVED) return;
  touched_.Note(db, op, table, key1, key2);
}

std::string MainFile::PlainRowChanges(const std::string& page1, uint32_t db_pages) {
  // Only a connection whose every row change reaches the hook may say which rows changed.
  if (owned_ || !change_feed_ || !RowHookInstalled(connection())) return {};
  format::RowChanges changes;
  // DDL sends no preupdate event, and neither do the page copies of VACUUM or the backup API
  // (which bump the schema cookie, at 40): the rows of such a commit are not recorded.
  changes.schema_changed = !page1.empty() && (snapshot_page1_.size() < 44 ||
                                              page1.compare(40, 4, snapshot_page1_, 40, 4) != 0);
  const uint32_t page_size = this->page_size();
  if (changes.schema_changed || !touched_.complete() || page_size != engine_->page_size()) {
    changes.complete = false;
    return format::EncodeRowChanges(changes);
  }
  if (touched_.empty()) return format::EncodeRowChanges(changes);  // no row changed
  // Both states as files: the version the transaction started from, and it with its pages.
  auto state = [this](bool after) {
    return [this, after](uint32_t pgno, char* out) -> Status {
      if (after && dirty_.contains(pgno)) {
        CL_RETURN_IF_ERROR(dirty_.Read(pgno, out));
      } else if (pgno <= snapshot_pages_) {
        CL_RETURN_IF_ERROR(engine_->ReadPage(pgno, out));
      } else {
        std::memset(out, 0, this->page_size());
      }
      return Status::Ok();
    };
  };
  const uint64_t before_bytes = uint64_t{snapshot_pages_} * page_size;
  const uint64_t after_bytes = uint64_t{db_pages} * page_size;
  Image before{page_size, before_bytes, state(false)};
  Image after{page_size, after_bytes, state(true)};
  if (!differ_) differ_ = std::make_unique<RowDiffer>();
  Result<format::RowChanges> diff =
      differ_->Diff(std::move(before), std::move(after), touched_, write_memory_ / 4,
                    snapshot_page1_.size() < 44 ? 0 : DecodeFixed32(snapshot_page1_.data() + 40));
  if (!diff.ok()) {  // not recorded rather than failing the commit
    sqlite3_log(SQLITE_WARNING, "cloudlite: the commit's row changes are not recorded: %s",
                diff.status().ToString().c_str());
    return {};
  }
  return format::EncodeRowChanges(*diff);
}

void MainFile::SetRowChanges(std::string section) {
  if (lock_ >= SQLITE_LOCK_RESERVED) row_changes_ = std::move(section);
}

void MainFile::SetDurableHook(const std::function<void(uint64_t version)>* hook) {
  if (lock_ >= SQLITE_LOCK_RESERVED) on_durable_ = hook;
}

WriteOutcome MainFile::Outcome() const { return WriteOutcome{lost_, races_, contention_}; }

Result<bool> MainFile::ConfirmReads() {
  if (!probe_skipped_ || published_) return true;
  probe_skipped_ = false;
  CL_RETURN_IF_ERROR(engine_->Refresh(/*force=*/true).status());
  return StillValid(/*writing=*/false, nullptr);
}

}  // namespace cloudlite::vfs
