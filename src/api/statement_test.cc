#include "api/statement.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cloudlite {
namespace {

class StatementTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  void TearDown() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  sqlite3_stmt* Prepare(const std::string& sql) {
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    return stmt_;
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

TEST_F(StatementTest, EachStorageClassBecomesItsValue) {
  Rows rows;
  ASSERT_EQ(ReadRows(Prepare("SELECT 42 AS i, 2.5 AS f, 'a' || char(0) || 'b' AS t, "
                             "x'00ff' AS b, x'' AS e, NULL AS n, -9223372036854775808"),
                     &rows),
            SQLITE_DONE);
  EXPECT_EQ(rows.columns,
            (std::vector<std::string>{"i", "f", "t", "b", "e", "n", "-9223372036854775808"}));
  ASSERT_EQ(rows.rows.size(), 1u);
  const std::vector<Value>& row = rows.rows[0];
  EXPECT_EQ(row[0], Value(int64_t{42}));
  EXPECT_EQ(row[1], Value(2.5));
  EXPECT_EQ(row[2], Value(std::string("a\0b", 3)));  // an embedded NUL is kept
  EXPECT_EQ(row[3], Value(Blob{std::string("\x00\xff", 2)}));
  EXPECT_EQ(row[4], Value(Blob{}));  // zero-length blob: empty, not NULL
  EXPECT_EQ(row[5], Value(nullptr));
  EXPECT_EQ(row[6], Value(INT64_MIN));
}

TEST_F(StatementTest, NoRowsStillNamesTheColumns) {
  ASSERT_EQ(sqlite3_exec(db_, "CREATE TABLE t (a, b)", nullptr, nullptr, nullptr), SQLITE_OK);
  Rows rows;
  ASSERT_EQ(ReadRows(Prepare("SELECT a, b FROM t"), &rows), SQLITE_DONE);
  EXPECT_EQ(rows.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(rows.rows.empty());
}

TEST_F(StatementTest, AnErrorMidwayKeepsTheRowsBeforeIt) {
  Rows rows;
  // abs() of the smallest integer overflows on the third row.
  int rc = ReadRows(Prepare("SELECT abs(v) FROM (SELECT 1 AS v UNION ALL SELECT 2 "
                            "UNION ALL SELECT -9223372036854775808)"),
                    &rows);
  EXPECT_EQ(rc, SQLITE_ERROR);
  EXPECT_EQ(rows.rows.size(), 2u);
}

}  // namespace
}  // namespace cloudlite
