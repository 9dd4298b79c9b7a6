#include "dynamo/expression.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "dynamo/json.h"

namespace cloudlite::dynamo {
namespace {

boost::json::value Json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 1000;
  auto v = boost::json::parse(text, ec, {}, options);
  EXPECT_FALSE(ec) << text;
  return v;
}

Item ItemOf(std::string_view json) {
  auto item = ItemFromJson(Json(json));
  EXPECT_TRUE(item.ok()) << json;
  return item.ok() ? *item : Item();
}

std::string Dump(const Item& item) { return boost::json::serialize(ItemToJson(item)); }

ExpressionAttributes Attrs(std::string_view names, std::string_view values) {
  boost::json::value n = names.empty() ? boost::json::value() : Json(names);
  boost::json::value v = values.empty() ? boost::json::value() : Json(values);
  auto a = ExpressionAttributes::FromJson(&n, &v);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? *a : ExpressionAttributes();
}

// A product item like the ones in DynamoDB's developer guide.
const char* kProduct = R"({
  "Id": {"N": "123"}, "Title": {"S": "Bicycle 123"}, "Price": {"N": "500"},
  "ProductCategory": {"S": "Bicycle"}, "Color": {"SS": ["Black", "Red"]},
  "InStock": {"BOOL": true}, "QuantityOnHand": {"NULL": true},
  "RelatedItems": {"NS": ["341", "472", "649"]},
  "Pictures": {"M": {"FrontView": {"S": "http://example.com/products/123_front.jpg"},
                      "SideView": {"S": "http://example.com/products/123_left_side.jpg"}}},
  "ProductReviews": {"M": {"FiveStar": {"L": [{"S": "Excellent!"}, {"S": "Love it!"}]},
                            "OneStar": {"L": [{"S": "Terrible product!"}]}}},
  "Comment": {"S": "This product sells out quickly during the summer"},
  "Safety.Warning": {"S": "Always wear a helmet"}, "Tags": {"L": [{"S": "bike"}, {"N": "2"}]},
  "Bytes": {"B": "AQID"}})";

const char* kValues = R"({
  ":p": {"N": "500"}, ":lo": {"N": "100"}, ":hi": {"N": "600"}, ":cat": {"S": "Bicycle"},
  ":red": {"S": "Red"}, ":s": {"S": "S"}, ":ss": {"S": "SS"}, ":url": {"S": "http://"},
  ":v_sub": {"S": "Bicycle"}, ":n2": {"N": "2"}, ":n3": {"N": "3"}, ":t": {"BOOL": true},
  ":excellent": {"S": "Excellent!"}, ":bin": {"B": "AQ=="}, ":m": {"S": "M"}})";

// Parses and evaluates `text` on the product; "error: <message>" when parsing fails.
std::string Check(std::string_view text, std::string_view names = R"({"#w": "Safety.Warning",
    "#pr": "ProductReviews", "#c": "Comment", "#x": "Missing"})") {
  ExpressionAttributes attrs = Attrs(names, kValues);
  auto c = Condition::Parse(text, ExpressionKind::kCondition, &attrs);
  if (!c.ok()) return "error: " + c.status().message();
  Item item = ItemOf(kProduct);
  return c->Evaluate(&item) ? "true" : "false";
}

TEST(DynamoCondition, ComparatorsAndLogic) {
  EXPECT_EQ(Check("Price = :p"), "true");
  EXPECT_EQ(Check("Price <> :p"), "false");
  EXPECT_EQ(Check("Price < :hi AND Price > :lo"), "true");
  EXPECT_EQ(Check("Price <= :p AND Price >= :p"), "true");
  EXPECT_EQ(Check("Price BETWEEN :lo AND :hi"), "true");
  EXPECT_EQ(Check("Price BETWEEN :lo AND :p"), "true");
  EXPECT_EQ(Check("ProductCategory IN (:cat, :red)"), "true");
  EXPECT_EQ(Check("ProductCategory IN (:red)"), "false");
  EXPECT_EQ(Check("NOT Price = :p OR InStock = :t"), "true");
  EXPECT_EQ(Check("NOT (Price = :p OR InStock = :t)"), "false");
  EXPECT_EQ(Check("Price = :lo OR Price = :p AND InStock = :t"), "true");
  EXPECT_EQ(Check("(Price = :lo OR Price = :p) AND InStock = :t"), "true");
  EXPECT_EQ(Check("price = :p"), "false");                  // names are case-sensitive
  EXPECT_EQ(Check("Price = :p and InStock = :t"), "true");  // keywords are not
  EXPECT_EQ(Check(":p = :p"), "true");
  EXPECT_EQ(Check("(Price) = :p"), "true");
  EXPECT_EQ(Check("Price = ProductCategory"), "false");
  // Comparisons of different types are false; <> is true, also for a missing attribute.
  EXPECT_EQ(Check("Title < :p"), "false");
  EXPECT_EQ(Check("Title <> :p"), "true");
  EXPECT_EQ(Check("#x <> :p"), "true");
  EXPECT_EQ(Check("#x = :p"), "false");
  EXPECT_EQ(Check("NOT #x = :p"), "true");
  EXPECT_EQ(Check("#x IN (:p)"), "false");
}

TEST(DynamoCondition, Functions) {
  EXPECT_EQ(Check("attribute_exists(Price)"), "true");
  EXPECT_EQ(Check("attribute_not_exists(Price)"), "false");
  EXPECT_EQ(Check("attribute_not_exists(#x)"), "true");
  EXPECT_EQ(Check("attribute_exists(#w)"), "true");  // a name with a dot, through #w
  EXPECT_EQ(Check("attribute_exists(Pictures.SideView)"), "true");
  EXPECT_EQ(Check("attribute_exists(Pictures.RearView)"), "false");
  EXPECT_EQ(Check("attribute_exists(#pr.OneStar[0])"), "true");
  EXPECT_EQ(Check("attribute_exists(#pr.OneStar[1])"), "false");
  EXPECT_EQ(Check("attribute_type(ProductCategory, :s)"), "true");
  EXPECT_EQ(Check("attribute_type(Color, :ss)"), "true");
  EXPECT_EQ(Check("attribute_type(Pictures, :m)"), "true");
  EXPECT_EQ(Check("attribute_type(Price, :s)"), "false");
  EXPECT_EQ(Check("begins_with(Pictures.FrontView, :url)"), "true");
  EXPECT_EQ(Check("begins_with(Title, :url)"), "false");
  EXPECT_EQ(Check("begins_with(Bytes, :bin)"), "true");
  EXPECT_EQ(Check("contains(Color, :red)"), "true");
  EXPECT_EQ(Check("contains(Title, :v_sub)"), "true");
  EXPECT_EQ(Check("contains(RelatedItems, :p)"), "false");
  EXPECT_EQ(Check("contains(#pr.FiveStar, :excellent)"), "true");
  EXPECT_EQ(Check("contains(Tags, :n2)"), "true");
  EXPECT_EQ(Check("contains(Price, :p)"), "false");
  EXPECT_EQ(Check("size(Title) = :p"), "false");
  EXPECT_EQ(Check("size(Color) = :n2"), "true");
  EXPECT_EQ(Check("size(RelatedItems) > :n2"), "true");
  EXPECT_EQ(Check("size(#pr.FiveStar) = :n2"), "true");
  EXPECT_EQ(Check("size(Bytes) = :n3"), "true");
  EXPECT_EQ(Check("size(Pictures) = :n2"), "true");
  EXPECT_EQ(Check("size(#c) > :lo"), "false");
  EXPECT_EQ(Check("size(#x) <> :n2"), "true");
  EXPECT_EQ(Check("size(Price) = :n3"), "false");  // numbers have no size
}

TEST(DynamoCondition, NoItem) {
  ExpressionAttributes attrs = Attrs("", R"({":v": {"N": "1"}})");
  auto c =
      Condition::Parse("attribute_not_exists(id) OR id = :v", ExpressionKind::kCondition, &attrs);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Evaluate(nullptr));
  Item item = ItemOf(R"({"id": {"N": "2"}})");
  EXPECT_FALSE(c->Evaluate(&item));
}

// Messages as DynamoDB Local words them (the ones tagged "Local" were checked against it).
TEST(DynamoCondition, SyntaxErrors) {
  const std::string p = "error: Invalid ConditionExpression: ";
  EXPECT_EQ(Check("Price = = :p"), p + "Syntax error; token: \"=\", near: \"= = :p\"");
  EXPECT_EQ(Check("Price < :p < :p"), p + "Syntax error; token: \"<\", near: \":p < :p\"");
  EXPECT_EQ(Check("Price = :p AND"), p + "Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(Check("a.b[x] = :p"), p + "Syntax error; token: \"x\", near: \"[x]\"");
  EXPECT_EQ(Check("Price IN ()"), p + "Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(Check("Price = :p!"), p + "Syntax error; token: \"!\", near: \":p!\"");
  EXPECT_EQ(Check("Price = :p $"), p + "Syntax error; token: \"$\", near: \":p $\"");
  EXPECT_EQ(Check("_a = :p"), p + "Syntax error; token: \"_\", near: \"_a\"");
  EXPECT_EQ(Check("1a = :p"), p + "Syntax error; token: \"1\", near: \"1a\"");
  EXPECT_EQ(Check("Price + :p = :p"), p + "Syntax error; token: \"+\", near: \"Price + :p\"");
  EXPECT_EQ(Check("AND = :p"), p + "Syntax error; token: \"AND\", near: \"AND =\"");
  EXPECT_EQ(Check("Price = :p AND :p"), p + "Syntax error; token: \"<EOF>\", near: \":p\"");
  EXPECT_EQ(Check("Price"), p + "Syntax error; token: \"<EOF>\", near: \"Price\"");
  EXPECT_EQ(Check("a[-1] = :p"), p + "Syntax error; token: \"-\", near: \"[-1\"");
  EXPECT_EQ(Check(""), p + "The expression can not be empty;");
  EXPECT_EQ(Check("  "), p + "The expression can not be empty;");
  EXPECT_EQ(Check("((Price = :p))"), p + "The expression has redundant parentheses;");
  EXPECT_EQ(Check("(Price = :p)"), "true");
  EXPECT_EQ(Check("((Price = :p) AND InStock = :t)"), "true");
}

TEST(DynamoCondition, SemanticErrors) {
  const std::string p = "error: Invalid ConditionExpression: ";
  EXPECT_EQ(Check("status = :p"),
            p + "Attribute name is a reserved keyword; reserved keyword: status");
  EXPECT_EQ(Check("a.Status = :p"),
            p + "Attribute name is a reserved keyword; reserved keyword: Status");
  EXPECT_EQ(Check("Price = :nope"),
            p + "An expression attribute value used in expression is not defined; attribute "
                "value: :nope");
  EXPECT_EQ(Check("#nope = :p"),
            p + "An expression attribute name used in the document path is not defined; "
                "attribute name: #nope");
  EXPECT_EQ(Check("foo(Price)"), p + "Invalid function name; function: foo");
  EXPECT_EQ(Check("SIZE(Price) = :p"), p + "Invalid function name; function: SIZE");
  EXPECT_EQ(Check("begins_with(Title, :p)"),
            p + "Incorrect operand type for operator or function; operator or function: "
                "begins_with, operand type: N");
  EXPECT_EQ(Check("Price < :t"),
            p + "Incorrect operand type for operator or function; operator or function: <, "
                "operand type: BOOL");
  EXPECT_EQ(Check("Price BETWEEN :hi AND :lo"),
            p + "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                "bound; lower bound operand: AttributeValue: {N:600}, upper bound operand: "
                "AttributeValue: {N:100}");
  EXPECT_EQ(Check("Price BETWEEN :lo AND :cat"),
            p + "The BETWEEN operator requires same data type for lower and upper bounds; lower "
                "bound operand: AttributeValue: {N:100}, upper bound operand: AttributeValue: "
                "{S:Bicycle}");
  EXPECT_EQ(Check("attribute_type(Price, :cat)"),
            p + "Invalid attribute type name found; type: Bicycle, valid types: "
                "{N,BS,L,B,NULL,M,S,SS,NS,BOOL}");
  EXPECT_EQ(Check("attribute_type(Price, :p)"),
            p + "Incorrect operand type for operator or function; operator or function: "
                "attribute_type, operand type: N");
  EXPECT_EQ(Check("size(Price)"),
            p + "The function is not allowed to be used this way in an expression; function: size");
  EXPECT_EQ(Check("attribute_exists(Price) = :t"),
            p + "The function is not allowed to be used this way in an expression; function: "
                "attribute_exists");
  EXPECT_EQ(Check("attribute_exists(:p)"),
            p + "Operator or function requires a document path; operator or function: "
                "attribute_exists");
  EXPECT_EQ(Check("attribute_exists(size(Price))"),
            p + "Operator or function requires a document path; operator or function: "
                "attribute_exists");
  EXPECT_EQ(Check("if_not_exists(Price, :p) = :p"),
            p + "The function is not allowed in a condition expression; function: if_not_exists");
  EXPECT_EQ(Check("contains(Price)"),
            p + "Incorrect number of operands for operator or function; operator or function: "
                "contains, number of operands: 1");
  EXPECT_EQ(Check("contains(Price, :p, :p)"),
            p + "Incorrect number of operands for operator or function; operator or function: "
                "contains, number of operands: 3");
  // Found by the differential test against DynamoDB Local.
  EXPECT_EQ(Check("Price > Price"),
            p + "The first operand must be distinct from the remaining operands for this operator "
                "or function; operator: >, first operand: [Price]");
  EXPECT_EQ(Check("Price IN (:p, Price)"),
            p + "The first operand must be distinct from the remaining operands for this operator "
                "or function; operator: IN, first operand: [Price]");
  EXPECT_EQ(Check("contains(#pr.OneStar, #pr.OneStar)"),
            p + "The first operand must be distinct from the remaining operands for this operator "
                "or function; operator: contains, first operand: [ProductReviews, OneStar]");
  EXPECT_EQ(Check("Price BETWEEN :t AND Price"),
            p + "Incorrect operand type for operator or function; operator or function: BETWEEN, "
                "operand type: BOOL");
  EXPECT_EQ(Check(":t BETWEEN :p AND :hi"),
            p + "Incorrect operand type for operator or function; operator or function: BETWEEN, "
                "operand type: BOOL");
  EXPECT_EQ(Check("Price BETWEEN :bin AND :p"),
            p + "The BETWEEN operator requires same data type for lower and upper bounds; lower "
                "bound operand: AttributeValue: {B:java.nio.HeapByteBuffer[pos=0 lim=1 cap=1]}, "
                "upper bound operand: AttributeValue: {N:500}");
  EXPECT_EQ(Check("a[2147483647] = :p"), "false");
  EXPECT_EQ(Check("a[2147483648] = :p"),
            p + "List index is not within the allowable range; index: [2147483648]");
  EXPECT_EQ(Check("a[99999999999999999999999] = :p"),
            p + "List index is not within the allowable range; index: [99999999999999999999999]");
  std::string deep = "a";
  for (int i = 0; i < 32; i++) deep += ".b";
  EXPECT_EQ(Check(deep + " = :p"),
            p + "The document path has too many nesting levels; nesting levels: 33");
}

TEST(DynamoCondition, Limits) {
  const std::string p = "error: Invalid ConditionExpression: ";
  std::string big = "Price = :p" + std::string(4100, ' ');
  EXPECT_EQ(Check(big),
            p + "Expression size has exceeded the maximum allowed size; expression size: 4110");
  std::string many = "Price = :p";
  for (int i = 0; i < 150; i++) many += " AND Price = :p";
  EXPECT_EQ(Check(many), p + "The expression contains too many operators; operator count: 301");
  std::string in = "Price IN (:p";
  for (int i = 0; i < 100; i++) in += ",:p";
  EXPECT_EQ(Check(in + ")"),
            p + "The IN operator is provided with too many operands; number of operands: 101");
  std::string in100 = "Price IN (:p";
  for (int i = 0; i < 99; i++) in100 += ",:p";
  EXPECT_EQ(Check(in100 + ")"), "true");
  // 40 nested levels of parentheses are fine (DynamoDB Local too); 2000 are refused quickly.
  std::string nested = "Price = :p";
  for (int i = 0; i < 40; i++) nested = "(" + nested + ") AND InStock = :t";
  EXPECT_EQ(Check(nested), "true");
  std::string hostile = std::string(2000, '(') + "Price = :p" + std::string(2000, ')');
  EXPECT_EQ(Check(hostile).substr(0, p.size()), p);
  std::string nots;
  for (int i = 0; i < 1000; i++) nots += "NOT ";
  EXPECT_EQ(Check(nots + "Price = :p").substr(0, p.size()), p);
}

TEST(DynamoExpressionAttributes, Errors) {
  auto error = [](std::string_view names, std::string_view values) {
    boost::json::value n = names.empty() ? boost::json::value() : Json(names);
    boost::json::value v = values.empty() ? boost::json::value() : Json(values);
    auto a = ExpressionAttributes::FromJson(&n, &v);
    return a.ok() ? std::string("ok") : a.status().message();
  };
  EXPECT_EQ(error("{}", ""), "ExpressionAttributeNames must not be empty");
  EXPECT_EQ(error("", "{}"), "ExpressionAttributeValues must not be empty");
  EXPECT_EQ(error(R"({"n": "x"})", ""),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"n\"");
  EXPECT_EQ(error(R"({"#n": ""})", ""),
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key #n");
  EXPECT_EQ(error("", R"({"v": {"N": "1"}})"),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"");
  EXPECT_EQ(error("", R"({":v": {}})"),
            "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, "
            "must contain exactly one of the supported datatypes for key :v");
  EXPECT_EQ(error(R"({"#a": "a"})", R"({":v": {"N": "1"}})"), "ok");
}

TEST(DynamoExpressionAttributes, UnusedNamesAndValues) {
  ExpressionAttributes attrs =
      Attrs(R"({"#a": "a", "#b": "b"})", R"({":v": {"N": "1"}, ":w": {"N": "2"}})");
  ASSERT_TRUE(Condition::Parse("#a = :v", ExpressionKind::kCondition, &attrs).ok());
  EXPECT_EQ(attrs.CheckAllUsed().message(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}");
  // A later expression of the same request may use them.
  ASSERT_TRUE(Projection::Parse("#b", &attrs).ok());
  EXPECT_EQ(attrs.CheckAllUsed().message(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}");
  ASSERT_TRUE(Condition::Parse("a = :w", ExpressionKind::kFilter, &attrs).ok());
  EXPECT_TRUE(attrs.CheckAllUsed().ok());
}

TEST(DynamoExpression, ReservedWords) {
  EXPECT_TRUE(IsReservedWord("status"));
  EXPECT_TRUE(IsReservedWord("ABORT"));
  EXPECT_TRUE(IsReservedWord("Zone"));
  EXPECT_TRUE(IsReservedWord("name"));
  EXPECT_FALSE(IsReservedWord("Price"));
  EXPECT_FALSE(IsReservedWord("statuses"));
  EXPECT_FALSE(IsReservedWord(""));
}

// ---- updates ----

std::string Updated(std::string_view expression, std::string_view item_json,
                    std::string_view values = R"({":v": {"N": "1"}})",
                    std::string_view names = "") {
  ExpressionAttributes attrs = Attrs(names, values);
  auto u = Update::Parse(expression, &attrs);
  if (!u.ok()) return "error: " + u.status().message();
  auto out = u->Apply(ItemOf(item_json));
  if (!out.ok()) return "apply error: " + out.status().message();
  return Dump(*out);
}

TEST(DynamoUpdate, Set) {
  EXPECT_EQ(Updated("SET a = :v", "{}"), R"({"a":{"N":"1"}})");
  EXPECT_EQ(Updated("set a = :v, b = a", R"({"a": {"S": "x"}})"),
            R"({"a":{"N":"1"},"b":{"S":"x"}})");  // right sides see the old item
  EXPECT_EQ(Updated("SET n = n + :v", R"({"n": {"N": "0.1"}})", R"({":v": {"N": "0.2"}})"),
            R"({"n":{"N":"0.3"}})");
  EXPECT_EQ(Updated("SET n = :v - n", R"({"n": {"N": "5"}})"), R"({"n":{"N":"-4"}})");
  EXPECT_EQ(Updated("SET n = if_not_exists(n, :v) + :v", "{}"), R"({"n":{"N":"2"}})");
  EXPECT_EQ(Updated("SET n = if_not_exists(n, :v) + :v", R"({"n": {"N": "10"}})"),
            R"({"n":{"N":"11"}})");
  EXPECT_EQ(Updated("SET l = list_append(l, :l)", R"({"l": {"L": [{"N": "1"}]}})",
                    R"({":l": {"L": [{"N": "2"}]}})"),
            R"({"l":{"L":[{"N":"1"},{"N":"2"}]}})");
  EXPECT_EQ(Updated("SET l = list_append(:l, l)", R"({"l": {"L": [{"N": "1"}]}})",
                    R"({":l": {"L": [{"N": "2"}]}})"),
            R"({"l":{"L":[{"N":"2"},{"N":"1"}]}})");
  EXPECT_EQ(Updated("SET l = list_append(if_not_exists(l, :e), :l)", "{}",
                    R"({":l": {"L": [{"N": "2"}]}, ":e": {"L": []}})"),
            R"({"l":{"L":[{"N":"2"}]}})");
  // Nested paths and list indexes; an index past the end appends.
  EXPECT_EQ(Updated("SET m.a[1].c = :v", R"({"m": {"M": {"a": {"L": [{"N": "0"}, {"M": {}}]}}}})"),
            R"({"m":{"M":{"a":{"L":[{"N":"0"},{"M":{"c":{"N":"1"}}}]}}}})");
  EXPECT_EQ(Updated("SET l[5] = :v", R"({"l": {"L": [{"N": "0"}]}})"),
            R"({"l":{"L":[{"N":"0"},{"N":"1"}]}})");
  EXPECT_EQ(Updated("SET l[0] = :v", R"({"l": {"L": [{"N": "0"}]}})"),
            R"({"l":{"L":[{"N":"1"}]}})");
  EXPECT_EQ(Updated("SET #n = :v", "{}", R"({":v": {"N": "1"}})", R"({"#n": "a.b"})"),
            R"({"a.b":{"N":"1"}})");
  EXPECT_EQ(Updated("SET a = (:v)", "{}"), R"({"a":{"N":"1"}})");
}

TEST(DynamoUpdate, RemoveAddDelete) {
  EXPECT_EQ(Updated("REMOVE a, b.c, l[0], l[2]",
                    R"({"a": {"N": "1"}, "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}}},
                        "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}})"),
            R"({"b":{"M":{"d":{"N":"2"}}},"l":{"L":[{"N":"1"},{"N":"3"}]}})");
  EXPECT_EQ(Updated("REMOVE nope, l[9]", R"({"l": {"L": []}})"), R"({"l":{"L":[]}})");
  // SET writes first, then REMOVE takes the old indexes out (DynamoDB Local: [9, 2]).
  EXPECT_EQ(
      Updated("SET l[1] = :v REMOVE l[0]", R"({"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}})",
              R"({":v": {"N": "9"}})"),
      R"({"l":{"L":[{"N":"9"},{"N":"2"}]}})");
  EXPECT_EQ(Updated("ADD n :v", "{}"), R"({"n":{"N":"1"}})");
  EXPECT_EQ(Updated("ADD n :v", R"({"n": {"N": "-1"}})"), R"({"n":{"N":"0"}})");
  EXPECT_EQ(Updated("ADD s :s", R"({"s": {"SS": ["a", "c"]}})", R"({":s": {"SS": ["b", "c"]}})"),
            R"({"s":{"SS":["a","b","c"]}})");
  EXPECT_EQ(Updated("ADD s :s", "{}", R"({":s": {"NS": ["2", "10"]}})"),
            R"({"s":{"NS":["2","10"]}})");
  EXPECT_EQ(Updated("DELETE s :s", R"({"s": {"SS": ["a", "c"]}})", R"({":s": {"SS": ["c", "z"]}})"),
            R"({"s":{"SS":["a"]}})");
  EXPECT_EQ(Updated("DELETE s :s", R"({"s": {"NS": ["1", "2"]}})", R"({":s": {"NS": ["1", "2"]}})"),
            "{}");  // an emptied set disappears
  EXPECT_EQ(Updated("DELETE s :s", "{}", R"({":s": {"NS": ["1"]}})"), "{}");
  EXPECT_EQ(Updated("SET a = :v REMOVE b ADD c :v DELETE d :s",
                    R"({"b": {"N": "1"}, "d": {"SS": ["x", "y"]}})",
                    R"({":v": {"N": "1"}, ":s": {"SS": ["x"]}})"),
            R"({"a":{"N":"1"},"c":{"N":"1"},"d":{"SS":["y"]}})");
}

TEST(DynamoUpdate, ParseErrors) {
  const std::string p = "error: Invalid UpdateExpression: ";
  EXPECT_EQ(Updated("SET a = :v, a = :v", "{}"),
            p + "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a], path two: [a]");
  EXPECT_EQ(Updated("SET a = :v, a.b = :v", "{}"),
            p + "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(Updated("REMOVE a.b, a[1]", "{}", ""),
            p + "Two document paths conflict with each other; must remove or rewrite one of these "
                "paths; path one: [a, b], path two: [a, [1]]");
  EXPECT_EQ(Updated("ADD n :v, n :v", "{}"),
            p + "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [n], path two: [n]");
  EXPECT_EQ(Updated("SET a = :v REMOVE b SET c = :v", "{}"),
            p + "The \"SET\" section can only be used once in an update expression;");
  EXPECT_EQ(Updated("SET a = :v + :v + :v", "{}"),
            p + "Syntax error; token: \"+\", near: \":v + :v\"");
  EXPECT_EQ(Updated("SET a = :v,", "{}"), p + "Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(Updated("ADD d a", "{}", ""), p + "Syntax error; token: \"a\", near: \"d a\"");
  EXPECT_EQ(Updated("", "{}", ""), p + "The expression can not be empty;");
  EXPECT_EQ(Updated("SET a = size(l)", "{}", ""),
            p + "The function is not allowed in an update expression; function: size");
  EXPECT_EQ(Updated("SET a = list_append(l)", "{}", ""),
            p + "Incorrect number of operands for operator or function; operator or function: "
                "list_append, number of operands: 1");
  EXPECT_EQ(Updated("SET a = list_append(:v, l)", "{}"),
            p + "Incorrect operand type for operator or function; operator or function: "
                "list_append, operand type: N");
  EXPECT_EQ(Updated("SET a = if_not_exists(:v, l)", "{}"),
            p + "Operator or function requires a document path; operator or function: "
                "if_not_exists");
  EXPECT_EQ(Updated("ADD x :s", "{}", R"({":s": {"S": "1"}})"),
            p + "Incorrect operand type for operator or function; operator: ADD, operand type: "
                "STRING, typeSet: ALLOWED_FOR_ADD_OPERAND");
  EXPECT_EQ(Updated("DELETE x :v", "{}"),
            p + "Incorrect operand type for operator or function; operator: DELETE, operand type: "
                "NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND");
  EXPECT_EQ(Updated("SET l = :s - :s", "{}", R"({":s": {"S": "x"}})"),
            p + "Incorrect operand type for operator or function; operator or function: -, "
                "operand type: S");
  EXPECT_EQ(Updated("SET ss = ss - :s", "{}", R"({":s": {"SS": ["a"]}})"),
            p + "Incorrect operand type for operator or function; operator or function: -, "
                "operand type: SS");
  EXPECT_EQ(Updated("SET a = :v WHERE", "{}"),
            p + "Syntax error; token: \"WHERE\", near: \":v WHERE\"");
}

TEST(DynamoUpdate, ApplyErrors) {
  const std::string p = "apply error: ";
  EXPECT_EQ(Updated("SET s = s + :v", R"({"s": {"S": "x"}})"),
            p + "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Updated("SET a = q + :v", "{}"),
            p + "The provided expression refers to an attribute that does not exist in the item");
  EXPECT_EQ(Updated("ADD s :v", R"({"s": {"S": "x"}})"),
            p + "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Updated("ADD ss :s", R"({"ss": {"SS": ["a"]}})", R"({":s": {"NS": ["1"]}})"),
            p + "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Updated("DELETE ss :s", R"({"ss": {"SS": ["a"]}})", R"({":s": {"NS": ["1"]}})"),
            p + "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Updated("ADD a.b :v", "{}"),
            p + "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(Updated("SET s.x = :v", R"({"s": {"S": "x"}})"),
            p + "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(Updated("SET a[0] = :v", "{}"),
            p + "The document path provided in the update expression is invalid for update");
  // A path into nothing is refused for every action, REMOVE too, and before any operand is
  // evaluated (DynamoDB Local, through the server's differential test).
  EXPECT_EQ(Updated("REMOVE a.b", "{}"),
            p + "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(Updated("REMOVE l[0].v", R"({"l": {"L": [{"N": "1"}]}})"),
            p + "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(Updated("DELETE m.s :s", "{}", R"({":s": {"SS": ["a"]}})"),
            p + "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(Updated("SET m.y = m", "{}"),
            p + "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(Updated("REMOVE m.y", R"({"m": {"M": {}}})"), R"({"m":{"M":{}}})");
  EXPECT_EQ(Updated("SET n = n + :v", R"({"n": {"N": "5"}})",
                    R"({":v": {"N": "99999999999999999999999999999999999999E+88"}})"),
            p + "DynamoDB only supports precision up to 38 digits");
  EXPECT_EQ(Updated("SET n = n + :v", R"({"n": {"N": "9E+125"}})", R"({":v": {"N": "1E+125"}})"),
            p + std::string(kNumberOverflow));
  EXPECT_EQ(Updated("SET l = list_append(l, m)", R"({"l": {"L": []}, "m": {"M": {}}})"),
            p + "An operand in the update expression has an incorrect data type");
}

TEST(DynamoUpdate, KeysAndTargets) {
  ExpressionAttributes attrs = Attrs("", R"({":v": {"N": "1"}})");
  auto u = Update::Parse("SET a.b = :v REMOVE k", &attrs);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Targets().size(), 2u);
  EXPECT_EQ(PathToString(u->Targets()[0]), "[a, b]");
  EXPECT_EQ(u->CheckKeyNotUpdated({"k"}).message(),
            "One or more parameter values were invalid: Cannot update attribute k. This attribute "
            "is part of the key");
  EXPECT_TRUE(u->CheckKeyNotUpdated({"id"}).ok());
}

TEST(DynamoUpdate, NestingStaysBounded) {
  // :d holds 31 levels of lists, as deep as an attribute may be; one level down is too deep.
  std::string deep = R"({"S": "x"})";
  for (int i = 0; i < 31; i++) deep = R"({"L": [)" + deep + "]}";
  EXPECT_EQ(Updated("SET m.a = :d", R"({"m": {"M": {}}})", R"({":d": )" + deep + "}"),
            "apply error: " + std::string(kNestingTooDeep));
}

// ---- projections ----

std::string Projected(std::string_view expression, std::string_view names = "") {
  ExpressionAttributes attrs = Attrs(names, "");
  auto p = Projection::Parse(expression, &attrs);
  if (!p.ok()) return "error: " + p.status().message();
  return Dump(p->Apply(ItemOf(kProduct)));
}

TEST(DynamoProjection, Paths) {
  EXPECT_EQ(Projected("Price, Title"), R"({"Price":{"N":"500"},"Title":{"S":"Bicycle 123"}})");
  EXPECT_EQ(
      Projected("Pictures.SideView, Nope"),
      R"({"Pictures":{"M":{"SideView":{"S":"http://example.com/products/123_left_side.jpg"}}}})");
  EXPECT_EQ(
      Projected("#pr.FiveStar[1], #pr.FiveStar[0], #pr.OneStar[7]", R"({"#pr": "ProductReviews"})"),
      R"({"ProductReviews":{"M":{"FiveStar":{"L":[{"S":"Excellent!"},{"S":"Love it!"}]}}}})");
  EXPECT_EQ(Projected("Tags[1]"), R"({"Tags":{"L":[{"N":"2"}]}})");
  EXPECT_EQ(Projected("Price.x, Tags.x"), "{}");
  const std::string p = "error: Invalid ProjectionExpression: ";
  EXPECT_EQ(Projected("a, a"), p + "Two document paths overlap with each other; must remove or "
                                   "rewrite one of these paths; path one: [a], path two: [a]");
  EXPECT_EQ(Projected("a[0], a[1]"), "{}");
  EXPECT_EQ(Projected("#x"), p + "An expression attribute name used in the document path is not "
                                 "defined; attribute name: #x");
  EXPECT_EQ(Projected("a[-1]"), p + "Syntax error; token: \"-\", near: \"[-1\"");
  EXPECT_EQ(Projected("a,"), p + "Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(Projected("a b"), p + "Syntax error; token: \"b\", near: \"a b\"");
}

// ---- key conditions ----

std::string Key(std::string_view expression, std::string_view values, bool range = true) {
  KeySchema schema;
  schema.hash_name = "pk";
  schema.hash_type = Type::kS;
  if (range) {
    schema.range_name = "sk";
    schema.range_type = Type::kN;
  }
  ExpressionAttributes attrs = Attrs("", values);
  auto k = KeyCondition::Parse(expression, schema, &attrs);
  if (!k.ok()) return "error: " + k.status().message();
  return k->hash.text + " op" + std::to_string(static_cast<int>(k->op)) + " " + k->low.text + " " +
         k->high.text;
}

TEST(DynamoKeyCondition, Shapes) {
  const char* v = R"({":h": {"S": "user1"}, ":a": {"N": "1"}, ":b": {"N": "9"}, ":s": {"S": "x"}})";
  EXPECT_EQ(Key("pk = :h", v), "user1 op0  ");
  EXPECT_EQ(Key("pk = :h AND sk = :a", v), "user1 op1 1 ");
  EXPECT_EQ(Key("sk < :a AND pk = :h", v), "user1 op2 1 ");
  EXPECT_EQ(Key("pk = :h AND sk <= :a", v), "user1 op3 1 ");
  EXPECT_EQ(Key("pk = :h AND sk > :a", v), "user1 op4 1 ");
  EXPECT_EQ(Key("pk = :h AND sk >= :a", v), "user1 op5 1 ");
  EXPECT_EQ(Key("pk = :h AND sk BETWEEN :a AND :b", v), "user1 op6 1 9");
  EXPECT_EQ(Key("(pk = :h) AND (sk BETWEEN :a AND :b)", v), "user1 op6 1 9");
  EXPECT_EQ(Key("pk = :h", R"({":h": {"S": "u"}})", false), "u op0  ");
}

TEST(DynamoKeyCondition, Errors) {
  const char* v = R"({":h": {"S": "user1"}, ":a": {"N": "1"}, ":s": {"S": "x"}})";
  EXPECT_EQ(Key("sk = :a", v), "error: Query condition missed key schema element: pk");
  EXPECT_EQ(Key("pk = :h OR sk = :a", v),
            "error: Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(Key("pk = :h AND NOT sk = :a", v),
            "error: Invalid operator used in KeyConditionExpression: NOT");
  EXPECT_EQ(Key("pk = :h AND sk <> :a", v),
            "error: Invalid operator used in KeyConditionExpression: <>");
  EXPECT_EQ(Key("pk = :h AND sk IN (:a)", v),
            "error: Invalid operator used in KeyConditionExpression: IN");
  EXPECT_EQ(Key("pk = :h AND attribute_exists(sk)", v),
            "error: Invalid operator used in KeyConditionExpression: attribute_exists");
  EXPECT_EQ(
      Key("pk = :h AND begins_with(sk, :a)", v),
      "error: Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
      "operator or function: begins_with, operand type: N");
  EXPECT_EQ(Key("pk = :h AND sk = :s", v),
            "error: One or more parameter values were invalid: Condition parameter type does not "
            "match schema type");
  EXPECT_EQ(Key("pk = :h AND pk = :h", v),
            "error: KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(Key("pk = :h AND sk > :a AND sk < :a", v),
            "error: KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(Key("pk < :h", v), "error: Query key condition not supported");
  EXPECT_EQ(Key("pk = :h AND attr1 = :a", v),
            "error: Query condition missed key schema element: sk");
  EXPECT_EQ(Key("pk = :h AND sk.x = :a", v),
            "error: Key attributes must be scalars; list random access '[]' and map lookup '.' are "
            "not allowed: Key: sk");
  EXPECT_EQ(Key("pk = :a", v),
            "error: One or more parameter values were invalid: Condition parameter type does not "
            "match schema type");
  EXPECT_EQ(Key("pk = = :h", v),
            "error: Invalid KeyConditionExpression: Syntax error; token: \"=\", near: \"= = :h\"");
}

TEST(DynamoKeyCondition, Matches) {
  KeySchema schema{"pk", Type::kS, std::string("sk"), Type::kS};
  ExpressionAttributes attrs = Attrs("", R"({":h": {"S": "u"}, ":p": {"S": "ab"}})");
  auto k = KeyCondition::Parse("pk = :h AND begins_with(sk, :p)", schema, &attrs);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_TRUE(k->Matches(Value::S("abc")));
  EXPECT_TRUE(k->Matches(Value::S("ab")));
  EXPECT_FALSE(k->Matches(Value::S("a")));
  EXPECT_FALSE(k->Matches(Value::S("b")));
}

}  // namespace
}  // namespace cloudlite::dynamo
