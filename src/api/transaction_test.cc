// Transaction on its own (Database::Update's races are in tests/unit/rebase_test.cc): a body's
// failure, a connection that is not ours, and the shape the servers' group commit will use.
#include "api/transaction.h"

#include <gtest/gtest.h>

#include "base/random.h"
#include "cloudlite/database.h"
#include "testing/status_matchers.h"

namespace cloudlite {
namespace {

int64_t Count(Connection& c, const std::string& sql) {
  Result<Rows> rows = c.Query(sql);
  EXPECT_OK(rows);
  return rows.ok() ? std::get<int64_t>(rows->rows.at(0).at(0)) : -1;
}

TEST(TransactionTest, TheBodysFailureIsReturnedAtOnceAndNothingCommits) {
  auto db = Database::Open("mem://txn-" + RandomHex(6) + "/db");
  ASSERT_OK(db);
  Connection c((*db)->handle());
  ASSERT_OK(c.Exec("CREATE TABLE t (x)"));
  Transaction txn(Connection((*db)->handle()), {});
  Status s = txn.Run([&]() -> Status {
    CL_RETURN_IF_ERROR(c.Exec("INSERT INTO t VALUES (1)"));
    return Status::InvalidArgument("no");
  });
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(txn.stats().runs, 1u);
  EXPECT_EQ(txn.stats().commits, 0u);
  EXPECT_EQ(Count(c, "SELECT count(*) FROM t"), 0);
}

TEST(TransactionTest, APlainSqliteConnectionCommitsWithoutTheVfs) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  Connection c(db);
  ASSERT_OK(c.Exec("CREATE TABLE t (x)"));
  {
    // Gone before the connection closes: its SchemaFacts keeps statements prepared on it.
    Transaction txn(Connection(db), {});
    EXPECT_OK(txn.Run([&] { return c.Exec("INSERT INTO t VALUES (1)"); }));
    EXPECT_EQ(txn.stats().commits, 1u);
    EXPECT_EQ(txn.stats().runs, 1u);
  }
  EXPECT_EQ(Count(c, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

// Group commit: requests each under a SAVEPOINT in one body; a failed one rolls back only its
// own. Another writer's commit to a row on the same page makes the group lose its race, and the
// whole group's row changes are replayed on the new version (snapshot isolation) without
// running the body again.
TEST(TransactionTest, ARequestUnderASavepointFailsAloneAndALostRaceReplaysTheGroup) {
  std::string uri = "mem://txn-" + RandomHex(6) + "/db";
  Options options;
  options.isolation = Isolation::kSnapshot;
  auto a = Database::Open(uri, options);
  auto b = Database::Open(uri, options);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK((*a)->Update([](Connection& c) {
    return c.Exec(
        "CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0));"
        "INSERT INTO kv VALUES (1, 0), (2, 0), (3, 0)");
  }));
  Connection c((*a)->handle());
  auto request = [&](int n, const std::string& sql) {
    std::string name = "r" + std::to_string(n);
    CL_RETURN_IF_ERROR(c.Exec("SAVEPOINT " + name));
    Status s = c.Exec(sql);
    if (!s.ok()) CL_RETURN_IF_ERROR(c.Exec("ROLLBACK TO " + name));
    CL_RETURN_IF_ERROR(c.Exec("RELEASE " + name));
    return s;
  };
  bool raced = false;
  std::vector<Status> results;
  Transaction txn(Connection((*a)->handle()), {Isolation::kSnapshot, 8});
  ASSERT_OK(txn.Run([&]() -> Status {
    results.clear();
    if (!raced) {
      raced = true;
      CL_RETURN_IF_ERROR(
          (*b)->Update([](Connection& o) { return o.Exec("UPDATE kv SET v = 7 WHERE k = 2"); }));
    }
    results.push_back(request(1, "UPDATE kv SET v = v + 1 WHERE k = 1"));
    results.push_back(request(2, "UPDATE kv SET v = v - 1 WHERE k = 3"));  // fails its CHECK
    results.push_back(request(3, "UPDATE kv SET v = v + 5 WHERE k = 3"));
    return Status::Ok();
  }));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_OK(results[0]);
  EXPECT_FALSE(results[1].ok());
  EXPECT_OK(results[2]);
  EXPECT_EQ(txn.stats().runs, 1u);
  EXPECT_EQ(txn.stats().lost_races, 1u);
  EXPECT_EQ(txn.stats().rebases, 1u);
  EXPECT_EQ(Count(c, "SELECT v FROM kv WHERE k = 1"), 1);
  EXPECT_EQ(Count(c, "SELECT v FROM kv WHERE k = 2"), 7);
  EXPECT_EQ(Count(c, "SELECT v FROM kv WHERE k = 3"), 5);
}

}  // namespace
}  // namespace cloudlite
