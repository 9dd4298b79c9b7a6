// The change feed (issue 15, item 4): commit records carry their transaction's row changes
// (docs/format.md, "CHANGESET section") and ChangeFeed reads them back. The feed of a randomized
// workload, lost races included, replayed onto an empty copy reproduces the database; a
// replayed lost race carries the rows the replay wrote; what cannot be carried is reported.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <random>

#include "base/random.h"
#include "cloudlite/admin.h"
#include "cloudlite/changes.h"
#include "cloudlite/database.h"
#include "format/format.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "vfs/vfs.h"

namespace cloudlite {
namespace {

std::string NewUri() { return "mem://feed-" + RandomHex(6) + "/db"; }

std::vector<RowChange> ReadFeed(const std::string& uri, uint64_t since) {
  std::vector<RowChange> out;
  EXPECT_OK(ForEachChange(uri, since, [&](const RowChange& c) {
    out.push_back(c);
    return true;
  }));
  return out;
}

const char* kSchema =
    "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);"
    "CREATE TABLE b (k1 TEXT NOT NULL, k2 INTEGER NOT NULL, v, PRIMARY KEY (k1, k2)) "
    "WITHOUT ROWID;";

// Binds `v` as parameter `i` of `stmt`.
void Bind(sqlite3_stmt* stmt, int i, const Value& v) {
  if (const auto* n = std::get_if<int64_t>(&v)) {
    sqlite3_bind_int64(stmt, i, *n);
  } else if (const auto* d = std::get_if<double>(&v)) {
    sqlite3_bind_double(stmt, i, *d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    sqlite3_bind_text(stmt, i, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
  } else if (const auto* b = std::get_if<Blob>(&v)) {
    sqlite3_bind_blob(stmt, i, b->bytes.data(), static_cast<int>(b->bytes.size()),
                      SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(stmt, i);
  }
}

// A plain SQLite copy that applies the feed's row changes as SQL, knowing its columns only
// from its own schema (the feed names columns by position).
class Copy {
 public:
  Copy() {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, kSchema, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~Copy() { sqlite3_close(db_); }
  sqlite3* db() { return db_; }

  void Apply(const RowChange& c) {
    ASSERT_TRUE(c.kind == ChangeKind::kInsert || c.kind == ChangeKind::kUpdate ||
                c.kind == ChangeKind::kDelete)
        << ChangeKindName(c.kind) << " at " << c.version << ": " << c.note;
    std::vector<std::pair<std::string, int>> cols = Columns(c.table);  // name, pk position
    ASSERT_EQ(cols.size(), c.values.size());
    std::string sql;
    std::vector<Value> params;
    std::string where;
    std::vector<Value> key_params;
    std::vector<std::pair<int, size_t>> pk_order;  // pk position -> column
    for (size_t i = 0; i < cols.size(); i++) {
      if (cols[i].second > 0) pk_order.push_back({cols[i].second, i});
    }
    // The feed's key is in column order; SQLite's pk position may differ for a composite key.
    size_t k = 0;
    for (size_t i = 0; i < cols.size(); i++) {
      if (cols[i].second == 0) continue;
      where += (where.empty() ? "" : " AND ") + cols[i].first + " IS ?";
      key_params.push_back(c.key.at(k++));
    }
    if (c.kind == ChangeKind::kInsert) {
      sql = "INSERT INTO " + c.table + " VALUES (";
      for (size_t i = 0; i < cols.size(); i++) {
        sql += i ? ",?" : "?";
        params.push_back(*c.values[i]);
      }
      sql += ")";
    } else if (c.kind == ChangeKind::kUpdate) {
      std::string set;
      for (size_t i = 0; i < cols.size(); i++) {
        if (!c.values[i]) continue;
        set += (set.empty() ? "" : ", ") + cols[i].first + " = ?";
        params.push_back(*c.values[i]);
      }
      sql = "UPDATE " + c.table + " SET " + set + " WHERE " + where;
      params.insert(params.end(), key_params.begin(), key_params.end());
    } else {
      sql = "DELETE FROM " + c.table + " WHERE " + where;
      params = key_params;
    }
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    for (size_t i = 0; i < params.size(); i++) Bind(stmt, static_cast<int>(i + 1), params[i]);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db_);
    EXPECT_EQ(sqlite3_changes(db_), 1) << sql << " at version " << c.version;
    sqlite3_finalize(stmt);
  }

 private:
  std::vector<std::pair<std::string, int>> Columns(const std::string& table) {
    std::vector<std::pair<std::string, int>> cols;
    sqlite3_stmt* stmt = nullptr;
    std::string sql = "SELECT name, pk FROM pragma_table_info('" + table + "') ORDER BY cid";
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      cols.push_back({reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                      sqlite3_column_int(stmt, 1)});
    }
    sqlite3_finalize(stmt);
    return cols;
  }
  sqlite3* db_ = nullptr;
};

// Every row of the workload's tables, in key order, as text.
std::string Dump(sqlite3* db) {
  std::string out;
  for (const char* sql : {"SELECT id, name, score, quote(data) FROM a ORDER BY id",
                          "SELECT k1, k2, quote(v) FROM b ORDER BY k1, k2"}) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); i++) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        out += text ? reinterpret_cast<const char*>(text) : "NULL";
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(stmt);
  }
  return out;
}

// One random statement of the workload.
std::string RandomStatement(std::mt19937& rng) {
  int id = static_cast<int>(rng() % 40);
  std::string k1 = "'k" + std::to_string(rng() % 5) + "'";
  int k2 = static_cast<int>(rng() % 6);
  switch (rng() % 6) {
    case 0:
      return "INSERT OR REPLACE INTO a VALUES (" + std::to_string(id) + ", 'n" +
             std::to_string(rng() % 1000) + "', " + std::to_string(rng() % 100) + ".5, " +
             (rng() % 2 ? "randomblob(8)" : "NULL") + ")";
    case 1:
      return "UPDATE a SET name = name || 'x', score = score + 1 WHERE id = " + std::to_string(id);
    case 2:
      return "DELETE FROM a WHERE id = " + std::to_string(id);
    case 3:
      return "INSERT OR REPLACE INTO b VALUES (" + k1 + ", " + std::to_string(k2) + ", " +
             std::to_string(rng() % 50) + ")";
    case 4:
      return "UPDATE b SET v = coalesce(v, 0) * 2 + 1 WHERE k1 = " + k1;
    default:
      return "DELETE FROM b WHERE k1 = " + k1 + " AND k2 = " + std::to_string(k2);
  }
}

// Two writers (one snapshot, one serializable) take random transactions; a quarter of them lose
// a race to the other writer on their first run (so some are moved by pages, some replayed by
// rows, some run again). The feed applied onto an empty copy with the same schema gives the
// same rows.
TEST(ChangeFeedTest, RandomWorkloadReplayedOntoAnEmptyCopyReproducesTheDatabase) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    std::string uri = NewUri();
    Options snapshot;
    snapshot.isolation = Isolation::kSnapshot;
    auto first = Database::Open(uri, snapshot);
    auto second = Database::Open(uri);
    ASSERT_OK(first);
    ASSERT_OK(second);
    Database* writers[2] = {first->get(), second->get()};
    ASSERT_OK(writers[0]->Update([](Connection& c) { return c.Exec(kSchema); }));
    uint64_t rebases = 0;
    for (int txn = 0; txn < 60; txn++) {
      Database& self = *writers[txn % 2];
      Database& other = *writers[(txn + 1) % 2];
      bool race = rng() % 4 == 0;
      std::vector<std::string> statements;
      for (int n = 1 + rng() % 4; n > 0; n--) statements.push_back(RandomStatement(rng));
      std::string theirs = RandomStatement(rng);
      ASSERT_OK(self.Update([&](Connection& c) -> Status {
        if (std::exchange(race, false)) {
          CL_RETURN_IF_ERROR(other.Update([&](Connection& o) { return o.Exec(theirs); }));
        }
        for (const std::string& sql : statements) CL_RETURN_IF_ERROR(c.Exec(sql));
        return Status::Ok();
      }));
    }
    for (Database* w : writers) rebases += w->stats().rebases;
    Copy copy;
    bool schema_seen = false;
    for (const RowChange& c : ReadFeed(uri, 0)) {
      if (c.kind == ChangeKind::kSchemaChanged) {
        schema_seen = true;
        continue;
      }
      ASSERT_NO_FATAL_FAILURE(copy.Apply(c));
    }
    EXPECT_TRUE(schema_seen);
    std::string expected;
    ASSERT_OK(writers[0]->View([&](Connection& c) {
      expected = Dump(c.handle());
      return Status::Ok();
    }));
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(Dump(copy.db()), expected);
    EXPECT_GT(rebases, 0u);  // lost races were settled by moving pages or replaying rows
  }
}

// A lost race settled by replaying the rows: the replay's commit carries exactly the rows it
// wrote on the winner's version, and the winner's commit its own.
TEST(ChangeFeedTest, ALostRaceReplayedByRowsCarriesTheReplayedRows) {
  std::string uri = NewUri();
  Options options;
  options.isolation = Isolation::kSnapshot;
  auto a = Database::Open(uri, options);
  auto b = Database::Open(uri, options);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK((*a)->Update([](Connection& c) {
    return c.Exec(
        "CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
        "INSERT INTO kv VALUES (1, 0), (2, 0), (3, 0)");
  }));
  uint64_t before = 1;
  bool raced = false;
  ASSERT_OK((*a)->Update([&](Connection& c) -> Status {
    if (!std::exchange(raced, true)) {
      CL_RETURN_IF_ERROR(
          (*b)->Update([](Connection& o) { return o.Exec("UPDATE kv SET v = 7 WHERE k = 2"); }));
    }
    return c.Exec("UPDATE kv SET v = v + 1 WHERE k = 1; DELETE FROM kv WHERE k = 3");
  }));
  ASSERT_EQ((*a)->stats().rebases, 1u);
  ASSERT_EQ((*a)->stats().runs, 2u);  // the CREATE's and this one's single run
  std::vector<RowChange> feed = ReadFeed(uri, before);
  ASSERT_EQ(feed.size(), 3u);
  EXPECT_EQ(feed[0].version, 2u);  // the winner
  EXPECT_EQ(feed[0].kind, ChangeKind::kUpdate);
  EXPECT_EQ(feed[0].key, std::vector<Value>{int64_t{2}});
  EXPECT_EQ(feed[0].values.at(1), Value(int64_t{7}));
  EXPECT_EQ(feed[1].version, 3u);  // the replay, on top of it
  EXPECT_EQ(feed[1].kind, ChangeKind::kUpdate);
  EXPECT_EQ(feed[1].key, std::vector<Value>{int64_t{1}});
  EXPECT_FALSE(feed[1].values.at(0).has_value());  // the key did not change
  EXPECT_EQ(feed[1].values.at(1), Value(int64_t{1}));
  EXPECT_EQ(feed[2].version, 3u);
  EXPECT_EQ(feed[2].kind, ChangeKind::kDelete);
  EXPECT_EQ(feed[2].key, std::vector<Value>{int64_t{3}});
}

TEST(ChangeFeedTest, TablesWhoseRowsCannotBeCarriedAreReportedNotSkipped) {
  std::string uri = NewUri();
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) {
    return c.Exec(
        "CREATE TABLE logs (msg TEXT);"
        "CREATE TABLE n (k TEXT PRIMARY KEY, v)");  // a nullable key: NULL keys go unrecorded
  }));
  ASSERT_OK((*db)->Update([](Connection& c) {
    return c.Exec("INSERT INTO logs VALUES ('hello'); INSERT INTO n VALUES ('a', 1)");
  }));
  std::vector<RowChange> feed = ReadFeed(uri, 1);
  std::map<std::string, int> unkeyed;
  int rows = 0;
  for (const RowChange& c : feed) {
    EXPECT_EQ(c.version, 2u);
    if (c.kind == ChangeKind::kUnkeyedTable) unkeyed[c.table]++;
    if (c.kind == ChangeKind::kInsert) rows++;
  }
  EXPECT_EQ(unkeyed, (std::map<std::string, int>{{"logs", 1}, {"n", 1}}));
  EXPECT_EQ(rows, 1);  // n's row with a key is there all the same
}

// A table with generated columns takes writes like any other (the session extension refused
// them with SQLITE_SCHEMA); a changeset leaves such columns out, so its commits say their rows
// were not recorded rather than carry them half.
TEST(ChangeFeedTest, WritesToTablesWithGeneratedColumnsCommitAndSayTheyWereNotRecorded) {
  std::string uri = NewUri();
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) {
    return c.Exec("CREATE TABLE g (id INTEGER PRIMARY KEY, a, b AS (a * 2), c AS (a + 1) STORED)");
  }));
  ASSERT_OK((*db)->Update([](Connection& c) {
    return c.Exec("INSERT INTO g (id, a) VALUES (1, 5); UPDATE g SET a = 6");
  }));
  auto row = (*db)->View([](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT a, b, c FROM g"));
    if (rows.rows != std::vector<std::vector<Value>>{{int64_t{6}, int64_t{12}, int64_t{7}}}) {
      return Status::Internal("unexpected row");
    }
    return Status::Ok();
  });
  EXPECT_OK(row);
  std::vector<RowChange> feed = ReadFeed(uri, 1);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].version, 2u);
  EXPECT_EQ(feed[0].kind, ChangeKind::kNotRecorded);
  EXPECT_NE(feed[0].note.find("generated columns"), std::string::npos) << feed[0].note;
}

TEST(ChangeFeedTest, CommitsWhoseRowsWereNotRecordedSaySo) {
  std::string uri = NewUri();
  Options off;
  off.change_feed = false;
  auto db = Database::Open(uri, off);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (k PRIMARY KEY)"); }));
  std::vector<RowChange> feed = ReadFeed(uri, 0);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].kind, ChangeKind::kNotRecorded);
  EXPECT_NE(feed[0].note.find("change_feed off"), std::string::npos);
}

// Next says when it is caught up, and finds later commits when called again (--follow).
TEST(ChangeFeedTest, TheFeedFollowsNewCommitsAndStartsAfterSince) {
  std::string uri = NewUri();
  auto db = Database::Open(uri);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) {
    return c.Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, 'a')");
  }));
  auto feed = ChangeFeed::Open(uri, 0);
  ASSERT_OK(feed);
  int seen = 0;
  for (;;) {
    auto c = (*feed)->Next();
    ASSERT_OK(c);
    if (!*c) break;
    seen++;
  }
  EXPECT_EQ(seen, 2);  // the schema, the insert
  EXPECT_EQ((*feed)->version(), 1u);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec("UPDATE t SET v = 'b'"); }));
  auto next = (*feed)->Next();
  ASSERT_OK(next);
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->version, 2u);
  EXPECT_EQ((*next)->values.at(1), Value(std::string("b")));
  EXPECT_FALSE((*feed)->Next()->has_value());
  EXPECT_EQ(ReadFeed(uri, 2).size(), 0u);
  EXPECT_EQ(ChangeFeed::Open(uri, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(ChangeFeed::Open("mem://feed-none-" + RandomHex(4) + "/db", 0).status().IsNotFound());
}

// ---- the plain VFS (a user's sqlite3 with the extension; vfs/row_feed.h) ----

// A connection of the plain VFS on `uri` (mem://STORE/NAME), with the preupdate hook the
// extension's init installs. `params` are more URI parameters.
class PlainConnection {
 public:
  explicit PlainConnection(const std::string& uri, const std::string& params = "") {
    EXPECT_EQ(vfs::Register(), SQLITE_OK);
    size_t slash = uri.rfind('/');
    std::string file =
        "file:" + uri.substr(slash + 1) + "?vfs=cloudlite&store=" + uri.substr(0, slash) + params;
    EXPECT_EQ(
        sqlite3_open_v2(file.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr),
        SQLITE_OK);
    EXPECT_EQ(vfs::RecordPlainRowChanges(db_), SQLITE_OK);
  }
  ~PlainConnection() { sqlite3_close(db_); }
  sqlite3* db() { return db_; }
  // Runs `sql`; returns SQLite's code.
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  uint64_t version() { return vfs::Info(db_)->version; }

 private:
  sqlite3* db_ = nullptr;
};

std::string Describe(const std::vector<RowChange>& feed) {
  std::string out;
  for (const RowChange& c : feed) {
    out += std::string(ChangeKindName(c.kind)) + " " + c.table;
    for (const Value& k : c.key) {
      if (const auto* n = std::get_if<int64_t>(&k)) out += " " + std::to_string(*n);
      if (const auto* t = std::get_if<std::string>(&k)) out += " " + *t;
    }
    out += ";";
  }
  return out;
}

// Each kind of commit a sqlite3 shell makes: the feed reports exactly the rows it committed.
TEST(ChangeFeedTest, PlainVfsCommitsCarryExactlyTheirCommittedRows) {
  std::string uri = NewUri();
  PlainConnection c(uri);
  // The changes of the commit that `sql` makes (one commit).
  auto commit = [&](const std::string& sql) {
    uint64_t before = c.version();
    EXPECT_EQ(c.Exec(sql), SQLITE_OK) << sql << ": " << sqlite3_errmsg(c.db());
    EXPECT_EQ(c.version(), before + 1) << sql;
    return Describe(ReadFeed(uri, before));
  };
  // DDL: no row changes are recorded (no preupdate event says what it did), and it says so.
  EXPECT_EQ(commit(std::string("BEGIN;") + kSchema + "COMMIT"), "schema ;not-recorded ;");
  EXPECT_EQ(commit("INSERT INTO a VALUES (1, 'one', 1.5, NULL), (2, 'two', 2.5, x'00')"),
            "insert a 1;insert a 2;");
  EXPECT_EQ(commit("UPDATE a SET name = 'uno' WHERE id = 1"), "update a 1;");
  EXPECT_EQ(commit("DELETE FROM a WHERE id = 2"), "delete a 2;");
  // An UPDATE that changes the rowid: a delete and an insert, as the library records it.
  EXPECT_EQ(commit("UPDATE a SET id = 10 WHERE id = 1"), "insert a 10;delete a 1;");
  // INSERT OR REPLACE of an existing row: its changed columns.
  EXPECT_EQ(commit("INSERT OR REPLACE INTO a VALUES (10, 'ten', 1.5, NULL)"), "update a 10;");
  // A transaction of several statements, one failing midway (its rows are undone), a savepoint
  // rolled back: only what was committed.
  uint64_t before = c.version();
  ASSERT_EQ(c.Exec("BEGIN; INSERT INTO a VALUES (3, 'three', 0, NULL)"), SQLITE_OK);
  EXPECT_EQ(c.Exec("INSERT INTO a VALUES (4, 'four', 0, NULL), (3, 'dup', 0, NULL)"),
            SQLITE_CONSTRAINT);
  ASSERT_EQ(c.Exec("SAVEPOINT s; DELETE FROM a WHERE id = 10; INSERT INTO a VALUES (5, 'x', 0, "
                   "NULL); ROLLBACK TO s; RELEASE s; UPDATE a SET score = 9 WHERE id = 3; "
                   "INSERT INTO b VALUES ('k', 1, 'v'); COMMIT"),
            SQLITE_OK)
      << sqlite3_errmsg(c.db());
  EXPECT_EQ(Describe(ReadFeed(uri, before)), "insert a 3;insert b k 1;");
  // A transaction rolled back commits nothing.
  before = c.version();
  ASSERT_EQ(c.Exec("BEGIN; DELETE FROM a; ROLLBACK"), SQLITE_OK);
  EXPECT_EQ(c.version(), before);
  // WITHOUT ROWID: keys are the PRIMARY KEY's values; a changed key is a delete and an insert.
  EXPECT_EQ(commit("UPDATE b SET v = 'w'"), "update b k 1;");
  EXPECT_EQ(commit("UPDATE b SET k1 = 'm'"), "insert b m 1;delete b k 1;");
  // A row changed and changed back, or a statement that changed nothing: no row.
  EXPECT_EQ(commit("BEGIN; UPDATE a SET name = 'x' WHERE id = 3; UPDATE a SET name = 'three' "
                   "WHERE id = 3; COMMIT"),
            "");
  EXPECT_EQ(commit("PRAGMA user_version = 7"), "");
  // A table whose rows a changeset cannot carry is reported, not skipped.
  EXPECT_EQ(commit("CREATE TABLE logs (msg TEXT)"), "schema ;not-recorded ;");
  EXPECT_EQ(commit("INSERT INTO logs VALUES ('hello'); "), "unkeyed logs;");
  EXPECT_EQ(commit("BEGIN; INSERT INTO logs VALUES ('x'); DELETE FROM a WHERE id = 3; COMMIT"),
            "unkeyed logs;delete a 3;");
  // A nullable key: listed as unkeyed, and its rows with a key carried, as by the library.
  EXPECT_EQ(commit("CREATE TABLE n (k TEXT PRIMARY KEY, v)"), "schema ;not-recorded ;");
  EXPECT_EQ(commit("INSERT INTO n VALUES ('a', 1), (NULL, 2)"), "unkeyed n;insert n a;");
  // Rows changed by a trigger are there; sqlite_sequence (AUTOINCREMENT) is not, as for the
  // library (it sends no preupdate event).
  EXPECT_EQ(commit("BEGIN; CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, v); CREATE "
                   "TRIGGER tr AFTER INSERT ON s BEGIN UPDATE a SET name = NEW.v WHERE id = 10; "
                   "END; COMMIT"),
            "schema ;not-recorded ;");
  EXPECT_EQ(commit("INSERT INTO s (v) VALUES ('t')"), "update a 10;insert s 1;");
  // With change_feed=off the connection records nothing.
  PlainConnection off(uri, "&change_feed=off");
  before = off.version();
  ASSERT_EQ(off.Exec("INSERT INTO a VALUES (99, 'off', 0, NULL)"), SQLITE_OK);
  EXPECT_EQ(Describe(ReadFeed(uri, before)), "not-recorded ;");
  // Nor does a connection that never got the hook: no event would say what it changed.
  sqlite3_reset_auto_extension();  // later connections of this process open without it
  size_t slash = uri.rfind('/');
  std::string file =
      "file:" + uri.substr(slash + 1) + "?vfs=cloudlite&store=" + uri.substr(0, slash);
  sqlite3* bare = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &bare, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, nullptr),
            SQLITE_OK);
  before = vfs::Info(bare)->version;
  EXPECT_EQ(
      sqlite3_exec(bare, "INSERT INTO a VALUES (98, 'bare', 0, NULL)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(bare);
  EXPECT_EQ(Describe(ReadFeed(uri, before)), "not-recorded ;");
}

// Everything a row change says but its commit time, as text.
std::string Full(const RowChange& c) {
  auto text = [](const Value& v) -> std::string {
    if (const auto* n = std::get_if<int64_t>(&v)) return "i" + std::to_string(*n);
    if (const auto* d = std::get_if<double>(&v)) return "r" + std::to_string(*d);
    if (const auto* t = std::get_if<std::string>(&v)) return "t" + *t;
    if (const auto* b = std::get_if<Blob>(&v)) return "b" + b->bytes;
    return "null";
  };
  std::string out = std::to_string(c.version) + " " + ChangeKindName(c.kind) + " " + c.table;
  for (const Value& k : c.key) out += " k:" + text(k);
  for (const std::optional<Value>& v : c.values) out += " " + (v ? text(*v) : std::string("-"));
  return out;
}

// The same transactions through Database::Update (the library's session recorder) and through
// the plain VFS give the same row changes, commit by commit.
TEST(ChangeFeedTest, PlainVfsRecordsWhatTheLibraryRecordsForTheSameTransactions) {
  const std::vector<std::string> transactions = {
      "INSERT INTO a VALUES (1, 'one', 1.5, x'01'), (2, 'two', NULL, NULL), (3, 'x', 0, NULL)",
      "UPDATE a SET score = 3 WHERE id = 1; DELETE FROM a WHERE id = 2; "
      "INSERT INTO b VALUES ('x', 1, 'v'), ('y', 2, NULL)",
      "UPDATE a SET id = 7 WHERE id = 1; UPDATE a SET name = NULL, data = x'0203' WHERE id = 3",
      "INSERT OR REPLACE INTO b VALUES ('x', 1, 'w'); UPDATE b SET k2 = 5 WHERE k1 = 'y'",
      "DELETE FROM b; INSERT INTO a VALUES (2, 'again', 2.0, NULL)",
  };
  std::string library_uri = NewUri();
  auto db = Database::Open(library_uri);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Update([](Connection& c) { return c.Exec(kSchema); }));
  for (const std::string& sql : transactions) {
    ASSERT_OK((*db)->Update([&](Connection& c) { return c.Exec(sql); }));
  }
  std::string plain_uri = NewUri();
  PlainConnection plain(plain_uri);
  ASSERT_EQ(plain.Exec(std::string("BEGIN;") + kSchema + "COMMIT"), SQLITE_OK);
  for (const std::string& sql : transactions) {
    ASSERT_EQ(plain.Exec("BEGIN;" + sql + ";COMMIT"), SQLITE_OK) << sqlite3_errmsg(plain.db());
  }
  auto changes = [](const std::string& uri) {
    std::vector<std::string> out;
    for (const RowChange& c : ReadFeed(uri, 1)) out.push_back(Full(c));
    std::sort(out.begin(), out.end());  // a changeset's order of rows is not part of it
    return out;
  };
  std::vector<std::string> library = changes(library_uri);
  EXPECT_EQ(library.size(), 16u);
  EXPECT_EQ(changes(plain_uri), library);
}

// A plain-VFS commit that lost the race and whose pages the VFS moved onto the winner's version
// carries its own rows, and the winner's record its own.
TEST(ChangeFeedTest, PlainVfsCommitMovedOntoANewerVersionCarriesItsOwnRows) {
  std::string uri = NewUri();
  // Under snapshot isolation a's commit depends only on the pages it writes.
  PlainConnection a(uri, "&lease=off&isolation=snapshot");
  PlainConnection b(uri, "&lease=off");
  ASSERT_EQ(a.Exec(std::string("BEGIN;") + kSchema + "COMMIT"), SQLITE_OK);
  ASSERT_EQ(a.Exec("INSERT INTO a VALUES (1, 'one', 0, NULL); INSERT INTO b VALUES ('k', 1, 0)"),
            SQLITE_OK);
  uint64_t before = a.version();
  ASSERT_EQ(a.Exec("BEGIN; UPDATE a SET name = 'uno' WHERE id = 1"), SQLITE_OK);
  ASSERT_EQ(b.Exec("UPDATE b SET v = 5"), SQLITE_OK);  // other pages: a's may move
  ASSERT_EQ(a.Exec("COMMIT"), SQLITE_OK) << sqlite3_errmsg(a.db());
  EXPECT_EQ(a.version(), before + 2);
  std::vector<RowChange> feed = ReadFeed(uri, before);
  EXPECT_EQ(Describe(feed), "update b k 1;update a 1;");
  ASSERT_EQ(feed.size(), 2u);
  EXPECT_EQ(feed[0].version, before + 1);
  EXPECT_EQ(feed[1].version, before + 2);
  EXPECT_EQ(feed[1].values.at(1), Value(std::string("uno")));
}

// Random transactions of a sqlite3 user on two connections (lost races included: one moves its
// pages, or fails with SQLITE_BUSY and runs again), with failing statements and savepoints
// rolled back: the feed applied onto an empty copy gives the same rows.
TEST(ChangeFeedTest, PlainVfsWorkloadReplayedOntoAnEmptyCopyReproducesTheDatabase) {
  for (uint32_t seed : {1u, 2u}) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    std::string uri = NewUri();
    PlainConnection first(uri, "&lease=off");  // no waiting: the races are the point
    ASSERT_EQ(first.Exec(kSchema), SQLITE_OK);
    uint64_t schema_version = first.version();
    PlainConnection second(uri, "&lease=off&isolation=snapshot");  // its pages move more often
    int busy = 0;
    PlainConnection* conns[2] = {&first, &second};
    for (int txn = 0; txn < 60; txn++) {
      const size_t self = rng() % 2;
      PlainConnection& c = *conns[self];
      PlainConnection& other = *conns[1 - self];
      std::string sql = "BEGIN;";
      for (int n = 1 + rng() % 4; n > 0; n--) {
        switch (rng() % 8) {
          case 0:  // fails midway on an existing key (or not), and is undone alone
            sql += "INSERT OR ABORT INTO a VALUES (" + std::to_string(40 + rng() % 4) +
                   ", 'm', 0, NULL), (" + std::to_string(rng() % 40) + ", 'dup', 0, NULL);";
            break;
          case 1:
            sql += "SAVEPOINT s; " + RandomStatement(rng) + "; " + RandomStatement(rng) +
                   "; ROLLBACK TO s; RELEASE s;";
            break;
          case 2:
            sql += "UPDATE a SET id = id + 100 WHERE id = " + std::to_string(rng() % 40) + ";";
            break;
          default:
            sql += RandomStatement(rng) + ";";
        }
      }
      // A statement that fails does not end the transaction: run them one by one.
      for (size_t at = 0; at < sql.size();) {
        size_t end = sql.find(';', at);
        std::string one = sql.substr(at, end - at);
        at = end + 1;
        int rc = c.Exec(one);
        EXPECT_TRUE(rc == SQLITE_OK || rc == SQLITE_CONSTRAINT) << one << ": " << rc;
      }
      if (rng() % 3 == 0) {  // another writer commits first
        EXPECT_EQ(other.Exec(RandomStatement(rng)), SQLITE_OK) << sqlite3_errmsg(other.db());
      }
      int rc = c.Exec("COMMIT");
      if (rc != SQLITE_OK) {  // lost a race it could not settle: SQLite rolled it back
        EXPECT_EQ(rc & 0xff, SQLITE_BUSY) << sqlite3_errmsg(c.db());
        c.Exec("ROLLBACK");
        busy++;
      }
    }
    EXPECT_GT(busy, 0);
    Copy copy;
    for (const RowChange& c : ReadFeed(uri, schema_version)) {
      ASSERT_NO_FATAL_FAILURE(copy.Apply(c));
    }
    PlainConnection reader(uri);
    std::string expected = Dump(reader.db());
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(Dump(copy.db()), expected);
  }
}

TEST(ChangeFeedTest, RowChangesSectionRoundTripsAndRejectsDamage) {
  format::RowChanges changes;
  changes.schema_changed = true;
  changes.unkeyed = {"logs", "n"};
  changes.changeset = "rows";
  std::string bytes = format::EncodeRowChanges(changes);
  auto back = format::DecodeRowChanges(bytes, "db/log/9");
  ASSERT_OK(back);
  EXPECT_TRUE(back->complete);
  EXPECT_TRUE(back->schema_changed);
  EXPECT_EQ(back->unkeyed, changes.unkeyed);
  EXPECT_EQ(back->changeset, "rows");
  EXPECT_TRUE(format::DecodeRowChanges("", "k").status().IsCorruption());
  EXPECT_EQ(format::DecodeRowChanges(std::string("\x04\x00", 2), "k").status().code(),
            Status::Code::kNotSupported);
  EXPECT_TRUE(
      format::DecodeRowChanges(std::string("\x00\x05\x01", 3), "k").status().IsCorruption());
  EXPECT_TRUE(format::DecodeRowChanges(std::string("\x01\x00x", 3), "k").status().IsCorruption());
  format::RowChanges incomplete;
  incomplete.complete = false;
  incomplete.changeset = "dropped";
  auto decoded = format::DecodeRowChanges(format::EncodeRowChanges(incomplete), "k");
  ASSERT_OK(decoded);
  EXPECT_FALSE(decoded->complete);
  EXPECT_TRUE(decoded->changeset.empty());
}

}  // namespace
}  // namespace cloudlite
