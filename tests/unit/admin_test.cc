// Push and pull through the public API, against file:// stores (with injected faults too).
#include "cloudlite/admin.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloudlite/database.h"
#include "testing/sqlite.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void Sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::string SqlText(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string out = test::QueryText(db, sql);
  sqlite3_close(db);
  return out;
}

// A few MiB of rows that do not compress to nothing, so a push makes many frames.
std::string MakeLocalDatabase(const std::string& dir) {
  std::string path = dir + "/local.db";
  Sql(path,
      "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB, s TEXT);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
      "INSERT INTO t SELECT i, randomblob(300), printf('row %d %s', i, hex(randomblob(100))) "
      "FROM n;");
  return path;
}

constexpr const char* kDigest =
    "SELECT count(*) || ':' || sum(length(b)) || ':' || hex(max(b)) || ':' || max(s) FROM t";

// The header's change counter and size fields are the store's; everything else must match.
void ExpectSameFileBesidesTheStampedHeader(const std::string& a, const std::string& b) {
  std::string x = ReadFile(a), y = ReadFile(b);
  ASSERT_EQ(x.size(), y.size());
  ASSERT_GT(x.size(), 100u);
  EXPECT_EQ(x.substr(0, 24), y.substr(0, 24));
  EXPECT_EQ(x.substr(32, 92 - 32), y.substr(32, 92 - 32));
  EXPECT_TRUE(x.substr(96) == y.substr(96)) << "pages differ";
}

std::vector<std::string> LeftoverTemporaries(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.find(".cloudlite-tmp-") != std::string::npos) found.push_back(name);
  }
  return found;
}

TEST(AdminTest, PullGivesBackThePushedFileAndLaterCommits) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  uint64_t last_done = 0, last_total = 0;
  auto progress = [&](uint64_t done, uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  auto version = Push(local, uri, progress);
  ASSERT_OK(version);
  EXPECT_EQ(last_total, std::filesystem::file_size(local));
  EXPECT_EQ(last_done, last_total);

  last_done = 0;
  ASSERT_TRUE(Pull(uri, dir + "/copy.db", progress).ok());
  EXPECT_EQ(last_done, last_total);
  ExpectSameFileBesidesTheStampedHeader(local, dir + "/copy.db");

  // Commits after the push's checkpoint live in log records: the pull has the latest pages.
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  const char* change =
      "UPDATE t SET s = 'changed ' || id WHERE id % 7 = 0;"
      "DELETE FROM t WHERE id BETWEEN 100 AND 400;"
      "INSERT INTO t SELECT id + 10000, b, s FROM t WHERE id < 50;";
  ASSERT_TRUE((*db)->Update([&](Connection& c) { return c.Exec(change); }).ok());
  ASSERT_TRUE((*db)
                  ->Update([](Connection& c) {
                    return c.Exec("UPDATE t SET b = zeroblob(10) WHERE id = 3");
                  })
                  .ok());
  Sql(local, change);
  Sql(local, "UPDATE t SET b = zeroblob(10) WHERE id = 3");
  ASSERT_TRUE(Pull(uri, dir + "/copy.db").ok());
  EXPECT_EQ(SqlText(dir + "/copy.db", "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(SqlText(dir + "/copy.db", kDigest), SqlText(local, kDigest));
  EXPECT_TRUE(LeftoverTemporaries(dir).empty());
  std::filesystem::remove_all(dir);
}

TEST(AdminTest, PullFromAFailingStoreIsAClearErrorAndLeavesNoFile) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  ASSERT_TRUE(Push(local, uri).ok());
  std::string dest = dir + "/copy.db";
  // Every ranged GET fails: the open succeeds, the transfer does not.
  Status s = Pull(uri + "?faults=error@get_range:1", dest);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("injected fault"), std::string::npos) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(dest));
  EXPECT_TRUE(LeftoverTemporaries(dir).empty());
  // One request in five fails, wherever it falls: a pull either fails with the store's error
  // and leaves the previous file untouched, or succeeds with the right bytes.
  Sql(dest, "CREATE TABLE previous (x)");
  const std::string previous = ReadFile(dest);
  int failed = 0;
  for (int seed = 1; seed <= 6; seed++) {
    std::string faulty = uri + "?faults=error:0.2&fault_seed=" + std::to_string(seed);
    Status pulled = Pull(faulty, dest);
    if (pulled.ok()) {
      ExpectSameFileBesidesTheStampedHeader(local, dest);
      std::ofstream(dest, std::ios::binary | std::ios::trunc) << previous;
    } else {
      failed++;
      EXPECT_EQ(pulled.code(), Status::Code::kUnavailable) << pulled.ToString();
      EXPECT_TRUE(ReadFile(dest) == previous) << "a failed pull changed " << dest;
    }
    EXPECT_TRUE(LeftoverTemporaries(dir).empty()) << seed;
  }
  EXPECT_GT(failed, 0);
  std::filesystem::remove_all(dir);
}

TEST(AdminTest, PushToAFailingStoreIsAClearErrorAndChangesNothing) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  ASSERT_TRUE(Push(local, uri).ok());
  Sql(local, "DELETE FROM t WHERE id > 10");
  auto pushed = Push(local, uri + "?faults=error@put:1");
  EXPECT_EQ(pushed.status().code(), Status::Code::kUnavailable) << pushed.status().ToString();
  auto info = Describe(uri);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 1u);
  ASSERT_TRUE(Pull(uri, dir + "/copy.db").ok());
  EXPECT_EQ(SqlText(dir + "/copy.db", "SELECT count(*) FROM t"), "6000");
  std::filesystem::remove_all(dir);
}

// Issue 11.6: only a regular file is replaced, links are not followed, and the mode stays.
TEST(AdminTest, PullReplacesOnlyARegularFileAndKeepsItsMode) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  ASSERT_TRUE(Push(local, uri).ok());
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0644), 0);
  std::filesystem::create_directory(dir + "/adir");
  std::filesystem::create_symlink(local, dir + "/link.db");
  const std::string before = ReadFile(local);
  for (const char* name : {"/fifo", "/adir", "/link.db"}) {
    Status s = Pull(uri, dir + name);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << name << ": " << s.ToString();
    EXPECT_NE(s.message().find("will not replace"), std::string::npos) << s.ToString();
  }
  EXPECT_TRUE(std::filesystem::is_fifo(dir + "/fifo"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/link.db"));
  EXPECT_TRUE(ReadFile(local) == before) << "pull wrote through a link";
  EXPECT_TRUE(LeftoverTemporaries(dir).empty());

  std::string dest = dir + "/private.db";
  Sql(dest, "CREATE TABLE x(y)");
  ASSERT_EQ(chmod(dest.c_str(), 0600), 0);
  ASSERT_TRUE(Pull(uri, dest).ok());
  struct stat st;
  ASSERT_EQ(stat(dest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ExpectSameFileBesidesTheStampedHeader(local, dest);
  std::filesystem::remove_all(dir);
}

// Issue 11.10: a writer holding the file makes push wait, then Busy; a hot journal is rolled
// back before the copy.
TEST(AdminTest, PushWaitsForAWriterAndRollsBackAHotJournal) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = dir + "/busy.db";
  Sql(local, "CREATE TABLE t(x); INSERT INTO t VALUES ('committed')");
  std::string uri = "file://" + dir + "/store/db";
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(local.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)", 0, 0, 0), SQLITE_OK);
  auto pushed = Push(
      local, uri, TransferOptions{.progress = {}, .busy_timeout = std::chrono::milliseconds(50)});
  EXPECT_EQ(pushed.status().code(), Status::Code::kBusy) << pushed.status().ToString();
  EXPECT_FALSE(Describe(uri).ok()) << "a busy push created the database";

  // Copy the file and its journal mid-transaction: in the copy, the journal is hot.
  ASSERT_EQ(sqlite3_exec(writer,
                         "PRAGMA cache_size=1; INSERT INTO t SELECT randomblob(2000) FROM "
                         "(WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE "
                         "i<300) SELECT i FROM c)",
                         0, 0, 0),
            SQLITE_OK);
  std::string hot = dir + "/hot.db";
  std::filesystem::copy_file(local, hot);
  std::filesystem::copy_file(local + "-journal", hot + "-journal");
  sqlite3_exec(writer, "ROLLBACK", 0, 0, 0);
  sqlite3_close(writer);
  pushed = Push(hot, uri);
  ASSERT_OK(pushed);
  EXPECT_FALSE(std::filesystem::exists(hot + "-journal"));
  ASSERT_TRUE(Pull(uri, dir + "/copy.db").ok());
  EXPECT_EQ(SqlText(dir + "/copy.db", "SELECT group_concat(x) FROM t"), "committed");
  std::filesystem::remove_all(dir);
}

// Issue 11.14: a cancelled transfer commits nothing, changes nothing and leaves no temporary;
// a temporary nobody holds (its pull was killed) goes at the next pull, a held one stays.
TEST(AdminTest, CancelledTransfersCleanUpAndAbandonedTemporariesGo) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  ASSERT_TRUE(Push(local, uri).ok());
  std::atomic<bool> cancel{true};
  Sql(local, "DELETE FROM t WHERE id > 10");
  auto pushed = Push(local, uri, TransferOptions{.progress = {}, .cancel = &cancel});
  EXPECT_NE(pushed.status().message().find("interrupted"), std::string::npos)
      << pushed.status().ToString();
  EXPECT_EQ(Describe(uri)->version, 1u);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/store")) {
    EXPECT_EQ(e.path().filename().string().find(".cl-tmp-"), std::string::npos) << e.path();
  }

  std::string dest = dir + "/copy.db";
  Sql(dest, "CREATE TABLE previous (x)");
  const std::string previous = ReadFile(dest);
  // Cancelled part way, from the progress callback, as a signal would.
  cancel = false;
  Status pulled = Pull(
      uri, dest,
      TransferOptions{.progress = [&](uint64_t, uint64_t) { cancel = true; }, .cancel = &cancel});
  EXPECT_NE(pulled.message().find("interrupted"), std::string::npos) << pulled.ToString();
  EXPECT_TRUE(ReadFile(dest) == previous);
  EXPECT_TRUE(LeftoverTemporaries(dir).empty());

  std::string abandoned = dest + ".cloudlite-tmp-0123456789ab";
  std::string held = dest + ".cloudlite-tmp-ba9876543210";
  std::ofstream(abandoned) << "partial";
  std::ofstream(held) << "in progress";
  int holder = open(held.c_str(), O_RDONLY);
  ASSERT_EQ(flock(holder, LOCK_EX), 0);
  ASSERT_TRUE(Pull(uri, dest).ok());
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  EXPECT_TRUE(std::filesystem::exists(held)) << "removed the temporary of a pull under way";
  close(holder);
  std::filesystem::remove_all(dir);
}

// Issue 11.16: a 0-byte file is an empty database; a path too long for the file system is the
// caller's mistake (InvalidArgument), not an I/O error.
TEST(AdminTest, EmptyFilesPushAndTooLongPathsAreInvalidArguments) {
  std::string dir = test::MakeTempDir("admin");
  std::string uri = "file://" + dir + "/store/db";
  std::ofstream(dir + "/empty.db").flush();
  auto pushed = Push(dir + "/empty.db", uri);
  ASSERT_OK(pushed);
  ASSERT_TRUE(Pull(uri, dir + "/copy.db").ok());
  EXPECT_EQ(std::filesystem::file_size(dir + "/copy.db"), 0u);
  Options existing;
  existing.create_if_missing = false;
  auto db = Database::Open(uri, existing);
  ASSERT_OK(db);
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t(x)"); }).ok());

  std::string long_name(300, 'n');
  EXPECT_EQ(Pull(uri, dir + "/" + long_name).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Push(dir + "/empty.db", "file://" + dir + "/" + long_name + "/db").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Push(dir + "/" + long_name, uri).status().code(), Status::Code::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

// Issue 11.15: VACUUM runs outside a transaction through the VFS, and VACUUM INTO a path
// writes a plain local file instead of asking for a store.
TEST(AdminTest, VacuumAndVacuumIntoALocalFile) {
  std::string dir = test::MakeTempDir("admin");
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  ASSERT_TRUE(Push(local, uri).ok());
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  ASSERT_TRUE(
      (*db)->Update([](Connection& c) { return c.Exec("DELETE FROM t WHERE id > 100"); }).ok());
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec((*db)->handle(), "VACUUM", nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  auto info = Describe(uri);
  ASSERT_TRUE(info.ok());
  EXPECT_LT(info->pages, std::filesystem::file_size(local) / 4096 / 2);
  std::string into = "VACUUM INTO '" + dir + "/into.db'";
  EXPECT_EQ(sqlite3_exec((*db)->handle(), into.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  EXPECT_EQ(SqlText(dir + "/into.db", "SELECT count(*) FROM t"), "100");
  EXPECT_EQ(SqlText(dir + "/into.db", "PRAGMA integrity_check"), "ok");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cloudlite
