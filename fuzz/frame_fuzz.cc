// Frames (format::DecodeFrame): compressed pages in a record or a segment, or a disk-cache
// entry. The first bytes choose the page count and size the caller would pass (as a decoded
// page map bounds them), the rest is the stored frame.
#include <fuzzer/FuzzedDataProvider.h>

#include "format/format.h"
#include "fuzz_util.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int mode = in.ConsumeIntegralInRange(0, 2);
  const uint32_t page_size = 512u << in.ConsumeIntegralInRange(0, 7);
  const uint32_t page_count =
      in.ConsumeIntegralInRange<uint32_t>(1, mode == 2 ? 4 : format::kMaxReaderFramePages);
  std::string rest = in.ConsumeRemainingBytesAsString();
  const std::string key = "db/seg/00000000000000000009-abc";
  if (mode == 2) {
    // Any page content survives encode and decode unchanged.
    std::string pages(uint64_t{page_count} * page_size, '\0');
    for (size_t i = 0; i < pages.size() && !rest.empty(); i++) pages[i] = rest[i % rest.size()];
    Result<std::string> back =
        format::DecodeFrame(format::EncodeFrame(pages, 1), page_count, page_size, 0, key, 0);
    FUZZ_CHECK(back.ok() && *back == pages);
    return 0;
  }
  std::string stored;
  if (mode == 1) PutFixed64(&stored, Checksum(rest));  // sealed: the checksum is right
  stored += rest;
  Result<std::string> pages = format::DecodeFrame(stored, page_count, page_size, 0, key, 4096);
  if (!pages.ok()) {
    fuzz::CheckDecodeError(pages.status(), key);
    return 0;
  }
  FUZZ_CHECK(pages->size() == uint64_t{page_count} * page_size);
  Result<std::string> again =
      format::DecodeFrame(format::EncodeFrame(*pages, 1), page_count, page_size, 0, key, 0);
  FUZZ_CHECK(again.ok() && *again == *pages);
  return 0;
}
