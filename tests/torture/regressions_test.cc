// Library bugs the torture tests found, each kept as a small regression test of what the
// library must do. "BUG" comments describe the failure as it was; the fixes are in
// src/engine/engine.cc (a failed commit un-syncs the engine) and src/vfs/vfs.cc (the sync
// after a failed commit publishes nothing).
#include <sqlite3.h>

#include "base/random.h"
#include "store/registry.h"
#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

int64_t Count(Database& db) {
  Result<int64_t> n = QueryInt(db, "SELECT count(*) FROM t");
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : -1;
}

std::unique_ptr<Database> CreateWithTable(const std::string& uri) {
  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return nullptr;
  EXPECT_TRUE((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }).ok());
  return std::move(db).value();
}

// BUG ambiguous-commit-masked (fixed). When the engine cannot learn whether its commit landed, it
// returns Ambiguous, and the VFS fails SQLITE_FCNTL_SYNC. SQLite then rolls back: it writes the
// journal's pages back and syncs again, and the VFS commits those pages as the same version
// (see ARolledBackTransactionWritesNothing). If the ambiguous commit had landed, that attempt
// is Busy; if the store fails it, Unavailable. Either status replaces the Ambiguous one in the
// VFS's last error, which is what Database::Update returns: on Busy it re-runs fn on top of the
// commit that landed (the transaction is applied twice), on Unavailable the application is
// told that nothing happened. Seen in the faults torture test about once per 400 commits with
// faults=error:0.15,phantom:0.3.
TEST(LibraryBugs, AnAmbiguousCommitReachesTheApplicationAsAmbiguous) {
  // Every commit lands but answers Ambiguous; 75% of GETs fail, so the engine's re-sends
  // (AlreadyExists, then a GET to compare nonces) often never learn the outcome.
  int uncertain = 0;  // the row landed but Update did not say Ok
  for (int attempt = 0; attempt < 1000; attempt++) {
    std::string uri = "mem://bug-masked-" + RandomHex(6) + "/app";
    std::unique_ptr<Database> clean = CreateWithTable(uri);
    ASSERT_NE(clean, nullptr);
    Result<std::unique_ptr<Database>> db =
        Database::Open(uri + "?faults=phantom@put_if_absent:1,error@get:0.75&fault_seed=" +
                       std::to_string(attempt));
    if (!db.ok()) continue;  // the open's own GET failed
    int runs = 0;
    Status s = (*db)->Update([&](Connection& c) {
      runs++;
      return c.Exec("INSERT INTO t VALUES (1)");
    });
    int64_t rows = Count(*clean);
    if (!s.ok() && rows > 0) uncertain++;
    bool allowed = s.ok()                                 ? rows == 1
                   : s.code() == Status::Code::kAmbiguous ? rows <= 1
                                                          : rows == 0;
    EXPECT_TRUE(allowed) << "Update returned " << s.ToString() << " after " << runs
                         << " run(s) of fn, and the table holds " << rows << " row(s)";
  }
  EXPECT_GT(uncertain, 0) << "the scenario never happened: adjust the fault rates";
}

// BUG rollback-commits (fixed). After SQLITE_FCNTL_SYNC failed (a lost race, or a store error), the
// VFS keeps the transaction's dirty pages and stays "dirty"; SQLite's rollback writes the
// journal back into them and syncs (twice), and each sync commits the restored pages as
// version v+1. A lost race therefore costs three PutIfAbsent requests instead of one (the
// torture tests measure ~3.5 PUTs per commit at ~0.8 re-runs per commit), and when the failed
// commit did not take v+1, the rollback publishes a version of its own (no change of content,
// but a new version that other writers then lose races against).
TEST(LibraryBugs, ALostRaceCostsOnePut) {
  std::string uri = "mem://bug-rollback-" + RandomHex(6) + "/app";
  std::unique_ptr<Database> a = CreateWithTable(uri);
  ASSERT_NE(a, nullptr);
  Result<std::unique_ptr<Database>> b = Database::Open(uri);
  ASSERT_TRUE(b.ok());
  sqlite3* h = a->handle();
  ASSERT_EQ(
      sqlite3_exec(h, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('a')", nullptr, nullptr, nullptr),
      SQLITE_OK);
  ASSERT_TRUE((*b)->Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES ('b')"); })
                  .ok());  // b takes the version a is about to commit
  uint64_t puts = ProcessStoreStats().put;
  EXPECT_EQ(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr) & 0xff, SQLITE_BUSY);
  sqlite3_exec(h, "ROLLBACK", nullptr, nullptr, nullptr);
  EXPECT_EQ(ProcessStoreStats().put - puts, 1u) << "PUT requests for one lost commit";
  Result<DatabaseInfo> info = (*b)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 2u);
}

TEST(LibraryBugs, ARolledBackTransactionWritesNothing) {
  int failed = 0;
  for (int attempt = 0; attempt < 100; attempt++) {
    std::string uri = "mem://bug-rollback-" + RandomHex(6) + "/app";
    std::unique_ptr<Database> clean = CreateWithTable(uri);
    ASSERT_NE(clean, nullptr);
    Result<std::unique_ptr<Database>> db = Database::Open(
        uri + "?faults=error@put_if_absent:0.5&fault_seed=" + std::to_string(attempt));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Status s = (*db)->Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); });
    if (s.code() != Status::Code::kUnavailable) continue;
    failed++;
    Result<DatabaseInfo> info = clean->Info();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->version, 1u) << "a failed commit left a version behind";
    EXPECT_EQ(Count(*clean), 0);
  }
  EXPECT_GT(failed, 0);
}

// BUG stale-retry (fixed). With Options::max_staleness, a writer that loses a race re-runs fn
// without refreshing (the engine skips the freshness check inside the staleness window), so every
// attempt builds on the same old version and loses again: Update gives up with Busy after
// max_attempts although nobody else is writing any more. A lost race proves the snapshot is
// stale; the next attempt should refresh whatever max_staleness says.
TEST(LibraryBugs, UpdateWithMaxStalenessRefreshesAfterALostRace) {
  std::string uri = "mem://bug-stale-" + RandomHex(6) + "/app";
  std::unique_ptr<Database> other = CreateWithTable(uri);
  ASSERT_NE(other, nullptr);
  Options options;
  options.max_staleness = std::chrono::seconds(30);
  Result<std::unique_ptr<Database>> db = Database::Open(uri, options);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(Count(**db), 0);  // synced now; the next 30 s skip the freshness check
  ASSERT_TRUE(other->Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); }).ok());
  int runs = 0;
  Status s = (*db)->Update([&](Connection& c) {
    runs++;
    return c.Exec("INSERT INTO t VALUES (2)");
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(runs, 2);  // one lost race, then a run on the fresh version
  EXPECT_EQ(Count(*other), 2);
}

// BUG rollback-commits-freelist (fixed). Dropping the dirty pages that equal the committed
// version before the rollback's sync (the first fix) was not enough: a page the transaction
// took from the freelist is fetched with PAGER_GET_NOCONTENT, which SQLite marks as journaled
// without journaling it (a free page's old bytes do not matter), so the rollback left the
// failed transaction's bytes in it. The sync after the rollback then still found a changed page
// and published it: a new version whose only change was rolled-back data in free pages, and,
// when the failed commit had landed, a Busy that replaced its Ambiguous status as before. Every
// database that ever deleted rows has free pages.
//
// A database with free pages: "big" was filled and dropped.
std::unique_ptr<Database> CreateWithFreePages(const std::string& uri) {
  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return nullptr;
  EXPECT_TRUE((*db)
                  ->Update([](Connection& c) {
                    return c.Exec(
                        "CREATE TABLE t (x); CREATE TABLE big (x);"
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                        "i < 20) INSERT INTO big SELECT randomblob(1000) FROM n");
                  })
                  .ok());
  EXPECT_TRUE((*db)->Update([](Connection& c) { return c.Exec("DROP TABLE big"); }).ok());
  return std::move(db).value();
}

constexpr char kFillFreePages[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) "
    "INSERT INTO t SELECT randomblob(1000) FROM n";

TEST(LibraryBugs, ARolledBackTransactionThatReusedFreePagesWritesNothing) {
  int failed = 0;
  for (int attempt = 0; attempt < 100; attempt++) {
    std::string uri = "mem://bug-freelist-" + RandomHex(6) + "/app";
    std::unique_ptr<Database> clean = CreateWithFreePages(uri);
    ASSERT_NE(clean, nullptr);
    Result<DatabaseInfo> before = clean->Info();
    ASSERT_TRUE(before.ok());
    Result<std::unique_ptr<Database>> db = Database::Open(
        uri + "?faults=error@put_if_absent:0.5&fault_seed=" + std::to_string(attempt));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Status s = (*db)->Update([](Connection& c) { return c.Exec(kFillFreePages); });
    if (s.code() != Status::Code::kUnavailable) continue;
    failed++;
    Result<DatabaseInfo> after = clean->Info();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->version, before->version) << "a failed commit left a version behind";
    EXPECT_EQ(Count(*clean), 0);
  }
  EXPECT_GT(failed, 0);
}

TEST(LibraryBugs, AnAmbiguousCommitThatReusedFreePagesReachesTheApplicationAsAmbiguous) {
  // As AnAmbiguousCommitReachesTheApplicationAsAmbiguous; the scenario happens in ~0.5% of
  // attempts (the open and the first freshness probe need their GETs to succeed).
  int uncertain = 0;
  for (int attempt = 0; attempt < 3000; attempt++) {
    std::string uri = "mem://bug-freelist-" + RandomHex(6) + "/app";
    std::unique_ptr<Database> clean = CreateWithFreePages(uri);
    ASSERT_NE(clean, nullptr);
    Result<std::unique_ptr<Database>> db =
        Database::Open(uri + "?faults=phantom@put_if_absent:1,error@get:0.75&fault_seed=" +
                       std::to_string(attempt));
    if (!db.ok()) continue;
    int runs = 0;
    Status s = (*db)->Update([&](Connection& c) {
      runs++;
      return c.Exec(kFillFreePages);
    });
    int64_t rows = Count(*clean);
    if (!s.ok() && rows > 0) uncertain++;
    bool allowed = s.ok()                                 ? rows == 5
                   : s.code() == Status::Code::kAmbiguous ? rows == 0 || rows == 5
                                                          : rows == 0;
    EXPECT_TRUE(allowed) << "Update returned " << s.ToString() << " after " << runs
                         << " run(s) of fn, and the table holds " << rows << " row(s)";
  }
  EXPECT_GT(uncertain, 0) << "the scenario never happened: adjust the fault rates";
}

// BUG segment-put-ambiguous (fixed: Engine::PutSegment). A commit bigger than
// EngineOptions::inline_limit (1 MiB) writes its frames to a segment with Put before it sends the
// record. When that Put answers Ambiguous (the fault store's phantom@put; a store whose lost Put
// answers are Ambiguous), Engine::Commit returns the Ambiguous as is, so the application is told
// the commit may have happened, although the record was never sent: nothing was committed, and the
// status should be a retryable one (the orphaned segment is harmless). S3Store answers Unavailable
// for a lost Put and FileStore never answers Ambiguous for Put, so today only injected faults reach
// this.
TEST(LibraryBugs, ABigCommitWhoseSegmentWriteIsAmbiguousIsNotAmbiguous) {
  std::string uri = "mem://bug-segment-" + RandomHex(6) + "/app";
  std::unique_ptr<Database> clean = CreateWithTable(uri);
  ASSERT_NE(clean, nullptr);
  Result<std::unique_ptr<Database>> db = Database::Open(uri + "?faults=phantom@put:1");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status s = (*db)->Update([](Connection& c) {
    return c.Exec("INSERT INTO t SELECT randomblob(3000000)");  // incompressible: a segment
  });
  EXPECT_EQ(Count(*clean), 0);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
}

}  // namespace
}  // namespace cloudlite::torture
