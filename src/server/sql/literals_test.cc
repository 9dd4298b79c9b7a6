#include "server/sql/literals.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace cloudlite::server::sql {
namespace {

std::string Lifted(std::string_view sql) {
  std::optional<LiftedSql> l = LiftLiterals(sql);
  if (!l) return "(none)";
  std::string out = l->sql;
  for (const Value& v : l->values) {
    out += " | ";
    if (auto* n = std::get_if<int64_t>(&v)) {
      out += std::to_string(*n);
    } else {
      out += "'" + std::get<std::string>(v) + "'";
    }
  }
  return out;
}

TEST(LiftLiterals, TakesOutTheValuesComparedInTheTopLevelWhere) {
  EXPECT_EQ(Lifted("SELECT * FROM t WHERE id = 42"), "SELECT * FROM t WHERE id = ? | 42");
  EXPECT_EQ(Lifted("select a, b from t where k == 'it''s' and n >= 7 limit 3"),
            "select a, b from t where k == ? and n >= ? limit 3 | 'it's' | 7");
  EXPECT_EQ(
      Lifted("SELECT x FROM t WHERE a<>1 OR b!=2 OR c<3 OR d<=4 OR e>5 OR f>=6;"),
      "SELECT x FROM t WHERE a<>? OR b!=? OR c<? OR d<=? OR e>? OR f>=?; | 1 | 2 | 3 | 4 | 5 | 6");
  EXPECT_EQ(Lifted("SELECT 1, 'a' AS y FROM t WHERE (k = 5 AND j = '') ORDER BY 1"),
            "SELECT 1, 'a' AS y FROM t WHERE (k = ? AND j = ?) ORDER BY 1 | 5 | ''");
  EXPECT_EQ(Lifted("SELECT * FROM t -- x = 1\n WHERE /* y = 2 */ k = 000123 /* end"),
            "SELECT * FROM t -- x = 1\n WHERE /* y = 2 */ k = ? /* end | 123");
  // Only up to the WHERE's end; a function's arguments keep their text (an expression index).
  EXPECT_EQ(Lifted("SELECT * FROM t WHERE substr(k, 1, 2) > 'a' ORDER BY a = 2"),
            "SELECT * FROM t WHERE substr(k, 1, 2) > ? ORDER BY a = 2 | 'a'");
  // Operands of arithmetic too: the same expression over bound values.
  EXPECT_EQ(Lifted("SELECT id, v FROM t WHERE id = 1 + 42 % 1000 AND v > -5 || 'x'"),
            "SELECT id, v FROM t WHERE id = ? + ? % ? AND v > -? || ? | 1 | 42 | 1000 | 5 | 'x'");
  EXPECT_EQ(Lifted("SELECT * FROM t WHERE k = 123456789012345678"),
            "SELECT * FROM t WHERE k = ? | 123456789012345678");
}

TEST(LiftLiterals, LeavesAloneWhatCouldChangeTheResult) {
  for (const char* sql : {
           "SELECT * FROM t",                                              // nothing to lift
           "SELECT 5 = 5 FROM t",                                          // a result column's text
           "SELECT * FROM t JOIN u ON u.a = 1",                            // not in WHERE
           "SELECT * FROM t WHERE k = f(1, 2) OR k = ~5",                  // arguments, bitwise not
           "SELECT * FROM t WHERE d ->> '$.a' < 0.5 OR d -> 'b' = x'01'",  // JSON paths
           "SELECT * FROM t WHERE k = 1.5 OR k = 0x10 OR k = 1e3",         // not integers
           "SELECT * FROM t WHERE k = 1234567890123456789",                // 19 digits
           "SELECT * FROM t WHERE k = x'00'",                              // blob
           "SELECT * FROM t WHERE k = \"name\"",  // a name (or SQLite's fallback)
           "SELECT * FROM t WHERE k LIKE 'a%' OR k IN (1, 2) OR k BETWEEN 1 AND 2",
           "SELECT * FROM t WHERE k IN (SELECT a FROM u WHERE b = 1 ORDER BY 1)",  // subquery
           "SELECT (SELECT a FROM u WHERE b = 1) FROM t",
           "SELECT a FROM t WHERE a = 1 UNION SELECT a FROM u",
           "SELECT * FROM t WHERE k = ? AND j = 1",  // parameters of its own
           "SELECT * FROM t WHERE k = :k AND j = 1",
           "SELECT * FROM t WHERE k = $k AND j = 1",
           "SELECT * FROM t WHERE k = 1; SELECT 2",  // a second statement
           "WITH c AS (SELECT 1) SELECT * FROM c WHERE 1 = 1",
           "UPDATE t SET a = 1 WHERE k = 2",
           "WITH c AS (SELECT 1) INSERT INTO t VALUES (1)",
           "DELETE FROM t WHERE k = 2",
           "SELECT * FROM t WHERE k = 'unterminated",
           "SELECT * FROM t WHERE k = 12abc",  // SQLite's error, not ours
           "SELECT * FROM t GROUP BY a HAVING count(*) = 2",
       }) {
    EXPECT_EQ(Lifted(sql), "(none)") << sql;
  }
  // SQLite stops at a NUL even inside a comment (found by the hrana fuzz target).
  EXPECT_EQ(Lifted(std::string_view("SELECT 1 --\0\nFROM t WHERE k = 1", 31)), "(none)");
}

TEST(LiftLiterals, TakesOutTheValuesOfAnInsertsRows) {
  EXPECT_EQ(Lifted("INSERT INTO t (v) VALUES ('row 7 of the benchmark')"),
            "INSERT INTO t (v) VALUES (?) | 'row 7 of the benchmark'");
  EXPECT_EQ(Lifted("insert or replace into t values (1, 'it''s', 2.5), ( 00042 ,'');"),
            "insert or replace into t values (?, ?, 2.5), ( ? ,?); | 1 | 'it's' | 42 | ''");
  EXPECT_EQ(Lifted("REPLACE INTO t(a, b) VALUES (f(1), 2)"),
            "REPLACE INTO t(a, b) VALUES (f(1), ?) | 2");
  // What follows the rows keeps its text: an upsert's target may name a partial index.
  EXPECT_EQ(Lifted("INSERT INTO t VALUES (1, 'a') ON CONFLICT (k) WHERE k > 0 DO UPDATE SET "
                   "v = 'b' WHERE v <> 'c' RETURNING v = 'd', 5"),
            "INSERT INTO t VALUES (?, ?) ON CONFLICT (k) WHERE k > 0 DO UPDATE SET v = 'b' WHERE "
            "v <> 'c' RETURNING v = 'd', 5 | 1 | 'a'");
}

TEST(LiftLiterals, LeavesAnInsertsExpressionsAlone) {
  for (const char* sql : {
           "INSERT INTO t VALUES (-1, 1 + 2, 'a' COLLATE NOCASE, 'a' || 'b', x'01', 1.5)",
           "INSERT INTO t VALUES (1234567890123456789)",  // 19 digits
           "INSERT INTO t VALUES ((SELECT 1), 2)",        // a subquery
           "INSERT INTO t SELECT 1, 2",
           "INSERT INTO t DEFAULT VALUES",
           "INSERT INTO t VALUES (?, 1)",  // parameters of its own
           "INSERT INTO t VALUES (:a, 1)",
           "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",
           "INSERT INTO t VALUES (1))",
           "INSERT INTO t VALUES ('unterminated)",
       }) {
    EXPECT_EQ(Lifted(sql), "(none)") << sql;
  }
}

// Binds the lifted values (integers and strings) to ?1, ?2, ...
void BindAll(sqlite3_stmt* stmt, const std::vector<Value>& values) {
  for (size_t i = 0; i < values.size(); i++) {
    const int index = static_cast<int>(i + 1);
    if (auto* n = std::get_if<int64_t>(&values[i])) {
      sqlite3_bind_int64(stmt, index, *n);
    } else {
      const std::string& t = std::get<std::string>(values[i]);
      sqlite3_bind_text(stmt, index, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    }
  }
}

// Runs `sql` (one statement) with `values` bound, as rows of text for comparing.
std::vector<std::string> RowsOf(sqlite3* db, const std::string& sql,
                                const std::vector<Value>& values, std::string* columns) {
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  BindAll(stmt, values);
  columns->clear();
  for (int c = 0; c < sqlite3_column_count(stmt); c++) {
    *columns += std::string(sqlite3_column_name(stmt, c)) + "|";
  }
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(stmt); c++) {
      const unsigned char* text = sqlite3_column_text(stmt, c);
      row += std::to_string(sqlite3_column_type(stmt, c)) + ":" +
             (text ? reinterpret_cast<const char*>(text) : "null") + "|";
    }
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  return rows;
}

TEST(LiftLiterals, TheLiftedStatementReturnsWhatTheTextDoes) {
  // Comparisons across affinities and collations: a bound value converts as the literal did.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n NUMERIC, "
                         "c TEXT COLLATE NOCASE, a);"
                         "CREATE INDEX ti ON t(i); CREATE INDEX ts ON t(s);"
                         "INSERT INTO t VALUES (1, 1.0, '1', x'31', '1', 'Abc', 1),"
                         "(2, 2.5, '2', '2', 2, 'abc', '2'), (10, 10, '10', 10, '10.0', 'ABD', "
                         "'x'), (NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  int checked = 0;
  for (const char* column : {"i", "r", "s", "b", "n", "c", "a", "i + 0", "s || ''"}) {
    for (const char* op : {"=", "<", ">=", "!="}) {
      for (const char* value :
           {"1", "2", "10", "'1'", "'2'", "'10'", "'abc'", "'1.0'", "''", "-1", "1 + 1",
            "'1' || '0'", "10 / 3", "7 % 4 * 2", "'2' + 0", "1 << 3 | 2", "'ab' || 'c'"}) {
        std::string sql = std::string("SELECT rowid, * FROM t WHERE ") + column + " " + op + " " +
                          value + " ORDER BY rowid";
        SCOPED_TRACE(sql);
        std::optional<LiftedSql> l = LiftLiterals(sql);
        ASSERT_TRUE(l);
        std::string want_columns;
        std::string got_columns;
        EXPECT_EQ(RowsOf(db, l->sql, l->values, &got_columns), RowsOf(db, sql, {}, &want_columns));
        EXPECT_EQ(got_columns, want_columns);
        checked++;
      }
    }
  }
  EXPECT_EQ(checked, 9 * 4 * 17);
  sqlite3_close(db);
}

// Runs one statement with `values` bound; what it said (rc and message) and what it changed.
std::string RunOnce(sqlite3* db, const std::string& sql, const std::vector<Value>& values) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return "prepare " + std::to_string(rc) + " " + sqlite3_errmsg(db);
  BindAll(stmt, values);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  std::string out = std::to_string(rc) + " " + sqlite3_errmsg(db) + " " +
                    std::to_string(sqlite3_changes(db)) + " " +
                    std::to_string(sqlite3_last_insert_rowid(db));
  sqlite3_finalize(stmt);
  return out;
}

TEST(LiftLiterals, TheLiftedInsertStoresWhatTheTextDoes) {
  // Every column affinity, a STRICT table's type checks, constraints and their errors.
  const char* schema =
      "CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n NUMERIC, c TEXT COLLATE NOCASE, a);"
      "CREATE TABLE st(i INTEGER, r REAL, s TEXT, b BLOB, a ANY) STRICT;"
      "CREATE TABLE k(id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (length(v) < 4));";
  sqlite3* by_text = nullptr;
  sqlite3* lifted = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &by_text), SQLITE_OK);
  ASSERT_EQ(sqlite3_open(":memory:", &lifted), SQLITE_OK);
  for (sqlite3* db : {by_text, lifted}) {
    ASSERT_EQ(sqlite3_exec(db, schema, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  int checked = 0;
  for (const char* v : {"1", "'1'", "'1.0'", "'abc'", "''", "0", "' 7 '", "000123", "'x''y'",
                        "123456789012345678", "'1e3'", "'-5'", "'0x10'", "'abcd'"}) {
    const std::string x(v);
    for (const std::string& sql : {
             "INSERT INTO t VALUES (" + x + ", " + x + ", " + x + ", " + x + ", " + x + ", " + x +
                 ", " + x + ")",
             "INSERT INTO st VALUES (" + x + ", " + x + ", " + x + ", " + x + ", " + x + ")",
             "INSERT INTO k (v) VALUES (" + x + ")",
             "INSERT INTO k VALUES (" + x + ", 'v')",
             "REPLACE INTO k VALUES (1, " + x + ")",
         }) {
      SCOPED_TRACE(sql);
      std::optional<LiftedSql> l = LiftLiterals(sql);
      ASSERT_TRUE(l);
      EXPECT_FALSE(l->plan_may_differ);
      EXPECT_EQ(RunOnce(lifted, l->sql, l->values), RunOnce(by_text, sql, {}));
      checked++;
    }
  }
  EXPECT_EQ(checked, 14 * 5);
  for (const char* table : {"t", "st", "k"}) {  // each value with its type (RowsOf)
    std::string columns;
    std::string dump = std::string("SELECT quote(t.rowid), * FROM ") + table + " AS t";
    EXPECT_EQ(RowsOf(lifted, dump, {}, &columns), RowsOf(by_text, dump, {}, &columns)) << table;
  }
  sqlite3_close(by_text);
  sqlite3_close(lifted);
}

TEST(LiteralSharing, NotWithAPartialOrExpressionIndexAndFollowsTheSchema) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  LiteralSharing sharing;
  ASSERT_EQ(
      sqlite3_exec(db, "CREATE TABLE t(a, b); CREATE INDEX i ON t(a)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_TRUE(sharing.Allowed(db));
  ASSERT_EQ(sqlite3_exec(db, "CREATE INDEX p ON t(b) WHERE a = 1", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_FALSE(sharing.Allowed(db));
  ASSERT_EQ(sqlite3_exec(db, "DROP INDEX p; CREATE INDEX e ON t(a + 1)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_FALSE(sharing.Allowed(db));
  ASSERT_EQ(sqlite3_exec(db, "DROP INDEX e; CREATE INDEX c ON t(b COLLATE NOCASE, a)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_TRUE(sharing.Allowed(db));
  sharing.Clear();
  sqlite3_close(db);
}

}  // namespace
}  // namespace cloudlite::server::sql
