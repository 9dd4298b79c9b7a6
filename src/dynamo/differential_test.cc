// Differential test of the expression layer against DynamoDB Local: the same condition, on the
// same item, sent to DynamoDB Local as an UpdateItem's ConditionExpression and evaluated here;
// the outcomes (true, false, or the ValidationException's message) must be equal. Runs when
// scripts/dynamodb-start.sh's environment is set (CLOUDLITE_TEST_DYNAMODB_URI and
// AWS_ENDPOINT_URL_DYNAMODB), else skips. The random cases come from a seeded generator, so a
// failure names a reproducible case.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "dynamo/expression.h"
#include "dynamo/json.h"
#include "net/http_client.h"

namespace cloudlite::dynamo {
namespace {

// Each test has its own table: ctest runs the tests of this file at once on one DynamoDB Local.
constexpr const char* kTablePrefix = "cloudlite-dynamo-differential-";

const char* kItem = R"({"k": {"S": "item"}, "n": {"N": "5"}, "s": {"S": "abc"},
  "b": {"B": "AAE="}, "t": {"BOOL": true}, "z": {"NULL": true}, "ss": {"SS": ["a", "b"]},
  "ns": {"NS": ["1", "2"]}, "l": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"q": {"N": "0"}}}]},
  "m": {"M": {"a": {"M": {"b": {"N": "3"}}}, "c": {"S": ""}}}})";

const char* kValues = R"({":n": {"N": "5"}, ":one": {"N": "1"}, ":big": {"N": "1E+100"},
  ":s": {"S": "ab"}, ":abc": {"S": "abc"}, ":b": {"B": "AA=="}, ":t": {"BOOL": true},
  ":l": {"L": [{"N": "1"}]}, ":x": {"S": "x"}, ":a": {"S": "a"}, ":S": {"S": "S"},
  ":NS": {"S": "NS"}, ":M": {"S": "M"}, ":three": {"N": "3"}})";

class Differential : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* uri = std::getenv("CLOUDLITE_TEST_DYNAMODB_URI");
    const char* endpoint = std::getenv("AWS_ENDPOINT_URL_DYNAMODB");
    if (uri == nullptr || endpoint == nullptr) {
      GTEST_SKIP() << "set the environment of scripts/dynamodb-start.sh to run";
    }
    endpoint_ = endpoint;
    table_ =
        kTablePrefix + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    boost::json::object create;
    create["TableName"] = table_;
    create["AttributeDefinitions"] =
        boost::json::parse(R"([{"AttributeName":"k","AttributeType":"S"}])");
    create["KeySchema"] = boost::json::parse(R"([{"AttributeName":"k","KeyType":"HASH"}])");
    create["BillingMode"] = "PAY_PER_REQUEST";
    auto created = Call("CreateTable", boost::json::serialize(create));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(created->status == 200 ||
                created->body.find("ResourceInUseException") != std::string::npos)
        << created->body;
    std::string put = std::string(R"({"TableName":")") + table_ + R"(","Item":)" + kItem + "}";
    auto stored = Call("PutItem", put);
    ASSERT_TRUE(stored.ok() && stored->status == 200) << (stored.ok() ? stored->body : "");
  }

  Result<HttpResponse> Call(std::string_view op, const std::string& body) {
    HttpRequest r;
    r.method = "POST";
    r.url = endpoint_ + "/";
    r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "DynamoDB_20120810." + std::string(op)},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=cloudlitelocal/20240101/us-east-1/dynamodb/"
                  "aws4_request, SignedHeaders=host, Signature=00"}};
    r.body = body;
    return client_.Send(r);
  }

  // The values of kValues that `condition` names (so none is unused), and :zz.
  static boost::json::object ValuesFor(const std::string& condition) {
    boost::json::object out;
    const boost::json::value all = boost::json::parse(kValues);
    for (const auto& [key, value] : all.as_object()) {
      std::string k(key);
      for (size_t at = condition.find(k); at != std::string::npos; at = condition.find(k, at + 1)) {
        size_t end = at + k.size();
        if (end == condition.size() || !std::isalnum(static_cast<unsigned char>(condition[end]))) {
          out[key] = value;
          break;
        }
      }
    }
    out[":zz"] = boost::json::parse(R"({"S": "z"})");
    return out;
  }

  // DynamoDB Local's outcome: "true", "false" or "error: <message>".
  std::string Remote(const std::string& condition) {
    boost::json::object req;
    req["TableName"] = table_;
    req["Key"] = boost::json::parse(R"({"k": {"S": "item"}})");
    req["UpdateExpression"] = "SET zz = :zz";
    req["ConditionExpression"] = condition;
    req["ExpressionAttributeValues"] = ValuesFor(condition);
    auto r = Call("UpdateItem", boost::json::serialize(req));
    if (!r.ok()) return "transport: " + r.status().ToString();
    if (r->status == 200) return "true";
    boost::system::error_code ec;
    auto body = boost::json::parse(r->body, ec);
    if (ec || !body.is_object()) return "bad body: " + r->body;
    std::string type(body.as_object()["__type"].as_string());
    std::string message(body.as_object()["Message"].as_string());
    if (type.ends_with("ConditionalCheckFailedException")) return "false";
    return "error: " + message;
  }

  // Ours, the same way: the request's other expression uses :zz.
  std::string Local(const std::string& condition) {
    boost::json::value values = ValuesFor(condition);
    auto attrs = ExpressionAttributes::FromJson(nullptr, &values);
    if (!attrs.ok()) return "error: " + attrs.status().message();
    auto c = Condition::Parse(condition, ExpressionKind::kCondition, &*attrs);
    if (!c.ok()) return "error: " + c.status().message();
    auto u = Update::Parse("SET zz = :zz", &*attrs);
    if (!u.ok()) return "error: " + u.status().message();
    Status used = attrs->CheckAllUsed();
    if (!used.ok()) return "error: " + used.message();
    auto item = ItemFromJson(boost::json::parse(kItem));
    if (!item.ok()) return "bad item";
    return c->Evaluate(&*item) ? "true" : "false";
  }

  std::string endpoint_;
  std::string table_;
  HttpClient client_;
};

// Conditions that DynamoDB Local and we must agree on, in outcome and message.
const char* kCases[] = {
    "n = :n",
    "n <> :n",
    "n < :big",
    "n > :one AND s >= :s",
    "n BETWEEN :one AND :n",
    "n BETWEEN :n AND :one",
    "n BETWEEN :one AND :s",
    "s IN (:s, :abc)",
    "s IN (:s)",
    "NOT n = :n",
    "NOT NOT n = :n",
    "(n = :n)",
    "((n = :n))",
    "((n = :n) AND s = :abc)",
    "(n) = :n",
    "n = (:n)",
    "nope = :n",
    "nope <> :n",
    "size(nope) <> :n",
    "nope IN (:n)",
    "attribute_exists(n)",
    "attribute_not_exists(n)",
    "attribute_exists(m.a.b)",
    "attribute_exists(l[2].q)",
    "attribute_exists(l[3])",
    "attribute_type(ss, :S)",
    "attribute_type(m, :M)",
    "attribute_type(ns, :NS)",
    "begins_with(s, :s)",
    "begins_with(s, :x)",
    "begins_with(b, :b)",
    "contains(ss, :a)",
    "contains(s, :s)",
    "contains(l, :one)",
    "contains(l, :x)",
    "size(s) = :three",
    "size(l) = :three",
    "size(m) = :one",
    "size(ss) > :one",
    "n = = :n",
    "n < :n < :n",
    "n = :n AND",
    "a.b[x] = :n",
    "n IN ()",
    "n = :n!",
    "_a = :n",
    "1a = :n",
    "n + :n = :n",
    "AND = :n",
    "n = :n AND :n",
    "n",
    "",
    "status = :n",
    "m.status = :n",
    "n = :undefined",
    "#undefined = :n",
    "foo(n)",
    "SIZE(n) = :n",
    "begins_with(s, :one)",
    "n < :t",
    "n < :l",
    "attribute_type(n, :s)",
    "attribute_type(n, :one)",
    "size(n)",
    "attribute_exists(n) = :t",
    "attribute_exists(:n)",
    "if_not_exists(n, :n) = :n",
    "contains(n)",
    "contains(n, :n, :n)",
    "l[2147483647] = :n",
    "l[2147483648] = :n",
    "n = :n and s = :abc",
    "n = :one OR s = :abc AND t = :t",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff.gg = :n"};

TEST_F(Differential, FixedConditions) {
  for (const char* c : kCases) EXPECT_EQ(Local(c), Remote(c)) << "condition: " << c;
}

// Random conditions from a small grammar over the item's attributes (seeded: a failure prints
// the condition, which reproduces it).
TEST_F(Differential, RandomConditions) {
  std::mt19937 rng(20260101);
  const std::vector<std::string> operands = {
      "n",       "s",  "b",    "t",  "l[0]", "l[2].q", "m.a.b", "nope", "size(s)",
      "size(l)", ":n", ":one", ":s", ":abc", ":b",     ":t",    ":l",   ":three"};
  const std::vector<std::string> comparators = {"=", "<>", "<", "<=", ">", ">="};
  auto operand = [&] { return operands[rng() % operands.size()]; };
  std::function<std::string(int)> condition = [&](int depth) -> std::string {
    switch (rng() % (depth > 2 ? 5 : 8)) {
      case 0:
        return operand() + " " + comparators[rng() % comparators.size()] + " " + operand();
      case 1:
        return operand() + " BETWEEN " + operand() + " AND " + operand();
      case 2:
        return operand() + " IN (" + operand() + ", " + operand() + ")";
      case 3:
        return "attribute_exists(" + operands[rng() % 8] + ")";
      case 4:
        return "contains(" + operand() + ", " + operand() + ")";
      case 5:
        return condition(depth + 1) + " AND " + condition(depth + 1);
      case 6:
        return condition(depth + 1) + " OR " + condition(depth + 1);
      default:
        return "NOT (" + condition(depth + 1) + ")";
    }
  };
  for (int i = 0; i < 1000; i++) {
    std::string c = condition(0);
    EXPECT_EQ(Local(c), Remote(c)) << "case " << i << ": " << c;
  }
}

}  // namespace
}  // namespace cloudlite::dynamo
