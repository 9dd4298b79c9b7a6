// The promises DecodePageMap makes about a map it returns (format.h), checked by the targets
// whose objects hold page maps.
#pragma once

#include "format/format.h"
#include "fuzz_util.h"

namespace cloudlite::fuzz {

inline void CheckPageMap(const format::PageMapData& map) {
  for (const format::FrameRef& f : map.frames) {
    FUZZ_CHECK(f.object < map.objects.size());
    FUZZ_CHECK(f.page_count >= 1 && f.page_count <= format::kMaxReaderFramePages);
    FUZZ_CHECK(f.offset + f.stored_length >= f.offset);
  }
  uint64_t previous_end = 1;
  for (const format::Extent& e : map.extents) {
    FUZZ_CHECK(e.first_pgno >= previous_end && e.page_count >= 1);
    FUZZ_CHECK(e.frame < map.frames.size());
    FUZZ_CHECK(uint64_t{e.first_slot} + e.page_count <= map.frames[e.frame].page_count);
    previous_end = uint64_t{e.first_pgno} + e.page_count;
  }
}

}  // namespace cloudlite::fuzz
