#include "dynamo/legacy.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "dynamo/errors.h"
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

TEST(Legacy, ExpectedComparisonForms) {
  // A ComparisonOperator may take its operand as Value.
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"ComparisonOperator": "GT", "Value": {"N": "4"}}})"), "true");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"ComparisonOperator": "EQ"}})"),
            "error: One or more parameter values were invalid: Value or AttributeValueList must "
            "be used with ComparisonOperator: EQ for Attribute: n");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"ComparisonOperator": "NULL", "Value": {"N": "4"}}})"),
            "error: One or more parameter values were invalid: Invalid number of argument(s) for "
            "the NULL ComparisonOperator");
  EXPECT_EQ(
      ExpectedOutcome(
          R"({"n": {"Value": {"N": "5"}, "ComparisonOperator": "EQ", "AttributeValueList": []}})"),
      "error: One or more parameter values were invalid: Value and AttributeValueList cannot "
      "be used together for Attribute: n");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Exists": false, "AttributeValueList": [{"N": "5"}]}})"),
            "error: One or more parameter values were invalid: AttributeValueList can only be "
            "used with a ComparisonOperator for Attribute: n");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Exists": true, "ComparisonOperator": "FOO"}})"),
            "error: One or more parameter values were invalid: Exists and ComparisonOperator "
            "cannot be used together for Attribute: n");
  EXPECT_EQ(ExpectedOutcome(Op("n", "eq", R"([{"N": "5"}])")),
            "error: Comparison type does not exist in DynamoDB");
  // Members are checked in request order.
  EXPECT_EQ(
      ExpectedOutcome(R"({"b": {"Exists": false, "Value": {"N": "5"}}, "a": {"Exists": true}})"),
      "error: One or more parameter values were invalid: Value cannot be used when Exists "
      "is false for Attribute: b");
}

TEST(Legacy, ArgumentRules) {
  const std::string invalid = "error: One or more parameter values were invalid: ";
  EXPECT_EQ(ExpectedOutcome(Op("n", "EQ", "[]")),
            invalid + "Invalid number of argument(s) for the EQ ComparisonOperator");
  EXPECT_EQ(ExpectedOutcome(Op("n", "BETWEEN", R"([{"N": "1"}])")),
            invalid + "Invalid number of argument(s) for the BETWEEN ComparisonOperator");
  EXPECT_EQ(ExpectedOutcome(Op("n", "IN", "[]")),
            invalid + "Invalid number of argument(s) for the IN ComparisonOperator");
  EXPECT_EQ(ExpectedOutcome(Op("n", "NOT_NULL", R"([{"N": "1"}])")),
            invalid + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator");
  EXPECT_EQ(ExpectedOutcome(Op("n", "GT", R"([{"SS": ["a"]}])")),
            invalid + "ComparisonOperator GT is not valid for SS AttributeValue type");
  EXPECT_EQ(ExpectedOutcome(Op("n", "GE", R"([{"NULL": true}])")),
            invalid + "ComparisonOperator GE is not valid for NULL AttributeValue type");
  EXPECT_EQ(ExpectedOutcome(Op("s", "BEGINS_WITH", R"([{"N": "1"}])")),
            invalid + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type");
  EXPECT_EQ(ExpectedOutcome(Op("l", "CONTAINS", R"([{"L": []}])")),
            invalid + "ComparisonOperator CONTAINS is not valid for L AttributeValue type");
  EXPECT_EQ(ExpectedOutcome(Op("t", "IN", R"([{"BOOL": true}])")),
            invalid + "ComparisonOperator IN is not valid for BOOL AttributeValue type");
  // The type check comes before the same-type check.
  EXPECT_EQ(ExpectedOutcome(Op("n", "IN", R"([{"N": "1"}, {"SS": ["5"]}])")),
            invalid + "ComparisonOperator IN is not valid for SS AttributeValue type");
  EXPECT_EQ(ExpectedOutcome(Op("n", "IN", R"([{"N": "1"}, {"S": "5"}])")),
            invalid + "AttributeValues inside AttributeValueList must be of same type");
  EXPECT_EQ(ExpectedOutcome(Op("s", "BETWEEN", R"([{"S": "b"}, {"S": "a"}])")),
            "error: The BETWEEN condition was provided a range where the lower bound is greater "
            "than the upper bound");
  // EQ and NE take any type; CONTAINS takes BOOL and NULL.
  EXPECT_EQ(ExpectedOutcome(Op("ss", "EQ", R"([{"SS": ["b", "a"]}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("m", "NE", R"([{"M": {}}])")), "true");
  EXPECT_EQ(ExpectedOutcome(Op("s", "CONTAINS", R"([{"BOOL": true}])")), "false");
}

TEST(Legacy, InTakesMoreThanAHundredValues) {
  std::string values = "[";
  for (int i = 0; i < 250; i++)
    values += (i ? ", " : "") + std::string(R"({"N": ")") + std::to_string(i) + "\"}";
  values += "]";
  EXPECT_EQ(ExpectedOutcome(Op("n", "IN", values)), "true");
  EXPECT_EQ(ExpectedOutcome(Op("s", "IN", values)), "false");
}

TEST(Legacy, ConditionalOperator) {
  const char* two = R"({"n": {"Value": {"N": "6"}}, "s": {"Value": {"S": "abc"}}})";
  EXPECT_EQ(ExpectedOutcome(two), "false");
  EXPECT_EQ(ExpectedOutcome(two, "AND"), "false");
  EXPECT_EQ(ExpectedOutcome(two, "OR"), "true");
  // Compound members keep their meaning when joined.
  EXPECT_EQ(ExpectedOutcome(std::string(R"({"nope": {"ComparisonOperator": "NOT_CONTAINS",
      "AttributeValueList": [{"S": "q"}]}, "n": {"ComparisonOperator": "IN", "AttributeValueList":
      [{"N": "5"}]}})"),
                            "OR"),
            "true");
  EXPECT_EQ(ExpectedOutcome(R"({"n": {"Value": {"N": "5"}}})", "OR"),
            "error: ConditionalOperator can only be used when Filter or Expected has two or more "
            "elements");
  EXPECT_EQ(ExpectedOutcome("{}", "AND"),
            "error: ConditionalOperator cannot be used without Filter or Expected");
  EXPECT_EQ(ExpectedOutcome(two, "XOR"),
            "error: 1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to "
            "satisfy constraint: Member must satisfy enum value set: [AND, OR]");
  EXPECT_EQ(ExpectedOutcome("{}"), "none");
}

// The item after AttributeUpdates, or "error: <message>" (Apply's errors as the legacy API says
// them).
std::string Updated(std::string_view updates, std::string_view item = kItem) {
  ExpressionAttributes attrs;
  auto t = TranslateLegacy(
      "UpdateItem", Request(std::string(R"({"AttributeUpdates": )") + std::string(updates) + "}"),
      &attrs);
  if (!t.ok()) return "error: " + t.status().message();
  if (!t->update) return "none";
  auto u = Update::Parse(*t->update, &attrs);
  if (!u.ok()) return "parse error: " + u.status().message() + " in " + *t->update;
  if (!attrs.CheckAllUsed().ok()) return "unused";
  Status key = u->CheckKeyNotUpdated({"k"});
  if (!key.ok()) return "error: " + key.message();
  auto after = u->Apply(ItemOf(item));
  if (!after.ok()) return "error: " + LegacyUpdateError(after.status()).message();
  return Dump(*after);
}

// One attribute of the updated item ("missing" when it is gone).
std::string UpdatedAttribute(std::string_view updates, const std::string& name) {
  std::string out = Updated(updates);
  if (out.starts_with("error") || out.starts_with("parse") || out == "none") return out;
  auto item = ItemOf(out);
  auto it = item.find(name);
  return it == item.end() ? "missing" : boost::json::serialize(ToJson(it->second));
}

TEST(Legacy, AttributeUpdatesPutAndDelete) {
  EXPECT_EQ(UpdatedAttribute(R"({"n": {"Value": {"N": "7"}}})", "n"), R"({"N":"7"})");
  EXPECT_EQ(UpdatedAttribute(R"({"n": {"Action": "PUT", "Value": {"S": "x"}}})", "n"),
            R"({"S":"x"})");
  EXPECT_EQ(UpdatedAttribute(R"({"n": {"Action": "DELETE"}})", "n"), "missing");
  EXPECT_EQ(UpdatedAttribute(R"({"nope": {"Action": "DELETE"}})", "nope"), "missing");
  EXPECT_EQ(UpdatedAttribute(R"({"ss": {"Action": "DELETE", "Value": {"SS": ["a", "q"]}}})", "ss"),
            R"({"SS":["b"]})");
  EXPECT_EQ(UpdatedAttribute(R"({"ss": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}}})", "ss"),
            "missing");
  EXPECT_EQ(UpdatedAttribute(R"({"nope": {"Action": "DELETE", "Value": {"SS": ["a"]}}})", "nope"),
            "missing");
  EXPECT_EQ(Updated(R"({"n": {"Action": "PUT"}})"),
            "error: One or more parameter values were invalid: Only DELETE action is allowed when "
            "no attribute value is specified");
  EXPECT_EQ(Updated(R"({"n": {}})"),
            "error: One or more parameter values were invalid: Only DELETE action is allowed when "
            "no attribute value is specified");
  EXPECT_EQ(Updated(R"({"ss": {"Action": "DELETE", "Value": {"S": "a"}}})"),
            "error: One or more parameter values were invalid: DELETE action with value is not "
            "supported for the type STRING");
  EXPECT_EQ(Updated(R"({"l": {"Action": "DELETE", "Value": {"L": []}}})"),
            "error: One or more parameter values were invalid: DELETE action with value is not "
            "supported for the type LIST");
  EXPECT_EQ(Updated(R"({"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}})"),
            "error: Type mismatch for attribute to update");
  EXPECT_EQ(Updated(R"({"n": {"Action": "put", "Value": {"N": "1"}}})"),
            "error: Member must satisfy enum value set: [ADD, DELETE, PUT]");
}

TEST(Legacy, AttributeUpdatesAdd) {
  EXPECT_EQ(UpdatedAttribute(R"({"n": {"Action": "ADD", "Value": {"N": "2.5"}}})", "n"),
            R"({"N":"7.5"})");
  EXPECT_EQ(UpdatedAttribute(R"({"nope": {"Action": "ADD", "Value": {"N": "2"}}})", "nope"),
            R"({"N":"2"})");
  EXPECT_EQ(UpdatedAttribute(R"({"ss": {"Action": "ADD", "Value": {"SS": ["c", "a"]}}})", "ss"),
            R"({"SS":["a","b","c"]})");
  EXPECT_EQ(UpdatedAttribute(R"({"nope": {"Action": "ADD", "Value": {"NS": ["3"]}}})", "nope"),
            R"({"NS":["3"]})");
  // ADD on a list appends, and creates a missing list.
  EXPECT_EQ(UpdatedAttribute(R"({"l": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}}})", "l"),
            R"({"L":[{"N":"1"},{"S":"x"},{"S":"y"}]})");
  EXPECT_EQ(
      UpdatedAttribute(R"({"nope": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}}})", "nope"),
      R"({"L":[{"S":"y"}]})");
  EXPECT_EQ(Updated(R"({"n": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}}})"),
            "error: Type mismatch for attribute to update");
  EXPECT_EQ(Updated(R"({"s": {"Action": "ADD", "Value": {"N": "1"}}})"),
            "error: Type mismatch for attribute to update");
  EXPECT_EQ(Updated(R"({"s": {"Action": "ADD", "Value": {"S": "x"}}})"),
            "error: One or more parameter values were invalid: ADD action is not supported for "
            "the type STRING");
  EXPECT_EQ(Updated(R"({"nope": {"Action": "ADD", "Value": {"BOOL": true}}})"),
            "error: One or more parameter values were invalid: ADD action is not supported for "
            "the type BOOLEAN");
}

TEST(Legacy, AttributeUpdatesTogetherAndLiteralNames) {
  std::string out = Updated(R"({"n": {"Action": "DELETE"}, "a.b": {"Value": {"S": "x"}},
      "status": {"Action": "ADD", "Value": {"N": "1"}}, "ss": {"Action": "DELETE", "Value":
      {"SS": ["b"]}}, "l": {"Action": "ADD", "Value": {"L": []}}})",
                            R"({"k": {"S": "item"}, "n": {"N": "1"}, "ss": {"SS": ["a", "b"]},
      "l": {"L": [{"N": "1"}]}})");
  EXPECT_EQ(out, R"({"a.b":{"S":"x"},"k":{"S":"item"},"l":{"L":[{"N":"1"}]},"ss":{"SS":["a"]},)"
                 R"("status":{"N":"1"}})");
  EXPECT_EQ(Updated(R"({"n": {"Value": {"N": "1"}}, "k": {"Action": "DELETE"}})"),
            "error: One or more parameter values were invalid: Cannot update attribute k. This "
            "attribute is part of the key");
  EXPECT_EQ(Updated("{}"), "none");
  EXPECT_EQ(Updated(R"({"": {"Value": {"S": "x"}}})"), "error: Empty attribute name");
}

std::string Projected(std::string_view operation, std::string_view request) {
  ExpressionAttributes attrs;
  auto t = TranslateLegacy(operation, Request(request), &attrs);
  if (!t.ok()) return "error: " + t.status().message();
  if (!t->projection) return "none";
  auto p = Projection::Parse(*t->projection, &attrs);
  if (!p.ok()) return "parse error: " + p.status().message();
  return Dump(p->Apply(ItemOf(kItem)));
}

TEST(Legacy, AttributesToGet) {
  EXPECT_EQ(Projected("GetItem", R"({"AttributesToGet": ["n", "a.b", "nope", "status"]})"),
            R"({"a.b":{"S":"dotted"},"n":{"N":"5"},"status":{"S":"on"}})");
  EXPECT_EQ(Projected("Scan", R"({"AttributesToGet": ["s"]})"), R"({"s":{"S":"abc"}})");
  EXPECT_EQ(Projected("GetItem", R"({"AttributesToGet": ["n", "n"]})"),
            "error: Cannot have two attributes with the same name");
  EXPECT_EQ(Projected("BatchGetItem", R"({"AttributesToGet": ["n", "n"]})"),
            "error: One or more parameter values were invalid: Duplicate value in attribute "
            "name: n");
  EXPECT_EQ(Projected("Query", R"({"AttributesToGet": []})"),
            "error: AttributesToGet cannot be empty");
  EXPECT_EQ(Projected("GetItem", R"({"AttributesToGet": [""]})"), "error: Empty attribute name");
  EXPECT_EQ(Projected("GetItem", R"({"AttributesToGet": "n"})"),
            "error: STRING_VALUE cannot be converted to List");
}

const KeySchema kSchema{"pk", Type::kS, "sk", Type::kN};

// The key condition of a Query's KeyConditions, as "<hash> <op> <low> <high>", or the error.
std::string Keyed(std::string_view request) {
  ExpressionAttributes attrs;
  auto body = Request(request);
  auto t = TranslateLegacy("Query", body, &attrs);
  if (!t.ok()) return "error: " + t.status().message();
  Status keys = CheckLegacyKeys(body, kSchema);
  if (!keys.ok()) return "error: " + keys.message();
  if (!t->key_condition) return "none";
  auto k = KeyCondition::Parse(*t->key_condition, kSchema, &attrs);
  if (!k.ok()) return "error: " + k.status().message();
  return boost::json::serialize(ToJson(k->hash)) + " " + std::to_string(static_cast<int>(k->op)) +
         " " + (k->op == KeyCondition::Op::kNone ? "" : boost::json::serialize(ToJson(k->low))) +
         (k->op == KeyCondition::Op::kBetween ? " " + boost::json::serialize(ToJson(k->high)) : "");
}

TEST(Legacy, KeyConditions) {
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}}})"),
            R"({"S":"a"} 0 )");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"sk": {"ComparisonOperator": "BETWEEN",
      "AttributeValueList": [{"N": "1"}, {"N": "3"}]}, "pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}}})"),
            R"({"S":"a"} 6 {"N":"1"} {"N":"3"})");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}, "sk": {"ComparisonOperator": "LE",
      "AttributeValueList": [{"N": "2"}]}}})"),
            R"({"S":"a"} 3 {"N":"2"})");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {}})"), "error: Conditions can be of length 1 or 2 only");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}, "sk": {"ComparisonOperator": "NE",
      "AttributeValueList": [{"N": "2"}]}}})"),
            "error: Attempted conditional constraint is not an indexable operation");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}, "sk": {"ComparisonOperator": "NOT_NULL"}}})"),
            "error: Only scalar types can be used as Range Key values");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "NULL"}}})"),
            "error: Only scalar types can be used as Hash Key values");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}, "x": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}}})"),
            "error: Query condition missed key schema element");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"sk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"N": "1"}]}}})"),
            "error: Query condition missed key schema element");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "GT",
      "AttributeValueList": [{"S": "a"}]}}})"),
            "error: Query key condition not supported");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}, "sk": {"ComparisonOperator": "GT",
      "AttributeValueList": [{"S": "1"}]}}})"),
            "error: One or more parameter values were invalid: Condition parameter type does not "
            "match schema type");
  EXPECT_EQ(Keyed(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}}, "QueryFilter": {"sk": {"ComparisonOperator":
      "NULL"}}})"),
            "error: QueryFilter can only contain non-primary key attributes: Primary key "
            "attribute: sk");
}

// Whether a Scan's or Query's filter keeps kItem.
std::string Filtered(std::string_view operation, std::string_view request) {
  ExpressionAttributes attrs;
  auto t = TranslateLegacy(operation, Request(request), &attrs);
  if (!t.ok()) return "error: " + t.status().message();
  if (!t->filter) return "none";
  auto c = Condition::Parse(*t->filter, ExpressionKind::kFilter, &attrs);
  if (!c.ok()) return "parse error: " + c.status().message();
  Item item = ItemOf(kItem);
  return c->Evaluate(&item) ? "true" : "false";
}

TEST(Legacy, Filters) {
  EXPECT_EQ(Filtered("Scan", R"({"ScanFilter": {"n": {"ComparisonOperator": "LT",
      "AttributeValueList": [{"N": "6"}]}, "s": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "x"}]}}, "ConditionalOperator": "OR"})"),
            "true");
  EXPECT_EQ(Filtered("Query", R"({"QueryFilter": {"n": {"ComparisonOperator": "LT",
      "AttributeValueList": [{"N": "6"}]}, "s": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "x"}]}}})"),
            "false");
  // A filter member is ComparisonOperator and AttributeValueList only: Value does not count.
  EXPECT_EQ(Filtered("Scan", R"({"ScanFilter": {"n": {"Value": {"N": "5"}}}})"),
            "error: Comparison type does not exist in DynamoDB");
  EXPECT_EQ(Filtered("Scan", R"({"ScanFilter": {"n": {"ComparisonOperator": "EQ",
      "Value": {"N": "5"}}}})"),
            "error: One or more parameter values were invalid: Invalid number of argument(s) for "
            "the EQ ComparisonOperator");
  EXPECT_EQ(Filtered("Scan", R"({"ScanFilter": {}})"), "none");
  EXPECT_EQ(Filtered("Query", R"({"ScanFilter": {"n": {"ComparisonOperator": "NULL"}}})"), "none");
}

std::string Error(std::string_view operation, std::string_view request) {
  ExpressionAttributes attrs;
  auto t = TranslateLegacy(operation, Request(request), &attrs);
  return t.ok() ? "ok" : t.status().message();
}

TEST(Legacy, MixingWithExpressions) {
  const std::string both =
      "Can not use both expression and non-expression parameters in the same request: "
      "Non-expression parameters: ";
  EXPECT_EQ(Error("UpdateItem", R"({"ConditionExpression": "a", "ConditionalOperator": "AND",
      "Expected": {}, "UpdateExpression": "b", "AttributeUpdates": {}})"),
            both +
                "{AttributeUpdates, Expected, ConditionalOperator} Expression parameters: "
                "{UpdateExpression, ConditionExpression}");
  EXPECT_EQ(Error("PutItem", R"({"Expected": {}, "ConditionExpression": "a"})"),
            both + "{Expected} Expression parameters: {ConditionExpression}");
  EXPECT_EQ(Error("GetItem", R"({"AttributesToGet": ["a"], "ProjectionExpression": "a"})"),
            both + "{AttributesToGet} Expression parameters: {ProjectionExpression}");
  EXPECT_EQ(Error("Scan", R"({"ProjectionExpression": "a", "ScanFilter": {},
      "AttributesToGet": ["a"]})"),
            both + "{AttributesToGet, ScanFilter} Expression parameters: {ProjectionExpression}");
  EXPECT_EQ(Error("Query", R"({"KeyConditions": {}, "KeyConditionExpression": "a",
      "QueryFilter": {}})"),
            both + "{QueryFilter, KeyConditions} Expression parameters: {KeyConditionExpression}");
  // KeyConditions conflicts with KeyConditionExpression only.
  EXPECT_EQ(Error("Query", R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "a"}]}}, "FilterExpression": "a", "ProjectionExpression": "b",
      "ExpressionAttributeValues": {":v": {"S": "v"}}})"),
            "ok");
  EXPECT_EQ(Error("Query", R"({"QueryFilter": {}, "FilterExpression": "a"})"),
            both + "{QueryFilter} Expression parameters: {FilterExpression}");
}

TEST(Legacy, ExpressionAttributesWithoutExpressions) {
  const std::string names = "ExpressionAttributeNames can only be specified when using expressions";
  const std::string values =
      "ExpressionAttributeValues can only be specified when using expressions: ";
  EXPECT_EQ(Error("PutItem", R"({"ExpressionAttributeNames": {"#a": "a"}, "Expected": {}})"),
            names);
  EXPECT_EQ(Error("GetItem", R"({"ExpressionAttributeNames": {"#a": "a"}})"), names);
  EXPECT_EQ(Error("PutItem", R"({"ExpressionAttributeValues": {":a": {"S": "a"}}})"),
            values + "ConditionExpression is null");
  EXPECT_EQ(Error("UpdateItem", R"({"ExpressionAttributeValues": {":a": {"S": "a"}}})"),
            values + "UpdateExpression and ConditionExpression are null");
  EXPECT_EQ(Error("Scan", R"({"ExpressionAttributeValues": {":a": {"S": "a"}},
      "ProjectionExpression": "a"})"),
            values + "FilterExpression is null");
  EXPECT_EQ(Error("Query", R"({"ExpressionAttributeValues": {":a": {"S": "a"}}})"),
            values + "FilterExpression and KeyConditionExpression are null");
  // GetItem has no ExpressionAttributeValues: DynamoDB ignores them.
  EXPECT_EQ(Error("GetItem", R"({"ExpressionAttributeValues": {":a": {"S": "a"}}})"), "ok");
  EXPECT_EQ(Error("PutItem", R"({"ExpressionAttributeNames": {"#a": "a"},
      "ConditionExpression": "#a = a"})"),
            "ok");
}

TEST(Legacy, WrongJsonShapes) {
  ExpressionAttributes attrs;
  auto t = TranslateLegacy("PutItem", Request(R"({"Expected": []})"), &attrs);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(ExceptionName(t.status()), "SerializationException");
  t = TranslateLegacy("PutItem", Request(R"({"Expected": {"a": {"Exists": "yes"}}})"), &attrs);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "STRING_VALUE cannot be converted to Boolean");
  t = TranslateLegacy("Scan", Request(R"({"ScanFilter": {"a": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"Q": "1"}]}}})"),
                      &attrs);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(
      t.status().message(),
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  // JSON null is absence.
  t = TranslateLegacy("PutItem", Request(R"({"Expected": null, "ConditionalOperator": null})"),
                      &attrs);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->condition);
}

TEST(Legacy, LegacyUpdateErrorMapsOnlyTheTypeError) {
  EXPECT_EQ(LegacyUpdateError(Status::InvalidArgument(
                                  "An operand in the update expression has an incorrect data type"))
                .message(),
            "Type mismatch for attribute to update");
  EXPECT_EQ(LegacyUpdateError(Status::InvalidArgument("other")).message(), "other");
  EXPECT_TRUE(LegacyUpdateError(Status::Ok()).ok());
}

}  // namespace
}  // namespace cloudlite::dynamo
