// The public library against real stores: file:// across processes, mem:// within one.
#include "cloudlite/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "base/random.h"
#include "cloudlite/admin.h"
#include "store/registry.h"
#include "store/uri.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

std::string TempStore() { return "file://" + test::MakeTempDir("db"); }

int64_t Int(const Rows& rows) { return std::get<int64_t>(rows.rows.at(0).at(0)); }

Result<int64_t> QueryInt(Database& db, const std::string& sql) {
  int64_t out = 0;
  Status s = db.View([&](Connection& c) {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query(sql));
    out = Int(rows);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

TEST(DatabaseTest, UpdateThenViewOnAFreshHandle) {
  std::string uri = "mem://db-test-" + RandomHex(4) + "/app";
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  ASSERT_TRUE((*db)
                  ->Update([](Connection& c) {
                    return c.Exec(
                        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                        "INSERT INTO t (v) VALUES ('a'), ('b');");
                  })
                  .ok());
  auto other = Database::Open(uri);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*QueryInt(**other, "SELECT count(*) FROM t"), 2);
  auto info = (*other)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 1u);
  EXPECT_EQ(info->page_size, 4096u);
}

// SQLite reads the schema of a fresh connection in a read transaction of its own, then runs the
// query in another: inside one View only the first probes (docs/vfs.md, "What happens
// underneath"). A view that begins after another connection's commit still sees it.
TEST(DatabaseTest, AViewProbesOnceHoweverManyReadTransactionsSqliteStarts) {
  const std::string uri = TempStore() + "/app";
  auto writer = Database::Open(uri);
  ASSERT_OK(writer);
  ASSERT_TRUE((*writer)
                  ->Update([](Connection& c) {
                    return c.Exec(
                        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
                        "INSERT INTO t VALUES (1, 10);");
                  })
                  .ok());
  auto reader = Database::Open(uri);
  ASSERT_OK(reader);
  StoreStats& stats = ProcessStoreStats();
  const uint64_t gets = stats.get, lists = stats.list;
  EXPECT_EQ(*QueryInt(**reader, "SELECT v FROM t WHERE id = 1"), 10);
  // The probe of log/2 (absent); the pages come from the process's frame cache.
  EXPECT_EQ(stats.get - gets, 1u);
  EXPECT_EQ(stats.list - lists, 0u);
  ASSERT_TRUE((*writer)->Update([](Connection& c) { return c.Exec("UPDATE t SET v = 11"); }).ok());
  EXPECT_EQ(*QueryInt(**reader, "SELECT v FROM t WHERE id = 1"), 11);
}

TEST(DatabaseTest, VersionIsWhatTheLastTransactionCommittedOrRead) {
  std::string uri = "mem://db-test-" + RandomHex(4) + "/app";
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  EXPECT_EQ((*db)->version(), 0u);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }));
  EXPECT_EQ((*db)->version(), 1u);
  auto other = Database::Open(uri);
  ASSERT_OK(other);
  ASSERT_OK((*other)->Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); }));
  EXPECT_EQ((*other)->version(), 2u);
  EXPECT_EQ((*db)->version(), 1u);  // has not looked since
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ((*db)->version(), 2u);
}

TEST(DatabaseTest, AFailingFunctionRollsBackAndReturnsItsStatus) {
  auto db = Database::Open("mem://db-test-" + RandomHex(4) + "/app");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }).ok());
  Status s = (*db)->Update([](Connection& c) {
    CL_RETURN_IF_ERROR(c.Exec("INSERT INTO t VALUES (1)"));
    return Status::InvalidArgument("changed my mind");
  });
  EXPECT_EQ(s.message(), "changed my mind");
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 0);
  EXPECT_FALSE(
      (*db)->Update([](Connection& c) { return c.Exec("INSERT INTO nope VALUES (1)"); }).ok());
}

// on_durable is called once per committed Update, when the commit is in the store: another
// connection already reads it there, before Update returns. Across a lost race too; never when
// nothing commits.
TEST(DatabaseTest, OnDurableIsCalledOnceTheCommitIsInTheStore) {
  const std::string uri = TempStore() + "/app";
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  auto other = Database::Open(uri);
  ASSERT_OK(other);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }));
  std::vector<uint64_t> calls;
  int64_t seen_elsewhere = -1;
  auto on_durable = [&](uint64_t version) {
    calls.push_back(version);
    Result<int64_t> count = QueryInt(**other, "SELECT count(*) FROM t");
    seen_elsewhere = count.ok() ? *count : -1;
  };
  auto insert = [](Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); };
  ASSERT_OK((*db)->Update(insert, on_durable));
  EXPECT_EQ(calls, std::vector<uint64_t>{2});
  EXPECT_EQ(seen_elsewhere, 1);

  // A lost race: `other` commits first; the rows move onto its version and commit once.
  ASSERT_OK((*other)->Update(insert));
  calls.clear();
  ASSERT_OK((*db)->Update(insert, on_durable));
  EXPECT_EQ(calls, std::vector<uint64_t>{4});
  EXPECT_EQ((*db)->version(), 4u);
  EXPECT_EQ(seen_elsewhere, 3);

  // A lost race whose pages move onto the newer version within the COMMIT: called once, for
  // the attempt that landed.
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE u (x)"); }));
  ASSERT_OK((*other)->Update(insert));
  calls.clear();
  ASSERT_OK(
      (*db)->Update([](Connection& c) { return c.Exec("INSERT INTO u VALUES (1)"); }, on_durable));
  EXPECT_EQ(calls, std::vector<uint64_t>{7});
  EXPECT_EQ((*db)->version(), 7u);
  EXPECT_EQ(seen_elsewhere, 4);

  calls.clear();
  EXPECT_FALSE((*db)
                   ->Update(
                       [](Connection& c) {
                         CL_RETURN_IF_ERROR(c.Exec("INSERT INTO t VALUES (1)"));
                         return Status::InvalidArgument("changed my mind");
                       },
                       on_durable)
                   .ok());
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Query("SELECT 1").status(); }, on_durable));
  EXPECT_TRUE(calls.empty());
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 4);
}

// A connection whose Updates skip the freshness probe (as a server's group commit does) and
// whose map rests on an older checkpoint than another connection's newest makes no checkpoint
// from it: it must re-sync first, or the database is never checkpointed again and every opening
// reads the whole log since (docs/design.md, "A writer behind another's checkpoint re-syncs at
// once"). 64 commits per checkpoint.
TEST(DatabaseTest, AWriterBehindAnotherConnectionsCheckpointCheckpointsAgain) {
  const std::string root = TempStore();
  auto uri = Uri::Parse(root);
  ASSERT_OK(uri);
  auto store = OpenStore(*uri, /*create=*/true);
  ASSERT_OK(store);
  auto checkpoints = [&] {
    std::vector<std::string> keys;
    Result<ListPage> page = (*store)->List("app/ckpt/", "", 1000);
    if (page.ok()) keys = page->keys;
    return keys;
  };
  auto first = Database::Open(root + "/app");
  ASSERT_OK(first);
  ASSERT_OK((*first)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }));
  auto second = Database::Open(root + "/app");  // its map on no checkpoint
  ASSERT_OK(second);
  auto insert = [](Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); };
  for (int v = 2; v <= 64; v++) ASSERT_OK((*first)->Update(insert));
  // The checkpoint of version 64 is written in the background.
  for (int i = 0; i < 3000 && checkpoints().empty(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(checkpoints().size(), 1u);
  ASSERT_EQ(*QueryInt(**second, "SELECT count(*) FROM t"), 63);  // at version 64
  for (int v = 65; v <= 192; v++) ASSERT_OK((*second)->Update(insert));
  first->reset();
  second->reset();  // closing finishes a checkpoint in flight
  const std::vector<std::string> made = checkpoints();
  ASSERT_FALSE(made.empty());
  EXPECT_EQ(made.back().substr(made.back().rfind('/') + 1), "00000000000000000192") << made.back();
}

// The statements every Update and View runs// The statements every Update and View runs (BEGIN,
// COMMIT, a group commit's SAVEPOINT and RELEASE) are prepared once per Database, not on every
// call; a PRAGMA (cloudlite's are answered while being prepared), a script of several statements
// and a long text are not kept.
TEST(DatabaseTest, TransactionControlIsPreparedOnceAndPragmasNever) {
  auto db = Database::Open("mem://db-test-" + RandomHex(4) + "/app");
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }));
  for (int i = 0; i < 3; i++) {
    ASSERT_OK((*db)->Update([&](Connection& c) {
      CL_RETURN_IF_ERROR(c.Exec("SAVEPOINT request"));
      CL_RETURN_IF_ERROR(c.Exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"));
      CL_RETURN_IF_ERROR(c.Exec("PRAGMA cloudlite_min_version = 1"));
      CL_RETURN_IF_ERROR(c.Exec("SELECT '" + std::string(2000, 'x') + "'"));  // a long one-off
      return c.Exec("RELEASE request");
    }));
    ASSERT_OK(QueryInt(**db, "SELECT count(*) FROM t"));
  }
  std::map<std::string, int> kept;
  for (sqlite3_stmt* s = sqlite3_next_stmt((*db)->handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt((*db)->handle(), s)) {
    kept[sqlite3_sql(s)]++;
  }
  EXPECT_EQ(kept, (std::map<std::string, int>{{"BEGIN", 1},
                                              {"BEGIN IMMEDIATE", 1},
                                              {"COMMIT", 1},
                                              // Update's own, kept by its SchemaFacts
                                              {"PRAGMA main.schema_version", 1},
                                              {"SELECT name, pk, hidden FROM pragma_table_xinfo("
                                               "?1, 'main') ORDER BY cid",
                                               1},
                                              {"SAVEPOINT request", 1},
                                              {"RELEASE request", 1},
                                              {"ROLLBACK", 1},
                                              {"SELECT count(*) FROM t", 1}}));
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 6);
}

// A progress handler set with SetProgressHandler is called inside Update (chained to the one
// Update watches its transaction with) and is still there afterwards; one set directly on the
// handle is not (what the SQL server used to work around).
TEST(DatabaseTest, UpdateKeepsTheCallersProgressHandler) {
  auto db = Database::Open("mem://db-test-" + RandomHex(4) + "/app");
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }));
  struct Calls {
    int count = 0;
    bool interrupt = false;
  } calls;
  auto handler = [](void* arg) {
    auto* c = static_cast<Calls*>(arg);
    c->count++;
    return c->interrupt ? 1 : 0;
  };
  (*db)->SetProgressHandler(100, handler, &calls);
  const std::string many =
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) ";
  ASSERT_OK((*db)->Update(
      [&](Connection& c) { return c.Exec("INSERT INTO t " + many + "SELECT i FROM c"); }));
  EXPECT_GT(calls.count, 0);  // called inside Update
  calls.count = 0;
  ASSERT_OK(QueryInt(**db, many + "SELECT count(*) FROM c"));
  EXPECT_GT(calls.count, 0);  // and still installed after it
  // Its verdict counts inside Update: the statement is interrupted and nothing is written.
  calls.interrupt = true;
  Status s = (*db)->Update(
      [&](Connection& c) { return c.Exec("INSERT INTO t " + many + "SELECT i FROM c"); });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("interrupt"), std::string::npos) << s.ToString();
  (*db)->SetProgressHandler(0, nullptr, nullptr);
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 20000);
  calls.count = 0;
  ASSERT_OK((*db)->Update([&](Connection& c) { return c.Exec("DELETE FROM t"); }));
  EXPECT_EQ(calls.count, 0);  // removed
}

TEST(DatabaseTest, MissingDatabaseWithoutCreateIsNotFound) {
  Options options;
  options.create_if_missing = false;
  auto db = Database::Open(TempStore() + "/absent", options);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsNotFound()) << db.status().ToString();
}

TEST(DatabaseTest, WalModeIsRefusedClearly) {
  auto db = Database::Open("mem://db-test-" + RandomHex(4) + "/app");
  ASSERT_TRUE(db.ok());
  Status s = Connection((*db)->handle()).Exec("PRAGMA journal_mode=WAL");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("WAL"), std::string::npos);
}

Options CounterMigrations() {
  Options options;
  options.max_attempts = 1000;
  options.migrations = {{1, "counter", [](Connection& c) {
                           return c.Exec(
                               "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER);"
                               "INSERT INTO counter VALUES (1, 0);");
                         }}};
  return options;
}

// A page size set in Options shapes the database Open creates, before its migrations write the
// first page; a database that has pages keeps its own, whatever a later Open asks.
TEST(DatabaseTest, ANewDatabaseTakesThePageSizeOfItsOptions) {
  const std::string uri = "mem://db-test-" + RandomHex(4) + "/paged";
  Options options = CounterMigrations();
  options.page_size = 8192;
  {
    auto db = Database::Open(uri, options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(*QueryInt(**db, "PRAGMA page_size"), 8192);
  }
  options.page_size = 16384;
  auto again = Database::Open(uri, options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*QueryInt(**again, "PRAGMA page_size"), 8192);
  EXPECT_EQ(*QueryInt(**again, "SELECT n FROM counter"), 0);

  options.page_size = 1000;  // SQLite would ignore it without a word
  auto odd = Database::Open("mem://db-test-" + RandomHex(4) + "/odd", options);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), Status::Code::kInvalidArgument) << odd.status().ToString();
  EXPECT_NE(odd.status().message().find("power of two"), std::string::npos);
}

// Runs `body` in `n` forked processes and expects each to exit 0.
void InChildren(int n, const std::function<int(int)>& body) {
  std::vector<pid_t> children;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(body(i));
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
}

TEST(DatabaseTest, TwoProcessesIncrementingOneCounterEndAtExactlyTheirSum) {
  std::string uri = TempStore() + "/counter";
  constexpr int kPerProcess = 500;
  InChildren(2, [&](int) {
    auto db = Database::Open(uri, CounterMigrations());
    if (!db.ok()) {
      fprintf(stderr, "open failed: %s\n", db.status().ToString().c_str());
      return 10;
    }
    for (int i = 0; i < kPerProcess; i++) {
      Status s = (*db)->Update(
          [](Connection& c) { return c.Exec("UPDATE counter SET n = n + 1 WHERE id = 1"); });
      if (!s.ok()) {
        fprintf(stderr, "increment failed: %s\n", s.ToString().c_str());
        return 11;
      }
    }
    return 0;
  });
  auto db = Database::Open(uri, CounterMigrations());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*QueryInt(**db, "SELECT n FROM counter"), 2 * kPerProcess);
  // Migrations ran exactly once although two processes raced to apply them.
  EXPECT_EQ(*QueryInt(**db, "PRAGMA user_version"), 1);
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM counter"), 1);
}

TEST(DatabaseTest, ManyConcurrentOpenersApplyEachMigrationOnce) {
  std::string uri = TempStore() + "/migrate";
  InChildren(4, [&](int) {
    Options options;
    options.max_attempts = 100;
    options.migrations = {
        {1, "t", [](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }},
        {2, "row", [](Connection& c) { return c.Exec("INSERT INTO t VALUES ('once')"); }}};
    auto db = Database::Open(uri, options);
    if (!db.ok()) fprintf(stderr, "open failed: %s\n", db.status().ToString().c_str());
    return db.ok() ? 0 : 1;
  });
  auto db = Database::Open(uri);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 1);
}

TEST(DatabaseTest, CorruptedObjectIsAnErrorNamingTheKeyNeverWrongRows) {
  std::string store = TempStore();
  std::string uri = store + "/corrupt";
  {
    auto db = Database::Open(uri);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Update([](Connection& c) {
                      return c.Exec("CREATE TABLE t (x); INSERT INTO t VALUES (42);");
                    })
                    .ok());
  }
  // Damage every stored file of the database.
  std::string dir = store.substr(strlen("file://"));
  int damaged = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path();
    FILE* f = fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    fseek(f, 40, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
    damaged++;
  }
  ASSERT_GT(damaged, 0);
  auto db = Database::Open(uri);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
  EXPECT_NE(db.status().message().find("corrupt/log/"), std::string::npos);
}

// Issue 11, item 8: SQLite reads page 1 while it opens the database. Damage in the frame that
// holds it, or a missing or empty segment, used to fail the open with a bare "database disk
// image is malformed" (an I/O error, CLI exit 5). It is Corruption naming the key.
TEST(DatabaseTest, DamagedFirstSegmentIsCorruptionNamingTheKeyWhileOpening) {
  std::string store = TempStore();
  std::string dir = store.substr(strlen("file://"));
  std::string local = dir + "/local.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(local.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  enum class Damage { kFlipByte, kEmpty, kMissing };
  for (Damage damage : {Damage::kFlipByte, Damage::kEmpty, Damage::kMissing}) {
    std::string uri = store + "/pushed" + std::to_string(static_cast<int>(damage));
    ASSERT_TRUE(Push(local, uri).ok());
    std::string segment;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      std::string path = entry.path();
      if (path.find(uri.substr(uri.rfind('/') + 1) + "%2F/seg%2F/") != std::string::npos) {
        segment = path;
      }
    }
    ASSERT_FALSE(segment.empty());
    if (damage == Damage::kFlipByte) {
      FILE* f = fopen(segment.c_str(), "r+b");
      ASSERT_NE(f, nullptr);
      fseek(f, 50, SEEK_SET);  // inside the first frame (frames start at 36)
      int c = fgetc(f);
      fseek(f, 50, SEEK_SET);
      fputc(c ^ 0x5a, f);
      fclose(f);
    } else if (damage == Damage::kEmpty) {
      std::filesystem::resize_file(segment, 0);
    } else {
      std::filesystem::remove(segment);
    }
    auto db = Database::Open(uri);
    ASSERT_FALSE(db.ok());
    EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
    EXPECT_NE(db.status().message().find("/seg/"), std::string::npos) << db.status().ToString();
  }
}

// Issue 11, item 11: a database URI's options reach the VFS typed; a malformed or unknown
// parameter is refused naming it, before anything is created.
TEST(DatabaseTest, OptionParametersInTheUriAreCheckedAndApplied) {
  std::string store = TempStore();
  for (std::string bad : {"cache_size=abc", "cache_size=-5", "max_staleness_ms=-1",
                          "max_stalenes_ms=5", "isolation=bogus", "lease=on", "lease_wait_ms=1"}) {
    auto db = Database::Open(store + "/absent?" + bad);
    ASSERT_FALSE(db.ok()) << bad;
    EXPECT_EQ(db.status().code(), Status::Code::kInvalidArgument) << db.status().ToString();
    EXPECT_NE(db.status().message().find(bad.substr(0, bad.find('='))), std::string::npos)
        << db.status().ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(store.substr(strlen("file://")) + "/absent%2F"));
  std::string cache = store.substr(strlen("file://")) + "/cache";
  auto db = Database::Open(store +
                           "/app?cache_size=67108864&max_staleness_ms=5&isolation=snapshot"
                           "&cache_dir=" +
                           cache);
  ASSERT_OK(db);
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }).ok());
  auto fresh = Database::Open(store + "/app?cache_dir=" + cache);
  ASSERT_OK(fresh);
  EXPECT_EQ(*QueryInt(**fresh, "SELECT count(*) FROM t"), 0);
  EXPECT_TRUE(std::filesystem::exists(cache)) << "cache_dir reached the engine";
}

TEST(DatabaseTest, PushedFileWithAnOldChangeCounterIsNotMistakenForCachedPages) {
  std::string store = TempStore();
  std::string uri = store + "/pushed";
  auto db = Database::Open(uri);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)
                  ->Update([](Connection& c) {
                    return c.Exec("CREATE TABLE t (x); INSERT INTO t VALUES ('before');");
                  })
                  .ok());
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 1);
  // A local file made by plain SQLite, with its own change counter, replaces the database.
  std::string local = store.substr(strlen("file://")) + "/local.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(local.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  ASSERT_TRUE(Push(local, uri).ok());
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM t"), 3);
}

}  // namespace
}  // namespace cloudlite
