// Partitions on a file:// store: what eventually and strongly consistent reads cost in store
// requests and which writes they see (this process's, another process's), and the bound on open
// partitions. Two Partitions over one store stand for two server processes.
#include "server/dynamodb/partitions.h"

#include <gtest/gtest.h>

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
    ASSERT_TRUE(p.Write(PartitionName("tbl", index), work, [] { return Status::Ok(); }).ok());
  }
  // The value of that item, -1 when there is none.
  static int64_t Get(Partitions& p, int index, bool consistent) {
    int64_t value = -1;
    Status s = p.Read(PartitionName("tbl", index), consistent, [&](Connection* c) -> Status {
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
  // A consistent read asks the store every time.
  EXPECT_EQ(Get(p, 0, true), 2);
  before = ProcessStoreStatsJson();
  EXPECT_EQ(Get(p, 0, true), 2);
  EXPECT_NE(ProcessStoreStatsJson(), before);
}

TEST_F(PartitionsTest, StrongReadsSeeAnotherProcesssWritesEventualOnesWithinTheBound) {
  Partitions a(Options()), b(Options());
  Put(a, 0, 1);
  EXPECT_EQ(Get(b, 0, false), 1);
  EXPECT_EQ(Get(b, 0, true), 1);
  Put(a, 0, 2);
  EXPECT_EQ(Get(b, 0, true), 2);
  // b's eventual reader synced less than the bound ago and b wrote nothing: it may lag.
  EXPECT_EQ(Get(b, 0, false), 1);
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
  Status s = p.Read(PartitionName("tbl", 1), false, [&](Connection* c) -> Status {
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
  s = q.Read(PartitionName("tbl", 5), true, [&](Connection* c) -> Status {
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

}  // namespace
}  // namespace cloudlite::server::dynamodb
