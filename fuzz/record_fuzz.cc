// Commit records (format::DecodeRecord): what a log/<v> object or its disk-cached copy holds.
#include "format/format.h"
#include "fuzz_util.h"
#include "page_map_check.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::Split(data, size);
  const std::string bytes = in.sealed ? fuzz::Sealed(in.rest) : std::string(in.rest);
  const std::string key = "db/log/00000000000000000007";
  Result<format::Record> r = format::DecodeRecord(bytes, key);
  if (!r.ok()) {
    fuzz::CheckDecodeError(r.status(), key);
    return 0;
  }
  FUZZ_CHECK(r->writer_id.size() == 16 && r->nonce.size() == 16);
  fuzz::CheckPageMap(r->map);
  bool inline_frames = false;
  for (const format::FrameRef& f : r->map.frames) {
    if (!r->map.objects[f.object].empty()) continue;
    inline_frames = true;
    FUZZ_CHECK(f.offset + f.stored_length <= bytes.size());  // inside the record
  }
  for (const format::RecentVersion& v : r->recent.versions) fuzz::CheckPageMap(v.map);
  // A record that decoded has a CHANGESET section that decodes (the change feed relies on it).
  if (!r->changeset.empty()) FUZZ_CHECK(format::DecodeRowChanges(r->changeset, key).ok());
  FUZZ_CHECK(r->recent.versions.size() < std::max<uint64_t>(r->version, 1));
  // Encoding what was decoded is stable: decode(encode(x)) encodes to the same bytes. (A record
  // with inline frames would need its FRAMES payload rebuilt first; those are skipped.)
  if (!inline_frames && r->format == format::kFormatVersion) {  // format 1 is read, not written
    const std::string once = format::EncodeRecord(*r, "");
    Result<format::Record> again = format::DecodeRecord(once, key);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(format::EncodeRecord(*again, "") == once);
  }
  return 0;
}
