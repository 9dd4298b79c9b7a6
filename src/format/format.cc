#include "format/format.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "base/checksum.h"
#include "base/coding.h"
#include "base/hex.h"

namespace cloudlite::format {
namespace {

constexpr char kMagic[4] = {'c', 'l', 'd', 'b'};
constexpr char kTypeRecord = 'R';
constexpr char kTypeSegment = 'S';
constexpr char kTypeCheckpoint = 'C';
constexpr char kTypeLease = 'L';
constexpr char kTypeRetention = 'P';
constexpr size_t kHeaderSize = 8;
constexpr size_t kTrailerSize = 8;
constexpr size_t kSegmentHeaderSize1 = kHeaderSize + 4 + 8;
constexpr size_t kSegmentHeaderSize = kSegmentHeaderSize1 + kDbIdSize;
constexpr uint16_t kRecordEnd = 1;  // header flag of an END record
constexpr size_t kSegmentFooterSize = 8 + 4 + 8;

// zstd's one-shot calls allocate and initialize a context every time, which costs more than
// compressing one page; contexts are kept instead. Compression contexts in one pool, the most
// recently used handed out first: a server's commits run on whichever of its many workers
// leads a group, and a context of one's own per thread would be cold in the caches each time.
size_t Compress(char* out, size_t capacity, std::string_view in, int level) {
  using CCtxPtr = std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)>;
  static std::mutex mu;
  static auto* idle = new std::vector<CCtxPtr>();  // never destroyed: used until exit
  CCtxPtr cctx(nullptr, ZSTD_freeCCtx);
  {
    std::lock_guard lock(mu);
    if (!idle->empty()) {
      cctx = std::move(idle->back());
      idle->pop_back();
    }
  }
  if (!cctx) cctx.reset(ZSTD_createCCtx());
  const size_t n = ZSTD_compressCCtx(cctx.get(), out, capacity, in.data(), in.size(), level);
  std::lock_guard lock(mu);
  idle->push_back(std::move(cctx));
  return n;
}

size_t Decompress(char* out, size_t capacity, std::string_view in) {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  return ZSTD_decompressDCtx(dctx.get(), out, capacity, in.data(), in.size());
}

// Decompresses one zstd frame that must hold exactly `length` bytes, growing the output as it
// comes rather than allocating `length` up front.
Result<std::string> DecompressBounded(std::string_view in, uint64_t length, std::string_view key) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(),
                                                                  ZSTD_freeDStream);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string out;
  const size_t step = ZSTD_DStreamOutSize();
  for (;;) {
    size_t at = out.size();
    out.resize(at + step);
    ZSTD_outBuffer output{out.data() + at, step, 0};
    size_t rc = ZSTD_decompressStream(stream.get(), &output, &input);
    out.resize(at + output.pos);
    if (ZSTD_isError(rc) || out.size() > length) {
      return Status::Corruption(std::string(key) + ": zstd could not decompress it");
    }
    if (rc == 0) break;  // the frame is complete
    if (input.pos == input.size && output.pos < step) {
      return Status::Corruption(std::string(key) + ": truncated zstd frame");
    }
  }
  if (out.size() != length || input.pos != input.size) {
    return Status::Corruption(std::string(key) + ": zstd frame of an unexpected size");
  }
  return out;
}

enum SectionType : uint8_t {
  kSectionFrames = 1,
  kSectionPageMap = 2,
  kSectionChangeset = 3,
  kSectionRecent = 4,
};
constexpr uint8_t kSectionRequired = 1;

void PutHeader(std::string* out, char type, uint16_t flags = 0) {
  out->append(kMagic, 4);
  out->push_back(type);
  out->push_back(static_cast<char>(kFormatVersion));
  PutFixed16(out, flags);
}

Status Corrupt(std::string_view key, std::string_view what) {
  return Status::Corruption(std::string(key) + ": " + std::string(what));
}

struct Header {
  uint8_t version;
  uint16_t flags;
};

// Checks magic, type, version and flags of the 8-byte header at the front of `bytes`; flags
// other than `allowed_flags` (in format 2) are Corruption.
Result<Header> CheckHeader(std::string_view bytes, char type, std::string_view key,
                           uint16_t allowed_flags = 0) {
  if (bytes.size() < kHeaderSize || bytes.compare(0, 4, std::string_view(kMagic, 4)) != 0) {
    return Corrupt(key, "not a cloudlite object (bad magic)");
  }
  if (bytes[4] != type) return Corrupt(key, "unexpected object type");
  Header h{static_cast<uint8_t>(bytes[5]), DecodeFixed16(bytes.data() + 6)};
  if (h.version > kFormatVersion) {
    return Status::NotSupported(std::string(key) + ": written by a newer cloudlite (format " +
                                std::to_string(h.version) + ", this build reads up to " +
                                std::to_string(kFormatVersion) + "); upgrade cloudlite");
  }
  if (h.version == 0) return Corrupt(key, "format version 0");
  if ((h.flags & ~(h.version >= 2 ? allowed_flags : 0)) != 0) {
    return Corrupt(key, "unknown header flags");
  }
  return h;
}

// Verifies the trailing checksum over everything before it; returns the bytes it covers.
Result<std::string_view> CheckTrailer(std::string_view bytes, std::string_view key) {
  if (bytes.size() < kHeaderSize + kTrailerSize) return Corrupt(key, "truncated object");
  std::string_view body = bytes.substr(0, bytes.size() - kTrailerSize);
  if (Checksum(body) != DecodeFixed64(bytes.data() + body.size())) {
    return Corrupt(key, "checksum mismatch (the object is damaged or truncated)");
  }
  return body;
}

void PutSection(std::string* out, uint8_t type, uint8_t flags, std::string_view payload) {
  out->push_back(static_cast<char>(type));
  out->push_back(static_cast<char>(flags));
  PutLengthPrefixed(out, payload);
}

// A 16-byte field (ids and nonces), zero-padded.
void Put16(std::string* out, std::string_view bytes) {
  std::string field(bytes.substr(0, 16));
  field.resize(16, '\0');
  *out += field;
}

// Digit by digit rather than snprintf: a commit names each recent version's record (RECENT).
std::string Pad20(uint64_t v) {
  std::string out(20, '0');  // 2^64 - 1 has 20 digits
  for (size_t i = out.size(); v > 0; v /= 10) out[--i] = static_cast<char>('0' + v % 10);
  return out;
}

}  // namespace

std::string DatabasePrefix(std::string_view db) { return std::string(db) + "/"; }
std::string LogPrefix(std::string_view db) { return DatabasePrefix(db) + "log/"; }
std::string CheckpointPrefix(std::string_view db) { return DatabasePrefix(db) + "ckpt/"; }
std::string LeasePrefix(std::string_view db) { return DatabasePrefix(db) + "lease/"; }
std::string SegmentPrefix(std::string_view db) { return DatabasePrefix(db) + "seg/"; }
std::string ObjectKey(std::string_view db, std::string_view object) {
  return DatabasePrefix(db) + std::string(object);
}
std::string_view ObjectName(std::string_view db, std::string_view key) {
  return key.substr(std::min(key.size(), db.size() + 1));
}
std::string LeaseKey(std::string_view db, uint64_t epoch) { return LeasePrefix(db) + Pad20(epoch); }
std::string LogKey(std::string_view db, uint64_t v) { return LogPrefix(db) + Pad20(v); }
std::string CheckpointKey(std::string_view db, uint64_t v) {
  return CheckpointPrefix(db) + Pad20(v);
}
std::string SegmentKey(std::string_view db, uint64_t v, std::string_view id) {
  return SegmentPrefix(db) + Pad20(v) + "-" + std::string(id);
}

bool ParseVersionKey(std::string_view key, std::string_view prefix, uint64_t* version) {
  if (key.size() != prefix.size() + 20 || key.substr(0, prefix.size()) != prefix) return false;
  uint64_t v = 0;
  for (char c : key.substr(prefix.size())) {
    if (c < '0' || c > '9') return false;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return false;  // overflow
    v = next;
  }
  *version = v;
  return true;
}

uint64_t NewestVersion(const std::vector<std::string>& keys, std::string_view prefix) {
  uint64_t newest = 0;
  for (const auto& key : keys) {
    uint64_t v;
    if (ParseVersionKey(key, prefix, &v)) newest = std::max(newest, v);
  }
  return newest;
}

std::vector<uint64_t> SortedVersions(const std::vector<std::string>& keys,
                                     std::string_view prefix) {
  std::vector<uint64_t> versions;
  for (const auto& key : keys) {
    uint64_t v;
    if (ParseVersionKey(key, prefix, &v)) versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

bool IsValidDatabaseName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidPageSize(uint32_t page_size) {
  return page_size >= 512 && page_size <= 65536 && (page_size & (page_size - 1)) == 0;
}

const std::string& ZeroNonce() {
  static const auto* zeros = new std::string(kNonceSize, '\0');  // never destroyed
  return *zeros;
}

std::string RecordTag(std::string_view nonce) {
  std::string tag(nonce.substr(0, kRecordTagSize));
  tag.resize(kRecordTagSize, '\0');
  return tag;
}

std::string RecordObject(uint64_t version, std::string_view tag) {
  return "log/" + Pad20(version) + "#" + HexEncode(tag);
}

std::string_view StoreKey(std::string_view object) {
  return object.substr(0, std::min(object.size(), object.find('#')));
}

// ---- Frames ---------------------------------------------------------------------------------

uint64_t FrameSeed(std::string_view db_id, std::string_view object, uint64_t offset) {
  if (db_id == Format1DbId()) return 0;
  std::string address(db_id);
  address += object;
  PutFixed64(&address, offset);
  return Checksum(address);
}

std::string EncodeFrame(std::string_view pages, int zstd_level) {
  std::string out(8 + ZSTD_compressBound(pages.size()), '\0');
  size_t n = Compress(out.data() + 8, out.size() - 8, pages, zstd_level);
  // Compression into a buffer of ZSTD_compressBound bytes cannot fail.
  out.resize(8 + n);
  SealFrame(&out, 0);
  return out;
}

void SealFrame(char* stored, size_t length, uint64_t seed) {
  if (length < 8) return;  // not a frame: it fails its check wherever it is read
  EncodeFixed64(stored, Checksum(std::string_view(stored + 8, length - 8), seed));
}

void SealFrame(std::string* stored, uint64_t seed) {
  SealFrame(stored->data(), stored->size(), seed);
}

Result<std::string> DecodeFrame(std::string_view stored, uint32_t page_count, uint32_t page_size,
                                uint64_t seed, std::string_view key, uint64_t offset) {
  auto where = [&](std::string_view what) {
    return Corrupt(key, "frame at offset " + std::to_string(offset) + ": " + std::string(what));
  };
  if (stored.size() < 8) return where("truncated");
  if (page_count == 0 || page_count > kMaxReaderFramePages || !IsValidPageSize(page_size)) {
    return where("impossible page count or size");
  }
  std::string_view compressed = stored.substr(8);
  if (Checksum(compressed, seed) != DecodeFixed64(stored.data())) {
    return where("checksum mismatch (damaged, or not the frame stored at this place)");
  }
  uint64_t expected = uint64_t{page_count} * page_size;
  unsigned long long content = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (content != expected) return where("unexpected decompressed size");
  std::string pages(expected, '\0');
  size_t n = Decompress(pages.data(), pages.size(), compressed);
  if (ZSTD_isError(n) || n != expected) return where("zstd could not decompress it");
  return pages;
}

// ---- Page maps ------------------------------------------------------------------------------

namespace {

// Where an encoding goes: `Writer` appends it, `Counter` only counts its bytes. The encoders
// below are written once, for either, so that a size is never a second copy of the layout.
struct Writer {
  std::string* out;
  void Varint(uint64_t v) { PutVarint64(out, v); }
  void Bytes(std::string_view b) { out->append(b); }
};
struct Counter {
  size_t bytes = 0;
  void Varint(uint64_t v) { bytes += VarintLength(v); }
  void Bytes(std::string_view b) { bytes += b.size(); }
};

template <typename Sink>
void PutPageMap(const PageMapData& map, Sink& sink) {
  sink.Varint(map.objects.size());
  for (const auto& o : map.objects) {
    sink.Varint(o.size());
    sink.Bytes(o);
  }
  sink.Varint(map.frames.size());
  for (const auto& f : map.frames) {
    sink.Varint(f.object);
    sink.Varint(f.offset);
    sink.Varint(f.stored_length);
    sink.Varint(f.page_count);
  }
  sink.Varint(map.extents.size());
  uint64_t previous_end = 1;
  for (const auto& e : map.extents) {
    sink.Varint(e.first_pgno - previous_end);
    sink.Varint(e.page_count);
    sink.Varint(e.frame);
    sink.Varint(e.first_slot);
    previous_end = uint64_t{e.first_pgno} + e.page_count;
  }
}

}  // namespace

void EncodePageMap(const PageMapData& map, std::string* out) {
  Writer w{out};
  PutPageMap(map, w);
}

Status DecodePageMap(std::string_view in, PageMapData* out) {
  Reader r(in);
  auto bad = [](std::string_view what) {
    return Status::Corruption("page map: " + std::string(what));
  };
  uint64_t n;
  if (!r.Varint64(&n) || n > in.size()) return bad("bad object count");
  out->objects.resize(n);
  for (auto& o : out->objects) {
    std::string_view s;
    if (!r.LengthPrefixed(&s)) return bad("truncated object name");
    o.assign(s);
  }
  if (!r.Varint64(&n) || n > in.size()) return bad("bad frame count");
  out->frames.resize(n);
  for (auto& f : out->frames) {
    uint64_t pages;
    if (!r.Varint32(&f.object) || !r.Varint64(&f.offset) || !r.Varint64(&f.stored_length) ||
        !r.Varint64(&pages)) {
      return bad("truncated frame");
    }
    if (f.object >= out->objects.size()) return bad("frame names a missing object");
    if (pages == 0 || pages > kMaxReaderFramePages) return bad("bad frame page count");
    if (f.stored_length < 8 || f.stored_length > kMaxStoredFrameBytes ||
        f.offset + f.stored_length < f.offset) {
      return bad("bad frame size");
    }
    f.page_count = static_cast<uint32_t>(pages);
  }
  if (!r.Varint64(&n) || n > in.size()) return bad("bad extent count");
  out->extents.resize(n);
  uint64_t previous_end = 1;
  for (auto& e : out->extents) {
    uint64_t gap, pages, frame, slot;
    if (!r.Varint64(&gap) || !r.Varint64(&pages) || !r.Varint64(&frame) || !r.Varint64(&slot)) {
      return bad("truncated extent");
    }
    // Each bound is checked before the sum it guards, so that nothing wraps.
    constexpr uint64_t kMaxPage = uint64_t{kMaxDbPages} + kMaxReaderFramePages;
    if (gap > kMaxPage || pages == 0 || pages > kMaxPage) return bad("bad extent");
    uint64_t first = previous_end + gap;
    if (first + pages - 1 > kMaxPage) return bad("bad extent");
    if (frame >= out->frames.size()) return bad("extent names a missing frame");
    const uint64_t frame_pages = out->frames[frame].page_count;
    if (slot > frame_pages || pages > frame_pages - slot) return bad("extent overruns its frame");
    e = {static_cast<uint32_t>(first), static_cast<uint32_t>(pages), static_cast<uint32_t>(frame),
         static_cast<uint32_t>(slot)};
    previous_end = first + pages;
  }
  if (!r.empty()) return bad("trailing bytes");
  return Status::Ok();
}

// ---- Commit records -------------------------------------------------------------------------

namespace {

// A RECENT entry: its changed pages (delta-coded), its tag, its map length-prefixed.
template <typename Sink>
void PutRecentVersion(const RecentVersion& v, Sink& sink) {
  sink.Varint(v.changed.size());
  uint32_t previous = 0;
  for (uint32_t pgno : v.changed) {
    sink.Varint(pgno - previous);
    previous = pgno;
  }
  sink.Bytes(RecordTag(v.tag));
  Counter map;
  PutPageMap(v.map, map);
  sink.Varint(map.bytes);
  PutPageMap(v.map, sink);
}

void EncodeRecentVersion(const RecentVersion& v, std::string* out) {
  Writer w{out};
  PutRecentVersion(v, w);
}

void EncodeRecent(const Recent& recent, std::string* out) {
  PutVarint64(out, recent.versions.size());
  PutVarint64(out, recent.db_pages);
  for (const auto& v : recent.versions) EncodeRecentVersion(v, out);
}

Status DecodeRecent(std::string_view in, uint64_t version, bool tagged, Recent* out) {
  Reader r(in);
  auto bad = [](std::string_view what) {
    return Status::Corruption("RECENT section: " + std::string(what));
  };
  uint64_t n;
  if (!r.Varint64(&n) || n == 0 || n >= version || n > in.size()) return bad("bad version count");
  if (!r.Varint32(&out->db_pages)) return bad("truncated");
  if (out->db_pages > kMaxDbPages) return bad("impossible db_pages");
  out->versions.resize(n);
  for (auto& v : out->versions) {
    uint64_t count;
    if (!r.Varint64(&count) || count > in.size()) return bad("bad page count");
    v.changed.resize(count);
    uint64_t pgno = 0;
    for (auto& p : v.changed) {
      uint64_t delta;
      if (!r.Varint64(&delta) || delta == 0 || pgno + delta > kMaxDbPages + kMaxReaderFramePages) {
        return bad("pages not ascending");
      }
      pgno += delta;
      p = static_cast<uint32_t>(pgno);
    }
    std::string_view tag;
    if (tagged && !r.Bytes(kRecordTagSize, &tag)) return bad("truncated tag");
    v.tag.assign(tag);
    std::string_view map;
    if (!r.LengthPrefixed(&map)) return bad("truncated page map");
    Status s = DecodePageMap(map, &v.map);
    if (!s.ok()) return bad(s.message());
  }
  if (!r.empty()) return bad("trailing bytes");
  return Status::Ok();
}

}  // namespace

size_t EncodedSize(const RecentVersion& version) {
  Counter c;
  PutRecentVersion(version, c);
  return c.bytes;
}

namespace {
constexpr uint8_t kRowsIncomplete = 1;
constexpr uint8_t kRowsSchemaChanged = 2;
}  // namespace

std::string EncodeRowChanges(const RowChanges& changes) {
  std::string out;
  uint8_t flags =
      (changes.complete ? 0 : kRowsIncomplete) | (changes.schema_changed ? kRowsSchemaChanged : 0);
  out.push_back(static_cast<char>(flags));
  PutVarint64(&out, changes.unkeyed.size());
  for (const std::string& table : changes.unkeyed) PutLengthPrefixed(&out, table);
  out.append(changes.complete ? changes.changeset : std::string());
  return out;
}

Result<RowChanges> DecodeRowChanges(std::string_view payload, std::string_view key) {
  Reader r(payload);
  RowChanges changes;
  uint8_t flags;
  if (!r.Fixed8(&flags)) return Corrupt(key, "empty CHANGESET section");
  if ((flags & ~(kRowsIncomplete | kRowsSchemaChanged)) != 0) {
    return Status::NotSupported(std::string(key) +
                                ": its CHANGESET section has flags this build does not know; "
                                "upgrade cloudlite");
  }
  changes.complete = (flags & kRowsIncomplete) == 0;
  changes.schema_changed = (flags & kRowsSchemaChanged) != 0;
  uint64_t count;
  if (!r.Varint64(&count) || count > payload.size()) {
    return Corrupt(key, "CHANGESET section: bad table count");
  }
  changes.unkeyed.resize(count);
  for (std::string& table : changes.unkeyed) {
    std::string_view name;
    if (!r.LengthPrefixed(&name) || name.empty()) {
      return Corrupt(key, "CHANGESET section: bad table name");
    }
    table.assign(name);
  }
  if (!changes.complete && !r.empty()) {
    return Corrupt(key, "CHANGESET section: rows in an incomplete changeset");
  }
  changes.changeset.assign(r.rest());
  return changes;
}

std::string EncodeRecord(const Record& record, std::string_view inline_frames,
                         uint64_t* frames_at) {
  std::string out;
  PutHeader(&out, kTypeRecord, record.end ? kRecordEnd : 0);
  PutFixed64(&out, record.version);
  PutFixed64(&out, static_cast<uint64_t>(record.time_micros));
  Put16(&out, record.db_id);
  PutFixed64(&out, record.base);
  Put16(&out, record.prev);
  Put16(&out, record.writer_id);
  Put16(&out, record.nonce);
  PutFixed32(&out, record.page_size);
  PutFixed32(&out, record.db_pages);

  PageMapData map = record.map;
  if (!inline_frames.empty()) {
    out.push_back(static_cast<char>(kSectionFrames));
    out.push_back(static_cast<char>(kSectionRequired));
    PutVarint64(&out, inline_frames.size());
    uint64_t base = out.size();
    if (frames_at) *frames_at = base;
    out.append(inline_frames);
    PlaceInlineFrames(&map, base);
    std::string self = RecordObject(record.version, RecordTag(record.nonce));
    for (auto& f : map.frames) {
      if (!map.objects[f.object].empty()) continue;
      if (f.offset + f.stored_length > out.size())
        continue;  // not in the payload: the caller's bug
      SealFrame(out.data() + f.offset, f.stored_length, FrameSeed(record.db_id, self, f.offset));
    }
  }
  if (record.end) {  // no pages, no sections
    PutFixed64(&out, Checksum(out));
    return out;
  }
  std::string encoded_map;
  EncodePageMap(map, &encoded_map);
  PutSection(&out, kSectionPageMap, kSectionRequired, encoded_map);
  if (!record.changeset.empty()) PutSection(&out, kSectionChangeset, 0, record.changeset);
  if (!record.recent.versions.empty()) {
    std::string recent;
    EncodeRecent(record.recent, &recent);
    PutSection(&out, kSectionRecent, 0, recent);
  }
  PutFixed64(&out, Checksum(out));
  return out;
}

void PlaceInlineFrames(PageMapData* map, uint64_t frames_at) {
  for (auto& f : map->frames) {
    if (map->objects[f.object].empty()) f.offset += frames_at;
  }
}

Result<Record> DecodeRecord(std::string_view bytes, std::string_view key) {
  CL_ASSIGN_OR_RETURN(Header header, CheckHeader(bytes, kTypeRecord, key, kRecordEnd));
  CL_ASSIGN_OR_RETURN(std::string_view body, CheckTrailer(bytes, key));
  Reader r(body.substr(kHeaderSize));
  Record rec;
  rec.format = header.version;
  rec.end = (header.flags & kRecordEnd) != 0;
  uint64_t time;
  std::string_view db_id, prev, writer, nonce;
  bool ok = r.Fixed64(&rec.version) && r.Fixed64(&time);
  if (ok && rec.format >= 2) {
    ok = r.Bytes(kDbIdSize, &db_id) && r.Fixed64(&rec.base) && r.Bytes(kNonceSize, &prev);
  }
  ok = ok && r.Bytes(16, &writer) && r.Bytes(kNonceSize, &nonce) && r.Fixed32(&rec.page_size) &&
       r.Fixed32(&rec.db_pages);
  if (!ok) return Corrupt(key, "truncated record header");
  rec.time_micros = static_cast<int64_t>(time);
  rec.writer_id.assign(writer);
  rec.nonce.assign(nonce);
  if (rec.format >= 2) {
    rec.db_id.assign(db_id);
    rec.prev.assign(prev);
    if (rec.db_id == Format1DbId()) return Corrupt(key, "zero database id");
    if (rec.base == 0 || rec.base > rec.version) return Corrupt(key, "impossible base version");
  } else {
    rec.db_id = Format1DbId();
  }
  if (rec.version == 0) return Corrupt(key, "version 0");
  if (rec.end) {
    if (rec.page_size != 0 || rec.db_pages != 0 || !r.empty()) {
      return Corrupt(key, "an END record holds no pages");
    }
    return rec;
  }
  if (!IsValidPageSize(rec.page_size)) return Corrupt(key, "invalid page size");
  if (rec.db_pages > kMaxDbPages) return Corrupt(key, "impossible db_pages");
  bool have_map = false;
  while (!r.empty()) {
    uint8_t type, flags;
    std::string_view payload;
    if (!r.Fixed8(&type) || !r.Fixed8(&flags) || !r.LengthPrefixed(&payload)) {
      return Corrupt(key, "truncated section");
    }
    switch (type) {
      case kSectionFrames:
        break;  // addressed by offset through the page map
      case kSectionPageMap: {
        if (have_map) return Corrupt(key, "two page maps");
        Status s = DecodePageMap(payload, &rec.map);
        if (!s.ok()) return Corrupt(key, s.message());
        have_map = true;
        break;
      }
      case kSectionChangeset:
        if (!rec.changeset.empty()) return Corrupt(key, "two CHANGESET sections");
        CL_RETURN_IF_ERROR(DecodeRowChanges(payload, key).status());
        rec.changeset.assign(payload);
        break;
      case kSectionRecent: {
        if (!rec.recent.versions.empty()) return Corrupt(key, "two RECENT sections");
        // It cannot describe versions before the incarnation's genesis.
        Status s = DecodeRecent(payload, rec.version - rec.base + 1, rec.format >= 2, &rec.recent);
        if (!s.ok()) return Corrupt(key, s.message());
        break;
      }
      default:
        if (flags & kSectionRequired) {
          return Status::NotSupported(std::string(key) + ": has a section (type " +
                                      std::to_string(type) +
                                      ") that this build does not know; upgrade cloudlite");
        }
    }
  }
  if (!have_map) return Corrupt(key, "no page map");
  for (const auto& f : rec.map.frames) {
    if (rec.map.objects[f.object].empty() && f.offset + f.stored_length > body.size()) {
      return Corrupt(key, "inline frame outside the record");
    }
  }
  return rec;
}

// ---- Writer lease ---------------------------------------------------------------------------

std::string EncodeLease(const Lease& lease) {
  std::string out;
  PutHeader(&out, kTypeLease);
  PutFixed64(&out, lease.epoch);
  std::string owner = lease.owner;
  owner.resize(kLeaseOwnerSize, '\0');
  out += owner;
  PutFixed64(&out, static_cast<uint64_t>(lease.granted_micros));
  PutFixed64(&out, static_cast<uint64_t>(lease.expiry_micros));
  PutFixed64(&out, Checksum(out));
  return out;
}

Result<Lease> DecodeLease(std::string_view bytes, std::string_view key) {
  CL_RETURN_IF_ERROR(CheckHeader(bytes, kTypeLease, key).status());
  CL_ASSIGN_OR_RETURN(std::string_view body, CheckTrailer(bytes, key));
  Reader r(body.substr(kHeaderSize));
  Lease lease;
  std::string_view owner;
  uint64_t granted, expiry;
  if (!r.Fixed64(&lease.epoch) || !r.Bytes(kLeaseOwnerSize, &owner) || !r.Fixed64(&granted) ||
      !r.Fixed64(&expiry) || !r.empty()) {
    return Corrupt(key, "a lease object must be 56 bytes");
  }
  lease.owner.assign(owner);
  lease.granted_micros = static_cast<int64_t>(granted);
  lease.expiry_micros = static_cast<int64_t>(expiry);
  return lease;
}

// ---- Retention rule -------------------------------------------------------------------------

std::string RetentionPrefix(std::string_view db) { return DatabasePrefix(db) + "retain/"; }
std::string RetentionKey(std::string_view db, uint64_t epoch) {
  return RetentionPrefix(db) + Pad20(epoch);
}

std::string EncodeRetention(const Retention& retention) {
  std::string out;
  PutHeader(&out, kTypeRetention);
  PutFixed64(&out, retention.epoch);
  PutFixed64(&out, static_cast<uint64_t>(retention.time_micros));
  PutFixed64(&out, retention.retain_micros);
  PutFixed64(&out, retention.retain_versions);
  PutFixed64(&out, retention.grace_micros);
  PutFixed64(&out, Checksum(out));
  return out;
}

Result<Retention> DecodeRetention(std::string_view bytes, std::string_view key) {
  CL_RETURN_IF_ERROR(CheckHeader(bytes, kTypeRetention, key).status());
  CL_ASSIGN_OR_RETURN(std::string_view body, CheckTrailer(bytes, key));
  Reader r(body.substr(kHeaderSize));
  Retention rule;
  uint64_t time;
  if (!r.Fixed64(&rule.epoch) || !r.Fixed64(&time) || !r.Fixed64(&rule.retain_micros) ||
      !r.Fixed64(&rule.retain_versions) || !r.Fixed64(&rule.grace_micros) || !r.empty()) {
    return Corrupt(key, "a retention object must be 56 bytes");
  }
  rule.time_micros = static_cast<int64_t>(time);
  return rule;
}

// ---- Checkpoints ----------------------------------------------------------------------------

std::string EncodeCheckpoint(const Checkpoint& checkpoint) {
  std::string body;
  EncodePageMap(checkpoint.map, &body);
  std::string out;
  PutHeader(&out, kTypeCheckpoint);
  PutFixed64(&out, checkpoint.version);
  PutFixed64(&out, static_cast<uint64_t>(checkpoint.time_micros));
  Put16(&out, checkpoint.db_id);
  PutFixed64(&out, checkpoint.base);
  Put16(&out, checkpoint.head);
  PutFixed32(&out, checkpoint.page_size);
  PutFixed32(&out, checkpoint.db_pages);
  PutFixed64(&out, body.size());
  size_t start = out.size();
  out.resize(start + ZSTD_compressBound(body.size()));
  size_t n = Compress(out.data() + start, out.size() - start, body, 3);
  out.resize(start + n);
  PutFixed64(&out, Checksum(out));
  return out;
}

Result<Checkpoint> DecodeCheckpoint(std::string_view bytes, std::string_view key) {
  CL_ASSIGN_OR_RETURN(Header header, CheckHeader(bytes, kTypeCheckpoint, key));
  CL_ASSIGN_OR_RETURN(std::string_view all, CheckTrailer(bytes, key));
  Reader r(all.substr(kHeaderSize));
  Checkpoint c;
  c.format = header.version;
  uint64_t time, body_length;
  std::string_view db_id, head;
  bool ok = r.Fixed64(&c.version) && r.Fixed64(&time);
  if (ok && c.format >= 2) {
    ok = r.Bytes(kDbIdSize, &db_id) && r.Fixed64(&c.base) && r.Bytes(kNonceSize, &head);
  }
  ok = ok && r.Fixed32(&c.page_size) && r.Fixed32(&c.db_pages) && r.Fixed64(&body_length);
  if (!ok) return Corrupt(key, "truncated checkpoint header");
  c.time_micros = static_cast<int64_t>(time);
  if (c.format >= 2) {
    c.db_id.assign(db_id);
    c.head.assign(head);
    if (c.db_id == Format1DbId()) return Corrupt(key, "zero database id");
    if (c.base == 0 || c.base > c.version) return Corrupt(key, "impossible base version");
  } else {
    c.db_id = Format1DbId();
  }
  if (c.version == 0) return Corrupt(key, "version 0");
  if (!IsValidPageSize(c.page_size)) return Corrupt(key, "invalid page size");
  if (c.db_pages > kMaxDbPages) return Corrupt(key, "impossible db_pages");
  std::string_view compressed = r.rest();
  unsigned long long content = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (content != body_length || body_length > (uint64_t{1} << 29)) {
    return Corrupt(key, "bad body length");
  }
  // Streamed, so that memory follows what the compressed bytes really hold, not what a damaged
  // header claims.
  CL_ASSIGN_OR_RETURN(std::string body, DecompressBounded(compressed, body_length, key));
  Status s = DecodePageMap(body, &c.map);
  if (!s.ok()) return Corrupt(key, s.message());
  for (const auto& o : c.map.objects) {
    if (o.rfind("seg/", 0) != 0) return Corrupt(key, "references a non-segment object");
  }
  return c;
}

// ---- Segments -------------------------------------------------------------------------------

SegmentBuilder::SegmentBuilder(uint32_t page_size, uint64_t version, std::string_view db_id,
                               std::string object)
    : db_id_(db_id), object_(std::move(object)) {
  db_id_.resize(kDbIdSize, '\0');
  PutHeader(&data_, kTypeSegment);
  PutFixed32(&data_, page_size);
  PutFixed64(&data_, version);
  data_ += db_id_;
}

uint64_t SegmentBuilder::Add(uint32_t first_pgno, uint32_t page_count,
                             std::string_view stored_frame) {
  uint64_t offset = data_.size();
  data_.append(stored_frame);
  SealFrame(data_.data() + offset, stored_frame.size(), FrameSeed(db_id_, object_, offset));
  PutVarint64(&index_, first_pgno);
  PutVarint64(&index_, page_count);
  PutVarint64(&index_, offset);
  PutVarint64(&index_, stored_frame.size());
  frames_++;
  return offset;
}

std::string SegmentBuilder::Finish() {
  std::string covered = data_.substr(0, kSegmentHeaderSize) + index_;
  uint64_t index_offset = data_.size();
  data_.append(index_);
  std::string footer;
  PutFixed64(&footer, index_offset);
  PutFixed32(&footer, frames_);
  covered += footer;
  data_ += footer;
  PutFixed64(&data_, Checksum(covered));
  return std::move(data_);
}

Result<SegmentIndex> DecodeSegmentIndex(std::string_view bytes, std::string_view key) {
  CL_ASSIGN_OR_RETURN(Header header, CheckHeader(bytes, kTypeSegment, key));
  const size_t header_size = header.version >= 2 ? kSegmentHeaderSize : kSegmentHeaderSize1;
  if (bytes.size() < header_size + kSegmentFooterSize) return Corrupt(key, "truncated segment");
  const char* footer = bytes.data() + bytes.size() - kSegmentFooterSize;
  uint64_t index_offset = DecodeFixed64(footer);
  uint32_t frame_count = DecodeFixed32(footer + 8);
  uint64_t index_end = bytes.size() - kSegmentFooterSize;
  if (index_offset < header_size || index_offset > index_end) {
    return Corrupt(key, "bad index offset");
  }
  std::string_view index = bytes.substr(index_offset, index_end - index_offset);
  if (frame_count > index.size()) return Corrupt(key, "bad frame count");
  std::string covered =
      std::string(bytes.substr(0, header_size)) + std::string(index) + std::string(footer, 12);
  if (Checksum(covered) != DecodeFixed64(footer + 12)) return Corrupt(key, "checksum mismatch");
  SegmentIndex out;
  out.format = header.version;
  out.page_size = DecodeFixed32(bytes.data() + kHeaderSize);
  out.version = DecodeFixed64(bytes.data() + kHeaderSize + 4);
  out.db_id = header.version >= 2 ? std::string(bytes.substr(kSegmentHeaderSize1, kDbIdSize))
                                  : Format1DbId();
  Reader r(index);
  for (uint32_t i = 0; i < frame_count; i++) {
    SegmentFrame f;
    if (!r.Varint32(&f.first_pgno) || !r.Varint32(&f.page_count) || !r.Varint64(&f.offset) ||
        !r.Varint64(&f.stored_length)) {
      return Corrupt(key, "truncated index");
    }
    if (f.offset < header_size || f.offset > index_offset ||
        f.stored_length > index_offset - f.offset) {
      return Corrupt(key, "index entry outside the frames");
    }
    out.frames.push_back(f);
  }
  if (!r.empty()) return Corrupt(key, "trailing index bytes");
  return out;
}

}  // namespace cloudlite::format
