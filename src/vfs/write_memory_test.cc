// A write transaction keeps at most write_memory bytes of dirty pages, and of rollback journal,
// in memory; the rest goes to temporary files (docs/vfs.md, "Memory").
#include <gtest/gtest.h>

#include <string>

#include "base/random.h"
#include "testing/sqlite.h"
#include "vfs/vfs.h"

namespace cloudlite::vfs {
namespace {

constexpr uint64_t kLimit = 1 << 20;

class WriteMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Register(), SQLITE_OK); }
  void TearDown() override {
    for (sqlite3* db : open_) sqlite3_close_v2(db);
  }
  sqlite3* Open(const std::string& params = "&write_memory=" + std::to_string(kLimit)) {
    sqlite3* db = nullptr;
    std::string uri = "file:db?vfs=cloudlite&store=" + store_ + params;
    int rc = sqlite3_open_v2(uri.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
    open_.push_back(db);
    EXPECT_EQ(rc, SQLITE_OK) << LastOpenError().ToString();
    return db;
  }
  static void Exec(sqlite3* db, const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db);
  }
  // Rows whose v is the 1000-digit rendering of id + `plus`.
  static std::string Matching(sqlite3* db, int plus) {
    return test::QueryText(db, "SELECT count(*) FROM t WHERE v = printf('%01000d', id + " +
                                   std::to_string(plus) + ")");
  }

  std::string store_ = "mem://write-memory-test-" + RandomHex(6);
  std::vector<sqlite3*> open_;
};

// 20 MiB of rows through a 1 MiB bound: written, rolled back, rewritten, read back.
TEST_F(WriteMemoryTest, ATransactionPastTheBoundSpillsCommitsAndRollsBack) {
  sqlite3* db = Open();
  Exec(db,
       "PRAGMA cache_size=100; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<20000)"
       "INSERT INTO t SELECT i, printf('%01000d', i) FROM n;");
  auto stats = WriteMemory(db);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->limit, kLimit);
  EXPECT_LE(stats->dirty_peak_memory_bytes, kLimit);
  EXPECT_GE(stats->dirty_spilled_bytes, 18u << 20);
  EXPECT_EQ(Matching(Open(), 0), "20000");

  // Every page rewritten, so every page journaled: the journal spills too.
  Exec(db, "BEGIN; UPDATE t SET v = printf('%01000d', id + 1);");
  EXPECT_EQ(Matching(db, 1), "20000");
  Exec(db, "ROLLBACK");
  stats = WriteMemory(db);
  ASSERT_TRUE(stats.ok());
  EXPECT_LE(stats->journal_peak_memory_bytes, kLimit);
  EXPECT_GE(stats->journal_spilled_bytes, 18u << 20);
  EXPECT_LE(stats->dirty_peak_memory_bytes, kLimit);
  EXPECT_EQ(Matching(db, 0), "20000");
  EXPECT_EQ(test::QueryText(db, "PRAGMA integrity_check"), "ok");

  Exec(db, "UPDATE t SET v = printf('%01000d', id + 2)");
  stats = WriteMemory(db);
  ASSERT_TRUE(stats.ok());
  EXPECT_LE(stats->dirty_peak_memory_bytes, kLimit);
  EXPECT_LE(stats->journal_peak_memory_bytes, kLimit);
  sqlite3* other = Open("");
  EXPECT_EQ(Matching(other, 2), "20000");
  EXPECT_EQ(test::QueryText(other, "PRAGMA integrity_check"), "ok");
}

TEST_F(WriteMemoryTest, TheDefaultBoundIs64MiB) {
  auto stats = WriteMemory(Open(""));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->limit, 64u << 20);
}

TEST_F(WriteMemoryTest, AValueThatIsNotANumberOfBytesIsRefused) {
  for (std::string bad : {"abc", "-5", "12MB", ""}) {
    sqlite3* db = nullptr;
    std::string uri = "file:db?vfs=cloudlite&store=" + store_ + "&write_memory=" + bad;
    int rc = sqlite3_open_v2(uri.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
    open_.push_back(db);
    EXPECT_EQ(rc, SQLITE_CANTOPEN) << bad;
    EXPECT_NE(LastOpenError().message().find("write_memory=" + bad), std::string::npos)
        << LastOpenError().ToString();
  }
}

}  // namespace
}  // namespace cloudlite::vfs
