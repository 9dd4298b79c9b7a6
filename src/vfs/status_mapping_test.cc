#include "vfs/status_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "testing/status_matchers.h"

namespace cloudlite::vfs {
namespace {

using Code = Status::Code;
using test::StatusIs;

TEST(StatusFromSqliteTest, EachCodeClassHasOneStatus) {
  const Status none;
  EXPECT_THAT(StatusFromSqlite(SQLITE_BUSY, "b", none), StatusIs(Code::kBusy, "b"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_CORRUPT, "c", none), StatusIs(Code::kCorruption, "c"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_NOTADB, "n", none), StatusIs(Code::kCorruption, "n"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_IOERR, "i", none), StatusIs(Code::kIOError, "i"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_CANTOPEN, "o", none), StatusIs(Code::kIOError, "o"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_PROTOCOL, "p", none), StatusIs(Code::kIOError, "p"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_PERM, "x", none), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(StatusFromSqlite(SQLITE_READONLY, "r", none), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(StatusFromSqlite(SQLITE_AUTH, "a", none), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(StatusFromSqlite(SQLITE_ERROR, "no such table: t", none),
              StatusIs(Code::kInvalidArgument, "no such table: t"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_CONSTRAINT, "UNIQUE", none),
              StatusIs(Code::kInvalidArgument, "UNIQUE"));
}

// The library and the CLI each had a map, and they disagreed on these three.
TEST(StatusFromSqliteTest, LockedNomemAndFullAreNotSqlErrors) {
  const Status none;
  EXPECT_THAT(StatusFromSqlite(SQLITE_LOCKED, "locked", none), StatusIs(Code::kBusy));
  EXPECT_THAT(StatusFromSqlite(SQLITE_NOMEM, "out of memory", none),
              StatusIs(Code::kIOError, "out of memory"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_FULL, "full", none), StatusIs(Code::kIOError));
}

TEST(StatusFromSqliteTest, ExtendedCodesMapAsTheirPrimaryCode) {
  const Status none;
  EXPECT_THAT(StatusFromSqlite(SQLITE_IOERR_FSYNC, "", none), StatusIs(Code::kIOError));
  EXPECT_THAT(StatusFromSqlite(SQLITE_BUSY_SNAPSHOT, "", none), StatusIs(Code::kBusy));
  EXPECT_THAT(StatusFromSqlite(SQLITE_CORRUPT_VTAB, "", none), StatusIs(Code::kCorruption));
  EXPECT_THAT(StatusFromSqlite(SQLITE_CONSTRAINT_PRIMARYKEY, "", none),
              StatusIs(Code::kInvalidArgument));
}

// The store's status names the object and the real cause; SQLite's code only the class.
TEST(StatusFromSqliteTest, TheStoresErrorWinsForCodesTheStoreCanCause) {
  const Status corrupt = Status::Corruption("db/log/0001: checksum mismatch");
  for (int rc : {SQLITE_IOERR_READ, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_BUSY, SQLITE_CANTOPEN,
                 SQLITE_FULL, SQLITE_PROTOCOL, SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH}) {
    EXPECT_THAT(StatusFromSqlite(rc, "sqlite text", corrupt),
                StatusIs(Code::kCorruption, "db/log/0001"))
        << rc;
  }
  const Status ambiguous = Status::Ambiguous("PUT db/log/0002 timed out");
  EXPECT_THAT(StatusFromSqlite(SQLITE_IOERR_FSYNC, "disk I/O error", ambiguous),
              StatusIs(Code::kAmbiguous, "db/log/0002"));
}

TEST(StatusFromSqliteTest, SqlErrorsIgnoreAStoreError) {
  const Status old = Status::Unavailable("earlier outage");
  EXPECT_THAT(StatusFromSqlite(SQLITE_ERROR, "syntax error", old),
              StatusIs(Code::kInvalidArgument, "syntax error"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_CONSTRAINT, "NOT NULL", old),
              StatusIs(Code::kInvalidArgument, "NOT NULL"));
  EXPECT_THAT(StatusFromSqlite(SQLITE_LOCKED, "locked", old), StatusIs(Code::kBusy, "locked"));
}

TEST(SqliteCodeForTest, StatusesWithACodeOfTheirOwnElseTheFallback) {
  EXPECT_EQ(SqliteCodeFor(Status::Ok(), SQLITE_IOERR_READ), SQLITE_OK);
  EXPECT_EQ(SqliteCodeFor(Status::Busy(""), SQLITE_IOERR_READ), SQLITE_BUSY);
  EXPECT_EQ(SqliteCodeFor(Status::Corruption(""), SQLITE_IOERR_READ), SQLITE_CORRUPT);
  EXPECT_EQ(SqliteCodeFor(Status::PermissionDenied(""), SQLITE_IOERR_READ), SQLITE_PERM);
  EXPECT_EQ(SqliteCodeFor(Status::Unavailable(""), SQLITE_IOERR_READ), SQLITE_IOERR_READ);
  EXPECT_EQ(SqliteCodeFor(Status::Ambiguous(""), SQLITE_IOERR_FSYNC), SQLITE_IOERR_FSYNC);
}

// What SQLite is told and what the library reads back name the same class of failure.
TEST(SqliteCodeForTest, RoundTripsThroughStatusFromSqlite) {
  for (const Status& s : {Status::Busy("b"), Status::Corruption("c"), Status::PermissionDenied("p"),
                          Status::IOError("i")}) {
    int rc = SqliteCodeFor(s, SQLITE_IOERR_WRITE);
    EXPECT_EQ(StatusFromSqlite(rc, "m", Status()).code(), s.code()) << s.ToString();
  }
}

TEST(HttpStatusForTest, ClientErrorsAre4xxAndServerErrors5xx) {
  EXPECT_EQ(HttpStatusFor(Status::Ok()), 200);
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("")), 400);
  EXPECT_EQ(HttpStatusFor(Status::PermissionDenied("")), 403);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("")), 404);
  EXPECT_EQ(HttpStatusFor(Status::Busy("")), 409);
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("")), 409);
  EXPECT_EQ(HttpStatusFor(Status::Corruption("")), 500);
  EXPECT_EQ(HttpStatusFor(Status::IOError("")), 500);
  EXPECT_EQ(HttpStatusFor(Status::Internal("")), 500);
  EXPECT_EQ(HttpStatusFor(Status::NotSupported("")), 501);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("")), 503);
  EXPECT_EQ(HttpStatusFor(Status::Ambiguous("")), 504);
}

}  // namespace
}  // namespace cloudlite::vfs
