#include "engine/page_map.h"

#include <memory>
#include <ranges>

namespace cloudlite::engine {

uint32_t PageMap::InternObject(std::string key) {
  auto [it, inserted] = object_index_.try_emplace(key, static_cast<uint32_t>(objects_.size()));
  if (inserted) objects_.push_back(std::move(key));
  return it->second;
}

void PageMap::Apply(const format::PageMapData& map, std::string_view db, std::string_view self_key,
                    uint32_t page_size, uint32_t db_pages, bool replace) {
  if (replace) {
    pages_.assign(db_pages, Page{});
  } else {
    pages_.resize(db_pages);
  }
  page_size_ = page_size;
  std::vector<uint32_t> object_ids;
  object_ids.reserve(map.objects.size());
  for (const auto& o : map.objects) {
    object_ids.push_back(
        InternObject(o.empty() ? std::string(self_key) : format::ObjectKey(db, o)));
  }
  uint32_t frame_base = static_cast<uint32_t>(frames_.size());
  for (const auto& f : map.frames) {
    frames_.push_back({object_ids[f.object], f.offset, f.stored_length, f.page_count});
  }
  for (const auto& e : map.extents) {
    for (uint32_t i = 0; i < e.page_count; i++) {
      uint64_t pgno = uint64_t{e.first_pgno} + i;
      if (pgno > pages_.size()) break;  // beyond db_pages: truncated away
      pages_[pgno - 1] = Page{frame_base + e.frame, e.first_slot + i};
    }
  }
  CompactIfSparse();
}

std::optional<FrameLocation> PageMap::Find(uint32_t pgno) const {
  if (pgno == 0 || pgno > pages_.size()) return std::nullopt;
  const Page& p = pages_[pgno - 1];
  if (p.frame == kNoFrame) return std::nullopt;
  const Frame& f = frames_[p.frame];
  return FrameLocation{&objects_[f.object], f.offset, f.stored_length, f.page_count, p.slot};
}

std::vector<uint32_t> PageMap::PagesOutsideSegments(std::string_view db) const {
  std::string seg_prefix = format::SegmentPrefix(db);
  std::vector<bool> outside(objects_.size());
  for (size_t i = 0; i < objects_.size(); i++) {
    outside[i] = objects_[i].compare(0, seg_prefix.size(), seg_prefix) != 0;
  }
  return PagesInObjects(outside);
}

std::map<std::string, double> PageMap::SegmentUse(std::string_view db) const {
  std::string seg_prefix = format::SegmentPrefix(db);
  std::map<std::string, double> use;
  for (const Page& p : pages_) {
    if (p.frame == kNoFrame) continue;
    const Frame& f = frames_[p.frame];
    const std::string& key = objects_[f.object];
    if (key.compare(0, seg_prefix.size(), seg_prefix) != 0) continue;
    use[key] += static_cast<double>(f.stored_length) / f.page_count;
  }
  return use;
}

std::vector<uint32_t> PageMap::PagesIn(const std::set<std::string>& objects) const {
  std::vector<bool> chosen(objects_.size());
  for (size_t i = 0; i < objects_.size(); i++) chosen[i] = objects.count(objects_[i]) > 0;
  return PagesInObjects(chosen);
}

std::vector<uint32_t> PageMap::PagesInObjects(const std::vector<bool>& chosen) const {
  std::vector<uint32_t> result;
  for (size_t i = 0; i < pages_.size(); i++) {
    if (pages_[i].frame != kNoFrame && chosen[frames_[pages_[i].frame].object]) {
      result.push_back(static_cast<uint32_t>(i + 1));
    }
  }
  return result;
}

void PageMap::Forget(const std::vector<uint32_t>& pgnos) {
  for (uint32_t pgno : pgnos) {
    if (pgno >= 1 && pgno <= pages_.size()) pages_[pgno - 1] = Page{};
  }
}

void PageMap::Overlay(const PageMap& newer, const std::set<uint32_t>& pgnos, std::string_view db) {
  std::vector<uint32_t> zeros, mapped;
  for (uint32_t pgno : pgnos) {
    if (pgno > newer.db_pages()) break;  // cut off: gone with the new size
    (newer.Find(pgno) ? mapped : zeros).push_back(pgno);
  }
  Forget(zeros);
  Apply(newer.Export(db, mapped, /*self_key=*/{}), db, /*self_key=*/{}, newer.page_size(),
        newer.db_pages(), /*replace=*/false);
}

template <typename Pages>
format::PageMapData PageMap::ExportPages(std::string_view db, const Pages& pgnos,
                                         std::string_view self_key) const {
  format::PageMapData out;
  std::unordered_map<uint32_t, uint32_t> object_out, frame_out;
  size_t prefix = db.size() + 1;
  for (uint32_t pgno : pgnos) {
    if (pgno == 0 || pgno > pages_.size()) continue;
    const Page& p = pages_[pgno - 1];
    if (p.frame == kNoFrame) continue;
    auto [fit, new_frame] =
        frame_out.try_emplace(p.frame, static_cast<uint32_t>(out.frames.size()));
    if (new_frame) {
      const Frame& f = frames_[p.frame];
      auto [oit, new_object] =
          object_out.try_emplace(f.object, static_cast<uint32_t>(out.objects.size()));
      if (new_object) {
        const std::string& key = objects_[f.object];
        out.objects.push_back(key == self_key ? std::string() : key.substr(prefix));
      }
      out.frames.push_back({oit->second, f.offset, f.stored_length, f.page_count});
    }
    if (!out.extents.empty()) {
      format::Extent& last = out.extents.back();
      if (last.frame == fit->second && last.first_pgno + last.page_count == pgno &&
          last.first_slot + last.page_count == p.slot) {
        last.page_count++;
        continue;
      }
    }
    out.extents.push_back({pgno, 1, fit->second, p.slot});
  }
  return out;
}

format::PageMapData PageMap::Export(std::string_view db) const {
  return ExportPages(db, std::views::iota(uint32_t{1}, db_pages() + 1), /*self_key=*/{});
}

format::PageMapData PageMap::Export(std::string_view db, const std::vector<uint32_t>& pgnos,
                                    std::string_view self_key) const {
  return ExportPages(db, pgnos, self_key);
}

// Overwritten frames stay in frames_ until nothing uses them; rebuild when most are dead so a
// long-lived process does not grow without bound.
void PageMap::CompactIfSparse() {
  if (frames_.size() < 1024 || frames_.size() < 4 * pages_.size()) return;
  Compact();
}

void PageMap::Compact() {
  std::vector<uint32_t> remap(frames_.size(), kNoFrame);
  std::vector<Frame> frames;
  for (Page& p : pages_) {
    if (p.frame == kNoFrame) continue;
    if (remap[p.frame] == kNoFrame) {
      remap[p.frame] = static_cast<uint32_t>(frames.size());
      frames.push_back(frames_[p.frame]);
    }
    p.frame = remap[p.frame];
  }
  std::vector<uint32_t> object_remap(objects_.size(), kNoFrame);
  std::vector<std::string> objects;
  for (Frame& f : frames) {
    if (object_remap[f.object] == kNoFrame) {
      object_remap[f.object] = static_cast<uint32_t>(objects.size());
      objects.push_back(std::move(objects_[f.object]));  // each is taken once
    }
    f.object = object_remap[f.object];
  }
  frames_ = std::move(frames);
  objects_ = std::move(objects);
  object_index_.clear();
  for (size_t i = 0; i < objects_.size(); i++)
    object_index_[objects_[i]] = static_cast<uint32_t>(i);
}

}  // namespace cloudlite::engine
