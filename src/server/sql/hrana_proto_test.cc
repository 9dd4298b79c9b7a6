#include "server/sql/hrana_proto.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(EncodeValue(Blob{std::string("\x01\x02", 2)}).at("base64").as_string(), "AQI");

  Result<PipelineRequest> bad = ParsePipeline(
      R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[
          {"type":"blob","base64":"AR=="}]}}]})",
      HranaVersion::k2, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("args[0].base64"), std::string::npos);
}

}  // namespace
}  // namespace cloudlite::server::sql
