// SQLite through the VFS, in the modes and operations that stress its assumptions (vfs.h).
#include "vfs/vfs.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "base/random.h"
#include "testing/sqlite.h"
#include "testing/temp_dir.h"

namespace cloudlite::vfs {
namespace {

// What a connection's write transactions report to their owner (write_control.h).
std::chrono::microseconds Backoff(sqlite3* db, int lost) {
  return WriteControlOf(db)->Outcome().contention.Backoff(lost);
}
RaceCounts Races(sqlite3* db) { return WriteControlOf(db)->Outcome().races; }

class VfsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Register(), SQLITE_OK); }
  void TearDown() override {
    for (sqlite3* db : open_) sqlite3_close_v2(db);
  }
  sqlite3* Open(const std::string& name = "db", const std::string& params = "") {
    sqlite3* db = nullptr;
    std::string uri = "file:" + name + "?vfs=cloudlite&store=" + store_ + params;
    int rc = sqlite3_open_v2(uri.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
    EXPECT_EQ(rc, SQLITE_OK) << LastOpenError().ToString();
    open_.push_back(db);
    return db;
  }
  static int Exec(sqlite3* db, const std::string& sql) {
    return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }

  std::string store_ = "mem://vfs-test-" + RandomHex(6);
  std::vector<sqlite3*> open_;
};

TEST_F(VfsTest, EveryJournalAndSynchronousModeCommitsDurably) {
  int n = 0;
  for (std::string journal : {"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "OFF"}) {
    for (std::string sync : {"OFF", "NORMAL", "FULL", "EXTRA"}) {
      std::string name = "modes" + std::to_string(n++);
      sqlite3* db = Open(name);
      ASSERT_EQ(Exec(db, "PRAGMA journal_mode=" + journal + "; PRAGMA synchronous=" + sync +
                             "; CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);"),
                SQLITE_OK)
          << journal << "/" << sync << ": " << sqlite3_errmsg(db);
      EXPECT_EQ(test::QueryText(Open(name), "SELECT sum(x) FROM t"), "3") << journal << "/" << sync;
    }
  }
}

TEST_F(VfsTest, RollbackLeavesNothingBehind) {
  sqlite3* db = Open();
  ASSERT_EQ(Exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK);
  ASSERT_EQ(Exec(db, "BEGIN; INSERT INTO t VALUES (2); ROLLBACK;"), SQLITE_OK);
  EXPECT_EQ(test::QueryText(db, "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(test::QueryText(Open(), "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(test::QueryText(db, "PRAGMA cloudlite_version"), "2");
}

// Another process's commit: this one's connections know nothing of it until they ask the store.
int ExecInAnotherProcess(const std::string& uri, const std::string& sql) {
  pid_t pid = fork();
  if (pid == 0) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close_v2(db);
    _exit(rc);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST_F(VfsTest, MinVersionLooksForNewerVersionsWhateverMaxStalenessAllows) {
  const std::string dir = test::MakeTempDir("vfs-min-version");
  store_ = "file://" + dir;  // shared with a child process, unlike mem://
  sqlite3* writer = Open();
  ASSERT_EQ(Exec(writer, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK);
  sqlite3* reader = Open("db", "&max_staleness_ms=3600000");
  EXPECT_EQ(test::QueryText(reader, "SELECT count(*) FROM t"), "1");
  const uint64_t seen = std::stoull(test::QueryText(reader, "PRAGMA cloudlite_version"));
  const std::string next = std::to_string(seen + 1);
  ASSERT_EQ(
      ExecInAnotherProcess("file:db?vfs=cloudlite&store=" + store_, "INSERT INTO t VALUES (2)"),
      SQLITE_OK);
  // Within the bound, the reader does not look; a version it has seen changes nothing.
  EXPECT_EQ(test::QueryText(reader, "SELECT count(*) FROM t"), "1");
  ASSERT_EQ(Exec(reader, "PRAGMA cloudlite_min_version = " + std::to_string(seen)), SQLITE_OK);
  EXPECT_EQ(test::QueryText(reader, "SELECT count(*) FROM t"), "1");
  // One it has not seen makes the next transaction look (inside BEGIN too, before any read).
  ASSERT_EQ(Exec(reader, "BEGIN; PRAGMA cloudlite_min_version = " + next), SQLITE_OK);
  EXPECT_EQ(test::QueryText(reader, "SELECT count(*) FROM t"), "2");
  ASSERT_EQ(Exec(reader, "COMMIT"), SQLITE_OK);
  EXPECT_EQ(test::QueryText(reader, "PRAGMA cloudlite_version"), next);
  EXPECT_EQ(Exec(reader, "PRAGMA cloudlite_min_version = x"), SQLITE_ERROR);
  for (sqlite3* db : open_) sqlite3_close_v2(db);
  open_.clear();
  test::RemoveTree(dir);
}

// A staleness bound never hides what the process itself committed: the writer's record is known
// to the process, and a reader within its bound applies it without asking the store.
TEST_F(VfsTest, ReadsWithinTheStalenessBoundSeeTheProcesssOwnCommits) {
  sqlite3* writer = Open();
  ASSERT_EQ(Exec(writer, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK);
  sqlite3* reader = Open("db", "&max_staleness_ms=3600000");
  EXPECT_EQ(test::QueryText(reader, "SELECT count(*) FROM t"), "1");
  for (int i = 2; i <= 4; i++) {
    ASSERT_EQ(Exec(writer, "INSERT INTO t VALUES (" + std::to_string(i) + ")"), SQLITE_OK);
    EXPECT_EQ(test::QueryText(reader, "SELECT count(*) FROM t"), std::to_string(i));
    EXPECT_EQ(test::QueryText(reader, "PRAGMA cloudlite_version"),
              test::QueryText(writer, "PRAGMA cloudlite_version"));
  }
}

TEST_F(VfsTest, TransactionsLargerThanThePageCacheSpillAndCommitWhole) {
  sqlite3* db = Open();
  ASSERT_EQ(Exec(db,
                 "PRAGMA cache_size=10; CREATE TABLE t (x, y);"
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<20000)"
                 "INSERT INTO t SELECT i, randomblob(100) FROM n;"),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3* other = Open();
  EXPECT_EQ(test::QueryText(other, "SELECT count(*) FROM t"), "20000");
  EXPECT_EQ(test::QueryText(other, "PRAGMA integrity_check"), "ok");
}

TEST_F(VfsTest, VacuumAndAPageSizeChangeKeepTheData) {
  sqlite3* db = Open();
  ASSERT_EQ(Exec(db,
                 "CREATE TABLE t (x);"
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<5000)"
                 "INSERT INTO t SELECT randomblob(50) FROM n; DELETE FROM t WHERE rowid % 2;"),
            SQLITE_OK);
  std::string pages_before = test::QueryText(db, "PRAGMA page_count");
  ASSERT_EQ(Exec(db, "VACUUM"), SQLITE_OK) << sqlite3_errmsg(db);
  EXPECT_LT(std::stoi(test::QueryText(db, "PRAGMA page_count")), std::stoi(pages_before));
  ASSERT_EQ(Exec(db, "PRAGMA page_size=8192; VACUUM;"), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3* other = Open();
  // A fresh connection learns the page size of the latest version in its first transaction
  // (at open, SQLite reads the header of the version the engine loaded: its checkpoint).
  EXPECT_EQ(test::QueryText(other, "SELECT count(*) FROM t"), "2500");
  EXPECT_EQ(test::QueryText(other, "PRAGMA page_size"), "8192");
  EXPECT_EQ(test::QueryText(other, "PRAGMA integrity_check"), "ok");
}

TEST_F(VfsTest, TempTablesAndSortsUseLocalScratch) {
  sqlite3* db = Open();
  ASSERT_EQ(Exec(db,
                 "PRAGMA temp_store=FILE; CREATE TEMP TABLE scratch (x);"
                 "INSERT INTO scratch VALUES (3), (1), (2);"
                 "CREATE TABLE t AS SELECT x FROM scratch ORDER BY x;"),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  EXPECT_EQ(test::QueryText(Open(), "SELECT group_concat(x) FROM t"), "1,2,3");
}

// Attached databases commit one transaction each: one that writes both is refused (SQLite
// would commit them one after another; see the next test), and commits neither.
TEST_F(VfsTest, AttachedDatabasesCommitOneTransactionEach) {
  sqlite3* db = Open("left");
  std::string attach = "ATTACH 'file:right?vfs=cloudlite&store=" + store_ + "' AS r";
  ASSERT_EQ(Exec(db, attach), SQLITE_OK) << sqlite3_errmsg(db);
  EXPECT_EQ(Exec(db,
                 "BEGIN; CREATE TABLE main.a (x); CREATE TABLE r.b (y);"
                 "INSERT INTO a VALUES (1); INSERT INTO b VALUES (2); COMMIT;"),
            SQLITE_READONLY);
  ASSERT_EQ(Exec(db, "ROLLBACK"), SQLITE_OK);
  EXPECT_EQ(test::QueryText(Open("left"), "SELECT count(*) FROM sqlite_schema"), "0");
  ASSERT_EQ(Exec(db,
                 "BEGIN; CREATE TABLE main.a (x); INSERT INTO a VALUES (1); COMMIT;"
                 "BEGIN; CREATE TABLE r.b (y); INSERT INTO b VALUES (2); COMMIT;"),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  EXPECT_EQ(test::QueryText(Open("left"), "SELECT x FROM a"), "1");
  EXPECT_EQ(test::QueryText(Open("right"), "SELECT y FROM b"), "2");
}

TEST_F(VfsTest, ALostRaceIsBusyAndTheNextTransactionSeesTheWinner) {
  sqlite3* a = Open();
  sqlite3* b = Open();
  ASSERT_EQ(Exec(a, "CREATE TABLE t (x); INSERT INTO t VALUES (0);"), SQLITE_OK);
  ASSERT_EQ(Exec(b, "BEGIN IMMEDIATE; UPDATE t SET x = x + 1;"), SQLITE_OK);
  ASSERT_EQ(Exec(a, "UPDATE t SET x = x + 10"), SQLITE_OK);  // wins version 3
  EXPECT_EQ(Exec(b, "COMMIT"), SQLITE_BUSY);
  EXPECT_TRUE(LastError(b).IsBusy()) << LastError(b).ToString();
  if (!sqlite3_get_autocommit(b)) Exec(b, "ROLLBACK");
  EXPECT_EQ(test::QueryText(b, "SELECT x FROM t"), "10");
  ASSERT_EQ(Exec(b, "UPDATE t SET x = x + 1"), SQLITE_OK);
  EXPECT_EQ(test::QueryText(a, "SELECT x FROM t"), "11");
}

// Regression: the loser's rolled-back commit wrote change counter 1, the same counter the
// winner's version 1 shows, and SQLite kept the loser's stale idea of the file ("file is not a
// database").
TEST_F(VfsTest, ALostRaceOnANewDatabaseThenReadsTheWinnersData) {
  sqlite3* a = Open();
  sqlite3* b = Open();
  ASSERT_EQ(Exec(b, "BEGIN IMMEDIATE; CREATE TABLE t (x); INSERT INTO t VALUES (2);"), SQLITE_OK);
  ASSERT_EQ(Exec(a, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK);
  EXPECT_EQ(Exec(b, "COMMIT"), SQLITE_BUSY);
  if (!sqlite3_get_autocommit(b)) Exec(b, "ROLLBACK");
  EXPECT_EQ(test::QueryText(b, "SELECT group_concat(x) FROM t"), "1") << sqlite3_errmsg(b);
  ASSERT_EQ(Exec(b, "INSERT INTO t VALUES (3)"), SQLITE_OK) << sqlite3_errmsg(b);
  EXPECT_EQ(test::QueryText(a, "SELECT group_concat(x) FROM t"), "1,3");
}

// The plain VFS moves a transaction that lost the race onto the winner's version when they
// touched different pages, and SQLite sees an ordinary commit; sharing a page is SQLITE_BUSY.
TEST_F(VfsTest, ALostRaceOnOtherPagesCommitsOnTheWinnersVersion) {
  sqlite3* setup = Open();
  ASSERT_EQ(Exec(setup,
                 "CREATE TABLE t (id INTEGER PRIMARY KEY, n, pad);"
                 "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 240) "
                 "INSERT INTO t SELECT i, 0, zeroblob(600) FROM k;"),
            SQLITE_OK);
  sqlite3* a = Open();  // fresh connections: nothing cached from the setup
  sqlite3* b = Open();
  ASSERT_EQ(Exec(a, "BEGIN IMMEDIATE; UPDATE t SET n = 1 WHERE id = 1;"), SQLITE_OK);
  ASSERT_EQ(Exec(b, "UPDATE t SET n = 2 WHERE id = 200"), SQLITE_OK);
  ASSERT_EQ(Exec(a, "COMMIT"), SQLITE_OK) << LastError(a).ToString();
  EXPECT_EQ(test::QueryText(b, "SELECT group_concat(n) FROM t WHERE id IN (1, 200)"), "1,2");
  EXPECT_EQ(test::QueryText(a, "SELECT group_concat(n) FROM t WHERE id IN (1, 200)"), "1,2");
  EXPECT_EQ(test::QueryText(a, "PRAGMA integrity_check"), "ok");

  ASSERT_EQ(Exec(a, "BEGIN IMMEDIATE; UPDATE t SET n = 3 WHERE id = 1;"), SQLITE_OK);
  ASSERT_EQ(Exec(b, "UPDATE t SET n = 4 WHERE id = 2"), SQLITE_OK);  // a's leaf
  EXPECT_EQ(Exec(a, "COMMIT"), SQLITE_BUSY);
  if (!sqlite3_get_autocommit(a)) Exec(a, "ROLLBACK");
  EXPECT_EQ(test::QueryText(a, "SELECT group_concat(n) FROM t WHERE id IN (1, 2)"), "1,4");
}

// With the writer lease (on by default for the plain VFS), a second writer waits for the first
// to finish instead of committing under it; when it finds its snapshot stale after the wait,
// SQLite's busy handler starts it over on the newer version.
TEST_F(VfsTest, TheWriterLeaseMakesWritersTakeTurns) {
  sqlite3* a = Open();
  sqlite3* b = Open();
  ASSERT_EQ(Exec(a, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK);
  sqlite3_busy_timeout(b, 10000);
  ASSERT_EQ(Exec(a, "BEGIN IMMEDIATE; UPDATE t SET x = x * 10;"), SQLITE_OK);  // holds the lease
  int b_rc = -1;
  std::thread other([&] { b_rc = Exec(b, "UPDATE t SET x = x + 1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Exec(a, "COMMIT"), SQLITE_OK) << LastError(a).ToString();  // b did not get in first
  other.join();
  EXPECT_EQ(b_rc, SQLITE_OK) << LastError(b).ToString();
  EXPECT_EQ(test::QueryText(a, "SELECT x FROM t"), "11");
}

TEST_F(VfsTest, WithoutTheLeaseTheSecondWriterWinsTheRace) {
  sqlite3* a = Open("nolease", "&lease=off");
  sqlite3* b = Open("nolease", "&lease=off");
  ASSERT_EQ(Exec(a, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK);
  ASSERT_EQ(Exec(a, "BEGIN IMMEDIATE; UPDATE t SET x = x * 10;"), SQLITE_OK);
  ASSERT_EQ(Exec(b, "UPDATE t SET x = x + 1"), SQLITE_OK);
  EXPECT_EQ(Exec(a, "COMMIT"), SQLITE_BUSY);
  if (!sqlite3_get_autocommit(a)) Exec(a, "ROLLBACK");
  EXPECT_EQ(test::QueryText(a, "SELECT x FROM t"), "2");
}

TEST_F(VfsTest, WalAndExclusiveLockingAreRefusedWithAReason) {
  sqlite3* db = Open();
  char* error = nullptr;
  EXPECT_NE(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, &error), SQLITE_OK);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error).find("WAL"), std::string::npos);
  sqlite3_free(error);
  EXPECT_NE(Exec(db, "PRAGMA locking_mode=EXCLUSIVE"), SQLITE_OK);
}

TEST_F(VfsTest, MissingStoreIsAClearOpenError) {
  sqlite3* db = nullptr;
  const char* saved = std::getenv("CLOUDLITE_STORE");
  ASSERT_EQ(saved, nullptr) << "the test expects CLOUDLITE_STORE unset";
  EXPECT_EQ(sqlite3_open_v2("file:x?vfs=cloudlite", &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr),
            SQLITE_CANTOPEN);
  sqlite3_close(db);
  EXPECT_NE(LastOpenError().message().find("CLOUDLITE_STORE"), std::string::npos);
}

// Issue 11, item 11: every malformed or unknown parameter fails the open, naming it; valid
// ones open.
TEST_F(VfsTest, UnknownOrMalformedParametersFailTheOpenNamingThem) {
  for (std::string bad :
       {"cache_size=abc", "cache_size=-5", "max_staleness_ms=-1", "lease_wait_ms=abc",
        "max_stalenes_ms=5", "isolation=bogus", "lease=maybe", "cache_dir=", "cache_max_bytes=-1",
        "cache_max_bytes=1x"}) {
    sqlite3* db = nullptr;
    std::string uri = "file:db?vfs=cloudlite&store=" + store_ + "&" + bad;
    EXPECT_EQ(
        sqlite3_open_v2(uri.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr),
        SQLITE_CANTOPEN)
        << bad;
    sqlite3_close(db);
    std::string name = bad.substr(0, bad.find('='));
    EXPECT_NE(LastOpenError().message().find(name), std::string::npos)
        << bad << ": " << LastOpenError().ToString();
  }
  sqlite3* db = Open(
      "db",
      "&cache_size=1048576&cache_max_bytes=1048576&max_staleness_ms=10&isolation=snapshot&lease=off"
      "&lease_wait_ms=100&mode=rwc&psow=1");
  EXPECT_EQ(Exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"), SQLITE_OK)
      << sqlite3_errmsg(db);
}

TEST_F(VfsTest, AMalformedEnvironmentVariableFailsTheOpenNamingIt) {
  ASSERT_EQ(std::getenv("CLOUDLITE_CACHE_SIZE"), nullptr);
  setenv("CLOUDLITE_CACHE_SIZE", "-5", 1);
  sqlite3* db = nullptr;
  std::string uri = "file:db?vfs=cloudlite&store=" + store_;
  int rc = sqlite3_open_v2(uri.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
  unsetenv("CLOUDLITE_CACHE_SIZE");
  sqlite3_close(db);
  EXPECT_EQ(rc, SQLITE_CANTOPEN);
  EXPECT_NE(LastOpenError().message().find("CLOUDLITE_CACHE_SIZE=-5"), std::string::npos)
      << LastOpenError().ToString();
}

// Issue 11, item 5: immutable=1 made SQLite read without locks, so the connection never looked
// for newer versions and served the version it opened for ever; nolock=1 likewise.
TEST_F(VfsTest, ImmutableAndNolockAreRefusedWithAReason) {
  ASSERT_EQ(Exec(Open(), "CREATE TABLE t (x)"), SQLITE_OK);
  for (std::string param : {"immutable", "nolock"}) {
    sqlite3* db = nullptr;
    std::string uri = "file:db?vfs=cloudlite&store=" + store_ + "&" + param + "=1";
    EXPECT_EQ(sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr),
              SQLITE_CANTOPEN);
    sqlite3_close(db);
    EXPECT_NE(LastOpenError().message().find(param + "=1 is not supported"), std::string::npos)
        << LastOpenError().ToString();
  }
}

// Issue 11, item 3: SQLite commits a transaction's databases one after another. Here the commit
// of `right` would lose a race (another writer committed there), and `left` would have been
// committed already. The write is refused when it reaches the second database instead, before
// anything commits; reads across both, and one database per transaction, stay allowed.
TEST_F(VfsTest, AWriteTransactionSpanningTwoCloudliteDatabasesIsRefused) {
  sqlite3* db = Open("left", "&lease=off");
  std::string attach = "ATTACH 'file:right?vfs=cloudlite&lease=off&store=" + store_ + "' AS r";
  ASSERT_EQ(Exec(db, attach), SQLITE_OK) << sqlite3_errmsg(db);
  ASSERT_EQ(Exec(db, "CREATE TABLE main.t (x)"), SQLITE_OK) << sqlite3_errmsg(db);
  ASSERT_EQ(Exec(db, "CREATE TABLE r.t (x)"), SQLITE_OK) << sqlite3_errmsg(db);
  ASSERT_EQ(Exec(db, "BEGIN; SELECT * FROM main.t, r.t; COMMIT;"), SQLITE_OK);
  ASSERT_EQ(Exec(db,
                 "BEGIN; CREATE TEMP TABLE s (x); INSERT INTO s VALUES (1);"
                 "INSERT INTO r.t SELECT x FROM s; COMMIT;"),
            SQLITE_OK)
      << "the temp database is not durable: " << sqlite3_errmsg(db);
  ASSERT_EQ(Exec(db, "DELETE FROM r.t"), SQLITE_OK);

  sqlite3* other = Open("right", "&lease=off");
  ASSERT_EQ(Exec(db, "BEGIN; INSERT INTO main.t VALUES (1);"), SQLITE_OK);
  ASSERT_EQ(Exec(other, "INSERT INTO t VALUES (99)"), SQLITE_OK);
  EXPECT_EQ(Exec(db, "INSERT INTO r.t VALUES (1)"), SQLITE_READONLY);
  Status refused = LastError(db);
  EXPECT_EQ(refused.code(), Status::Code::kNotSupported) << refused.ToString();
  EXPECT_NE(refused.message().find("cannot span cloudlite database 'right'"), std::string::npos)
      << refused.ToString();
  EXPECT_NE(test::QueryText(db, "PRAGMA r.cloudlite_last_error").find("'main'"), std::string::npos);
  ASSERT_EQ(Exec(db, "ROLLBACK"), SQLITE_OK);
  EXPECT_EQ(test::QueryText(Open("left"), "SELECT count(*) FROM t"), "0");
  EXPECT_EQ(test::QueryText(Open("right"), "SELECT group_concat(x) FROM t"), "99");
}

// The same with a local file as the main database: written first, the cloudlite database's
// first write is refused; written second, the COMMIT is (at the EXCLUSIVE lock SQLite takes on
// every database before the first one writes), and rolls back both.
TEST_F(VfsTest, AWriteTransactionSpanningALocalFileAndCloudliteIsRefused) {
  std::string local = test::MakeTempDir("local") + "/local.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(local.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr),
            SQLITE_OK);
  open_.push_back(db);
  std::string attach = "ATTACH 'file:cloud?vfs=cloudlite&lease=off&store=" + store_ + "' AS c";
  ASSERT_EQ(Exec(db, attach + "; CREATE TABLE main.t (x); CREATE TABLE c.t (x);"), SQLITE_OK)
      << sqlite3_errmsg(db);

  ASSERT_EQ(Exec(db, "BEGIN; INSERT INTO main.t VALUES (1);"), SQLITE_OK);
  EXPECT_EQ(Exec(db, "INSERT INTO c.t VALUES (1)"), SQLITE_READONLY);
  ASSERT_EQ(Exec(db, "ROLLBACK"), SQLITE_OK);

  ASSERT_EQ(Exec(db, "BEGIN; INSERT INTO c.t VALUES (2); INSERT INTO main.t VALUES (2);"),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  EXPECT_EQ(Exec(db, "COMMIT"), SQLITE_READONLY);
  EXPECT_NE(test::QueryText(db, "PRAGMA c.cloudlite_last_error").find("cannot span"),
            std::string::npos);
  if (!sqlite3_get_autocommit(db)) Exec(db, "ROLLBACK");
  EXPECT_EQ(test::QueryText(db, "SELECT count(*) FROM main.t"), "0");
  EXPECT_EQ(test::QueryText(Open("cloud"), "SELECT count(*) FROM t"), "0");
  // One database per transaction still writes both.
  EXPECT_EQ(Exec(db, "INSERT INTO c.t VALUES (3); INSERT INTO main.t VALUES (3);"), SQLITE_OK);
  EXPECT_EQ(test::QueryText(Open("cloud"), "SELECT count(*) FROM t"), "1");
}

// Before it ever lost a race a connection backs off by the 1 ms minimum, doubling per loss, and
// never waits 250 ms or more at once.
TEST_F(VfsTest, BackoffDoublesFromOneMillisecondAndStaysBelowAQuarterSecond) {
  sqlite3* db = Open();
  std::chrono::microseconds first{0}, ninth{0}, late{0};
  for (int i = 0; i < 200; i++) {
    first = std::max(first, Backoff(db, 1));
    ninth = std::max(ninth, Backoff(db, 9));
    late = std::max(late, Backoff(db, 60));
  }
  EXPECT_LT(first, std::chrono::milliseconds(1));
  EXPECT_GT(ninth, std::chrono::milliseconds(100));  // below 256 ms; 200 draws miss (0, 100] rarely
  EXPECT_LT(ninth, std::chrono::milliseconds(250));
  EXPECT_LT(late, std::chrono::milliseconds(250));
}

// A connection that lost races keeps backing off from where they left it in its next
// transactions, and each write transaction that commits halves that: after 5 losses the ceiling
// is 2^4 scales (the last lost round trip, at least 1 ms), also after a rollback; after a commit
// 2 (5 / 2); after two write transactions that wrote nothing (the loser's re-run that finds
// nothing left to do) 1 again. Compared as ratios, because the scale is a measured round trip.
TEST_F(VfsTest, BackoffRemembersRacesLostAcrossTransactionsUntilCommitsLand) {
  sqlite3* a = Open("contended", "&lease=off");
  sqlite3* b = Open("contended", "&lease=off");
  ASSERT_EQ(Exec(a, "CREATE TABLE t (x); INSERT INTO t VALUES (0);"), SQLITE_OK);
  auto longest = [&] {  // within 10% of the ceiling: 200 draws all below 90% has p = 7e-10
    double longest = 0;
    for (int i = 0; i < 200; i++) {
      longest = std::max(longest, static_cast<double>(Backoff(b, 1).count()));
    }
    return longest;
  };
  EXPECT_LT(longest(), 1000);  // no race lost yet: below the 1 ms minimum scale
  for (int i = 0; i < 5; i++) {
    ASSERT_EQ(Exec(b, "BEGIN IMMEDIATE; UPDATE t SET x = x + 1;"), SQLITE_OK);
    ASSERT_EQ(Exec(a, "UPDATE t SET x = x + 10"), SQLITE_OK);
    ASSERT_EQ(Exec(b, "COMMIT"), SQLITE_BUSY);
    if (!sqlite3_get_autocommit(b)) Exec(b, "ROLLBACK");
  }
  EXPECT_EQ(Races(b).lost, 5u);
  double after_losses = longest();
  ASSERT_EQ(Exec(b, "BEGIN IMMEDIATE; UPDATE t SET x = x + 1; ROLLBACK;"), SQLITE_OK);
  double after_rollback = longest();
  ASSERT_EQ(Exec(b, "UPDATE t SET x = x + 1"), SQLITE_OK);
  double after_commit = longest();
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(Exec(b, "BEGIN IMMEDIATE; SELECT x FROM t; COMMIT;"), SQLITE_OK);
  }
  double eased = longest();
  EXPECT_GT(after_losses / eased, 14.0);  // 16
  EXPECT_LT(after_losses / eased, 18.0);
  EXPECT_GT(after_rollback / eased, 14.0);  // rolled-back writes: no easing
  EXPECT_GT(after_commit / eased, 1.75);    // 2
  EXPECT_LT(after_commit / eased, 2.25);
  EXPECT_EQ(test::QueryText(a, "SELECT x FROM t"), "51");
}

}  // namespace
}  // namespace cloudlite::vfs
