// What the parts of Engine share (engine.cc, commit.cc, checkpoint.cc, image.cc): small helpers
// for the engine's own sources, not part of its contract (engine.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "format/format.h"

namespace cloudlite::engine {

// Pages per frame a writer makes: `pages_per_frame`, but at most kMaxFrameBytes of pages.
inline uint32_t FramePages(uint32_t pages_per_frame, uint32_t page_size) {
  return std::max<uint32_t>(
      1, std::min<uint32_t>(pages_per_frame,
                            static_cast<uint32_t>(format::kMaxFrameBytes / page_size)));
}

// A frame's object is gone, yet the version being read references it.
inline Status MissingObject(std::string_view object, uint64_t version) {
  return Status::Corruption(std::string(object) + ": missing, but version " +
                            std::to_string(version) + " references it");
}

// A frame's bytes came back shorter than the page map says.
inline Status TruncatedFrame(std::string_view object, uint64_t offset) {
  return Status::Corruption(std::string(object) + ": truncated (frame at offset " +
                            std::to_string(offset) + " is cut short)");
}

}  // namespace cloudlite::engine
