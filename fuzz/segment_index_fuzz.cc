// Segment indexes (format::DecodeSegmentIndex): the index and footer of a seg/ object.
#include "format/format.h"
#include "fuzz_util.h"

using namespace cloudlite;

namespace {

// A segment: a header (36 bytes in format 2, 20 in format 1), frames, the index, and a 20-byte
// footer (index offset, frame count, checksum of header + index + the footer's first 12 bytes).
// Filling in that checksum lets sealed inputs reach the index; if the layout changes, they just
// stop there.
constexpr size_t kFooter = 20;

std::string Seal(std::string bytes) {
  const size_t kHeader = bytes.size() > 5 && bytes[5] == 1 ? 20 : 36;
  if (bytes.size() < kHeader + kFooter) return bytes;
  const size_t footer = bytes.size() - kFooter;
  const uint64_t index_offset = DecodeFixed64(bytes.data() + footer);
  if (index_offset < kHeader || index_offset > footer) return bytes;
  const std::string covered = bytes.substr(0, kHeader) +
                              bytes.substr(index_offset, footer - index_offset) +
                              bytes.substr(footer, 12);
  std::string sum;
  PutFixed64(&sum, Checksum(covered));
  bytes.replace(footer + 12, 8, sum);
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::Split(data, size);
  const std::string bytes = in.sealed ? Seal(std::string(in.rest)) : std::string(in.rest);
  const std::string object = "seg/00000000000000000009-abc";
  const std::string key = "db/" + object;
  Result<format::SegmentIndex> index = format::DecodeSegmentIndex(bytes, key);
  if (!index.ok()) {
    fuzz::CheckDecodeError(index.status(), key);
    return 0;
  }
  uint64_t total = 0;
  for (const format::SegmentFrame& f : index->frames) {
    FUZZ_CHECK(f.offset + f.stored_length >= f.offset);
    FUZZ_CHECK(f.offset + f.stored_length <= bytes.size());
    total += f.stored_length;
  }
  if (total > (64u << 20)) return 0;  // overlapping frames: rebuilding would be quadratic
  // The same frames through SegmentBuilder make a segment whose index says the same (each frame
  // sealed to its new place: its first 8 bytes may differ).
  format::SegmentBuilder builder(index->page_size, index->version, index->db_id, object);
  for (const format::SegmentFrame& f : index->frames) {
    builder.Add(f.first_pgno, f.page_count,
                std::string_view(bytes).substr(f.offset, f.stored_length));
  }
  const std::string rebuilt = builder.Finish();
  Result<format::SegmentIndex> again = format::DecodeSegmentIndex(rebuilt, key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->page_size == index->page_size && again->version == index->version &&
             again->db_id == index->db_id);
  FUZZ_CHECK(again->frames.size() == index->frames.size());
  for (size_t i = 0; i < index->frames.size(); i++) {
    const format::SegmentFrame &a = index->frames[i], &b = again->frames[i];
    FUZZ_CHECK(a.first_pgno == b.first_pgno && a.page_count == b.page_count &&
               a.stored_length == b.stored_length);
    if (a.stored_length < 8) continue;  // a frame too short to hold its checksum
    FUZZ_CHECK(rebuilt.compare(b.offset + 8, b.stored_length - 8, bytes, a.offset + 8,
                               a.stored_length - 8) == 0);
  }
  return 0;
}
