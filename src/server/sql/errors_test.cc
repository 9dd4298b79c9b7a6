#include "server/sql/errors.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace cloudlite::server::sql {
namespace {

TEST(HranaErrorsTest, SqliteCodeNamesArePrimaryCodes) {
  EXPECT_EQ(SqliteCodeName(SQLITE_CONSTRAINT), "SQLITE_CONSTRAINT");
  EXPECT_EQ(SqliteCodeName(SQLITE_CONSTRAINT_PRIMARYKEY), "SQLITE_CONSTRAINT");
  EXPECT_EQ(SqliteCodeName(SQLITE_BUSY_SNAPSHOT), "SQLITE_BUSY");
  EXPECT_EQ(SqliteCodeName(SQLITE_WARNING), "SQLITE_WARNING");
  EXPECT_EQ(SqliteCodeName(200), "SQLITE_UNKNOWN");
  EXPECT_EQ(SqliteCodeNameFor(Status::Busy("x")), "SQLITE_BUSY");
  EXPECT_EQ(SqliteCodeNameFor(Status::Unavailable("x")), "SQLITE_IOERR");
}

TEST(HranaErrorsTest, ErrorBodiesAreExactlyApplicationJson) {
  Response r = ErrorResponse(Status::NotFound("database \"x\" does not exist"));
  EXPECT_EQ(r.status, 404);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].name, "content-type");
  EXPECT_EQ(r.headers[0].value, "application/json");
  EXPECT_EQ(r.body, R"({"message":"database \"x\" does not exist","code":"NOT_FOUND"})");
  Response busy = ErrorResponse(Status::Unavailable("later"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.headers.back().name, "retry-after");
}

}  // namespace
}  // namespace cloudlite::server::sql
