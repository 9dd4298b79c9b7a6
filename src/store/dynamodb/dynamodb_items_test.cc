// Items as a server returns them, decoded: whatever their shape, an error value, never a throw.
#include "store/dynamodb/dynamodb_items.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cloudlite::ddb {
namespace {

Json Head(std::string size) {
  return boost::json::parse(R"({"t":{"S":"o"},"k":{"S":"p/db/log/1"},"z":{"N":")" + size +
                            R"("}})");
}

TEST(DynamoDbItems, DecodesHeads) {
  Json inline_head = Head("3");
  inline_head.as_object()["d"] = Json{{"B", "YWJj"}};
  Result<HeadInfo> h = DecodeHead(inline_head, "p/db/log/1", "db/log/1", true);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->data, "abc");
  Json chunked = Head("1000000");
  chunked.as_object()["g"] = Json{{"S", "0123abcd"}};
  chunked.as_object()["c"] = Json{{"N", "358400"}};
  h = DecodeHead(chunked, "p/db/log/1", "db/log/1", true);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->chunks(), 3u);
}

TEST(DynamoDbItems, ImpossibleHeadsAreCorruption) {
  std::vector<Json> bad;
  bad.push_back(JsonArray());
  bad.push_back(Json{{"t", "o"}});
  bad.push_back(Head("-1"));
  bad.push_back(Head("12"));                    // complete, but no data
  Json wrapped = Head("18446744073709551615");  // chunks() would wrap to 0
  wrapped.as_object()["g"] = Json{{"S", "g"}};
  wrapped.as_object()["c"] = Json{{"N", "2"}};
  bad.push_back(wrapped);
  Json huge_chunks = Head("10");
  huge_chunks.as_object()["g"] = Json{{"S", "g"}};
  huge_chunks.as_object()["c"] = Json{{"N", "1000000000"}};
  bad.push_back(huge_chunks);
  Json undecodable = Head("1");
  undecodable.as_object()["d"] = Json{{"B", 5}};
  bad.push_back(undecodable);
  for (const Json& item : bad) {
    Result<HeadInfo> h = DecodeHead(item, "p/db/log/1", "s3://x/db/log/1", true);
    EXPECT_EQ(h.status().code(), Status::Code::kCorruption) << Serialize(item);
    EXPECT_NE(h.status().message().find("s3://x/db/log/1"), std::string::npos);
  }
}

// A DescribeTable answer of the wrong shape once threw a JSON type error out of an accessor
// (std::terminate): it is a table without the right key schema.
TEST(DynamoDbItems, OddDescribeTableAnswersAreErrorsNotThrows) {
  for (const char* text : {R"({"Table":{"KeySchema":[{"AttributeName":1,"KeyType":"HASH"}]}})",
                           R"({"Table":{"KeySchema":[{"AttributeName":"hash_key","KeyType":[]}]}})",
                           R"({"Table":{"AttributeDefinitions":[{"AttributeName":null}]}})",
                           R"({"Table":[1,2]})", R"({"Table":"x"})", "[]", "7"}) {
    const Json d = boost::json::parse(text);
    EXPECT_EQ(CheckKeySchema(d, "t").code(), Status::Code::kInvalidArgument) << text;
    EXPECT_EQ(TableStatus(d), "") << text;
  }
  const Json good = boost::json::parse(
      R"({"Table":{"TableStatus":"ACTIVE\u001b[2J","KeySchema":[)"
      R"({"AttributeName":"hash_key","KeyType":"HASH"},{"AttributeName":"range_key","KeyType":"RANGE"}],)"
      R"("AttributeDefinitions":[{"AttributeName":"hash_key","AttributeType":"S"},)"
      R"({"AttributeName":"range_key","AttributeType":"N"}]}})");
  EXPECT_TRUE(CheckKeySchema(good, "t").ok());
  EXPECT_EQ(TableStatus(good), "ACTIVE\\x1b[2J");
}

}  // namespace
}  // namespace cloudlite::ddb
