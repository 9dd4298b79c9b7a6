// Push and pull through the public API, against file:// stores (with injected faults too).
#include "cloudlite/admin.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/random.h"
#include "cloudlite/database.h"

namespace cloudlite {
namespace {

std::string TempDir() {
  const char* base = std::getenv("CLOUDLITE_TEST_TMP");
  std::string dir = std::string(base ? base : ::testing::TempDir()) + "/admin-" + RandomHex(6);
  std::filesystem::create_directories(dir);
  return dir;
}

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
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out = text ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(stmt);
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
  std::string dir = TempDir();
  std::string local = MakeLocalDatabase(dir);
  std::string uri = "file://" + dir + "/store/db";
  uint64_t last_done = 0, last_total = 0;
  auto progress = [&](uint64_t done, uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  auto version = Push(local, uri, progress);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(last_total, std::filesystem::file_size(local));
  EXPECT_EQ(last_done, last_total);

  last_done = 0;
  ASSERT_TRUE(Pull(uri, dir + "/copy.db", progress).ok());
  EXPECT_EQ(last_done, last_total);
  ExpectSameFileBesidesTheStampedHeader(local, dir + "/copy.db");

  // Commits after the push's checkpoint live in log records: the pull has the latest pages.
  auto db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
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
  std::string dir = TempDir();
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
  std::string dir = TempDir();
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

}  // namespace
}  // namespace cloudlite
