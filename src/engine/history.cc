// The history of a database (history.h), and Engine::OpenAt: a past version, read-only.
#include "engine/history.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "base/clock.h"
#include "base/parallel.h"
#include "engine/engine.h"
#include "format/format.h"

namespace cloudlite::engine {
namespace {

std::string NotRetainedHint(const Retained& r) {
  return "the retained versions are " + std::to_string(r.oldest) + " to " +
         std::to_string(r.newest) + " (`cloudlite log URI` lists them)";
}

// The commit time of version `v`: its record's, or its checkpoint's when the record is gone.
Result<int64_t> CommitTime(ObjectStore& store, const std::string& db, uint64_t v) {
  std::string key = format::LogKey(db, v);
  Result<std::string> bytes = store.Get(key);
  if (bytes.ok()) {
    CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*bytes, key));
    return rec.time_micros;
  }
  if (!bytes.status().IsNotFound()) return bytes.status();
  key = format::CheckpointKey(db, v);
  CL_ASSIGN_OR_RETURN(std::string cp_bytes, store.Get(key));
  CL_ASSIGN_OR_RETURN(format::Checkpoint cp, format::DecodeCheckpoint(cp_bytes, key));
  return cp.time_micros;
}

}  // namespace

Result<Retained> ListRetained(ObjectStore& store, const std::string& db) {
  if (!format::IsValidDatabaseName(db)) {
    return Status::InvalidArgument("invalid database name '" + db +
                                   "': use 1-128 characters from A-Z a-z 0-9 . _ -");
  }
  const std::string log_prefix = format::LogPrefix(db);
  const std::string ckpt_prefix = format::CheckpointPrefix(db);
  CL_ASSIGN_OR_RETURN(auto ckpt_keys, ListAll(store, ckpt_prefix));
  CL_ASSIGN_OR_RETURN(auto log_keys, ListAll(store, log_prefix));
  std::vector<uint64_t> records = format::SortedVersions(log_keys, log_prefix);
  std::vector<uint64_t> checkpoints = format::SortedVersions(ckpt_keys, ckpt_prefix);
  const std::string missing = "database '" + db + "' does not exist in " + store.Describe();
  Retained r;
  const uint64_t newest_checkpoint = checkpoints.empty() ? 0 : checkpoints.back();
  if (!records.empty() && records.back() > newest_checkpoint) {
    std::string key = format::LogKey(db, records.back());
    CL_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
    CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(bytes, key));
    if (rec.end) return Status::NotFound(missing + " (it was removed)");
    r.db_id = rec.db_id;
    r.base = rec.base;
  } else if (newest_checkpoint > 0) {
    std::string key = format::CheckpointKey(db, newest_checkpoint);
    CL_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
    CL_ASSIGN_OR_RETURN(format::Checkpoint cp, format::DecodeCheckpoint(bytes, key));
    r.db_id = cp.db_id;
    r.base = cp.base;
  } else {
    return Status::NotFound(missing);
  }
  for (uint64_t v : records) {
    if (v >= r.base) r.records.push_back(v);
  }
  for (uint64_t c : checkpoints) {
    if (c >= r.base) r.checkpoints.push_back(c);
  }
  r.newest = std::max(newest_checkpoint, r.records.empty() ? 0 : r.records.back());
  // The records that run without a gap up to the newest: lo..newest.
  uint64_t lo = r.newest + 1;
  for (auto it = r.records.rbegin(); it != r.records.rend() && *it + 1 == lo; ++it) lo = *it;
  if (lo == r.base) {
    r.oldest = r.base;  // from the genesis, every version
  } else {
    // The oldest checkpoint from which the records reach the newest version.
    auto from = std::lower_bound(r.checkpoints.begin(), r.checkpoints.end(), lo - 1);
    r.oldest = from != r.checkpoints.end() ? *from : r.newest;
  }
  return r;
}

Status CheckRetained(const Retained& r, const std::string& db, uint64_t version) {
  if (version > r.newest) {
    return Status::NotFound("version " + std::to_string(version) + " of '" + db +
                            "' does not exist: the newest is " + std::to_string(r.newest));
  }
  if (version < r.base) {
    return Status::NotFound("version " + std::to_string(version) + " of '" + db +
                            "' is older than this database, whose first version is " +
                            std::to_string(r.base) +
                            " (versions before it belonged to a database of the same name that "
                            "was removed)");
  }
  if (version < r.oldest) {
    return Status::NotFound("version " + std::to_string(version) + " of '" + db +
                            "' is not retained: " + NotRetainedHint(r));
  }
  return Status::Ok();
}

Result<uint64_t> ResolveHistoryPoint(ObjectStore& store, const std::string& db, const Retained& r,
                                     const HistoryPoint& at) {
  if (at.time_micros == 0) return at.version;
  CL_ASSIGN_OR_RETURN(int64_t oldest_time, CommitTime(store, db, r.oldest));
  if (at.time_micros < oldest_time) {
    return Status::NotFound("no retained version of '" + db + "' is as old as " +
                            IsoTime(at.time_micros) + ": the oldest, version " +
                            std::to_string(r.oldest) + ", was committed at " +
                            IsoTime(oldest_time));
  }
  // Invariant: time(lo) <= t; hi is the newest candidate.
  uint64_t lo = r.oldest, hi = r.newest;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    CL_ASSIGN_OR_RETURN(int64_t time, CommitTime(store, db, mid));
    if (time <= at.time_micros) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

Result<std::vector<VersionSummary>> ReadVersionSummaries(ObjectStore& store, const std::string& db,
                                                         const Retained& r, uint64_t since,
                                                         uint64_t limit, int parallel) {
  std::vector<uint64_t> wanted;
  for (auto it = r.records.rbegin(); it != r.records.rend() && *it > since; ++it) {
    if (limit != 0 && wanted.size() >= limit) break;
    wanted.push_back(*it);
  }
  std::vector<VersionSummary> out(wanted.size());
  CL_RETURN_IF_ERROR(ForEachInParallel(wanted.size(), parallel, nullptr, [&](size_t i) -> Status {
    const std::string key = format::LogKey(db, wanted[i]);
    CL_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
    CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(bytes, key));
    VersionSummary& s = out[i];
    s.version = rec.version;
    s.time_micros = rec.time_micros;
    s.writer_id = rec.writer_id;
    s.page_size = rec.page_size;
    s.db_pages = rec.db_pages;
    s.bytes_written = bytes.size();
    for (const auto& e : rec.map.extents) s.pages_written += e.page_count;
    for (const auto& f : rec.map.frames) {
      if (!rec.map.objects[f.object].empty()) s.bytes_written += f.stored_length;
    }
    s.changeset = std::move(rec.changeset);
    return Status::Ok();
  }));
  return out;
}

// ---- Engine::OpenAt -------------------------------------------------------------------------

Result<std::unique_ptr<Engine>> Engine::OpenAt(std::shared_ptr<ObjectStore> store, std::string db,
                                               EngineOptions options,
                                               std::shared_ptr<FrameCache> cache,
                                               const HistoryPoint& at) {
  CL_ASSIGN_OR_RETURN(Retained r, ListRetained(*store, db));
  CL_ASSIGN_OR_RETURN(uint64_t version, ResolveHistoryPoint(*store, db, r, at));
  CL_RETURN_IF_ERROR(CheckRetained(r, db, version));
  if (!options.cache_dir.empty()) CL_RETURN_IF_ERROR(DiskCache::Prepare(options.cache_dir));
  std::unique_ptr<Engine> engine(
      new Engine(std::move(store), std::move(db), std::move(options), std::move(cache)));
  engine->SetIncarnation(r.db_id, r.base);
  // From the newest checkpoint at or below the version, else an older one (a checkpoint may be
  // deleted while this runs: each landing one deletes all but the newest two), else the genesis.
  std::vector<uint64_t> starts;
  for (auto it = r.checkpoints.rbegin(); it != r.checkpoints.rend(); ++it) {
    if (*it <= version && *it >= r.oldest) starts.push_back(*it);
  }
  if (r.oldest == r.base) starts.push_back(0);
  Status loaded = Status::NotFound("version " + std::to_string(version) + " of '" + engine->db_ +
                                   "' is not retained: " + NotRetainedHint(r));
  for (uint64_t from : starts) {
    loaded = engine->LoadVersion(from, version);
    if (!loaded.IsNotFound()) break;
  }
  CL_RETURN_IF_ERROR(loaded);
  engine->pinned_ = true;
  engine->synced_ = true;
  return engine;
}

Status Engine::LoadVersion(uint64_t from, uint64_t version) {
  map_ = PageMap();
  history_.clear();
  exists_ = false;
  if (from > 0) {
    CL_ASSIGN_OR_RETURN(format::Checkpoint cp, FetchCheckpoint(from));
    const std::string key = format::CheckpointKey(db_, from);
    if (cp.db_id != db_id_) {
      return Status::Corruption(key + ": belongs to another incarnation of '" + db_ + "'");
    }
    map_.Apply(cp.map, db_, key, cp.page_size, cp.db_pages, /*replace=*/true);
    version_ = checkpoint_version_ = history_floor_ = from;
    head_nonce_ = cp.head;
    last_commit_micros_ = cp.time_micros;
    exists_ = true;
  } else {
    version_ = history_floor_ = base_ - 1;
    checkpoint_version_ = 0;
    head_nonce_ = format::ZeroNonce();
  }
  while (version_ < version) {
    const uint64_t next = version_ + 1;
    Result<std::shared_ptr<const LogRecord>> record = FetchRecord(next);
    if (record.status().IsNotFound()) {
      return Status::NotFound("version " + std::to_string(version) + " of '" + db_ +
                              "' is not retained: " + format::LogKey(db_, next) + " was deleted");
    }
    CL_RETURN_IF_ERROR(record.status());
    CL_RETURN_IF_ERROR(Apply(format::LogKey(db_, next), **record));
  }
  // The record after the version, when there is one, must name it: the version read is the one
  // the rest of the log builds on, not a record deleted and written again.
  Result<std::shared_ptr<const LogRecord>> next = FetchRecord(version + 1);
  if (next.ok() && (*next)->rec.format >= 2 && !(*next)->rec.end &&
      head_nonce_.size() == format::kNonceSize && (*next)->rec.prev != head_nonce_) {
    return Status::Corruption(format::LogKey(db_, version + 1) + ": does not follow version " +
                              std::to_string(version) +
                              " (the record before it was replaced, or this slot was written "
                              "again after a deletion)");
  }
  if (!next.ok() && !next.status().IsNotFound()) return next.status();
  return Status::Ok();
}

}  // namespace cloudlite::engine
