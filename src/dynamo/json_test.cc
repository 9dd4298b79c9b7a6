#include "dynamo/json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "dynamo/errors.h"

namespace cloudlite::dynamo {
namespace {

Result<Value> FromText(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 1000;
  auto json = boost::json::parse(text, ec, {}, options);
  EXPECT_FALSE(ec) << text;
  return ValueFromJson(json);
}

std::string ErrorOf(std::string_view text) {
  auto v = FromText(text);
  if (v.ok()) return "ok";
  return std::string(ExceptionName(v.status())) + ": " + v.status().message();
}

std::string RoundTrip(std::string_view text) {
  auto v = FromText(text);
  if (!v.ok()) return "error: " + v.status().message();
  return boost::json::serialize(ToJson(*v));
}

TEST(DynamoJson, ScalarsRoundTrip) {
  EXPECT_EQ(RoundTrip(R"({"S":"hello"})"), R"({"S":"hello"})");
  EXPECT_EQ(RoundTrip(R"({"S":""})"), R"({"S":""})");  // empty strings are allowed outside keys
  EXPECT_EQ(RoundTrip(R"({"N":"1.50"})"), R"({"N":"1.5"})");
  EXPECT_EQ(RoundTrip(R"({"B":"aGk="})"), R"({"B":"aGk="})");
  EXPECT_EQ(RoundTrip(R"({"B":""})"), R"({"B":""})");
  EXPECT_EQ(RoundTrip(R"({"BOOL":false})"), R"({"BOOL":false})");
  EXPECT_EQ(RoundTrip(R"({"NULL":true})"), R"({"NULL":true})");
  // null members count as absent, as in DynamoDB.
  EXPECT_EQ(RoundTrip(R"({"S":null,"N":"2"})"), R"({"N":"2"})");
}

TEST(DynamoJson, SetsAreSortedAndUnique) {
  EXPECT_EQ(RoundTrip(R"({"NS":["3","1","2","10","-1"]})"), R"({"NS":["-1","1","2","3","10"]})");
  EXPECT_EQ(RoundTrip(R"({"SS":["b","a","c"]})"), R"({"SS":["a","b","c"]})");
  EXPECT_EQ(RoundTrip(R"({"BS":["Ag==","AQ=="]})"), R"({"BS":["AQ==","Ag=="]})");
}

TEST(DynamoJson, DocumentsRoundTrip) {
  std::string doc =
      R"({"M":{"a":{"L":[{"N":"1"},{"S":"x"},{"M":{}},{"L":[]}]},"b":{"NULL":true}}})";
  EXPECT_EQ(RoundTrip(doc), doc);
}

TEST(DynamoJson, ValidationErrorsAsDynamoDBWordsThem) {
  // Messages taken from DynamoDB Local's answers.
  EXPECT_EQ(ErrorOf(R"({"N":"abc"})"),
            "ValidationException: A value provided cannot be converted into a number");
  EXPECT_EQ(ErrorOf(R"({"N":"1e126"})"),
            "ValidationException: Number overflow. Attempting to store a number with magnitude "
            "larger than supported range");
  EXPECT_EQ(ErrorOf(R"({"SS":[]})"),
            "ValidationException: One or more parameter values were invalid: An string set  may "
            "not be empty");
  EXPECT_EQ(ErrorOf(R"({"NS":[]})"),
            "ValidationException: One or more parameter values were invalid: An number set  may "
            "not be empty");
  EXPECT_EQ(ErrorOf(R"({"BS":[]})"),
            "ValidationException: One or more parameter values were invalid: Binary sets should "
            "not be empty");
  EXPECT_EQ(ErrorOf(R"({"SS":["a","a"]})"),
            "ValidationException: One or more parameter values were invalid: Input collection "
            "[a, a] contains duplicates");
  EXPECT_EQ(ErrorOf(R"({"NS":["1","1.0"]})"),
            "ValidationException: Input collection contains duplicates");
  EXPECT_EQ(ErrorOf(R"({"BS":["AA==","AA=="]})"),
            "ValidationException: One or more parameter values were invalid: Input collection of "
            "type BS contains duplicates.");
  EXPECT_EQ(ErrorOf(R"({})"),
            "ValidationException: Supplied AttributeValue is empty, must contain exactly one of "
            "the supported datatypes");
  EXPECT_EQ(ErrorOf(R"({"Q":"1"})"), ErrorOf("{}"));
  EXPECT_EQ(ErrorOf(R"({"S":"a","N":"1"})"),
            "ValidationException: Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes");
  EXPECT_EQ(ErrorOf(R"({"NULL":false})"),
            "ValidationException: One or more parameter values were invalid: Null attribute value "
            "types must have the value of true");
  EXPECT_EQ(ErrorOf(R"({"M":{"":{"S":"x"}}})"), "ValidationException: Empty attribute name");
  EXPECT_EQ(ErrorOf(R"({"L":[{}]})"), ErrorOf("{}"));
  EXPECT_EQ(ErrorOf(R"({"NS":["1","x"]})"),
            "ValidationException: A value provided cannot be converted into a number");
}

TEST(DynamoJson, WrongJsonKindsAreSerializationErrors) {
  EXPECT_EQ(ErrorOf(R"({"S":1})"),
            "SerializationException: NUMBER_VALUE cannot be converted to String");
  EXPECT_EQ(ErrorOf(R"({"S":{}})"),
            "SerializationException: Start of structure or map found where not expected.");
  EXPECT_EQ(ErrorOf(R"({"L":{}})"),
            "SerializationException: Start of structure or map found where not expected.");
  EXPECT_EQ(ErrorOf(R"({"SS":"a"})"),
            "SerializationException: STRING_VALUE cannot be converted to List");
  EXPECT_EQ(ErrorOf(R"({"BOOL":"true"})"),
            "SerializationException: STRING_VALUE cannot be converted to Boolean");
  EXPECT_EQ(ErrorOf(R"("x")"),
            "SerializationException: STRING_VALUE cannot be converted to AttributeValue");
  EXPECT_EQ(ErrorOf(R"({"B":"!!!!"})").substr(0, 24), "SerializationException: ");
  EXPECT_EQ(ErrorOf(R"({"B":"AAA"})"),
            "SerializationException: Base64 encoded length is expected a multiple of 4 bytes but "
            "found: 3");
}

TEST(DynamoJson, NestingLimitCountsTheItem) {
  // DynamoDB Local: 31 levels of L or M inside an attribute are accepted, 32 are not.
  auto nested = [](int levels, bool map) {
    std::string v = R"({"S":"x"})";
    for (int i = 0; i < levels; i++) v = map ? R"({"M":{"a":)" + v + "}}" : R"({"L":[)" + v + "]}";
    return v;
  };
  EXPECT_EQ(ErrorOf(nested(31, false)), "ok");
  EXPECT_EQ(ErrorOf(nested(31, true)), "ok");
  EXPECT_EQ(ErrorOf(nested(32, false)), "ValidationException: " + std::string(kNestingTooDeep));
  EXPECT_EQ(ErrorOf(nested(32, true)), "ValidationException: " + std::string(kNestingTooDeep));
  EXPECT_EQ(ErrorOf(nested(300, false)), "ValidationException: " + std::string(kNestingTooDeep));
}

TEST(DynamoJson, Items) {
  boost::system::error_code ec;
  auto json = boost::json::parse(R"({"k":{"S":"a"},"n":{"N":"007"}})", ec);
  auto item = ItemFromJson(json);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->size(), 2u);
  EXPECT_EQ(item->at("n").text, "7");
  EXPECT_EQ(boost::json::serialize(ItemToJson(*item)), R"({"k":{"S":"a"},"n":{"N":"7"}})");
  auto bad = ItemFromJson(boost::json::parse(R"({"":{"S":"a"}})", ec));
  EXPECT_EQ(bad.status().message(), "Empty attribute name");
  EXPECT_FALSE(ItemFromJson(boost::json::parse("[]", ec)).ok());
}

TEST(DynamoJson, BinaryIsPaddedStandardBase64) {
  EXPECT_EQ(*DecodeBinary("aGk="), "hi");
  EXPECT_EQ(ToJson(Value::B("hi")).at("B").as_string(), "aGk=");
  EXPECT_EQ(DecodeBinary("aGk").status().message(),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
  for (const char* bad : {"a=Gk", "aG=k", "aGk=aGk=", "a-_k"}) {
    EXPECT_FALSE(DecodeBinary(bad).ok()) << bad;
  }
}

TEST(DynamoJson, TextOfAnItemIsWhatItsTreeSerializesTo) {
  // Every type, nesting, escapes, an empty string and a name that needs escaping.
  const std::string text = R"({"s":{"S":"a \"q\" \\ \n \u0001 \u00e9"},"e":{"S":""},
      "n":{"N":"-12.5e3"},"b":{"B":"AAEC/w=="},"t":{"BOOL":true},"f":{"BOOL":false},
      "z":{"NULL":true},"ss":{"SS":["b","a\"x"]},"ns":{"NS":["10","-1.5","2"]},
      "bs":{"BS":["aGk=","AA=="]},"l":{"L":[{"S":"x"},{"L":[]},{"M":{}}]},
      "m":{"M":{"in\"ner":{"M":{"deep":{"N":"0"}}},"list":{"L":[{"N":"1"}]}}},
      "na\tme":{"S":"v"}})";
  boost::system::error_code ec;
  Result<Item> item = ItemFromJson(boost::json::parse(text, ec));
  ASSERT_FALSE(ec);
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  std::string written;
  AppendItemJson(*item, &written);
  EXPECT_EQ(written, boost::json::serialize(ItemToJson(*item)));
  for (const auto& [name, value] : *item) {
    std::string one;
    AppendValueJson(value, &one);
    EXPECT_EQ(one, boost::json::serialize(ToJson(value))) << name;
  }
}

}  // namespace
}  // namespace cloudlite::dynamo
