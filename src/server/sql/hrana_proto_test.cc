#include "server/sql/hrana_proto.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "base/json_text.h"

namespace cloudlite::server::sql {
namespace {

TEST(HranaDecodeTest, AcceptsTheLibsqlClientShapes) {
  Result<PipelineRequest> p = ParsePipeline(
      R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT ?, ?","args":[
          {"type":"float","value":42},{"type":"integer","value":"-9223372036854775808"}],
          "named_args":[],"want_rows":true}},{"type":"close"}]})",
      HranaVersion::k2, {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->baton.has_value());
  ASSERT_EQ(p->requests.size(), 2u);
  const Stmt& s = p->requests[0].stmt;
  EXPECT_EQ(std::get<double>(s.args[0]), 42.0);
  EXPECT_EQ(std::get<int64_t>(s.args[1]), INT64_MIN);
  EXPECT_EQ(p->requests[1].type, StreamRequest::Type::kClose);
}

TEST(HranaDecodeTest, UnknownFieldsAreIgnoredAndNullMeansAbsent) {
  Result<PipelineRequest> p = ParsePipeline(
      R"({"baton":null,"extra":1,"requests":[{"type":"execute","replication_index":"5",
          "stmt":{"sql":"SELECT 1","sql_id":null,"args":null}}]})",
      HranaVersion::k3, {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->baton.has_value());
}

TEST(HranaDecodeTest, IntegerOutOfRangeIsRefused) {
  Result<PipelineRequest> p = ParsePipeline(
      R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[
          {"type":"integer","value":"9223372036854775808"}]}}]})",
      HranaVersion::k2, {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("requests[0].stmt.args[0].value"), std::string::npos);
}

TEST(HranaDecodeTest, AnErrorNamesWhereInTheBodyItIs) {
  auto error = [](std::string_view body, HranaVersion v = HranaVersion::k2) {
    Result<PipelineRequest> p = ParsePipeline(body, v, {});
    return p.ok() ? std::string("(ok)") : std::string(p.status().message());
  };
  EXPECT_EQ(error(R"({"requests":{}})"), "body.requests: expected an array");
  EXPECT_EQ(error(R"({"baton":5,"requests":[]})"), "body.baton: expected a string");
  EXPECT_EQ(error(R"({"requests":[{"type":"close"},{"type":7}]})"),
            "requests[1].type: expected a string");
  EXPECT_EQ(error(R"({"requests":[{"type":"execute","stmt":{"sql":"x","named_args":[
                      {"name":"a","value":{"type":"text"}}]}}]})"),
            "requests[0].stmt.named_args[0].value.value: missing");
  EXPECT_EQ(error(R"({"requests":[{"type":"batch","batch":{"steps":[{"stmt":{"sql":"x"}},
                      {"stmt":{"sql":"y"},"condition":{"type":"and","conds":[{"type":"ok",
                      "step":0},{"type":"not","cond":{"type":"error","step":1}}]}}]}}]})"),
            "requests[0].batch.steps[1].condition.conds[1].cond.step: a condition may only refer "
            "to an earlier step");
  EXPECT_EQ(error(R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[
                      {"type":"blob","base64":"!"}]}}]})"),
            "requests[0].stmt.args[0].base64: not valid base64");
  Result<CursorRequest> c =
      ParseCursor(R"({"batch":{"steps":[{"stmt":{"sql_id":"one"}}]}})", DecodeLimits{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "batch.steps[0].stmt.sql_id: expected an integer");
}

TEST(HranaDecodeTest, BlobsArriveWithOrWithoutPaddingAndLeaveWithout) {
  Result<PipelineRequest> p = ParsePipeline(
      R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT ?, ?","args":[
          {"type":"blob","base64":"AQI="},{"type":"blob","base64":"AQI"}]}}]})",
      HranaVersion::k2, {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (const Value& arg : p->requests[0].stmt.args) {
    EXPECT_EQ(std::get<Blob>(arg).bytes, std::string("\x01\x02", 2));
  }
  std::string encoded;
  AppendValue(Blob{std::string("\x01\x02", 2)}, &encoded);
  EXPECT_EQ(encoded, R"({"type":"blob","base64":"AQI"})");

  Result<PipelineRequest> bad = ParsePipeline(
      R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[
          {"type":"blob","base64":"AR=="}]}}]})",
      HranaVersion::k2, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("args[0].base64"), std::string::npos);
}

TEST(HranaDecodeTest, AFloatIsTheDoubleNearestItsDecimal) {
  // Decimals that Boost.JSON 1.81's own parser reads one unit in the last place off.
  for (const char* text : {"1.0730581983089675e+22", "2.6290767447162544e-257",
                           "9.415189186016827e+62", "-1.8404560628999297e+34", "0.1", "1e999"}) {
    Result<PipelineRequest> p = ParsePipeline(
        std::string(R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[)") +
            R"({"type":"float","value":)" + text + "}]}}]}",
        HranaVersion::k2, {});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(std::get<double>(p->requests[0].stmt.args[0]), std::strtod(text, nullptr)) << text;
  }
}

std::string ValueText(const Value& v) {
  std::string out;
  AppendValue(v, &out);
  return out;
}

TEST(HranaEncodeTest, ValuesAsHranaWritesThem) {
  EXPECT_EQ(ValueText(nullptr), R"({"type":"null"})");
  EXPECT_EQ(ValueText(int64_t{-9223372036854775807 - 1}),
            R"({"type":"integer","value":"-9223372036854775808"})");
  EXPECT_EQ(ValueText(1.5), R"({"type":"float","value":1.5})");
  EXPECT_EQ(ValueText(42.0), R"({"type":"float","value":42.0})");
  EXPECT_EQ(ValueText(0.1), R"({"type":"float","value":0.1})");
  EXPECT_EQ(ValueText(1e300), R"({"type":"float","value":1e+300})");
  EXPECT_EQ(ValueText(std::numeric_limits<double>::infinity()),
            R"({"type":"float","value":1e999})");
  EXPECT_EQ(ValueText(-std::numeric_limits<double>::infinity()),
            R"({"type":"float","value":-1e999})");
  EXPECT_EQ(ValueText(std::string("a\"b\\c\n\x01\x7f\xc3\xa9/")),
            R"({"type":"text","value":"a\"b\\c\n\u0001)"
            "\x7f\xc3\xa9/\"}");
}

TEST(HranaEncodeTest, StringsAndFloatsComeBackFromAJsonParser) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; i++) {
    // Every ASCII byte, control characters included, and a two-byte UTF-8 sequence.
    std::string text;
    for (size_t n = random() % 40; n > 0; n--) {
      const auto c = static_cast<char>(random() % 0x81);
      if (c == '\x80') {
        text += "\xc3\xa9";
      } else {
        text += c;
      }
    }
    double d;
    const uint64_t bits = random();
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) d = static_cast<double>(bits % 1000) / 7;
    std::string json = "[";
    AppendJsonString(text, &json);
    json += ",";
    AppendValue(d, &json);
    json += "]";
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << json;
    EXPECT_EQ(v.at(0).as_string(), text);
    // A correctly rounding reader (JavaScript's, strtod) gets the very double back; Boost.JSON's
    // default parser does not round exactly.
    const size_t number = json.rfind(':') + 1;
    EXPECT_EQ(std::strtod(json.c_str() + number, nullptr), d) << json;
  }
}

TEST(HranaEncodeTest, APipelineBodyHoldsEachResultAsHranaShapesIt) {
  StmtResult rows;
  rows.cols = {{"id", "INTEGER"}, {std::nullopt, std::nullopt}};
  rows.values = {int64_t{1}, std::string("x"), int64_t{2}, nullptr};
  StmtResult write;
  write.affected_row_count = 3;
  write.last_insert_rowid = 42;
  BatchResult batch;
  batch.step_results = {write, std::nullopt};
  batch.step_errors = {std::nullopt, HranaError{"no such table: t", "SQLITE_ERROR"}};
  DescribeResult described;
  described.params = {std::string(":a"), std::nullopt};
  described.cols = {{"v", std::nullopt}};
  described.is_readonly = true;
  using Type = StreamRequest::Type;
  std::vector<StreamResult> results = {
      StreamResponse{Type::kExecute, rows},
      StreamResponse{Type::kBatch, batch},
      StreamResponse{Type::kDescribe, described},
      StreamResponse{Type::kGetAutocommit, true},
      StreamResponse{Type::kStoreSql, {}},
      HranaError{"the stream is closed", "STREAM_CLOSED"},
  };
  EXPECT_EQ(
      PipelineBody("b1", std::nullopt, results),
      R"({"baton":"b1","base_url":null,"results":[)"
      R"({"type":"ok","response":{"type":"execute","result":{"cols":[)"
      R"({"name":"id","decltype":"INTEGER"},{"name":null,"decltype":null}],)"
      R"("rows":[[{"type":"integer","value":"1"},{"type":"text","value":"x"}],)"
      R"([{"type":"integer","value":"2"},{"type":"null"}]],)"
      R"("affected_row_count":0,"last_insert_rowid":null}}},)"
      R"({"type":"ok","response":{"type":"batch","result":{"step_results":[)"
      R"({"cols":[],"rows":[],"affected_row_count":3,"last_insert_rowid":"42"},null],)"
      R"("step_errors":[null,{"message":"no such table: t","code":"SQLITE_ERROR"}]}}},)"
      R"({"type":"ok","response":{"type":"describe","result":{"params":[{"name":":a"},)"
      R"({"name":null}],"cols":[{"name":"v","decltype":null}],"is_explain":false,)"
      R"("is_readonly":true}}},)"
      R"({"type":"ok","response":{"type":"get_autocommit","is_autocommit":true}},)"
      R"({"type":"ok","response":{"type":"store_sql"}},)"
      R"({"type":"error","error":{"message":"the stream is closed","code":"STREAM_CLOSED"}}]})");
  EXPECT_EQ(CursorHead(std::nullopt, std::string("http://h/")),
            R"({"baton":null,"base_url":"http://h/"})");
}

}  // namespace
}  // namespace cloudlite::server::sql
