// The row changes Update records for a replay are bounded: past the limit the recorder stops
// and the transaction would run again instead (docs/vfs.md, "Memory").
#include "api/replay.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>

namespace cloudlite {
namespace {

class ReplayMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  }
  void TearDown() override { sqlite3_close_v2(db_); }
  void Exec(const char* sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }
  // Records a transaction inserting 2,000 rows of 1,000 bytes (2 MB) under `limit`.
  RecordedChanges Record(uint64_t limit) {
    Exec("BEGIN");
    auto recorder = ChangeRecorder::Start(db_, limit);
    EXPECT_TRUE(recorder.ok());
    Exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<2000)"
        "INSERT INTO t SELECT i, randomblob(1000) FROM n");
    auto changes = (*recorder)->Finish();
    EXPECT_TRUE(changes.ok());
    recorder->reset();
    Exec("ROLLBACK");
    return changes.ok() ? *changes : RecordedChanges{};
  }
  sqlite3* db_ = nullptr;
};

TEST_F(ReplayMemoryTest, ChangesPastTheLimitAreNotKept) {
  RecordedChanges small = Record(64 << 20);
  EXPECT_GT(small.changeset.size(), 2000u * 1000);
  RecordedChanges big = Record(256 << 10);
  EXPECT_TRUE(big.changeset.empty());
  EXPECT_EQ(big.tables, std::set<std::string>{"t"});
  // Applying them refuses (the caller runs the transaction again).
  Exec("BEGIN");
  SchemaFacts facts(db_);
  auto applied = ApplyChangeset(db_, facts, big);
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(*applied);
  Exec("ROLLBACK");
}

// What SchemaFacts remembers follows the schema: a table made again with another key, and a
// schema change rolled back.
TEST_F(ReplayMemoryTest, SchemaFactsFollowTheSchema) {
  SchemaFacts facts(db_);
  auto fully = [&](const char* table, bool remember = true) {
    Result<bool> r = facts.FullyRecorded(table, remember);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && *r;
  };
  Exec("CREATE TABLE u (a, b)");
  EXPECT_TRUE(fully("t"));
  EXPECT_FALSE(fully("u"));
  EXPECT_FALSE(fully("u"));  // remembered
  Exec("DROP TABLE u");
  Exec("CREATE TABLE u (a PRIMARY KEY NOT NULL, b)");
  EXPECT_TRUE(fully("u"));
  // Inside a transaction that changes the schema: answered, not remembered.
  Exec("BEGIN");
  Exec("DROP TABLE u");
  Exec("CREATE TABLE u (a, b)");
  EXPECT_FALSE(fully("u", /*remember=*/false));
  Exec("ROLLBACK");
  EXPECT_TRUE(fully("u"));
}

}  // namespace
}  // namespace cloudlite
