#include "engine/commit_writer.h"

#include <algorithm>
#include <deque>
#include <future>
#include <system_error>
#include <utility>

#include "base/random.h"

namespace cloudlite::engine {
namespace {

class FrameWriter {
 public:
  FrameWriter(const CommitWriterOptions& options, const PutSegmentFn& put)
      : options_(options), put_(put) {}

  ~FrameWriter() {
    for (auto& upload : uploads_) upload.wait();  // no thread outlives what it uses
  }

  Status Add(uint32_t first_pgno, uint32_t page_count, std::string pages) {
    Frame f{first_pgno, page_count, format::EncodeFrame(pages, options_.zstd_level),
            std::make_shared<const std::string>(std::move(pages))};
    stored_total_ += f.stored.size();
    if (!builder_ && stored_total_ <= options_.inline_limit) {
      // It may still go inline. Well-compressed pages could make many raw bytes of 1 MiB
      // inline: keep raw pages only within the warming budget.
      pending_raw_ += f.pages->size();
      if (pending_raw_ > options_.warm_bytes) f.pages.reset();
      pending_.push_back(std::move(f));
      return Status::Ok();
    }
    for (Frame& p : pending_) CL_RETURN_IF_ERROR(Append(std::move(p)));
    pending_.clear();
    return Append(std::move(f));
  }

  Result<CommitFrames> Finish() {
    if (builder_) {
      CL_RETURN_IF_ERROR(Flush());
    } else {
      out_.map.objects = {""};
      for (Frame& f : pending_) {
        AddToMap(f, 0, out_.inline_frames.size());
        if (f.pages) warm_.push_back({"", out_.inline_frames.size(), std::move(f.pages)});
        out_.inline_frames += f.stored;
      }
    }
    Status uploaded;
    while (!uploads_.empty()) {
      Status s = WaitOldestUpload();
      if (uploaded.ok()) uploaded = std::move(s);
    }
    CL_RETURN_IF_ERROR(uploaded);
    out_.warm.assign(std::make_move_iterator(warm_.begin()), std::make_move_iterator(warm_.end()));
    return std::move(out_);
  }

 private:
  struct Frame {
    uint32_t first_pgno;
    uint32_t page_count;
    std::string stored;
    std::shared_ptr<const std::string> pages;
  };

  void AddToMap(const Frame& f, uint32_t object, uint64_t offset) {
    auto index = static_cast<uint32_t>(out_.map.frames.size());
    out_.map.frames.push_back({object, offset, f.stored.size(), f.page_count});
    out_.map.extents.push_back({f.first_pgno, f.page_count, index, 0});
  }

  // Appends a frame to the segment being built, starting a new one when it would overflow.
  Status Append(Frame f) {
    if (builder_ && builder_->size() + f.stored.size() > options_.segment_bytes) {
      CL_RETURN_IF_ERROR(Flush());
    }
    if (!builder_) {
      segment_key_ = format::SegmentKey(options_.db, options_.version, RandomHex(8));
      builder_ = std::make_unique<format::SegmentBuilder>(
          options_.page_size, options_.version, options_.db_id,
          std::string(format::ObjectName(options_.db, segment_key_)));
      out_.map.objects.emplace_back(format::ObjectName(options_.db, segment_key_));
    }
    uint64_t offset = builder_->Add(f.first_pgno, f.page_count, f.stored);
    AddToMap(f, static_cast<uint32_t>(out_.map.objects.size() - 1), offset);
    Warm(offset, std::move(f.pages));
    return Status::Ok();
  }

  void Warm(uint64_t offset, std::shared_ptr<const std::string> pages) {
    if (!pages || pages->size() > options_.warm_bytes) return;
    warm_bytes_ += pages->size();
    warm_.push_back({segment_key_, offset, std::move(pages)});
    while (warm_bytes_ > options_.warm_bytes) {
      warm_bytes_ -= warm_.front().pages->size();
      warm_.pop_front();
    }
  }

  // Hands the finished segment to an upload thread, once fewer than uploads_in_flight are out.
  Status Flush() {
    auto max_uploads = static_cast<size_t>(std::max(1, options_.uploads_in_flight));
    while (uploads_.size() >= max_uploads) CL_RETURN_IF_ERROR(WaitOldestUpload());
    auto bytes = std::make_shared<const std::string>(builder_->Finish());
    builder_.reset();
    try {
      uploads_.push_back(std::async(std::launch::async, [put = put_, key = segment_key_, bytes] {
        return put(key, *bytes);
      }));
    } catch (const std::system_error&) {
      return put_(segment_key_, *bytes);  // no thread to be had: upload it here
    }
    return Status::Ok();
  }

  Status WaitOldestUpload() {
    Status s = uploads_.front().get();
    uploads_.pop_front();
    return s;
  }

  const CommitWriterOptions& options_;
  const PutSegmentFn& put_;
  uint64_t stored_total_ = 0;
  std::vector<Frame> pending_;  // frames while they still fit inline
  uint64_t pending_raw_ = 0;
  std::unique_ptr<format::SegmentBuilder> builder_;
  std::string segment_key_;
  std::deque<std::future<Status>> uploads_;
  std::deque<CommitFrames::Warm> warm_;
  uint64_t warm_bytes_ = 0;
  CommitFrames out_;
};

// Groups sorted page numbers into runs of consecutive pages of at most `max_pages`.
template <typename Fn>
Status ForEachRun(const std::vector<uint32_t>& pgnos, uint32_t max_pages, Fn fn) {
  for (size_t i = 0; i < pgnos.size();) {
    uint32_t first = pgnos[i];
    uint32_t count = 1;
    for (i++; i < pgnos.size() && pgnos[i] == first + count && count < max_pages; i++) count++;
    CL_RETURN_IF_ERROR(fn(first, count));
  }
  return Status::Ok();
}

}  // namespace

Result<CommitFrames> WriteCommitFrames(const DirtyPages& dirty, const std::vector<uint32_t>& pgnos,
                                       const CommitWriterOptions& options,
                                       const PutSegmentFn& put_segment) {
  FrameWriter writer(options, put_segment);
  const uint32_t page_size = options.page_size;
  CL_RETURN_IF_ERROR(ForEachRun(pgnos, std::max<uint32_t>(1, options.frame_pages),
                                [&](uint32_t first, uint32_t count) -> Status {
                                  std::string pages(uint64_t{count} * page_size, '\0');
                                  for (uint32_t i = 0; i < count; i++) {
                                    CL_RETURN_IF_ERROR(dirty.Read(
                                        first + i, pages.data() + uint64_t{i} * page_size));
                                  }
                                  return writer.Add(first, count, std::move(pages));
                                }));
  return writer.Finish();
}

}  // namespace cloudlite::engine
