// History (cloudlite/history.h): restore and time travel against states recorded while a
// randomized workload ran, log, checkpoint, and verify against each kind of damage.
#include "cloudlite/history.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "engine/engine.h"
#include "format/format.h"
#include "store/registry.h"
#include "store/uri.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

using test::StatusIs;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The rows of t, as text: what a version holds, to compare with what time travel reads.
Result<std::string> Contents(Database& db) {
  std::string text;
  Status s = db.View([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT id, v, length(b) FROM t ORDER BY id"));
    for (const auto& row : rows.rows) {
      text += std::to_string(std::get<int64_t>(row[0])) + "=" + std::get<std::string>(row[1]) +
              "/" + std::to_string(std::get<int64_t>(row[2])) + ";";
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return text;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::MakeTempDir("history");
    store_uri_ = "file://" + dir_ + "/store";
    uri_ = store_uri_ + "/db";
  }
  void TearDown() override { test::RemoveTree(dir_); }

  std::unique_ptr<ObjectStore> Store() {
    Result<Uri> uri = Uri::Parse(store_uri_);
    EXPECT_TRUE(uri.ok());
    auto store = OpenStore(*uri, /*create=*/true);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(*store);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `commits` random transactions (inserts, updates, deletes, now and then a blob big
  // enough to go to a segment), recording after each the version's bytes (a pull) and rows.
  // Versions 1 (the tables) to commits + 1.
  void RandomWorkload(int commits, uint32_t seed) {
    auto db = Database::Open(uri_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_OK((*db)->Update([](Connection& c) {
      return c.Exec(
          "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB);"
          "CREATE TABLE n (k INTEGER PRIMARY KEY, x INTEGER)");
    }));
    Record(**db);
    std::mt19937 rng(seed);
    for (int i = 0; i < commits; i++) {
      const int kind = static_cast<int>(rng() % 10);
      // Big blobs (now and then, and in two rows only) keep the database, and its pulls, small.
      const bool big = rng() % 12 == 0;
      const int64_t id = big ? static_cast<int64_t>(rng() % 2) : static_cast<int64_t>(rng() % 40);
      const std::string value = "v" + std::to_string(rng());
      ASSERT_OK((*db)->Update([&](Connection& c) -> Status {
        // Every transaction commits a version, whatever it does to t.
        CL_RETURN_IF_ERROR(
            c.Query("INSERT OR REPLACE INTO n VALUES (1, ?1)", {int64_t{i}}).status());
        if (big) {  // incompressible: a commit of more than 1 MiB goes to a segment
          return c
              .Query("INSERT OR REPLACE INTO t VALUES (?1, ?2, randomblob(1200000))", {id, value})
              .status();
        }
        if (kind < 6) {
          return c.Query("INSERT OR REPLACE INTO t VALUES (?1, ?2, randomblob(300))", {id, value})
              .status();
        }
        if (kind < 8) return c.Query("UPDATE t SET v = ?2 WHERE id = ?1", {id, value}).status();
        return c.Query("DELETE FROM t WHERE id = ?1", {id}).status();
      }));
      Record(**db);
    }
  }

  void Record(Database& db) {
    Result<std::string> rows = Contents(db);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    const uint64_t version = db.version();
    const std::string copy = Path("at-" + std::to_string(version) + ".db");
    ASSERT_OK(Pull(uri_, copy));
    // The pull read the latest version, which is this one: nobody else writes.
    bytes_[version] = ReadFile(copy);
    rows_[version] = *rows;
    std::filesystem::remove(copy);
  }

  std::string dir_, store_uri_, uri_;
  std::map<uint64_t, std::string> bytes_;  // version -> the database file it served
  std::map<uint64_t, std::string> rows_;   // version -> its rows
};

TEST_F(HistoryTest, RestoreToEveryRetainedVersionIsByteIdenticalToWhatItServed) {
  RandomWorkload(90, 7);  // past the checkpoint at version 64
  Result<RetainedVersions> retained = ListRetainedVersions(uri_);
  ASSERT_TRUE(retained.ok()) << retained.status().ToString();
  EXPECT_EQ(retained->oldest, 1u);
  EXPECT_EQ(retained->newest, bytes_.rbegin()->first);
  for (const auto& [version, bytes] : bytes_) {
    const std::string out = Path("restored.db");
    TransferOptions options;
    options.at.version = version;
    ASSERT_OK(Pull(uri_, out, options));
    ASSERT_EQ(ReadFile(out), bytes) << "version " << version;
  }
}

TEST_F(HistoryTest, TimeTravelReadsEachVersionAndRefusesWrites) {
  RandomWorkload(70, 11);
  for (const auto& [version, rows] : rows_) {
    Options options;
    options.at.version = version;
    auto db = Database::Open(uri_, options);
    ASSERT_TRUE(db.ok()) << version << ": " << db.status().ToString();
    Result<std::string> read = Contents(**db);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(*read, rows) << "version " << version;
    EXPECT_EQ((*db)->version(), version);
  }
  Options options;
  options.at.version = 3;
  auto db = Database::Open(uri_, options);
  ASSERT_TRUE(db.ok());
  EXPECT_THAT((*db)->Update([](Connection& c) { return c.Exec("DELETE FROM t"); }),
              StatusIs(Status::Code::kNotSupported, "at version 3 (time travel), which is read"));
  // Still version 3, and nothing was committed.
  EXPECT_EQ(*Contents(**db), rows_[3]);
  EXPECT_EQ(Describe(uri_)->version, rows_.rbegin()->first);
}

TEST_F(HistoryTest, TimeTravelThroughTheUriAndByTime) {
  RandomWorkload(20, 3);
  auto db = Database::Open(uri_ + "?at=5");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*Contents(**db), rows_[5]);
  EXPECT_THAT(Database::Open(uri_ + "?at=five").status(),
              StatusIs(Status::Code::kInvalidArgument, "at=five: expected a version number"));
  EXPECT_THAT(Database::Open(uri_ + "?at=0").status(),
              StatusIs(Status::Code::kInvalidArgument, "at=0"));

  // By time: the newest version committed at or before it.
  auto log = ReadLog(uri_);
  ASSERT_TRUE(log.ok());
  for (const VersionRecord& r : *log) {
    uint64_t expected = 0;  // clocks may repeat a microsecond: the newest with that time
    for (const VersionRecord& other : *log) {
      if (other.time_micros <= r.time_micros) expected = std::max(expected, other.version);
    }
    Options options;
    options.at.time_micros = r.time_micros;
    auto at = Database::Open(uri_, options);
    ASSERT_TRUE(at.ok()) << at.status().ToString();
    EXPECT_EQ(*Contents(**at), rows_[expected]) << "time of version " << r.version;
  }
  Options before;
  before.at.time_micros = log->back().time_micros - 1;
  EXPECT_THAT(Database::Open(uri_, before).status(),
              StatusIs(Status::Code::kNotFound, "no retained version of 'db' is as old as"));
}

TEST_F(HistoryTest, TimeTravelThroughThePlainVfs) {
  RandomWorkload(6, 8);
  ASSERT_TRUE(Database::Open(uri_).ok());  // registers the VFS
  const std::string name = "file:db?vfs=cloudlite&store=" + store_uri_ + "&at=4";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(name.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT x FROM n", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 2);  // version 4: the third transaction, i = 2
  sqlite3_finalize(stmt);
  EXPECT_EQ(sqlite3_exec(db, "DELETE FROM n", nullptr, nullptr, nullptr) & 0xff, SQLITE_READONLY);
  sqlite3_close(db);
  const std::string bad = "file:db?vfs=cloudlite&store=" + store_uri_ + "&at=40";
  EXPECT_NE(sqlite3_open_v2(bad.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(Describe(uri_)->version, 7u);  // nothing was committed
}

TEST_F(HistoryTest, AVersionNotRetainedIsNotFoundNamingIt) {
  RandomWorkload(70, 5);  // a checkpoint at 64
  const uint64_t newest = rows_.rbegin()->first;
  Options future;
  future.at.version = newest + 1;
  EXPECT_THAT(Database::Open(uri_, future).status(),
              StatusIs(Status::Code::kNotFound, "version " + std::to_string(newest + 1) +
                                                    " of 'db' does not exist: the newest is"));
  // History before the checkpoint goes when its records do (what a garbage collector does).
  auto store = Store();
  std::vector<std::string> doomed;
  for (uint64_t v = 1; v <= 40; v++) doomed.push_back(format::LogKey("db", v));
  ASSERT_OK(store->Delete(doomed));
  Options old;
  old.at.version = 50;
  EXPECT_THAT(Database::Open(uri_, old).status(),
              StatusIs(Status::Code::kNotFound,
                       "version 50 of 'db' is not retained: the retained versions are 64 to"));
  TransferOptions pull;
  pull.at.version = 50;
  EXPECT_THAT(Pull(uri_, Path("x.db"), pull), StatusIs(Status::Code::kNotFound, "not retained"));
  old.at.version = 66;
  auto db = Database::Open(uri_, old);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*Contents(**db), rows_[66]);
}

TEST_F(HistoryTest, RestoreToADatabaseMakesThePastTheNextVersion) {
  RandomWorkload(30, 9);
  const uint64_t newest = rows_.rbegin()->first;
  auto versions = RestoreToDatabase(uri_, {.version = 10}, store_uri_ + "/copy");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_EQ(versions->first, 10u);
  auto copy = Database::Open(store_uri_ + "/copy");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*Contents(**copy), rows_[10]);
  // In place: the past becomes the latest version; the versions in between stay in the log.
  versions = RestoreToDatabase(uri_, {.version = 12}, uri_);
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_EQ(versions->second, newest + 1);
  auto db = Database::Open(uri_);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*Contents(**db), rows_[12]);
  Options at;
  at.at.version = newest;
  EXPECT_EQ(*Contents(**Database::Open(uri_, at)), rows_[newest]);
}

TEST_F(HistoryTest, LogListsVersionsNewestFirstWithTheirRows) {
  RandomWorkload(10, 1);
  auto log = ReadLog(uri_, {.since = 4, .limit = 3});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].version, 11u);
  EXPECT_EQ((*log)[2].version, 9u);
  for (const VersionRecord& r : *log) {
    EXPECT_EQ(r.writer.size(), 32u);
    EXPECT_GT(r.pages_written, 0u);
    EXPECT_GT(r.bytes_written, 0u);
    EXPECT_GT(r.time_micros, 0);
    EXPECT_TRUE(r.changes_known);  // Update records the change feed (Options::change_feed)
  }
  EXPECT_EQ(ReadLog(uri_, {.since = 11})->size(), 0u);
  EXPECT_EQ(ReadLog(uri_)->size(), 11u);
  EXPECT_THAT(ReadLog(store_uri_ + "/nope").status(), StatusIs(Status::Code::kNotFound));
}

// A session changeset of a few row changes, made on a scratch in-memory database.
std::string MakeChangeset() {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_exec(db,
               "CREATE TABLE a (id INTEGER PRIMARY KEY, v); CREATE TABLE b (k PRIMARY KEY);"
               "INSERT INTO a VALUES (1, 'x'), (2, 'y');",
               nullptr, nullptr, nullptr);
  sqlite3_session* session = nullptr;
  EXPECT_EQ(sqlite3session_create(db, "main", &session), SQLITE_OK);
  sqlite3session_attach(session, nullptr);
  sqlite3_exec(db,
               "INSERT INTO a VALUES (3, 'z'); UPDATE a SET v = 'w' WHERE id = 1;"
               "DELETE FROM a WHERE id = 2; INSERT INTO b VALUES ('p'), ('q');",
               nullptr, nullptr, nullptr);
  int size = 0;
  void* bytes = nullptr;
  EXPECT_EQ(sqlite3session_changeset(session, &size, &bytes), SQLITE_OK);
  std::string changeset(static_cast<const char*>(bytes), static_cast<size_t>(size));
  sqlite3_free(bytes);
  sqlite3session_delete(session);
  sqlite3_close(db);
  return changeset;
}

TEST_F(HistoryTest, LogCountsRowsPerTableWhenTheRecordCarriesAChangeset) {
  auto store = Store();
  std::shared_ptr<ObjectStore> shared = std::move(store);
  auto engine =
      engine::Engine::Open(shared, "db", {}, std::make_shared<engine::FrameCache>(1 << 20),
                           /*create=*/true);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  engine::DirtyPages dirty{{1, std::string(4096, 'p')}};
  format::RowChanges rows;
  rows.changeset = MakeChangeset();
  ASSERT_OK((*engine)->Commit(dirty, 4096, 1, format::EncodeRowChanges(rows)));
  ASSERT_OK((*engine)->Commit(dirty, 4096, 1));
  auto log = ReadLog(uri_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_FALSE((*log)[0].changes_known);  // version 2: no changeset, "unknown"
  const VersionRecord& first = (*log)[1];
  ASSERT_TRUE(first.changes_known);
  ASSERT_EQ(first.changes.size(), 2u);
  EXPECT_EQ(first.changes[0].table, "a");
  EXPECT_EQ(first.changes[0].inserted, 1u);
  EXPECT_EQ(first.changes[0].updated, 1u);
  EXPECT_EQ(first.changes[0].deleted, 1u);
  EXPECT_EQ(first.changes[1].table, "b");
  EXPECT_EQ(first.changes[1].inserted, 2u);
}

TEST_F(HistoryTest, CheckpointWritesOneForTheLatestVersionOnce) {
  RandomWorkload(5, 2);
  auto done = CheckpointDatabase(uri_);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->first, 6u);
  EXPECT_TRUE(done->second);
  EXPECT_EQ(Describe(uri_)->checkpoint_version, 6u);
  done = CheckpointDatabase(uri_);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->second);
  EXPECT_THAT(CheckpointDatabase(store_uri_ + "/nope").status(), StatusIs(Status::Code::kNotFound));
}

TEST(PointInTimeTest, VersionsAndUtcTimes) {
  EXPECT_EQ(ParsePointInTime("42")->version, 42u);
  EXPECT_EQ(ParsePointInTime("2024-05-01T12:00:00Z")->time_micros, 1714564800000000);
  EXPECT_EQ(ParsePointInTime("2024-05-01 12:00:00.25")->time_micros, 1714564800250000);
  EXPECT_EQ(ParsePointInTime("2024-05-01t12:00:00.000001z")->time_micros, 1714564800000001);
  for (const char* bad :
       {"", "0", "-1", "abc", "18446744073709551616", "2024-05-01", "2024-02-31T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T12:00:00.", "2024-05-01T12:00:00.1234567Z",
        "2024-05-01T12:00:00+02:00", "1969-12-31T23:59:59Z", " 42"}) {
    EXPECT_THAT(ParsePointInTime(bad).status(), StatusIs(Status::Code::kInvalidArgument)) << bad;
  }
}

// ---- verify ----

class VerifyTest : public HistoryTest {
 protected:
  void SetUp() override {
    HistoryTest::SetUp();
    RandomWorkload(12, 4);
    auto db = Database::Open(uri_);
    ASSERT_TRUE(db.ok());
    // A commit with a segment, and a checkpoint (whose segment holds the pages of records).
    ASSERT_OK((*db)->Update([](Connection& c) {
      return c.Exec("INSERT INTO t VALUES (100, 'big', randomblob(2000000))");
    }));
    ASSERT_TRUE(CheckpointDatabase(uri_).ok());
    ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("UPDATE t SET v = 'x'"); }));
    auto keys = ListAll(*Store(), "db/");
    ASSERT_TRUE(keys.ok());
    for (const auto& key : *keys) {
      if (key.rfind("db/seg/", 0) == 0) segments_.push_back(key);
    }
    ASSERT_GE(segments_.size(), 2u);
    auto clean = VerifyDatabase(uri_);
    ASSERT_TRUE(clean.ok()) << clean.status().ToString();
    ASSERT_TRUE(clean->problems.empty())
        << clean->problems[0].key << ": " << clean->problems[0].what;
    EXPECT_EQ(clean->newest, 15u);
    EXPECT_EQ(clean->records, 15u);
    EXPECT_GE(clean->segments, 2u);
    EXPECT_GT(clean->frames, 0u);
  }

  // Verify's problems must name exactly `key` (first), and nothing in the store changed.
  void ExpectDamage(const std::string& key, const std::string& what) {
    auto before = ListAll(*Store(), "db/");
    auto result = VerifyDatabase(uri_);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_FALSE(result->problems.empty());
    bool named = false;
    for (const VerifyProblem& p : result->problems) {
      if (p.key == key && p.what.find(what) != std::string::npos) named = true;
    }
    EXPECT_TRUE(named) << "no problem names " << key << " with \"" << what
                       << "\"; first: " << result->problems[0].key << ": "
                       << result->problems[0].what;
    EXPECT_FALSE(result->damaged_versions.empty());
    EXPECT_EQ(*ListAll(*Store(), "db/"), *before);
  }

  std::vector<std::string> segments_;
};

TEST_F(VerifyTest, FlippedByteInASegment) {
  auto store = Store();
  const std::string& key = segments_.front();
  std::string bytes = *store->Get(key);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_OK(store->Put(key, bytes));
  ExpectDamage(key, "");
}

TEST_F(VerifyTest, FlippedByteInARecord) {
  auto store = Store();
  const std::string key = format::LogKey("db", 7);
  std::string bytes = *store->Get(key);
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_OK(store->Put(key, bytes));
  ExpectDamage(key, "");
}

TEST_F(VerifyTest, TruncatedObject) {
  auto store = Store();
  const std::string& key = segments_.back();
  std::string bytes = *store->Get(key);
  bytes.resize(bytes.size() - 100);
  ASSERT_OK(store->Put(key, bytes));
  ExpectDamage(key, "");
}

TEST_F(VerifyTest, MissingSegment) {
  auto store = Store();
  for (const std::string& key : segments_) {
    ASSERT_OK(store->Delete(std::vector<std::string>{key}));
    ExpectDamage(key, "missing, but");
    return;  // one is enough: each is referenced
  }
}

TEST_F(VerifyTest, MissingRecord) {
  auto store = Store();
  const std::string key = format::LogKey("db", 5);
  ASSERT_OK(store->Delete(std::vector<std::string>{key}));
  ExpectDamage(key, "missing");
}

TEST_F(VerifyTest, MissingRecordTheLatestVersionNeeds) {
  auto store = Store();
  const std::string key = format::LogKey("db", 15);  // above the checkpoint at 14
  ASSERT_OK((*Database::Open(uri_))->Update([](Connection& c) {
    return c.Exec("UPDATE t SET v = 'y'");
  }));
  ASSERT_OK(store->Delete(std::vector<std::string>{key}));
  ExpectDamage(key, "version 16 needs it");
}

TEST_F(VerifyTest, MissingDatabaseIsNotFound) {
  EXPECT_THAT(VerifyDatabase(store_uri_ + "/nope").status(), StatusIs(Status::Code::kNotFound));
}

}  // namespace
}  // namespace cloudlite
