// Engine: one process's view of one database in an ObjectStore — its current version, page
// map and the commit protocol (docs/format.md; docs/design.md).
//
// Reading: Open loads the latest checkpoint; Refresh reaches the latest version: one GET of
// log/<v+1> when up to date (the freshness probe), two when one version behind; further behind
// (or after a lost race), one LIST of the log finds the newest record, whose RECENT section
// describes the versions before it, so that catching up costs two requests more however far
// behind (docs/format.md, "Catching up"). Catching up is left to
// Refresh so that a connection's first transaction, which must probe anyway, does it: a cold
// open costs one LIST and one GET. ReadPage serves pages from the shared frame cache, the disk
// cache, or a ranged GET of one frame. ReadImage streams every page of a version (pull): big
// ranged GETs covering many frames, several in flight on worker threads.
// Writing: Commit turns dirty pages into frames (inline, or streamed into segments uploaded as
// they fill: commit_writer.h) and creates log/<v+1> with PutIfAbsent; a lost race is Busy and
// changes nothing. The committer of every `checkpoint_interval`-th version writes
// a checkpoint, after the commit returned, on a thread of its own (checkpoint_schedule.cc), and
// the committer of every `gc_interval`-th one collects garbage (gc.h) on another thread of its
// own (gc_schedule.cc): neither waits for the other.
// CommitImage replaces the whole database (push): frames are compressed on worker threads and
// segments uploaded while the next ones are compressed.
// Thread-safety: an Engine is used by one thread at a time (ReadImage and CommitImage start and
// join their own workers inside the call; a background checkpoint runs on a copy of the
// engine, a background collection on the store alone, both joined at the latest when it is
// destroyed); FrameCache and ObjectStore are shared.
// Sources, one job each: engine.cc (open, follow, read), commit.cc, checkpoint.cc and image.cc
// (ReadImage, CommitImage); engine_internal.h has what they share.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "base/clock.h"
#include "cloudlite/status.h"
#include "engine/commit_writer.h"
#include "engine/dirty_pages.h"
#include "engine/disk_cache.h"
#include "engine/frame_cache.h"
#include "engine/gc.h"
#include "engine/history_point.h"
#include "engine/page_map.h"
#include "engine/shared_probe.h"
#include "format/format.h"
#include "store/object_store.h"

namespace cloudlite::engine {

struct EngineOptions {
  std::string cache_dir;         // empty: no disk cache
  uint64_t cache_max_bytes = 0;  // its bound; 0: the default (disk_cache.h)
  std::chrono::milliseconds max_staleness{0};
  uint32_t pages_per_frame = 16;
  uint64_t checkpoint_interval = 64;     // versions that are multiples of it get a checkpoint
  uint64_t inline_limit = 1 << 20;       // bigger commits put their frames in a segment
  uint64_t segment_bytes = 16ull << 20;  // push and big commits make segments of this size
  int zstd_level = 3;
  // A commit of at most inline_limit bytes of pages, on a store that does not bill written
  // bytes: zstd's fast level -20 costs a quarter of level 3's instructions on the few pages
  // of an ordinary commit, for about 17% more bytes stored (docs/benchmarks.md, "Cheaper
  // commits"). Checkpoints on a local store take it too.
  int fast_zstd_level = -20;
  int image_zstd_level = 1;  // CommitImage's level (docs/benchmarks.md: 1 vs 3 on push)
  // Whole-database transfers (ReadImage, CommitImage): at most this many requests in flight,
  // ranged GETs of at most `transfer_request_bytes`, and frames compressed on
  // `compress_threads` threads (0: one per core, at least 2).
  int transfer_parallel = 4;
  uint64_t transfer_request_bytes = 16ull << 20;
  int compress_threads = 0;
  int ambiguous_retries = 5;
  // Versions each record describes in its RECENT section (at most; 0: none).
  uint32_t recent_versions = 64;
  // A reader that has not listed the log for this long lists it instead of probing, so that it
  // notices history deleted under it (docs/format.md, "Reading a version").
  std::chrono::milliseconds relist_after{60'000};
  const Clock* clock = &WallClock();  // tests pass a FakeClock; it must outlive the engine
  // Freshness probes made once for all the engines that share it and ask at about the same
  // time (shared_probe.h); null: this engine probes alone.
  std::shared_ptr<SharedProbe> probe;
  // The committer of every version that is a multiple of this collects garbage under the
  // database's retention rule (gc.h; 0: never), after the commit returned, on a thread of its
  // own: a collection never holds up a checkpoint. One at a time per engine: a multiple that
  // comes while the last still runs is skipped.
  uint64_t gc_interval = 1024;
  // Segment compaction (docs/design.md, "Segment compaction"): a checkpoint also moves the pages
  // of segments whose share still in use fell below `compact_below` into its own segment,
  // reading at most `compact_bytes` of such segments (whole, one GET each) per checkpoint, so
  // that storage follows the live data. 0: never.
  double compact_below = 2.0 / 3;
  uint64_t compact_bytes = 32ull << 20;
};

// Deleters of log records keep those committed within this long of their own clock: a writer
// that synced within relist_after may still commit to the slot after one of them (docs/format.md,
// "Deleting log records").
inline constexpr std::chrono::minutes kLogDeleteGrace{5};

// The system clock in microseconds since the Unix epoch (commit times): base/clock.h.
using ::cloudlite::WallMicros;

// Reads pages of a local image: fills page_count × page_size bytes for the pages first_pgno..
// (1-based). Called from one thread at a time.
using PageSource = std::function<Status(uint32_t first_pgno, uint32_t page_count, char* out)>;

// Receives page_count × page_size bytes: the pages first_pgno.. of an image.
using PageSink = std::function<Status(uint32_t first_pgno, uint32_t page_count, const char* pages)>;

// Ends database `db` (rm) with an END record at the next free log slot (docs/format.md,
// "Incarnations"), where `newest` (0: none) is the newest record listed, or the newest
// checkpoint when `newest_is_checkpoint` (its records deleted). The END carries the incarnation
// of that record, or an id of its own when it is damaged or in format 1. A commit that lands
// first is part of what ends. Returns the END's version, or 0 when the newest record already is
// an END (the database does not exist); Busy if commits kept winning the slot.
Result<uint64_t> EndIncarnation(ObjectStore& store, const std::string& db, uint64_t newest,
                                bool newest_is_checkpoint);

class Engine {
 public:
  // Opens database `db` in `store` at its latest version: lists the checkpoints and the records
  // after the newest one (a hole among them is Corruption), reads the newest record and the
  // checkpoint. A database that does not exist (or was removed) opens empty, as a new
  // incarnation whose genesis will be the next free log slot, when `create` is set, else
  // NotFound. The first Refresh probes all the same: time passes between opening and using.
  static Result<std::unique_ptr<Engine>> Open(std::shared_ptr<ObjectStore> store, std::string db,
                                              EngineOptions options,
                                              std::shared_ptr<FrameCache> cache, bool create);

  // Opens database `db` pinned at a retained version (time travel, docs/format.md "Reading a
  // version"): `at.version`, or, when `at.time_micros` is set, the newest version committed at
  // or before it. It never moves (Refresh does nothing) and must not commit: callers open it
  // read-only. NotFound, naming the version and the retained range, when it is not retained.
  // Defined in history.cc.
  static Result<std::unique_ptr<Engine>> OpenAt(std::shared_ptr<ObjectStore> store, std::string db,
                                                EngineOptions options,
                                                std::shared_ptr<FrameCache> cache,
                                                const HistoryPoint& at);

  // Whether no version newer than version() exists: one GET of log/<v+1>, applying nothing.
  Result<bool> IsLatest();

  // Advances to the latest version, unless the last sync is younger than max_staleness
  // (or `force`): then only to the newest version the process knows without asking the store
  // (its other engines committed or fetched it), so that one process's reads never go back
  // behind its own commits. Returns whether the version changed.
  Result<bool> Refresh(bool force = false);

  uint64_t version() const { return version_; }
  // The incarnation (docs/format.md, "Incarnations"): its id (16 bytes; zeros for a format-1
  // database) and the version of its genesis record.
  const std::string& db_id() const { return db_id_; }
  uint64_t base() const { return base_; }
  uint32_t page_size() const { return map_.page_size(); }
  uint32_t db_pages() const { return map_.db_pages(); }
  uint64_t checkpoint_version() const { return checkpoint_version_; }
  // Requests the inline garbage collections of this engine made, and how many ran.
  uint64_t gc_requests() const { return gc_requests_; }
  uint64_t gc_runs() const { return gc_runs_; }
  int64_t last_commit_micros() const { return last_commit_micros_; }
  bool exists() const { return exists_; }
  // Opened by OpenAt: stays at its version.
  bool pinned() const { return pinned_; }
  // Whether a Refresh has run and no commit failed since: the version is as good as a probe
  // would make it, but for commits made elsewhere since then.
  bool synced() const { return synced_; }
  // Whether the page map must re-sync from the newest checkpoint before this engine can
  // checkpoint again (another engine checkpointed past its basis): its next Refresh does, so a
  // writer that skips the probe must not skip it then.
  bool resync_due() const { return basis_checked_ == std::chrono::steady_clock::time_point{}; }
  const std::string& db() const { return db_; }
  ObjectStore& store() { return *store_; }

  // The pages that versions (since, version()] wrote or cut off by shrinking the database, or
  // nullopt when this engine does not know (it loaded a later checkpoint, a push replaced the
  // image, the page size changed, or `since` is older than the history it keeps).
  std::optional<std::set<uint32_t>> ChangedPagesSince(uint64_t since) const;

  // Copies page `pgno` (1-based, <= db_pages) of the current version into out[0..page_size).
  Status ReadPage(uint32_t pgno, char* out);

  // Hands every page of the current version that some frame maps to `sink`, each exactly once,
  // in runs of consecutive pages, in no particular order; pages no frame maps read as zeros
  // and are not passed. Frames are fetched with ranged GETs of up to
  // `transfer_request_bytes` covering many frames, `transfer_parallel` at a time, and each
  // frame is verified before any of its pages is passed on. `sink` is called from worker
  // threads, never two calls at once. The first error (the store's, Corruption, or the
  // sink's) stops the transfer and is returned; memory stays at about
  // transfer_parallel × transfer_request_bytes × 2.
  Status ReadImage(const PageSink& sink);

  // Commits `dirty` on top of the current version as version()+1. Busy if another commit took
  // that version first (nothing changed; Refresh and try again). Ambiguous only if the outcome
  // stayed unknown after retries. `on_durable` (if set) is called with the version as soon as
  // the record is in the store, before this engine adopts it; whatever Commit returns after
  // that, the version is committed.
  Status Commit(const DirtyPages& dirty, uint32_t page_size, uint32_t db_pages,
                std::string_view changeset = {},
                const std::function<void(uint64_t version)>* on_durable = nullptr);

  // Replaces the whole database with a local image as one new version, with a checkpoint.
  // Retries on lost races (the image wins: push semantics). Reports progress in bytes, from the
  // calling thread. Compresses on `compress_threads` workers and uploads up to
  // `transfer_parallel` segments at a time while compressing; memory stays at about
  // (transfer_parallel + 1) × segment_bytes.
  // With `only_next`, a lost race is Busy instead (the image was read at version()).
  Result<uint64_t> CommitImage(uint32_t page_size, uint32_t db_pages, const PageSource& source,
                               const std::function<void(uint64_t, uint64_t)>& progress,
                               bool only_next = false);

  // Writes a checkpoint of the current version (pages still in records go to a new segment).
  Status Checkpoint();

  // Waits for the checkpoint a commit started after its acknowledgement, if one is running,
  // and returns how it ended (Ok when there was none). Commits never need it: a checkpoint only
  // shortens what opening reads (checkpoint_schedule.cc).
  Status FinishCheckpoint();

  // Waits for the garbage collection a commit started, if one is running, and returns how it
  // ended (Ok when there was none): commits never need it either (gc_schedule.cc).
  Status FinishCollection();

 private:
  Engine(std::shared_ptr<ObjectStore> store, std::string db, EngineOptions options,
         std::shared_ptr<FrameCache> cache);
  // Copied only to checkpoint a version in the background (checkpoint_schedule.cc).
  Engine(const Engine&) = default;
  Engine& operator=(const Engine&) = delete;
  struct BackgroundCheckpoint;
  struct BackgroundCollection;
  // After a commit of a checkpoint_interval-th version: Checkpoint() on a copy of this engine,
  // on a thread of its own. Skipped while the last one still runs.
  void StartCheckpoint();
  struct SetAside;  // what StartCheckpoint's copy of the engine leaves out
  // Learns the outcome of the background checkpoint once it is done (or waits for it, when
  // `wait`): its version becomes checkpoint_version() if this engine is still on that
  // incarnation and not below it.
  Status AdoptCheckpoint(bool wait);
  Status Load(bool create);
  // OpenAt's work: the map of `version` from checkpoint `from` (0: the genesis), with the
  // records after it (history.cc).
  Status LoadVersion(uint64_t from, uint64_t version);
  // Load's work once: ListAgain when a checkpoint or record it listed was deleted meanwhile.
  Result<bool> LoadOnce(bool create);
  // Opens the database again after the log was found not to continue where this engine is:
  // fine if it is the same incarnation, NotFound if it was removed or replaced.
  Status Reload();
  // Corruption unless log/<version>, which a listing left out below `newer`, is there after all.
  Status CheckMissing(uint64_t version, const std::string& newer);
  // The error every call returns once the incarnation is known to have ended.
  Status RemovedError() const;
  void SetIncarnation(std::string db_id, uint64_t base);
  // Relative to "<db>/", for frame seeds.
  std::string_view Relative(const std::string& key) const;
  uint64_t Seed(const std::string& key, uint64_t offset) const;
  // Checks that `rec` may follow this engine's version: same incarnation, chained to the record
  // it has (or a genesis it may adopt). Sets removed_ at an END record.
  Status CheckFollows(const std::string& key, const format::Record& rec);
  // Applies records version_+1 .. newest, where `newest` is the record of a version the store
  // listed; versions in between must exist.
  Status ReachNewest(std::string key, std::shared_ptr<const LogRecord> newest);
  // The bytes of `key`, from the disk cache if there (`cached` says which), else the store.
  Result<std::string> FetchImmutable(const std::string& key, bool* cached = nullptr);
  // Fetches and decodes record `version`, or takes it from the process (KnownRecord). A
  // disk-cached copy that fails to decode, or holds another version, is dropped and fetched
  // again from the store.
  Result<std::shared_ptr<const LogRecord>> FetchRecord(uint64_t version);
  // FetchRecord of version_+1, the freshness probe. A record the process knows (KnownRecord)
  // that follows this engine's costs no request: `*known` says so. NotFound comes from a GET
  // made by this call or one shared with it (ProbeStore), or from the log's watch, which saw
  // nothing change since such a GET found the slot empty.
  Result<std::shared_ptr<const LogRecord>> ProbeNext(bool* known);
  // The probe's GET of log/`next`: through options_.probe when there is one.
  Result<std::shared_ptr<const LogRecord>> ProbeStore(uint64_t next);
  // Record `version` of this incarnation from the frame cache, where the process's engines
  // keep the records they committed or fetched, decoded: a record never changes in its slot (a
  // slot is written again only after its record was deleted, past kLogDeleteGrace, and then
  // holds another nonce, which CheckFollows refuses), so another engine's copy is as good as a
  // GET (docs/design.md, "One engine per database"). Only format-2 records of this incarnation.
  std::shared_ptr<const LogRecord> KnownRecord(uint64_t version);
  // The known record of version_+1 when it follows this engine's head (its prev is head_nonce_),
  // else null.
  std::shared_ptr<const LogRecord> KnownNextRecord();
  // Applies the records the process knows that follow this engine's version, asking the store
  // nothing. Returns whether the version changed.
  Result<bool> ApplyKnownRecords();
  // Decodes `bytes`, the record at `key` (of `version`), and keeps it for KnownRecord if it
  // holds that version of this incarnation. A disk-cached copy that fails to decode is dropped.
  Result<std::shared_ptr<const LogRecord>> DecodeRecord(const std::string& key, uint64_t version,
                                                        std::string bytes);
  void RememberRecord(const std::string& key, std::shared_ptr<const LogRecord> record);
  // The checkpoint of version `c`: a disk-cached copy that fails to decode, or holds another
  // version, is dropped and fetched again. NotFound when it is gone from the store.
  Result<format::Checkpoint> FetchCheckpoint(uint64_t c);
  Status ApplyDecoded(const std::string& key, std::string_view bytes, const format::Record& rec);
  Status Apply(const std::string& key, const LogRecord& record) {
    return ApplyDecoded(key, record.bytes, record.rec);
  }
  // Reaches the newest version when log/<version_+1> is known to exist (docs/format.md,
  // "Catching up").
  Status CatchUp();
  // Whether `rec`'s RECENT section is in this engine's page size.
  bool SamePageSize(const format::Record& rec) const;
  // Applies the RECENT section of the record of version `to` (its versions up to to−1), whose
  // pages are `page_size` bytes.
  void ApplyRecent(const format::Recent& recent, uint64_t to, uint32_t page_size);
  // The RECENT section for the record of version_+1.
  format::Recent DescribeRecent() const;
  // Puts the pages of a commit's frames, `warm`, into the frame cache under the addresses the
  // published record `published` gives them.
  void WarmCache(const format::Record& published, std::vector<CommitFrames::Warm> warm);
  // Remembers what `version` changed (nullopt: everything), for ChangedPagesSince.
  void RecordChanges(uint64_t version, std::optional<std::vector<uint32_t>> pages, std::string tag);
  // The name of record `version`'s frames in page maps and caches: its key, tagged with its
  // nonce in format 2 (format::RecordObject).
  std::string RecordName(uint64_t version, const format::Record& rec) const;
  Result<std::shared_ptr<const std::string>> LoadFrame(const FrameLocation& loc);
  // PublishRecord, then CheckNotBelowExisting with a GET of the next slot made beside it,
  // unless NextSlotKnownEmpty.
  Status Publish(uint64_t version, const std::string& bytes, const std::string& nonce);
  // Whether a commit on top of version_ may skip the GET of the slot after it: this engine made
  // version_ itself, in a run of its own commits since a GET beside one of them found the next
  // slot empty less than relist_after ago (docs/format.md, "Committing and holes").
  bool NextSlotKnownEmpty(std::chrono::steady_clock::time_point now) const;
  // The frames of a commit's pages `pgnos`, inline or in uploaded segments (commit_writer.h).
  Result<CommitFrames> WriteFrames(const DirtyPages& dirty, const std::vector<uint32_t>& pgnos,
                                   uint32_t page_size, uint64_t version);
  Status PublishRecord(uint64_t version, const std::string& bytes, const std::string& nonce);
  // After log/<version> landed: Corruption (and the record deleted again) if log/<version+1>
  // exists and does not follow it, i.e. the slot was a hole below an existing record.
  Status CheckNotBelowExisting(uint64_t version, const std::string& nonce,
                               Result<std::string> next);
  Status PutSegment(const std::string& key, const std::string& bytes);
  // The frame at `loc` cut from `object`, the whole object that holds it.
  Result<std::shared_ptr<const std::string>> FrameOfObject(const std::string& object,
                                                           const FrameLocation& loc);
  // The segments a checkpoint rewrites (compact_below), read whole: key -> bytes.
  Result<std::map<std::string, std::string>> ReadSparseSegments();
  // Learns the sizes of up to `limit` segments the map uses whose size is not known yet.
  void LearnSegmentSizes(const std::map<std::string, double>& use, size_t limit);
  // After a commit of a gc_interval-th version: garbage collection on a thread of its own,
  // with what the last one learned (gc_memo_). Skipped while the last one still runs.
  void StartCollection();
  // Takes the outcome of the background collection once it is done (or waits, when `wait`).
  Status AdoptCollection(bool wait);
  // Whether the page map rests on a checkpoint loaded longer than relist_after ago (the
  // re-sync rule: docs/format.md, "Re-syncing").
  bool BasisIsStale() const;
  // Whether a checkpoint newer than the map's basis exists (one LIST); when none does, the
  // basis counts as fresh again.
  Result<bool> NewerCheckpointExists();
  int64_t Now() const;

  std::shared_ptr<ObjectStore> store_;
  std::string store_name_;
  std::string cache_scope_;  // store_name_ and the incarnation: names cache entries
  std::string db_;
  EngineOptions options_;
  std::shared_ptr<FrameCache> cache_;
  std::shared_ptr<DiskCache> disk_cache_;  // shared by the process's engines on cache_dir
  std::string writer_id_;                  // 16 raw bytes
  // Tells whether the log directory changed (a local store; null elsewhere, and for OpenAt),
  // and the slot a probe last found empty with the watch's number taken just before it.
  std::shared_ptr<PrefixWatch> log_watch_;
  uint64_t empty_slot_ = 0;  // none: versions start at 1
  uint64_t empty_generation_ = 0;

  PageMap map_;
  uint64_t version_ = 0;
  std::string db_id_;       // the incarnation's (a new random one while it does not exist yet)
  uint64_t base_ = 1;       // its genesis version
  std::string head_nonce_;  // nonce of the record of version_; empty when not known
  bool exists_ = false;     // the incarnation has a record (else version_ == base_ - 1)
  bool removed_ = false;    // it ended (an END record) or was replaced: every call fails
  bool pinned_ = false;     // OpenAt: a past version, never refreshed
  std::chrono::steady_clock::time_point last_list_{};
  uint64_t checkpoint_version_ = 0;
  // The checkpoint the page map rests on (loaded, or written from a fresh basis), and when
  // this engine last knew no newer one existed.
  uint64_t basis_version_ = 0;
  std::chrono::steady_clock::time_point basis_checked_{};
  GcMemo gc_memo_;  // what inline collections learned (with the running one while it runs)
  // Sizes of segments (full keys), learnt by HEAD or by writing them: segments never change.
  std::unordered_map<std::string, uint64_t> segment_sizes_;
  uint64_t gc_requests_ = 0;
  uint64_t gc_runs_ = 0;
  int64_t last_commit_micros_ = 0;
  std::chrono::steady_clock::time_point last_sync_{};
  bool synced_ = false;  // see synced()
  bool behind_ = false;  // log/<version_+1> exists: a commit of it lost the race
  // The version this engine last committed (0: none since it loaded), and when the last GET
  // made beside one of its commits started that found the slot after that commit empty.
  uint64_t own_head_ = 0;
  std::chrono::steady_clock::time_point next_slot_empty_at_{};
  // Pages written by each of the latest versions applied here; versions <= history_floor_
  // are unknown. Bounded: only lost races look back, and only as far as they fell behind.
  struct Change {
    std::vector<uint32_t> pages;
    std::string tag;         // format::RecordTag of its record
    std::string record_key;  // the record's object key, named once: every commit's RECENT names it
  };
  std::map<uint64_t, Change> history_;
  uint64_t history_floor_ = 0;
  // The checkpoint running after a commit; joined when the engine is destroyed.
  std::shared_ptr<BackgroundCheckpoint> background_;
  uint64_t checkpointing_version_ = 0;  // its version (0: none runs)
  // The last one ended an interval or more behind: the next commit starts another.
  bool checkpoint_due_ = false;
  // The garbage collection running after a commit; joined when the engine is destroyed.
  std::shared_ptr<BackgroundCollection> collection_;
};

}  // namespace cloudlite::engine
