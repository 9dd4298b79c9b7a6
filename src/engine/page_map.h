// The page map of one version in memory: for each page, which slot of which frame holds it.
//
// Built from a checkpoint and advanced by commit records (docs/format.md, "Reading a version").
// Not thread-safe: it belongs to one Engine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cloudlite/status.h"
#include "format/format.h"

namespace cloudlite::engine {

struct FrameLocation {
  const std::string* key;  // full object key; valid while the PageMap lives
  uint64_t offset;
  uint64_t stored_length;
  uint32_t page_count;
  uint32_t slot;  // the page's index inside the frame
};

class PageMap {
 public:
  uint32_t page_size() const { return page_size_; }
  uint32_t db_pages() const { return static_cast<uint32_t>(pages_.size()); }
  // Objects the map holds, those no page uses any more included (Compact drops them).
  size_t object_count() const { return objects_.size(); }

  // Overlays a record's or checkpoint's map. Objects named "" resolve to `self_key`; others are
  // relative to "<db>/". With `replace`, pages not in `map` become zeros (checkpoints, and
  // records that change the page size).
  void Apply(const format::PageMapData& map, std::string_view db, std::string_view self_key,
             uint32_t page_size, uint32_t db_pages, bool replace);

  // Where page `pgno` (1-based) lives, or nullopt for a zero page or one past the end.
  std::optional<FrameLocation> Find(uint32_t pgno) const;

  // Pages whose frame is in an object that is not a segment (log records, to be checkpointed).
  std::vector<uint32_t> PagesOutsideSegments(std::string_view db) const;

  // For each segment the map uses, the stored bytes of its frames that the map still needs,
  // a frame counted by the share of its pages in use (compaction's measure of a segment).
  std::map<std::string, double> SegmentUse(std::string_view db) const;
  // Pages whose frame is in one of `objects` (full keys), ascending.
  std::vector<uint32_t> PagesIn(const std::set<std::string>& objects) const;

  // Drops the frames no page uses and the objects no frame uses (the dead ones also go when
  // most frames are dead, after an Apply): a copy of the map then copies only what is live.
  void Compact();

  // Makes pages zeros (those past db_pages stay absent).
  void Forget(const std::vector<uint32_t>& pgnos);

  // Takes pages `pgnos` as `newer` maps them (zeros included) and its size: this map of an
  // older version, plus what changed since, is the map of `newer`'s version. Same page size.
  void Overlay(const PageMap& newer, const std::set<uint32_t>& pgnos, std::string_view db);

  // The whole map, with keys relative to "<db>/", and only the frames it uses.
  format::PageMapData Export(std::string_view db) const;
  // The same for pages `pgnos` (ascending; zero pages are left out), naming object `self_key`
  // "" (a record's RECENT section, docs/format.md).
  format::PageMapData Export(std::string_view db, const std::vector<uint32_t>& pgnos,
                             std::string_view self_key) const;

 private:
  struct Frame {
    uint32_t object;
    uint64_t offset;
    uint64_t stored_length;
    uint32_t page_count;
  };
  static constexpr uint32_t kNoFrame = UINT32_MAX;
  struct Page {
    uint32_t frame = kNoFrame;
    uint32_t slot = 0;
  };
  uint32_t InternObject(std::string key);
  // Pages whose frame's object index is marked in `chosen` (one flag per object), ascending.
  std::vector<uint32_t> PagesInObjects(const std::vector<bool>& chosen) const;
  template <typename Pages>
  format::PageMapData ExportPages(std::string_view db, const Pages& pgnos,
                                  std::string_view self_key) const;
  void CompactIfSparse();

  uint32_t page_size_ = 0;
  std::vector<std::string> objects_;
  std::unordered_map<std::string, uint32_t> object_index_;
  std::vector<Frame> frames_;
  std::vector<Page> pages_;  // index pgno-1
};

}  // namespace cloudlite::engine
