// Whole-image transfer: Engine::ReadImage (pull) streams every page of a version with big ranged
// GETs on worker threads; Engine::CommitImage (push, migrate) compresses and uploads an image as
// one new version.
#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "base/parallel.h"
#include "base/random.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "format/format.h"

namespace cloudlite::engine {
namespace {

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
      return MissingObject(*r.key, version_);
    }
    CL_RETURN_IF_ERROR(bytes.status());
    for (size_t i = r.first; i < r.first + r.count && !failed.load(); i++) {
      const ImageFrame& f = frames[i];
      uint64_t at = f.offset - r.offset;
      if (bytes->size() < at + f.stored_length) {
        return TruncatedFrame(*f.key, f.offset);
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
  const uint32_t frame_pages = FramePages(options_.pages_per_frame, page_size);
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
        map.objects.emplace_back(Relative(segment_key));
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
    rec.prev = genesis ? format::ZeroNonce() : head_nonce_;
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
