// Incarnations, holes in the log and frames bound to their place (docs/format.md): what the
// break-it pass of issue 11 found, each as a regression test through the public API where a
// user meets it, and through the engine where only a store-level fault reaches it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "engine/engine.h"
#include "format/format.h"
#include "store/file/file_store.h"
#include "store/mem/mem_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Database> OpenOrDie(const std::string& uri, Options options = {}) {
  auto db = Database::Open(uri, std::move(options));
  EXPECT_OK(db);
  return db.ok() ? std::move(db).value() : nullptr;
}

Status Exec(Database& db, const std::string& sql) {
  return db.Update([&](Connection& c) { return c.Exec(sql); });
}

// The rows of a one-column query, joined by ",", or the error.
Result<std::string> Column(Database& db, const std::string& sql) {
  std::string out;
  CL_RETURN_IF_ERROR(db.View([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query(sql));
    for (const auto& row : rows.rows) {
      if (!out.empty()) out += ",";
      if (const auto* text = std::get_if<std::string>(&row.at(0))) out += *text;
      if (const auto* n = std::get_if<int64_t>(&row.at(0))) out += std::to_string(*n);
    }
    return Status::Ok();
  }));
  return out;
}

TEST(IncarnationTest, AConnectionOpenAcrossRmAndRecreateNeitherReadsNorWritesTheOldDatabase) {
  std::string uri = "file://" + test::MakeTempDir("incarnation") + "/d";
  auto old_db = OpenOrDie(uri);
  ASSERT_TRUE(Exec(*old_db, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('old')").ok());
  ASSERT_TRUE(Exec(*old_db, "INSERT INTO t VALUES ('old2')").ok());
  ASSERT_EQ(*Column(*old_db, "SELECT v FROM t ORDER BY v"), "old,old2");

  ASSERT_TRUE(RemoveDatabase(uri).ok());
  EXPECT_TRUE(Describe(uri).status().IsNotFound());
  auto listed = ListDatabases(uri.substr(0, uri.rfind('/')));
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << "a removed database is not listed";

  auto new_db = OpenOrDie(uri);
  ASSERT_TRUE(Exec(*new_db, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('new')").ok());

  // The old connection learns that its database is gone: no old rows, no commit on top of the
  // new database.
  Result<std::string> stale = Column(*old_db, "SELECT v FROM t");
  EXPECT_FALSE(stale.ok()) << *stale;
  Status write = Exec(*old_db, "INSERT INTO t VALUES ('lost?')");
  EXPECT_FALSE(write.ok());
  for (int i = 0; i < 3; i++) {
    ASSERT_TRUE(Exec(*new_db, "INSERT INTO t VALUES ('new" + std::to_string(i) + "')").ok());
  }
  EXPECT_FALSE(Exec(*old_db, "INSERT INTO t VALUES ('lost?')").ok());

  auto fresh = OpenOrDie(uri);
  EXPECT_EQ(*Column(*fresh, "SELECT v FROM t ORDER BY v"), "new,new0,new1,new2");
  EXPECT_EQ(*Column(*fresh, "PRAGMA integrity_check"), "ok");
  listed = ListDatabases(uri.substr(0, uri.rfind('/')));
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{"d"});
}

TEST(IncarnationTest, ADiskCacheNeverServesAnEarlierIncarnation) {
  std::string dir = test::MakeTempDir("incarnation-cache");
  std::string uri = "file://" + dir + "/d";
  Options options;
  options.cache_dir = dir + "/cache";
  {
    auto db = OpenOrDie(uri, options);
    ASSERT_TRUE(Exec(*db, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('old')").ok());
    ASSERT_EQ(*Column(*db, "SELECT v FROM t"), "old");
  }
  ASSERT_TRUE(RemoveDatabase(uri).ok());
  {  // The same statements make the same versions' keys as the first incarnation's, or later.
    auto db = OpenOrDie(uri, options);
    ASSERT_TRUE(Exec(*db, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('new')").ok());
  }
  auto db = OpenOrDie(uri, options);
  EXPECT_EQ(*Column(*db, "SELECT v FROM t"), "new");
}

TEST(IncarnationTest, RmEndsTheIncarnationFirstSoAnInterruptedRmLeavesNothingToResurrect) {
  std::string dir = test::MakeTempDir("incarnation-rm");
  std::string uri = "file://" + dir + "/d";
  {
    auto db = OpenOrDie(uri);
    ASSERT_TRUE(Exec(*db, "CREATE TABLE t (v TEXT)").ok());
    for (int i = 0; i < 5; i++) ASSERT_TRUE(Exec(*db, "INSERT INTO t VALUES ('old')").ok());
  }
  // What an rm interrupted after its END record leaves: every record, and the END above them.
  std::shared_ptr<ObjectStore> store = FileStore::Open(dir, false).value();
  auto engine = engine::Engine::Open(store, "d", {}, std::make_shared<engine::FrameCache>(1 << 20),
                                     /*create=*/false);
  ASSERT_TRUE(engine.ok());
  const uint64_t newest = (*engine)->version();
  format::Record end;
  end.end = true;
  end.version = newest + 1;
  end.db_id = (*engine)->db_id();
  end.base = (*engine)->base();
  end.prev = std::string(16, 'x');
  end.nonce = std::string(16, 'n');
  ASSERT_TRUE(
      store->PutIfAbsent(format::LogKey("d", end.version), format::EncodeRecord(end, {})).ok());
  EXPECT_TRUE(Describe(uri).status().IsNotFound());

  // Created again, the name starts after the END: none of the old keys is ever written again,
  // so the old records can never be read as part of the new database.
  auto db = OpenOrDie(uri);
  for (int i = 0; i < 8; i++) {
    ASSERT_TRUE(
        Exec(*db, i == 0 ? "CREATE TABLE t (v TEXT)" : "INSERT INTO t VALUES ('new')").ok());
  }
  EXPECT_EQ(*Column(*OpenOrDie(uri), "SELECT count(*) || v FROM t"), "7new");
  auto info = Describe(uri);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, newest + 1 + 8);
}

TEST(IncarnationTest, RmKeepsTheEndAndTheLastMinutesRecordsAndAnotherRmTakesThemLater) {
  std::string dir = test::MakeTempDir("incarnation-keep");
  std::string uri = "file://" + dir + "/d";
  {
    auto db = OpenOrDie(uri);
    ASSERT_TRUE(Exec(*db, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')").ok());
  }
  ASSERT_TRUE(RemoveDatabase(uri).ok());
  auto file_store = FileStore::Open(dir, false).value();
  FileStore& store = *file_store;
  auto left = ListAll(store, "d/");
  ASSERT_TRUE(left.ok());
  // The END record, and the commit made just now (a writer that synced a moment ago may still
  // try the slot after it, and must find it taken).
  EXPECT_EQ(*left, (std::vector<std::string>{format::LogKey("d", 1), format::LogKey("d", 2)}));
  EXPECT_TRUE(RemoveDatabase(uri).IsNotFound());  // still does not exist
}

// ---- holes -------------------------------------------------------------------------------------

// Engines of database "d" on one MemStore, sharing a frame cache.
class HoleTest : public ::testing::Test {
 protected:
  std::unique_ptr<engine::Engine> Open(const engine::EngineOptions& options = {},
                                       bool create = true) {
    auto e = engine::Engine::Open(store_, "d", options, cache_, create);
    EXPECT_OK(e);
    EXPECT_TRUE((*e)->Refresh(true).ok());
    return std::move(e).value();
  }
  static std::string Page(char c) { return std::string(4096, c); }

  std::shared_ptr<MemStore> store_ = std::make_shared<MemStore>();
  std::shared_ptr<engine::FrameCache> cache_ = std::make_shared<engine::FrameCache>(1 << 20);
};

TEST_F(HoleTest, AMissingRecordBelowTheNewestIsCorruptionNamingItNeverAnOlderVersion) {
  std::string dir = test::MakeTempDir("hole");
  std::string uri = "file://" + dir + "/d";
  {
    auto db = OpenOrDie(uri);
    ASSERT_TRUE(Exec(*db, "CREATE TABLE t (v INTEGER)").ok());
    for (int i = 0; i < 3; i++) ASSERT_TRUE(Exec(*db, "INSERT INTO t VALUES (1)").ok());
  }
  auto file_store = FileStore::Open(dir, false).value();
  FileStore& store = *file_store;
  const std::string missing = format::LogKey("d", 2);
  ASSERT_TRUE(store.Delete(std::vector<std::string>{missing}).ok());
  for (const Status& s :
       {Describe(uri).status(), Database::Open(uri).status(), Pull(uri, dir + "/copy.db")}) {
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find(missing), std::string::npos) << s.ToString();
  }
  EXPECT_FALSE(fs::exists(dir + "/copy.db"));
}

// `a` last looked at the slot after its own commit longer than relist_after ago (0 here): within
// it, a run of one writer's own commits skips the look (the next test).
TEST_F(HoleTest, AWriterNeverFillsASlotBelowAnExistingRecord) {
  engine::EngineOptions options;
  options.relist_after = std::chrono::milliseconds(0);
  auto a = Open(options);
  ASSERT_TRUE(a->Commit({{1, Page('a')}}, 4096, 1).ok());
  auto b = Open(options);
  ASSERT_TRUE(b->Commit({{1, Page('b')}}, 4096, 1).ok());
  ASSERT_TRUE(b->Commit({{1, Page('c')}}, 4096, 1).ok());
  // Version 2 disappears (deleted by hand); `a`, still at version 1, commits into the hole.
  const std::string hole = format::LogKey("d", 2);
  ASSERT_TRUE(store_->Delete(std::vector<std::string>{hole}).ok());
  Status s = a->Commit({{1, Page('z')}}, 4096, 1);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(hole), std::string::npos);
  EXPECT_TRUE(store_->Get(hole).status().IsNotFound()) << "the withdrawn record stays gone";
  // Whoever reads finds the hole, never 'z' and never version 1 as the latest.
  auto fresh = engine::Engine::Open(store_, "d", {}, cache_, /*create=*/false);
  EXPECT_TRUE(fresh.status().IsCorruption()) << fresh.status().ToString();
}

// What the window costs (docs/format.md, "Committing and holes"): within relist_after of its
// last look, a writer on its own run of commits does not look at the slot after the one it fills,
// so a record younger than that look, deleted by hand, goes unnoticed by the commit. The commit
// is then lost as if its own record had been deleted after it: readers follow the records above.
TEST_F(HoleTest, AHoleMadeInsideAWritersOwnRunLosesTheCommitThatFillsIt) {
  auto a = Open();
  ASSERT_TRUE(a->Commit({{1, Page('a')}}, 4096, 1).ok());
  auto b = Open();
  ASSERT_TRUE(b->Commit({{1, Page('b')}}, 4096, 1).ok());
  ASSERT_TRUE(b->Commit({{1, Page('c')}}, 4096, 1).ok());
  ASSERT_TRUE(store_->Delete(std::vector<std::string>{format::LogKey("d", 2)}).ok());
  ASSERT_TRUE(a->Commit({{1, Page('z')}}, 4096, 1).ok());
  auto fresh = engine::Engine::Open(store_, "d", {}, std::make_shared<engine::FrameCache>(1 << 20),
                                    /*create=*/false);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)->version(), 3u);
  std::string out(4096, '\0');
  ASSERT_TRUE((*fresh)->ReadPage(1, out.data()).ok());
  EXPECT_EQ(out, Page('c'));
}

TEST_F(HoleTest, ARecordThatDoesNotFollowTheOneBeforeItIsCorruption) {
  auto e = Open();
  const std::string page = Page('a');
  ASSERT_TRUE(e->Commit({{1, page}}, 4096, 1).ok());
  ASSERT_TRUE(e->Commit({{1, page}}, 4096, 1).ok());
  // Another process: one sharing `cache_` takes version 3 as the writer committed it, never
  // reading the replaced copy (docs/design.md, "One engine per database").
  auto reader = engine::Engine::Open(store_, "d", {}, std::make_shared<engine::FrameCache>(1 << 20),
                                     /*create=*/false)
                    .value();
  ASSERT_TRUE(reader->Refresh(true).ok());
  ASSERT_TRUE(e->Commit({{1, page}}, 4096, 1).ok());
  // Version 3 replaced by a record of the same incarnation that names another predecessor.
  const std::string key = format::LogKey("d", 3);
  auto rec = *format::DecodeRecord(*store_->Get(key), key);
  rec.prev = std::string(16, '?');
  rec.map = {};
  rec.recent = {};
  ASSERT_TRUE(store_->Put(key, format::EncodeRecord(rec, {})).ok());
  auto refreshed = reader->Refresh(true);
  ASSERT_TRUE(refreshed.status().IsCorruption()) << refreshed.status().ToString();
  EXPECT_NE(refreshed.status().message().find(key), std::string::npos);
}

TEST_F(HoleTest, AReaderThatHasNotListedForLongListsAndLearnsOfTheRm) {
  engine::EngineOptions options;
  options.relist_after = std::chrono::milliseconds(0);
  auto writer = Open(options);
  const std::string page = Page('a');
  for (int i = 0; i < 3; i++) ASSERT_TRUE(writer->Commit({{1, page}}, 4096, 1).ok());
  auto reader = Open(options, /*create=*/false);
  // Every record deleted but the END, as an rm does once they are old: the slot after the
  // reader's version is empty, so only a LIST tells it what happened.
  ASSERT_TRUE(store_->Delete(*ListAll(*store_, "d/")).ok());
  format::Record end;
  end.end = true;
  end.version = 4;
  end.db_id = writer->db_id();
  end.base = 1;
  end.nonce = std::string(16, 'n');
  ASSERT_TRUE(store_->PutIfAbsent(format::LogKey("d", 4), format::EncodeRecord(end, {})).ok());
  auto refreshed = reader->Refresh(true);
  EXPECT_TRUE(refreshed.status().IsNotFound()) << refreshed.status().ToString();
  Status commit = reader->Commit({{1, page}}, 4096, 1);
  EXPECT_TRUE(commit.IsNotFound()) << commit.ToString();
  EXPECT_TRUE(store_->Get(format::LogKey("d", 4)).ok());
  EXPECT_TRUE(store_->Get(format::LogKey("d", 1)).status().IsNotFound()) << "nothing refilled";
}

// ---- frames bound to their place, and the cache directory -------------------------------------

TEST(FrameBindingTest, SwappedDiskCacheEntriesAreNeverServed) {
  std::string dir = test::MakeTempDir("swap");
  std::shared_ptr<ObjectStore> store = FileStore::Open(dir + "/store", true).value();
  engine::EngineOptions options;
  options.cache_dir = dir + "/cache";
  options.inline_limit = 0;  // pages in a segment: one disk-cache entry per frame
  std::map<uint32_t, std::string> pages;
  for (uint32_t p = 1; p <= 64; p++) pages[p] = std::string(4096, static_cast<char>('A' + p % 26));
  engine::DirtyPages dirty(pages);
  {
    auto e = engine::Engine::Open(store, "d", options,
                                  std::make_shared<engine::FrameCache>(1 << 20), true)
                 .value();
    ASSERT_TRUE(e->Commit(dirty, 4096, 64).ok());
  }
  auto read_all = [&](engine::Engine& e) {
    for (uint32_t p = 1; p <= 64; p++) {
      std::string out(4096, '\0');
      ASSERT_TRUE(e.ReadPage(p, out.data()).ok());
      EXPECT_EQ(out, pages[p]) << "page " << p;
    }
  };
  {
    auto e = engine::Engine::Open(store, "d", options,
                                  std::make_shared<engine::FrameCache>(1 << 20), false)
                 .value();
    ASSERT_TRUE(e->Refresh(true).ok());
    read_all(*e);  // fills the disk cache
  }
  // Swap the contents of the cache entries pairwise: each is a valid frame of this database.
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(options.cache_dir)) {
    if (entry.file_size() > 0) entries.push_back(entry.path());
  }
  ASSERT_GE(entries.size(), 4u);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  };
  for (size_t i = 0; i + 1 < entries.size(); i += 2) {
    std::string x = slurp(entries[i]), y = slurp(entries[i + 1]);
    std::ofstream(entries[i], std::ios::binary | std::ios::trunc) << y;
    std::ofstream(entries[i + 1], std::ios::binary | std::ios::trunc) << x;
  }
  auto e = engine::Engine::Open(store, "d", options, std::make_shared<engine::FrameCache>(1 << 20),
                                false)
               .value();
  ASSERT_TRUE(e->Refresh(true).ok());
  read_all(*e);  // each swapped entry fails its address check and is fetched again
}

TEST(DiskCacheDirTest, ADirectoryOthersCanWriteOrALinkIsRefused) {
  std::string dir = test::MakeTempDir("cachedir");
  std::string uri = "file://" + dir + "/d";
  std::string shared = dir + "/shared";
  fs::create_directories(shared);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  fs::create_directory_symlink(dir, dir + "/link");
  for (const std::string& bad : {shared, dir + "/link"}) {
    Options options;
    options.cache_dir = bad;
    auto db = Database::Open(uri, options);
    ASSERT_FALSE(db.ok()) << bad;
    EXPECT_EQ(db.status().code(), Status::Code::kPermissionDenied) << db.status().ToString();
    EXPECT_NE(db.status().message().find(bad), std::string::npos) << db.status().ToString();
  }
  Options options;
  options.cache_dir = dir + "/mine";  // created, 0700
  EXPECT_TRUE(Database::Open(uri, options).ok());
  struct stat st;
  ASSERT_EQ(::stat(options.cache_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// ---- format 1 ----------------------------------------------------------------------------------

TEST(Format1Test, AFormat1DatabaseIsReadAndMigratedExplicitly) {
  // tests/data/format1 was written by cloudlite at eb54c95 (format 1): a pushed table of 200
  // rows, then an insert, an update and a delete.
  std::string dir = test::MakeTempDir("format1");
  fs::copy(std::string(CLOUDLITE_SOURCE_DIR) + "/tests/data/format1/store", dir,
           fs::copy_options::recursive);
  std::string uri = "file://" + dir + "/db";
  const std::string digest =
      "SELECT count(*) || ':' || sum(id) || ':' || (SELECT v FROM t WHERE id = 5) FROM t";
  {
    auto db = OpenOrDie(uri);
    EXPECT_EQ(*Column(*db, digest), "191:19146:changed");
    Status write = Exec(*db, "INSERT INTO t VALUES (2000, 'x')");
    EXPECT_FALSE(write.ok());
    EXPECT_NE(write.ToString().find("cloudlite migrate"), std::string::npos) << write.ToString();
  }
  ASSERT_TRUE(Migrate(uri).ok());
  auto info = Describe(uri);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 5u);  // the genesis of the format-2 incarnation follows version 4
  auto db = OpenOrDie(uri);
  EXPECT_EQ(*Column(*db, digest), "191:19146:changed");
  ASSERT_TRUE(Exec(*db, "INSERT INTO t VALUES (2000, 'x')").ok());
  EXPECT_EQ(*Column(*db, "SELECT count(*) FROM t"), "192");
  EXPECT_EQ(*Column(*db, "PRAGMA integrity_check"), "ok");
  EXPECT_TRUE(Migrate(uri).ok());  // nothing to do
  EXPECT_EQ(Describe(uri)->version, 6u);
}

}  // namespace
}  // namespace cloudlite
