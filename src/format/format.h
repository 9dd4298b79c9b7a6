// Encoding, decoding and verification of the objects described in docs/format.md.
//
// Every Decode* verifies checksums and structure before returning anything, and reports
// Corruption naming the object key (or NotSupported for a newer format version). Nothing here
// does I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite::format {

inline constexpr uint8_t kFormatVersion = 2;  // written; 1 and 2 are read
inline constexpr uint32_t kMaxFramePages = 16;
inline constexpr uint64_t kMaxFrameBytes = 1 << 20;  // page bytes per frame, uncompressed
// Readers accept larger frames than writers make, but bounded: a frame is allocated whole.
inline constexpr uint32_t kMaxReaderFramePages = 256;
inline constexpr uint64_t kMaxStoredFrameBytes = 32ull << 20;
// No writer makes a larger database: the page map keeps 8 bytes per page in memory.
inline constexpr uint32_t kMaxDbPages = 1u << 28;
// An incarnation's database id (docs/format.md, "Incarnations"); all zeros in format 1.
inline constexpr size_t kDbIdSize = 16;
inline constexpr size_t kNonceSize = 16;
static_assert(kDbIdSize == kNonceSize);
// Sixteen zero bytes: the `prev` of a genesis record (it follows no record), and the db_id of
// everything in format 1 (Format1DbId, the same bytes under the name of that use).
const std::string& ZeroNonce();
inline const std::string& Format1DbId() { return ZeroNonce(); }

// The key layout (docs/format.md, "Objects of one database"): the only place it is spelled.
// "D/log/00000000000000000042" and friends.
std::string LogKey(std::string_view db, uint64_t version);
std::string CheckpointKey(std::string_view db, uint64_t version);
std::string SegmentKey(std::string_view db, uint64_t version, std::string_view id);
std::string LeaseKey(std::string_view db, uint64_t epoch);
std::string LogPrefix(std::string_view db);         // "D/log/"
std::string CheckpointPrefix(std::string_view db);  // "D/ckpt/"
std::string LeasePrefix(std::string_view db);       // "D/lease/"
std::string SegmentPrefix(std::string_view db);     // "D/seg/"
std::string DatabasePrefix(std::string_view db);    // "D/": every object of the database
// Objects in page maps are named relative to "D/" ("seg/...", "log/...#tag"): the key of one,
// and the name of a key.
std::string ObjectKey(std::string_view db, std::string_view object);
std::string_view ObjectName(std::string_view db, std::string_view key);
// The version in a log or checkpoint key's last segment, or false when malformed.
bool ParseVersionKey(std::string_view key, std::string_view prefix, uint64_t* version);
// The largest version among `keys` that ParseVersionKey reads under `prefix`; 0 if none does.
uint64_t NewestVersion(const std::vector<std::string>& keys, std::string_view prefix);
// Every version ParseVersionKey reads among `keys` under `prefix`, ascending.
std::vector<uint64_t> SortedVersions(const std::vector<std::string>& keys, std::string_view prefix);
// Valid database names: 1..128 of [A-Za-z0-9._-], not "." or "..".
bool IsValidDatabaseName(std::string_view name);
bool IsValidPageSize(uint32_t page_size);

// A record's frames are named, in page maps and caches, by its key and a tag of its nonce:
// "log/<v>#<16 hex digits>" (relative to "D/"), so that a record written again into a slot
// (after a deletion) is never taken for the one before (docs/format.md, "Record objects").
inline constexpr size_t kRecordTagSize = 8;
std::string RecordTag(std::string_view nonce);  // the first kRecordTagSize bytes
std::string RecordObject(uint64_t version, std::string_view tag);
// The store key of an object name: the name without its "#tag".
std::string_view StoreKey(std::string_view object);

// ---- Frames ---------------------------------------------------------------------------------

// The seed of a frame's checksum: binds it to its incarnation, object (key relative to "D/")
// and offset, so that it is valid nowhere else. 0 for format-1 incarnations (all-zero id).
uint64_t FrameSeed(std::string_view db_id, std::string_view object, uint64_t offset);

// Compresses `pages` (a whole number of pages) into a stored frame: checksum + zstd frame. The
// checksum uses seed 0 until SealFrame binds it to where the frame is stored.
std::string EncodeFrame(std::string_view pages, int zstd_level);
// Rewrites a stored frame's checksum with `seed` (FrameSeed of where it is placed).
void SealFrame(std::string* stored, uint64_t seed);
void SealFrame(char* stored, size_t length, uint64_t seed);
// Verifies and decompresses a stored frame that must hold `page_count` pages of `page_size`
// and carry a checksum seeded with `seed`. `key` and `offset` name it in errors.
Result<std::string> DecodeFrame(std::string_view stored, uint32_t page_count, uint32_t page_size,
                                uint64_t seed, std::string_view key, uint64_t offset);

// ---- Page maps ------------------------------------------------------------------------------

struct FrameRef {
  uint32_t object = 0;  // index into PageMapData::objects
  uint64_t offset = 0;
  uint64_t stored_length = 0;
  uint32_t page_count = 0;
};

struct Extent {
  uint32_t first_pgno = 0;  // >= 1
  uint32_t page_count = 0;
  uint32_t frame = 0;  // index into PageMapData::frames
  uint32_t first_slot = 0;
};

struct PageMapData {
  std::vector<std::string> objects;  // relative to "D/"; "" = the object holding this map
  std::vector<FrameRef> frames;
  std::vector<Extent> extents;  // ascending, disjoint
};

void EncodePageMap(const PageMapData& map, std::string* out);
// Checks that indices are in range, slots inside frames and extents ascending and disjoint.
// Errors carry no key; callers add it.
Status DecodePageMap(std::string_view in, PageMapData* out);

// ---- Commit records -------------------------------------------------------------------------

// The RECENT section: what versions v−n .. v−1 changed and where those pages are at v−1.
struct RecentVersion {
  std::vector<uint32_t> changed;  // pages written or cut off, ascending
  std::string tag;                // RecordTag of its record's nonce (format 2)
  PageMapData map;                // the pages this version changed last; object "" is its record
};
// Bytes `version` takes in a RECENT section.
size_t EncodedSize(const RecentVersion& version);
struct Recent {
  uint32_t db_pages = 0;                // of version v−1
  std::vector<RecentVersion> versions;  // oldest first; empty: the record has no RECENT section
};

struct Record {
  uint8_t format = kFormatVersion;  // of the object it was decoded from
  uint64_t version = 0;
  int64_t time_micros = 0;
  std::string db_id;      // kDbIdSize bytes; Format1DbId() in format 1
  uint64_t base = 1;      // the incarnation's genesis version (1 in format 1)
  std::string prev;       // nonce of version-1's record; zeros at the genesis; empty in format 1
  bool end = false;       // END: the incarnation ends here (rm); no pages
  std::string writer_id;  // 16 bytes
  std::string nonce;      // 16 bytes
  uint32_t page_size = 0;
  uint32_t db_pages = 0;
  PageMapData map;  // frames with object "" address the record itself
  // The CHANGESET section's payload, EncodeRowChanges' bytes; empty: the record has none (its
  // row changes were not recorded).
  std::string changeset;
  Recent recent;
};

// The row changes of a commit: the CHANGESET section of its record (docs/format.md).
struct RowChanges {
  // False when the writer stopped recording (the rows outgrew its memory bound): the changeset
  // is then empty and the commit's rows are unknown.
  bool complete = true;
  bool schema_changed = false;       // the transaction changed the schema (DDL)
  std::vector<std::string> unkeyed;  // tables it changed whose rows a changeset cannot carry
  std::string changeset;             // a SQLite session changeset, possibly empty
};

std::string EncodeRowChanges(const RowChanges& changes);
// Corruption (naming `key`) unless `payload` is a well-formed CHANGESET section; the changeset
// inside is SQLite's to parse. NotSupported for flags this build does not know.
Result<RowChanges> DecodeRowChanges(std::string_view payload, std::string_view key);

// `inline_frames` is the FRAMES payload; in record.map, frames of object "" give offsets
// relative to its start. The encoder rewrites them to offsets in the record and seals each
// inline frame's checksum to its place (FrameSeed of "log/<v>" and that offset).
// `frames_at`, when given, receives where `inline_frames` start in the result: the map
// DecodeRecord gives back is record.map after PlaceInlineFrames(&map, *frames_at).
std::string EncodeRecord(const Record& record, std::string_view inline_frames,
                         uint64_t* frames_at = nullptr);
// Moves the frames of object "" (the record's own) from offsets in the FRAMES payload to
// offsets in the record, whose payload starts at `frames_at`.
void PlaceInlineFrames(PageMapData* map, uint64_t frames_at);
Result<Record> DecodeRecord(std::string_view bytes, std::string_view key);

// ---- Checkpoints ----------------------------------------------------------------------------

struct Checkpoint {
  uint8_t format = kFormatVersion;
  uint64_t version = 0;
  int64_t time_micros = 0;
  std::string db_id;  // kDbIdSize bytes; Format1DbId() in format 1
  uint64_t base = 1;
  std::string head;  // nonce of the record of `version`; empty in format 1
  uint32_t page_size = 0;
  uint32_t db_pages = 0;
  PageMapData map;  // every object is a segment
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
Result<Checkpoint> DecodeCheckpoint(std::string_view bytes, std::string_view key);

// ---- Writer lease ---------------------------------------------------------------------------

inline constexpr size_t kLeaseOwnerSize = 16;

struct Lease {
  uint64_t epoch = 0;
  std::string owner;           // kLeaseOwnerSize bytes
  int64_t granted_micros = 0;  // the writer's clock when written
  int64_t expiry_micros = 0;   // the writer's clock; 0 = released
};

std::string EncodeLease(const Lease& lease);
Result<Lease> DecodeLease(std::string_view bytes, std::string_view key);

// ---- Retention rule (docs/format.md, "Retention rule") ---------------------------------------

struct Retention {
  uint64_t epoch = 0;
  int64_t time_micros = 0;       // the setter's clock; informative
  uint64_t retain_micros = 0;    // keep versions committed within this long; 0: no such rule
  uint64_t retain_versions = 0;  // keep the newest this many versions; 0: no such rule
  uint64_t grace_micros = 0;     // wait this long after an object stops being needed
};

std::string RetentionKey(std::string_view db, uint64_t epoch);
std::string RetentionPrefix(std::string_view db);  // "D/retain/"
std::string EncodeRetention(const Retention& retention);
Result<Retention> DecodeRetention(std::string_view bytes, std::string_view key);

// ---- Segments -------------------------------------------------------------------------------

// Builds the segment `object` (its key relative to "D/") in memory, frame by frame.
class SegmentBuilder {
 public:
  SegmentBuilder(uint32_t page_size, uint64_t version, std::string_view db_id, std::string object);
  // Appends a stored frame (from EncodeFrame) holding pages first_pgno.., sealed to its place;
  // returns its offset.
  uint64_t Add(uint32_t first_pgno, uint32_t page_count, std::string_view stored_frame);
  // Allocates room for `bytes` of frames up front (a segment grown by doubling may hold twice
  // its size in memory).
  void Reserve(uint64_t bytes) { data_.reserve(bytes); }
  uint64_t size() const { return data_.size(); }
  bool empty() const { return frames_ == 0; }
  // The finished segment (header, frames, index, footer). The builder is spent afterwards.
  std::string Finish();

 private:
  std::string db_id_;
  std::string object_;
  std::string data_;
  std::string index_;
  uint32_t frames_ = 0;
};

struct SegmentFrame {
  uint32_t first_pgno = 0;
  uint32_t page_count = 0;
  uint64_t offset = 0;
  uint64_t stored_length = 0;
};

struct SegmentIndex {
  uint8_t format = kFormatVersion;
  uint32_t page_size = 0;
  uint64_t version = 0;
  std::string db_id;  // Format1DbId() in format 1
  std::vector<SegmentFrame> frames;
};

// Verifies a whole segment's header, index and footer (not the frames; see DecodeFrame).
Result<SegmentIndex> DecodeSegmentIndex(std::string_view bytes, std::string_view key);

}  // namespace cloudlite::format
