// Bounded write memory in the engine: DirtyPages spilling to a temporary file, and commits
// streamed into several segments (docs/design.md, "Commits stream").
#include "engine/commit_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>

#include "base/random.h"
#include "engine/dirty_pages.h"
#include "engine/engine.h"
#include "format/format.h"
#include "store/mem/mem_store.h"
#include "store/registry.h"

namespace cloudlite::engine {
namespace {

constexpr uint32_t kPageSize = 4096;

// Incompressible, and different for every (page, version).
std::string Page(uint32_t pgno, uint32_t version) {
  std::mt19937_64 rng(uint64_t{pgno} << 32 | version);
  std::string p(kPageSize, '\0');
  for (size_t i = 0; i < p.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(p.data() + i, &v, 8);
  }
  return p;
}

std::string Read(const DirtyPages& dirty, uint32_t pgno) {
  std::string out(kPageSize, '\0');
  Status s = dirty.Read(pgno, out.data());
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(DirtyPagesTest, PagesPastTheLimitLiveInTheFileAndReadBackTheSame) {
  DirtyPages dirty;
  dirty.SetMemoryLimit(3 * kPageSize, "");
  std::vector<uint32_t> order = {9, 2, 40, 7, 1, 33, 8, 3, 20, 5};
  for (uint32_t p : order) ASSERT_TRUE(dirty.Write(p, Page(p, 1)).ok());
  EXPECT_EQ(dirty.size(), order.size());
  EXPECT_EQ(dirty.memory_bytes(), 3u * kPageSize);
  EXPECT_EQ(dirty.spilled_bytes(), 7u * kPageSize);
  EXPECT_LE(dirty.peak_memory_bytes(), 3u * kPageSize);
  std::vector<uint32_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(dirty.PageNumbers(), sorted);
  for (uint32_t p : order) EXPECT_EQ(Read(dirty, p), Page(p, 1)) << p;
  EXPECT_FALSE(dirty.contains(4));

  // Rewrites stay where the page is; erased slots are reused.
  for (uint32_t p : order) ASSERT_TRUE(dirty.Write(p, Page(p, 2)).ok());
  dirty.Erase(40);
  dirty.Erase(9);
  EXPECT_FALSE(dirty.contains(40));
  ASSERT_TRUE(dirty.Write(41, Page(41, 2)).ok());
  ASSERT_TRUE(dirty.Write(42, Page(42, 2)).ok());
  EXPECT_EQ(dirty.spilled_bytes(), 7u * kPageSize);
  dirty.EraseAfter(7);  // a truncation to 7 pages
  EXPECT_EQ(dirty.PageNumbers(), (std::vector<uint32_t>{1, 2, 3, 5, 7}));
  for (uint32_t p : dirty.PageNumbers()) EXPECT_EQ(Read(dirty, p), Page(p, 2)) << p;
  EXPECT_LE(dirty.peak_memory_bytes(), 3u * kPageSize);

  dirty.Clear();
  EXPECT_TRUE(dirty.empty());
  EXPECT_EQ(dirty.spilled_bytes(), 0u);
  ASSERT_TRUE(dirty.Write(100, Page(100, 3)).ok());
  EXPECT_EQ(dirty.PageNumbers(), std::vector<uint32_t>{100});
  EXPECT_EQ(Read(dirty, 100), Page(100, 3));
}

TEST(DirtyPagesTest, PagesOfAnotherSizeAreRefused) {
  DirtyPages dirty;
  ASSERT_TRUE(dirty.Write(1, Page(1, 1)).ok());
  EXPECT_FALSE(dirty.Write(2, std::string(512, 'x')).ok());
  DirtyPages mixed({{1, Page(1, 1)}, {2, std::string(512, 'x')}});
  EXPECT_EQ(mixed.page_size(), 0u);
}

class StreamedCommitTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> Open(EngineOptions options, size_t cache_bytes = 1 << 20) {
    auto e = Engine::Open(store_, "db", std::move(options),
                          std::make_shared<FrameCache>(cache_bytes), /*create=*/true);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_TRUE((*e)->Refresh(/*force=*/true).ok());
    return std::move(*e);
  }
  size_t Segments() {
    auto keys = ListAll(*store_, format::SegmentPrefix("db"));
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? keys->size() : 0;
  }
  StoreStats stats_;
  std::shared_ptr<ObjectStore> store_ = CountRequests(std::make_unique<MemStore>(), &stats_);
};

// A commit bigger than a segment goes into several, each uploaded once (one PUT each, plus the
// record); a fresh reader sees every page, from a spilled DirtyPages.
TEST_F(StreamedCommitTest, ABigCommitIsSplitIntoSegmentsOfSegmentBytes) {
  EngineOptions options;
  options.inline_limit = 64 << 10;
  options.segment_bytes = 100 << 10;
  options.checkpoint_interval = 1000;  // none here: the PUTs counted are the commit's
  auto writer = Open(options, /*cache_bytes=*/128 << 10);
  DirtyPages dirty;
  dirty.SetMemoryLimit(8 * kPageSize, "");
  const uint32_t pages = 300;  // 1.2 MB of incompressible pages: 12 or more segments
  for (uint32_t p = pages; p >= 1; p--) ASSERT_TRUE(dirty.Write(p, Page(p, 1)).ok());
  uint64_t puts = stats_.put.load();
  ASSERT_TRUE(writer->Commit(dirty, kPageSize, pages).ok());
  size_t segments = Segments();
  EXPECT_GE(segments, 12u);
  EXPECT_EQ(stats_.put.load() - puts, segments + 1);
  auto reader = Open(options);
  for (uint32_t p = 1; p <= pages; p++) {
    std::string out(kPageSize, '\0');
    ASSERT_TRUE(reader->ReadPage(p, out.data()).ok()) << p;
    EXPECT_EQ(out, Page(p, 1)) << p;
  }
  // The writer's cache was warmed with no more than it holds: its newest frames.
  uint64_t gets = stats_.get.load();
  std::string out(kPageSize, '\0');
  ASSERT_TRUE(writer->ReadPage(pages, out.data()).ok());
  EXPECT_EQ(stats_.get.load(), gets);
  ASSERT_TRUE(writer->ReadPage(1, out.data()).ok());
  EXPECT_EQ(stats_.get.load(), gets + 1);
}

// Frames that fit inline stay in the record: one PUT, no segment, as before streaming.
TEST_F(StreamedCommitTest, ACommitThatFitsInlineIsOnePut) {
  EngineOptions options;
  options.segment_bytes = 16 << 10;  // smaller than the commit: irrelevant while inline
  auto writer = Open(options);
  std::map<uint32_t, std::string> pages;
  for (uint32_t p = 1; p <= 64; p++) pages[p] = Page(p, 1);  // 256 KiB, under inline_limit
  uint64_t puts = stats_.put.load();
  ASSERT_TRUE(writer->Commit(pages, kPageSize, 64).ok());
  EXPECT_EQ(stats_.put.load() - puts, 1u);
  EXPECT_EQ(Segments(), 0u);
}

// An inline commit hands back its frames' pages too (key "", offsets in inline_frames), so that
// the writer caches them instead of decompressing its own record; past warm_bytes, the first
// frames only.
TEST_F(StreamedCommitTest, InlineFramesComeBackWithTheirPagesWithinTheWarmBudget) {
  CommitWriterOptions o;
  o.db = "db";
  o.version = 1;
  o.page_size = kPageSize;
  o.frame_pages = 4;
  o.warm_bytes = 10 * kPageSize;  // two frames of four pages, not the third
  DirtyPages dirty;
  std::vector<uint32_t> pgnos;
  for (uint32_t p = 1; p <= 16; p++) {
    ASSERT_TRUE(dirty.Write(p, Page(p, 1)).ok());
    pgnos.push_back(p);
  }
  auto frames = WriteCommitFrames(dirty, pgnos, o, [](const std::string&, const std::string&) {
    return Status::Internal("no segment expected");
  });
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  ASSERT_EQ(frames->map.frames.size(), 4u);
  ASSERT_EQ(frames->warm.size(), 2u);
  for (size_t i = 0; i < frames->warm.size(); i++) {
    const CommitFrames::Warm& w = frames->warm[i];
    EXPECT_EQ(w.key, "");
    EXPECT_EQ(w.offset, frames->map.frames[i].offset);
    std::string expected;
    for (uint32_t p = 1; p <= 4; p++) expected += Page(static_cast<uint32_t>(4 * i) + p, 1);
    EXPECT_EQ(*w.pages, expected) << i;
  }
}

// A segment upload that fails is the error of the commit, which then publishes no record.
TEST_F(StreamedCommitTest, AFailedSegmentUploadIsTheCommitsError) {
  std::atomic<int> calls{0};
  CommitWriterOptions o;
  o.db = "db";
  o.version = 1;
  o.page_size = kPageSize;
  o.inline_limit = 0;
  o.segment_bytes = 20 << 10;
  DirtyPages dirty;
  std::vector<uint32_t> pgnos;
  for (uint32_t p = 1; p <= 40; p++) {
    ASSERT_TRUE(dirty.Write(p, Page(p, 1)).ok());
    pgnos.push_back(p);
  }
  auto frames = WriteCommitFrames(dirty, pgnos, o, [&](const std::string&, const std::string&) {
    return ++calls == 3 ? Status::Unavailable("injected") : Status::Ok();
  });
  EXPECT_FALSE(frames.ok());
  EXPECT_EQ(frames.status().code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace cloudlite::engine
