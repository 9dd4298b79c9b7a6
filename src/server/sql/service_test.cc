#include "server/sql/service.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/random.h"
#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "testing/temp_dir.h"

namespace cloudlite::server::sql {
namespace {
namespace json = boost::json;

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const Header& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

class HranaServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("hrana"); }
  void TearDown() override { test::RemoveTree(dir_); }

  ServiceOptions Options() {
    ServiceOptions o;
    o.pool.store = "file://" + dir_;
    o.create = true;
    o.streams.now = [this] { return now_; };
    return o;
  }

  static Response Post(SqlService& s, const std::string& path, const std::string& body,
                       std::vector<Header> headers = {}) {
    Request r;
    r.method = "POST";
    r.path = path;
    r.body = body;
    r.headers = std::move(headers);
    r.remote = "127.0.0.1:5000";
    return s.Handle(r);
  }
  static Response Get(SqlService& s, const std::string& path) {
    Request r;
    r.method = "GET";
    r.path = path;
    return s.Handle(r);
  }

  // POSTs a pipeline and returns the parsed body, expecting 200.
  static json::object Pipeline(SqlService& s, const std::string& body,
                               const std::string& path = "/v2/pipeline") {
    Response r = Post(s, path, body);
    EXPECT_EQ(r.status, 200) << r.body;
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << r.body;
      return {};
    }
    return v.as_object();
  }

  // One statement in its own one-shot pipeline: the execute result (or error result).
  static json::object Exec(SqlService& s, const std::string& sql, const std::string& args = "[]",
                           const std::string& path = "/v2/pipeline") {
    json::object stmt{{"sql", sql}, {"args", json::parse(args)}};
    json::object body{{"requests", json::array{json::object{{"type", "execute"}, {"stmt", stmt}},
                                               json::object{{"type", "close"}}}}};
    json::object out = Pipeline(s, json::serialize(body), path);
    if (!out.contains("results")) return {};
    return out["results"].as_array()[0].as_object();
  }

  // Read-only access for "Authorization: Bearer ro", read-write for anything else.
  static AuthResult ReadOnlyForBearerRo(const Request& r, std::string_view /*database*/) {
    AuthResult a;
    if (r.header("authorization") == "Bearer ro") a.access = Access::kReadOnly;
    return a;
  }

  static json::value Rows(const json::object& result) {
    return result.at("response").at("result").at("rows");
  }
  static std::string ErrorCode(const json::object& result) {
    if (result.at("type") != "error") return "(ok)";
    return std::string(result.at("error").at("code").as_string());
  }
  static json::object ErrorBody(const Response& r) {
    EXPECT_EQ(HeaderOf(r, "content-type"), "application/json");
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
    EXPECT_TRUE(v.is_object() && v.as_object().contains("message")) << r.body;
    return v.is_object() ? v.as_object() : json::object{};
  }

  std::string dir_;
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::now();
};

TEST_F(HranaServiceTest, ExecuteBindsTypedValuesAndReturnsThem) {
  SqlService s(Options());
  EXPECT_EQ(ErrorCode(Exec(s, "CREATE TABLE t(i INTEGER, f REAL, x TEXT, b BLOB, n)")), "(ok)");
  json::object insert =
      Exec(s, "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
           R"J([{"type":"integer","value":"9007199254740993"},{"type":"float","value":42},
               {"type":"text","value":"héllo"},{"type":"blob","base64":"AQI="},{"type":"null"}])J");
  ASSERT_EQ(ErrorCode(insert), "(ok)") << json::serialize(insert);
  const json::value& result = insert.at("response").at("result");
  EXPECT_EQ(result.at("affected_row_count"), 1);
  EXPECT_EQ(result.at("last_insert_rowid"), "1");

  json::object select = Exec(s, "SELECT i, f, x, b, n, typeof(f) FROM t");
  ASSERT_EQ(ErrorCode(select), "(ok)") << json::serialize(select);
  EXPECT_EQ(json::serialize(Rows(select)),
            R"J([[{"type":"integer","value":"9007199254740993"},{"type":"float","value":4.2E1},)J"
            R"J({"type":"text","value":"héllo"},{"type":"blob","base64":"AQI"},{"type":"null"},)J"
            R"J({"type":"text","value":"real"}]])J");
  const json::value& cols = select.at("response").at("result").at("cols");
  EXPECT_EQ(cols.at(0).at("name"), "i");
  EXPECT_EQ(cols.at(0).at("decltype"), "INTEGER");
  EXPECT_TRUE(cols.at(5).at("decltype").is_null());
  EXPECT_EQ(select.at("response").at("result").at("affected_row_count"), 0);
  EXPECT_TRUE(select.at("response").at("result").at("last_insert_rowid").is_null());
}

TEST_F(HranaServiceTest, NamedArgumentsWithAndWithoutPrefix) {
  SqlService s(Options());
  json::object r = Exec(s, "SELECT :a, @b, $c",
                        R"J([])J");  // no values: refused, never run with NULLs (as sqld)
  EXPECT_EQ(ErrorCode(r), "ARGS_INVALID");
  std::string body = R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT :a, @b, $c",
      "named_args":[{"name":":a","value":{"type":"integer","value":"1"}},
                    {"name":"b","value":{"type":"text","value":"two"}},
                    {"name":"$c","value":{"type":"null"}}]}},{"type":"close"}]})J";
  json::object out = Pipeline(s, body);
  EXPECT_EQ(
      json::serialize(Rows(out["results"].as_array()[0].as_object())),
      R"J([[{"type":"integer","value":"1"},{"type":"text","value":"two"},{"type":"null"}]])J");
  std::string unknown = R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT :a",
      "named_args":[{"name":"zz","value":{"type":"null"}}]}},{"type":"close"}]})J";
  out = Pipeline(s, unknown);
  EXPECT_EQ(ErrorCode(out["results"].as_array()[0].as_object()), "ARGS_INVALID");
}

// Found by scripts/hrana-differential.py: sqld and hrana-test-server refuse a statement with a
// parameter left without a value; cloudlite ran it with NULL.
TEST_F(HranaServiceTest, ParameterWithoutValueIsArgsInvalid) {
  SqlService s(Options());
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT ?, ?", R"J([{"type":"integer","value":"1"}])J")),
            "ARGS_INVALID");
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT ?1, ?3", R"J([{"type":"integer","value":"1"}])J")),
            "ARGS_INVALID");
  std::string named = R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT :a, :b",
      "named_args":[{"name":"a","value":{"type":"null"}}]}},{"type":"close"}]})J";
  json::object out = Pipeline(s, named);
  EXPECT_EQ(ErrorCode(out["results"].as_array()[0].as_object()), "ARGS_INVALID");
  // Every parameter given, numbered ones repeated: runs.
  json::object ok = Exec(s, "SELECT ?1, ?2, ?1",
                         R"J([{"type":"integer","value":"7"},{"type":"integer","value":"8"}])J");
  ASSERT_EQ(ErrorCode(ok), "(ok)") << json::serialize(ok);
  EXPECT_EQ(json::serialize(Rows(ok)),
            R"J([[{"type":"integer","value":"7"},{"type":"integer","value":"8"},)J"
            R"J({"type":"integer","value":"7"}]])J");
  // EXPLAIN shows the plan of a statement whose values are not known yet, as in sqld.
  EXPECT_EQ(ErrorCode(Exec(s, "EXPLAIN SELECT ?")), "(ok)");
}

// Found by scripts/hrana-differential.py: TEXT that is not UTF-8 went into the JSON answer as
// raw bytes, so the whole response was not valid JSON. It is now an error result naming the
// column, and the same bytes read as a blob still work.
TEST_F(HranaServiceTest, TextThatIsNotUtf8IsAnErrorResultNotBrokenJson) {
  SqlService s(Options());
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT 'ok', CAST(x'ff41' AS TEXT)")), "UNICODE_ERROR");
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT CAST(x'c0af' AS TEXT)")), "UNICODE_ERROR");    // overlong
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT CAST(x'eda080' AS TEXT)")), "UNICODE_ERROR");  // surrogate
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT CAST(x'e282' AS TEXT)")), "UNICODE_ERROR");    // truncated
  json::object blob = Exec(s, "SELECT x'ff41', CAST(x'e282ac' AS TEXT)");
  ASSERT_EQ(ErrorCode(blob), "(ok)") << json::serialize(blob);
  EXPECT_EQ(json::serialize(Rows(blob)),
            R"J([[{"type":"blob","base64":"/0E"},{"type":"text","value":"€"}]])J");
}

TEST_F(HranaServiceTest, BatchConditions) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x PRIMARY KEY)");
  Exec(s, "INSERT INTO t VALUES (1)");
  std::string body = R"J({"requests":[{"type":"batch","batch":{"steps":[
    {"stmt":{"sql":"INSERT INTO t VALUES (1)"}},
    {"condition":{"type":"error","step":0},"stmt":{"sql":"SELECT 'after error'"}},
    {"condition":{"type":"ok","step":0},"stmt":{"sql":"SELECT 'skipped'"}},
    {"condition":{"type":"not","cond":{"type":"ok","step":2}},"stmt":{"sql":"SELECT 'not'"}},
    {"condition":{"type":"and","conds":[{"type":"ok","step":1},{"type":"ok","step":3}]},
     "stmt":{"sql":"SELECT 'and'"}},
    {"condition":{"type":"or","conds":[{"type":"ok","step":2},{"type":"error","step":2}]},
     "stmt":{"sql":"SELECT 'or of skipped'"}}]}},{"type":"close"}]})J";
  json::object out = Pipeline(s, body);
  const json::value& result = out["results"].as_array()[0].at("response").at("result");
  const json::array& results = result.at("step_results").as_array();
  const json::array& errors = result.at("step_errors").as_array();
  ASSERT_EQ(results.size(), 6u);
  EXPECT_TRUE(results[0].is_null());
  EXPECT_EQ(errors[0].at("code"), "SQLITE_CONSTRAINT");
  EXPECT_FALSE(results[1].is_null());
  EXPECT_TRUE(results[2].is_null() && errors[2].is_null());  // skipped
  EXPECT_FALSE(results[3].is_null());
  EXPECT_FALSE(results[4].is_null());
  EXPECT_TRUE(results[5].is_null() && errors[5].is_null());
}

TEST_F(HranaServiceTest, LibsqlClientBatchShapeIsAtomic) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x PRIMARY KEY)");
  // What @libsql/client's batch(..., "write") sends; the second insert fails, so ROLLBACK runs.
  std::string body = R"J({"requests":[
    {"type":"store_sql","sql_id":0,"sql":"INSERT INTO t VALUES (1)"},
    {"type":"store_sql","sql_id":1,"sql":"INSERT INTO t VALUES (?)"},
    {"type":"batch","batch":{"steps":[
      {"stmt":{"sql":"BEGIN IMMEDIATE","args":[],"named_args":[],"want_rows":false}},
      {"condition":{"type":"ok","step":0},"stmt":{"sql_id":0,"args":[],"named_args":[],"want_rows":true}},
      {"condition":{"type":"ok","step":1},"stmt":{"sql_id":1,"args":[{"type":"integer","value":"1"}],"named_args":[],"want_rows":true}},
      {"condition":{"type":"ok","step":2},"stmt":{"sql":"COMMIT","args":[],"named_args":[],"want_rows":false}},
      {"condition":{"type":"not","cond":{"type":"ok","step":3}},"stmt":{"sql":"ROLLBACK","args":[],"named_args":[],"want_rows":false}}]}},
    {"type":"close_sql","sql_id":0},{"type":"close_sql","sql_id":1},
    {"type":"close"}]})J";
  json::object out = Pipeline(s, body);
  const json::array& results = out["results"].as_array();
  ASSERT_EQ(results.size(), 6u);
  const json::value& batch = results[2].at("response").at("result");
  EXPECT_EQ(batch.at("step_errors").at(2).at("code"), "SQLITE_CONSTRAINT");
  EXPECT_FALSE(batch.at("step_results").at(4).is_null());  // ROLLBACK ran
  EXPECT_TRUE(out["baton"].is_null());
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"0"}]])J");

  // The same batch without the failure commits both rows.
  std::string ok = body;
  ok.replace(ok.find(R"J("value":"1"}])J"), 11, R"J("value":"2")J");
  out = Pipeline(s, ok);
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT x FROM t ORDER BY x"))),
            R"J([[{"type":"integer","value":"1"}],[{"type":"integer","value":"2"}]])J");
}

TEST_F(HranaServiceTest, SequenceDescribeAndStoredSql) {
  SqlService s(Options());
  std::string body = R"J({"requests":[
    {"type":"sequence","sql":"CREATE TABLE a(x); CREATE TABLE b(y INT); INSERT INTO b VALUES (5);"},
    {"type":"describe","sql":"SELECT y AS yy FROM b WHERE y > ? AND y < :max"},
    {"type":"store_sql","sql_id":7,"sql":"SELECT y FROM b"},
    {"type":"execute","stmt":{"sql_id":7}},
    {"type":"store_sql","sql_id":7,"sql":"SELECT 1"},
    {"type":"close_sql","sql_id":7},
    {"type":"execute","stmt":{"sql_id":7}},
    {"type":"sequence","sql":"INSERT INTO b VALUES (6); SELECT nope FROM b; INSERT INTO b VALUES (7)"},
    {"type":"close"}]})J";
  json::object out = Pipeline(s, body);
  const json::array& r = out["results"].as_array();
  EXPECT_EQ(r[0].at("response").at("type"), "sequence");
  const json::value& d = r[1].at("response").at("result");
  EXPECT_EQ(json::serialize(d.at("params")), R"J([{"name":null},{"name":":max"}])J");
  EXPECT_EQ(d.at("cols").at(0).at("name"), "yy");
  EXPECT_EQ(d.at("cols").at(0).at("decltype"), "INT");
  EXPECT_EQ(d.at("is_readonly"), true);
  EXPECT_EQ(d.at("is_explain"), false);
  EXPECT_EQ(json::serialize(Rows(r[3].as_object())), R"J([[{"type":"integer","value":"5"}]])J");
  EXPECT_EQ(ErrorCode(r[4].as_object()), "SQL_STORE_EXISTS");
  EXPECT_EQ(ErrorCode(r[6].as_object()), "SQL_NOT_FOUND");
  EXPECT_EQ(ErrorCode(r[7].as_object()), "SQLITE_ERROR");  // stops at the failing statement
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT y FROM b ORDER BY y"))),
            R"J([[{"type":"integer","value":"5"}],[{"type":"integer","value":"6"}]])J");
}

TEST_F(HranaServiceTest, ManyOrNoStatementsInExecute) {
  SqlService s(Options());
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT 1; SELECT 2")), "SQL_MANY_STATEMENTS");
  EXPECT_EQ(ErrorCode(Exec(s, "  -- nothing\n")), "SQL_NO_STATEMENT");
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT 1; -- trailing comment")), "(ok)");
}

// An interactive transaction over batons, as @libsql/client's transaction("write") sends it.
TEST_F(HranaServiceTest, BatonsChainAnInteractiveTransaction) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x)");
  json::object r1 = Pipeline(s, R"J({"requests":[
      {"type":"store_sql","sql_id":0,"sql":"SELECT count(*) FROM t"},
      {"type":"batch","batch":{"steps":[{"stmt":{"sql":"BEGIN IMMEDIATE"}},
        {"condition":{"type":"ok","step":0},"stmt":{"sql_id":0}}]}}]})J");
  ASSERT_TRUE(r1["baton"].is_string());
  std::string b1(r1["baton"].as_string());
  json::object r2 = Pipeline(
      s, R"J({"baton":")J" + b1 +
             R"J(","requests":[{"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (1)"}}]})J");
  ASSERT_TRUE(r2["baton"].is_string());
  std::string b2(r2["baton"].as_string());
  EXPECT_NE(b1, b2);
  // Not visible to others before COMMIT.
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"0"}]])J");
  // The used baton is refused.
  Response reused = Post(s, "/v2/pipeline", R"J({"baton":")J" + b1 + R"J(","requests":[]})J");
  EXPECT_EQ(reused.status, 400);
  EXPECT_EQ(ErrorBody(reused)["code"], "BATON_REUSED");
  json::object r3 = Pipeline(
      s, R"J({"baton":")J" + b2 +
             R"J(","requests":[{"type":"execute","stmt":{"sql":"COMMIT"}},{"type":"close"}]})J");
  EXPECT_TRUE(r3["baton"].is_null());
  EXPECT_EQ(ErrorCode(r3["results"].as_array()[0].as_object()), "(ok)");
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"1"}]])J");
  EXPECT_EQ(s.streams().open(), 0u);
}

TEST_F(HranaServiceTest, RollbackAndCloseDiscardTheTransaction) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x)");
  json::object r1 = Pipeline(s, R"J({"requests":[{"type":"execute","stmt":{"sql":"BEGIN"}},
      {"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (1)"}}]})J");
  std::string b(r1["baton"].as_string());
  json::object r2 = Pipeline(s, R"J({"baton":")J" + b + R"J(","requests":[{"type":"close"}]})J");
  EXPECT_TRUE(r2["baton"].is_null());
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"0"}]])J");
  // The closed stream's baton.
  Response closed = Post(s, "/v2/pipeline", R"J({"baton":")J" + b + R"J(","requests":[]})J");
  EXPECT_EQ(closed.status, 400);
}

TEST_F(HranaServiceTest, ASavepointOnAStreamIsATransaction) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x)");
  json::object r = Pipeline(s, R"J({"requests":[{"type":"execute","stmt":{"sql":"SAVEPOINT a"}},
      {"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (1)"}},{"type":"get_autocommit"}]})J",
                            "/v3/pipeline");
  const json::array& results = r["results"].as_array();
  EXPECT_EQ(ErrorCode(results[1].as_object()), "(ok)");
  EXPECT_EQ(results[2].at("response").at("is_autocommit"), false);
  json::object end = Pipeline(s,
                              R"J({"baton":")J" + std::string(r["baton"].as_string()) +
                                  R"J(","requests":[{"type":"execute","stmt":{"sql":"RELEASE a"}},
      {"type":"get_autocommit"},{"type":"close"}]})J",
                              "/v3/pipeline");
  EXPECT_EQ(end["results"].as_array()[1].at("response").at("is_autocommit"), true);
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"1"}]])J");
}

TEST_F(HranaServiceTest, ForgedBatonsAreRefused) {
  SqlService s(Options());
  json::object r1 = Pipeline(s, R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}}]})J");
  std::string b(r1["baton"].as_string());
  for (std::string forged : {std::string("garbage"), std::string(""), b.substr(0, b.size() - 2)}) {
    Response r = Post(s, "/v2/pipeline", R"J({"baton":")J" + forged + R"J(","requests":[]})J");
    EXPECT_EQ(r.status, 400) << forged;
    EXPECT_EQ(ErrorBody(r)["code"], "BATON_INVALID");
  }
  // A flipped bit in the sequence number (an attempt to guess the next baton).
  std::string flipped = b;
  flipped[12] = flipped[12] == 'A' ? 'B' : 'A';
  Response r = Post(s, "/v2/pipeline", R"J({"baton":")J" + flipped + R"J(","requests":[]})J");
  EXPECT_EQ(ErrorBody(r)["code"], "BATON_INVALID");
  // A baton of another server process (another key).
  SqlService other(Options());
  Response foreign = Post(other, "/v2/pipeline", R"J({"baton":")J" + b + R"J(","requests":[]})J");
  EXPECT_EQ(ErrorBody(foreign)["code"], "BATON_INVALID");
  // The genuine baton still works.
  EXPECT_EQ(Post(s, "/v2/pipeline", R"J({"baton":")J" + b + R"J(","requests":[{"type":"close"}]})J")
                .status,
            200);
}

TEST_F(HranaServiceTest, IdleStreamsExpireAndLongTransactionsAreRolledBack) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x)");
  json::object idle = Pipeline(s, R"J({"requests":[]})J");
  json::object tx = Pipeline(s, R"J({"requests":[{"type":"execute","stmt":{"sql":"BEGIN"}},
      {"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (1)"}}]})J");
  std::string tx_baton(tx["baton"].as_string());
  // Keep the transaction's stream busy enough not to idle out, but past the transaction bound.
  for (int i = 0; i < 3; i++) {  // 24 s
    now_ += std::chrono::seconds(8);
    json::object r = Pipeline(s, R"J({"baton":")J" + tx_baton + R"J(","requests":[]})J");
    ASSERT_TRUE(r["baton"].is_string());
    tx_baton = std::string(r["baton"].as_string());
  }
  now_ += std::chrono::seconds(8);  // 32 s: past the 30 s bound, and the idle stream's 10 s
  Response r = Post(s, "/v2/pipeline", R"J({"baton":")J" + tx_baton + R"J(","requests":[]})J");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorBody(r)["code"], "TRANSACTION_TIMEOUT");
  Response expired =
      Post(s, "/v2/pipeline",
           R"J({"baton":")J" + std::string(idle["baton"].as_string()) + R"J(","requests":[]})J");
  EXPECT_EQ(expired.status, 400);
  EXPECT_EQ(ErrorBody(expired)["code"], "STREAM_EXPIRED");
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"0"}]])J");
  EXPECT_EQ(s.streams().open(), 0u);
}

TEST_F(HranaServiceTest, AnyRequestEndsExpiredStreamsAndFreesTheirConnections) {
  SqlService s(Options());
  Pipeline(s, R"J({"requests":[{"type":"execute","stmt":{"sql":"BEGIN"}}]})J");
  EXPECT_EQ(s.streams().open(), 1u);
  EXPECT_EQ(s.pool().open_connections(), 1u);
  now_ += std::chrono::seconds(11);
  Exec(s, "SELECT 1");  // a one-shot request, no baton
  EXPECT_EQ(s.streams().open(), 0u);
  EXPECT_EQ(s.pool().open_connections(), 1u);  // the connection is back, idle, for reuse
}

TEST_F(HranaServiceTest, ReadonlyTransactionsCannotWrite) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x)");
  // What transaction("read") sends; SQLite alone would let the INSERT through.
  json::object out = Pipeline(s, R"J({"requests":[{"type":"batch","batch":{"steps":[
      {"stmt":{"sql":"BEGIN TRANSACTION READONLY"}},
      {"condition":{"type":"ok","step":0},"stmt":{"sql":"INSERT INTO t VALUES (1)"}},
      {"condition":{"type":"ok","step":0},"stmt":{"sql":"SELECT count(*) FROM t"}}]}}]})J");
  const json::value& batch = out["results"].as_array()[0].at("response").at("result");
  EXPECT_EQ(batch.at("step_errors").at(1).at("code"), "SQLITE_AUTH");
  EXPECT_FALSE(batch.at("step_results").at(2).is_null());
  std::string b(out["baton"].as_string());
  json::object end = Pipeline(s, R"J({"baton":")J" + b +
                                     R"J(","requests":[{"type":"execute","stmt":{"sql":"COMMIT"}},
      {"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (2)"}},{"type":"close"}]})J");
  // After COMMIT the stream writes again.
  EXPECT_EQ(ErrorCode(end["results"].as_array()[1].as_object()), "(ok)");
  // The one-shot form, too.
  json::object shot = Pipeline(s, R"J({"requests":[{"type":"batch","batch":{"steps":[
      {"stmt":{"sql":"BEGIN TRANSACTION READONLY"}},
      {"condition":{"type":"ok","step":0},"stmt":{"sql":"DELETE FROM t"}},
      {"stmt":{"sql":"COMMIT"}}]}},{"type":"close"}]})J");
  EXPECT_EQ(
      shot["results"].as_array()[0].at("response").at("result").at("step_errors").at(1).at("code"),
      "SQLITE_AUTH");
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT x FROM t"))),
            R"J([[{"type":"integer","value":"2"}]])J");
}

TEST_F(HranaServiceTest, ReadOnlyAccessReadsThroughPragmaFunctions) {
  ServiceOptions o = Options();
  o.authorize = ReadOnlyForBearerRo;
  SqlService s(o);
  ASSERT_EQ(ErrorCode(Exec(s, "CREATE TABLE t(x, y)")), "(ok)");
  // SQLite checks a pragma function's first use on a connection as an UPDATE of
  // sqlite_schema; that is no write.
  std::string body =
      R"J({"requests":[{"type":"execute","stmt":{"sql":)J"
      R"J("SELECT name FROM pragma_table_info('t') ORDER BY cid"}},{"type":"close"}]})J";
  Response r = Post(s, "/v2/pipeline", body, {{"authorization", "Bearer ro"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json::object result = json::parse(r.body).at("results").at(0).as_object();
  ASSERT_EQ(ErrorCode(result), "(ok)") << r.body;
  EXPECT_EQ(Rows(result).as_array().size(), 2u);
  // Writing sqlite_schema itself stays refused.
  r = Post(
      s, "/v2/pipeline",
      R"J({"requests":[{"type":"execute","stmt":{"sql":"UPDATE sqlite_schema SET sql = ''"}},)J"
      R"J({"type":"close"}]})J");
  EXPECT_NE(ErrorCode(json::parse(r.body).at("results").at(0).as_object()), "(ok)") << r.body;
}

TEST_F(HranaServiceTest, RepeatedStatementsRunPreparedOnceUnderTheSameGuardOnly) {
  ServiceOptions o = Options();
  o.authorize = ReadOnlyForBearerRo;
  SqlService s(o);
  auto exec = [&](const std::string& token, const std::string& sql) {
    std::string body =
        R"J({"requests":[{"type":"execute","stmt":{"sql":")J" + sql + R"J("}},{"type":"close"}]})J";
    Response r = Post(s, "/v2/pipeline", body, {{"authorization", token}});
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("results").at(0).as_object();
  };
  const std::string insert = "INSERT INTO t VALUES (1)";
  const std::string select = "SELECT * FROM t";
  ASSERT_EQ(ErrorCode(exec("Bearer rw", "CREATE TABLE t(x)")), "(ok)");
  ASSERT_EQ(ErrorCode(exec("Bearer rw", insert)), "(ok)");
  ASSERT_EQ(ErrorCode(exec("Bearer rw", insert)), "(ok)");
  EXPECT_EQ(Rows(exec("Bearer rw", select)).as_array().size(), 2u);
  {
    // The read ran on the connection given back last (writes ran on the group's): its
    // statement stayed prepared there.
    Result<DatabasePool::Lease> lease = s.pool().Acquire("default", false);
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(lease->statements().ReadOnly(select), std::optional<bool>(true));
  }
  // The INSERT prepared for a writer is not reused where the authorizer must refuse it.
  EXPECT_EQ(ErrorCode(exec("Bearer ro", insert)), "SQLITE_AUTH");
  // A prepared statement follows the data and the schema.
  ASSERT_EQ(ErrorCode(exec("Bearer rw", insert)), "(ok)");
  ASSERT_EQ(ErrorCode(exec("Bearer rw", "ALTER TABLE t ADD COLUMN y DEFAULT 7")), "(ok)");
  json::value rows = Rows(exec("Bearer ro", select));
  ASSERT_EQ(rows.as_array().size(), 3u);
  EXPECT_EQ(json::serialize(rows.at(2)),
            R"J([{"type":"integer","value":"1"},{"type":"integer","value":"7"}])J");
}

TEST_F(HranaServiceTest, ReadsWithValuesWrittenInShareOneStatement) {
  SqlService s(Options());
  ASSERT_EQ(ErrorCode(Exec(s, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT, n)")), "(ok)");
  ASSERT_EQ(ErrorCode(Exec(s, "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', '30')")),
            "(ok)");
  auto cached = [&](const std::string& sql) {
    Result<DatabasePool::Lease> lease = s.pool().Acquire("default", false);
    EXPECT_TRUE(lease.ok());
    return lease.ok() ? lease->statements().ReadOnly(sql) : std::nullopt;
  };
  const std::string shared = "SELECT n AS x, v FROM t WHERE k = ? AND n >= ?";
  // n has no affinity: 10 and 20 are integers, '30' is text (greater than any number).
  for (int k = 1; k <= 3; k++) {
    json::object r =
        Exec(s, "SELECT n AS x, v FROM t WHERE k = " + std::to_string(k) + " AND n >= 10");
    ASSERT_EQ(ErrorCode(r), "(ok)");
    const json::value& result = r.at("response").at("result");
    EXPECT_EQ(json::serialize(result.at("cols")),
              R"J([{"name":"x","decltype":null},{"name":"v","decltype":"TEXT"}])J");
    ASSERT_EQ(result.at("rows").as_array().size(), 1u) << k;
    EXPECT_EQ(result.at("rows").at(0).at(1).at("value").as_string(),
              std::string(1, static_cast<char>('a' + k - 1)));
  }
  // The three texts ran as one statement, with the values bound as their literals read.
  EXPECT_EQ(cached(shared), std::optional<bool>(true));
  EXPECT_EQ(cached("SELECT n AS x, v FROM t WHERE k = 3 AND n >= 10"), std::nullopt);
  EXPECT_EQ(Rows(Exec(s, "SELECT k FROM t WHERE n = '30'")).as_array().size(), 1u);
  EXPECT_EQ(Rows(Exec(s, "SELECT k FROM t WHERE n = 30 OR n = '20'")).as_array().size(), 0u);
  // Its errors are those of the client's text.
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT nope FROM t WHERE k = 1")), "SQLITE_ERROR");
  // A partial index's use may depend on the value itself: then each text is its own statement.
  ASSERT_EQ(ErrorCode(Exec(s, "CREATE INDEX p ON t(v) WHERE k > 1")), "(ok)");
  EXPECT_EQ(Rows(Exec(s, "SELECT k FROM t WHERE k > 1 AND v = 'c'")).as_array().size(), 1u);
  EXPECT_EQ(cached("SELECT k FROM t WHERE k > 1 AND v = 'c'"), std::optional<bool>(true));
}

TEST_F(HranaServiceTest, InsertsWithValuesWrittenInShareOneStatement) {
  ServiceOptions o = Options();
  o.group_commit.enabled = false;  // each write on the connection given back last
  SqlService s(o);
  // A partial index does not stop an insert's sharing: an insert has no plan to choose.
  ASSERT_EQ(ErrorCode(Exec(s, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT, n)")), "(ok)");
  ASSERT_EQ(ErrorCode(Exec(s, "CREATE INDEX p ON t(v) WHERE k > 1")), "(ok)");
  for (int k = 1; k <= 3; k++) {
    ASSERT_EQ(ErrorCode(Exec(s, "INSERT INTO t VALUES (" + std::to_string(k) + ", '" +
                                    std::to_string(k * 10) + "', '" + std::to_string(k) + "')")),
              "(ok)");
  }
  Result<DatabasePool::Lease> lease = s.pool().Acquire("default", false);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->statements().ReadOnly("INSERT INTO t VALUES (?, ?, ?)"), std::optional(false));
  EXPECT_EQ(lease->statements().ReadOnly("INSERT INTO t VALUES (3, '30', '3')"), std::nullopt);
  lease = Result<DatabasePool::Lease>(Status::Internal("released"));
  // Stored as the literals read: v's affinity made text of '10', n (none) kept text.
  EXPECT_EQ(
      json::serialize(Rows(Exec(s, "SELECT typeof(k), v, typeof(v), typeof(n) FROM t"))),
      json::serialize(Rows(Exec(s, "SELECT 'integer', (k * 10) || '', 'text', 'text' FROM t"))));
  // Its errors are those of the client's text.
  EXPECT_EQ(ErrorCode(Exec(s, "INSERT INTO t VALUES (1, 'x', 'y')")), "SQLITE_CONSTRAINT");
  EXPECT_EQ(ErrorCode(Exec(s, "INSERT INTO nope VALUES (1)")), "SQLITE_ERROR");
}

TEST_F(HranaServiceTest, AuthorizerDecidesAccess) {
  ServiceOptions o = Options();
  o.authorize = [](const Request& r, std::string_view db) {
    AuthResult a;
    std::string_view token = r.header("authorization");
    if (token == "Bearer rw") return a;
    if (token == "Bearer ro") {
      a.access = Access::kReadOnly;
      return a;
    }
    a.access = Access::kDenied;
    a.status = 401;
    a.message = "no token for " + std::string(db);
    a.code = "AUTH_HTTP_HEADER_MISSING";
    return a;
  };
  SqlService s(o);
  auto exec = [&](const std::string& token, const std::string& sql) {
    std::string body =
        R"J({"requests":[{"type":"execute","stmt":{"sql":")J" + sql + R"J("}},{"type":"close"}]})J";
    return Post(s, "/v2/pipeline", body, {{"authorization", token}});
  };
  EXPECT_EQ(exec("Bearer rw", "CREATE TABLE t(x)").status, 200);
  Response denied = exec("", "SELECT 1");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(ErrorBody(denied)["code"], "AUTH_HTTP_HEADER_MISSING");
  Response ro_write = exec("Bearer ro", "INSERT INTO t VALUES (1)");
  ASSERT_EQ(ro_write.status, 200);
  EXPECT_NE(ro_write.body.find("SQLITE_AUTH"), std::string::npos) << ro_write.body;
  Response ro_read = exec("Bearer ro", "SELECT count(*) FROM t");
  EXPECT_NE(ro_read.body.find(R"J("value":"0")J"), std::string::npos) << ro_read.body;
}

TEST_F(HranaServiceTest, StatementsThatWouldEscapeTheDatabaseAreRefused) {
  SqlService s(Options());
  std::string outside = dir_ + "/outside.db";
  for (std::string sql :
       {"ATTACH '" + outside + "' AS x", "VACUUM INTO '" + outside + "'",
        std::string("SELECT load_extension('libm')"), std::string("PRAGMA journal_mode=WAL"),
        std::string("PRAGMA writable_schema=ON"), std::string("PRAGMA mmap_size=1000000")}) {
    json::object r = Exec(s, sql);
    EXPECT_EQ(r.at("type"), "error") << sql;
    EXPECT_FALSE(std::filesystem::exists(outside)) << sql;
  }
  EXPECT_EQ(ErrorCode(Exec(s, "PRAGMA journal_mode")), "(ok)");  // reading is fine
  EXPECT_EQ(ErrorCode(Exec(s, "CREATE TABLE t(x)")), "(ok)");
  EXPECT_EQ(ErrorCode(Exec(s, "PRAGMA table_info(t)")), "(ok)");
}

TEST_F(HranaServiceTest, ResultLimitsAreErrorsNotTruncation) {
  ServiceOptions o = Options();
  o.session.max_rows = 10;
  o.session.max_result_bytes = 1000;
  SqlService s(o);
  std::string series = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT ";
  EXPECT_EQ(ErrorCode(Exec(s, series + "10) SELECT i FROM c")), "(ok)");
  EXPECT_EQ(ErrorCode(Exec(s, series + "11) SELECT i FROM c")), "RESPONSE_TOO_LARGE");
  EXPECT_EQ(ErrorCode(Exec(s, "SELECT zeroblob(2000)")), "RESPONSE_TOO_LARGE");
}

TEST_F(HranaServiceTest, StatementCountLimit) {
  ServiceOptions o = Options();
  o.decode.max_statements = 3;
  SqlService s(o);
  std::string body = R"J({"requests":[{"type":"batch","batch":{"steps":[
      {"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql":"SELECT 1"}},
      {"stmt":{"sql":"SELECT 1"}}]}},{"type":"close"}]})J";
  Response r = Post(s, "/v2/pipeline", body);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(std::string(ErrorBody(r)["message"].as_string()).find("more than 3 statements"),
            std::string::npos);
}

TEST_F(HranaServiceTest, ARequestPastItsDeadlineIsInterrupted) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE t(x)");
  const std::string forever = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) ";
  auto run = [&](const std::string& sql, std::chrono::milliseconds budget) {
    Request r;
    r.method = "POST";
    r.path = "/v2/pipeline";
    json::object body{{"requests", json::array{json::object{{"type", "execute"},
                                                            {"stmt", json::object{{"sql", sql}}}},
                                               json::object{{"type", "close"}}}}};
    r.body = json::serialize(body);
    r.deadline = std::chrono::steady_clock::now() + budget;
    return s.Handle(r);
  };
  // Past the deadline before it starts: nothing runs.
  Response late = run(forever + "SELECT count(*) FROM c", std::chrono::milliseconds(0));
  ASSERT_EQ(late.status, 200) << late.body;
  EXPECT_NE(late.body.find(R"J("code":"SQLITE_INTERRUPT")J"), std::string::npos) << late.body;
  // Statements that never end, stopped whenever the deadline comes: a read (the progress
  // handler) fails alone; a write inside Update (the same handler: Update keeps it) makes SQLite
  // roll the transaction back, so the request fails as a whole, or, on a machine slow enough to
  // reach the deadline before the statement starts, the statement is not run. Nothing is written.
  Response read = run(forever + "SELECT count(*) FROM c", std::chrono::milliseconds(50));
  EXPECT_NE(read.body.find(R"J("code":"SQLITE_INTERRUPT")J"), std::string::npos) << read.body;
  Response write = run(forever + "INSERT INTO t SELECT i FROM c", std::chrono::milliseconds(50));
  EXPECT_NE(write.body.find(R"J("code":"SQLITE_INTERRUPT")J"), std::string::npos) << write.body;
  EXPECT_TRUE(write.status == 400 || write.status == 200) << write.status;
  // The connection is fine afterwards.
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"0"}]])J");
}

TEST_F(HranaServiceTest, TheFastPathAnswersOnlyOneShotReadsOnAnIdleConnectionInTime) {
  ServiceOptions o = Options();
  o.inline_budget = std::chrono::milliseconds(200);
  SqlService s(o);
  auto request = [](const std::string& sql, bool one_shot = true) {
    Request r;
    r.method = "POST";
    r.path = "/v2/pipeline";
    json::array requests{json::object{{"type", "execute"}, {"stmt", json::object{{"sql", sql}}}}};
    if (one_shot) requests.push_back(json::object{{"type", "close"}});
    r.body = json::serialize(json::object{{"requests", requests}});
    return r;
  };
  const Request read = request("SELECT count(*) FROM t");
  EXPECT_FALSE(s.TryInline(read)) << "no database open yet: opening one may take long";
  Exec(s, "CREATE TABLE t(x)");
  // A write, also beside a read, is left to the workers and not run.
  EXPECT_FALSE(s.TryInline(request("INSERT INTO t VALUES (1)")));
  Request mixed = read;
  mixed.body.insert(mixed.body.find(R"J("requests":[)J") + 12,
                    R"J({"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (2)"}},)J");
  EXPECT_FALSE(s.TryInline(mixed));
  {
    // SQL that begins with INSERT, UPDATE, DELETE or REPLACE is judged a write unprepared; other
    // writes are prepared to tell (and kept for the worker that runs them).
    const std::vector<std::string> sniffed = {" \n insert INTO t VALUES (3)", "Update t SET x = 1",
                                              "DELETE FROM t", "replace INTO t VALUES (4)"};
    const std::string with = "WITH v(x) AS (VALUES (5)) INSERT INTO t SELECT x FROM v";
    for (const std::string& sql : sniffed) EXPECT_FALSE(s.TryInline(request(sql))) << sql;
    EXPECT_FALSE(s.TryInline(request(with)));
    Result<DatabasePool::Lease> lease = s.pool().Acquire("default", false);
    ASSERT_TRUE(lease.ok());
    for (const std::string& sql : sniffed) {
      EXPECT_EQ(lease->statements().ReadOnly(sql), std::nullopt) << sql;
    }
    EXPECT_EQ(lease->statements().ReadOnly(with), std::optional<bool>(false));
  }
  EXPECT_FALSE(s.TryInline(request("SELECT 1", /*one_shot=*/false))) << "a stream";
  EXPECT_EQ(json::serialize(Rows(Exec(s, "SELECT count(*) FROM t"))),
            R"J([[{"type":"integer","value":"0"}]])J");
  // A one-shot read: the answer Handle gives, with the version header.
  std::optional<Response> fast = s.TryInline(read);
  ASSERT_TRUE(fast);
  Response slow = s.Handle(read);
  EXPECT_EQ(fast->status, 200);
  EXPECT_EQ(fast->body, slow.body);
  EXPECT_EQ(HeaderOf(*fast, std::string(kVersionHeader)),
            HeaderOf(slow, std::string(kVersionHeader)));
  // Client mistakes are answered right there.
  Request malformed = read;
  malformed.body = "{";
  ASSERT_TRUE(s.TryInline(malformed));
  EXPECT_EQ(s.TryInline(malformed)->status, 400);
  // A read longer than the budget is given up (a worker runs it again).
  EXPECT_FALSE(s.TryInline(request(
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c")));
  // Only POSTed pipelines: the process's own routes (GET /metrics) are the workers'.
  Request get;
  get.method = "GET";
  get.path = "/metrics";
  EXPECT_FALSE(s.TryInline(get));
  get.path = "/health";
  EXPECT_FALSE(s.TryInline(get));
  // Without a budget, nothing is tried.
  ServiceOptions off = Options();
  SqlService none(off);
  Exec(none, "SELECT 1");
  EXPECT_FALSE(none.TryInline(read));
}

// Behind the network (CLOUDLITE_TEST_S3_URI) the fast path may not wait on the store: a read
// that needs it (a strict read's freshness probe, pages not cached yet, a version the process
// does not know) is left to a worker at once. Within the staleness bound a read of cached pages
// is answered there. The budget is far longer than a store request, so a request that reached
// the store would come back answered.
TEST_F(HranaServiceTest, BehindTheNetworkTheFastPathAnswersOnlyWhatNeedsNoStoreRequest) {
  const char* s3 = std::getenv("CLOUDLITE_TEST_S3_URI");
  if (s3 == nullptr || *s3 == '\0') GTEST_SKIP() << "set CLOUDLITE_TEST_S3_URI to run";
  ServiceOptions strict = Options();
  std::string store = s3;
  if (store.back() != '/') store += '/';
  strict.pool.store = store + "hrana-offline-" + RandomHex(6);
  strict.inline_budget = std::chrono::milliseconds(10000);
  ServiceOptions stale = strict;
  stale.pool.options.max_staleness = std::chrono::minutes(10);
  Request read;
  read.method = "POST";
  read.path = "/v2/pipeline";
  read.body = R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT sum(x) FROM t"}},)J"
              R"J({"type":"close"}]})J";
  {
    SqlService s(stale);
    ASSERT_EQ(ErrorCode(Exec(s, "CREATE TABLE t(x)")), "(ok)");
    ASSERT_EQ(ErrorCode(Exec(s, "INSERT INTO t VALUES (1), (2)")), "(ok)");
    std::optional<Response> fast;
    for (int i = 0; i < 5 && !fast; i++) {
      fast = s.TryInline(read);
      if (!fast) {
        EXPECT_EQ(s.Handle(read).status, 200);  // caches what the read needs
      }
    }
    ASSERT_TRUE(fast) << "a read of cached pages within the bound";
    EXPECT_EQ(fast->status, 200);
    EXPECT_EQ(fast->body, s.Handle(read).body);
    EXPECT_NE(fast->body.find(R"J("value":"3")J"), std::string::npos) << fast->body;
    Request ahead = read;
    ahead.headers.push_back({std::string(kMinVersionHeader), "1000000"});
    EXPECT_FALSE(s.TryInline(ahead)) << "a version this process has not seen";
  }
  SqlService s(strict);
  EXPECT_EQ(s.Handle(read).status, 200);
  EXPECT_FALSE(s.TryInline(read)) << "a strict read probes the store";
  EXPECT_FALSE(s.TryInline(read));
  EXPECT_EQ(s.Handle(read).status, 200);
}

TEST_F(HranaServiceTest, MalformedRequestsGetA400NamingTheProblem) {
  SqlService s(Options());
  struct Case {
    std::string body;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {"{not json", "not valid JSON"},
      {"[]", "expected an object"},
      {R"J({"requests":5})J", "body.requests"},
      {R"J({"requests":[{"type":"frobnicate"}]})J", "unknown request type"},
      {R"J({"requests":[{"type":"execute"}]})J", "requests[0].stmt"},
      {R"J({"requests":[{"type":"execute","stmt":{"sql":1}}]})J", "requests[0].stmt.sql"},
      {R"J({"requests":[{"type":"execute","stmt":{"sql":"x","sql_id":1}}]})J", "exactly one"},
      {R"J({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"integer","value":"1.5"}]}}]})J",
       "decimal string"},
      {R"J({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"blob","base64":"!!"}]}}]})J",
       "base64"},
      {R"J({"requests":[{"type":"batch","batch":{"steps":[{"condition":{"type":"ok","step":0},"stmt":{"sql":"x"}}]}}]})J",
       "earlier step"},
      {R"J({"requests":[{"type":"get_autocommit"}]})J", "Hrana 3"},
      {R"J({"baton":7,"requests":[]})J", "body.baton"},
      {std::string(100, '[') + std::string(100, ']'), "not valid JSON"},
  };
  for (const Case& c : cases) {
    Response r = Post(s, "/v2/pipeline", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    json::object e = ErrorBody(r);
    std::string message = e.contains("message") ? std::string(e["message"].as_string()) : "";
    EXPECT_NE(message.find(c.mentions), std::string::npos) << c.body << " -> " << message;
  }
}

TEST_F(HranaServiceTest, Hrana3AutocommitAndCursor) {
  SqlService s(Options());
  json::object out = Pipeline(s, R"J({"requests":[{"type":"get_autocommit"},
      {"type":"execute","stmt":{"sql":"BEGIN"}},{"type":"get_autocommit"},
      {"type":"batch","batch":{"steps":[{"condition":{"type":"is_autocommit"},"stmt":{"sql":"SELECT 1"}},
        {"condition":{"type":"not","cond":{"type":"is_autocommit"}},"stmt":{"sql":"SELECT 2"}}]}},
      {"type":"close"}]})J",
                              "/v3/pipeline");
  const json::array& r = out["results"].as_array();
  EXPECT_EQ(r[0].at("response").at("is_autocommit"), true);
  EXPECT_EQ(r[2].at("response").at("is_autocommit"), false);
  const json::value& batch = r[3].at("response").at("result");
  EXPECT_TRUE(batch.at("step_results").at(0).is_null());
  EXPECT_FALSE(batch.at("step_results").at(1).is_null());

  Exec(s, "CREATE TABLE t(x)");
  Exec(s, "INSERT INTO t VALUES (1), (2)");
  Response cursor = Post(s, "/v3/cursor", R"J({"batch":{"steps":[{"stmt":{"sql":"SELECT x FROM t"}},
      {"stmt":{"sql":"SELECT nope"}}]}})J");
  ASSERT_EQ(cursor.status, 200) << cursor.body;
  std::string all = cursor.body, chunk;
  while (cursor.next_chunk && cursor.next_chunk(&chunk)) all += chunk;
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(all.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 6u) << all;
  EXPECT_NE(lines[0].find("\"baton\":\""), std::string::npos);
  EXPECT_EQ(lines[1], R"J({"type":"step_begin","step":0,"cols":[{"name":"x","decltype":null}]})J");
  EXPECT_EQ(lines[2], R"J({"type":"row","row":[{"type":"integer","value":"1"}]})J");
  EXPECT_EQ(lines[4], R"J({"type":"step_end","affected_row_count":0,"last_insert_rowid":null})J");
  EXPECT_EQ(lines[5],
            R"J({"type":"step_error","step":1,"error":{"message":"no such column: nope",)J"
            R"J("code":"SQLITE_ERROR"}})J");
  for (const std::string& line : lines) EXPECT_TRUE(json::parse(line).is_object()) << line;
}

TEST_F(HranaServiceTest, DatabasesByPathNamespaceAndHost) {
  SqlService s(Options());
  Exec(s, "CREATE TABLE only_in_a(x)", "[]", "/a/v2/pipeline");
  std::string probe =
      R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT count(*) FROM only_in_a"}},{"type":"close"}]})J";
  auto sees_a = [&](Response r) {
    return r.status == 200 && r.body.find(R"J("results":[{"type":"ok")J") != std::string::npos;
  };
  EXPECT_TRUE(sees_a(Post(s, "/a/v2/pipeline", probe)));
  EXPECT_TRUE(sees_a(Post(s, "/v2/pipeline", probe, {{"x-namespace", "a"}})));
  EXPECT_TRUE(sees_a(Post(s, "/v2/pipeline", probe, {{"host", "a.localhost:8080"}})));
  EXPECT_FALSE(sees_a(Post(s, "/v2/pipeline", probe, {{"host", "127.0.0.1:8080"}})));
  EXPECT_FALSE(sees_a(Post(s, "/b/v2/pipeline", probe)));
  EXPECT_FALSE(sees_a(Post(s, "/v2/pipeline", probe)));  // the default database
  Response bad = Post(s, "/v2/pipeline", probe, {{"x-namespace", "../etc"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorBody(bad)["code"], "DATABASE_NAME_INVALID");
}

TEST_F(HranaServiceTest, AMissingDatabaseIs404WithoutCreate) {
  ServiceOptions o = Options();
  o.create = false;
  SqlService s(o);
  Response r =
      Post(s, "/nope/v2/pipeline",
           R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]})J");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(std::string(ErrorBody(r)["message"].as_string()).find("\"nope\" does not exist"),
            std::string::npos);
  ServiceOptions creating = Options();
  SqlService c(creating);
  EXPECT_EQ(ErrorCode(Exec(c, "CREATE TABLE t(x)", "[]", "/nope/v2/pipeline")), "(ok)");
  EXPECT_EQ(
      Post(
          s, "/nope/v2/pipeline",
          R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT * FROM t"}},{"type":"close"}]})J")
          .status,
      200);
}

TEST_F(HranaServiceTest, ProbesAndUnknownRoutes) {
  SqlService s(Options());
  EXPECT_EQ(Get(s, "/health").status, 200);
  EXPECT_EQ(Get(s, "/version").body, "cloudlite");
  EXPECT_EQ(Get(s, "/v2").status, 200);
  EXPECT_EQ(Get(s, "/v3").status, 200);
  EXPECT_EQ(Get(s, "/mydb/v2").status, 200);
  Response missing = Get(s, "/a/b/c");
  EXPECT_EQ(missing.status, 404);
  ErrorBody(missing);
  Response wrong = Get(s, "/v2/pipeline");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(HeaderOf(wrong, "allow"), "POST");
}

TEST_F(HranaServiceTest, CloudSqliteReadmeRequests) {
  SqlService s(Options());
  // The seed README's curl lines, verbatim bodies.
  Response r = Post(s, "/", R"J({"sql_statement": "SELECT 1 as test;"})J");
  EXPECT_EQ(r.body.substr(0, r.body.find(",\"version\"")),
            R"J({"columns":["test"],"rows":[[1]],"rows_affected":0,"last_insert_rowid":null)J");
  EXPECT_EQ(Post(s, "/",
                 R"J({"sql_statement": "CREATE TABLE test (id INTEGER PRIMARY KEY, name TEXT);"})J")
                .status,
            200);
  r = Post(s, "/", R"J({"sql_statement": "INSERT INTO test (name) VALUES (\"Hello World\");"})J");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"J("rows_affected":1,"last_insert_rowid":1)J"), std::string::npos)
      << r.body;
  r = Post(s, "/", R"J({"sql_statement": "SELECT * FROM test;"})J");
  EXPECT_NE(r.body.find(R"J("rows":[[1,"Hello World"]])J"), std::string::npos) << r.body;
  Response bad = Post(s, "/", R"J({"sql": "SELECT 1"})J");
  EXPECT_EQ(bad.status, 400);
  Response error = Post(s, "/", R"J({"sql_statement": "SELECT * FROM nope"})J");
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(ErrorBody(error)["code"], "SQLITE_ERROR");
}

TEST_F(HranaServiceTest, WritesReportTheirVersionAndReadsCanAskForOne) {
  SqlService s(Options());
  std::string body =
      R"J({"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE t(x)"}},{"type":"close"}]})J";
  Response w1 = Post(s, "/v2/pipeline", body);
  uint64_t v1 = std::stoull(std::string(HeaderOf(w1, kVersionHeader)));
  Response w2 = Post(
      s, "/v2/pipeline",
      R"J({"requests":[{"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (1)"}},{"type":"close"}]})J");
  uint64_t v2 = std::stoull(std::string(HeaderOf(w2, kVersionHeader)));
  EXPECT_GT(v2, v1);
  std::string read =
      R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]})J";
  SqlService other(Options());  // another process
  Response r = Post(other, "/v2/pipeline", read, {{"x-cloudlite-min-version", std::to_string(v2)}});
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(std::stoull(std::string(HeaderOf(r, kVersionHeader))), v2);
  Response future =
      Post(other, "/v2/pipeline", read, {{"x-cloudlite-min-version", std::to_string(v2 + 100)}});
  EXPECT_EQ(future.status, 503);
  EXPECT_EQ(ErrorBody(future)["code"], "VERSION_NOT_REACHED");
}

// With a staleness bound a read asks the store nothing, yet sees every write of its own process;
// another process's write is seen once the bound passes, or at once when a client asks for its
// version. The other process is a real one: within a process, commits are known to every
// connection (Engine::Refresh).
TEST_F(HranaServiceTest, StaleReadsSpareTheStoreButSeeOwnWritesAcrossProcesses) {
  ServiceOptions o = Options();
  o.pool.options.max_staleness = std::chrono::hours(1);
  SqlService s(o);
  Exec(s, "CREATE TABLE t(x)");
  const std::string count =
      R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT count(*) FROM t"}},{"type":"close"}]})J";
  auto count_of = [&](const Response& r) -> std::string {
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = json::parse(r.body);
    return std::string(Rows(v.at("results").at(0).as_object()).at(0).at(0).at("value").as_string());
  };
  EXPECT_EQ(count_of(Post(s, "/v2/pipeline", count)), "0");
  for (int i = 1; i <= 3; i++) {
    Exec(s, "INSERT INTO t VALUES (1)");
    const std::string before = ProcessStoreStatsJson();
    EXPECT_EQ(count_of(Post(s, "/v2/pipeline", count)), std::to_string(i));
    EXPECT_EQ(ProcessStoreStatsJson(), before) << "a read within the bound asked the store";
  }
  const uint64_t seen =
      std::stoull(std::string(HeaderOf(Post(s, "/v2/pipeline", count), kVersionHeader)));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Result<std::unique_ptr<Database>> db = Database::Open(o.pool.store + "/default");
    _exit(
        db.ok() &&
                (*db)->Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES (2)"); }).ok()
            ? 0
            : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(count_of(Post(s, "/v2/pipeline", count)), "3") << "within the bound";
  Response asked =
      Post(s, "/v2/pipeline", count, {{std::string(kMinVersionHeader), std::to_string(seen + 1)}});
  EXPECT_EQ(count_of(asked), "4");
  EXPECT_EQ(HeaderOf(asked, kVersionHeader), std::to_string(seen + 1));
  EXPECT_EQ(count_of(Post(s, "/v2/pipeline", count)), "4");
}

// Two services on one store stand for two server processes.
TEST_F(HranaServiceTest, AnInteractiveTransactionThatLosesTheRaceIsAnErrorNotALoss) {
  SqlService a(Options());
  SqlService b(Options());
  Exec(a, "CREATE TABLE acct(id PRIMARY KEY, n)");
  Exec(a, "INSERT INTO acct VALUES (1, 0)");
  json::object open = Pipeline(a, R"J({"requests":[{"type":"execute","stmt":{"sql":"BEGIN"}},
      {"type":"execute","stmt":{"sql":"SELECT n FROM acct WHERE id = 1"}},
      {"type":"execute","stmt":{"sql":"UPDATE acct SET n = n + 1 WHERE id = 1"}}]})J");
  std::string baton(open["baton"].as_string());
  // Meanwhile the other process changes the same row.
  EXPECT_EQ(ErrorCode(Exec(b, "UPDATE acct SET n = n + 10 WHERE id = 1")), "(ok)");
  json::object commit = Pipeline(
      a, R"J({"baton":")J" + baton +
             R"J(","requests":[{"type":"execute","stmt":{"sql":"COMMIT"}},{"type":"close"}]})J");
  json::object result = commit["results"].as_array()[0].as_object();
  EXPECT_EQ(ErrorCode(result), "SQLITE_BUSY") << json::serialize(result);
  EXPECT_EQ(json::serialize(Rows(Exec(a, "SELECT n FROM acct"))),
            R"J([[{"type":"integer","value":"10"}]])J");
}

TEST_F(HranaServiceTest, TwoProcessesIncrementingOneCounterLoseNothing) {
  SqlService a(Options());
  SqlService b(Options());
  Exec(a, "CREATE TABLE c(n)");
  Exec(a, "INSERT INTO c VALUES (0)");
  constexpr int kPerThread = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (SqlService* s : {&a, &b, &a, &b}) {
    threads.emplace_back([s, &failures] {
      for (int i = 0; i < kPerThread; i++) {
        // One-shot pipelines: re-run by the server when another commit wins.
        Response r = Post(*s, "/v2/pipeline", R"J({"requests":[{"type":"batch","batch":{"steps":[
            {"stmt":{"sql":"BEGIN"}},{"stmt":{"sql":"UPDATE c SET n = n + 1"}},
            {"stmt":{"sql":"COMMIT"}}]}},{"type":"close"}]})J");
        if (r.status != 200 ||
            r.body.find("\"step_errors\":[null,null,null]") == std::string::npos) {
          failures++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(json::serialize(Rows(Exec(b, "SELECT n FROM c"))),
            R"J([[{"type":"integer","value":")J" + std::to_string(4 * kPerThread) + R"J("}]])J");
}

// Bank transfers as interactive transactions over batons, from threads on two "processes":
// a COMMIT that loses its race says SQLITE_BUSY and the client runs the transaction again.
// Every acknowledged transfer is in the balances, and the total never changes.
TEST_F(HranaServiceTest, InteractiveTransfersOnTwoProcessesKeepEveryAcknowledgedOne) {
  SqlService a(Options());
  SqlService b(Options());
  Exec(a, "CREATE TABLE acct(id INTEGER PRIMARY KEY, n INTEGER)");
  Exec(a, "INSERT INTO acct VALUES (0, 100), (1, 100), (2, 100)");
  constexpr int kThreads = 4, kTransfers = 8, kAttempts = 100;
  std::vector<std::array<int, 3>> delta(kThreads, {0, 0, 0});
  std::atomic<int> busy{0}, other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      SqlService& s = t % 2 == 0 ? a : b;
      for (int i = 0; i < kTransfers; i++) {
        int from = (t + i) % 3, to = (t + i + 1) % 3;
        for (int attempt = 0; attempt < kAttempts; attempt++) {
          std::string begin = R"J({"requests":[{"type":"batch","batch":{"steps":[
              {"stmt":{"sql":"BEGIN IMMEDIATE"}},
              {"condition":{"type":"ok","step":0},"stmt":{"sql":"UPDATE acct SET n = n - 1 WHERE id = )J" +
                              std::to_string(from) + R"J("}},
              {"condition":{"type":"ok","step":1},"stmt":{"sql":"UPDATE acct SET n = n + 1 WHERE id = )J" +
                              std::to_string(to) + R"J("}}]}}]})J";
          Response r1 = Post(s, "/v2/pipeline", begin);
          json::value v1 = json::parse(r1.body);
          if (r1.status != 200 || !v1.at("baton").is_string()) {
            other_errors++;
            break;
          }
          std::string commit =
              R"J({"baton":")J" + std::string(v1.at("baton").as_string()) +
              R"J(","requests":[{"type":"execute","stmt":{"sql":"COMMIT"}},{"type":"close"}]})J";
          Response r2 = Post(s, "/v2/pipeline", commit);
          json::value v2 = json::parse(r2.body);
          const json::value& result = v2.at("results").at(0);
          if (result.at("type") == "ok") {
            delta[t][from]--;
            delta[t][to]++;
            break;
          }
          if (result.at("error").at("code") == "SQLITE_BUSY") {
            busy++;
            continue;
          }
          other_errors++;
          break;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(other_errors.load(), 0);
  std::array<int, 3> expected = {100, 100, 100};
  for (const auto& d : delta) {
    for (int i = 0; i < 3; i++) expected[i] += d[i];
  }
  std::string want = "[";
  for (int i = 0; i < 3; i++) {
    want += std::string(i ? "," : "") + R"J([{"type":"integer","value":")J" +
            std::to_string(expected[i]) + R"J("}])J";
  }
  want += "]";
  EXPECT_EQ(json::serialize(Rows(Exec(b, "SELECT n FROM acct ORDER BY id"))), want);
  EXPECT_EQ(json::serialize(Rows(Exec(a, "SELECT sum(n) FROM acct"))),
            R"J([[{"type":"integer","value":"300"}]])J");
  std::printf("transfers: %d lost races at COMMIT, retried\n", busy.load());
}

TEST_F(HranaServiceTest, PoolBoundsAnswer503) {
  ServiceOptions o = Options();
  o.pool.max_databases = 1;
  SqlService s(o);
  json::object held = Pipeline(s, R"J({"requests":[]})J", "/a/v2/pipeline");  // a stream holds "a"
  Response r =
      Post(s, "/b/v2/pipeline",
           R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]})J");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(HeaderOf(r, "retry-after"), "1");
  Pipeline(s,
           R"J({"baton":")J" + std::string(held["baton"].as_string()) +
               R"J(","requests":[{"type":"close"}]})J",
           "/a/v2/pipeline");
  // "a" is idle now and gives way.
  EXPECT_EQ(
      Post(s, "/b/v2/pipeline",
           R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]})J")
          .status,
      200);
}

// The value of one series in /metrics text (`name` or `name{labels}`); -1 when absent.
double Series(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST_F(HranaServiceTest, MetricsShowOpenStreamsDatabasesAndCaches) {
  MetricsRegistry metrics;
  ServiceOptions o = Options();
  o.metrics = &metrics;
  SqlService s(o);
  Exec(s, "CREATE TABLE t(x)", "[]", "/a/v2/pipeline");
  Exec(s, "INSERT INTO t VALUES (1)", "[]", "/a/v2/pipeline");
  Exec(s, "CREATE TABLE u(x)", "[]", "/b/v2/pipeline");
  s.RefreshMetrics();
  const std::string before = metrics.Render();
  EXPECT_EQ(Series(before, "cloudlite_sql_open_databases"), 2) << before;
  EXPECT_EQ(Series(before, "cloudlite_sql_open_streams"), 0) << before;
  auto lookups = [](const std::string& text) {
    return Series(text, R"(cloudlite_frame_cache_requests_total{result="hit"})") +
           Series(text, R"(cloudlite_frame_cache_requests_total{result="miss"})");
  };
  auto probes = [](const std::string& text) {
    return Series(text, R"(cloudlite_freshness_probes_total{result="made"})") +
           Series(text, R"(cloudlite_freshness_probes_total{result="shared"})");
  };
  EXPECT_GE(lookups(before), 0) << before;
  EXPECT_GE(probes(before), 0) << before;

  // A stream left open holds a connection; a one-shot read beside it opens another, which reads
  // its pages through the frame cache after a freshness probe.
  json::object open =
      Pipeline(s, R"J({"requests":[{"type":"execute","stmt":{"sql":"SELECT x FROM t"}}]})J",
               "/a/v2/pipeline");
  ASSERT_TRUE(open["baton"].is_string()) << json::serialize(open);
  EXPECT_EQ(Rows(Exec(s, "SELECT x FROM t", "[]", "/a/v2/pipeline")).as_array().size(), 1u);
  s.RefreshMetrics();
  const std::string during = metrics.Render();
  EXPECT_EQ(Series(during, "cloudlite_sql_open_streams"), 1) << during;
  EXPECT_EQ(Series(during, "cloudlite_sql_open_connections"), 3) << during;  // a: 2, b: 1
  EXPECT_GT(lookups(during), lookups(before)) << during;
  EXPECT_GT(probes(during), probes(before)) << during;
  // The same read again, nothing committed since: the log's directory is watched (file://), so
  // no probe is made (docs/design.md, "Watching a local log").
  const std::string unchanged = R"(cloudlite_freshness_probes_total{result="unchanged"})";
  EXPECT_EQ(Rows(Exec(s, "SELECT x FROM t", "[]", "/a/v2/pipeline")).as_array().size(), 1u);
  s.RefreshMetrics();
  EXPECT_GT(Series(metrics.Render(), unchanged), Series(during, unchanged)) << metrics.Render();

  // A write through another connection: the stream's connection, at the version before it, takes
  // the new record from the process's cache instead of the store (docs/design.md).
  Exec(s, "INSERT INTO t VALUES (2)", "[]", "/a/v2/pipeline");
  json::object again{{"baton", open["baton"]},
                     {"requests", json::array{json::object{
                                      {"type", "execute"},
                                      {"stmt", json::object{{"sql", "SELECT count(*) FROM t"}}}}}}};
  const uint64_t known = GetProcessCacheStats().records_known;
  json::object counted = Pipeline(s, json::serialize(again), "/a/v2/pipeline");
  ASSERT_TRUE(counted["baton"].is_string()) << json::serialize(counted);
  EXPECT_GT(GetProcessCacheStats().records_known, known);
  open["baton"] = counted["baton"];

  json::object close{{"baton", open["baton"]},
                     {"requests", json::array{json::object{{"type", "close"}}}}};
  Pipeline(s, json::serialize(close), "/a/v2/pipeline");
  s.RefreshMetrics();
  EXPECT_EQ(Series(metrics.Render(), "cloudlite_sql_open_streams"), 0);
}

TEST_F(HranaServiceTest, StreamBounds) {
  ServiceOptions o = Options();
  o.streams.max_streams_per_client = 2;
  SqlService s(o);
  Pipeline(s, R"J({"requests":[]})J");
  Pipeline(s, R"J({"requests":[]})J");
  Response r = Post(s, "/v2/pipeline", R"J({"requests":[]})J");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ErrorBody(r)["code"], "TOO_MANY_STREAMS");
}

}  // namespace
}  // namespace cloudlite::server::sql
