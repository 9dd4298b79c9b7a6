#include "dynamo/legacy.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "dynamo/json.h"

namespace cloudlite::dynamo {
namespace {

boost::json::object Request(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return v.is_object() ? v.as_object() : boost::json::object();
}

Item ItemOf(std::string_view json) {
  auto item = ItemFromJson(boost::json::parse(json));
  EXPECT_TRUE(item.ok()) << json;
  return item.ok() ? *item : Item();
}

std::string Dump(const Item& item) { return boost::json::serialize(ItemToJson(item)); }

const char* kItem = R"({"k": {"S": "item"}, "n": {"N": "5"}, "s": {"S": "abc"},
  "b": {"B": "AAE="}, "t": {"BOOL": true}, "z": {"NULL": true}, "ss": {"SS": ["a", "b"]},
  "ns": {"NS": ["1", "2"]}, "l": {"L": [{"N": "1"}, {"S": "x"}]}, "m": {"M": {"a": {"N": "1"}}},
  "a.b": {"S": "dotted"}, "status": {"S": "on"}})";

// "error: <message>" or the translation's outcome on kItem: for a condition "true"/"false".
std::string ExpectedOutcome(std::string_view expected, std::string_view conditional = "") {
  std::string text = std::string(R"({"Expected": )") + std::string(expected);
  if (!conditional.empty())
    text += R"(, "ConditionalOperator": ")" + std::string(conditional) + "\"";
  text += "}";
  ExpressionAttributes attrs;
  auto t = TranslateLegacy("PutItem", Request(text), &attrs);
  if (!t.ok()) return "error: " + t.status().message();
  if (!t->condition) return "none";
  auto c = Condition::Parse(*t->condition, ExpressionKind::kCondition, &attrs);
  if (!c.ok()) return "parse error: " + c.status().message() + " in " + *t->condition;
  Status used = attrs.CheckAllUsed();
  if (!used.ok()) return "unused: " + used.message();
  Item item = ItemOf(kItem);
  return c->Evaluate(&item) ? "true" : "false";
}

std::string Op(std::string_view attribute, std::string_view op, std::string_view values) {
  return std::string(R"({")") + std::string(attribute) + R"(": {"ComparisonOperator": ")" +
         std::string(op) + R"(", "AttributeValueList": )" + std::string(values) + "}}";
}

TEST(Legacy, NoLegacyParametersGiveNothing) {
  ExpressionAttributes attrs;
  auto t = TranslateLegacy("UpdateItem", Request(R"({"Key": {"k": {"S": "a"}}})"), &attrs);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(t->condition || t->update || t->projection || t->key_condition || t->filter);
}

TEST(Legacy, ExpectedExistsAndValue) {
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Exists": false}})"), "false");
  EXPECT_EQ(ExpectedOutcome(R"({"nope": {"Exists": false}})"), "true");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Value": {"N": "5"}}})"), "true");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Exists": true, "Value": {"N": "5.0"}}})"), "true");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Value": {"N": "6"}}})"), "false");
  EXPECT_EQ(ExpectedOutcome(R"({"nope": {"Value": {"N": "6"}}})"), "false");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Exists": true}})"),
            "error: One or more parameter values were invalid: Value must be provided when "
            "Exists is true for Attribute: n");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {}})"),
            "error: One or more parameter values were invalid: Value must be provided when "
            "Exists is null for Attribute: n");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Exists": false, "Value": {"N": "5"}}})"),
            "error: One or more parameter values were invalid: Value cannot be used when Exists "
            "is false for Attribute: n");
}

TEST(Legacy, NamesAreLiteral) {
  EXPECT_EQ(ExpectedOutcome(R"({"a.b": {"Value": {"S": "dotted"}}})"), "true");
  EXPECT_EQ(ExpectedOutcome(R"({"status": {"Value": {"S": "on"}}})"), "true");
  EXPECT_EQ(ExpectedOutcome(R"({"": {"Exists": false}})"), "error: Empty attribute name");
}

TEST(Legacy, ComparisonOperators) {
  EXPECT_EQ(ExpectedOutcome(Op("n", "EQ", R"([{"N": "5"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("n", "NE", R"([{"N": "5"}])")), "false");
  EXPECT_EQ(ExpectedOutcome(Op("nope", "NE", R"([{"N": "5"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("n", "GT", R"([{"N": "4"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("s", "GT", R"([{"N": "4"}])")), "false");
  EXPECT_EQ(ExpectedOutcome(Op("n", "NULL", "[]")), "false");
  EXPECT_EQ(ExpectedOutcome(Op("nope", "NULL", "[]")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("n", "NOT_NULL", "[]")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("ss", "CONTAINS", R"([{"S": "b"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("nope", "NOT_CONTAINS", R"([{"S": "b"}])")), "false");
  EXPECT_EQ(ExpectedOutcome(Op("n", "NOT_CONTAINS", R"([{"S": "q"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("s", "BEGINS_WITH", R"([{"S": "ab"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("n", "IN", R"([{"N": "1"}, {"N": "5"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("n", "BETWEEN", R"([{"N": "1"}, {"N": "5"}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("n", "BETWEEN", R"([{"N": "5"}, {"N": "1"}])")),
            "error: The BETWEEN condition was provided a range where the lower bound is greater "
            "than the upper bound");
}

}  // namespace
}  // namespace cloudlite::dynamo
