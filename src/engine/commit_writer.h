// The frames of one commit, written with bounded memory (docs/design.md, "Commits stream").
//
// Pages are compressed in page order into frames of up to `frame_pages` consecutive pages. While
// the frames fit in the record (`inline_limit`), they stay in memory and go inline; past it they
// are appended to segments of at most `segment_bytes`, each uploaded as soon as it is full (up to
// `uploads_in_flight` at a time, while the next is compressed), so that memory holds a few
// segments whatever the commit's size. A record's page map may therefore name several segments.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cloudlite/status.h"
#include "engine/dirty_pages.h"
#include "format/format.h"

namespace cloudlite::engine {

struct CommitWriterOptions {
  std::string db;        // the database's key prefix
  std::string db_id;     // the incarnation its segments' frames are sealed to
  uint64_t version = 0;  // names the segments
  uint32_t page_size = 0;
  uint32_t frame_pages = 16;
  int zstd_level = 3;
  uint64_t inline_limit = 1 << 20;
  uint64_t segment_bytes = 16ull << 20;
  int uploads_in_flight = 4;
  // Pages of frames kept to warm the frame cache once the record is in: at most this many
  // bytes, of segment frames the newest (the cache would evict the older ones anyway), of frames
  // inline in the record the first ones.
  uint64_t warm_bytes = 0;
};

struct CommitFrames {
  // Objects "" (the record itself) or segment keys relative to "<db>/"; frames; extents.
  format::PageMapData map;
  std::string inline_frames;  // the record's frame bytes; empty when the frames are in segments
  struct Warm {
    std::string key;  // the segment's full key; empty for a frame inline in the record
    uint64_t offset;  // in the segment; in inline_frames for a frame inline in the record
    std::shared_ptr<const std::string> pages;
  };
  std::vector<Warm> warm;
};

// Uploads one segment (called from worker threads, several at once).
using PutSegmentFn = std::function<Status(const std::string& key, const std::string& bytes)>;

// Writes the frames of `pgnos` (ascending, each in `dirty`). Every segment is uploaded before
// it returns; on an error, segments already uploaded stay behind unreferenced.
Result<CommitFrames> WriteCommitFrames(const DirtyPages& dirty, const std::vector<uint32_t>& pgnos,
                                       const CommitWriterOptions& options,
                                       const PutSegmentFn& put_segment);

}  // namespace cloudlite::engine
