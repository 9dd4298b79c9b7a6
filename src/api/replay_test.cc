// The row changes Update records for a replay are bounded: past the limit the recorder stops
// and the transaction would run again instead (docs/vfs.md, "Memory").
#include "api/replay.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace cloudlite {
namespace {

class ReplayMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  }
  void TearDown() override { sqlite3_close_v2(db_); }
  void Exec(const char* sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }
  // Records a transaction inserting 2,000 rows of 1,000 bytes (2 MB) under `limit`.
  RecordedChanges Record(uint64_t limit) {
    Exec("BEGIN");
    SchemaFacts facts(db_);
    auto recorder = ChangeRecorder::Start(db_, facts, limit);
    EXPECT_TRUE(recorder.ok());
    Exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<2000)"
        "INSERT INTO t SELECT i, randomblob(1000) FROM n");
    auto changes = (*recorder)->Finish();
    EXPECT_TRUE(changes.ok());
    recorder->reset();
    Exec("ROLLBACK");
    return changes.ok() ? *changes : RecordedChanges{};
  }
  sqlite3* db_ = nullptr;
};

TEST_F(ReplayMemoryTest, ChangesPastTheLimitAreNotKept) {
  RecordedChanges small = Record(64 << 20);
  EXPECT_GT(small.changeset.size(), 2000u * 1000);
  RecordedChanges big = Record(256 << 10);
  EXPECT_TRUE(big.changeset.empty());
  EXPECT_EQ(big.tables, std::set<std::string>{"t"});
  // Applying them refuses (the caller runs the transaction again).
  Exec("BEGIN");
  SchemaFacts facts(db_);
  auto applied = ApplyChangeset(db_, facts, big);
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(*applied);
  Exec("ROLLBACK");
}

// What SchemaFacts remembers follows the schema: a table made again with another key, and a
// schema change rolled back.
TEST_F(ReplayMemoryTest, SchemaFactsFollowTheSchema) {
  SchemaFacts facts(db_);
  auto fully = [&](const char* table, bool remember = true) {
    Result<bool> r = facts.FullyRecorded(table, remember);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && *r;
  };
  Exec("CREATE TABLE u (a, b)");
  EXPECT_TRUE(fully("t"));
  EXPECT_FALSE(fully("u"));
  EXPECT_FALSE(fully("u"));  // remembered
  Exec("DROP TABLE u");
  Exec("CREATE TABLE u (a PRIMARY KEY NOT NULL, b)");
  EXPECT_TRUE(fully("u"));
  // Inside a transaction that changes the schema: answered, not remembered.
  Exec("BEGIN");
  Exec("DROP TABLE u");
  Exec("CREATE TABLE u (a, b)");
  EXPECT_FALSE(fully("u", /*remember=*/false));
  Exec("ROLLBACK");
  EXPECT_TRUE(fully("u"));
}

// ---- the recorder against SQLite's session extension ----------------------------------------

// A changeset's changes, each one line, and its table headers: comparable whatever the order of
// the rows within a table (the session extension writes them in hash order).
struct Decoded {
  std::vector<std::string> tables;   // name, columns and key flags, in order
  std::vector<std::string> changes;  // sorted
  bool operator==(const Decoded&) const = default;
  friend void PrintTo(const Decoded& d, std::ostream* os) {
    for (const std::string& t : d.tables) *os << "\n  table " << t;
    for (const std::string& c : d.changes) *os << "\n  " << c;
  }
};

std::string Show(sqlite3_value* v) {
  if (!v) return "-";
  char buf[32];
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return "i" + std::to_string(sqlite3_value_int64(v));
    case SQLITE_FLOAT: {
      double d = sqlite3_value_double(v);
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      std::snprintf(buf, sizeof buf, "f%016llx", static_cast<unsigned long long>(bits));
      return buf;
    }
    case SQLITE_TEXT:
      return "t'" +
             std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                         static_cast<size_t>(sqlite3_value_bytes(v))) +
             "'";
    case SQLITE_BLOB: {
      std::string out = "x";
      const auto* p = static_cast<const unsigned char*>(sqlite3_value_blob(v));
      for (int i = 0; i < sqlite3_value_bytes(v); i++) {
        std::snprintf(buf, sizeof buf, "%02x", p[i]);
        out += buf;
      }
      return out;
    }
    default:
      return "null";
  }
}

Decoded Decode(const std::string& changeset) {
  Decoded d;
  sqlite3_changeset_iter* it = nullptr;
  EXPECT_EQ(sqlite3changeset_start(&it, static_cast<int>(changeset.size()),
                                   const_cast<char*>(changeset.data())),
            SQLITE_OK);
  std::string last;
  while (sqlite3changeset_next(it) == SQLITE_ROW) {
    const char* table = nullptr;
    int columns = 0, op = 0, indirect = 0;
    EXPECT_EQ(sqlite3changeset_op(it, &table, &columns, &op, &indirect), SQLITE_OK);
    unsigned char* pk = nullptr;
    EXPECT_EQ(sqlite3changeset_pk(it, &pk, &columns), SQLITE_OK);
    std::string header = std::string(table) + "/" + std::to_string(columns) + "/";
    for (int i = 0; i < columns; i++) header += std::to_string(pk[i]);
    if (header != last) d.tables.push_back(last = header);
    std::string line =
        std::string(table) + " op" + std::to_string(op) + (indirect ? " indirect" : "") + " old";
    for (int i = 0; i < columns; i++) {
      sqlite3_value* v = nullptr;
      if (op != SQLITE_INSERT) sqlite3changeset_old(it, i, &v);
      line += " " + (op == SQLITE_INSERT ? std::string("-") : Show(v));
    }
    line += " new";
    for (int i = 0; i < columns; i++) {
      sqlite3_value* v = nullptr;
      if (op != SQLITE_DELETE) sqlite3changeset_new(it, i, &v);
      line += " " + (op == SQLITE_DELETE ? std::string("-") : Show(v));
    }
    d.changes.push_back(line);
  }
  EXPECT_EQ(sqlite3changeset_finalize(it), SQLITE_OK);
  std::sort(d.changes.begin(), d.changes.end());
  return d;
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (sqlite3** db : {&watched_, &recorded_}) {
      ASSERT_EQ(sqlite3_open(":memory:", db), SQLITE_OK);
      Exec(*db,
           "CREATE TABLE t1 (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB);"
           "CREATE TABLE t2 (k1 TEXT, k2 INTEGER, v, PRIMARY KEY (k2, k1)) WITHOUT ROWID;"
           "CREATE TABLE t3 (k TEXT PRIMARY KEY, v INTEGER);"  // a nullable key
           "CREATE TABLE t4 (x, y);"                           // no key
           "CREATE TABLE log (n INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);"
           "CREATE TABLE t6 (id INTEGER PRIMARY KEY, v,"
           "  parent INTEGER REFERENCES t1 (id) ON DELETE CASCADE ON UPDATE CASCADE);"
           "PRAGMA foreign_keys = ON;"
           "CREATE TRIGGER t1_log AFTER UPDATE ON t1 BEGIN "
           "  INSERT INTO log (what) VALUES ('t1 ' || new.id); END;");
    }
    facts_ = std::make_unique<SchemaFacts>(recorded_);
  }
  void TearDown() override {
    facts_.reset();
    sqlite3_close_v2(watched_);
    sqlite3_close_v2(recorded_);
  }
  static void Exec(sqlite3* db, const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db) << " in " << sql;
  }
  // The carried tables' rows, exactly (types and bytes).
  static std::string Rows(sqlite3* db) {
    std::string out;
    for (const char* sql : {"SELECT * FROM t1 ORDER BY id", "SELECT * FROM t2 ORDER BY k2, k1",
                            "SELECT * FROM t3 WHERE k IS NOT NULL ORDER BY k",
                            "SELECT * FROM log ORDER BY n", "SELECT * FROM t6 ORDER BY id"}) {
      sqlite3_stmt* stmt = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(stmt); i++) {
          out += Show(sqlite3_column_value(stmt, i)) + " ";
        }
        out += "\n";
      }
      sqlite3_finalize(stmt);
    }
    return out;
  }

  // Runs `sql` as one transaction on both databases: under a session on one, a ChangeRecorder on
  // the other. Returns the recorder's changes, having checked them against the session's and
  // against the rows: replayed on the database as it was, they give the rows the transaction
  // left (in the tables a changeset carries).
  RecordedChanges Run(const std::vector<std::string>& sql) {
    Exec(watched_, "BEGIN");
    sqlite3_session* session = nullptr;
    EXPECT_EQ(sqlite3session_create(watched_, "main", &session), SQLITE_OK);
    std::set<std::string> seen;
    sqlite3session_table_filter(
        session,
        [](void* seen, const char* table) {
          static_cast<std::set<std::string>*>(seen)->insert(table);
          return 1;
        },
        &seen);
    EXPECT_EQ(sqlite3session_attach(session, nullptr), SQLITE_OK);
    for (const std::string& s : sql) Exec(watched_, s);
    int size = 0;
    void* bytes = nullptr;
    EXPECT_EQ(sqlite3session_changeset(session, &size, &bytes), SQLITE_OK);
    const std::string expected(static_cast<const char*>(bytes), static_cast<size_t>(size));
    sqlite3_free(bytes);
    sqlite3session_delete(session);
    Exec(watched_, "COMMIT");

    RecordedChanges changes = Record(sql);
    EXPECT_EQ(Decode(changes.changeset), Decode(expected));
    EXPECT_EQ(changes.tables, seen);
    // Replayed (triggers off, as ApplyChangeset does) on the database as it was. Foreign key
    // actions too: their effects are in the changeset (a replay that meets them conflicts, and
    // Update runs the function again instead).
    Exec(recorded_, "PRAGMA foreign_keys = OFF");
    Exec(recorded_, "BEGIN");
    sqlite3_db_config(recorded_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
    EXPECT_EQ(
        sqlite3changeset_apply(
            recorded_, static_cast<int>(changes.changeset.size()),
            const_cast<char*>(changes.changeset.data()), nullptr,
            [](void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; }, nullptr),
        SQLITE_OK);
    sqlite3_db_config(recorded_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, nullptr);
    EXPECT_EQ(Rows(recorded_), Rows(watched_));
    Exec(recorded_, "ROLLBACK");
    Exec(recorded_, "PRAGMA foreign_keys = ON");
    // And the transaction itself, so that both databases stay alike.
    Exec(recorded_, "BEGIN");
    for (const std::string& s : sql) Exec(recorded_, s);
    Exec(recorded_, "COMMIT");
    return changes;
  }
  // `sql` in a transaction on the recorded database, rolled back: what the recorder saw.
  RecordedChanges Record(const std::vector<std::string>& sql) {
    Exec(recorded_, "BEGIN");
    auto recorder = ChangeRecorder::Start(recorded_, *facts_, 64 << 20);
    EXPECT_TRUE(recorder.ok());
    for (const std::string& s : sql) Exec(recorded_, s);
    Result<RecordedChanges> changes = (*recorder)->Finish();
    EXPECT_TRUE(changes.ok()) << changes.status().message();
    recorder->reset();
    Exec(recorded_, "ROLLBACK");
    return changes.ok() ? *changes : RecordedChanges{};
  }

  sqlite3* watched_ = nullptr;          // under a session
  sqlite3* recorded_ = nullptr;         // under a ChangeRecorder
  std::unique_ptr<SchemaFacts> facts_;  // of recorded_, kept across its transactions
};

// Seeded random transactions of inserts, replaces, updates (of keys too, and of nothing),
// deletes and trigger-made rows over tables of every kind of key and value.
TEST_F(RecorderTest, WritesWhatTheSessionExtensionWouldAndReplaysToTheSameRows) {
  std::mt19937 random(20261204);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto value = [&]() -> std::string {
    switch (pick(8)) {
      case 0:
        return "NULL";
      case 1:
        return std::to_string(pick(1000) - 500);
      case 2:
        return "-0.0";
      case 3:
        return std::to_string(pick(1000)) + ".25";
      case 4:
        return "''";
      case 5:
        return "'it''s " + std::to_string(pick(50)) + " \xc3\xa9'";
      case 6:
        return "X''";
      default:
        return "X'00ff" + std::to_string(pick(90) + 10) + "'";
    }
  };
  auto statement = [&]() -> std::string {
    const std::string id = std::to_string(pick(12) + 1);
    switch (pick(17)) {
      case 0:
      case 1:
        return "INSERT OR REPLACE INTO t1 VALUES (" + id + ", " + value() + ", " + value() + ", " +
               value() + ")";
      case 2:
        return "UPDATE t1 SET a = " + value() + ", b = " + value() + " WHERE id = " + id;
      case 3:
        return "UPDATE OR REPLACE t1 SET id = id + " + std::to_string(pick(3) + 1) +
               " WHERE id = " + id;
      case 4:
        return "UPDATE t1 SET a = a WHERE id = " + id;  // changes nothing
      case 5:
        return "DELETE FROM t1 WHERE id = " + id;
      case 6:
        return "INSERT OR REPLACE INTO t2 VALUES ('" + std::string(1, "abc"[pick(3)]) + "', " +
               std::to_string(pick(5)) + ", " + value() + ")";
      case 7:
        return "UPDATE OR REPLACE t2 SET k1 = 'z' WHERE k2 = " + std::to_string(pick(5));
      case 8:
        return "DELETE FROM t2 WHERE k2 = " + std::to_string(pick(5));
      case 9:
        return "INSERT OR REPLACE INTO t3 VALUES (" +
               (pick(4) == 0 ? std::string("NULL") : "'k" + std::to_string(pick(6)) + "'") + ", " +
               std::to_string(pick(100)) + ")";
      case 10:
        return "UPDATE t3 SET v = v + 1 WHERE k IS NOT NULL OR v > 50";
      case 11:
        return "INSERT INTO t4 VALUES (" + value() + ", " + value() + ")";
      case 12:
        return "DELETE FROM t4 WHERE rowid % 2 = " + std::to_string(pick(2));
      case 13:  // children, removed and re-keyed with their parent by foreign key actions
        return "INSERT OR IGNORE INTO t6 SELECT id + " + std::to_string(pick(3) * 20) +
               ", a, id FROM t1 WHERE id <= " + id;
      case 14:
        return "INSERT INTO t3 VALUES ('k" + std::to_string(pick(6)) + "', " +
               std::to_string(pick(9)) + ") ON CONFLICT (k) DO UPDATE SET v = v + excluded.v";
      case 15:
        return "UPDATE t6 SET v = " + value() + " WHERE id % 3 = " + std::to_string(pick(3));
      default:
        return pick(4) == 0 ? "DELETE FROM t1" : "UPDATE t1 SET c = zeroblob(3) WHERE id < " + id;
    }
  };
  for (int transaction = 0; transaction < 300; transaction++) {
    std::vector<std::string> sql;
    for (int n = pick(6) + 1; n > 0; n--) sql.push_back(statement());
    SCOPED_TRACE("transaction " + std::to_string(transaction));
    RecordedChanges changes = Run(sql);
    ASSERT_TRUE(changes.complete);
    if (HasFailure()) break;
  }
}

// A transaction that makes a table and fills it is recorded whole; one that changes the columns
// of a table it already wrote to, or writes to a table with generated columns (which the session
// extension refuses with SQLITE_SCHEMA), commits with its changes marked unusable.
TEST_F(RecorderTest, SchemaChangesAndGeneratedColumns) {
  RecordedChanges made = Run({"CREATE TABLE t5 (id INTEGER PRIMARY KEY, v)",
                              "INSERT INTO t5 VALUES (1, 'one')", "UPDATE t5 SET v = 'uno'"});
  EXPECT_TRUE(made.complete);
  EXPECT_FALSE(made.changeset.empty());

  RecordedChanges altered =
      Record({"INSERT INTO t5 VALUES (2, 'two')", "ALTER TABLE t5 ADD COLUMN w DEFAULT 7"});
  EXPECT_FALSE(altered.complete);
  EXPECT_TRUE(altered.changeset.empty());
  EXPECT_EQ(altered.tables, std::set<std::string>{"t5"});

  Exec(recorded_, "CREATE TABLE g (id INTEGER PRIMARY KEY, a, b AS (a * 2), c AS (a + 1) STORED)");
  RecordedChanges generated = Record({"INSERT INTO g (id, a) VALUES (1, 5)", "UPDATE g SET a = 6"});
  EXPECT_FALSE(generated.complete);
  EXPECT_EQ(generated.tables, std::set<std::string>{"g"});
}

}  // namespace
}  // namespace cloudlite
