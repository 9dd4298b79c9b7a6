#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "engine/deleter.h"
#include "engine/retention.h"
#include "format/format.h"
#include "store/fault/fault_store.h"
#include "store/file/file_store.h"
#include "store/forwarding_store.h"
#include "store/mem/mem_store.h"
#include "store/registry.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite::engine {
namespace {

constexpr uint32_t kPageSize = 4096;

std::string Page(uint32_t pgno, char fill) {
  std::string p(kPageSize, fill);
  std::memcpy(p.data(), &pgno, sizeof pgno);
  return p;
}

// Open, then catch up with every commit (what a transaction start does).
Result<std::unique_ptr<Engine>> OpenSynced(std::shared_ptr<ObjectStore> store,
                                           EngineOptions options = {},
                                           std::shared_ptr<FrameCache> cache = nullptr,
                                           bool create = false) {
  if (!cache) cache = std::make_shared<FrameCache>(1 << 20);
  CL_ASSIGN_OR_RETURN(auto engine, Engine::Open(std::move(store), "db", std::move(options),
                                                std::move(cache), create));
  CL_RETURN_IF_ERROR(engine->Refresh(/*force=*/true).status());
  return engine;
}

class EngineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> OpenEngine(EngineOptions options = {}, bool create = true) {
    auto e = OpenSynced(store_, std::move(options), cache_, create);
    EXPECT_OK(e);
    return e.ok() ? std::move(*e) : nullptr;
  }
  std::string ReadPage(Engine& e, uint32_t pgno) {
    std::string out(e.page_size(), '\0');
    Status s = e.ReadPage(pgno, out.data());
    EXPECT_OK(s);
    return out;
  }
  std::shared_ptr<MemStore> store_ = std::make_shared<MemStore>();
  std::shared_ptr<FrameCache> cache_ = std::make_shared<FrameCache>(1 << 20);
};

TEST_F(EngineTest, MissingDatabaseIsNotFoundWithoutCreate) {
  auto e = Engine::Open(store_, "db", {}, cache_, /*create=*/false);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsNotFound());
  EXPECT_NE(e.status().message().find("'db'"), std::string::npos);
}

TEST_F(EngineTest, EndIncarnationEndsTheDatabaseOnceAndOpenEnginesSeeIt) {
  auto writer = OpenEngine();
  ASSERT_OK(writer->Commit({{1, Page(1, 'a')}}, kPageSize, 1));
  ASSERT_OK(writer->Commit({{1, Page(1, 'b')}}, kPageSize, 1));
  auto end = EndIncarnation(*store_, "db", 2, /*newest_is_checkpoint=*/false);
  ASSERT_OK(end);
  EXPECT_EQ(*end, 3u);
  auto bytes = store_->Get(format::LogKey("db", 3));
  ASSERT_OK(bytes);
  auto rec = format::DecodeRecord(*bytes, format::LogKey("db", 3));
  ASSERT_OK(rec);
  EXPECT_TRUE(rec->end);
  EXPECT_EQ(rec->db_id, writer->db_id()) << "the END of this incarnation";
  EXPECT_EQ(rec->base, writer->base());
  EXPECT_EQ(rec->prev.size(), format::kNonceSize);
  EXPECT_NE(rec->prev, format::ZeroNonce()) << "it follows version 2's record";
  // The open engine learns it at its next sync; a new one does not open it.
  EXPECT_TRUE(writer->Refresh(true).status().IsNotFound());
  EXPECT_TRUE(Engine::Open(store_, "db", {}, cache_, /*create=*/false).status().IsNotFound());
  // Ending it again finds the END already there.
  auto again = EndIncarnation(*store_, "db", 3, /*newest_is_checkpoint=*/false);
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0u);
}

TEST_F(EngineTest, EndIncarnationLandsAboveACommitThatTookTheSlotFirst) {
  auto writer = OpenEngine();
  ASSERT_OK(writer->Commit({{1, Page(1, 'a')}}, kPageSize, 1));
  ASSERT_OK(writer->Commit({{1, Page(1, 'b')}}, kPageSize, 1));
  // The caller listed version 1 as the newest; version 2 landed meanwhile.
  auto end = EndIncarnation(*store_, "db", 1, /*newest_is_checkpoint=*/false);
  ASSERT_OK(end);
  EXPECT_EQ(*end, 3u);
  EXPECT_TRUE(Engine::Open(store_, "db", {}, cache_, /*create=*/false).status().IsNotFound());
}

TEST_F(EngineTest, InvalidNameIsRejected) {
  EXPECT_EQ(Engine::Open(store_, "a/b", {}, cache_, true).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(EngineTest, CommitIsVisibleToAFreshOpen) {
  auto e = OpenEngine();
  ASSERT_TRUE(
      e->Commit({{1, Page(1, 'a')}, {2, Page(2, 'b')}, {5, Page(5, 'e')}}, kPageSize, 5).ok());
  EXPECT_EQ(e->version(), 1u);
  auto other = OpenSynced(store_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->version(), 1u);
  EXPECT_EQ((*other)->db_pages(), 5u);
  EXPECT_EQ(ReadPage(**other, 2), Page(2, 'b'));
  EXPECT_EQ(ReadPage(**other, 3), std::string(kPageSize, '\0'));  // never written: zeros
  EXPECT_EQ(ReadPage(**other, 5), Page(5, 'e'));
}

TEST_F(EngineTest, LosingTheRaceIsBusyAndRefreshCatchesUp) {
  auto a = OpenEngine();
  auto b = OpenEngine();
  ASSERT_TRUE(a->Commit({{1, Page(1, 'a')}}, kPageSize, 1).ok());
  Status lost = b->Commit({{1, Page(1, 'b')}}, kPageSize, 1);
  EXPECT_TRUE(lost.IsBusy()) << lost.ToString();
  EXPECT_EQ(b->version(), 0u);
  auto changed = b->Refresh();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(ReadPage(*b, 1), Page(1, 'a'));
  ASSERT_TRUE(b->Commit({{1, Page(1, 'b')}}, kPageSize, 1).ok());
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ(ReadPage(*a, 1), Page(1, 'b'));
}

TEST_F(EngineTest, TruncationDropsPages) {
  auto e = OpenEngine();
  ASSERT_TRUE(
      e->Commit({{1, Page(1, 'a')}, {2, Page(2, 'b')}, {3, Page(3, 'c')}}, kPageSize, 3).ok());
  ASSERT_TRUE(e->Commit({{1, Page(1, 'x')}}, kPageSize, 1).ok());
  ASSERT_TRUE(e->Commit({{1, Page(1, 'y')}}, kPageSize, 3).ok());  // grows again
  auto fresh = OpenEngine();
  EXPECT_EQ(fresh->db_pages(), 3u);
  EXPECT_EQ(ReadPage(*fresh, 3), std::string(kPageSize, '\0'));
}

// What a lost race validates against: the pages each newer version wrote or cut off.
TEST_F(EngineTest, ChangedPagesSinceNamesWrittenAndTruncatedPages) {
  auto e = OpenEngine();
  ASSERT_TRUE(
      e->Commit({{1, Page(1, 'a')}, {2, Page(2, 'b')}, {3, Page(3, 'c')}}, kPageSize, 3).ok());
  auto reader = OpenEngine();  // at version 1
  ASSERT_TRUE(e->Commit({{2, Page(2, 'x')}}, kPageSize, 3).ok());
  ASSERT_TRUE(e->Commit({{1, Page(1, 'y')}}, kPageSize, 2).ok());  // cuts page 3 off
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  EXPECT_EQ(reader->ChangedPagesSince(1), (std::set<uint32_t>{1, 2, 3}));
  EXPECT_EQ(reader->ChangedPagesSince(2), (std::set<uint32_t>{1, 3}));
  EXPECT_EQ(reader->ChangedPagesSince(3), std::set<uint32_t>{});
  // An engine that opened at a checkpoint knows nothing older: a race across it is a conflict.
  ASSERT_TRUE(e->Checkpoint().ok());
  auto fresh = OpenEngine();
  EXPECT_FALSE(fresh->ChangedPagesSince(2).has_value());
  EXPECT_EQ(fresh->ChangedPagesSince(3), std::set<uint32_t>{});
}

TEST_F(EngineTest, LargeCommitsGoToASegment) {
  EngineOptions options;
  options.inline_limit = 100;
  auto e = OpenEngine(options);
  std::map<uint32_t, std::string> dirty;
  for (uint32_t p = 1; p <= 40; p++) dirty[p] = Page(p, static_cast<char>('a' + p % 20));
  ASSERT_TRUE(e->Commit(dirty, kPageSize, 40).ok());
  auto segments = ListAll(*store_, format::SegmentPrefix("db"));
  ASSERT_TRUE(segments.ok());
  EXPECT_EQ(segments->size(), 1u);
  auto fresh = OpenSynced(store_);
  ASSERT_TRUE(fresh.ok());
  for (uint32_t p = 1; p <= 40; p++) EXPECT_EQ(ReadPage(**fresh, p), dirty[p]) << p;
}

TEST_F(EngineTest, CheckpointEveryIntervalAndOpenStartsFromIt) {
  EngineOptions options;
  options.checkpoint_interval = 4;
  auto e = OpenEngine(options);
  for (uint32_t i = 1; i <= 10; i++) {
    ASSERT_TRUE(e->Commit({{i, Page(i, 'k')}, {1, Page(1, static_cast<char>('0' + i))}}, kPageSize,
                          std::max<uint32_t>(i, 1))
                    .ok());
    ASSERT_OK(e->FinishCheckpoint());  // each runs after its commit returned
  }
  EXPECT_EQ(e->checkpoint_version(), 8u);
  auto checkpoints = ListAll(*store_, "db/ckpt/");
  ASSERT_TRUE(checkpoints.ok());
  EXPECT_EQ(checkpoints->size(), 2u);  // at 4 and 8
  // Even with the records up to 8 gone, a fresh open reads everything.
  std::vector<std::string> old;
  for (uint64_t v = 1; v <= 8; v++) old.push_back(format::LogKey("db", v));
  ASSERT_TRUE(store_->Delete(old).ok());
  auto fresh = OpenSynced(store_);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->version(), 10u);
  EXPECT_EQ(ReadPage(**fresh, 1), Page(1, ':'));  // '0' + 10
  for (uint32_t i = 2; i <= 10; i++) EXPECT_EQ(ReadPage(**fresh, i), Page(i, 'k'));
}

// Inline garbage collection deletes the checkpoints below the retention horizon, so that opening
// a database lists a handful of keys however many checkpoints it has had (engine/gc_test.cc has
// the rest of the rule).
TEST_F(EngineTest, OldCheckpointsAreDeletedAndOpeningStillStartsFromTheNewest) {
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 4;
  rule.grace = std::chrono::microseconds(0);
  ASSERT_OK(WriteRetention(*store_, "db", rule));
  EngineOptions options;
  options.checkpoint_interval = 2;
  options.gc_interval = 8;
  auto e = OpenEngine(options);
  for (uint32_t i = 1; i <= 41; i++) {
    ASSERT_TRUE(e->Commit({{1, Page(1, static_cast<char>('A' + i))}}, kPageSize, 1).ok());
    ASSERT_OK(e->FinishCheckpoint());
    ASSERT_OK(e->FinishCollection());
  }
  auto checkpoints = ListAll(*store_, "db/ckpt/");
  ASSERT_TRUE(checkpoints.ok());
  // Collected at version 40: the horizon is the newest checkpoint <= 40 - 4 + 1.
  EXPECT_EQ(*checkpoints, (std::vector<std::string>{format::CheckpointKey("db", 36),
                                                    format::CheckpointKey("db", 38),
                                                    format::CheckpointKey("db", 40)}));
  auto fresh = OpenSynced(store_);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->checkpoint_version(), 40u);
  EXPECT_EQ((*fresh)->version(), 41u);
  EXPECT_EQ(ReadPage(**fresh, 1), Page(1, 'A' + 41));
}

// Remembers the keys created with PutIfAbsent.
class RecordingStore : public ForwardingStore {
 public:
  explicit RecordingStore(std::shared_ptr<ObjectStore> inner) : ForwardingStore(std::move(inner)) {}
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    Status s = ForwardingStore::PutIfAbsent(key, data);
    if (s.ok()) created_.emplace_back(key);
    return s;
  }
  std::vector<std::string> created_;
};

// Writers do not see each other's checkpoints; still, each interval gets exactly one: its last
// version's committer writes it (counting from each writer's own last checkpoint, the two
// writers here made one at 4, 5, 8, 9, 12, 13, 16 and 17).
TEST_F(EngineTest, WritersTakingTurnsMakeOneCheckpointPerInterval) {
  auto recording = std::make_shared<RecordingStore>(store_);
  EngineOptions options;
  options.checkpoint_interval = 4;
  std::vector<std::unique_ptr<Engine>> writers;
  for (int i = 0; i < 2; i++) {
    auto e = OpenSynced(recording, options, nullptr, /*create=*/true);
    ASSERT_OK(e);
    writers.push_back(std::move(*e));
  }
  for (uint32_t v = 1; v <= 17; v++) {
    Engine& e = *writers[v % 2];
    ASSERT_TRUE(e.Refresh(/*force=*/true).ok());
    ASSERT_TRUE(e.Commit({{1, Page(1, static_cast<char>('a' + v))}}, kPageSize, 1).ok());
    ASSERT_OK(e.FinishCheckpoint());
  }
  std::vector<std::string> checkpoints;
  for (const auto& key : recording->created_) {
    if (key.rfind("db/ckpt/", 0) == 0) checkpoints.push_back(key);
  }
  std::vector<std::string> expected;
  for (uint64_t v : {4, 8, 12, 16}) expected.push_back(format::CheckpointKey("db", v));
  EXPECT_EQ(checkpoints, expected);
}

// A writer whose map rests on a checkpoint older than another engine's newest makes no
// checkpoint from it (a collector keeps only what the newest ones name). It used to stay so: a
// writer that skips the freshness probe (a server's group commit) never re-synced, and its
// database was never checkpointed again. Now the skipped checkpoint marks the engine for a
// re-sync at its next transaction, and it checkpoints again after it.
TEST_F(EngineTest, AWriterBehindAnotherEnginesCheckpointReSyncsAndCheckpointsAgain) {
  EngineOptions options;
  options.checkpoint_interval = 4;
  auto first = OpenSynced(store_, options, nullptr, /*create=*/true);
  ASSERT_OK(first);
  ASSERT_OK((*first)->Commit({{1, Page(1, 'b')}}, kPageSize, 1));
  auto second = OpenSynced(store_, options);  // its map on no checkpoint
  ASSERT_OK(second);
  for (uint32_t v = 2; v <= 4; v++) {
    ASSERT_OK((*first)->Commit({{1, Page(1, static_cast<char>('a' + v))}}, kPageSize, 1));
  }
  ASSERT_OK((*first)->FinishCheckpoint());
  ASSERT_OK((*second)->Refresh(/*force=*/true));  // at version 4, its map still on none
  EXPECT_FALSE((*second)->resync_due());
  for (uint32_t v = 5; v <= 8; v++) {  // commits without looking at the store, as a server's
    ASSERT_OK((*second)->Commit({{1, Page(1, static_cast<char>('a' + v))}}, kPageSize, 1));
  }
  ASSERT_OK((*second)->FinishCheckpoint());
  EXPECT_EQ(*ListAll(*store_, "db/ckpt/"),
            (std::vector<std::string>{format::CheckpointKey("db", 4)}));
  EXPECT_TRUE((*second)->resync_due());
  ASSERT_OK((*second)->Refresh());  // what the next transaction does, write or not
  EXPECT_FALSE((*second)->resync_due());
  for (uint32_t v = 9; v <= 12; v++) {
    ASSERT_OK((*second)->Commit({{1, Page(1, static_cast<char>('a' + v))}}, kPageSize, 1));
  }
  ASSERT_OK((*second)->FinishCheckpoint());
  EXPECT_EQ(
      *ListAll(*store_, "db/ckpt/"),
      (std::vector<std::string>{format::CheckpointKey("db", 4), format::CheckpointKey("db", 12)}));
  auto fresh = OpenSynced(store_);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->checkpoint_version(), 12u);
  EXPECT_EQ(ReadPage(**fresh, 1), Page(1, 'a' + 12));
}

// Holds every write of a checkpoint until opened, or fails it when `fail` (a process that died
// before its checkpoint landed). The wait is bounded so that a broken test fails instead of
// hanging.
class CheckpointGateStore : public ForwardingStore {
 public:
  explicit CheckpointGateStore(std::shared_ptr<ObjectStore> inner)
      : ForwardingStore(std::move(inner)) {}
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    if (key.rfind("db/ckpt/", 0) == 0) {
      std::unique_lock<std::mutex> lock(mu_);
      waiting_++;
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(60), [&] { return open_; });
      if (fail_) return Status::Unavailable("the process died before its checkpoint landed");
    }
    return ForwardingStore::PutIfAbsent(key, data);
  }
  void Open(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    fail_ = fail;
    changed_.notify_all();
  }
  // Waits (bounded) until a checkpoint write is held at the gate.
  bool AwaitHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return waiting_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
  bool fail_ = false;
};

// Issue 15, item 6: the checkpoint of every interval-th version is written after that commit
// returned, and it lands eventually.
TEST_F(EngineTest, CheckpointIsWrittenAfterTheCommitReturnsAndLandsEventually) {
  auto gate = std::make_shared<CheckpointGateStore>(store_);
  EngineOptions options;
  options.checkpoint_interval = 2;
  auto e = OpenSynced(gate, options, nullptr, /*create=*/true);
  ASSERT_OK(e);
  ASSERT_OK((*e)->Commit({{1, Page(1, 'a')}}, kPageSize, 1));
  ASSERT_OK((*e)->Commit({{1, Page(1, 'b')}, {2, Page(2, 'b')}}, kPageSize, 2));
  // Acknowledged while its checkpoint is held: the commit did not wait for it.
  ASSERT_TRUE(gate->AwaitHeld());
  EXPECT_TRUE(store_->Get(format::CheckpointKey("db", 2)).status().IsNotFound());
  EXPECT_EQ((*e)->checkpoint_version(), 0u);
  ASSERT_OK((*e)->Commit({{2, Page(2, 'c')}}, kPageSize, 2));  // and the next commit neither
  gate->Open(/*fail=*/false);
  ASSERT_OK((*e)->FinishCheckpoint());
  EXPECT_EQ((*e)->checkpoint_version(), 2u);
  ASSERT_TRUE(store_->Get(format::CheckpointKey("db", 2)).ok());
  auto fresh = OpenSynced(store_);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->checkpoint_version(), 2u);
  EXPECT_EQ((*fresh)->version(), 3u);
  EXPECT_EQ(ReadPage(**fresh, 1), Page(1, 'b'));
  EXPECT_EQ(ReadPage(**fresh, 2), Page(2, 'c'));
}

// A writer that committed on while its checkpoint was written takes that checkpoint with its own
// later changes laid over it, so the next interval is checkpointed too (before, the writer kept
// a map resting on no checkpoint and skipped checkpoints until its next re-sync).
TEST_F(EngineTest, AWriterThatMovedOnTakesItsCheckpointAndCheckpointsAgain) {
  auto gate = std::make_shared<CheckpointGateStore>(store_);
  EngineOptions options;
  options.checkpoint_interval = 2;
  auto e = OpenSynced(gate, options, nullptr, /*create=*/true);
  ASSERT_OK(e);
  ASSERT_OK((*e)->Commit({{1, Page(1, 'a')}, {4, Page(4, 'a')}, {5, Page(5, 'a')}}, kPageSize, 5));
  ASSERT_OK((*e)->Commit({{1, Page(1, 'b')}, {2, Page(2, 'b')}}, kPageSize, 5));
  ASSERT_TRUE(gate->AwaitHeld());
  // Moves on while version 2's checkpoint is held: rewrites pages 2 and 3, cuts page 5 off.
  ASSERT_OK((*e)->Commit({{2, Page(2, 'c')}, {3, Page(3, 'c')}}, kPageSize, 4));
  gate->Open(/*fail=*/false);
  ASSERT_OK((*e)->FinishCheckpoint());
  EXPECT_EQ((*e)->checkpoint_version(), 2u);
  ASSERT_OK((*e)->Commit({{1, Page(1, 'd')}}, kPageSize, 4));
  ASSERT_OK((*e)->FinishCheckpoint());
  EXPECT_EQ((*e)->checkpoint_version(), 4u);
  EXPECT_EQ(
      *ListAll(*store_, "db/ckpt/"),
      (std::vector<std::string>{format::CheckpointKey("db", 2), format::CheckpointKey("db", 4)}));
  // Version 4's checkpoint alone (its records gone) gives every page.
  std::vector<std::string> records;
  for (uint64_t v = 1; v <= 4; v++) records.push_back(format::LogKey("db", v));
  ASSERT_OK(store_->Delete(records));
  auto fresh = OpenSynced(store_);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->checkpoint_version(), 4u);
  for (Engine* reader : {e->get(), fresh->get()}) {
    EXPECT_EQ(reader->db_pages(), 4u);
    EXPECT_EQ(ReadPage(*reader, 1), Page(1, 'd'));
    EXPECT_EQ(ReadPage(*reader, 2), Page(2, 'c'));
    EXPECT_EQ(ReadPage(*reader, 3), Page(3, 'c'));
    EXPECT_EQ(ReadPage(*reader, 4), Page(4, 'a'));
  }
}

// Issue 15: a checkpoint that ran long is followed at once by another, so that the newest
// checkpoint stays close to the head and an opening reads a bounded number of objects. Here the
// checkpoint of version 64 is held while 1,200 more are committed (more than the 1,024 versions
// whose changes an engine otherwise keeps, which adopting it needs). Before, the writer waited
// for the next interval, could not take the checkpoint's map and so wrote no checkpoint until
// its next re-sync: the cold open below cost 3 LISTs and 160 GETs.
TEST_F(EngineTest, ACheckpointThatFellBehindIsFollowedAtOnce) {
  auto gate = std::make_shared<CheckpointGateStore>(store_);
  auto e = OpenSynced(gate, {}, nullptr, /*create=*/true);  // checkpoint_interval 64
  ASSERT_OK(e);
  uint32_t v = 0;
  auto commit = [&] {
    v++;
    return (*e)->Commit({{1 + v % 8, Page(1 + v % 8, static_cast<char>(v))}}, kPageSize, 8);
  };
  while (v < 64) ASSERT_OK(commit());
  ASSERT_TRUE(gate->AwaitHeld());
  while (v < 64 + 1200) ASSERT_OK(commit());
  gate->Open(/*fail=*/false);
  ASSERT_OK((*e)->FinishCheckpoint());
  EXPECT_EQ((*e)->checkpoint_version(), 64u);
  ASSERT_OK(commit());  // not a multiple of 64, but the checkpoint before it ended far behind
  ASSERT_OK((*e)->FinishCheckpoint());
  EXPECT_EQ((*e)->checkpoint_version(), v);
  EXPECT_EQ(format::NewestVersion(*ListAll(*store_, "db/ckpt/"), "db/ckpt/"), v);
  // And only then: the next one comes at the next multiple of the interval.
  ASSERT_OK(commit());
  ASSERT_OK((*e)->FinishCheckpoint());
  EXPECT_EQ((*e)->checkpoint_version(), v - 1);

  // A cold open and a read of every page: LIST ckpt/ and log/, GET the newest record and the
  // checkpoint, the probe of the next slot, and one frame of the checkpoint's segment.
  StoreStats stats;
  std::shared_ptr<ObjectStore> counted =
      CountRequests(std::make_unique<ForwardingStore>(store_), &stats);
  auto fresh = OpenSynced(counted);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->version(), v);
  for (uint32_t u = v - 7; u <= v; u++) {  // the last writes of pages 1..8
    EXPECT_EQ(ReadPage(**fresh, 1 + u % 8), Page(1 + u % 8, static_cast<char>(u)));
  }
  EXPECT_EQ(stats.list.load(), 2u);
  EXPECT_EQ(stats.get.load(), 4u);
}

// Holds a collection at its first request (the LIST of the retention rule) until opened. The
// wait is bounded so that a broken test fails instead of hanging.
class CollectionGateStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    if (prefix == format::RetentionPrefix("db")) {
      std::unique_lock<std::mutex> lock(mu_);
      held_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(30), [&] { return open_; });
      held_ = false;
    }
    return ForwardingStore::List(prefix, start_after, limit);
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits (bounded) until a collection is held at the gate.
  bool AwaitHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return held_; });
  }
  bool held() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false;
  bool open_ = false;
};

// Garbage collection runs on a thread of its own: checkpoints go on being written while a
// collection is slow (on file://, a run listing a 100,000-record log held up the checkpoints,
// when it ran on their thread, for 673 versions and more).
TEST_F(EngineTest, CheckpointsAreWrittenWhileACollectionIsSlow) {
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(0);
  rule.retain_versions = 4;
  rule.grace = std::chrono::microseconds(0);
  ASSERT_OK(WriteRetention(*store_, "db", rule));
  auto gate = std::make_shared<CollectionGateStore>(store_);
  EngineOptions options;
  options.checkpoint_interval = 4;
  options.gc_interval = 8;
  auto e = OpenSynced(gate, options, nullptr, /*create=*/true);
  ASSERT_OK(e);
  for (uint32_t v = 1; v <= 24; v++) {
    ASSERT_OK((*e)->Commit({{1, Page(1, static_cast<char>('a' + v))}}, kPageSize, 1));
    if (v == 8) {
      ASSERT_TRUE(gate->AwaitHeld());
    }
    ASSERT_OK((*e)->FinishCheckpoint());  // waits for the checkpoint alone
    EXPECT_EQ((*e)->checkpoint_version(), v / 4 * 4);
  }
  EXPECT_TRUE(gate->held());  // the collection of version 8 never let go meanwhile
  EXPECT_EQ((*e)->gc_runs(), 0u);
  EXPECT_EQ(ListAll(*store_, "db/ckpt/")->size(), 6u);  // nothing collected yet
  gate->Open();
  ASSERT_OK((*e)->FinishCollection());
  EXPECT_EQ((*e)->gc_runs(), 1u);  // versions 16 and 24 came while it ran: skipped
  // It collected under the horizon of its own start: checkpoint 8, the newest committed then.
  EXPECT_EQ(ListAll(*store_, "db/ckpt/")->size(), 5u);
  for (uint32_t v = 25; v <= 32; v++) {
    ASSERT_OK((*e)->Commit({{1, Page(1, static_cast<char>('a' + v))}}, kPageSize, 1));
    ASSERT_OK((*e)->FinishCheckpoint());
  }
  ASSERT_OK((*e)->FinishCollection());
  EXPECT_EQ((*e)->gc_runs(), 2u);
  EXPECT_EQ(
      *ListAll(*store_, "db/ckpt/"),
      (std::vector<std::string>{format::CheckpointKey("db", 28), format::CheckpointKey("db", 32)}));
}

// A store billed by the request, as the engine sees one billed by the KiB (DynamoDB).
class BilledByKiBStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  bool BillsWritesByKiB() const override { return true; }
};

// A memory store, as the engine sees a directory.
class LocalStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  bool IsLocal() const override { return true; }
};

// A page of pseudo-random letters from a 16-letter alphabet: zstd at level 3 halves it, its fast
// levels leave it whole.
std::string PageOfLetters(uint32_t seed) {
  std::string letters(kPageSize, 'a');
  for (char& c : letters) {
    c = static_cast<char>('a' + ((seed = seed * 1103515245 + 12345) >> 16) % 16);
  }
  return letters;
}

// A small commit's frames are compressed at the fast level unless the store bills written
// bytes: a page of letters from a 16-letter alphabet takes a whole page in the record (fast
// levels leave literals as they are), or about half where writes are billed by the KiB. A
// commit above the inline limit gets zstd_level on every store.
TEST_F(EngineTest, SmallCommitsAreCompressedFastUnlessTheStoreBillsBytes) {
  const std::string letters = PageOfLetters(1);
  for (bool by_kib : {false, true}) {
    SCOPED_TRACE(by_kib);
    store_ = std::make_shared<MemStore>();
    std::shared_ptr<ObjectStore> writer_store =
        by_kib ? std::make_shared<BilledByKiBStore>(store_) : std::shared_ptr<ObjectStore>(store_);
    EngineOptions options;
    options.inline_limit = 4 * kPageSize;
    auto writer = OpenSynced(writer_store, options, nullptr, /*create=*/true);
    ASSERT_OK(writer);
    ASSERT_OK((*writer)->Commit({{1, letters}}, kPageSize, 1));
    const uint64_t small = store_->Get(format::LogKey("db", 1))->size();
    if (by_kib) {
      EXPECT_LT(small, kPageSize * 6 / 10);
    } else {
      EXPECT_GT(small, kPageSize);
    }
    DirtyPages big;
    for (uint32_t p = 1; p <= 8; p++) ASSERT_OK(big.Write(p, letters));
    ASSERT_OK((*writer)->Commit(big, kPageSize, 8));
    EXPECT_LT(store_->Get(format::LogKey("db", 2))->size(), kPageSize);  // inline, compressed

    auto reader = Engine::Open(store_, "db", {}, std::make_shared<FrameCache>(1 << 20), false);
    ASSERT_OK(reader);
    for (uint32_t p = 1; p <= 8; p++) EXPECT_EQ(ReadPage(**reader, p), letters);
  }
}

// A checkpoint on a local store takes the fast level too, elsewhere zstd_level: the page of
// letters is stored whole in a local store's segment, in about half a page elsewhere.
TEST_F(EngineTest, CheckpointsAreCompressedFastOnALocalStore) {
  const std::string letters = PageOfLetters(7);
  for (bool local : {false, true}) {
    SCOPED_TRACE(local);
    store_ = std::make_shared<MemStore>();
    std::shared_ptr<ObjectStore> writer_store =
        local ? std::make_shared<LocalStore>(store_) : std::shared_ptr<ObjectStore>(store_);
    EngineOptions options;
    options.checkpoint_interval = 2;
    auto writer = OpenSynced(writer_store, options, nullptr, /*create=*/true);
    ASSERT_OK(writer);
    ASSERT_OK((*writer)->Commit({{1, letters}}, kPageSize, 1));
    ASSERT_OK((*writer)->Commit({{1, letters}}, kPageSize, 1));
    ASSERT_OK((*writer)->FinishCheckpoint());
    ASSERT_EQ((*writer)->checkpoint_version(), 2u);
    auto segments = ListAll(*store_, format::SegmentPrefix("db"));
    ASSERT_OK(segments);
    ASSERT_EQ(segments->size(), 1u);
    const uint64_t size = store_->Get(segments->front())->size();
    if (local) {
      EXPECT_GT(size, kPageSize);
    } else {
      EXPECT_LT(size, kPageSize * 6 / 10);
    }
    auto reader = Engine::Open(store_, "db", {}, std::make_shared<FrameCache>(1 << 20), false);
    ASSERT_OK(reader);
    EXPECT_EQ(ReadPage(**reader, 1), letters);
  }
}

// An opening reads the newest record and, through its RECENT section, reaches the newest
// checkpoint (docs/format.md, "RECENT section"): on a store billed by the request, a section of
// up to 2 KiB describes a whole checkpoint interval of small commits, so an opening 63 versions
// past the checkpoint costs 2 LISTs and 2 GETs. Where writes are billed by the KiB, sections
// stay within 192 bytes (about 8 of these commits each) and the opening steps back through 8
// more records; so do they on a local store, where those reads cost microseconds. Before, every
// store had the 192 bytes (issue 15's history benchmark: 14 requests).
TEST_F(EngineTest, AnOpeningReadsTheNewestRecordAndTheCheckpoint) {
  for (std::string kind : {"by request", "by KiB", "local"}) {
    SCOPED_TRACE(kind);
    store_ = std::make_shared<MemStore>();
    std::shared_ptr<ObjectStore> writer_store = store_;
    if (kind == "by KiB") writer_store = std::make_shared<BilledByKiBStore>(store_);
    if (kind == "local") writer_store = std::make_shared<LocalStore>(store_);
    auto writer = OpenSynced(writer_store, {}, nullptr, /*create=*/true);  // checkpoint_interval 64
    ASSERT_OK(writer);
    constexpr uint32_t kPages = 100;
    for (uint32_t v = 1; v <= 127; v++) {
      ASSERT_OK((*writer)->Commit({{1 + v % kPages, Page(1 + v % kPages, static_cast<char>(v))}},
                                  kPageSize, kPages));
      if (v == 64) {
        ASSERT_OK((*writer)->FinishCheckpoint());
      }
    }
    ASSERT_EQ((*writer)->checkpoint_version(), 64u);

    StoreStats stats;
    std::shared_ptr<ObjectStore> counted =
        CountRequests(std::make_unique<ForwardingStore>(store_), &stats);
    auto fresh = Engine::Open(counted, "db", {}, std::make_shared<FrameCache>(1 << 20),
                              /*create=*/false);
    ASSERT_OK(fresh);
    EXPECT_EQ((*fresh)->version(), 127u);
    EXPECT_EQ(stats.list.load(), 2u);
    EXPECT_EQ(stats.get.load(), kind == "by request" ? 2u : 10u);
    for (uint32_t v = 127 - kPages + 1; v <= 127; v++) {  // the last write of every page
      EXPECT_EQ(ReadPage(**fresh, 1 + v % kPages), Page(1 + v % kPages, static_cast<char>(v)));
    }
  }
}

// Segment compaction (issue 15, item 2): a checkpoint moves the pages still in use of a segment
// mostly overwritten into its own segment, so that nothing needs the old one any more. The
// writer that checkpoints here did not write that segment: it learns its size with a HEAD.
TEST_F(EngineTest, CheckpointsMoveThePagesOfMostlyOverwrittenSegments) {
  for (double compact_below : {0.5, 0.0}) {
    SCOPED_TRACE(compact_below);
    store_ = std::make_shared<MemStore>();
    EngineOptions options;
    options.inline_limit = 0;  // every commit's frames go to a segment of its own
    options.pages_per_frame = 1;
    options.checkpoint_interval = 8;
    options.compact_below = compact_below;
    std::string first_segment;
    {
      auto first = OpenEngine(options);
      std::map<uint32_t, std::string> pages;
      for (uint32_t p = 1; p <= 8; p++) pages[p] = Page(p, 'a');
      ASSERT_OK(first->Commit(pages, kPageSize, 8));
      first_segment = ListAll(*store_, format::SegmentPrefix("db"))->at(0);
      for (uint32_t p = 1; p <= 6; p++) ASSERT_OK(first->Commit({{p, Page(p, 'b')}}, kPageSize, 8));
    }
    auto second = OpenEngine(options);
    ASSERT_OK(second->Commit({{1, Page(1, 'c')}}, kPageSize, 8));  // version 8: checkpointed
    ASSERT_OK(second->FinishCheckpoint());
    ASSERT_EQ(second->checkpoint_version(), 8u);
    std::string key = format::CheckpointKey("db", 8);
    auto checkpoint = format::DecodeCheckpoint(*store_->Get(key), key);
    ASSERT_OK(checkpoint);
    const auto& objects = checkpoint->map.objects;
    bool names_first = std::find(objects.begin(), objects.end(),
                                 first_segment.substr(3)) != objects.end();  // "db/" cut
    EXPECT_EQ(names_first, compact_below == 0.0);
    if (names_first) continue;
    // Only 2 of its 8 pages were in use: without it, the checkpoint still gives every page.
    ASSERT_OK(store_->Delete(std::vector<std::string>{first_segment}));
    cache_ = std::make_shared<FrameCache>(1 << 20);
    auto fresh = OpenEngine(options, /*create=*/false);
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(ReadPage(*fresh, 1), Page(1, 'c'));
    for (uint32_t p = 2; p <= 6; p++) EXPECT_EQ(ReadPage(*fresh, p), Page(p, 'b'));
    for (uint32_t p = 7; p <= 8; p++) EXPECT_EQ(ReadPage(*fresh, p), Page(p, 'a'));
  }
}

// A writer that dies between acknowledging a commit and writing its checkpoint loses nothing:
// the commit is its log record, and opening reads the log above the newest checkpoint. The
// next interval's committer checkpoints again.
TEST_F(EngineTest, ACrashBeforeTheCheckpointLandsLosesNoAcknowledgedCommit) {
  auto gate = std::make_shared<CheckpointGateStore>(store_);
  EngineOptions options;
  options.checkpoint_interval = 2;
  {
    auto e = OpenSynced(gate, options, nullptr, /*create=*/true);
    ASSERT_OK(e);
    ASSERT_OK((*e)->Commit({{1, Page(1, 'a')}}, kPageSize, 1));
    ASSERT_OK((*e)->Commit({{1, Page(1, 'b')}}, kPageSize, 1));  // acknowledged
    ASSERT_TRUE(gate->AwaitHeld());
    gate->Open(/*fail=*/true);  // the checkpoint never lands
    EXPECT_TRUE((*e)->FinishCheckpoint().IsRetryable());
    EXPECT_EQ((*e)->checkpoint_version(), 0u);
  }
  EXPECT_TRUE(ListAll(*store_, "db/ckpt/")->empty());
  auto next = OpenSynced(store_, options);
  ASSERT_OK(next);
  EXPECT_EQ((*next)->version(), 2u);
  EXPECT_EQ(ReadPage(**next, 1), Page(1, 'b'));
  ASSERT_OK((*next)->Commit({{1, Page(1, 'c')}}, kPageSize, 1));
  ASSERT_OK((*next)->Commit({{1, Page(1, 'd')}}, kPageSize, 1));  // version 4: checkpointed
  ASSERT_OK((*next)->FinishCheckpoint());
  EXPECT_EQ(*ListAll(*store_, "db/ckpt/"),
            std::vector<std::string>{format::CheckpointKey("db", 4)});
}

// Closing an engine whose checkpoint still runs waits for it rather than leaving a thread
// behind on a store that may be gone.
TEST_F(EngineTest, ClosingAnEngineFinishesItsCheckpoint) {
  EngineOptions options;
  options.checkpoint_interval = 1;
  for (char c = 'a'; c <= 'e'; c++) {
    auto e = OpenEngine(options);
    ASSERT_OK(e->Commit({{1, Page(1, c)}}, kPageSize, 1));
  }
  auto checkpoints = ListAll(*store_, "db/ckpt/");
  ASSERT_OK(checkpoints);
  EXPECT_EQ(checkpoints->back(), format::CheckpointKey("db", 5));
}

// A store whose first listing of checkpoints names a newer one that is gone by the time it is
// read, as when two more checkpoints landed and a writer deleted it in between.
class VanishingCheckpointStore : public ForwardingStore {
 public:
  explicit VanishingCheckpointStore(std::shared_ptr<ObjectStore> inner)
      : ForwardingStore(std::move(inner)) {}
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    CL_ASSIGN_OR_RETURN(ListPage page, ForwardingStore::List(prefix, start_after, limit));
    if (prefix == "db/ckpt/" && lists_++ == 0) page.keys.push_back(format::CheckpointKey("db", 99));
    return page;
  }
  int lists_ = 0;
};

TEST_F(EngineTest, OpeningListsAgainWhenTheNewestCheckpointWasDeletedMeanwhile) {
  EngineOptions options;
  options.checkpoint_interval = 2;
  auto e = OpenEngine(options);
  for (uint32_t i = 1; i <= 3; i++) {
    ASSERT_TRUE(e->Commit({{1, Page(1, static_cast<char>('a' + i))}}, kPageSize, 1).ok());
  }
  ASSERT_OK(e->FinishCheckpoint());
  auto vanishing = std::make_shared<VanishingCheckpointStore>(store_);
  auto fresh = OpenSynced(vanishing);
  ASSERT_OK(fresh);
  EXPECT_EQ(vanishing->lists_, 2);  // the listing that named the gone one, and one more
  EXPECT_EQ((*fresh)->checkpoint_version(), 2u);
  EXPECT_EQ((*fresh)->version(), 3u);
}

TEST_F(EngineTest, CommitImageSplitsSegmentsAndCheckpoints) {
  EngineOptions options;
  options.segment_bytes = 256;  // the pages compress to ~100 bytes a frame: several segments
  auto e = OpenEngine(options);
  ASSERT_TRUE(e->Commit({{1, Page(1, 'z')}}, kPageSize, 1).ok());
  uint64_t last_progress = 0;
  auto v = e->CommitImage(
      kPageSize, 300,
      [](uint32_t first, uint32_t count, char* out) {
        for (uint32_t pgno = first; pgno < first + count; pgno++) {
          std::string p = Page(pgno, static_cast<char>(pgno * 7));
          std::memcpy(out + uint64_t{pgno - first} * kPageSize, p.data(), p.size());
        }
        return Status::Ok();
      },
      [&](uint64_t done, uint64_t total) {
        EXPECT_EQ(total, 300u * kPageSize);
        EXPECT_GE(done, last_progress);
        last_progress = done;
      });
  ASSERT_OK(v);
  EXPECT_EQ(*v, 2u);
  EXPECT_EQ(last_progress, 300u * kPageSize);
  EXPECT_EQ(e->checkpoint_version(), 2u);
  EXPECT_GT(ListAll(*store_, format::SegmentPrefix("db"))->size(), 1u);
  auto fresh = OpenSynced(store_);
  ASSERT_TRUE(fresh.ok());
  for (uint32_t p = 1; p <= 300; p++) {
    ASSERT_EQ(ReadPage(**fresh, p), Page(p, static_cast<char>(p * 7))) << p;
  }
}

TEST_F(EngineTest, CorruptRecordIsReportedWithItsKey) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Commit({{1, Page(1, 'a')}}, kPageSize, 1).ok());
  std::string key = format::LogKey("db", 1);
  std::string bytes = *store_->Get(key);
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(store_->Put(key, bytes).ok());
  auto fresh = OpenSynced(store_);
  ASSERT_FALSE(fresh.ok());
  EXPECT_TRUE(fresh.status().IsCorruption());
  EXPECT_NE(fresh.status().message().find(key), std::string::npos);
}

TEST_F(EngineTest, CorruptSegmentFrameIsReportedOnRead) {
  EngineOptions options;
  options.inline_limit = 0;
  auto e = OpenEngine(options);
  ASSERT_TRUE(e->Commit({{1, Page(1, 'a')}, {2, Page(2, 'b')}}, kPageSize, 2).ok());
  auto segments = *ListAll(*store_, format::SegmentPrefix("db"));
  std::string bytes = *store_->Get(segments[0]);
  bytes[50] ^= 1;  // inside the first frame (frames start at 36)
  ASSERT_TRUE(store_->Put(segments[0], bytes).ok());
  auto fresh = OpenSynced(store_);
  ASSERT_TRUE(fresh.ok());
  std::string out(kPageSize, '\0');
  Status s = (*fresh)->ReadPage(1, out.data());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find(segments[0]), std::string::npos);
}

// Lands every PutIfAbsent but answers `first_answer` the first time: Ambiguous for a lost
// response, IOError for a local directory whose fsync failed after the rename.
class FirstPutAnswersStore : public ForwardingStore {
 public:
  explicit FirstPutAnswersStore(Status first_answer)
      : ForwardingStore(std::make_shared<MemStore>()), first_answer_(std::move(first_answer)) {}
  std::string Describe() const override { return "first-put-answers"; }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    Status s = ForwardingStore::PutIfAbsent(key, data);
    if (s.ok() && !answered_) {
      answered_ = true;
      return first_answer_;
    }
    return s;
  }

 private:
  Status first_answer_;
  bool answered_ = false;
};

TEST_F(EngineTest, AmbiguousCommitThatLandedIsReportedCommitted) {
  auto store = std::make_shared<FirstPutAnswersStore>(Status::Ambiguous("response lost"));
  auto e = OpenSynced(store, {}, cache_, true);
  ASSERT_TRUE(e.ok());
  Status s = (*e)->Commit({{1, Page(1, 'a')}}, kPageSize, 1);
  EXPECT_OK(s);
  EXPECT_EQ((*e)->version(), 1u);
}

// Unlike an Ambiguous answer, which the engine settles by sending the record again, a record that
// landed without being durable is never acknowledged: the commit fails with the store's error,
// and the record, visible in the store, is then read like any other writer's.
TEST_F(EngineTest, CommitThatLandedWithoutDurabilityIsNotAcknowledged) {
  auto store = std::make_shared<FirstPutAnswersStore>(
      Status::IOError("wrote it but syncing its directory failed"));
  auto e = OpenSynced(store, {}, cache_, true);
  ASSERT_TRUE(e.ok());
  Status s = (*e)->Commit({{1, Page(1, 'a')}}, kPageSize, 1);
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_EQ((*e)->version(), 0u);
  ASSERT_OK((*e)->Refresh(/*force=*/true).status());
  EXPECT_EQ((*e)->version(), 1u);
  std::string page(kPageSize, '\0');
  ASSERT_OK((*e)->ReadPage(1, page.data()));
  EXPECT_EQ(page, Page(1, 'a'));
  ASSERT_OK((*e)->Commit({{1, Page(1, 'b')}}, kPageSize, 1));
  EXPECT_EQ((*e)->version(), 2u);
}

// Flips the last byte of every entry in a disk cache directory.
void DamageEveryEntry(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0) continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    char c = static_cast<char>(f.get());
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(c ^ 0x5a));
  }
}

// Issue 15, item 5: a damaged cache file (a record, a checkpoint, a frame) is dropped and fetched
// again from the store, at once: the read that met it still succeeds, and the cache holds the
// right bytes afterwards.
TEST_F(EngineTest, DamagedDiskCacheEntriesAreDroppedAndFetchedAgain) {
  std::string dir = test::MakeTempDir("cl-disk-cache-damaged");
  EngineOptions options;
  options.cache_dir = dir;
  options.inline_limit = 0;         // pages in segments: frames are cache entries
  options.checkpoint_interval = 2;  // version 2 has a checkpoint, read from the cache on open
  auto writer = OpenEngine(options);
  ASSERT_OK(writer->Commit({{1, Page(1, 'a')}}, kPageSize, 1));
  ASSERT_OK(writer->Commit({{1, Page(1, 'b')}}, kPageSize, 1));
  ASSERT_OK(writer->Commit({{1, Page(1, 'c')}}, kPageSize, 1));
  ASSERT_OK(writer->FinishCheckpoint());
  // Two readers at version 3 (opening reads version 2's checkpoint through the cache); the first
  // caches version 4's record and its frame.
  auto first = OpenSynced(store_, options, std::make_shared<FrameCache>(1 << 20));
  ASSERT_OK(first);
  auto second = OpenSynced(store_, options, std::make_shared<FrameCache>(1 << 20));
  ASSERT_OK(second);
  {
    EngineOptions no_checkpoint;  // so that opening at version 4 reads version 2's checkpoint
    no_checkpoint.inline_limit = 0;
    no_checkpoint.checkpoint_interval = 1000;
    auto next = OpenSynced(store_, no_checkpoint, std::make_shared<FrameCache>(1 << 20));
    ASSERT_OK(next);
    ASSERT_OK((*next)->Commit({{1, Page(1, 'd')}}, kPageSize, 1));
  }
  ASSERT_OK((*first)->Refresh(true));
  EXPECT_EQ(ReadPage(**first, 1), Page(1, 'd'));

  DamageEveryEntry(dir);
  ASSERT_OK((*second)->Refresh(true));  // version 4's record: damaged in the cache
  EXPECT_EQ((*second)->version(), 4u);
  EXPECT_EQ(ReadPage(**second, 1), Page(1, 'd'));  // its frame: damaged too
  auto reopened = OpenSynced(store_, options, std::make_shared<FrameCache>(1 << 20));
  ASSERT_OK(reopened);  // the checkpoint: damaged too
  EXPECT_EQ(ReadPage(**reopened, 1), Page(1, 'd'));

  // The cache holds good bytes again: with the segments gone, only it can serve the page.
  ASSERT_OK(store_->Delete(*ListAll(*store_, format::SegmentPrefix("db"))));
  auto warm = OpenSynced(store_, options, std::make_shared<FrameCache>(1 << 20));
  ASSERT_OK(warm);
  EXPECT_EQ(ReadPage(**warm, 1), Page(1, 'd'));
}

TEST_F(EngineTest, DiskCacheServesAWarmRestartWithoutFetchingFrames) {
  std::string dir = test::MakeTempDir("cl-disk-cache");
  EngineOptions options;
  options.cache_dir = dir;
  options.inline_limit = 0;
  {
    auto e = OpenEngine(options);
    ASSERT_TRUE(e->Commit({{1, Page(1, 'a')}}, kPageSize, 1).ok());
    auto reader = OpenSynced(store_, options);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ(ReadPage(**reader, 1), Page(1, 'a'));  // fetched, now on disk
  }
  // Remove the segment: only the disk cache can serve the page now.
  auto segments = *ListAll(*store_, format::SegmentPrefix("db"));
  ASSERT_TRUE(store_->Delete(segments).ok());
  auto warm = OpenSynced(store_, options);
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ(ReadPage(**warm, 1), Page(1, 'a'));
}

}  // namespace
}  // namespace cloudlite::engine

namespace cloudlite::engine {
namespace {

// Engines on several threads share one store and one frame cache (as the VFS does): each
// thread's commits are exact and every thread reads the others' pages (TSan checks the sharing).
// Records pass through the cache at every commit; they are kept in a sixteenth of it, so that
// they never push frames out (before, one LRU held both: docs/benchmarks.md).
TEST(FrameCacheTest, RecordsDoNotPushFramesOut) {
  FrameCache cache(1 << 20);
  auto bytes = [](size_t n) { return std::make_shared<const std::string>(n, 'x'); };
  for (int i = 0; i < 12; i++) cache.Put(FrameCache::Key("s", "seg", i), bytes(64 << 10));
  for (int i = 0; i < 1000; i++) {
    cache.PutRecord(FrameCache::RecordKey("s", "log/" + std::to_string(i)),
                    std::make_shared<const LogRecord>(LogRecord{std::string(4 << 10, 'x'), {}}));
  }
  for (int i = 0; i < 12; i++) EXPECT_NE(cache.Get(FrameCache::Key("s", "seg", i)), nullptr) << i;
  EXPECT_NE(cache.GetRecord(FrameCache::RecordKey("s", "log/999")), nullptr);  // the newest stay
  EXPECT_EQ(cache.GetRecord(FrameCache::RecordKey("s", "log/0")), nullptr);
  EXPECT_LE(cache.bytes(), size_t{1} << 20);
  // Frames still evict frames, and records, within their share, records.
  for (int i = 12; i < 40; i++) cache.Put(FrameCache::Key("s", "seg", i), bytes(64 << 10));
  EXPECT_EQ(cache.Get(FrameCache::Key("s", "seg", 0)), nullptr);
  EXPECT_NE(cache.GetRecord(FrameCache::RecordKey("s", "log/999")), nullptr);
  EXPECT_LE(cache.bytes(), size_t{1} << 20);
}

// Touch answers whether a frame is there (what an engine applying a record asks before
// decompressing its inline frames), keeps it recent, and counts neither a hit nor a miss.
TEST(FrameCacheTest, TouchFindsAFrameWithoutCountingAndKeepsItRecent) {
  FrameCache cache(256 << 10);
  auto bytes = [](size_t n) { return std::make_shared<const std::string>(n, 'x'); };
  EXPECT_FALSE(cache.Touch(FrameCache::Key("s", "log/1", 0)));
  for (int i = 0; i < 4; i++) cache.Put(FrameCache::Key("s", "log/1", i), bytes(64 << 10));
  EXPECT_TRUE(cache.Touch(FrameCache::Key("s", "log/1", 0)));
  EXPECT_EQ(cache.stats().hits, 0u);
  EXPECT_EQ(cache.stats().misses, 0u);
  cache.Put(FrameCache::Key("s", "log/2", 0), bytes(64 << 10));  // evicts the oldest: offset 1
  EXPECT_TRUE(cache.Touch(FrameCache::Key("s", "log/1", 0)));
  EXPECT_FALSE(cache.Touch(FrameCache::Key("s", "log/1", 1)));
}

TEST(EngineThreadsTest, EnginesOnThreadsShareAStoreAndACache) {
  auto store = std::make_shared<MemStore>();
  auto cache = std::make_shared<FrameCache>(64 << 10);  // small: eviction under contention
  constexpr int kThreads = 4;
  constexpr int kCommits = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      auto e = OpenSynced(store, {}, cache, true);
      if (!e.ok()) {
        failures++;
        return;
      }
      uint32_t pgno = static_cast<uint32_t>(t + 1);
      for (int i = 0; i < kCommits;) {
        if (!(*e)->Refresh(true).ok()) failures++;
        uint32_t pages = std::max<uint32_t>((*e)->db_pages(), kThreads);
        Status s =
            (*e)->Commit({{pgno, Page(pgno, static_cast<char>('a' + i % 26))}}, kPageSize, pages);
        if (s.ok()) {
          i++;
        } else if (!s.IsBusy()) {
          failures++;
          return;
        }
        std::string out(kPageSize, '\0');
        for (uint32_t p = 1; p <= (*e)->db_pages(); p++) {
          if (!(*e)->ReadPage(p, out.data()).ok()) failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto e = OpenSynced(store, {}, cache, false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->version(), uint64_t{kThreads} * kCommits);
  std::string out(kPageSize, '\0');
  for (uint32_t p = 1; p <= kThreads; p++) {
    ASSERT_TRUE((*e)->ReadPage(p, out.data()).ok());
    EXPECT_EQ(out, Page(p, static_cast<char>('a' + (kCommits - 1) % 26)));
  }
}

}  // namespace
}  // namespace cloudlite::engine

namespace cloudlite::engine {
namespace {

TEST(EnginePageSizeTest, ChangingThePageSizeNeedsEveryPage) {
  auto store = std::make_shared<MemStore>();
  auto cache = std::make_shared<FrameCache>(1 << 20);
  auto e = Engine::Open(store, "db", {}, cache, true);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(
      (*e)->Commit({{1, std::string(4096, 'a')}, {2, std::string(4096, 'b')}}, 4096, 2).ok());
  EXPECT_EQ((*e)->Commit({}, 8192, 1).code(), Status::Code::kNotSupported);
  EXPECT_EQ((*e)->Commit({{1, std::string(8192, 'c')}}, 8192, 2).code(),
            Status::Code::kNotSupported);
  ASSERT_TRUE((*e)->Commit({{1, std::string(8192, 'c')}}, 8192, 1).ok());
  std::string page(8192, '\0');
  ASSERT_TRUE((*e)->ReadPage(1, page.data()).ok());
  EXPECT_EQ(page, std::string(8192, 'c'));
}

}  // namespace
}  // namespace cloudlite::engine

namespace cloudlite::engine {
namespace {

// Whole-image transfers (push and pull) run their own worker threads: these tests run under TSan
// too (scripts/test.sh picks *Thread*).

std::shared_ptr<ObjectStore> WithFaults(std::shared_ptr<ObjectStore> inner, const char* spec,
                                        uint64_t seed) {
  auto options = ParseFaultSpec(spec, seed);
  EXPECT_OK(options);
  return std::make_shared<FaultStore>(std::make_unique<ForwardingStore>(std::move(inner)),
                                      *options);
}

std::string ImagePage(uint32_t pgno) { return Page(pgno, static_cast<char>(pgno * 7)); }

Status ImageSource(uint32_t first, uint32_t count, char* out) {
  for (uint32_t pgno = first; pgno < first + count; pgno++) {
    std::string p = ImagePage(pgno);
    std::memcpy(out + uint64_t{pgno - first} * kPageSize, p.data(), p.size());
  }
  return Status::Ok();
}

// Small segments and small ranged GETs, so that a few hundred pages make many of each.
EngineOptions SmallTransfers() {
  EngineOptions options;
  options.segment_bytes = 1024;
  options.transfer_request_bytes = 700;
  options.transfer_parallel = 4;
  options.compress_threads = 3;
  return options;
}

// What ReadImage handed out, by page; `duplicates` counts pages handed out twice.
struct Image {
  std::map<uint32_t, std::string> pages;
  int duplicates = 0;
};

Status ReadAll(Engine& e, Image* image) {
  return e.ReadImage([&](uint32_t first, uint32_t count, const char* data) {
    for (uint32_t i = 0; i < count; i++) {
      std::string page(data + uint64_t{i} * kPageSize, kPageSize);
      if (!image->pages.emplace(first + i, std::move(page)).second) image->duplicates++;
    }
    return Status::Ok();
  });
}

class EngineImageThreadsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> Open(std::shared_ptr<ObjectStore> store, EngineOptions options,
                               size_t cache_bytes = 1 << 20) {
    auto e = OpenSynced(std::move(store), std::move(options),
                        std::make_shared<FrameCache>(cache_bytes), /*create=*/true);
    EXPECT_OK(e);
    return e.ok() ? std::move(*e) : nullptr;
  }
  std::shared_ptr<MemStore> store_ = std::make_shared<MemStore>();
};

TEST_F(EngineImageThreadsTest, ReadImageGivesTheLatestVersionOfEveryMappedPageOnce) {
  auto writer = Open(store_, SmallTransfers());
  ASSERT_TRUE(writer->CommitImage(kPageSize, 300, ImageSource, {}).ok());
  // After the image's checkpoint: pages in inline records, in a record's segment, overwritten
  // inside image frames, a truncation, and a regrowth that leaves zero pages.
  ASSERT_TRUE(
      writer->Commit({{5, Page(5, 'x')}, {6, Page(6, 'x')}, {40, Page(40, 'y')}}, kPageSize, 300)
          .ok());
  EngineOptions segment_commits = SmallTransfers();
  segment_commits.inline_limit = 0;
  auto other = Open(store_, segment_commits);
  std::map<uint32_t, std::string> big;
  for (uint32_t p = 100; p <= 120; p++) big[p] = Page(p, 'z');
  big[305] = Page(305, 'z');
  ASSERT_TRUE(other->Commit(big, kPageSize, 305).ok());
  ASSERT_TRUE(writer->Refresh(true).ok());
  ASSERT_TRUE(writer->Commit({{7, Page(7, 'w')}, {110, Page(110, 'v')}}, kPageSize, 290).ok());
  ASSERT_TRUE(writer->Refresh(true).ok());
  ASSERT_TRUE(writer->Commit({{300, Page(300, 'q')}}, kPageSize, 303).ok());
  EXPECT_LT(writer->checkpoint_version(), writer->version());

  auto expected = [](uint32_t p) -> std::string {
    if (p == 5 || p == 6) return Page(p, 'x');
    if (p == 7) return Page(7, 'w');
    if (p == 40) return Page(40, 'y');
    if (p == 110) return Page(110, 'v');
    if (p >= 100 && p <= 120) return Page(p, 'z');
    if (p == 300) return Page(300, 'q');
    return ImagePage(p);
  };
  // A cache that holds the records' inline frames, and one that holds nothing (every frame is
  // fetched, record frames included).
  for (size_t cache_bytes : {size_t{1} << 20, size_t{0}}) {
    auto reader = Open(store_, SmallTransfers(), cache_bytes);
    ASSERT_EQ(reader->db_pages(), 303u);
    Image image;
    Status s = ReadAll(*reader, &image);
    ASSERT_OK(s);
    EXPECT_EQ(image.duplicates, 0);
    // 291..299 and 301..303 were dropped by the truncation: zeros, not handed out.
    EXPECT_EQ(image.pages.size(), 290u + 1u);
    for (uint32_t p = 1; p <= 290; p++) ASSERT_EQ(image.pages[p], expected(p)) << p;
    EXPECT_EQ(image.pages[300], expected(300));
  }
}

TEST_F(EngineImageThreadsTest, CommitImageWritesSegmentsThatDescribeThemselves) {
  auto writer = Open(store_, SmallTransfers());
  ASSERT_TRUE(writer->Commit({{1, Page(1, 'a')}}, kPageSize, 1).ok());
  uint64_t last_progress = 0;
  auto v = writer->CommitImage(kPageSize, 1000, ImageSource, [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, 1000u * kPageSize);
    EXPECT_GE(done, last_progress);
    last_progress = done;
  });
  ASSERT_OK(v);
  EXPECT_EQ(last_progress, 1000u * kPageSize);
  // Every segment verifies on its own, and together they hold each page once, in frames of
  // consecutive pages in ascending order within a segment.
  auto segments = *ListAll(*store_, format::SegmentPrefix("db"));
  EXPECT_GT(segments.size(), 4u);
  std::set<uint32_t> seen;
  for (const std::string& key : segments) {
    std::string bytes = *store_->Get(key);
    auto index = format::DecodeSegmentIndex(bytes, key);
    ASSERT_OK(index);
    uint32_t previous_end = 0;
    for (const format::SegmentFrame& f : index->frames) {
      EXPECT_GT(f.first_pgno, previous_end);
      previous_end = f.first_pgno + f.page_count - 1;
      auto pages = format::DecodeFrame(
          std::string_view(bytes).substr(f.offset, f.stored_length), f.page_count, kPageSize,
          format::FrameSeed(index->db_id, key.substr(3), f.offset), key, f.offset);
      ASSERT_OK(pages);
      for (uint32_t i = 0; i < f.page_count; i++) {
        EXPECT_TRUE(seen.insert(f.first_pgno + i).second);
        EXPECT_EQ(pages->substr(uint64_t{i} * kPageSize, kPageSize), ImagePage(f.first_pgno + i));
      }
    }
  }
  EXPECT_EQ(seen.size(), 1000u);
  // And a fresh reader gets the image back through ReadImage.
  auto reader = Open(store_, SmallTransfers(), 0);
  Image image;
  ASSERT_TRUE(ReadAll(*reader, &image).ok());
  ASSERT_EQ(image.pages.size(), 1000u);
  for (uint32_t p = 1; p <= 1000; p++) ASSERT_EQ(image.pages[p], ImagePage(p)) << p;
}

TEST_F(EngineImageThreadsTest, ReadImageFromAFailingStoreReturnsTheStoresError) {
  auto writer = Open(store_, SmallTransfers());
  ASSERT_TRUE(writer->CommitImage(kPageSize, 2000, ImageSource, {}).ok());
  {
    auto reader = Open(WithFaults(store_, "error@get_range:1", 1), SmallTransfers(), 0);
    Image image;
    Status s = ReadAll(*reader, &image);
    EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  }
  // One in five ranged GETs fails: the transfer stops at the first with that error, or (if no
  // GET failed) is complete and right.
  int failed = 0;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    auto reader = Open(WithFaults(store_, "error@get_range:0.2", seed), SmallTransfers(), 0);
    Image image;
    Status s = ReadAll(*reader, &image);
    if (s.ok()) {
      ASSERT_EQ(image.pages.size(), 2000u);
      for (uint32_t p = 1; p <= 2000; p++) ASSERT_EQ(image.pages[p], ImagePage(p)) << p;
    } else {
      EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
      EXPECT_EQ(image.duplicates, 0);
      failed++;
    }
  }
  EXPECT_GT(failed, 0);
}

TEST_F(EngineImageThreadsTest, ReadImageReportsACorruptFrameNamingItsObject) {
  auto writer = Open(store_, SmallTransfers());
  ASSERT_TRUE(writer->CommitImage(kPageSize, 200, ImageSource, {}).ok());
  auto segments = *ListAll(*store_, format::SegmentPrefix("db"));
  ASSERT_FALSE(segments.empty());
  std::string bytes = *store_->Get(segments.back());
  bytes[50] ^= 1;  // inside the segment's first frame (frames start at 36)
  ASSERT_TRUE(store_->Put(segments.back(), bytes).ok());
  auto reader = Open(store_, SmallTransfers(), 0);
  Image image;
  Status s = ReadAll(*reader, &image);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(segments.back()), std::string::npos) << s.ToString();
}

TEST_F(EngineImageThreadsTest, ReadImageStopsAtTheSinksError) {
  auto writer = Open(store_, SmallTransfers());
  ASSERT_TRUE(writer->CommitImage(kPageSize, 500, ImageSource, {}).ok());
  auto reader = Open(store_, SmallTransfers(), 0);
  int calls = 0;
  Status s = reader->ReadImage([&](uint32_t, uint32_t, const char*) {
    calls++;
    return Status::IOError("disk full");
  });
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_EQ(calls, 1);  // no call after the error
}

TEST_F(EngineImageThreadsTest, CommitImageOnAFailingStoreCommitsNothing) {
  auto writer = Open(store_, SmallTransfers());
  ASSERT_TRUE(writer->Commit({{1, Page(1, 'a')}}, kPageSize, 1).ok());
  auto failing = Open(WithFaults(store_, "error@put:0.2", 3), SmallTransfers());
  auto v = failing->CommitImage(kPageSize, 2000, ImageSource, {});
  EXPECT_EQ(v.status().code(), Status::Code::kUnavailable) << v.status().ToString();
  EXPECT_EQ(failing->version(), 1u);
  auto reader = Open(store_, SmallTransfers());
  EXPECT_EQ(reader->version(), 1u);
  EXPECT_EQ(reader->db_pages(), 1u);
  EXPECT_TRUE(ListAll(*store_, "db/ckpt/")->empty());
}

TEST_F(EngineImageThreadsTest, CommitImageReportsTheSourcesError) {
  auto writer = Open(store_, SmallTransfers());
  auto v = writer->CommitImage(kPageSize, 2000,
                               [](uint32_t first, uint32_t count, char* out) {
                                 if (first > 1000) return Status::IOError("read error");
                                 return ImageSource(first, count, out);
                               },
                               {});
  EXPECT_EQ(v.status().code(), Status::Code::kIOError);
  EXPECT_EQ(writer->version(), 0u);
}

// ---- Catching up (docs/format.md, "Catching up") --------------------------------------------

class EngineCatchUpTest : public ::testing::Test {
 protected:
  EngineCatchUpTest() { store_ = CountRequests(std::make_unique<MemStore>(), &stats_); }

  // Engines of one process share a frame cache (and the records in it); these do not unless
  // given one, so that each one's requests are its own.
  std::unique_ptr<Engine> Open(EngineOptions options = {},
                               std::shared_ptr<FrameCache> cache = nullptr) {
    if (!cache) cache = std::make_shared<FrameCache>(1 << 20);
    auto e = OpenSynced(store_, std::move(options), std::move(cache), /*create=*/true);
    EXPECT_OK(e);
    return e.ok() ? std::move(*e) : nullptr;
  }

  // Requests made by `fn`, as {GETs, LISTs}.
  template <typename Fn>
  std::pair<uint64_t, uint64_t> Cost(Fn fn) {
    uint64_t get = stats_.get.load(), list = stats_.list.load();
    fn();
    return {stats_.get.load() - get, stats_.list.load() - list};
  }

  // Commits `dirty` through `e` and into the model of every version's pages.
  void Commit(Engine& e, const std::map<uint32_t, std::string>& dirty, uint32_t db_pages) {
    ASSERT_TRUE(e.Commit(dirty, kPageSize, db_pages).ok());
    std::map<uint32_t, std::string> next =
        versions_.empty() ? std::map<uint32_t, std::string>{} : versions_.back();
    std::set<uint32_t> changed;
    uint32_t old_pages = versions_.empty() ? 0 : sizes_.back();
    for (uint32_t p = db_pages + 1; p <= old_pages; p++) {
      next.erase(p);
      changed.insert(p);
    }
    for (const auto& [p, bytes] : dirty) {
      if (p > db_pages) continue;
      next[p] = bytes;
      changed.insert(p);
    }
    versions_.push_back(std::move(next));
    sizes_.push_back(db_pages);
    changes_.push_back(std::move(changed));
  }

  // Checks that `e` holds exactly the model's latest version, and knows what each version after
  // `since` changed.
  void ExpectLatest(Engine& e, uint64_t since) {
    ASSERT_EQ(e.version(), versions_.size());
    ASSERT_EQ(e.db_pages(), sizes_.back());
    for (uint32_t p = 1; p <= e.db_pages(); p++) {
      std::string out(kPageSize, '\0');
      ASSERT_TRUE(e.ReadPage(p, out.data()).ok());
      auto it = versions_.back().find(p);
      EXPECT_EQ(out, it == versions_.back().end() ? std::string(kPageSize, '\0') : it->second)
          << "page " << p;
    }
    std::set<uint32_t> changed;
    for (uint64_t v = since + 1; v <= versions_.size(); v++) {
      changed.insert(changes_[v - 1].begin(), changes_[v - 1].end());
    }
    EXPECT_EQ(e.ChangedPagesSince(since), changed);
  }

  StoreStats stats_;
  std::shared_ptr<ObjectStore> store_;
  std::vector<std::map<uint32_t, std::string>> versions_;  // [v-1]: the pages of version v
  std::vector<uint32_t> sizes_;
  std::vector<std::set<uint32_t>> changes_;
};

TEST_F(EngineCatchUpTest, FarBehindReadsOneListAndTheNewestRecord) {
  auto writer = Open();
  auto reader = Open();
  Commit(*writer, {{1, Page(1, 'a')}, {2, Page(2, 'a')}}, 2);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  // Each version rewrites page 1 and one of pages 3..9: the section holds the 7 before the last.
  for (uint32_t i = 0; i < 8; i++) {
    Commit(*writer, {{1, Page(1, static_cast<char>(i))}, {3 + i % 7, Page(3 + i % 7, 'x')}}, 9);
  }
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 3u);  // the probe that found version 2, version 3, then version 9
  EXPECT_EQ(lists, 1u);
  ExpectLatest(*reader, 1);
}

TEST_F(EngineCatchUpTest, ALostRaceCostsOneListAndOneGet) {
  auto a = Open();
  auto b = Open();
  for (char c = 'a'; c < 'f'; c++) Commit(*a, {{1, Page(1, c)}, {2, Page(2, c)}}, 2);
  EXPECT_TRUE(b->Commit({{1, Page(1, 'b')}}, kPageSize, 2).IsBusy());
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(b->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 1u);
  EXPECT_EQ(lists, 1u);
  ExpectLatest(*b, 0);
}

// A reader one version behind, the usual case between two transactions, lists nothing.
TEST_F(EngineCatchUpTest, OneVersionBehindIsTwoGetsAndNoList) {
  auto writer = Open();
  auto reader = Open();
  Commit(*writer, {{1, Page(1, 'a')}}, 1);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  Commit(*writer, {{1, Page(1, 'b')}}, 1);
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 2u);  // version 2, and the slot of version 3
  EXPECT_EQ(lists, 0u);
  ExpectLatest(*reader, 1);
}

// Engines of one process (one frame cache and probe, as the VFS gives every connection) take
// each other's records from the cache: after one commits, another catches up with the
// freshness probe alone, however many versions it missed, and still sees every commit.
TEST_F(EngineCatchUpTest, AnotherEngineOfTheProcessCatchesUpWithTheProbeAlone) {
  auto cache = std::make_shared<FrameCache>(1 << 20);
  EngineOptions options;
  options.probe = std::make_shared<SharedProbe>();
  auto writer = Open(options, cache);
  Commit(*writer, {{1, Page(1, 'a')}}, 1);
  auto reader = Open(options, cache);
  Commit(*writer, {{1, Page(1, 'b')}}, 1);
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 1u);  // the slot of version 3; version 2 came from the writer's commit
  EXPECT_EQ(lists, 0u);
  ExpectLatest(*reader, 1);
  for (char c = 'c'; c < 'f'; c++) Commit(*writer, {{1, Page(1, c)}, {2, Page(2, c)}}, 2);
  std::tie(gets, lists) = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 1u);
  EXPECT_EQ(lists, 0u);
  ExpectLatest(*reader, 2);
  EXPECT_EQ(cache->stats().record_hits, 4u);
  // A record one engine fetched serves the next: another process's commit costs this one GET.
  auto elsewhere = Open();  // its own cache: another process
  auto second = Open(options, cache);
  ASSERT_EQ(second->version(), 5u);
  Commit(*elsewhere, {{3, Page(3, 'x')}}, 3);
  std::tie(gets, lists) = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 2u);  // version 6 and the slot of version 7
  std::tie(gets, lists) = Cost([&] { ASSERT_TRUE(second->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 1u);  // the slot of version 7
  EXPECT_EQ(lists, 0u);
  ExpectLatest(*second, 5);
}

// A record in the cache is named by its incarnation: after the log was wiped and the name
// created again from version 1, the old incarnation's records in the same slots are never
// served for the new one (a GET finds the slot empty).
TEST_F(EngineCatchUpTest, AKnownRecordOfAnotherIncarnationIsNeverServed) {
  auto cache = std::make_shared<FrameCache>(1 << 20);
  EngineOptions options;
  options.probe = std::make_shared<SharedProbe>();
  auto old_life = Open(options, cache);
  for (char c = 'a'; c < 'd'; c++) {
    ASSERT_TRUE(old_life->Commit({{1, Page(1, c)}}, kPageSize, 1).ok());
  }
  auto keys = ListAll(*store_, "db/");
  ASSERT_OK(keys);
  ASSERT_OK(DeleteObjects(*store_, *keys));
  auto writer = Open(options, cache);
  ASSERT_TRUE(writer->Commit({{1, Page(1, 'y')}}, kPageSize, 1).ok());
  ASSERT_EQ(writer->version(), 1u);
  ASSERT_NE(writer->db_id(), old_life->db_id());
  auto reader = Open(options, cache);
  ASSERT_EQ(reader->version(), 1u);
  const uint64_t hits = cache->stats().record_hits;
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 1u);  // the slot of version 2, empty in this incarnation
  EXPECT_EQ(cache->stats().record_hits, hits);
  EXPECT_EQ(reader->version(), 1u);
  std::string out(kPageSize, '\0');
  ASSERT_TRUE(reader->ReadPage(1, out.data()).ok());
  EXPECT_EQ(out, Page(1, 'y'));
}

TEST_F(EngineCatchUpTest, UpToDateIsOneGet) {
  auto a = Open();
  Commit(*a, {{1, Page(1, 'a')}}, 1);
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(a->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 1u);
  EXPECT_EQ(lists, 0u);
}

// A reader further behind than two checkpoint intervals loads the newest checkpoint instead of
// stepping back through a RECENT section per 7-14 versions (thousands of versions cost seconds
// of GETs on a remote store).
TEST_F(EngineCatchUpTest, FarBehindLoadsTheNewestCheckpoint) {
  EngineOptions options;
  options.checkpoint_interval = 8;
  auto writer = Open(options);
  auto reader = Open(options);
  Commit(*writer, {{1, Page(1, 'a')}}, 1);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  for (uint32_t i = 0; i < 100; i++) {
    Commit(*writer, {{1 + i % 3, Page(1 + i % 3, static_cast<char>('a' + i % 26))}}, 3);
    ASSERT_OK(writer->FinishCheckpoint());
  }
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  // The probe and the record after it; the LIST that finds version 101, the two of opening
  // (checkpoints, and the log after the newest, 96), the head and the checkpoint.
  EXPECT_EQ(gets, 4u);
  EXPECT_EQ(lists, 3u);
  ASSERT_EQ(reader->version(), versions_.size());
  EXPECT_EQ(reader->checkpoint_version(), 96u);
  for (uint32_t p = 1; p <= 3; p++) {
    std::string out(kPageSize, '\0');
    ASSERT_TRUE(reader->ReadPage(p, out.data()).ok());
    EXPECT_EQ(out, versions_.back().at(p)) << "page " << p;
  }
}

// A writer's commits on top of its own (nobody else wrote) are one PutIfAbsent each: the GET of
// the next slot beside the first of them proves that slot empty for the run that follows, for
// relist_after (docs/format.md, "Committing and holes").
TEST_F(EngineCatchUpTest, AWritersOwnRunOfCommitsIsOnePutEach) {
  auto a = Open();
  auto requests = [&](auto fn) {
    uint64_t put = stats_.put.load(), get = stats_.get.load(), list = stats_.list.load();
    fn();
    return std::vector<uint64_t>{stats_.put.load() - put, stats_.get.load() - get,
                                 stats_.list.load() - list};
  };
  using Counts = std::vector<uint64_t>;  // PUTs, GETs, LISTs
  EXPECT_EQ(requests([&] { Commit(*a, {{1, Page(1, 'a')}}, 1); }), (Counts{1, 1, 0}));
  for (char c = 'b'; c < 'f'; c++) {
    EXPECT_EQ(requests([&] { Commit(*a, {{1, Page(1, c)}}, 1); }), (Counts{1, 0, 0}));
  }
  // Another writer takes the next slot: `a` loses the race with that one PUT, catches up, and
  // looks at the next slot again beside its next commit.
  auto b = Open();
  Commit(*b, {{2, Page(2, 'b')}}, 2);
  EXPECT_TRUE(a->Commit({{1, Page(1, 'x')}}, kPageSize, 2).IsBusy());
  ASSERT_TRUE(a->Refresh(/*force=*/true).ok());
  EXPECT_EQ(requests([&] { Commit(*a, {{1, Page(1, 'g')}}, 2); }), (Counts{1, 1, 0}));
  EXPECT_EQ(requests([&] { Commit(*a, {{1, Page(1, 'h')}}, 2); }), (Counts{1, 0, 0}));
  ExpectLatest(*a, 0);
  // Without the window (relist_after 0) every commit looks.
  EngineOptions always;
  always.relist_after = std::chrono::milliseconds(0);
  auto c = Open(always);
  for (char ch = 'i'; ch < 'l'; ch++) {
    EXPECT_EQ(requests([&] { Commit(*c, {{1, Page(1, ch)}}, 2); }), (Counts{1, 1, 0}));
  }
  EXPECT_EQ(c->version(), versions_.size());
}

// A reader further behind than a record describes steps back through records that do.
TEST_F(EngineCatchUpTest, BehindMoreThanOneSectionReadsOneRecordPerSection) {
  EngineOptions options;
  options.recent_versions = 4;
  auto writer = Open(options);
  auto reader = Open(options);
  Commit(*writer, {{1, Page(1, 'a')}}, 1);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  for (uint32_t i = 0; i < 21; i++) Commit(*writer, {{1 + i % 3, Page(1 + i % 3, 'a' + i)}}, 3);
  // Versions 2..22: the probe reads 2 and 3; 22 describes 18..21, 18 describes 14..17, 14
  // describes 10..13, 10 describes 6..9, 6 describes 2..5. Each stone is the oldest version the
  // next one describes, and the oldest describes the reader's version 3, so that every
  // section's tag of the version before it is checked (docs/format.md, "Catching up").
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 7u);
  EXPECT_EQ(lists, 1u);
  ExpectLatest(*reader, 1);
}

// Records without a RECENT section (written by an engine that knew no history, or an older
// cloudlite) are read one by one.
TEST_F(EngineCatchUpTest, RecordsWithoutRecentAreReadInOrder) {
  EngineOptions none;
  none.recent_versions = 0;
  auto writer = Open(none);
  auto reader = Open();
  Commit(*writer, {{1, Page(1, 'a')}}, 1);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  for (char c = 'b'; c < 'l'; c++) Commit(*writer, {{1, Page(1, c)}, {2, Page(2, c)}}, 2);
  auto [gets, lists] = Cost([&] { ASSERT_TRUE(reader->Refresh(/*force=*/true).ok()); });
  EXPECT_EQ(gets, 10u);
  EXPECT_EQ(lists, 1u);
  ExpectLatest(*reader, 1);
}

// A directory is listed by reading it whole, and reading a record is a local file read: on
// file:// a reader catches up one record at a time and never lists.
TEST(EngineFileCatchUpTest, FileStoresAreReadRecordByRecord) {
  std::string dir = test::MakeTempDir("cl-catchup");
  auto file = FileStore::Open(dir, /*create=*/true);
  ASSERT_OK(file);
  StoreStats stats;
  std::shared_ptr<ObjectStore> store = CountRequests(std::move(*file), &stats);
  auto open = [&] {
    return OpenSynced(store, {}, std::make_shared<FrameCache>(1 << 20), /*create=*/true);
  };
  auto writer = open();
  auto reader = open();
  ASSERT_TRUE(writer.ok() && reader.ok());
  for (char c = 'a'; c < 'f'; c++) {
    ASSERT_TRUE((*writer)->Commit({{1, Page(1, c)}}, kPageSize, 1).ok());
  }
  EXPECT_TRUE((*reader)->Commit({{1, Page(1, 'z')}}, kPageSize, 1).IsBusy());
  uint64_t gets = stats.get.load(), lists = stats.list.load();
  ASSERT_TRUE((*reader)->Refresh(/*force=*/true).ok());
  EXPECT_EQ(stats.get.load() - gets, 6u);  // versions 1..5 and the missing 6
  EXPECT_EQ(stats.list.load() - lists, 0u);
  EXPECT_EQ((*reader)->version(), 5u);
  std::filesystem::remove_all(dir);
}

// On a local store the log directory is watched (dir_watch.h): a reader whose probe found the
// next slot empty makes no request again until something changes there, and then sees a
// commit made through another store instance (another process) at once.
TEST(EngineFileCatchUpTest, AWatchedLogIsProbedOnlyAfterItChanged) {
  std::string dir = test::MakeTempDir("cl-watched");
  auto writer_store = FileStore::Open(dir, /*create=*/true);
  auto reader_store = FileStore::Open(dir, /*create=*/false);
  ASSERT_OK(writer_store);
  ASSERT_OK(reader_store);
  StoreStats stats;
  std::shared_ptr<ObjectStore> counted = CountRequests(std::move(*reader_store), &stats);
  auto writer = OpenSynced(std::move(*writer_store), {}, nullptr, /*create=*/true);
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->Commit({{1, Page(1, 'a')}}, kPageSize, 1));
  auto reader = OpenSynced(counted);
  ASSERT_OK(reader);
  // The watch arms at the first probe and settles; then a Refresh costs nothing.
  for (int i = 0; i < 3; i++) ASSERT_OK((*reader)->Refresh(/*force=*/true));
  uint64_t gets = stats.get.load();
  for (int i = 0; i < 10; i++) ASSERT_OK((*reader)->Refresh(/*force=*/true));
  EXPECT_EQ(stats.get.load() - gets, 0u);
  ASSERT_OK((*writer)->Commit({{1, Page(1, 'b')}}, kPageSize, 1));
  gets = stats.get.load();
  ASSERT_OK((*reader)->Refresh(/*force=*/true));
  EXPECT_EQ((*reader)->version(), 2u);
  EXPECT_EQ(stats.get.load() - gets, 2u);  // version 2 and the empty slot 3
  std::filesystem::remove_all(dir);
}

// Truncation and regrowth inside the described versions: pages cut off and not rewritten read
// as zeros afterwards, as if each record had been read.
TEST_F(EngineCatchUpTest, TruncatedAndRegrownPagesReadAsZeros) {
  auto writer = Open();
  auto reader = Open();
  std::map<uint32_t, std::string> all;
  for (uint32_t p = 1; p <= 8; p++) all[p] = Page(p, 'a');
  Commit(*writer, all, 8);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  Commit(*writer, {{1, Page(1, 'b')}, {5, Page(5, 'b')}}, 8);
  Commit(*writer, {{1, Page(1, 'c')}}, 3);                     // cuts 4..8 off
  Commit(*writer, {{1, Page(1, 'd')}, {6, Page(6, 'd')}}, 7);  // grows: 4, 5, 7 are zeros
  Commit(*writer, {{2, Page(2, 'e')}}, 7);
  ASSERT_TRUE(reader->Refresh(/*force=*/true).ok());
  ExpectLatest(*reader, 1);
}

// Many engines committing and catching up at random, each check against a model of every
// version: what catching up builds is what reading every record would.
TEST_F(EngineCatchUpTest, RandomCommitsAndCatchUpsMatchTheModel) {
  std::mt19937 rng(7);
  EngineOptions small;
  small.recent_versions = 6;
  small.checkpoint_interval = 16;
  std::vector<std::unique_ptr<Engine>> engines;
  for (int i = 0; i < 4; i++) engines.push_back(Open(i % 2 ? small : EngineOptions{}));
  std::vector<uint64_t> synced_at(engines.size(), 0);
  for (int step = 0; step < 300; step++) {
    size_t i = rng() % engines.size();
    Engine& e = *engines[i];
    if (rng() % 3 == 0) {
      ASSERT_TRUE(e.Refresh(/*force=*/true).ok());
      ExpectLatest(e, synced_at[i]);
      synced_at[i] = e.version();
      continue;
    }
    if (e.version() != versions_.size()) {
      EXPECT_TRUE(e.Commit({{1, Page(1, 'z')}}, kPageSize, 1).IsBusy());
      continue;
    }
    uint32_t pages = 1 + rng() % 30;
    std::map<uint32_t, std::string> dirty{{1, Page(1, static_cast<char>(step))}};
    for (int k = rng() % 4; k > 0; k--) {
      uint32_t p = 1 + rng() % pages;
      dirty[p] = Page(p, static_cast<char>(step));
    }
    Commit(e, dirty, pages);
  }
  for (size_t i = 0; i < engines.size(); i++) {
    ASSERT_TRUE(engines[i]->Refresh(/*force=*/true).ok());
    ExpectLatest(*engines[i], synced_at[i]);
    (void)engines[i]->FinishCheckpoint();  // best effort, as in a commit
  }
  // Checkpoints were written by engines that skipped records: a fresh open starts from one.
  auto fresh = Open();
  EXPECT_GT(fresh->checkpoint_version(), 0u);
  ExpectLatest(*fresh, fresh->checkpoint_version());
}

}  // namespace
}  // namespace cloudlite::engine
