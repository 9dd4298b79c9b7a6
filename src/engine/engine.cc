// Engine, the reading side: open (Load), follow the log (Refresh, CatchUp, RECENT sections) and
// read pages. Commits are in commit.cc, checkpoints in checkpoint.cc, whole-image transfer in
// image.cc (engine.h has the contract).
#include "engine/engine.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "base/hex.h"
#include "base/random.h"
#include "engine/engine_internal.h"
#include "format/format.h"

namespace cloudlite::engine {

Engine::Engine(std::shared_ptr<ObjectStore> store, std::string db, EngineOptions options,
               std::shared_ptr<FrameCache> cache)
    : store_(std::move(store)),
      store_name_(store_->Describe()),
      db_(std::move(db)),
      options_(std::move(options)),
      cache_(std::move(cache)),
      writer_id_(RandomBytes(16)) {
  cache_scope_ = store_name_;
  if (!options_.cache_dir.empty()) {
    disk_cache_ = DiskCache::ForDirectory(options_.cache_dir, options_.cache_max_bytes);
  }
  uint32_t max_pages = std::max<uint32_t>(1, options_.pages_per_frame);
  options_.pages_per_frame = std::min(max_pages, format::kMaxFramePages);
}

int64_t Engine::Now() const { return options_.clock->NowMicros(); }

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
  engine->log_watch_ = engine->store_->Watch(format::LogPrefix(engine->db_));
  return engine;
}

void Engine::SetIncarnation(std::string db_id, uint64_t base) {
  db_id_ = std::move(db_id);
  base_ = base;
  // Cache entries are named by incarnation: an older one's entries are never read.
  cache_scope_ = store_name_ + "#" + HexEncode(db_id_);
}

std::string_view Engine::Relative(const std::string& key) const {
  return format::ObjectName(db_, key);
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
  own_head_ = 0;
  exists_ = removed_ = behind_ = synced_ = false;
  const std::string ckpt_prefix = format::CheckpointPrefix(db_);
  const std::string log_prefix = format::LogPrefix(db_);
  CL_ASSIGN_OR_RETURN(auto checkpoints, ListAll(*store_, ckpt_prefix));
  const uint64_t c = format::NewestVersion(checkpoints, ckpt_prefix);
  // From log/<c> on: the checkpoint's own record, if still there, proves which record it follows.
  CL_ASSIGN_OR_RETURN(
      auto logs, ListAll(*store_, log_prefix, c > 1 ? format::LogKey(db_, c - 1) : std::string()));
  last_list_ = std::chrono::steady_clock::now();
  basis_version_ = 0;
  basis_checked_ = last_list_;
  std::set<uint64_t> listed;  // record versions above the newest checkpoint
  bool checkpoint_record = false;
  for (const auto& key : logs) {
    uint64_t v;
    if (!format::ParseVersionKey(key, log_prefix, &v)) continue;
    if (v > c) listed.insert(v);
    if (v == c) checkpoint_record = true;
  }
  const uint64_t h = listed.empty() ? 0 : *listed.rbegin();
  std::shared_ptr<const LogRecord> head;
  std::string head_key;
  if (h > 0) {
    head_key = format::LogKey(db_, h);
    Result<std::string> bytes = store_->Get(head_key);
    if (bytes.status().IsNotFound()) return false;
    CL_RETURN_IF_ERROR(bytes.status());
    CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*bytes, head_key));
    if (rec.version != h) {
      return Status::Corruption(head_key + ": holds version " + std::to_string(rec.version));
    }
    head = std::make_shared<const LogRecord>(LogRecord{std::move(*bytes), std::move(rec)});
  }
  auto absent = [&](uint64_t next_base) -> Result<bool> {
    if (!create) {
      return Status::NotFound("database '" + db_ + "' does not exist in " + store_name_ +
                              (h > 0 ? " (it was removed)" : ""));
    }
    // A new incarnation, whose genesis takes the next free slot: never a key that exists.
    SetIncarnation(RandomBytes(format::kDbIdSize), next_base);
    version_ = history_floor_ = next_base - 1;
    head_nonce_ = format::ZeroNonce();
    return true;
  };
  if (head && head->rec.end) return absent(h + 1);
  if (c > 0 && (!head || c >= head->rec.base)) {
    std::string key = format::CheckpointKey(db_, c);
    // Known to be the head's incarnation, the checkpoint may come from the disk cache.
    if (head) SetIncarnation(head->rec.db_id, head->rec.base);
    Result<format::Checkpoint> fetched =
        head ? FetchCheckpoint(c) : [&]() -> Result<format::Checkpoint> {
      CL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
      return format::DecodeCheckpoint(bytes, key);
    }();
    if (fetched.status().IsNotFound()) return false;
    CL_ASSIGN_OR_RETURN(format::Checkpoint cp, std::move(fetched));
    if (cp.version != c) return Status::Corruption(key + ": holds another version");
    if (head && cp.db_id != head->rec.db_id) {
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
    version_ = checkpoint_version_ = history_floor_ = basis_version_ = c;
    head_nonce_ = cp.head;
    last_commit_micros_ = cp.time_micros;
  } else if (head) {
    SetIncarnation(head->rec.db_id, head->rec.base);
    version_ = history_floor_ = head->rec.base - 1;
    head_nonce_ = format::ZeroNonce();
  } else {
    return absent(1);
  }
  exists_ = true;
  for (uint64_t v = version_ + 1; v <= h; v++) {
    if (!listed.count(v)) CL_RETURN_IF_ERROR(CheckMissing(v, head_key));
  }
  if (h > version_) {
    CL_RETURN_IF_ERROR(ReachNewest(std::move(head_key), std::move(head)));
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

Result<std::string> Engine::FetchImmutable(const std::string& key, bool* cached) {
  if (cached) *cached = false;
  std::string name;
  if (disk_cache_) {
    name = DiskCache::Name(cache_scope_, key, 0);
    if (auto bytes = disk_cache_->Get(name)) {
      if (cached) *cached = true;
      return std::move(*bytes);
    }
  }
  CL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
  if (disk_cache_) disk_cache_->Put(name, bytes);
  return bytes;
}

Result<std::shared_ptr<const LogRecord>> Engine::FetchRecord(uint64_t version) {
  if (auto known = KnownRecord(version)) return known;
  const std::string key = format::LogKey(db_, version);
  bool cached = false;
  CL_ASSIGN_OR_RETURN(std::string bytes, FetchImmutable(key, &cached));
  Result<std::shared_ptr<const LogRecord>> record = DecodeRecord(key, version, std::move(bytes));
  if (!cached || (record.ok() && (*record)->rec.version == version)) return record;
  // A damaged (or misplaced) cache entry: the store's copy decides.
  disk_cache_->Drop(DiskCache::Name(cache_scope_, key, 0));
  CL_ASSIGN_OR_RETURN(bytes, FetchImmutable(key));
  return DecodeRecord(key, version, std::move(bytes));
}

std::shared_ptr<const LogRecord> Engine::KnownRecord(uint64_t version) {
  auto hit = cache_->GetRecord(FrameCache::RecordKey(cache_scope_, format::LogKey(db_, version)));
  if (!hit || hit->rec.version != version || hit->rec.format < 2 || hit->rec.db_id != db_id_) {
    return nullptr;  // the store decides
  }
  return hit;
}

std::shared_ptr<const LogRecord> Engine::KnownNextRecord() {
  std::shared_ptr<const LogRecord> record = KnownRecord(version_ + 1);
  return record && record->rec.prev == head_nonce_ ? record : nullptr;
}

Result<std::shared_ptr<const LogRecord>> Engine::DecodeRecord(const std::string& key,
                                                              uint64_t version, std::string bytes) {
  Result<format::Record> decoded = format::DecodeRecord(bytes, key);
  if (!decoded.ok()) {
    if (disk_cache_) disk_cache_->Drop(DiskCache::Name(cache_scope_, key, 0));
    return decoded.status();
  }
  auto record = std::make_shared<const LogRecord>(LogRecord{std::move(bytes), std::move(*decoded)});
  if (record->rec.version == version) RememberRecord(key, record);
  return record;
}

void Engine::RememberRecord(const std::string& key, std::shared_ptr<const LogRecord> record) {
  const format::Record& rec = record->rec;
  if (rec.format < 2 || rec.db_id != db_id_) return;  // format 1 has no incarnation to name
  cache_->PutRecord(FrameCache::RecordKey(cache_scope_, key), std::move(record));
}

Result<std::shared_ptr<const LogRecord>> Engine::ProbeNext(bool* known) {
  const uint64_t next = version_ + 1;
  // A record that exists answers the probe: it is the next version whatever else happened
  // since. Only an absent slot needs a GET that started after the caller's transaction did.
  std::shared_ptr<const LogRecord> record = KnownNextRecord();
  *known = record != nullptr;
  if (*known) return record;
  // The log's watch saw nothing change since this slot was found empty: it still is, with no
  // request (docs/design.md, "Watching a local log"). Its number is taken before the probe
  // below, so that a change the probe misses shows in the next one.
  if (!log_watch_) return ProbeStore(next);
  const uint64_t generation = log_watch_->Generation();
  if (next == empty_slot_ && generation == empty_generation_) {
    if (options_.probe) options_.probe->CountUnchanged();
    return Status::NotFound("log slot still empty");
  }
  Result<std::shared_ptr<const LogRecord>> probed = ProbeStore(next);
  if (probed.status().IsNotFound()) {
    empty_slot_ = next;
    empty_generation_ = generation;
  }
  return probed;
}

Result<std::shared_ptr<const LogRecord>> Engine::ProbeStore(uint64_t next) {
  if (!options_.probe) return FetchRecord(next);
  const std::string key = format::LogKey(db_, next);
  CL_ASSIGN_OR_RETURN(std::string bytes, options_.probe->Get(store_name_ + '\n' + key,
                                                             [&] { return FetchImmutable(key); }));
  // The engines that shared the probe decode its answer once between them (on the terms of
  // the first look above).
  if (auto decoded = KnownNextRecord()) return decoded;
  Result<std::shared_ptr<const LogRecord>> fetched = DecodeRecord(key, next, std::move(bytes));
  if (!fetched.ok() || (*fetched)->rec.version != next) {
    return FetchRecord(next);  // a damaged disk-cached copy: DecodeRecord dropped it
  }
  return fetched;
}

Result<format::Checkpoint> Engine::FetchCheckpoint(uint64_t c) {
  const std::string key = format::CheckpointKey(db_, c);
  bool cached = false;
  CL_ASSIGN_OR_RETURN(std::string bytes, FetchImmutable(key, &cached));
  Result<format::Checkpoint> cp = format::DecodeCheckpoint(bytes, key);
  if (cp.ok() && cp->version == c) return cp;
  if (disk_cache_) disk_cache_->Drop(DiskCache::Name(cache_scope_, key, 0));
  if (cached) {
    CL_ASSIGN_OR_RETURN(bytes, store_->Get(key));
    cp = format::DecodeCheckpoint(bytes, key);
    if (cp.ok() && cp->version == c) disk_cache_->Put(DiskCache::Name(cache_scope_, key, 0), bytes);
  }
  return cp;
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
  // Not those another engine of the process cached already (the writer its own, or a reader
  // that applied this record first): the record is immutable, and its checksum, verified, covers
  // them. Every reader connection of a busy database applies every record, so this was a
  // decompression per frame per connection (docs/benchmarks.md, YCSB, session 13).
  for (const auto& f : rec.map.frames) {
    if (!rec.map.objects[f.object].empty()) continue;
    std::string frame_key = FrameCache::Key(cache_scope_, self, f.offset);
    if (cache_->Touch(frame_key)) continue;
    CL_ASSIGN_OR_RETURN(std::string pages,
                        format::DecodeFrame(bytes.substr(f.offset, f.stored_length), f.page_count,
                                            rec.page_size, Seed(self, f.offset), key, f.offset));
    cache_->Put(frame_key, std::make_shared<const std::string>(std::move(pages)));
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
  return format::ObjectKey(db_, format::RecordObject(version, format::RecordTag(rec.nonce)));
}

void Engine::RecordChanges(uint64_t version, std::optional<std::vector<uint32_t>> pages,
                           std::string tag) {
  constexpr size_t kMaxVersions = 1024;
  // While a background checkpoint runs, adopting it needs what changed since its version
  // (AdoptCheckpoint): kept that far back, within a bound.
  constexpr uint64_t kMaxVersionsWhileCheckpointing = 1 << 16;
  if (!pages) {
    history_.clear();
    history_floor_ = version;
    return;
  }
  std::string record_key = format::ObjectKey(db_, format::RecordObject(version, tag));
  history_[version] = {std::move(*pages), std::move(tag), std::move(record_key)};
  const uint64_t checkpointing =
      checkpointing_version_ > 0 && version > checkpointing_version_
          ? std::min(version - checkpointing_version_, kMaxVersionsWhileCheckpointing)
          : 0;
  while (history_.size() > std::max<uint64_t>(kMaxVersions, checkpointing)) {
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
  if (pinned_) return false;  // a past version (OpenAt) stays what it is
  auto now = std::chrono::steady_clock::now();
  if (!force && synced_ && options_.max_staleness.count() > 0 &&
      now - last_sync_ < options_.max_staleness) {
    return ApplyKnownRecords();
  }
  uint64_t before = version_;
  // A map loaded long ago may name objects a collector removed since a newer checkpoint: open
  // again from the newest (docs/format.md, "Re-syncing").
  if (BasisIsStale()) {
    CL_ASSIGN_OR_RETURN(bool newer, NewerCheckpointExists());
    if (newer) {
      CL_RETURN_IF_ERROR(Reload());
      now = std::chrono::steady_clock::now();
    }
  }
  // Long without a LIST, the slot after this version may have been deleted (rm, GC) and a
  // probe would find it empty: list instead (docs/format.md, "Reading a version").
  if (now - last_list_ >= options_.relist_after) behind_ = true;
  // The probe, and the next record while there is one, up to two: a reader one version behind
  // (the common case) needs no LIST, which costs as much as 12 GETs on AWS S3. Two new records
  // suggest more, and a lost race proved this engine behind: then CatchUp lists. A store that
  // lists slowly (a directory is read whole) is read one record at a time instead.
  const bool list = store_->ListsCheaply();
  if (!list && now - last_list_ < options_.relist_after) behind_ = false;
  // Records the process already knows cost nothing and do not count.
  for (int found = 0; !behind_;) {
    bool known = false;
    Result<std::shared_ptr<const LogRecord>> record = ProbeNext(&known);
    if (record.status().IsNotFound()) break;
    CL_RETURN_IF_ERROR(record.status());
    CL_RETURN_IF_ERROR(Apply(format::LogKey(db_, version_ + 1), **record));
    if (!known && ++found == 2 && list) behind_ = true;
  }
  if (behind_) CL_RETURN_IF_ERROR(CatchUp());
  last_sync_ = now;
  synced_ = true;
  return version_ != before;
}

Result<bool> Engine::ApplyKnownRecords() {
  const uint64_t before = version_;
  while (std::shared_ptr<const LogRecord> record = KnownNextRecord()) {
    CL_RETURN_IF_ERROR(Apply(format::LogKey(db_, version_ + 1), *record));
  }
  return version_ != before;
}

bool Engine::BasisIsStale() const {
  return std::chrono::steady_clock::now() - basis_checked_ >= options_.relist_after;
}

Result<bool> Engine::NewerCheckpointExists() {
  const std::string prefix = format::CheckpointPrefix(db_);
  CL_ASSIGN_OR_RETURN(ListPage page,
                      store_->List(prefix, format::CheckpointKey(db_, basis_version_), 1));
  if (!page.keys.empty()) return true;
  basis_checked_ = std::chrono::steady_clock::now();
  return false;
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
    // Far behind, the RECENT sections cost a GET per 6-64 versions missed (seconds on a remote
    // store for thousands); the newest checkpoint costs a few requests however far.
    const uint64_t far = 2 * options_.checkpoint_interval;
    if (far > 0 && (page.more || versions.back() - version_ > far)) return Reload();
    std::string key = format::LogKey(db_, versions.back());
    const std::set<uint64_t> listed(versions.begin(), versions.end());
    for (uint64_t v = version_ + 1; v < versions.back(); v++) {
      if (listed.count(v)) continue;
      Status missing = CheckMissing(v, key);
      // What this engine has was deleted under it (rm, or history collected): open again.
      if (!missing.ok() && v == version_ + 1 && missing.IsCorruption()) return Reload();
      CL_RETURN_IF_ERROR(missing);
    }
    Result<std::shared_ptr<const LogRecord>> newest = FetchRecord(versions.back());
    if (newest.status().IsNotFound()) return Reload();
    CL_RETURN_IF_ERROR(newest.status());
    CL_RETURN_IF_ERROR(ReachNewest(std::move(key), std::move(*newest)));
    if (!page.more) break;
  }
  behind_ = false;
  return Status::Ok();
}

Status Engine::ReachNewest(std::string key, std::shared_ptr<const LogRecord> newest) {
  // The newest record, then back from it through RECENT sections, one record standing in for
  // up to recent_versions before it ("stones"); records no section describes are read in order.
  struct Stone {
    std::string key;
    std::shared_ptr<const LogRecord> record;
    uint64_t described = 0;  // versions its RECENT section stands in for
    const format::Record& rec() const { return record->rec; }
  };
  std::vector<Stone> stones;  // newest first
  auto add = [&](Stone stone) {
    // A database this engine was about to create may have been created by another writer: its
    // incarnation starts where this one would have.
    const format::Record& rec = stone.rec();
    const bool ours = rec.db_id == db_id_ || (!exists_ && rec.base == base_);
    stone.described = SamePageSize(rec) && ours && !rec.end ? rec.recent.versions.size() : 0;
    stones.push_back(std::move(stone));
    return stones.back().rec().version - stones.back().described;  // the oldest version it covers
  };
  if (newest->rec.version <= version_) {
    return Status::Corruption(key + ": holds version " + std::to_string(newest->rec.version));
  }
  // A section is used only if it also describes the version this engine is at, whose record it
  // knows, so that the tag there proves the section continues this engine's chain (not one whose
  // record was deleted and written again). Before the genesis there is nothing to continue.
  const bool chained = head_nonce_.size() == format::kNonceSize && version_ >= base_;
  const uint64_t need = chained ? version_ : version_ + 1;
  uint64_t read_from = add({std::move(key), std::move(newest)});
  while (read_from > need && stones.back().described > 0) {
    // The next stone is the oldest version this one describes, so that each section is checked
    // against the stone before it.
    Stone stone{format::LogKey(db_, read_from), {}};
    CL_ASSIGN_OR_RETURN(stone.record, FetchRecord(read_from));
    if (stone.rec().version != read_from) {
      return Status::Corruption(stone.key + ": holds version " +
                                std::to_string(stone.rec().version));
    }
    read_from = add(std::move(stone));
  }
  // Versions below the oldest stone's reach, one record at a time.
  const uint64_t reach = stones.back().rec().version - stones.back().described;
  while (version_ + 1 < reach || (chained && version_ < reach && stones.back().described > 0 &&
                                  version_ + 1 < stones.back().rec().version)) {
    std::string next = format::LogKey(db_, version_ + 1);
    Result<std::shared_ptr<const LogRecord>> record = FetchRecord(version_ + 1);
    if (record.status().IsNotFound()) {
      return Status::Corruption(next + " is missing, but " + stones.back().key + " exists");
    }
    CL_RETURN_IF_ERROR(record.status());
    CL_RETURN_IF_ERROR(Apply(next, **record));
  }
  for (auto it = stones.rbegin(); it != stones.rend(); ++it) {
    const format::Record& rec = it->rec();
    if (it->described > 0 && version_ + 1 < rec.version) {
      const uint64_t first = rec.version - it->described;
      if (head_nonce_.size() == format::kNonceSize && version_ >= base_ && version_ >= first &&
          rec.recent.versions[version_ - first].tag != format::RecordTag(head_nonce_)) {
        return Status::Corruption(it->key + ": describes version " + std::to_string(version_) +
                                  " as another record than " + format::LogKey(db_, version_) +
                                  " (one of them was deleted and written again)");
      }
      // The stone's prev names a record this engine skips: the tag above stands for it.
      if (rec.db_id != db_id_) SetIncarnation(rec.db_id, rec.base);
      exists_ = true;
      ApplyRecent(rec.recent, rec.version, rec.page_size);
      head_nonce_.clear();
    }
    CL_RETURN_IF_ERROR(Apply(it->key, *it->record));
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
  // Entries of versions up to this engine's map pages it already has (maybe at another place,
  // and possibly at objects a collector removed since: docs/format.md, "Re-syncing").
  for (uint64_t u = std::max(first, version_ + 1); u < to; u++) {
    const format::RecentVersion& entry = recent.versions[u - first];
    std::string self = entry.tag.empty()
                           ? format::LogKey(db_, u)
                           : format::ObjectKey(db_, format::RecordObject(u, entry.tag));
    map_.Apply(entry.map, db_, self, page_size, recent.db_pages, /*replace=*/false);
  }
  version_ = to - 1;
}

Result<std::shared_ptr<const std::string>> Engine::LoadFrame(const FrameLocation& loc) {
  std::string cache_key = FrameCache::Key(cache_scope_, *loc.key, loc.offset);
  if (auto hit = cache_->Get(cache_key)) return hit;
  const uint64_t seed = Seed(*loc.key, loc.offset);  // only a frame to decode needs it
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
    // History collected under a snapshot held past the grace period, or damage: a collector
    // deletes only what no checkpoint newer than this map's basis names (docs/format.md,
    // "Re-syncing"), so with none newer it is damage. Else retry on a fresh map.
    const std::string prefix = format::CheckpointPrefix(db_);
    Result<ListPage> newer = store_->List(prefix, format::CheckpointKey(db_, basis_version_), 1);
    if (newer.ok() && newer->keys.empty()) return MissingObject(store_key, version_);
    basis_checked_ = {};  // the next transaction re-syncs
    return Status::Unavailable(store_key + ": gone from the store (collected while version " +
                               std::to_string(version_) +
                               " was in use past the grace period); try again");
  }
  CL_RETURN_IF_ERROR(stored.status());
  if (stored->size() != loc.stored_length) {
    return TruncatedFrame(store_key, loc.offset);
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

}  // namespace cloudlite::engine
