// Lost races that need no re-run (docs/concurrency.md): a transaction another commit beat moves
// onto the new version when nothing it depends on changed there. Two Databases on one store
// stage each race deterministically: the second commits inside the first's function.
#include <gtest/gtest.h>

#include "base/random.h"
#include "cloudlite/database.h"
#include "store/registry.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

// Rows of ~600 bytes: six to a 4 KiB leaf, so rows 1 and 200 live on different pages and rows
// 1 and 2 on the same one.
constexpr int kRows = 240;

class RebaseTest : public ::testing::Test {
 protected:
  void SetUp() override { uri_ = "mem://rebase-" + RandomHex(6) + "/db"; }

  std::unique_ptr<Database> Open(Isolation isolation = Isolation::kSerializable) {
    Options options;
    options.isolation = isolation;
    auto db = Database::Open(uri_, options);
    EXPECT_OK(db);
    return std::move(*db);
  }

  void CreateAccounts(Database& db) {
    ASSERT_TRUE(
        db.Update([](Connection& c) {
            return c.Exec(
                "CREATE TABLE account (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
                "pad BLOB);"
                "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < " +
                std::to_string(kRows) + ") INSERT INTO account SELECT i, 0, zeroblob(600) FROM k;");
          }).ok());
  }

  static Status Add(Connection& c, int id, int delta) {
    return c.Exec("UPDATE account SET n = n + " + std::to_string(delta) +
                  " WHERE id = " + std::to_string(id));
  }

  static int64_t Balance(Database& db, int id) {
    int64_t n = -1;
    EXPECT_TRUE(db.View([&](Connection& c) {
                    CL_ASSIGN_OR_RETURN(
                        Rows rows, c.Query("SELECT n FROM account WHERE id = ?1", {int64_t{id}}));
                    n = std::get<int64_t>(rows.rows.at(0).at(0));
                    return Status::Ok();
                  }).ok());
    return n;
  }

  // Runs `mine` in an Update of `a`; the first time it runs, `theirs` commits through `b` first.
  // Returns what that Update added to a.stats().
  static Result<UpdateStats> Race(Database& a, Database& b,
                                  const std::function<Status(Connection&)>& mine,
                                  const std::function<Status(Connection&)>& theirs) {
    UpdateStats before = a.stats();
    bool raced = false;
    CL_RETURN_IF_ERROR(a.Update([&](Connection& c) -> Status {
      if (!raced) {
        raced = true;
        CL_RETURN_IF_ERROR(b.Update(theirs));
      }
      return mine(c);
    }));
    UpdateStats after = a.stats();
    return UpdateStats{after.commits - before.commits, after.runs - before.runs,
                       after.lost_races - before.lost_races, after.rebases - before.rebases};
  }

  static std::string IntegrityCheck(Database& db) {
    std::string out;
    EXPECT_TRUE(db.View([&](Connection& c) {
                    CL_ASSIGN_OR_RETURN(Rows rows, c.Query("PRAGMA integrity_check"));
                    out = std::get<std::string>(rows.rows.at(0).at(0));
                    return Status::Ok();
                  }).ok());
    return out;
  }

  std::string uri_;
};

TEST_F(RebaseTest, DisjointPagesMoveWithoutRunningAgain) {
  auto a = Open(), b = Open();
  CreateAccounts(*a);
  Result<UpdateStats> race = Race(
      *a, *b, [](Connection& c) { return Add(c, 1, 5); },
      [](Connection& c) { return Add(c, 200, 7); });
  ASSERT_OK(race);
  EXPECT_EQ(race->runs, 1u);
  EXPECT_EQ(race->lost_races, 1u);
  EXPECT_EQ(race->rebases, 1u);
  EXPECT_EQ(Balance(*a, 1), 5);
  EXPECT_EQ(Balance(*a, 200), 7);
  EXPECT_EQ(IntegrityCheck(*a), "ok");
}

TEST_F(RebaseTest, SerializableRunsAgainWhenAPageItReadChanged) {
  auto a = Open(), b = Open();
  CreateAccounts(*a);
  // Rows 1 and 2 share a leaf: what `a` read changed, so only running again is safe.
  Result<UpdateStats> race = Race(
      *a, *b, [](Connection& c) { return Add(c, 1, 5); },
      [](Connection& c) { return Add(c, 2, 7); });
  ASSERT_OK(race);
  EXPECT_EQ(race->runs, 2u);
  EXPECT_EQ(race->rebases, 0u);
  EXPECT_EQ(Balance(*a, 1), 5);
  EXPECT_EQ(Balance(*a, 2), 7);
}

TEST_F(RebaseTest, SnapshotReplaysRowChangesOnASharedPage) {
  auto a = Open(Isolation::kSnapshot), b = Open(Isolation::kSnapshot);
  CreateAccounts(*a);
  Result<UpdateStats> race = Race(
      *a, *b, [](Connection& c) { return Add(c, 1, 5); },
      [](Connection& c) { return Add(c, 2, 7); });
  ASSERT_OK(race);
  EXPECT_EQ(race->runs, 1u);
  EXPECT_EQ(race->rebases, 1u);
  EXPECT_EQ(Balance(*a, 1), 5);
  EXPECT_EQ(Balance(*a, 2), 7);
  EXPECT_EQ(IntegrityCheck(*a), "ok");
}

TEST_F(RebaseTest, SnapshotRunsAgainWhenTheSameRowChanged) {
  auto a = Open(Isolation::kSnapshot), b = Open(Isolation::kSnapshot);
  CreateAccounts(*a);
  Result<UpdateStats> race = Race(
      *a, *b, [](Connection& c) { return Add(c, 1, 5); },
      [](Connection& c) { return Add(c, 1, 7); });
  ASSERT_OK(race);
  EXPECT_EQ(race->runs, 2u);
  EXPECT_EQ(Balance(*a, 1), 12);  // no lost update
}

TEST_F(RebaseTest, AllocatingTransactionIsReplayedWhenNothingItReadChanged) {
  auto a = Open(), b = Open();
  CreateAccounts(*a);
  // `a` appends rows (new pages: its pages cannot move); `b` changes a row `a` never read.
  Result<UpdateStats> race = Race(
      *a, *b,
      [](Connection& c) {
        return c.Exec(
            "INSERT INTO account SELECT id + 1000, 1, zeroblob(600) FROM account "
            "WHERE id <= 20");
      },
      [](Connection& c) { return Add(c, 100, 7); });
  ASSERT_OK(race);
  // `a` read rows 1..20 and the rightmost leaf; `b` changed neither.
  EXPECT_EQ(race->runs, 1u);
  EXPECT_EQ(race->rebases, 1u);
  EXPECT_EQ(Balance(*a, 1001), 1);
  EXPECT_EQ(Balance(*a, 100), 7);
  EXPECT_EQ(IntegrityCheck(*a), "ok");
}

TEST_F(RebaseTest, SchemaChangeRunsAgain) {
  auto a = Open(), b = Open();
  CreateAccounts(*a);
  Result<UpdateStats> race = Race(
      *a, *b, [](Connection& c) { return c.Exec("CREATE TABLE audit (x)"); },
      [](Connection& c) { return Add(c, 200, 7); });
  ASSERT_OK(race);
  EXPECT_EQ(race->runs, 2u);
  EXPECT_EQ(Balance(*a, 200), 7);
  EXPECT_EQ(IntegrityCheck(*a), "ok");
}

TEST_F(RebaseTest, TableWithoutPrimaryKeyRunsAgainInsteadOfLosingRows) {
  auto a = Open(Isolation::kSnapshot), b = Open(Isolation::kSnapshot);
  ASSERT_TRUE(a->Update([](Connection& c) {
                 return c.Exec("CREATE TABLE note (body TEXT); INSERT INTO note VALUES ('x')");
               }).ok());
  // Both append to the same leaf: only a replay could save the work, and the session extension
  // cannot record rows of a table without a primary key.
  Result<UpdateStats> race = Race(
      *a, *b, [](Connection& c) { return c.Exec("INSERT INTO note VALUES ('a')"); },
      [](Connection& c) { return c.Exec("INSERT INTO note VALUES ('b')"); });
  ASSERT_OK(race);
  EXPECT_EQ(race->runs, 2u);
  int64_t notes = 0;
  ASSERT_TRUE(a->View([&](Connection& c) {
                 CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT count(*) FROM note"));
                 notes = std::get<int64_t>(rows.rows.at(0).at(0));
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(notes, 3);
}

// One PUT: the GET of the slot after it is made beside the first commit of a writer's run of
// its own commits, then once a minute (docs/format.md, "Committing and holes").
TEST_F(RebaseTest, AnUncontendedWriteIsOnePut) {
  std::string dir = test::MakeTempDir("rebase");
  auto db = Database::Open("file://" + dir + "/db");
  ASSERT_OK(db);
  CreateAccounts(**db);
  StoreStats& stats = ProcessStoreStats();
  uint64_t gets = stats.get, puts = stats.put, lists = stats.list;
  for (int i = 0; i < 10; i++)
    ASSERT_TRUE((*db)->Update([](Connection& c) { return Add(c, 1, 1); }).ok());
  EXPECT_EQ(stats.put - puts, 10u);  // checkpoints come every 64 commits
  EXPECT_EQ(stats.get - gets, 0u);
  EXPECT_EQ(stats.list - lists, 0u);
}

TEST_F(RebaseTest, AReadOnlyUpdateSeesCommitsMadeBeforeItStarted) {
  auto a = Open(), b = Open();
  CreateAccounts(*a);
  ASSERT_TRUE(b->Update([](Connection& c) { return Add(c, 3, 9); }).ok());
  // `a` last synced before that commit and skips the probe for an Update; reading a stale
  // version must not be what it returns.
  int64_t seen = -1;
  ASSERT_TRUE(a->Update([&](Connection& c) -> Status {
                 CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT n FROM account WHERE id = 3"));
                 seen = std::get<int64_t>(rows.rows.at(0).at(0));
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(seen, 9);
}

}  // namespace
}  // namespace cloudlite
