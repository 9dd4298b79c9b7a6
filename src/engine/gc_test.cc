#include "engine/gc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "engine/deleter.h"
#include "engine/engine.h"
#include "engine/retention.h"
#include "format/format.h"
#include "store/fault/fault_store.h"
#include "store/forwarding_store.h"
#include "store/mem/mem_store.h"
#include "testing/status_matchers.h"

namespace cloudlite::engine {
namespace {

constexpr uint32_t kPageSize = 4096;
constexpr uint32_t kPages = 4;
constexpr int64_t kSecond = 1'000'000;

std::string Page(uint32_t pgno, uint64_t marker) {
  std::string p(kPageSize, static_cast<char>('a' + marker % 26));
  std::memcpy(p.data(), &pgno, sizeof pgno);
  std::memcpy(p.data() + 8, &marker, sizeof marker);
  return p;
}

uint64_t MarkerOf(const std::string& page) {
  uint64_t marker;
  std::memcpy(&marker, page.data() + 8, sizeof marker);
  return marker;
}

// Shows the store as it was at version `v`: records and checkpoints above it are hidden, so
// that opening reads version v (the way a time-travel read reaches a retained version).
class AsOfStore : public ForwardingStore {
 public:
  AsOfStore(std::shared_ptr<ObjectStore> inner, uint64_t v)
      : ForwardingStore(std::move(inner)), v_(v) {}
  Result<std::string> Get(std::string_view key) override {
    if (Hidden(key)) return Status::NotFound(std::string(key));
    return ForwardingStore::Get(key);
  }
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    CL_ASSIGN_OR_RETURN(ListPage page, ForwardingStore::List(prefix, start_after, limit));
    std::erase_if(page.keys, [&](const std::string& k) { return Hidden(k); });
    return page;
  }

 private:
  bool Hidden(std::string_view key) const {
    uint64_t v;
    return (format::ParseVersionKey(key, format::LogPrefix("db"), &v) ||
            format::ParseVersionKey(key, format::CheckpointPrefix("db"), &v)) &&
           v > v_;
  }
  uint64_t v_;
};

class GcTest : public ::testing::Test {
 protected:
  EngineOptions Options() {
    EngineOptions o;
    o.checkpoint_interval = 8;
    o.gc_interval = 0;  // collections are the test's
    o.clock = &clock_;
    return o;
  }
  std::unique_ptr<Engine> Open(EngineOptions o, std::shared_ptr<ObjectStore> store = nullptr,
                               bool create = true) {
    auto e = Engine::Open(store ? store : store_, "db", std::move(o),
                          std::make_shared<FrameCache>(1 << 20), create);
    EXPECT_OK(e);
    if (!e.ok()) return nullptr;
    EXPECT_OK((*e)->Refresh(/*force=*/true).status());
    return std::move(*e);
  }
  // Commits `n` versions, one second apart: version v writes marker v to page (v % kPages) + 1,
  // and every 10th version rewrites every page. Remembers each version's pages.
  void CommitMany(Engine& e, int n) {
    for (int i = 0; i < n; i++) {
      clock_.AdvanceMicros(kSecond);
      const uint64_t v = e.version() + 1;
      std::map<uint32_t, std::string> dirty;
      if (v % 10 == 0) {
        for (uint32_t p = 1; p <= kPages; p++) dirty[p] = Page(p, v);
      } else {
        dirty[static_cast<uint32_t>(v % kPages) + 1] =
            Page(static_cast<uint32_t>(v % kPages) + 1, v);
      }
      ASSERT_OK(e.Commit(DirtyPages(dirty), kPageSize, kPages));
      ASSERT_OK(e.FinishCheckpoint());  // the collections below count on where checkpoints are
      ASSERT_OK(e.FinishCollection());
      std::map<uint32_t, uint64_t> state =
          states_.empty() ? std::map<uint32_t, uint64_t>{} : states_.rbegin()->second;
      for (const auto& [p, page] : dirty) state[p] = v;
      states_[v] = state;
    }
  }
  // Every page of what `e` reads equals what version e.version() wrote.
  void ExpectState(Engine& e) {
    ASSERT_TRUE(states_.count(e.version())) << e.version();
    const auto& want = states_[e.version()];
    for (uint32_t p = 1; p <= kPages; p++) {
      std::string out(kPageSize, '\0');
      ASSERT_OK(e.ReadPage(p, out.data()));
      uint64_t expected = want.count(p) ? want.at(p) : 0;
      if (expected == 0) {
        EXPECT_EQ(out, std::string(kPageSize, '\0'));
      } else {
        EXPECT_EQ(out, Page(p, expected)) << "page " << p << " at version " << e.version();
      }
    }
  }
  // Every version from `from` to the newest opens and reads what it served.
  void ExpectReadable(uint64_t from, uint64_t to) {
    for (uint64_t v = from; v <= to; v++) {
      auto e = Open(Options(), std::make_shared<AsOfStore>(store_, v), /*create=*/false);
      ASSERT_NE(e, nullptr) << "version " << v;
      ASSERT_EQ(e->version(), v);
      ExpectState(*e);
    }
  }
  size_t Count(const std::string& prefix) {
    auto keys = ListAll(*store_, prefix);
    EXPECT_OK(keys);
    return keys.ok() ? keys->size() : 0;
  }

  FakeClock clock_{1'700'000'000 * kSecond};
  std::shared_ptr<MemStore> store_ = std::make_shared<MemStore>();
  std::map<uint64_t, std::map<uint32_t, uint64_t>> states_;
};

TEST(RetentionTest, RoundTripsAndEveryFlippedByteIsCorruption) {
  format::Retention r{3, 1700000000000000, 3600 * 1000000ull, 100, 300 * 1000000ull};
  const std::string key = format::RetentionKey("db", 3);
  std::string bytes = format::EncodeRetention(r);
  ASSERT_EQ(bytes.size(), 56u);
  auto back = format::DecodeRetention(bytes, key);
  ASSERT_OK(back);
  EXPECT_EQ(back->epoch, 3u);
  EXPECT_EQ(back->retain_micros, r.retain_micros);
  EXPECT_EQ(back->retain_versions, 100u);
  EXPECT_EQ(back->grace_micros, r.grace_micros);
  for (size_t i = 0; i < bytes.size(); i++) {
    std::string bad = bytes;
    bad[i] ^= 0x20;
    auto decoded = format::DecodeRetention(bad, key);
    EXPECT_FALSE(decoded.ok()) << "byte " << i;
  }
  EXPECT_FALSE(format::DecodeRetention(bytes.substr(0, 40), key).ok());
}

TEST(RetentionTest, DefaultUntilWrittenThenTheNewestEpochRules) {
  MemStore store;
  auto rule = ReadRetention(store, "db");
  ASSERT_OK(rule);
  EXPECT_EQ(*rule, DefaultRetention());
  EXPECT_EQ(rule->retain, std::chrono::hours(1));
  RetentionRule mine;
  mine.retain = std::chrono::microseconds(0);
  mine.retain_versions = 10;
  mine.grace = std::chrono::seconds(30);
  ASSERT_OK(WriteRetention(store, "db", mine));
  mine.retain_versions = 20;
  ASSERT_OK(WriteRetention(store, "db", mine));
  rule = ReadRetention(store, "db");
  ASSERT_OK(rule);
  EXPECT_EQ(*rule, mine);
  EXPECT_TRUE(store.Get(format::RetentionKey("db", 2)).ok());
}

TEST(RetentionTest, RetainsWhatEitherRuleKeeps) {
  RetentionRule rule;
  rule.retain = std::chrono::seconds(10);
  rule.retain_versions = 5;
  const int64_t now = 100 * kSecond;
  EXPECT_TRUE(rule.Retains(96, 0, 100, now));  // among the newest 5
  EXPECT_FALSE(rule.Retains(95, 0, 100, now));
  EXPECT_TRUE(rule.Retains(1, 95 * kSecond, 100, now));  // within 10 s
  EXPECT_FALSE(rule.Retains(1, 89 * kSecond, 100, now));
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 0;
  EXPECT_TRUE(rule.KeepsEverything());
  EXPECT_TRUE(rule.Retains(1, 0, 100, now));
}

TEST(DeleterTest, DeletesInBatchesAndCountsRequests) {
  MemStore store;
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; i++) {
    keys.push_back("db/x/" + std::to_string(i));
    ASSERT_OK(store.Put(keys.back(), "x"));
  }
  DeleteStats stats;
  ASSERT_OK(DeleteObjects(store, keys, &stats));
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_EQ(stats.keys, 2500u);
  auto left = ListAll(store, "db/");
  ASSERT_OK(left);
  EXPECT_TRUE(left->empty());
}

TEST_F(GcTest, NothingGoesInsideTheWindow) {
  auto e = Open(Options());
  CommitMany(*e, 200);
  GcOptions gc;
  gc.clock = &clock_;
  auto report = CollectGarbage(*store_, "db", gc);  // default: 1 hour; 200 s of history
  ASSERT_OK(report);
  EXPECT_EQ(report->horizon, 0u);
  EXPECT_EQ(report->deleted(), 0u);
  EXPECT_EQ(Count("db/log/"), 200u);
}

TEST_F(GcTest, TheRuleKeepingEverythingCollectsNothing) {
  auto e = Open(Options());
  CommitMany(*e, 100);
  clock_.AdvanceMicros(3600 * kSecond);
  RetentionRule all;
  all.retain = std::chrono::microseconds(0);
  ASSERT_OK(WriteRetention(*store_, "db", all, clock_));
  GcOptions gc;
  gc.clock = &clock_;
  auto report = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(report);
  EXPECT_EQ(report->deleted(), 0u);
  EXPECT_NE(report->nothing_because.find("keeps all"), std::string::npos);
}

TEST_F(GcTest, CollectsBelowTheHorizonAndEveryRetainedVersionStaysReadable) {
  EngineOptions o = Options();
  o.inline_limit = 4096;  // commits of every page go to segments
  auto e = Open(o);
  CommitMany(*e, 300);
  clock_.AdvanceMicros(600 * kSecond);
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 100;
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  gc.dry_run = true;
  auto dry = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(dry);
  const size_t objects_before = Count("db/");
  EXPECT_GT(dry->deleted(), 0u);
  EXPECT_EQ(Count("db/"), objects_before);  // a dry run deletes nothing
  gc.dry_run = false;
  auto report = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(report);
  EXPECT_EQ(report->horizon, 200u);  // the newest checkpoint <= 300 - 100 + 1
  EXPECT_EQ(report->deleted(), dry->deleted());
  EXPECT_EQ(report->checkpoints.size(), 24u);  // 8 .. 192
  EXPECT_EQ(report->records.size(), 136u);     // 1 .. 136 = 200 - 64
  EXPECT_GT(report->segments.size(), 0u);
  EXPECT_EQ(Count("db/log/"), 164u);
  // Every version from the horizon on reads exactly what it served.
  ExpectReadable(200, 300);
  auto fresh = Open(Options(), nullptr, /*create=*/false);
  ExpectState(*fresh);
  // Again: nothing more is due.
  auto again = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(again);
  EXPECT_EQ(again->deleted(), 0u);
}

TEST_F(GcTest, TheGracePeriodDelaysDeletion) {
  auto e = Open(Options());
  CommitMany(*e, 200);
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 10;
  rule.grace = std::chrono::seconds(100);  // the last 100 versions are less than 100 s old
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  auto report = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(report);
  EXPECT_LE(report->horizon, 100u);
  EXPECT_GT(report->horizon, 0u);
  // Records wait five minutes whatever the grace: none is that old.
  EXPECT_TRUE(report->records.empty());
  clock_.AdvanceMicros(600 * kSecond);
  report = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(report);
  EXPECT_EQ(report->horizon, 184u);
  EXPECT_FALSE(report->records.empty());
  ExpectReadable(184, 200);
}

// A database written without pause always has a young horizon checkpoint; the records that are
// five minutes old go all the same (before session 8 only a horizon five minutes old let any
// record go, so inline collections never deleted one).
TEST_F(GcTest, RecordsFiveMinutesOldGoUnderAYoungHorizon) {
  auto e = Open(Options());
  CommitMany(*e, 600);  // one a second: version v was committed 600 - v seconds ago
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 10;
  rule.grace = std::chrono::microseconds(0);
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  auto report = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(report);
  EXPECT_EQ(report->horizon, 584u);
  ASSERT_EQ(report->records.size(), 300u);  // versions 1 .. 300
  EXPECT_EQ(report->records.back(), format::LogKey("db", 300));
  EXPECT_LT(report->requests, 30u);  // a binary search, not a read of every record
  ExpectReadable(584, 600);
}

TEST_F(GcTest, ADamagedRuleCollectsNothing) {
  auto e = Open(Options());
  CommitMany(*e, 100);
  clock_.AdvanceMicros(7200 * kSecond);
  ASSERT_OK(store_->PutIfAbsent(format::RetentionKey("db", 1), "not a rule"));
  GcOptions gc;
  gc.clock = &clock_;
  auto report = CollectGarbage(*store_, "db", gc);
  EXPECT_TRUE(report.status().IsCorruption()) << report.status().ToString();
  EXPECT_EQ(Count("db/log/"), 100u);
}

TEST_F(GcTest, AnUnreadableCheckpointAboveTheHorizonStopsBeforeAnyDeletion) {
  auto e = Open(Options());
  CommitMany(*e, 100);
  clock_.AdvanceMicros(7200 * kSecond);
  const std::string key = format::CheckpointKey("db", 96);
  auto bytes = store_->Get(key);
  ASSERT_OK(bytes);
  std::string bad = *bytes;
  bad[bad.size() / 2] ^= 1;
  ASSERT_OK(store_->Put(key, bad));
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 20;
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  const size_t before = Count("db/");
  auto report = CollectGarbage(*store_, "db", gc);
  EXPECT_TRUE(report.status().IsCorruption());
  EXPECT_EQ(Count("db/"), before);
}

// Inline collection runs every gc_interval versions; its requests per commit stay small and the
// store stays bounded by the window.
TEST_F(GcTest, InlineCollectionKeepsTheStoreBoundedAtAFewRequestsPerThousandCommits) {
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 400;  // 400 s of commits: records wait 5 minutes
  rule.grace = std::chrono::seconds(60);
  ASSERT_OK(WriteRetention(*store_, "db", rule, clock_));
  EngineOptions o = Options();
  o.checkpoint_interval = 64;
  o.gc_interval = 1024;
  auto e = Open(o);
  const int commits = 8192;
  CommitMany(*e, commits);
  EXPECT_EQ(e->gc_runs(), 8u);
  const double per_commit = static_cast<double>(e->gc_requests()) / commits;
  std::printf(
      "inline gc: %llu requests in %llu runs over %d commits = %.4f per commit; %zu "
      "objects left\n",
      static_cast<unsigned long long>(e->gc_requests()),
      static_cast<unsigned long long>(e->gc_runs()), commits, per_commit, Count("db/"));
  EXPECT_LT(per_commit, 0.05);
  // Left: the window (400), RECENT's reach (64), what piled up since the last run (<1024).
  EXPECT_LT(Count("db/log/"), 400u + 64 + 1024 + 64);
  auto fresh = Open(Options(), nullptr, /*create=*/false);
  ExpectState(*fresh);
  ExpectReadable(static_cast<uint64_t>(commits) - 399, static_cast<uint64_t>(commits));
}

// Counts the log keys Lists return.
class LogListingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    Result<ListPage> page = ForwardingStore::List(prefix, start_after, limit);
    if (page.ok() && prefix == format::LogPrefix("db")) listed += page->keys.size();
    return page;
  }
  std::atomic<size_t> listed{0};
};

// A collector that keeps what it learned (GcMemo, as the inline one does) lists only the records
// committed since its last run: its cost grows with what changed, not with the log it leaves
// (before, every run listed the whole log: 100,001 records on file:// at the end of the
// 100,000-update benchmark, for each of its runs). A run that finds a remembered record gone
// forgets them, and the next lists the whole log again.
TEST_F(GcTest, ARunListsOnlyTheLogCommittedSinceTheLastRun) {
  auto e = Open(Options());
  CommitMany(*e, 400);  // one a second: only the records before the last 300 s may go
  auto listing = std::make_shared<LogListingStore>(store_);
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 10;
  rule.grace = std::chrono::microseconds(0);
  GcMemo memo;
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  gc.memo = &memo;
  auto report = CollectGarbage(*listing, "db", gc);
  ASSERT_OK(report);
  EXPECT_EQ(listing->listed.load(), 400u);
  EXPECT_EQ(report->records.size(), 100u);  // versions 1 .. 100
  for (int run = 0; run < 3; run++) {
    CommitMany(*e, 50);
    listing->listed = 0;
    report = CollectGarbage(*listing, "db", gc);
    ASSERT_OK(report);
    EXPECT_EQ(listing->listed.load(), 50u);  // not the 300-odd records left
    ASSERT_EQ(report->records.size(), 50u);
    EXPECT_EQ(report->records.front(), format::LogKey("db", 101 + 50 * run));
    ExpectReadable(e->version() - 9, e->version());
  }
  EXPECT_EQ(Count("db/log/"), 300u);  // the last five minutes
  // Another collector deletes records this one remembers: deleting them again is harmless.
  clock_.AdvanceMicros(100 * kSecond);
  GcOptions other = gc;
  other.memo = nullptr;
  ASSERT_OK(CollectGarbage(*store_, "db", other).status());
  EXPECT_EQ(Count("db/log/"), 200u);
  CommitMany(*e, 50);
  listing->listed = 0;
  ASSERT_OK(CollectGarbage(*listing, "db", gc).status());
  EXPECT_EQ(listing->listed.load(), 50u);
  ExpectReadable(e->version() - 9, e->version());
  // A run whose search for the records five minutes old meets one gone forgets them all, and
  // the next lists the whole log again.
  std::vector<std::string> remembered;
  for (uint64_t v : memo.records) remembered.push_back(format::LogKey("db", v));
  remembered.resize(remembered.size() / 2);
  ASSERT_OK(store_->Delete(remembered));
  CommitMany(*e, 50);
  listing->listed = 0;
  ASSERT_OK(CollectGarbage(*listing, "db", gc).status());
  EXPECT_EQ(listing->listed.load(), 50u);
  EXPECT_TRUE(memo.records.empty());
  const size_t left = Count("db/log/");
  listing->listed = 0;
  ASSERT_OK(CollectGarbage(*listing, "db", gc).status());
  EXPECT_EQ(listing->listed.load(), left);
  EXPECT_FALSE(memo.records.empty());
  ExpectReadable(e->version() - 9, e->version());
}

// A reader whose map was loaded long ago re-syncs before its next transaction; inside one it
// meets a collected object as a retryable error, never as wrong rows.
TEST_F(GcTest, AReaderOnAnOldSnapshotGetsARetryableErrorThenReSyncs) {
  auto writer = Open(Options());
  CommitMany(*writer, 19);  // page 1 was last written by version 16: in checkpoint 16's segment
  EngineOptions ro = Options();
  ro.relist_after = std::chrono::milliseconds(0);  // every map counts as loaded long ago
  auto reader = Open(ro, nullptr, /*create=*/false);
  ASSERT_EQ(reader->version(), 19u);
  CommitMany(*writer, 300);
  clock_.AdvanceMicros(600 * kSecond);
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 10;
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  auto report = CollectGarbage(*store_, "db", gc);
  ASSERT_OK(report);
  ASSERT_GT(report->horizon, 19u);
  // Version 19's pages are in records 17..19 (cached when applied) and checkpoint 16's segment.
  int unavailable = 0;
  for (uint32_t p = 1; p <= kPages; p++) {
    std::string out(kPageSize, '\0');
    Status s = reader->ReadPage(p, out.data());
    if (s.ok()) {
      EXPECT_EQ(MarkerOf(out), states_[19][p]);  // from its cache: still version 19's page
    } else {
      EXPECT_TRUE(s.IsRetryable()) << s.ToString();
      unavailable++;
    }
  }
  EXPECT_GT(unavailable, 0);
  ASSERT_OK(reader->Refresh().status());
  EXPECT_EQ(reader->version(), 319u);
  ExpectState(*reader);
}

// A reader whose map is fresh and meets a missing object reports damage, naming it.
TEST_F(GcTest, AMissingObjectUnderAFreshMapIsCorruption) {
  auto writer = Open(Options());
  CommitMany(*writer, 8);  // checkpoint 8 holds every page in its segment
  EngineOptions ro = Options();
  ro.relist_after = std::chrono::hours(1);
  auto reader = Open(ro, nullptr, /*create=*/false);
  ASSERT_EQ(reader->checkpoint_version(), 8u);
  auto segments = ListAll(*store_, format::SegmentPrefix("db"));
  ASSERT_OK(segments);
  ASSERT_EQ(segments->size(), 1u);
  ASSERT_OK(store_->Delete(*segments));
  std::string out(kPageSize, '\0');
  Status s = reader->ReadPage(1, out.data());
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(segments->front()), std::string::npos);
}

// Writers (collecting inline) and readers run while collectors delete with no grace at all: every
// acknowledged commit is there at the end, and no reader ever sees pages of two versions mixed.
TEST_F(GcTest, ConcurrentWritersReadersAndCollectors) {
  {
    auto creator = Open(Options());
    ASSERT_OK(creator->Commit(
        DirtyPages({{1, Page(1, 0)}, {2, Page(2, 0)}, {3, Page(3, 0)}, {4, Page(4, 0)}}), kPageSize,
        kPages));
  }
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 16;
  rule.grace = std::chrono::microseconds(0);
  ASSERT_OK(WriteRetention(*store_, "db", rule));  // for the writers' own collections
  EngineOptions o;
  o.checkpoint_interval = 8;
  o.gc_interval = 16;  // writers collect too, on their own threads, listing what is new
  o.relist_after = std::chrono::milliseconds(0);
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<bool> stop{false};
  std::atomic<int> retryable{0}, wrong{0};
  auto writer = [&] {
    auto e = Open(o, nullptr, false);
    if (!e) return;
    for (int i = 0; i < 150; i++) {
      for (int attempt = 0; attempt < 100; attempt++) {
        if (!e->Refresh(true).ok()) continue;
        std::string page1(kPageSize, '\0');
        if (!e->ReadPage(1, page1.data()).ok()) continue;
        const uint64_t next = MarkerOf(page1) + 1;
        std::map<uint32_t, std::string> dirty;
        for (uint32_t p = 1; p <= kPages; p++) dirty[p] = Page(p, next);
        Status s = e->Commit(DirtyPages(dirty), kPageSize, kPages);
        if (s.ok()) {
          acknowledged++;
          break;
        }
        if (!s.IsBusy() && !s.IsRetryable()) {
          ADD_FAILURE() << s.ToString();
          return;
        }
      }
    }
  };
  auto reader = [&] {
    auto e = Open(o, nullptr, false);
    if (!e) return;
    while (!stop) {
      Status refreshed = e->Refresh(true).status();
      if (!refreshed.ok()) {
        if (!refreshed.IsRetryable()) ADD_FAILURE() << refreshed.ToString();
        continue;
      }
      std::set<uint64_t> markers;
      bool failed = false;
      for (uint32_t p = 1; p <= kPages; p++) {
        std::string out(kPageSize, '\0');
        Status s = e->ReadPage(p, out.data());
        if (!s.ok()) {
          if (s.IsRetryable()) {
            retryable++;
          } else {
            ADD_FAILURE() << s.ToString();
          }
          failed = true;
          break;
        }
        markers.insert(MarkerOf(out));
        if (out != Page(p, MarkerOf(out))) wrong++;
      }
      if (!failed && markers.size() != 1) wrong++;
    }
  };
  auto collector = [&] {
    GcMemo memo;  // as an inline collector: each run lists the log since the last
    GcOptions gc;
    gc.rule = rule;
    gc.memo = &memo;
    while (!stop) {
      Result<GcReport> r = CollectGarbage(*store_, "db", gc);
      if (!r.ok()) ADD_FAILURE() << r.status().ToString();
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(collector);
  threads.emplace_back(reader);
  threads.emplace_back(reader);
  std::vector<std::thread> writers;
  for (int i = 0; i < 3; i++) writers.emplace_back(writer);
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  auto fresh = Open(Options(), nullptr, false);
  std::string page1(kPageSize, '\0');
  ASSERT_OK(fresh->ReadPage(1, page1.data()));
  EXPECT_EQ(MarkerOf(page1), acknowledged.load());
  EXPECT_EQ(fresh->version(), acknowledged.load() + 1);
  std::printf("acknowledged %llu, retryable read errors %d, objects left %zu\n",
              static_cast<unsigned long long>(acknowledged.load()), retryable.load(), Count("db/"));
}

// Collections that fail part way (store errors, lost answers to deletes) leave every retained
// version readable, and a later collection finishes the job.
TEST_F(GcTest, CollectionsInterruptedByStoreFaultsLoseNothing) {
  EngineOptions o = Options();
  o.inline_limit = 4096;
  auto e = Open(o);
  FaultOptions faults;
  faults.seed = 7;
  faults.of(StoreOp::kDelete).error = 0.3;
  faults.of(StoreOp::kDelete).phantom = 0.3;
  faults.of(StoreOp::kGet).error = 0.1;
  faults.of(StoreOp::kList).lost = 0.1;
  FaultStore faulty(std::make_unique<ForwardingStore>(store_), faults);
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 30;
  rule.grace = std::chrono::seconds(1);
  GcMemo memo;  // as an inline collector runs: each run lists what changed since the last
  GcOptions gc;
  gc.rule = rule;
  gc.clock = &clock_;
  gc.memo = &memo;
  int failed = 0;
  for (int round = 0; round < 12; round++) {
    CommitMany(*e, 40);
    clock_.AdvanceMicros(400 * kSecond);
    Result<GcReport> r = CollectGarbage(faulty, "db", gc);
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
      failed++;
    }
    const uint64_t newest = e->version();
    ExpectReadable(newest - 29, newest);
  }
  EXPECT_GT(failed, 0);
  gc.memo = nullptr;
  ASSERT_OK(CollectGarbage(*store_, "db", gc).status());
  EXPECT_LT(Count("db/log/"), 30u + 64 + 8 + 1);
  ExpectReadable(e->version() - 29, e->version());
}

}  // namespace
}  // namespace cloudlite::engine
