// Engine::Checkpoint: a checkpoint of the current version, with the pages still in records, and
// those of segments mostly overwritten (compaction), moved into a new segment (docs/design.md,
// "Segment compaction"). Garbage collection, which deletes older checkpoints, runs apart
// (gc_schedule.cc).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "base/parallel.h"
#include "base/random.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
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

// Segment sizes learnt per checkpoint at most: the first checkpoint after opening a database of
// many segments spreads its HEADs over several.
constexpr size_t kSizeProbesPerCheckpoint = 64;

}  // namespace

void Engine::LearnSegmentSizes(const std::map<std::string, double>& use, size_t limit) {
  std::vector<std::string> unknown;
  for (const auto& entry : use) {
    if (unknown.size() == limit) break;
    if (!segment_sizes_.contains(entry.first)) unknown.push_back(entry.first);
  }
  std::vector<uint64_t> sizes(unknown.size(), 0);
  std::atomic<bool> failed{false};
  // Best effort: a size not learnt now is asked for at the next checkpoint.
  (void)ForEachInParallel(unknown.size(), options_.transfer_parallel, &failed,
                          [&](size_t i) -> Status {
                            Result<ObjectInfo> info = store_->Head(format::StoreKey(unknown[i]));
                            if (info.ok()) sizes[i] = info->size;
                            return Status::Ok();
                          });
  for (size_t i = 0; i < unknown.size(); i++) {
    if (sizes[i] > 0) segment_sizes_[unknown[i]] = sizes[i];
  }
}

Result<std::shared_ptr<const std::string>> Engine::FrameOfObject(const std::string& object,
                                                                 const FrameLocation& loc) {
  const std::string_view key = format::StoreKey(*loc.key);
  if (loc.offset > object.size() || object.size() - loc.offset < loc.stored_length) {
    return TruncatedFrame(key, loc.offset);
  }
  std::string_view stored = std::string_view(object).substr(loc.offset, loc.stored_length);
  CL_ASSIGN_OR_RETURN(std::string pages,
                      format::DecodeFrame(stored, loc.page_count, map_.page_size(),
                                          Seed(*loc.key, loc.offset), *loc.key, loc.offset));
  return std::make_shared<const std::string>(std::move(pages));
}

Result<std::map<std::string, std::string>> Engine::ReadSparseSegments() {
  std::map<std::string, std::string> sparse;
  if (options_.compact_below <= 0) return sparse;
  std::map<std::string, double> use = map_.SegmentUse(db_);
  LearnSegmentSizes(use, kSizeProbesPerCheckpoint);
  struct Candidate {
    double share;
    std::string key;
    uint64_t size;
  };
  std::vector<Candidate> candidates;
  for (const auto& [key, live] : use) {
    auto known = segment_sizes_.find(key);
    if (known == segment_sizes_.end()) continue;
    double share = live / static_cast<double>(known->second);
    if (share < options_.compact_below) candidates.push_back({share, key, known->second});
  }
  // The most wasteful first, while they fit in the budget.
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.share < b.share; });
  std::vector<std::string> chosen;
  uint64_t budget = options_.compact_bytes;
  for (const Candidate& c : candidates) {
    if (c.size > budget) continue;
    budget -= c.size;
    chosen.push_back(c.key);
  }
  std::mutex mu;
  std::atomic<bool> failed{false};
  CL_RETURN_IF_ERROR(ForEachInParallel(
      chosen.size(), options_.transfer_parallel, &failed, [&](size_t i) -> Status {
        CL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(format::StoreKey(chosen[i])));
        std::lock_guard<std::mutex> lock(mu);
        sparse[chosen[i]] = std::move(bytes);
        return Status::Ok();
      }));
  return sparse;
}

Status Engine::Checkpoint() {
  if (removed_) return RemovedError();
  if (!exists_ || checkpoint_version_ == version_) return Status::Ok();
  // A format-1 database is read only; a checkpoint names the record it follows.
  if (db_id_ == format::Format1DbId() || head_nonce_.size() != format::kNonceSize) {
    return Status::Ok();
  }
  // A map that does not rest on the newest checkpoint may name segments newer checkpoints no
  // longer do, and a collector keeps only what they name: no checkpoint from it (one LIST per
  // checkpoint; docs/format.md, "Re-syncing").
  CL_ASSIGN_OR_RETURN(bool newer, NewerCheckpointExists());
  if (newer) {
    basis_checked_ = {};  // re-sync, and checkpoint again from there
    return Status::Ok();
  }
  uint32_t page_size = map_.page_size();
  CL_ASSIGN_OR_RETURN(auto sparse, ReadSparseSegments());
  std::vector<uint32_t> pgnos = map_.PagesOutsideSegments(db_);
  if (!sparse.empty()) {
    std::set<std::string> keys;
    for (const auto& entry : sparse) keys.insert(entry.first);
    std::vector<uint32_t> compacted = map_.PagesIn(keys), both;
    std::set_union(pgnos.begin(), pgnos.end(), compacted.begin(), compacted.end(),
                   std::back_inserter(both));
    pgnos = std::move(both);
  }
  PageMap next = map_;
  if (!pgnos.empty()) {
    std::string segment_key = format::SegmentKey(db_, version_, RandomHex(8));
    format::SegmentBuilder builder(page_size, version_, db_id_, std::string(Relative(segment_key)));
    format::PageMapData delta;
    delta.objects = {std::string(Relative(segment_key))};
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
          const FrameLocation& loc = wanted[i];
          auto whole = sparse.find(*loc.key);
          CL_ASSIGN_OR_RETURN(auto frame, whole == sparse.end()
                                              ? LoadFrame(loc)
                                              : FrameOfObject(whole->second, loc));
          std::lock_guard<std::mutex> lock(mu);
          held[{loc.key, loc.offset}] = std::move(frame);
          return Status::Ok();
        }));
    std::vector<std::shared_ptr<const std::string>> decoded;
    // On a local store a checkpoint takes zstd's fast level: compressing every page changed in
    // an interval at level 3 was a tenth of a busy server's CPU there, and disk bytes are cheap
    // (docs/benchmarks.md, "Checkpoints at the fast level on a local store").
    const int level = store_->IsLocal() ? options_.fast_zstd_level : options_.zstd_level;
    ForEachRun(pgnos, options_.pages_per_frame, [&](uint32_t first, uint32_t count) {
      std::string pages(uint64_t{count} * page_size, '\0');
      for (uint32_t i = 0; i < count; i++) {
        FrameLocation loc = *map_.Find(first + i);
        const std::string& frame = *held[{loc.key, loc.offset}];
        std::memcpy(pages.data() + uint64_t{i} * page_size,
                    frame.data() + uint64_t{loc.slot} * page_size, page_size);
      }
      std::string stored = format::EncodeFrame(pages, level);
      uint64_t offset = builder.Add(first, count, stored);
      uint32_t index = static_cast<uint32_t>(delta.frames.size());
      delta.frames.push_back({0, offset, stored.size(), count});
      delta.extents.push_back({first, count, index, 0});
      decoded.push_back(std::make_shared<const std::string>(std::move(pages)));
    });
    std::string segment = builder.Finish();
    CL_RETURN_IF_ERROR(PutSegment(segment_key, segment));
    segment_sizes_[segment_key] = segment.size();
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
  // The engine that adopts this map copies it for its next checkpoint, on a commit's path:
  // without the records this checkpoint made dead (one per commit of the interval, and up to
  // a thousand before the map compacted itself), that copy is a few dozen objects.
  next.Compact();
  map_ = std::move(next);
  checkpoint_version_ = version_;
  // The map is now this checkpoint's, which rests on the newest one listed just before.
  basis_version_ = version_;
  return Status::Ok();
}

}  // namespace cloudlite::engine
