// Page maps (format::DecodePageMap), the structure inside records and checkpoints.
#include "format/format.h"
#include "fuzz_util.h"
#include "page_map_check.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  format::PageMapData map;
  Status s = format::DecodePageMap(fuzz::Bytes(data, size), &map);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == Status::Code::kCorruption);
    return 0;
  }
  fuzz::CheckPageMap(map);
  std::string once;
  format::EncodePageMap(map, &once);
  FUZZ_CHECK(once.size() <= size);  // varints are never longer than the input's
  format::PageMapData again;
  FUZZ_CHECK(format::DecodePageMap(once, &again).ok());
  std::string twice;
  format::EncodePageMap(again, &twice);
  FUZZ_CHECK(twice == once);
  return 0;
}
