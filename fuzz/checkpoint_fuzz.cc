// Checkpoints (format::DecodeCheckpoint): what a ckpt/<v> object holds.
#include "format/format.h"
#include "fuzz_util.h"
#include "page_map_check.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::Split(data, size);
  const std::string bytes = in.sealed ? fuzz::Sealed(in.rest) : std::string(in.rest);
  const std::string key = "db/ckpt/00000000000000000064";
  Result<format::Checkpoint> c = format::DecodeCheckpoint(bytes, key);
  if (!c.ok()) {
    fuzz::CheckDecodeError(c.status(), key);
    return 0;
  }
  fuzz::CheckPageMap(c->map);
  for (const std::string& o : c->map.objects) FUZZ_CHECK(o.starts_with("seg/"));
  if (c->format != format::kFormatVersion) return 0;  // format 1 is read, not written
  const std::string once = format::EncodeCheckpoint(*c);
  Result<format::Checkpoint> again = format::DecodeCheckpoint(once, key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(format::EncodeCheckpoint(*again) == once);
  return 0;
}
