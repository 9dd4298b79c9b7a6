// Partitions on a file:// store: what eventually and strongly consistent reads cost in store
// requests and which writes they see (this process's, another process's), and the bound on open
// partitions. Two Partitions over one store stand for two server processes.
#include "server/dynamodb/partitions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "cloudlite/admin.h"
#include "testing/temp_dir.h"

namespace cloudlite::server::dynamodb {
namespace {

class PartitionsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("dynamodb-partitions"); }
  void TearDown() override { test::RemoveTree(dir_); }

  PartitionOptions Options() {
    PartitionOptions o;
    o.store = "file://" + dir_;
    // Long enough that only read-your-writes, never the bound's expiry, makes a reader look.
    o.eventual_staleness = std::chrono::hours(1);
    return o;
  }

  // Sets the one item of partition `index` to `value`.
  static void Put(Partitions& p, int index, int64_t value) {
    Partitions::Work work = [&](Connection& c) {
      return c.Exec("INSERT OR REPLACE INTO items VALUES (x'01', x'', x'00', " +
                    std::to_string(value) + ")");
    };
    ASSERT_TRUE(p.Write(
                     PartitionName("tbl", index), work, [] { return Status::Ok(); }, Deadline())
                    .ok());
  }
  // The value of that item, -1 when there is none.
  static int64_t Get(Partitions& p, int index, bool consistent) {
    int64_t value = -1;
    Status s =
        p.Read(PartitionName("tbl", index), consistent, Deadline(), [&](Connection* c) -> Status {
          if (!c) return Status::Ok();
          CL_ASSIGN_OR_RETURN(Rows rows, c->Query("SELECT size FROM items"));
          if (!rows.rows.empty()) value = std::get<int64_t>(rows.rows[0][0]);
          return Status::Ok();
        });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  std::string dir_;
};

TEST_F(PartitionsTest, EventualReadsCostNoStoreRequestAndSeeThisProcesssWrites) {
  Partitions p(Options());
  Put(p, 0, 1);
  EXPECT_EQ(Get(p, 0, false), 1);  // opens the eventual reader
  std::string before = ProcessStoreStatsJson();
  for (int i = 0; i < 3; i++) EXPECT_EQ(Get(p, 0, false), 1);
  EXPECT_EQ(ProcessStoreStatsJson(), before);
  // An acknowledged write is seen by the next read, though the reader synced within the bound.
  Put(p, 0, 2);
  EXPECT_EQ(Get(p, 0, false), 2);
  before = ProcessStoreStatsJson();
  EXPECT_EQ(Get(p, 0, false), 2);
  EXPECT_EQ(ProcessStoreStatsJson(), before);
  // A consistent read asks the store whenever the log may have changed: on file://, whose log
  // directory is watched (docs/design.md, "Watching a local log"), only after a write.
  EXPECT_EQ(Get(p, 0, true), 2);
  before = ProcessStoreStatsJson();
  EXPECT_EQ(Get(p, 0, true), 2);
  EXPECT_EQ(ProcessStoreStatsJson(), before);
  Put(p, 0, 3);
  before = ProcessStoreStatsJson();
  EXPECT_EQ(Get(p, 0, true), 3);
  EXPECT_NE(ProcessStoreStatsJson(), before);
}

// A partition is made with 8 KiB pages, so that a 1 KB item stays in its b-tree cell
// (docs/dynamodb.md, "Items in a partition"): its readers see the size its writer chose.
TEST_F(PartitionsTest, APartitionHasEightKiBPages) {
  Partitions p(Options());
  Put(p, 0, 1);
  for (bool consistent : {false, true}) {
    int64_t page_size = 0;
    ASSERT_TRUE(
        p.Read(PartitionName("tbl", 0), consistent, Deadline(), [&](Connection* c) -> Status {
           CL_ASSIGN_OR_RETURN(Rows rows, c->Query("PRAGMA page_size"));
           page_size = std::get<int64_t>(rows.rows.at(0).at(0));
           return Status::Ok();
         }).ok());
    EXPECT_EQ(page_size, 8192);
  }
}

TEST_F(PartitionsTest, StrongReadsSeeAnotherProcesssWritesEventualOnesWithinTheBound) {
  Partitions a(Options()), b(Options());
  Put(a, 0, 1);
  EXPECT_EQ(Get(b, 0, false), 1);
  EXPECT_EQ(Get(b, 0, true), 1);
  Put(a, 0, 2);
  EXPECT_EQ(Get(b, 0, true), 2);
  // b's eventual reader synced less than the bound ago, so it asks the store nothing; but this
  // process knows version 2 (a wrote it, b's strong reader read it), and it applies that.
  EXPECT_EQ(Get(b, 0, false), 2);
  // With no bound, every eventual read looks too.
  PartitionOptions fresh = Options();
  fresh.eventual_staleness = std::chrono::milliseconds(0);
  Partitions c(fresh);
  EXPECT_EQ(Get(c, 0, false), 2);
  Put(a, 0, 3);
  EXPECT_EQ(Get(c, 0, false), 3);
}

TEST_F(PartitionsTest, TheLeastRecentlyUsedIdlePartitionsAreClosedBeyondTheBound) {
  PartitionOptions o = Options();
  o.max_open = 2;
  Partitions p(o);
  Put(p, 0, 10);
  Put(p, 1, 11);
  EXPECT_EQ(p.open(), 2u);
  EXPECT_EQ(Get(p, 0, false), 10);  // 0 is now the most recently used
  Put(p, 2, 12);                    // closes 1
  EXPECT_EQ(p.open(), 2u);
  // A closed partition opens again with everything it had; one in use is never closed.
  Status s = p.Read(PartitionName("tbl", 1), false, Deadline(), [&](Connection* c) -> Status {
    EXPECT_NE(c, nullptr);
    Put(p, 3, 13);
    Put(p, 4, 14);
    EXPECT_EQ(p.open(), 2u);  // 1 (in use) and 4
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < 5; i++) EXPECT_EQ(Get(p, i, false), 10 + i) << i;
  // With a bound of 1, the partitions in use stay open beyond it until they are idle.
  o.max_open = 1;
  Partitions q(o);
  s = q.Read(PartitionName("tbl", 5), true, Deadline(), [&](Connection* c) -> Status {
    EXPECT_EQ(c, nullptr);  // never written
    Put(q, 6, 16);
    EXPECT_EQ(q.open(), 2u);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  Put(q, 7, 17);
  EXPECT_EQ(q.open(), 1u);
  EXPECT_EQ(Get(q, 6, false), 16);
  EXPECT_EQ(p.open(), 2u);
}

// A clock for deadlines that moves only when a test moves it.
struct TestClock {
  const Deadline::Clock::time_point base = Deadline::Clock::now();
  std::atomic<int64_t> ms{0};
  Deadline::Now now = [this] { return base + std::chrono::milliseconds(ms.load()); };
  // A deadline an hour away (so no wait on the real clock ends by it during a test).
  Deadline Soon() const { return Deadline(base + std::chrono::hours(1), &now); }
  void PassIt() { ms += 2 * 3600 * 1000; }
};

TEST_F(PartitionsTest, AWriteInTheCommitWhenItsDeadlinePassesWaitsForTheOutcome) {
  Partitions p(Options());
  TestClock clock;
  const Deadline deadline = clock.Soon();
  Partitions::Work work = [&](Connection& c) {
    clock.PassIt();  // the work ran in time; the commit ends after the deadline
    return c.Exec("INSERT OR REPLACE INTO items VALUES (x'01', x'', x'00', 7)");
  };
  Status s = p.Write(
      PartitionName("tbl", 0), work, [] { return Status::Ok(); }, deadline);
  EXPECT_TRUE(s.ok()) << s.ToString();  // written, and answered so
  EXPECT_EQ(Get(p, 0, true), 7);
  // The next write with that deadline is not run, and a read is not either.
  Put(p, 0, 8);
  EXPECT_TRUE(IsNotRunInTime(p.Write(
      PartitionName("tbl", 0), work, [] { return Status::Ok(); }, deadline)));
  EXPECT_EQ(Get(p, 0, true), 8);
  bool ran = false;
  EXPECT_TRUE(IsNotRunInTime(p.Read(PartitionName("tbl", 0), true, deadline, [&](Connection*) {
    ran = true;
    return Status::Ok();
  })));
  EXPECT_FALSE(ran);
}

TEST_F(PartitionsTest, AWriteRunAgainAfterALostRacePastItsDeadlineIsNotWritten) {
  // a's write reads the item, b (another process) commits a change to it, and a's deadline
  // passes: a lost the race on something it read, so its work would run again, but not past the
  // deadline. Its first run never committed: the answer "not run" is true.
  Partitions a(Options()), b(Options());
  Put(a, 0, 1);
  TestClock clock;
  int runs = 0;
  Partitions::Work work = [&](Connection& c) -> Status {
    runs++;
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT size FROM items"));
    if (runs == 1) {
      Put(b, 0, 2);
      clock.PassIt();
    }
    return c.Exec("INSERT OR REPLACE INTO items VALUES (x'01', x'', x'00', 3)");
  };
  Status s = a.Write(
      PartitionName("tbl", 0), work, [] { return Status::Ok(); }, clock.Soon());
  EXPECT_TRUE(IsNotRunInTime(s)) << s.ToString();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Get(a, 0, true), 2);
  EXPECT_EQ(Get(b, 0, true), 2);
}

}  // namespace
}  // namespace cloudlite::server::dynamodb
