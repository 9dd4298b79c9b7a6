#include "engine/engine.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "base/hex.h"
#include "base/parallel.h"
#include "base/random.h"
#include "engine/commit_writer.h"
#include "format/format.h"

namespace cloudlite::engine {
namespace {

// Groups sorted page numbers into runs of consecutive pages of at most `max_pages`.
template <typename PageNumbers, typename Fn>
void ForEachRun(const PageNumbers& pgnos, uint32_t max_pages, Fn fn) {
  auto it = pgnos.begin();
  while (it != pgnos.end()) {
    uint32_t first = *it;
    uint32_t count = 1;
    for (++it; it != pgnos.end() && *it == first + count && count < max_pages; ++it) count++;
    fn(first, count);
  }
}

// The pages of one frame that a version maps, for ReadImage: runs of consecutive pages held by
// consecutive slots.
struct ImageFrame {
  struct Run {
    uint32_t first_pgno;
    uint32_t first_slot;
    uint32_t page_count;
  };
  const std::string* key;
  uint64_t offset;
  uint64_t stored_length;
  uint32_t page_count;
  std::vector<Run> runs;
};

// One ranged GET of ReadImage: frames [first, first + count) of the sorted frame list, which lie
// in one object in ascending order with at most kMaxRangeGap unused bytes between neighbours.
struct ImageRange {
  const std::string* key;
  uint64_t offset;
  uint64_t length;
  size_t first;
  size_t count;
};

// Starts a GET on another thread (on this one, when no thread is to be had).
std::future<Result<std::string>> StartGet(ObjectStore& store, std::string key) {
  auto get = [&store, key = std::move(key)] { return store.Get(key); };
  try {
    return std::async(std::launch::async, get);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, get);
  }
}

const std::string kZeroNonce(format::kNonceSize, '\0');

// Fetching a few unused bytes between two frames (pages a later version replaced) is cheaper
// than a request more.
constexpr uint64_t kMaxRangeGap = 256 << 10;

// Consecutive frames of an image, compressed together on a worker thread by CommitImage.
struct ImageBatch {
  uint32_t first_pgno = 0;
  uint32_t page_count = 0;
  std::string pages;                // raw, freed once compressed
  std::vector<std::string> stored;  // one stored frame per frame_pages pages
};

}  // namespace

Engine::Engine(std::shared_ptr<ObjectStore> store, std::string db, EngineOptions options,
               std::shared_ptr<FrameCache> cache)
    : store_(std::move(store)),
      store_name_(store_->Describe()),
      db_(std::move(db)),
      options_(std::move(options)),
      cache_(std::move(cache)),
      writer_id_(RandomBytes(16)) {
  cache_scope_ = store_name_;
  if (!options_.cache_dir.empty()) disk_cache_ = std::make_unique<DiskCache>(options_.cache_dir);
  uint32_t max_pages = std::max<uint32_t>(1, options_.pages_per_frame);
  options_.pages_per_frame = std::min(max_pages, format::kMaxFramePages);
}

int64_t Engine::Now() const { return options_.now_micros ? options_.now_micros() : WallMicros(); }

Result<std::unique_ptr<Engine>> Engine::Open(std::shared_ptr<ObjectStore> store, std::string db,
                                             EngineOptions options,
                                             std::shared_ptr<FrameCache> cache, bool create) {
  if (!format::IsValidDatabaseName(db)) {
    return Status::InvalidArgument("invalid database name '" + db +
                                   "': use 1-128 characters from A-Z a-z 0-9 . _ -");
  }
  if (!options.cache_dir.empty()) CL_RETURN_IF_ERROR(DiskCache::Prepare(options.cache_dir));
  std::unique_ptr<Engine> engine(
      new Engine(std::move(store), std::move(db), std::move(options), std::move(cache)));
  CL_RETURN_IF_ERROR(engine->Load(create));
  return engine;
}

void Engine::SetIncarnation(std::string db_id, uint64_t base) {
  db_id_ = std::move(db_id);
  base_ = base;
  // Cache entries are named by incarnation: an older one's entries are never read.
  cache_scope_ = store_name_ + "#" + HexEncode(db_id_);
}

std::string_view Engine::Relative(const std::string& key) const {
  return std::string_view(key).substr(db_.size() + 1);
}

uint64_t Engine::Seed(const std::string& key, uint64_t offset) const {
  return format::FrameSeed(db_id_, Relative(key), offset);
}

Status Engine::RemovedError() const {
  return Status::NotFound("database '" + db_ + "' in " + store_name_ +
                          " was removed (or removed and created again) after this connection "
                          "opened it; open it again");
}

Status Engine::Load(bool create) {
  // A checkpoint or record that was listed can be deleted before it is read (a newer
  // checkpoint's cleanup, an rm): then list again.
  for (int attempt = 0; attempt < 4; attempt++) {
    CL_ASSIGN_OR_RETURN(bool loaded, LoadOnce(create));
    if (loaded) return Status::Ok();
  }
  return Status::Unavailable("the objects of '" + db_ + "' in " + store_name_ +
                             " kept changing while it was being opened; try again");
}

Result<bool> Engine::LoadOnce(bool create) {
  map_ = PageMap();
  history_.clear();
  version_ = checkpoint_version_ = history_floor_ = 0;
  last_commit_micros_ = 0;
  head_nonce_.clear();
  exists_ = removed_ = behind_ = synced_ = false;
  const std::string ckpt_prefix = format::CheckpointPrefix(db_);
  const std::string log_prefix = format::LogPrefix(db_);
  CL_ASSIGN_OR_RETURN(auto checkpoints, ListAll(*store_, ckpt_prefix));
  const uint64_t c = format::NewestVersion(checkpoints, ckpt_prefix);
  // From log/<c> on: the checkpoint's own record, if still there, proves which record it follows.
  CL_ASSIGN_OR_RETURN(
      auto logs, ListAll(*store_, log_prefix, c > 1 ? format::LogKey(db_, c - 1) : std::string()));
  last_list_ = std::chrono::steady_clock::now();
  std::set<uint64_t> listed;  // record versions above the newest checkpoint
  bool checkpoint_record = false;
  for (const auto& key : logs) {
    uint64_t v;
    if (!format::ParseVersionKey(key, log_prefix, &v)) continue;
    if (v > c) listed.insert(v);
    if (v == c) checkpoint_record = true;
  }
  const uint64_t h = listed.empty() ? 0 : *listed.rbegin();
  std::optional<format::Record> head;
  std::string head_key, head_bytes;
  if (h > 0) {
    head_key = format::LogKey(db_, h);
    Result<std::string> bytes = store_->Get(head_key);
    if (bytes.status().IsNotFound()) return false;
    CL_RETURN_IF_ERROR(bytes.status());
    CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*bytes, head_key));
    if (rec.version != h) {
      return Status::Corruption(head_key + ": holds version " + std::to_string(rec.version));
    }
    head_bytes = std::move(*bytes);
    head = std::move(rec);
  }
  auto absent = [&](uint64_t next_base) -> Result<bool> {
    if (!create) {
      return Status::NotFound("database '" + db_ + "' does not exist in " + store_name_ +
                              (h > 0 ? " (it was removed)" : ""));
    }
    // A new incarnation, whose genesis takes the next free slot: never a key that exists.
    SetIncarnation(RandomBytes(format::kDbIdSize), next_base);
    version_ = history_floor_ = next_base - 1;
    head_nonce_ = kZeroNonce;
    return true;
  };
  if (head && head->end) return absent(h + 1);
  if (c > 0 && (!head || c >= head->base)) {
    std::string key = format::CheckpointKey(db_, c);
    // Known to be the head's incarnation, the checkpoint may come from the disk cache.
    if (head) SetIncarnation(head->db_id, head->base);
    Result<std::string> bytes = head ? FetchImmutable(key) : store_->Get(key);
    if (bytes.status().IsNotFound()) return false;
    CL_RETURN_IF_ERROR(bytes.status());
    CL_ASSIGN_OR_RETURN(format::Checkpoint cp, format::DecodeCheckpoint(*bytes, key));
    if (cp.version != c) return Status::Corruption(key + ": holds another version");
    if (head && cp.db_id != head->db_id) {
      return Status::Corruption(key + ": belongs to another incarnation of '" + db_ + "' than " +
                                head_key);
    }
    if (!head && checkpoint_record && cp.format >= 2) {
      // Nothing above the checkpoint will check that it follows log/<c>: check it here (one
      // GET, only when the database is at a checkpoint's version), so that a checkpoint of a
      // record that was deleted and written again never hides the new one.
      std::string record_key = format::LogKey(db_, c);
      Result<std::string> record = store_->Get(record_key);
      if (record.ok()) {
        CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*record, record_key));
        if (rec.nonce != cp.head || rec.db_id != cp.db_id) {
          return Status::Corruption(key + ": follows another record than " + record_key +
                                    " (one of them was deleted and written again)");
        }
      } else if (!record.status().IsNotFound()) {
        return record.status();
      }
    }
    SetIncarnation(cp.db_id, cp.base);
    map_.Apply(cp.map, db_, key, cp.page_size, cp.db_pages, /*replace=*/true);
    version_ = checkpoint_version_ = history_floor_ = c;
    head_nonce_ = cp.head;
    last_commit_micros_ = cp.time_micros;
  } else if (head) {
    SetIncarnation(head->db_id, head->base);
    version_ = history_floor_ = head->base - 1;
    head_nonce_ = kZeroNonce;
  } else {
    return absent(1);
  }
  exists_ = true;
  for (uint64_t v = version_ + 1; v <= h; v++) {
    if (!listed.count(v)) CL_RETURN_IF_ERROR(CheckMissing(v, head_key));
  }
  if (h > version_) {
    CL_RETURN_IF_ERROR(ReachNewest(std::move(head_key), std::move(head_bytes), std::move(*head)));
  }
  // Not synced(): the first transaction probes, as time passes between opening and using.
  return true;
}

Status Engine::CheckMissing(uint64_t version, const std::string& newer) {
  // A directory read while records are added may list a newer one and not an older (file://):
  // a GET settles whether the record is there.
  const std::string key = format::LogKey(db_, version);
  Result<std::string> record = store_->Get(key);
  if (record.ok()) return Status::Ok();
  if (!record.status().IsNotFound()) return record.status();
  return Status::Corruption(key + " is missing, but " + newer +
                            " exists (a hole in the log: no version past it can be read)");
}

Status Engine::Reload() {
  std::string id = db_id_;
  Status s = Load(/*create=*/false);
  if (s.ok() && (db_id_ == id || id == format::Format1DbId())) return s;
  if (s.ok() || s.IsNotFound()) {
    removed_ = true;
    return RemovedError();
  }
  return s;
}

Result<std::string> Engine::FetchImmutable(const std::string& key) {
  std::string name;
  if (disk_cache_) {
    name = DiskCache::Name(cache_scope_, key, 0);
    if (auto bytes = disk_cache_->Get(name)) return std::move(*bytes);
  }
  CL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
  if (disk_cache_) disk_cache_->Put(name, bytes);
  return bytes;
}

Result<format::Record> Engine::DecodeRecord(const std::string& key, std::string_view bytes) {
  Result<format::Record> decoded = format::DecodeRecord(bytes, key);
  if (!decoded.ok() && disk_cache_) disk_cache_->Drop(DiskCache::Name(cache_scope_, key, 0));
  return decoded;
}

Status Engine::ApplyRecord(const std::string& key, std::string_view bytes) {
  CL_ASSIGN_OR_RETURN(format::Record rec, DecodeRecord(key, bytes));
  return ApplyDecoded(key, bytes, rec);
}

Status Engine::CheckFollows(const std::string& key, const format::Record& rec) {
  if (rec.version != version_ + 1) {
    return Status::Corruption(key + ": holds version " + std::to_string(rec.version));
  }
  if (rec.end) {  // whoever wrote it (an rm of a format-1 database names an id of its own)
    removed_ = true;
    return RemovedError();
  }
  const bool genesis = rec.format >= 2 && rec.version == rec.base;
  if (rec.db_id != db_id_) {
    // A genesis this engine may adopt: of the database it was about to create (another creator
    // won the slot), or the migration of the format-1 database it reads.
    if (!genesis || (exists_ && db_id_ != format::Format1DbId())) {
      removed_ = true;
      return Status::Corruption(key + ": belongs to another incarnation of '" + db_ +
                                "' (removed and created again since this connection opened it, "
                                "or the object was replaced); open the database again");
    }
    SetIncarnation(rec.db_id, rec.base);
  } else if (genesis && rec.base != base_) {
    return Status::Corruption(key + ": a second genesis record in one incarnation");
  }
  if (rec.format >= 2 && !genesis && !head_nonce_.empty() && rec.prev != head_nonce_) {
    return Status::Corruption(key + ": does not follow version " + std::to_string(version_) +
                              " (the record before it was replaced, or this slot was written "
                              "again after a deletion)");
  }
  return Status::Ok();
}

Status Engine::ApplyDecoded(const std::string& key, std::string_view bytes,
                            const format::Record& rec) {
  CL_RETURN_IF_ERROR(CheckFollows(key, rec));
  const bool genesis = rec.version == base_ && rec.format >= 2;
  const std::string self = RecordName(rec.version, rec);
  // Decode inline frames now: it verifies them, and the writer's neighbours will read them.
  for (const auto& f : rec.map.frames) {
    if (!rec.map.objects[f.object].empty()) continue;
    CL_ASSIGN_OR_RETURN(std::string pages,
                        format::DecodeFrame(bytes.substr(f.offset, f.stored_length), f.page_count,
                                            rec.page_size, Seed(self, f.offset), key, f.offset));
    cache_->Put(FrameCache::Key(cache_scope_, self, f.offset),
                std::make_shared<const std::string>(std::move(pages)));
  }
  // A genesis replaces what came before: nothing, unless it migrates a format-1 database.
  bool page_size_changed = map_.page_size() != 0 && (genesis || map_.page_size() != rec.page_size);
  std::optional<std::vector<uint32_t>> changed;
  if (!page_size_changed) {
    changed.emplace();
    for (const auto& e : rec.map.extents) {
      for (uint32_t i = 0; i < e.page_count; i++) changed->push_back(e.first_pgno + i);
    }
    for (uint32_t p = rec.db_pages + 1; p <= map_.db_pages(); p++) changed->push_back(p);
    // Ascending and distinct, as a RECENT section lists them (extents may reach past db_pages).
    std::sort(changed->begin(), changed->end());
    changed->erase(std::unique(changed->begin(), changed->end()), changed->end());
  }
  RecordChanges(rec.version, std::move(changed), format::RecordTag(rec.nonce));
  map_.Apply(rec.map, db_, self, rec.page_size, rec.db_pages, page_size_changed);
  version_ = rec.version;
  head_nonce_ = rec.nonce;
  exists_ = true;
  last_commit_micros_ = rec.time_micros;
  return Status::Ok();
}

Result<bool> Engine::IsLatest() {
  if (removed_) return RemovedError();
  Result<std::string> next = FetchImmutable(format::LogKey(db_, version_ + 1));
  if (next.status().IsNotFound()) return true;
  CL_RETURN_IF_ERROR(next.status());
  return false;
}

std::string Engine::RecordName(uint64_t version, const format::Record& rec) const {
  if (rec.format < 2) return format::LogKey(db_, version);
  return db_ + "/" + format::RecordObject(version, format::RecordTag(rec.nonce));
}

void Engine::RecordChanges(uint64_t version, std::optional<std::vector<uint32_t>> pages,
                           std::string tag) {
  constexpr size_t kMaxVersions = 1024;
  if (!pages) {
    history_.clear();
    history_floor_ = version;
    return;
  }
  history_[version] = {std::move(*pages), std::move(tag)};
  while (history_.size() > kMaxVersions) {
    history_floor_ = history_.begin()->first;
    history_.erase(history_.begin());
  }
}

std::optional<std::set<uint32_t>> Engine::ChangedPagesSince(uint64_t since) const {
  if (since < history_floor_) return std::nullopt;
  std::set<uint32_t> pages;
  for (auto it = history_.upper_bound(since); it != history_.end(); ++it) {
    pages.insert(it->second.pages.begin(), it->second.pages.end());
  }
  return pages;
}

Result<bool> Engine::Refresh(bool force) {
  if (removed_) return RemovedError();
  auto now = std::chrono::steady_clock::now();
  if (!force && synced_ && options_.max_staleness.count() > 0 &&
      now - last_sync_ < options_.max_staleness) {
    return false;
  }
  uint64_t before = version_;
  // Long without a LIST, the slot after this version may have been deleted (rm, GC) and a
  // probe would find it empty: list instead (docs/format.md, "Reading a version").
  if (now - last_list_ >= options_.relist_after) behind_ = true;
  // The probe, and the next record while there is one, up to two: a reader one version behind
  // (the common case) needs no LIST, which costs as much as 12 GETs on AWS S3. Two new records
  // suggest more, and a lost race proved this engine behind: then CatchUp lists. A store that
  // lists slowly (a directory is read whole) is read one record at a time instead.
  const bool list = store_->ListsCheaply();
  if (!list && now - last_list_ < options_.relist_after) behind_ = false;
  for (int found = 0; !behind_;) {
    std::string key = format::LogKey(db_, version_ + 1);
    Result<std::string> bytes = FetchImmutable(key);
    if (bytes.status().IsNotFound()) break;
    CL_RETURN_IF_ERROR(bytes.status());
    CL_RETURN_IF_ERROR(ApplyRecord(key, *bytes));
    if (++found == 2 && list) behind_ = true;
  }
  if (behind_) CL_RETURN_IF_ERROR(CatchUp());
  last_sync_ = now;
  synced_ = true;
  return version_ != before;
}

bool Engine::SamePageSize(const format::Record& rec) const {
  // Writers describe no version older than a page size change (docs/format.md); a record that
  // changes it describes its predecessors in theirs, which this engine may not be at.
  return map_.page_size() == 0 || map_.page_size() == rec.page_size;
}

Status Engine::CatchUp() {
  const std::string prefix = format::LogPrefix(db_);
  constexpr size_t kListLimit = 1000;
  for (;;) {
    CL_ASSIGN_OR_RETURN(ListPage page,
                        store_->List(prefix, format::LogKey(db_, version_), kListLimit));
    last_list_ = std::chrono::steady_clock::now();
    std::vector<uint64_t> versions;
    for (const auto& key : page.keys) {
      uint64_t v;
      if (format::ParseVersionKey(key, prefix, &v)) versions.push_back(v);
    }
    if (versions.empty()) break;
    std::string key = format::LogKey(db_, versions.back());
    const std::set<uint64_t> listed(versions.begin(), versions.end());
    for (uint64_t v = version_ + 1; v < versions.back(); v++) {
      if (listed.count(v)) continue;
      Status missing = CheckMissing(v, key);
      // What this engine has was deleted under it (rm, or history collected): open again.
      if (!missing.ok() && v == version_ + 1 && missing.IsCorruption()) return Reload();
      CL_RETURN_IF_ERROR(missing);
    }
    Result<std::string> bytes = FetchImmutable(key);
    if (bytes.status().IsNotFound()) return Reload();
    CL_RETURN_IF_ERROR(bytes.status());
    CL_ASSIGN_OR_RETURN(format::Record rec, DecodeRecord(key, *bytes));
    CL_RETURN_IF_ERROR(ReachNewest(std::move(key), std::move(*bytes), std::move(rec)));
    if (!page.more) break;
  }
  behind_ = false;
  return Status::Ok();
}

Status Engine::ReachNewest(std::string key, std::string bytes, format::Record newest) {
  // The newest record, then back from it through RECENT sections, one record standing in for
  // up to recent_versions before it ("stones"); records no section describes are read in order.
  struct Stone {
    std::string key;
    std::string bytes;
    format::Record rec;
    uint64_t described = 0;  // versions its RECENT section stands in for
  };
  std::vector<Stone> stones;  // newest first
  auto add = [&](Stone stone) {
    // A database this engine was about to create may have been created by another writer: its
    // incarnation starts where this one would have.
    const bool ours = stone.rec.db_id == db_id_ || (!exists_ && stone.rec.base == base_);
    stone.described =
        SamePageSize(stone.rec) && ours && !stone.rec.end ? stone.rec.recent.versions.size() : 0;
    stones.push_back(std::move(stone));
    return stones.back().rec.version - stones.back().described;  // the oldest version it covers
  };
  if (newest.version <= version_) {
    return Status::Corruption(key + ": holds version " + std::to_string(newest.version));
  }
  // A section is used only if it also describes the version this engine is at, whose record it
  // knows, so that the tag there proves the section continues this engine's chain (not one whose
  // record was deleted and written again). Before the genesis there is nothing to continue.
  const bool chained = head_nonce_.size() == format::kNonceSize && version_ >= base_;
  const uint64_t need = chained ? version_ : version_ + 1;
  uint64_t read_from = add({std::move(key), std::move(bytes), std::move(newest)});
  while (read_from > need && stones.back().described > 0) {
    // The next stone is the oldest version this one describes, so that each section is checked
    // against the stone before it.
    Stone stone{format::LogKey(db_, read_from), {}, {}};
    CL_ASSIGN_OR_RETURN(stone.bytes, FetchImmutable(stone.key));
    CL_ASSIGN_OR_RETURN(stone.rec, DecodeRecord(stone.key, stone.bytes));
    if (stone.rec.version != read_from) {
      return Status::Corruption(stone.key + ": holds version " + std::to_string(stone.rec.version));
    }
    read_from = add(std::move(stone));
  }
  // Versions below the oldest stone's reach, one record at a time.
  const uint64_t reach = stones.back().rec.version - stones.back().described;
  while (version_ + 1 < reach || (chained && version_ < reach && stones.back().described > 0 &&
                                  version_ + 1 < stones.back().rec.version)) {
    std::string next = format::LogKey(db_, version_ + 1);
    Result<std::string> record = FetchImmutable(next);
    if (record.status().IsNotFound()) {
      return Status::Corruption(next + " is missing, but " + stones.back().key + " exists");
    }
    CL_RETURN_IF_ERROR(record.status());
    CL_RETURN_IF_ERROR(ApplyRecord(next, *record));
  }
  for (auto it = stones.rbegin(); it != stones.rend(); ++it) {
    if (it->described > 0 && version_ + 1 < it->rec.version) {
      const uint64_t first = it->rec.version - it->described;
      if (head_nonce_.size() == format::kNonceSize && version_ >= base_ && version_ >= first &&
          it->rec.recent.versions[version_ - first].tag != format::RecordTag(head_nonce_)) {
        return Status::Corruption(it->key + ": describes version " + std::to_string(version_) +
                                  " as another record than " + format::LogKey(db_, version_) +
                                  " (one of them was deleted and written again)");
      }
      // The stone's prev names a record this engine skips: the tag above stands for it.
      if (it->rec.db_id != db_id_) SetIncarnation(it->rec.db_id, it->rec.base);
      exists_ = true;
      ApplyRecent(it->rec.recent, it->rec.version, it->rec.page_size);
      head_nonce_.clear();
    }
    CL_RETURN_IF_ERROR(ApplyDecoded(it->key, it->bytes, it->rec));
  }
  return Status::Ok();
}

void Engine::ApplyRecent(const format::Recent& recent, uint64_t to, uint32_t page_size) {
  uint64_t first = to - recent.versions.size();
  std::vector<uint32_t> changed;
  for (uint64_t u = version_ + 1; u < to; u++) {
    const format::RecentVersion& entry = recent.versions[u - first];
    changed.insert(changed.end(), entry.changed.begin(), entry.changed.end());
    RecordChanges(u, entry.changed, entry.tag);
  }
  map_.Forget(changed);
  for (uint64_t u = first; u < to; u++) {
    const format::RecentVersion& entry = recent.versions[u - first];
    std::string self =
        entry.tag.empty() ? format::LogKey(db_, u) : db_ + "/" + format::RecordObject(u, entry.tag);
    map_.Apply(entry.map, db_, self, page_size, recent.db_pages, /*replace=*/false);
  }
  version_ = to - 1;
}

format::Recent Engine::DescribeRecent() const {
  // Bounded so that a commit stays about as small as its pages (DynamoDB bills writes by the
  // KiB): 192 bytes describe 7-14 small commits (docs/format.md).
  constexpr size_t kMaxBytes = 192;
  format::Recent recent;
  recent.db_pages = map_.db_pages();
  std::vector<format::RecentVersion> newest_first;
  std::set<uint32_t> seen;  // pages a newer described version changed
  size_t bytes = 0;
  // The newest versions whose changes this engine knows, down from version_ without a gap.
  uint64_t expect = version_;
  for (auto it = history_.rbegin(); it != history_.rend() && it->first == expect &&
                                    newest_first.size() < options_.recent_versions;
       ++it, --expect) {
    format::RecentVersion entry;
    entry.changed = it->second.pages;  // ascending and distinct (ApplyDecoded, ApplyRecent)
    entry.tag = it->second.tag;
    std::vector<uint32_t> last;  // the pages this version changed last
    for (uint32_t p : entry.changed) {
      if (!seen.count(p)) last.push_back(p);
    }
    entry.map = map_.Export(db_, last, db_ + "/" + format::RecordObject(it->first, entry.tag));
    bytes += format::EncodedSize(entry);
    if (bytes > kMaxBytes) break;
    seen.insert(last.begin(), last.end());
    newest_first.push_back(std::move(entry));
  }
  recent.versions.assign(std::make_move_iterator(newest_first.rbegin()),
                         std::make_move_iterator(newest_first.rend()));
  return recent;
}

Result<std::shared_ptr<const std::string>> Engine::LoadFrame(const FrameLocation& loc) {
  std::string cache_key = FrameCache::Key(cache_scope_, *loc.key, loc.offset);
  const uint64_t seed = Seed(*loc.key, loc.offset);
  if (auto hit = cache_->Get(cache_key)) return hit;
  uint32_t page_size = map_.page_size();
  std::string disk_name;
  if (disk_cache_) {
    disk_name = DiskCache::Name(cache_scope_, *loc.key, loc.offset);
    if (auto stored = disk_cache_->Get(disk_name)) {
      auto pages =
          format::DecodeFrame(*stored, loc.page_count, page_size, seed, *loc.key, loc.offset);
      if (pages.ok()) {
        auto frame = std::make_shared<const std::string>(std::move(*pages));
        cache_->Put(cache_key, frame);
        return frame;
      }
      disk_cache_->Drop(disk_name);  // a damaged cache entry: fetch it again
    }
  }
  const std::string store_key(format::StoreKey(*loc.key));
  Result<std::string> stored = store_->GetRange(store_key, loc.offset, loc.stored_length);
  if (stored.status().IsNotFound()) {
    return Status::Corruption(store_key + ": missing, but version " + std::to_string(version_) +
                              " references it");
  }
  CL_RETURN_IF_ERROR(stored.status());
  if (stored->size() != loc.stored_length) {
    return Status::Corruption(store_key + ": truncated (frame at offset " +
                              std::to_string(loc.offset) + " is cut short)");
  }
  CL_ASSIGN_OR_RETURN(std::string pages, format::DecodeFrame(*stored, loc.page_count, page_size,
                                                             seed, *loc.key, loc.offset));
  if (disk_cache_) disk_cache_->Put(disk_name, *stored);
  auto frame = std::make_shared<const std::string>(std::move(pages));
  cache_->Put(cache_key, frame);
  return frame;
}

Status Engine::ReadPage(uint32_t pgno, char* out) {
  uint32_t page_size = map_.page_size();
  std::optional<FrameLocation> loc = map_.Find(pgno);
  if (!loc) {
    std::memset(out, 0, page_size);
    return Status::Ok();
  }
  CL_ASSIGN_OR_RETURN(auto frame, LoadFrame(*loc));
  std::memcpy(out, frame->data() + uint64_t{loc->slot} * page_size, page_size);
  return Status::Ok();
}

Status Engine::ReadImage(const PageSink& sink) {
  const uint32_t page_size = map_.page_size();
  // Every frame the version uses, with the pages it serves (the map already resolved which
  // version of each page is the latest: each page is served by exactly one frame slot).
  std::vector<ImageFrame> frames;
  {
    std::map<std::pair<const std::string*, uint64_t>, size_t> index;
    for (uint32_t pgno = 1; pgno <= map_.db_pages(); pgno++) {
      std::optional<FrameLocation> loc = map_.Find(pgno);
      if (!loc) continue;
      auto [it, added] = index.try_emplace({loc->key, loc->offset}, frames.size());
      if (added) frames.push_back({loc->key, loc->offset, loc->stored_length, loc->page_count, {}});
      std::vector<ImageFrame::Run>& runs = frames[it->second].runs;
      if (!runs.empty() && runs.back().first_pgno + runs.back().page_count == pgno &&
          runs.back().first_slot + runs.back().page_count == loc->slot) {
        runs.back().page_count++;
      } else {
        runs.push_back({pgno, loc->slot, 1});
      }
    }
  }
  std::sort(frames.begin(), frames.end(), [](const ImageFrame& a, const ImageFrame& b) {
    if (a.key != b.key) return *a.key < *b.key;
    return a.offset < b.offset;
  });

  std::mutex sink_mu;
  std::atomic<bool> failed{false};
  auto deliver = [&](const ImageFrame& f, const std::string& pages) -> Status {
    std::lock_guard<std::mutex> lock(sink_mu);
    if (failed.load()) return Status::Ok();  // stopping: the first error is what counts
    for (const ImageFrame::Run& run : f.runs) {
      CL_RETURN_IF_ERROR(sink(run.first_pgno, run.page_count,
                              pages.data() + uint64_t{run.first_slot} * page_size));
    }
    return Status::Ok();
  };

  // Frames already in memory (a record's inline frames, decoded when it was applied) are passed
  // on now; the others are grouped into ranged GETs.
  std::vector<ImageRange> ranges;
  for (size_t i = 0; i < frames.size(); i++) {
    const ImageFrame& f = frames[i];
    if (auto hit = cache_->Get(FrameCache::Key(cache_scope_, *f.key, f.offset))) {
      CL_RETURN_IF_ERROR(deliver(f, *hit));
      continue;
    }
    if (!ranges.empty()) {
      ImageRange& r = ranges.back();
      uint64_t end = r.offset + r.length;
      if (r.key == f.key && r.first + r.count == i && f.offset >= end &&
          f.offset - end <= kMaxRangeGap &&
          f.offset + f.stored_length - r.offset <= options_.transfer_request_bytes) {
        r.length = f.offset + f.stored_length - r.offset;
        r.count++;
        continue;
      }
    }
    ranges.push_back({f.key, f.offset, f.stored_length, i, 1});
  }

  auto fetch = [&](size_t index) -> Status {
    const ImageRange& r = ranges[index];
    Result<std::string> bytes =
        store_->GetRange(std::string(format::StoreKey(*r.key)), r.offset, r.length);
    if (bytes.status().IsNotFound()) {
      return Status::Corruption(*r.key + ": missing, but version " + std::to_string(version_) +
                                " references it");
    }
    CL_RETURN_IF_ERROR(bytes.status());
    for (size_t i = r.first; i < r.first + r.count && !failed.load(); i++) {
      const ImageFrame& f = frames[i];
      uint64_t at = f.offset - r.offset;
      if (bytes->size() < at + f.stored_length) {
        return Status::Corruption(*f.key + ": truncated (frame at offset " +
                                  std::to_string(f.offset) + " is cut short)");
      }
      CL_ASSIGN_OR_RETURN(
          std::string pages,
          format::DecodeFrame(std::string_view(*bytes).substr(at, f.stored_length), f.page_count,
                              page_size, Seed(*f.key, f.offset), *f.key, f.offset));
      CL_RETURN_IF_ERROR(deliver(f, pages));
    }
    return Status::Ok();
  };
  return ForEachInParallel(ranges.size(), options_.transfer_parallel, &failed, fetch);
}

Status Engine::PutSegment(const std::string& key, const std::string& bytes) {
  Status s = store_->Put(key, bytes);
  if (s.code() == Status::Code::kAmbiguous) {
    // A segment commits nothing by itself (only a record that references it does), so an
    // unknown outcome here is a plain failure: at worst the segment is garbage.
    return Status::Unavailable(s.message() + " (writing " + key + "; nothing was committed)");
  }
  return s;
}

Status Engine::Publish(uint64_t version, const std::string& bytes, const std::string& nonce) {
  // The next slot is read beside the PutIfAbsent: a record there that does not follow this one
  // means the slot was a hole below an existing record (docs/format.md, "Committing and holes").
  auto next = StartGet(*store_, format::LogKey(db_, version + 1));
  Status s = PublishRecord(version, bytes, nonce);
  Result<std::string> found = next.get();
  if (!s.ok()) return s;
  return CheckNotBelowExisting(version, nonce, std::move(found));
}

Status Engine::CheckNotBelowExisting(uint64_t version, const std::string& nonce,
                                     Result<std::string> next) {
  const std::string next_key = format::LogKey(db_, version + 1);
  if (!next.ok() && !next.status().IsNotFound()) next = store_->Get(next_key);  // once more
  if (next.status().IsNotFound()) return Status::Ok();
  // The commit landed; a check that cannot be made does not undo it.
  if (!next.ok()) return Status::Ok();
  Result<format::Record> rec = format::DecodeRecord(*next, next_key);
  if (rec.ok() && rec->db_id == db_id_ && rec->prev == nonce) return Status::Ok();  // later commit
  const std::string key = format::LogKey(db_, version);
  (void)store_->Delete(std::vector<std::string>{key});
  synced_ = false;
  return Status::Corruption(key + " was missing while " + next_key +
                            " exists (a hole in the log); this commit filled it and was withdrawn, "
                            "so nothing was committed. The database needs repair: restore the "
                            "missing record or copy the data out with cloudlite pull");
}

Status Engine::PublishRecord(uint64_t version, const std::string& bytes, const std::string& nonce) {
  std::string key = format::LogKey(db_, version);
  bool uncertain = false;  // an earlier attempt may have landed
  for (int attempt = 0; attempt <= options_.ambiguous_retries; attempt++) {
    Status s = store_->PutIfAbsent(key, bytes);
    if (s.ok()) return s;
    if (s.IsAlreadyExists()) {
      if (!uncertain) {
        behind_ = true;
        return Status::Busy("version " + std::to_string(version) + " of '" + db_ +
                            "' was committed by another writer first");
      }
      // Someone's record is there: ours if it carries our nonce.
      Result<std::string> existing = store_->Get(key);
      if (!existing.ok()) {
        if (existing.status().IsRetryable()) continue;
        return existing.status();
      }
      CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*existing, key));
      if (rec.nonce == nonce) return Status::Ok();
      behind_ = true;
      return Status::Busy("version " + std::to_string(version) + " of '" + db_ +
                          "' was committed by another writer first");
    }
    if (s.code() == Status::Code::kAmbiguous || (uncertain && s.IsRetryable())) {
      uncertain = true;
      continue;  // re-sending the same bytes settles it: ours lands once or theirs is there
    }
    return s;
  }
  return Status::Ambiguous("could not learn whether version " + std::to_string(version) + " of '" +
                           db_ + "' was committed (the store did not answer); it may have been");
}

Result<CommitFrames> Engine::WriteFrames(const DirtyPages& dirty,
                                         const std::vector<uint32_t>& pgnos, uint32_t page_size,
                                         uint64_t version) {
  CommitWriterOptions o;
  o.db = db_;
  o.db_id = db_id_;
  o.version = version;
  o.page_size = page_size;
  o.frame_pages = std::max<uint32_t>(
      1, std::min<uint32_t>(options_.pages_per_frame,
                            static_cast<uint32_t>(format::kMaxFrameBytes / page_size)));
  o.zstd_level = options_.zstd_level;
  o.inline_limit = options_.inline_limit;
  o.segment_bytes = options_.segment_bytes;
  o.uploads_in_flight = options_.transfer_parallel;
  o.warm_bytes = cache_->capacity();
  return WriteCommitFrames(dirty, pgnos, o, [this](const std::string& key, const std::string& b) {
    return PutSegment(key, b);
  });
}

Status Engine::Commit(const DirtyPages& dirty, uint32_t page_size, uint32_t db_pages,
                      std::string_view changeset) {
  if (removed_) return RemovedError();
  if (exists_ && db_id_ == format::Format1DbId()) {
    return Status::NotSupported("'" + db_ + "' in " + store_name_ +
                                " is in storage format 1, which this cloudlite reads but does not "
                                "write; upgrade it once with: cloudlite migrate URI");
  }
  if (head_nonce_.size() != format::kNonceSize) {
    return Status::Internal("committing without knowing the record of version " +
                            std::to_string(version_));
  }
  if (!format::IsValidPageSize(page_size)) {
    return Status::InvalidArgument("invalid page size " + std::to_string(page_size));
  }
  std::vector<uint32_t> pgnos = dirty.PageNumbers();
  if (map_.page_size() != 0 && map_.page_size() != page_size) {
    // Every page 1..db_pages rewritten: dirty's keys are distinct, so count and range tell.
    bool complete = !pgnos.empty() && pgnos.front() == 1 && pgnos.back() == db_pages &&
                    pgnos.size() == db_pages;
    if (!complete) {
      return Status::NotSupported("changing the page size needs every page rewritten (VACUUM)");
    }
  }
  if (!dirty.empty() && dirty.page_size() != page_size) {
    return Status::Internal("dirty pages have the wrong size");
  }
  if (!pgnos.empty() && pgnos.front() == 0) return Status::Internal("dirty page 0");
  pgnos.erase(std::upper_bound(pgnos.begin(), pgnos.end(), db_pages), pgnos.end());

  uint64_t version = version_ + 1;
  format::Record rec;
  rec.version = version;
  rec.time_micros = Now();
  rec.db_id = db_id_;
  rec.base = base_;
  rec.prev = version == base_ ? kZeroNonce : head_nonce_;
  rec.writer_id = writer_id_;
  rec.nonce = RandomBytes(16);
  rec.page_size = page_size;
  rec.db_pages = db_pages;
  rec.changeset.assign(changeset);
  rec.recent = DescribeRecent();
  CL_ASSIGN_OR_RETURN(CommitFrames frames, WriteFrames(dirty, pgnos, page_size, version));
  rec.map = std::move(frames.map);
  const std::string& inline_frames = frames.inline_frames;
  std::string key = format::LogKey(db_, version);
  std::string bytes = format::EncodeRecord(rec, inline_frames);
  Status published = Publish(version, bytes, rec.nonce);
  if (!published.ok()) {
    // A lost race proves this snapshot stale, and after an error it may be: whatever
    // max_staleness allows, the next transaction must look for newer versions.
    synced_ = false;
    return published;
  }

  // Committed. Adopt it, warming the cache with what we wrote.
  CL_RETURN_IF_ERROR(ApplyRecord(key, bytes));
  for (CommitFrames::Warm& w : frames.warm) {
    cache_->Put(FrameCache::Key(cache_scope_, w.key, w.offset), std::move(w.pages));
  }
  // The committer of every checkpoint_interval-th version checkpoints: one checkpoint per
  // interval however many writers there are (counting from the checkpoint each writer last knew
  // would make one per writer: they do not see each other's). Best effort: the commit stands
  // either way, and a failed checkpoint waits for the next interval.
  const uint64_t interval = options_.checkpoint_interval;
  if (interval == 0 || version_ % interval == 0) (void)Checkpoint();
  return Status::Ok();
}

Status Engine::Checkpoint() {
  if (removed_) return RemovedError();
  if (!exists_ || checkpoint_version_ == version_) return Status::Ok();
  // A format-1 database is read only; a checkpoint names the record it follows.
  if (db_id_ == format::Format1DbId() || head_nonce_.size() != format::kNonceSize) {
    return Status::Ok();
  }
  uint32_t page_size = map_.page_size();
  std::vector<uint32_t> pgnos = map_.PagesOutsideSegments(db_);
  PageMap next = map_;
  if (!pgnos.empty()) {
    std::string segment_key = format::SegmentKey(db_, version_, RandomHex(8));
    format::SegmentBuilder builder(page_size, version_, db_id_, std::string(Relative(segment_key)));
    format::PageMapData delta;
    delta.objects = {segment_key.substr(db_.size() + 1)};
    // The frames holding those pages, fetched transfer_parallel at a time: a writer that
    // caught up through RECENT sections has not read the records they are in.
    std::map<std::pair<const std::string*, uint64_t>, std::shared_ptr<const std::string>> held;
    std::vector<FrameLocation> wanted;
    for (uint32_t pgno : pgnos) {
      FrameLocation loc = *map_.Find(pgno);
      if (held.try_emplace({loc.key, loc.offset}).second) wanted.push_back(loc);
    }
    std::mutex mu;
    std::atomic<bool> failed{false};
    CL_RETURN_IF_ERROR(ForEachInParallel(
        wanted.size(), options_.transfer_parallel, &failed, [&](size_t i) -> Status {
          CL_ASSIGN_OR_RETURN(auto frame, LoadFrame(wanted[i]));
          std::lock_guard<std::mutex> lock(mu);
          held[{wanted[i].key, wanted[i].offset}] = std::move(frame);
          return Status::Ok();
        }));
    std::vector<std::shared_ptr<const std::string>> decoded;
    ForEachRun(pgnos, options_.pages_per_frame, [&](uint32_t first, uint32_t count) {
      std::string pages(uint64_t{count} * page_size, '\0');
      for (uint32_t i = 0; i < count; i++) {
        FrameLocation loc = *map_.Find(first + i);
        const std::string& frame = *held[{loc.key, loc.offset}];
        std::memcpy(pages.data() + uint64_t{i} * page_size,
                    frame.data() + uint64_t{loc.slot} * page_size, page_size);
      }
      std::string stored = format::EncodeFrame(pages, options_.zstd_level);
      uint64_t offset = builder.Add(first, count, stored);
      uint32_t index = static_cast<uint32_t>(delta.frames.size());
      delta.frames.push_back({0, offset, stored.size(), count});
      delta.extents.push_back({first, count, index, 0});
      decoded.push_back(std::make_shared<const std::string>(std::move(pages)));
    });
    CL_RETURN_IF_ERROR(PutSegment(segment_key, builder.Finish()));
    for (size_t i = 0; i < decoded.size(); i++) {
      cache_->Put(FrameCache::Key(cache_scope_, segment_key, delta.frames[i].offset), decoded[i]);
    }
    next.Apply(delta, db_, "", page_size, map_.db_pages(), /*replace=*/false);
  }
  format::Checkpoint cp;
  cp.version = version_;
  cp.time_micros = last_commit_micros_;
  cp.db_id = db_id_;
  cp.base = base_;
  cp.head = head_nonce_;
  cp.page_size = page_size;
  cp.db_pages = map_.db_pages();
  cp.map = next.Export(db_);
  Status s = store_->PutIfAbsent(format::CheckpointKey(db_, version_), EncodeCheckpoint(cp));
  if (s.IsAlreadyExists()) {
    // Another writer checkpointed this version first; theirs is as good as ours if it follows
    // the same record (else that record was deleted and this slot written again: readers that
    // open from it fail at the next record's chain).
    std::string key = format::CheckpointKey(db_, version_);
    CL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
    CL_ASSIGN_OR_RETURN(format::Checkpoint theirs, format::DecodeCheckpoint(bytes, key));
    if (theirs.head != head_nonce_ || theirs.db_id != db_id_) {
      return Status::Corruption(key + ": follows another record than " +
                                format::LogKey(db_, version_));
    }
    checkpoint_version_ = version_;
    return Status::Ok();
  }
  CL_RETURN_IF_ERROR(s);
  map_ = std::move(next);
  checkpoint_version_ = version_;
  // Best effort: what is left stays for the next checkpoint.
  (void)DropOldCheckpoints();
  return Status::Ok();
}

Status Engine::DropOldCheckpoints() {
  // Opening reads only the newest checkpoint, so older ones would only lengthen its LIST as the
  // database ages (one more page per 64,000 commits). The previous one stays for readers that
  // listed before this one landed. A database older than this rule may list more than a page:
  // each checkpoint then deletes the oldest page but two.
  std::string prefix = format::CheckpointPrefix(db_);
  CL_ASSIGN_OR_RETURN(ListPage page, store_->List(prefix, "", 1000));
  std::vector<std::string> old;
  for (const auto& key : page.keys) {
    uint64_t v;
    if (format::ParseVersionKey(key, prefix, &v)) old.push_back(key);
  }
  if (old.size() <= 2) return Status::Ok();
  old.resize(old.size() - 2);  // keys sort by version: zero-padded
  return store_->Delete(old);
}

Result<uint64_t> Engine::CommitImage(uint32_t page_size, uint32_t db_pages,
                                     const PageSource& source,
                                     const std::function<void(uint64_t, uint64_t)>& progress,
                                     bool only_next) {
  if (removed_) return RemovedError();
  if (!format::IsValidPageSize(page_size)) {
    return Status::InvalidArgument("invalid page size " + std::to_string(page_size));
  }
  if (db_pages > format::kMaxDbPages) {
    return Status::InvalidArgument("a database of " + std::to_string(db_pages) +
                                   " pages is larger than cloudlite stores (" +
                                   std::to_string(format::kMaxDbPages) + " pages)");
  }
  // The image is the genesis of a new incarnation when there is none yet, or when it upgrades a
  // format-1 database; else the next version of this one. Its segments are sealed to the
  // incarnation, so a change of incarnation while it uploads means starting again.
  const bool migrating = exists_ && db_id_ == format::Format1DbId();
  const bool genesis = !exists_ || migrating;
  const std::string image_id = migrating ? RandomBytes(format::kDbIdSize) : db_id_;
  const uint64_t total = uint64_t{db_pages} * page_size;
  const uint32_t frame_pages = std::max<uint32_t>(
      1, std::min<uint32_t>(options_.pages_per_frame,
                            static_cast<uint32_t>(format::kMaxFrameBytes / page_size)));
  const uint64_t frame_bytes = uint64_t{frame_pages} * page_size;
  // A batch is what one worker compresses at a time: ~4 MiB of pages.
  const uint64_t batch_pages = std::max<uint64_t>(1, (4 << 20) / frame_bytes) * frame_pages;
  const size_t compressing_max =
      static_cast<size_t>(options_.compress_threads > 0
                              ? options_.compress_threads
                              : std::max(2, static_cast<int>(std::thread::hardware_concurrency())));
  const size_t uploading_max = static_cast<size_t>(std::max(1, options_.transfer_parallel));
  const int level = options_.image_zstd_level;

  format::PageMapData map;
  const uint64_t tag = version_ + 1;  // names the segments; the record may land later

  // Segments being uploaded, oldest first. Destroying a future of std::async waits for its
  // thread, so an early return below never leaves a thread using this frame's memory.
  std::deque<std::future<Status>> uploads;
  auto wait_oldest_upload = [&]() -> Status {
    Status s = uploads.front().get();
    uploads.pop_front();
    return s;
  };
  std::unique_ptr<format::SegmentBuilder> builder;
  std::string segment_key;
  auto flush = [&]() -> Status {
    if (!builder) return Status::Ok();
    while (uploads.size() >= uploading_max) CL_RETURN_IF_ERROR(wait_oldest_upload());
    auto bytes = std::make_shared<const std::string>(builder->Finish());
    builder.reset();
    try {
      uploads.push_back(std::async(std::launch::async, [this, key = segment_key, bytes] {
        return PutSegment(key, *bytes);
      }));
    } catch (const std::system_error&) {
      return PutSegment(segment_key, *bytes);  // no thread to be had: upload it here
    }
    return Status::Ok();
  };
  // Appends a compressed batch to the segment being built, in page order, so offsets and the
  // map are what a sequential writer would make.
  auto append = [&](const ImageBatch& batch) -> Status {
    uint32_t first = batch.first_pgno;
    for (const std::string& stored : batch.stored) {
      uint32_t count = std::min(frame_pages, batch.first_pgno + batch.page_count - first);
      if (builder && builder->size() + stored.size() > options_.segment_bytes) {
        CL_RETURN_IF_ERROR(flush());
      }
      if (!builder) {
        segment_key = format::SegmentKey(db_, tag, RandomHex(8));
        builder = std::make_unique<format::SegmentBuilder>(page_size, tag, image_id,
                                                           std::string(Relative(segment_key)));
        builder->Reserve(options_.segment_bytes + (64 << 10));  // + the index and footer
        map.objects.push_back(segment_key.substr(db_.size() + 1));
      }
      uint64_t offset = builder->Add(first, count, stored);
      uint32_t index = static_cast<uint32_t>(map.frames.size());
      map.frames.push_back(
          {static_cast<uint32_t>(map.objects.size() - 1), offset, stored.size(), count});
      map.extents.push_back({first, count, index, 0});
      first += count;
    }
    if (progress) progress(uint64_t{first - 1} * page_size, total);
    return Status::Ok();
  };

  // Read a batch, hand it to a worker, and append the oldest batch once more than
  // `compressing_max` are out: a bounded window over the file that keeps the workers busy
  // while this thread reads the next batch.
  std::deque<std::pair<std::shared_ptr<ImageBatch>, std::future<void>>> compressing;
  auto append_oldest = [&]() -> Status {
    auto [batch, done] = std::move(compressing.front());
    compressing.pop_front();
    if (done.valid()) done.get();
    return append(*batch);
  };
  for (uint32_t first = 1; first <= db_pages;) {
    auto batch = std::make_shared<ImageBatch>();
    batch->first_pgno = first;
    batch->page_count =
        static_cast<uint32_t>(std::min<uint64_t>(batch_pages, uint64_t{db_pages} - first + 1));
    batch->pages.resize(uint64_t{batch->page_count} * page_size);
    CL_RETURN_IF_ERROR(source(first, batch->page_count, batch->pages.data()));
    first += batch->page_count;
    auto compress = [batch, frame_bytes, level] {
      std::string_view pages = batch->pages;
      for (uint64_t at = 0; at < pages.size(); at += frame_bytes) {
        batch->stored.push_back(format::EncodeFrame(pages.substr(at, frame_bytes), level));
      }
      std::string().swap(batch->pages);
    };
    std::future<void> done;
    try {
      done = std::async(std::launch::async, compress);
    } catch (const std::system_error&) {
      compress();  // no thread to be had: compress it here
    }
    compressing.emplace_back(std::move(batch), std::move(done));
    while (compressing.size() > compressing_max) CL_RETURN_IF_ERROR(append_oldest());
  }
  while (!compressing.empty()) CL_RETURN_IF_ERROR(append_oldest());
  CL_RETURN_IF_ERROR(flush());
  Status uploaded;
  while (!uploads.empty()) {
    Status s = wait_oldest_upload();
    if (uploaded.ok()) uploaded = std::move(s);
  }
  CL_RETURN_IF_ERROR(uploaded);

  constexpr int kAttempts = 20;
  for (int attempt = 0;; attempt++) {
    format::Record rec;
    rec.version = version_ + 1;
    rec.time_micros = Now();
    rec.db_id = image_id;
    rec.base = genesis ? rec.version : base_;
    rec.prev = genesis ? kZeroNonce : head_nonce_;
    rec.writer_id = writer_id_;
    rec.nonce = RandomBytes(16);
    rec.page_size = page_size;
    rec.db_pages = db_pages;
    rec.map = map;
    std::string bytes = format::EncodeRecord(rec, {});
    Status s = Publish(rec.version, bytes, rec.nonce);
    if (s.ok()) {
      std::string key = format::LogKey(db_, rec.version);
      SetIncarnation(image_id, rec.base);
      map_.Apply(map, db_, key, page_size, db_pages, /*replace=*/true);
      RecordChanges(rec.version, std::nullopt, format::RecordTag(rec.nonce));
      version_ = rec.version;
      head_nonce_ = rec.nonce;
      exists_ = true;
      last_commit_micros_ = rec.time_micros;
      break;
    }
    if (!s.IsBusy() || attempt + 1 >= kAttempts || only_next) return s;
    CL_RETURN_IF_ERROR(Refresh(/*force=*/true).status());
    if (genesis != (!exists_ || db_id_ == format::Format1DbId()) ||
        (!migrating && db_id_ != image_id)) {
      return Status::Busy("'" + db_ +
                          "' was created or replaced by another writer while this "
                          "image was uploading; nothing was committed: try again");
    }
  }
  CL_RETURN_IF_ERROR(Checkpoint());
  return version_;
}

}  // namespace cloudlite::engine
