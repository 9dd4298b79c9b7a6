#include "format/format.h"

#include <gtest/gtest.h>

#include <random>

#include "base/checksum.h"
#include "base/coding.h"

namespace cloudlite::format {
namespace {

std::string Pages(uint32_t n, uint32_t page_size, char seed) {
  std::string s;
  for (uint32_t i = 0; i < n * page_size; i++) s.push_back(static_cast<char>(seed + i % 7));
  return s;
}

TEST(FormatKeys, VersionKeysSortNumerically) {
  EXPECT_EQ(LogKey("db", 42), "db/log/00000000000000000042");
  EXPECT_LT(LogKey("db", 9), LogKey("db", 10));
  uint64_t v;
  EXPECT_TRUE(ParseVersionKey(CheckpointKey("db", 7), CheckpointPrefix("db"), &v));
  EXPECT_EQ(v, 7u);
  EXPECT_FALSE(ParseVersionKey("db/log/12", LogPrefix("db"), &v));
  EXPECT_FALSE(ParseVersionKey("db/log/0000000000000000004x", LogPrefix("db"), &v));
  EXPECT_FALSE(ParseVersionKey("db/log/99999999999999999999", LogPrefix("db"), &v));
  EXPECT_EQ(NewestVersion({LogKey("db", 9), "db/log/12", LogKey("db", 10), LogKey("x", 99)},
                          LogPrefix("db")),
            10u);
  EXPECT_EQ(NewestVersion({"db/log/12"}, LogPrefix("db")), 0u);
}

TEST(FormatKeys, TheLayoutIsSpelledHere) {
  EXPECT_EQ(DatabasePrefix("db"), "db/");
  EXPECT_EQ(LogPrefix("db"), "db/log/");
  EXPECT_EQ(CheckpointPrefix("db"), "db/ckpt/");
  EXPECT_EQ(LeasePrefix("db"), "db/lease/");
  EXPECT_EQ(SegmentPrefix("db"), "db/seg/");
  EXPECT_EQ(SegmentKey("db", 42, "ab"), "db/seg/00000000000000000042-ab");
  EXPECT_EQ(LeaseKey("db", 3), "db/lease/00000000000000000003");
  // Objects named relative to "D/" in page maps.
  const std::string record = RecordObject(5, std::string(kRecordTagSize, '\x01'));
  EXPECT_EQ(record, "log/00000000000000000005#0101010101010101");
  EXPECT_EQ(ObjectKey("db", record), "db/" + record);
  EXPECT_EQ(ObjectName("db", ObjectKey("db", record)), record);
  EXPECT_EQ(StoreKey(ObjectKey("db", record)), LogKey("db", 5));
  EXPECT_EQ(ObjectName("db", "db"), "") << "too short: empty, never out of range";
}

TEST(FormatKeys, OneZeroNonceServesAsTheFormat1DbId) {
  EXPECT_EQ(ZeroNonce(), std::string(kNonceSize, '\0'));
  EXPECT_EQ(&Format1DbId(), &ZeroNonce());
}

TEST(FormatKeys, DatabaseNames) {
  EXPECT_TRUE(IsValidDatabaseName("orders-2024.v1_x"));
  EXPECT_FALSE(IsValidDatabaseName(""));
  EXPECT_FALSE(IsValidDatabaseName(".."));
  EXPECT_FALSE(IsValidDatabaseName("a/b"));
  EXPECT_FALSE(IsValidDatabaseName(std::string(129, 'a')));
}

TEST(FormatFrame, RoundTripsAndDetectsEveryFlippedByte) {
  std::string pages = Pages(3, 512, 'a');
  std::string stored = EncodeFrame(pages, 3);
  auto decoded = DecodeFrame(stored, 3, 512, 0, "k", 0);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, pages);
  for (size_t i = 0; i < stored.size(); i++) {
    std::string bad = stored;
    bad[i] ^= 0x20;
    auto r = DecodeFrame(bad, 3, 512, 0, "db/seg/x", 77);
    ASSERT_FALSE(r.ok()) << "flip at " << i;
    EXPECT_TRUE(r.status().IsCorruption());
    EXPECT_NE(r.status().message().find("db/seg/x"), std::string::npos);
  }
  EXPECT_FALSE(DecodeFrame(stored, 2, 512, 0, "k", 0).ok());
  EXPECT_FALSE(DecodeFrame(stored.substr(0, 5), 3, 512, 0, "k", 0).ok());
}

TEST(FormatFrame, IsValidOnlyWhereItWasSealed) {
  const std::string id(16, 'i');
  std::string stored = EncodeFrame(Pages(2, 512, 'a'), 3);
  SealFrame(&stored, FrameSeed(id, "seg/1-a", 36));
  EXPECT_TRUE(DecodeFrame(stored, 2, 512, FrameSeed(id, "seg/1-a", 36), "k", 36).ok());
  // Another offset, object or incarnation: the same bytes are not that frame.
  for (uint64_t seed : {FrameSeed(id, "seg/1-a", 37), FrameSeed(id, "seg/1-b", 36),
                        FrameSeed(std::string(16, 'j'), "seg/1-a", 36), uint64_t{0}}) {
    auto r = DecodeFrame(stored, 2, 512, seed, "db/seg/1-a", 36);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption());
    EXPECT_NE(r.status().message().find("db/seg/1-a"), std::string::npos);
  }
  // Format-1 incarnations (all-zero id) use seed 0.
  EXPECT_EQ(FrameSeed(Format1DbId(), "seg/1-a", 36), 0u);
}

Record SampleRecord(std::string* inline_frames) {
  Record r;
  r.version = 5;
  r.time_micros = 1700000000000000;
  r.db_id = std::string(16, 'd');
  r.base = 2;
  r.prev = std::string(16, 'p');
  r.writer_id = std::string(16, 'w');
  r.nonce = std::string(16, 'n');
  r.page_size = 512;
  r.db_pages = 40;
  std::string f0 = EncodeFrame(Pages(2, 512, 'x'), 1);
  std::string f1 = EncodeFrame(Pages(1, 512, 'y'), 1);
  *inline_frames = f0 + f1;
  r.map.objects = {"", "seg/00000000000000000003-abcd"};
  r.map.frames = {{0, 0, f0.size(), 2}, {0, f0.size(), f1.size(), 1}, {1, 20, 100, 16}};
  r.map.extents = {{1, 2, 0, 0}, {7, 1, 1, 0}, {20, 3, 2, 5}};
  r.changeset = EncodeRowChanges({true, false, {"logs"}, "changes"});
  r.recent.db_pages = 38;
  r.recent.versions.resize(2);
  r.recent.versions[0].changed = {3, 4, 39};
  r.recent.versions[0].map.objects = {""};
  r.recent.versions[0].map.frames = {{0, 120, 60, 2}};
  r.recent.versions[0].map.extents = {{3, 2, 0, 0}};
  r.recent.versions[1].changed = {1, 3};
  r.recent.versions[1].map.objects = {"", "seg/00000000000000000003-abcd"};
  r.recent.versions[1].map.frames = {{0, 100, 50, 1}, {1, 20, 100, 16}};
  r.recent.versions[1].map.extents = {{1, 1, 0, 0}, {3, 1, 1, 4}};
  return r;
}

// EncodedSize counts what a RECENT entry adds to a record, without encoding it: random entries
// (multi-byte varints, long object names) are added one at a time, and the record grows by
// exactly that much (the section's length stays a two-byte varint throughout).
TEST(FormatRecord, EncodedSizeIsWhatAnEntryAddsToTheRecord) {
  std::mt19937_64 rng(26);
  auto below = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  std::string frames;
  Record r = SampleRecord(&frames);
  r.recent.versions.clear();
  size_t before = 0;
  for (int k = 0; k < 30; k++) {
    RecentVersion v;
    uint32_t pgno = 0;
    for (uint32_t n = below(8) + 1; n > 0; n--) v.changed.push_back(pgno += below(300) + 1);
    v.tag = std::string(16, static_cast<char>('a' + k));
    v.map.objects = {""};
    for (uint32_t n = below(3); n > 0; n--) v.map.objects.push_back(std::string(below(60), 's'));
    for (uint32_t n = below(4) + 1; n > 0; n--) {
      v.map.frames.push_back({below(static_cast<uint32_t>(v.map.objects.size())),
                              rng() >> below(64), rng() >> below(64), below(300)});
    }
    uint32_t first = 1;
    for (uint32_t n = below(4) + 1; n > 0; n--) {
      v.map.extents.push_back({first += below(1000), below(20) + 1, below(5), below(200)});
    }
    if (k == 0) v.map.objects.push_back(std::string(150, 'x'));  // the section over 127 bytes
    r.recent.versions.push_back(v);
    const size_t size = EncodeRecord(r, frames, nullptr).size();
    if (k > 0) {
      EXPECT_EQ(size - before, EncodedSize(v)) << "entry " << k;
    }
    before = size;
  }
}

TEST(FormatRecord, RoundTripWithInlineFrames) {
  std::string frames;
  Record r = SampleRecord(&frames);
  uint64_t frames_at = 0;
  std::string bytes = EncodeRecord(r, frames, &frames_at);
  auto d = DecodeRecord(bytes, "db/log/5");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  // A writer adopts its record as `r` with its own frames moved by frames_at, without decoding
  // it (Engine::Commit): that must be what a reader decodes.
  const uint64_t n0 = r.map.frames[0].stored_length;  // past its checksum, resealed in place
  EXPECT_EQ(bytes.substr(frames_at + 8, n0 - 8), frames.substr(8, n0 - 8));
  EXPECT_EQ(d->map.objects, r.map.objects);
  ASSERT_EQ(d->map.frames.size(), r.map.frames.size());
  for (size_t i = 0; i < r.map.frames.size(); i++) {
    const FrameRef& want = r.map.frames[i];
    const uint64_t shift = r.map.objects[want.object].empty() ? frames_at : 0;
    EXPECT_EQ(d->map.frames[i].object, want.object);
    EXPECT_EQ(d->map.frames[i].offset, want.offset + shift);
    EXPECT_EQ(d->map.frames[i].stored_length, want.stored_length);
    EXPECT_EQ(d->map.frames[i].page_count, want.page_count);
  }
  EXPECT_EQ(d->time_micros, r.time_micros);
  EXPECT_EQ(d->writer_id, r.writer_id);
  EXPECT_EQ(d->page_size, r.page_size);
  EXPECT_EQ(d->version, 5u);
  EXPECT_EQ(d->format, 2);
  EXPECT_EQ(d->db_id, r.db_id);
  EXPECT_EQ(d->base, 2u);
  EXPECT_EQ(d->prev, r.prev);
  EXPECT_FALSE(d->end);
  EXPECT_EQ(d->nonce, r.nonce);
  EXPECT_EQ(d->db_pages, 40u);
  EXPECT_EQ(d->changeset, r.changeset);
  EXPECT_EQ(d->recent.db_pages, 38u);
  ASSERT_EQ(d->recent.versions.size(), 2u);
  EXPECT_EQ(d->recent.versions[0].changed, (std::vector<uint32_t>{3, 4, 39}));
  EXPECT_EQ(d->recent.versions[1].changed, (std::vector<uint32_t>{1, 3}));
  ASSERT_EQ(d->recent.versions[1].map.extents.size(), 2u);
  EXPECT_EQ(d->recent.versions[1].map.extents[1].first_slot, 4u);
  EXPECT_EQ(d->recent.versions[1].map.objects[1], "seg/00000000000000000003-abcd");
  ASSERT_EQ(d->map.extents.size(), 3u);
  EXPECT_EQ(d->map.extents[2].first_pgno, 20u);
  // Inline frames are addressed within the record and decode from there.
  const FrameRef& f = d->map.frames[1];
  auto page = DecodeFrame(std::string_view(bytes).substr(f.offset, f.stored_length), 1, 512,
                          FrameSeed(r.db_id, RecordObject(5, RecordTag(r.nonce)), f.offset),
                          "db/log/5", f.offset);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(*page, Pages(1, 512, 'y'));
}

TEST(FormatRecord, EndRecordRoundTripsAndHoldsNoPages) {
  Record end;
  end.end = true;
  end.version = 9;
  end.db_id = std::string(16, 'd');
  end.base = 2;
  end.prev = std::string(16, 'p');
  end.nonce = std::string(16, 'n');
  auto d = DecodeRecord(EncodeRecord(end, {}), "db/log/9");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->end);
  EXPECT_EQ(d->version, 9u);
  EXPECT_EQ(d->db_id, end.db_id);
}

TEST(FormatRecord, ImpossibleValuesUnderAValidChecksumAreCorruptionNamingTheKey) {
  std::string frames;
  Record r = SampleRecord(&frames);
  auto corrupt = [&](const Record& bad, std::string_view inline_frames) {
    auto d = DecodeRecord(EncodeRecord(bad, inline_frames), "db/log/00000000000000000005");
    EXPECT_TRUE(d.status().IsCorruption()) << d.status().ToString();
    EXPECT_NE(d.status().message().find("db/log/00000000000000000005"), std::string::npos);
  };
  Record huge = r;
  huge.db_pages = 0xFFFFFFFF;
  corrupt(huge, frames);
  Record recent_huge = r;
  recent_huge.recent.db_pages = 0xFFFFFFFF;
  corrupt(recent_huge, frames);
  Record no_id = r;
  no_id.db_id = Format1DbId();
  corrupt(no_id, frames);
  Record future_base = r;
  future_base.base = 6;
  corrupt(future_base, frames);
  Record too_much_history = r;  // RECENT cannot describe versions before the genesis
  too_much_history.base = 4;
  corrupt(too_much_history, frames);
  Record big_frame = r;
  big_frame.map.frames[2].stored_length = kMaxStoredFrameBytes + 1;
  corrupt(big_frame, frames);
  Record end_with_pages = r;
  end_with_pages.end = true;
  corrupt(end_with_pages, frames);
}

TEST(FormatRecord, EveryFlippedByteIsCorruptionNamingTheKey) {
  std::string frames;
  std::string bytes = EncodeRecord(SampleRecord(&frames), frames);
  for (size_t i = 0; i < bytes.size(); i++) {
    std::string bad = bytes;
    bad[i] ^= 0x01;
    auto d = DecodeRecord(bad, "db/log/00000000000000000005");
    ASSERT_FALSE(d.ok()) << "flip at " << i;
    EXPECT_NE(d.status().message().find("db/log/00000000000000000005"), std::string::npos);
  }
  for (size_t n : {size_t{0}, size_t{7}, bytes.size() - 1}) {
    EXPECT_TRUE(DecodeRecord(bytes.substr(0, n), "k").status().IsCorruption());
  }
}

// A RECENT section that passes the checksum but breaks the rules is Corruption, not a wrong map.
TEST(FormatRecord, MalformedRecentIsCorruption) {
  std::string frames;
  Record unsorted = SampleRecord(&frames);
  unsorted.recent.versions[1].changed = {3, 3};
  Record too_many = SampleRecord(&frames);
  too_many.recent.versions.resize(5);  // versions 0..4 before version 5: there is no version 0
  Record bad_map = SampleRecord(&frames);
  bad_map.recent.versions[0].map.extents[0].first_slot = 1;  // overruns its 2-page frame
  for (const Record& r : {unsorted, too_many, bad_map}) {
    auto d = DecodeRecord(EncodeRecord(r, frames), "db/log/5");
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(d.status().IsCorruption()) << d.status().ToString();
    EXPECT_NE(d.status().message().find("RECENT"), std::string::npos) << d.status().ToString();
  }
}

TEST(FormatRecord, NewerFormatVersionIsRejectedClearly) {
  std::string frames;
  std::string bytes = EncodeRecord(SampleRecord(&frames), frames);
  bytes[5] = 3;
  auto d = DecodeRecord(bytes, "k");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(d.status().message().find("newer cloudlite"), std::string::npos);
}

TEST(FormatCheckpoint, RoundTrip) {
  Checkpoint c;
  c.version = 9;
  c.db_id = std::string(16, 'd');
  c.base = 3;
  c.head = std::string(16, 'h');
  c.page_size = 4096;
  c.db_pages = 100;
  c.map.objects = {"seg/00000000000000000009-0123"};
  c.map.frames = {{0, 20, 500, 16}, {0, 520, 300, 16}};
  c.map.extents = {{1, 16, 0, 0}, {17, 16, 1, 0}};
  std::string bytes = EncodeCheckpoint(c);
  auto d = DecodeCheckpoint(bytes, "db/ckpt/9");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->db_id, c.db_id);
  EXPECT_EQ(d->base, 3u);
  EXPECT_EQ(d->head, c.head);
  EXPECT_EQ(d->map.frames.size(), 2u);
  EXPECT_EQ(d->map.extents[1].first_pgno, 17u);
  bytes[bytes.size() / 2] ^= 4;
  EXPECT_TRUE(DecodeCheckpoint(bytes, "db/ckpt/9").status().IsCorruption());
}

TEST(FormatCheckpoint, RejectsReferencesToLogRecords) {
  Checkpoint c;
  c.version = 2;
  c.db_id = std::string(16, 'd');
  c.page_size = 4096;
  c.map.objects = {"log/00000000000000000001"};
  EXPECT_TRUE(DecodeCheckpoint(EncodeCheckpoint(c), "k").status().IsCorruption());
}

TEST(FormatLease, RoundTripIs56BytesAndEveryFlippedByteIsCorruption) {
  EXPECT_EQ(LeaseKey("db", 3), "db/lease/00000000000000000003");
  uint64_t e;
  EXPECT_TRUE(ParseVersionKey(LeaseKey("db", 3), LeasePrefix("db"), &e));
  EXPECT_EQ(e, 3u);
  Lease lease{3, std::string(kLeaseOwnerSize, 'o'), 1'700'000'000'000'000, 1'700'000'002'000'000};
  std::string bytes = EncodeLease(lease);
  ASSERT_EQ(bytes.size(), 56u);
  auto d = DecodeLease(bytes, "db/lease/3");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->epoch, 3u);
  EXPECT_EQ(d->owner, lease.owner);
  EXPECT_EQ(d->granted_micros, lease.granted_micros);
  EXPECT_EQ(d->expiry_micros, lease.expiry_micros);
  for (size_t i = 0; i < bytes.size(); i++) {
    std::string bad = bytes;
    bad[i] ^= 1;
    Status s = DecodeLease(bad, "db/lease/3").status();
    EXPECT_FALSE(s.ok()) << "byte " << i;
    EXPECT_NE(s.message().find("db/lease/3"), std::string::npos);
  }
  EXPECT_TRUE(DecodeLease(bytes.substr(0, 40), "k").status().IsCorruption());
  EXPECT_TRUE(DecodeLease(bytes + "x", "k").status().IsCorruption());
}

TEST(FormatPageMap, RejectsOverlapsAndOutOfRangeIndices) {
  PageMapData m;
  m.objects = {""};
  m.frames = {{0, 0, 100, 4}};
  m.extents = {{1, 4, 0, 0}};
  std::string enc;
  EncodePageMap(m, &enc);
  PageMapData out;
  EXPECT_TRUE(DecodePageMap(enc, &out).ok());
  m.extents = {{1, 3, 0, 2}};  // slots 2..4 of a 4-page frame
  enc.clear();
  EncodePageMap(m, &enc);
  EXPECT_FALSE(DecodePageMap(enc, &out).ok());
  m.extents = {{1, 1, 1, 0}};  // frame 1 does not exist
  enc.clear();
  EncodePageMap(m, &enc);
  EXPECT_FALSE(DecodePageMap(enc, &out).ok());
}

TEST(FormatSegment, IndexRoundTrip) {
  const std::string id(16, 'i');
  SegmentBuilder b(512, 3, id, "seg/x");
  std::string f = EncodeFrame(Pages(2, 512, 'q'), 1);
  uint64_t off = b.Add(5, 2, f);
  std::string seg = b.Finish();
  auto idx = DecodeSegmentIndex(seg, "db/seg/x");
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ(idx->db_id, id);
  EXPECT_EQ(idx->version, 3u);
  ASSERT_EQ(idx->frames.size(), 1u);
  EXPECT_EQ(idx->frames[0].offset, off);
  // The frame is sealed to its place in the segment.
  std::string_view stored = std::string_view(seg).substr(off, idx->frames[0].stored_length);
  EXPECT_TRUE(DecodeFrame(stored, 2, 512, FrameSeed(id, "seg/x", off), "db/seg/x", off).ok());
  EXPECT_FALSE(DecodeFrame(stored, 2, 512, 0, "db/seg/x", off).ok());
  EXPECT_EQ(idx->frames[0].first_pgno, 5u);
  EXPECT_EQ(idx->page_size, 512u);
  seg[seg.size() - 21] ^= 1;  // the last index byte
  EXPECT_TRUE(DecodeSegmentIndex(seg, "db/seg/x").status().IsCorruption());
}

// Found by the fuzzers (docs/fuzzing.md): sums that wrapped around, and a checkpoint whose
// header claimed a body far larger than its compressed bytes could hold (that it is not
// allocated is checked by the checkpoint fuzzer's -malloc_limit_mb).
TEST(FormatFuzzFindings, ExtentAndSegmentBoundsDoNotWrap) {
  auto map_with_extent = [](uint64_t gap, uint64_t pages, uint64_t slot) {
    std::string enc;
    PutVarint64(&enc, 1);
    PutLengthPrefixed(&enc, "seg/x");
    PutVarint64(&enc, 1);  // one frame of 2 pages
    for (uint64_t v : {uint64_t{0}, uint64_t{36}, uint64_t{100}, uint64_t{2}}) PutVarint64(&enc, v);
    PutVarint64(&enc, 1);
    for (uint64_t v : {gap, pages, uint64_t{0}, slot}) PutVarint64(&enc, v);
    PageMapData out;
    return DecodePageMap(enc, &out);
  };
  EXPECT_TRUE(map_with_extent(0, 2, 0).ok());
  EXPECT_TRUE(map_with_extent(0, 3, UINT64_MAX).IsCorruption());  // slot + pages wraps
  EXPECT_TRUE(map_with_extent(UINT64_MAX, 1, 0).IsCorruption());  // first page wraps
  EXPECT_TRUE(map_with_extent(0, UINT64_MAX, 0).IsCorruption());

  SegmentBuilder b(512, 3, std::string(16, 'i'), "seg/x");
  b.Add(1, 1, EncodeFrame(Pages(1, 512, 'a'), 1));
  std::string seg = b.Finish();
  // Rewrite the one index entry's stored length to 2^64 - 1 and reseal the footer.
  const size_t footer = seg.size() - 20;
  const uint64_t index_offset = DecodeFixed64(seg.data() + footer);
  std::string index;
  for (uint64_t v : {uint64_t{1}, uint64_t{1}, uint64_t{36}, UINT64_MAX}) PutVarint64(&index, v);
  std::string bad = seg.substr(0, index_offset) + index;
  PutFixed64(&bad, index_offset);
  PutFixed32(&bad, 1);
  PutFixed64(&bad, Checksum(bad.substr(0, 36) + index + bad.substr(bad.size() - 12)));
  EXPECT_TRUE(DecodeSegmentIndex(bad, "db/seg/x").status().IsCorruption());
}

TEST(FormatFuzzFindings, ACheckpointClaimingAHugeBodyIsCorruption) {
  Checkpoint c;
  c.version = 9;
  c.db_id = std::string(16, 'd');
  c.page_size = 4096;
  std::string bytes = EncodeCheckpoint(c);
  // The body length field (after header, version, time, id, base, head, page size, db_pages)
  // claims 400 MiB; the zstd frame holds a few bytes.
  const size_t at = 8 + 8 + 8 + 16 + 8 + 16 + 4 + 4;
  std::string claimed = bytes.substr(0, at);
  PutFixed64(&claimed, uint64_t{400} << 20);
  claimed += bytes.substr(at + 8, bytes.size() - at - 8 - 8);
  PutFixed64(&claimed, Checksum(claimed));
  auto d = DecodeCheckpoint(claimed, "db/ckpt/9");
  EXPECT_TRUE(d.status().IsCorruption()) << d.status().ToString();
}

}  // namespace
}  // namespace cloudlite::format
