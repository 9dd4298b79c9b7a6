// The change counter's rules (change_counter.h), one test each.
#include "vfs/change_counter.h"

#include <gtest/gtest.h>

namespace cloudlite::vfs {
namespace {

TEST(ChangeCounterTest, AnUnchangedVersionKeepsSqlitesPageCache) {
  ChangeCounter counter;
  EXPECT_TRUE(counter.StartTransaction(7, /*exact_reads=*/false));
  EXPECT_EQ(counter.held(), 7u);
  EXPECT_FALSE(counter.StartTransaction(7, /*exact_reads=*/false));
  EXPECT_EQ(counter.At(7), 7u);
}

TEST(ChangeCounterTest, ANewVersionIsANewCounter) {  // rule 1
  ChangeCounter counter;
  ASSERT_TRUE(counter.StartTransaction(7, false));
  EXPECT_TRUE(counter.StartTransaction(8, false));
  EXPECT_EQ(counter.held(), 8u);
}

TEST(ChangeCounterTest, ACommitKeepsTheCacheSqliteWroteItself) {  // rule 1, SQLite's side
  ChangeCounter counter;
  ASSERT_TRUE(counter.StartTransaction(7, false));
  counter.Committed();  // SQLite wrote counter 8 into page 1 and keeps its pages
  EXPECT_FALSE(counter.StartTransaction(8, false));
}

TEST(ChangeCounterTest, AFailedCommitNeverShowsTheCounterSqliteWrote) {  // rule 2
  ChangeCounter counter;
  ASSERT_TRUE(counter.StartTransaction(7, false));
  // SQLite wrote 8 and rolled back; the winner made version 8.
  counter.CommitFailed();
  EXPECT_NE(static_cast<uint32_t>(counter.At(8)), 8u);
  EXPECT_TRUE(counter.StartTransaction(8, false));
  // Far from it: a long run of later commits does not come back to it either.
  for (uint64_t v = 9; v < 9 + 100000; v++) EXPECT_NE(static_cast<uint32_t>(counter.At(v)), 8u);
}

TEST(ChangeCounterTest, AnExactReadSetMakesSqliteDropItsCache) {  // rule 3
  ChangeCounter counter;
  ASSERT_TRUE(counter.StartTransaction(7, false));
  EXPECT_TRUE(counter.StartTransaction(7, /*exact_reads=*/true));
  EXPECT_EQ(counter.held(), 8u);
  EXPECT_EQ(counter.At(7), 8u);
  // Only when the counter would repeat: a new version drops the cache anyway.
  EXPECT_TRUE(counter.StartTransaction(9, /*exact_reads=*/true));
  EXPECT_EQ(counter.At(9), 10u);
}

}  // namespace
}  // namespace cloudlite::vfs
