// TableService on a file:// store: every operation of the control and data plane, DeleteTable
// then CreateTable of one name, two services over one store writing one item with conditions,
// group commit, paging of Query and Scan, and Scan segments.
#include "server/dynamodb/tables.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloudlite/admin.h"
#include "server/dynamodb/handler.h"
#include "server/http/metrics.h"
#include "testing/temp_dir.h"

namespace cloudlite::server::dynamodb {
namespace {
namespace json = boost::json;

json::object Parse(std::string_view text) { return json::parse(text).as_object(); }

// The answer of a call that must succeed.
json::object Ok(TableService& s, std::string_view op, const json::object& request,
                const CallContext& context = {}) {
  OperationResult r = s.Run(op, request, context);
  if (auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << op << " failed: " << e->type << ": " << e->message;
    return {};
  }
  return Parse(std::get<ResponseBody>(r).text);
}
json::object Ok(TableService& s, std::string_view op, std::string_view request) {
  return Ok(s, op, Parse(request));
}

// The error of a call that must fail.
ApiError Fail(TableService& s, std::string_view op, std::string_view request) {
  OperationResult r = s.Run(op, Parse(request), {});
  if (auto* e = std::get_if<ApiError>(&r)) return *e;
  ADD_FAILURE() << op << " succeeded: " << std::get<ResponseBody>(r).text;
  return {};
}

// Bounded polling for a state another thread reaches (no timing threshold: it only bounds a hang).
template <typename F>
bool Eventually(F&& f) {
  for (int i = 0; i < 20000; i++) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Holds a service's next write group before it begins (TableServiceOptions::before_group): once
// armed, the next group stops there until Release; WaitHeld returns when one does.
class GroupGate {
 public:
  std::function<void(size_t)> Hook() {
    return [this](size_t) {
      std::unique_lock lock(mu_);
      if (!armed_) return;
      armed_ = false;
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    };
  }
  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  void WaitHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, held_ = false, released_ = false;
};

class TableServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("dynamodb-tables"); }
  void TearDown() override { test::RemoveTree(dir_); }

  TableServiceOptions Options() {
    TableServiceOptions o;
    o.store = "file://" + dir_;
    o.metrics = &metrics_;
    return o;
  }
  std::unique_ptr<TableService> Service(TableServiceOptions o) {
    auto s = TableService::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::unique_ptr<TableService> Service() { return Service(Options()); }

  static void CreateHashRange(TableService& s, std::string_view name) {
    Ok(s, "CreateTable",
       json::object{
           {"TableName", name},
           {"KeySchema", json::parse(R"([{"AttributeName":"pk","KeyType":"HASH"},
                                                 {"AttributeName":"sk","KeyType":"RANGE"}])")},
           {"AttributeDefinitions", json::parse(R"([{"AttributeName":"pk","AttributeType":"S"},
                                                            {"AttributeName":"sk","AttributeType":"N"}])")},
           {"BillingMode", "PAY_PER_REQUEST"}});
  }
  static void CreateHash(TableService& s, std::string_view name) {
    Ok(s, "CreateTable",
       json::object{
           {"TableName", name},
           {"KeySchema", json::parse(R"([{"AttributeName":"pk","KeyType":"HASH"}])")},
           {"AttributeDefinitions", json::parse(R"([{"AttributeName":"pk","AttributeType":"S"}])")},
           {"ProvisionedThroughput",
            json::parse(R"({"ReadCapacityUnits":5,"WriteCapacityUnits":7})")}});
  }

  std::string dir_;
  MetricsRegistry metrics_;
};

TEST_F(TableServiceTest, CreateDescribeListDelete) {
  auto s = Service();
  CreateHashRange(*s, "orders");
  json::object t = Ok(*s, "DescribeTable", R"({"TableName":"orders"})")["Table"].as_object();
  EXPECT_EQ(t["TableName"], "orders");
  EXPECT_EQ(t["TableStatus"], "ACTIVE");
  EXPECT_EQ(t["TableArn"], "arn:aws:dynamodb:us-east-1:000000000000:table/orders");
  EXPECT_EQ(t["ItemCount"], 0);
  EXPECT_EQ(t["TableSizeBytes"], 0);
  EXPECT_GT(t["CreationDateTime"].as_double(), 1.6e9);
  EXPECT_EQ(t["KeySchema"].as_array().size(), 2u);
  EXPECT_EQ(t["BillingModeSummary"].as_object()["BillingMode"], "PAY_PER_REQUEST");
  EXPECT_EQ(t["AttributeDefinitions"].as_array()[1].as_object()["AttributeType"], "N");

  CreateHash(*s, "audit");
  json::object a = Ok(*s, "DescribeTable", R"({"TableName":"audit"})")["Table"].as_object();
  EXPECT_EQ(a["ProvisionedThroughput"].as_object()["ReadCapacityUnits"], 5);
  EXPECT_EQ(a["ProvisionedThroughput"].as_object()["WriteCapacityUnits"], 7);
  EXPECT_FALSE(a.contains("BillingModeSummary"));  // as DynamoDB Local answers

  ApiError e = Fail(*s, "CreateTable",
                    R"({"TableName":"orders","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"})");
  EXPECT_EQ(e.type, "ResourceInUseException");

  for (std::string name : {"tb3", "tb1", "tb2"}) CreateHash(*s, name);
  // Pages of 2 over audit, orders, t1, t2, t3.
  std::vector<std::string> seen;
  std::string start;
  for (int page = 0; page < 10; page++) {
    json::object req{{"Limit", 2}};
    if (!start.empty()) req["ExclusiveStartTableName"] = start;
    json::object r = Ok(*s, "ListTables", req);
    for (const auto& n : r["TableNames"].as_array()) seen.emplace_back(n.as_string());
    if (!r.contains("LastEvaluatedTableName")) break;
    start = r["LastEvaluatedTableName"].as_string();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"audit", "orders", "tb1", "tb2", "tb3"}));

  json::object d = Ok(*s, "DeleteTable", R"({"TableName":"tb2"})")["TableDescription"].as_object();
  EXPECT_EQ(d["TableStatus"], "DELETING");
  EXPECT_EQ(Fail(*s, "DescribeTable", R"({"TableName":"tb2"})").type, "ResourceNotFoundException");
  EXPECT_EQ(Fail(*s, "DeleteTable", R"({"TableName":"tb2"})").type, "ResourceNotFoundException");
  EXPECT_EQ(Ok(*s, "ListTables", "{}")["TableNames"].as_array().size(), 4u);
}

TEST_F(TableServiceTest, CreateTableRefusesBadSchemasWithDynamoDbMessages) {
  auto s = Service();
  ApiError e = Fail(*s, "CreateTable", R"({"TableName":"t","AttributeDefinitions":[]})");
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message,
            "2 validation errors detected: Value 't' at 'tableName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3; Value null at 'keySchema' failed "
            "to satisfy constraint: Member must not be null");
  e = Fail(*s, "CreateTable",
           R"({"TableName":"tab","KeySchema":[{"AttributeName":"pk","KeyType":"HASHY"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"})");
  EXPECT_EQ(e.message,
            "1 validation error detected: Value 'HASHY' at 'keySchema.1.member.keyType' failed to "
            "satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]");
  e = Fail(*s, "CreateTable",
           R"({"TableName":"tab","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"})");
  EXPECT_EQ(e.message,
            "One or more parameter values were invalid: Some index key attributes are not defined "
            "in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [id]");
  e = Fail(*s, "CreateTable",
           R"({"TableName":"tab","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"x","AttributeType":"N"}],
      "BillingMode":"PAY_PER_REQUEST"})");
  EXPECT_EQ(e.message,
            "One or more parameter values were invalid: Number of attributes in KeySchema does not "
            "exactly match number of attributes defined in AttributeDefinitions");
  e = Fail(*s, "CreateTable",
           R"({"TableName":"tab","KeySchema":[{"AttributeName":"sk","KeyType":"RANGE"}],
      "AttributeDefinitions":[{"AttributeName":"sk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"})");
  EXPECT_EQ(e.message, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  e = Fail(*s, "CreateTable",
           R"({"TableName":"tab","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]})");
  EXPECT_EQ(e.message,
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
            "must both be specified when BillingMode is PROVISIONED");
  e = Fail(*s, "CreateTable",
           R"({"TableName":"tab","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST",
      "ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}})");
  EXPECT_EQ(e.message,
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
            "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
  e = Fail(*s, "CreateTable", R"({"TableName":1})");
  EXPECT_EQ(e.type, "SerializationException");
  EXPECT_EQ(Ok(*s, "ListTables", "{}")["TableNames"].as_array().size(), 0u);
}

TEST_F(TableServiceTest, UpdateTableTagsLimitsEndpointsAndUnknownOperations) {
  auto s = Service();
  CreateHash(*s, "tags");
  json::object u = Ok(*s, "UpdateTable", R"({"TableName":"tags","BillingMode":"PAY_PER_REQUEST"})");
  EXPECT_EQ(u["TableDescription"].as_object()["BillingModeSummary"].as_object()["BillingMode"],
            "PAY_PER_REQUEST");
  json::object t = Ok(*s, "DescribeTable", R"({"TableName":"tags"})")["Table"].as_object();
  EXPECT_EQ(t["BillingModeSummary"].as_object()["BillingMode"], "PAY_PER_REQUEST");
  EXPECT_EQ(t["ProvisionedThroughput"].as_object()["ReadCapacityUnits"], 0);
  EXPECT_EQ(Fail(*s, "UpdateTable", R"({"TableName":"tags"})").type, "ValidationException");
  EXPECT_EQ(Fail(*s, "UpdateTable", R"({"TableName":"nope","BillingMode":"PAY_PER_REQUEST"})").type,
            "ResourceNotFoundException");

  const std::string arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tags";
  Ok(*s, "TagResource",
     json::object{{"ResourceArn", arn},
                  {"Tags", json::parse(R"([{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}])")}});
  Ok(*s, "UntagResource", json::object{{"ResourceArn", arn}, {"TagKeys", json::array{"a"}}});
  json::object tags = Ok(*s, "ListTagsOfResource", json::object{{"ResourceArn", arn}});
  EXPECT_EQ(json::serialize(tags["Tags"]), R"([{"Key":"b","Value":"2"}])");
  EXPECT_EQ(Fail(*s, "ListTagsOfResource",
                 R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/none"})")
                .type,
            "ResourceNotFoundException");
  EXPECT_EQ(Fail(*s, "ListTagsOfResource", R"({"ResourceArn":"nonsense"})").type,
            "ValidationException");

  EXPECT_EQ(Ok(*s, "DescribeLimits", "{}")["TableMaxWriteCapacityUnits"], 40000);
  EXPECT_EQ(Ok(*s, "DescribeEndpoints", "{}")["Endpoints"].as_array()[0].as_object()["Address"],
            "dynamodb.us-east-1.amazonaws.com");
  EXPECT_EQ(Fail(*s, "FrobnicateTable", "{}").type, "UnknownOperationException");
}

TEST_F(TableServiceTest, ItemOperationsWithConditionsAndReturnValues) {
  auto s = Service();
  CreateHashRange(*s, "items");
  Ok(*s, "PutItem",
     R"({"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"x"}}})");
  json::object g =
      Ok(*s, "GetItem",
         R"({"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConsistentRead":true,
                          "ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(json::serialize(g["Item"]), R"({"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"x"}})");
  EXPECT_EQ(g["ConsumedCapacity"].as_object()["CapacityUnits"], 1.0);
  json::object absent = Ok(*s, "GetItem",
                           R"({"TableName":"items","Key":{"pk":{"S":"none"},"sk":{"N":"1"}},
                               "ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(absent.size(), 1u);  // no Item, and the capacity alone
  EXPECT_EQ(absent["ConsumedCapacity"].as_object()["CapacityUnits"], 0.5);

  json::object u = Ok(*s, "UpdateItem",
                      R"({"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},
                          "UpdateExpression":"SET n = :one ADD c :one","ExpressionAttributeValues":{":one":{"N":"1"}},
                          "ReturnValues":"ALL_NEW"})");
  EXPECT_EQ(json::serialize(u["Attributes"]),
            R"({"c":{"N":"1"},"n":{"N":"1"},"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"x"}})");

  ApiError e = Fail(*s, "PutItem",
                    R"j({"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},
                        "ConditionExpression":"attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure":"ALL_OLD"})j");
  EXPECT_EQ(e.type, "ConditionalCheckFailedException");
  EXPECT_EQ(e.message, "The conditional request failed");
  EXPECT_EQ(json::serialize(e.members["Item"]),
            R"({"c":{"N":"1"},"n":{"N":"1"},"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"x"}})");

  json::object d =
      Ok(*s, "DeleteItem",
         R"({"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnValues":"ALL_OLD"})");
  EXPECT_EQ(d["Attributes"].as_object()["v"].as_object()["S"], "x");
  g = Ok(*s, "GetItem",
         R"({"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConsistentRead":true})");
  EXPECT_FALSE(g.contains("Item"));

  EXPECT_EQ(Fail(*s, "GetItem", R"({"TableName":"items","Key":{"pk":{"S":"a"}}})").type,
            "ValidationException");
  EXPECT_EQ(Fail(*s, "PutItem", R"({"TableName":"absent","Item":{"pk":{"S":"a"}}})").type,
            "ResourceNotFoundException");

  // DescribeTable counts items and sums their sizes over the partitions.
  for (int i = 0; i < 10; i++) {
    Ok(*s, "PutItem",
       json::object{
           {"TableName", "items"},
           {"Item", json::object{{"pk", {{"S", "k" + std::to_string(i)}}}, {"sk", {{"N", "1"}}}}}});
  }
  json::object t = Ok(*s, "DescribeTable", R"({"TableName":"items"})")["Table"].as_object();
  EXPECT_EQ(t["ItemCount"], 10);
  EXPECT_EQ(t["TableSizeBytes"], 10 * (2 + 2 + 2 + 2));  // "pk" + "kN", "sk" + 1 as N (2 bytes)
}

TEST_F(TableServiceTest, DeleteThenCreateShowsNothingOldEvenToAnotherService) {
  auto a = Service();
  auto b = Service();
  CreateHash(*a, "cycle");
  Ok(*a, "PutItem", R"({"TableName":"cycle","Item":{"pk":{"S":"old"},"v":{"N":"1"}}})");
  // b knows the old table (its cache holds it).
  EXPECT_TRUE(
      Ok(*b, "GetItem", R"({"TableName":"cycle","Key":{"pk":{"S":"old"}},"ConsistentRead":true})")
          .contains("Item"));
  Ok(*a, "DeleteTable", R"({"TableName":"cycle"})");
  CreateHash(*a, "cycle");
  for (TableService* s : {a.get(), b.get()}) {
    EXPECT_FALSE(
        Ok(*s, "GetItem", R"({"TableName":"cycle","Key":{"pk":{"S":"old"}},"ConsistentRead":true})")
            .contains("Item"));
    EXPECT_EQ(Ok(*s, "Scan", R"({"TableName":"cycle","ConsistentRead":true})")["Count"], 0);
  }
  // A write through b lands in the new table, where a sees it.
  Ok(*b, "PutItem", R"({"TableName":"cycle","Item":{"pk":{"S":"new"}}})");
  EXPECT_EQ(Ok(*a, "Scan", R"({"TableName":"cycle","ConsistentRead":true})")["Count"], 1);
  EXPECT_EQ(Ok(*a, "DescribeTable", R"({"TableName":"cycle"})")["Table"].as_object()["ItemCount"],
            1);
}

TEST_F(TableServiceTest, AStaleServiceNeverCreatesAPartitionOfADeletedTable) {
  auto a = Service();
  auto b = Service();
  CreateHash(*a, "ghost");
  // b knows the table but has written nothing: no partition exists.
  EXPECT_FALSE(
      Ok(*b, "GetItem", R"({"TableName":"ghost","Key":{"pk":{"S":"x"}}})").contains("Item"));
  Ok(*a, "DeleteTable", R"({"TableName":"ghost"})");
  CreateHash(*a, "ghost");
  const std::string new_id(Ok(*a, "DescribeTable", R"({"TableName":"ghost"})")["Table"]
                               .as_object()["TableId"]
                               .as_string());
  Ok(*b, "PutItem", R"({"TableName":"ghost","Item":{"pk":{"S":"x"}}})");
  EXPECT_EQ(Ok(*a, "Scan", R"({"TableName":"ghost","ConsistentRead":true})")["Count"], 1);
  auto names = ListDatabases("file://" + dir_);
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    if (name != kCatalogName) {
      EXPECT_EQ(name.rfind("t." + new_id + ".", 0), 0u) << name;
    }
  }
}

TEST_F(TableServiceTest, BatchesOnAStaleTableRunOnTheNewOne) {
  auto a = Service();
  auto b = Service();
  CreateHash(*a, "renewed");
  Ok(*a, "PutItem", R"({"TableName":"renewed","Item":{"pk":{"S":"old"}}})");
  // b's cache holds the old table.
  Ok(*b, "GetItem", R"({"TableName":"renewed","Key":{"pk":{"S":"old"}}})");
  Ok(*a, "DeleteTable", R"({"TableName":"renewed"})");
  CreateHash(*a, "renewed");
  Ok(*b, "BatchWriteItem",
     R"({"RequestItems":{"renewed":[{"PutRequest":{"Item":{"pk":{"S":"new"}}}}]}})");
  json::object got = Ok(*b, "BatchGetItem",
                        R"({"RequestItems":{"renewed":{"Keys":[{"pk":{"S":"new"}},
                            {"pk":{"S":"old"}}],"ConsistentRead":true}}})");
  EXPECT_EQ(got["Responses"].as_object()["renewed"].as_array().size(), 1u) << got;
  EXPECT_EQ(Ok(*a, "Scan", R"({"TableName":"renewed","ConsistentRead":true})")["Count"], 1);
  // The transactions re-run on the new table too.
  Ok(*a, "DeleteTable", R"({"TableName":"renewed"})");
  CreateHash(*a, "renewed");
  Ok(*b, "TransactWriteItems",
     R"({"TransactItems":[{"Put":{"TableName":"renewed","Item":{"pk":{"S":"tx"}}}}]})");
  got = Ok(*b, "TransactGetItems",
           R"({"TransactItems":[{"Get":{"TableName":"renewed","Key":{"pk":{"S":"tx"}}}}]})");
  EXPECT_EQ(json::serialize(got["Responses"]), R"([{"Item":{"pk":{"S":"tx"}}}])");
  EXPECT_EQ(Ok(*a, "Scan", R"({"TableName":"renewed","ConsistentRead":true})")["Count"], 1);
}

TEST_F(TableServiceTest, TransactWriteItemsIsAllOrNothingInOnePartition) {
  TableServiceOptions o = Options();
  o.partitions = 1;  // every item of the table in one partition database
  auto s = Service(o);
  CreateHash(*s, "txn");
  Ok(*s, "PutItem", R"({"TableName":"txn","Item":{"pk":{"S":"a"},"n":{"N":"1"}}})");
  const std::string transfer = R"j({"TransactItems":[
      {"Update":{"TableName":"txn","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET n = n - :one",
                 "ConditionExpression":"n >= :one","ExpressionAttributeValues":{":one":{"N":"1"}}}},
      {"Update":{"TableName":"txn","Key":{"pk":{"S":"b"}},
                 "UpdateExpression":"SET n = if_not_exists(n, :zero) + :one",
                 "ExpressionAttributeValues":{":one":{"N":"1"},":zero":{"N":"0"}}}},
      {"ConditionCheck":{"TableName":"txn","Key":{"pk":{"S":"c"}},
                         "ConditionExpression":"attribute_not_exists(pk)"}}]})j";
  Ok(*s, "TransactWriteItems", transfer);
  // The second transfer finds a at 0: nothing of it is written, the reasons in order.
  ApiError e = Fail(*s, "TransactWriteItems", transfer);
  EXPECT_EQ(e.type, "TransactionCanceledException");
  EXPECT_EQ(e.message,
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[ConditionalCheckFailed, None, None]");
  EXPECT_EQ(json::serialize(e.members["CancellationReasons"]),
            R"([{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"},)"
            R"({"Code":"None"},{"Code":"None"}])");
  json::object got = Ok(*s, "TransactGetItems", R"({"TransactItems":[
      {"Get":{"TableName":"txn","Key":{"pk":{"S":"a"}}}},
      {"Get":{"TableName":"txn","Key":{"pk":{"S":"b"}},"ProjectionExpression":"n"}},
      {"Get":{"TableName":"txn","Key":{"pk":{"S":"c"}}}}]})");
  EXPECT_EQ(json::serialize(got["Responses"]),
            R"([{"Item":{"n":{"N":"0"},"pk":{"S":"a"}}},{"Item":{"n":{"N":"1"}}},{}])");
  EXPECT_EQ(Fail(*s, "TransactWriteItems", R"({"TransactItems":[
      {"Delete":{"TableName":"txn","Key":{"pk":{"S":"a"}}}},
      {"Put":{"TableName":"txn","Item":{"pk":{"S":"a"}}}}]})")
                .message,
            "Transaction request cannot include multiple operations on one item");
}

TEST_F(TableServiceTest, ARequestTokenMakesATransactionRunOnceAcrossServices) {
  auto a = Service();
  auto b = Service();
  CreateHash(*a, "tok");
  const std::string inc = R"({"ClientRequestToken":"t-1","TransactItems":[
      {"Update":{"TableName":"tok","Key":{"pk":{"S":"k"}},"UpdateExpression":"ADD n :one",
                 "ExpressionAttributeValues":{":one":{"N":"1"}}}}]})";
  Ok(*a, "TransactWriteItems", inc);
  Ok(*b, "TransactWriteItems", inc);  // a client's retry through another server
  EXPECT_EQ(json::serialize(
                Ok(*a, "GetItem",
                   R"({"TableName":"tok","Key":{"pk":{"S":"k"}},"ConsistentRead":true})")["Item"]),
            R"({"n":{"N":"1"},"pk":{"S":"k"}})");
  EXPECT_EQ(Fail(*b, "TransactWriteItems", R"({"ClientRequestToken":"t-1","TransactItems":[
      {"Update":{"TableName":"tok","Key":{"pk":{"S":"k"}},"UpdateExpression":"ADD n :one",
                 "ExpressionAttributeValues":{":one":{"N":"2"}}}}]})")
                .type,
            "IdempotentParameterMismatchException");
}

// A TransactWriteItems over the nine items k0..k8: nine keys over eight partitions, so always
// more than one partition. Each item's n goes up by `add`, if each is below `below`.
std::string NineItemTransaction(int add, int below) {
  std::string actions;
  for (int k = 0; k < 9; k++) {
    actions += std::string(k ? "," : "") + R"({"Update":{"TableName":"split","Key":{"pk":{"S":"k)" +
               std::to_string(k) +
               R"("}},"UpdateExpression":"SET n = if_not_exists(n, :zero) + :add",
               "ConditionExpression":"attribute_not_exists(n) OR n < :below",
               "ExpressionAttributeValues":{":zero":{"N":"0"},":add":{"N":")" +
               std::to_string(add) + R"("},":below":{"N":")" + std::to_string(below) + R"("}}}})";
  }
  return R"({"TransactItems":[)" + actions + "]}";
}

// n of item k0..k8 of table "split" (-1: no item), strongly consistent.
std::vector<int> NineItems(TableService& s) {
  std::vector<int> out;
  for (int k = 0; k < 9; k++) {
    json::object g = Ok(s, "GetItem",
                        R"({"TableName":"split","ConsistentRead":true,"Key":{"pk":{"S":"k)" +
                            std::to_string(k) + R"("}}})");
    out.push_back(g.contains("Item") ? std::stoi(std::string(
                                           g["Item"].as_object()["n"].as_object()["N"].as_string()))
                                     : -1);
  }
  return out;
}

// Rows left in the partitions' intents and in the decisions of the store at `dir`.
int LeftOver(const std::string& dir, const std::string& table_id) {
  Options existing;
  existing.create_if_missing = false;
  // The rows of `table` in database `name`, 0 when there is no such database.
  auto count = [&](const std::string& name, const std::string& table) {
    int64_t n = 0;
    auto db = Database::Open(DatabaseUri("file://" + dir, name), existing);
    if (!db.ok()) return n;
    EXPECT_TRUE((*db)
                    ->View([&](Connection& c) {
                      CL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT count(*) FROM " + table));
                      n = std::get<int64_t>(r.rows[0][0]);
                      return Status::Ok();
                    })
                    .ok());
    return n;
  };
  int64_t rows = count(std::string(kDecisionsName), "decisions");
  for (int p = 0; p < 8; p++) rows += count(PartitionName(table_id, p), "intents");
  return static_cast<int>(rows);
}

TEST_F(TableServiceTest, ATransactionAcrossPartitionsIsAllOrNothing) {
  auto s = Service();  // 8 partitions
  CreateHash(*s, "split");
  Ok(*s, "TransactWriteItems", NineItemTransaction(1, 5));
  EXPECT_EQ(NineItems(*s), std::vector<int>(9, 1));
  Ok(*s, "PutItem", R"({"TableName":"split","Item":{"pk":{"S":"k4"},"n":{"N":"7"}}})");
  // k4 is at 7, not below 5: nothing of the transaction is written, and every reason is there.
  ApiError e = Fail(*s, "TransactWriteItems", NineItemTransaction(1, 5));
  EXPECT_EQ(e.type, "TransactionCanceledException");
  EXPECT_EQ(e.message,
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, None, None, None, ConditionalCheckFailed, None, None, None, None]");
  std::vector<int> expected(9, 1);
  expected[4] = 7;
  EXPECT_EQ(NineItems(*s), expected);
  auto table = Catalog::Open("file://" + dir_, {});
  ASSERT_TRUE(table.ok());
  Result<TableEntry> entry = (*table)->ReadLatest("split");
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(LeftOver(dir_, entry->id), 0);  // no intent, no decision row left behind
}

TEST_F(TableServiceTest, TransfersAcrossPartitionsFromTwoServicesLoseNothing) {
  auto a = Service();
  auto b = Service();
  CreateHash(*a, "split");
  for (int k = 0; k < 9; k++) {
    Ok(*a, "PutItem",
       R"({"TableName":"split","Item":{"pk":{"S":"k)" + std::to_string(k) +
           R"("},"n":{"N":"100"}}})");
  }
  constexpr int kThreads = 2, kTransfers = 12;
  std::mutex mu;
  std::vector<int> expected(9, 100);  // changed by every acknowledged transfer
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (TableService* s : {a.get(), b.get()}) {
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, s, t] {
        unsigned seed = static_cast<unsigned>(t * 7919 + (s == a.get() ? 1 : 2));
        for (int i = 0; i < kTransfers; i++) {
          const int from = static_cast<int>(rand_r(&seed) % 9);
          const int to = (from + 1 + static_cast<int>(rand_r(&seed) % 8)) % 9;
          const std::string move = R"({"TransactItems":[
              {"Update":{"TableName":"split","Key":{"pk":{"S":"k)" +
                                   std::to_string(from) +
                                   R"("}},"UpdateExpression":"SET n = n - :one",
                         "ConditionExpression":"n >= :one","ExpressionAttributeValues":{":one":{"N":"1"}}}},
              {"Update":{"TableName":"split","Key":{"pk":{"S":"k)" +
                                   std::to_string(to) +
                                   R"("}},"UpdateExpression":"SET n = n + :one",
                         "ExpressionAttributeValues":{":one":{"N":"1"}}}}]})";
          bool done = false;
          for (int attempt = 0; attempt < 500 && !done; attempt++) {
            OperationResult r = s->Run("TransactWriteItems", Parse(move), {});
            if (std::holds_alternative<ResponseBody>(r)) {
              std::lock_guard lock(mu);
              expected[from]--;
              expected[to]++;
              done = true;
            } else if (std::get<ApiError>(r).type != "TransactionCanceledException" &&
                       std::get<ApiError>(r).type != "TransactionConflictException") {
              ADD_FAILURE() << std::get<ApiError>(r).type << ": " << std::get<ApiError>(r).message;
              failures++;
              return;
            } else {
              std::this_thread::sleep_for(std::chrono::milliseconds(attempt % 8));
            }
          }
          if (!done) failures++;
        }
      });
    }
  }
  // Meanwhile every TransactGetItems of all nine sees the total: never half a transfer.
  int whole_reads = 0;
  std::thread reader([&] {
    std::string gets;
    for (int k = 0; k < 9; k++) {
      gets += std::string(k ? "," : "") + R"({"Get":{"TableName":"split","Key":{"pk":{"S":"k)" +
              std::to_string(k) + R"("}}}})";
    }
    while (writing) {
      OperationResult r =
          b->Run("TransactGetItems", Parse(R"({"TransactItems":[)" + gets + "]}"), {});
      if (auto* e = std::get_if<ApiError>(&r)) {
        if (e->type != "TransactionCanceledException") {
          ADD_FAILURE() << e->type << ": " << e->message;
          failures++;
        }
        continue;
      }
      int total = 0;
      const json::object answer = Parse(std::get<ResponseBody>(r).text);
      for (const json::value& one : answer.at("Responses").as_array()) {
        total += std::stoi(std::string(
            one.as_object().at("Item").as_object().at("n").as_object().at("N").as_string()));
      }
      EXPECT_EQ(total, 900);
      whole_reads++;
    }
  });
  for (auto& t : threads) t.join();
  writing = false;
  reader.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(whole_reads, 0);
  EXPECT_EQ(NineItems(*a), expected);
  EXPECT_EQ(NineItems(*b), expected);
}

TEST_F(TableServiceTest, ACoordinatorStoppedAfterItsCommitPointIsFinishedByOthers) {
  TableServiceOptions o = Options();
  o.transaction_stage = [](std::string_view stage) {
    return stage == "decided" ? Status::Unavailable("stopped here, as by a crash") : Status::Ok();
  };
  auto crashing = Service(o);
  auto other = Service();
  CreateHash(*other, "split");
  EXPECT_EQ(
      std::get<ApiError>(crashing->Run("TransactWriteItems", Parse(NineItemTransaction(3, 5)), {}))
          .type,
      "ServiceUnavailable");
  // Committed: another service's reads apply the intents they meet and see all of it.
  EXPECT_EQ(NineItems(*other), std::vector<int>(9, 3));
  // And writes build on it.
  Ok(*other, "TransactWriteItems", NineItemTransaction(1, 5));
  EXPECT_EQ(NineItems(*other), std::vector<int>(9, 4));
}

TEST_F(TableServiceTest, ACoordinatorStoppedBeforeItsCommitPointIsAbortedOnceAbandoned) {
  TableServiceOptions o = Options();
  o.transaction_stage = [](std::string_view stage) {
    return stage == "prepared" ? Status::Unavailable("stopped here, as by a crash") : Status::Ok();
  };
  auto crashing = Service(o);
  auto patient = Service();  // waits 10 s before it calls a transaction abandoned
  TableServiceOptions quick = Options();
  quick.abandoned_transaction = std::chrono::milliseconds(0);
  auto impatient = Service(quick);
  CreateHash(*patient, "split");
  EXPECT_EQ(
      std::get<ApiError>(crashing->Run("TransactWriteItems", Parse(NineItemTransaction(3, 5)), {}))
          .type,
      "ServiceUnavailable");
  // In flight as far as `patient` knows: its items are held.
  EXPECT_EQ(Fail(*patient, "PutItem", R"({"TableName":"split","Item":{"pk":{"S":"k0"}}})").type,
            "TransactionConflictException");
  // `impatient` aborts it: none of it was written, and the items are free again.
  EXPECT_EQ(NineItems(*impatient), std::vector<int>(9, -1));
  Ok(*patient, "TransactWriteItems", NineItemTransaction(1, 5));
  EXPECT_EQ(NineItems(*patient), std::vector<int>(9, 1));
}

TEST_F(TableServiceTest, AnInterruptedDeletionIsFinishedByTheNextOpen) {
  {
    auto s = Service();
    CreateHash(*s, "halfgone");
    Ok(*s, "PutItem", R"({"TableName":"halfgone","Item":{"pk":{"S":"x"}}})");
  }
  {
    // A crash after the DELETING commit: the row is DELETING, the partitions are still there.
    auto catalog = Catalog::Open("file://" + dir_, {});
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE((*catalog)->MarkDeleting("halfgone").ok());
  }
  auto s = Service();
  EXPECT_EQ(Ok(*s, "ListTables", "{}")["TableNames"].as_array().size(), 0u);
  CreateHash(*s, "halfgone");
  EXPECT_EQ(Ok(*s, "Scan", R"({"TableName":"halfgone","ConsistentRead":true})")["Count"], 0);
}

TEST_F(TableServiceTest, TwoServicesCompareAndSetOneItemWithoutLosingAnUpdate) {
  auto a = Service();
  auto b = Service();
  CreateHash(*a, "counter");
  Ok(*a, "PutItem",
     R"({"TableName":"counter","Item":{"pk":{"S":"c"},"n":{"N":"0"},"adds":{"N":"0"}}})");
  constexpr int kThreads = 3, kIncrements = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (TableService* s : {a.get(), b.get()}) {
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, s] {
        for (int i = 0; i < kIncrements; i++) {
          // Compare and set: read n, write n + 1 only if n is still what was read.
          bool done = false;
          for (int attempt = 0; attempt < 1000 && !done; attempt++) {
            json::object g =
                Ok(*s, "GetItem",
                   R"({"TableName":"counter","Key":{"pk":{"S":"c"}},"ConsistentRead":true})");
            std::string n(g["Item"].as_object()["n"].as_object()["N"].as_string());
            json::object u{{"TableName", "counter"},
                           {"Key", json::parse(R"({"pk":{"S":"c"}})")},
                           {"UpdateExpression", "SET n = :new ADD adds :one"},
                           {"ConditionExpression", "n = :old"},
                           {"ExpressionAttributeValues",
                            json::object{{":old", {{"N", n}}},
                                         {":new", {{"N", std::to_string(std::stoi(n) + 1)}}},
                                         {":one", {{"N", "1"}}}}}};
            OperationResult r = s->Run("UpdateItem", u, {});
            if (std::holds_alternative<ResponseBody>(r)) {
              done = true;
            } else if (std::get<ApiError>(r).type != "ConditionalCheckFailedException" &&
                       std::get<ApiError>(r).type != "TransactionConflictException") {
              ADD_FAILURE() << std::get<ApiError>(r).message;
              failures++;
              return;
            }
          }
          if (!done) failures++;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  json::object g =
      Ok(*b, "GetItem", R"({"TableName":"counter","Key":{"pk":{"S":"c"}},"ConsistentRead":true})");
  const json::string total(std::to_string(2 * kThreads * kIncrements));
  EXPECT_EQ(g["Item"].as_object()["n"].as_object()["N"], total);
  EXPECT_EQ(g["Item"].as_object()["adds"].as_object()["N"], total);
}

TEST_F(TableServiceTest, WritesQueuedBehindARunningGroupShareOneCommit) {
  GroupGate gate;
  TableServiceOptions o = Options();
  o.partitions = 1;  // every item in one partition
  o.before_group = gate.Hook();
  auto s = Service(o);
  CreateHash(*s, "group");
  Ok(*s, "PutItem",
     R"({"TableName":"group","Item":{"pk":{"S":"warm"}}})");  // creates the partition
  const Partitions::Stats before = s->write_stats();
  constexpr int kOthers = 15;
  gate.Arm();
  std::vector<std::thread> threads;
  threads.emplace_back(
      [&] { Ok(*s, "PutItem", R"({"TableName":"group","Item":{"pk":{"S":"first"}}})"); });
  gate.WaitHeld();
  for (int i = 0; i < kOthers; i++) {
    threads.emplace_back([&, i] {
      // Half of them fail their condition: rolled back alone, the group still commits.
      json::object req{{"TableName", "group"},
                       {"Item", json::object{{"pk", {{"S", "k" + std::to_string(i)}}}}}};
      if (i % 2) {
        req["ConditionExpression"] = "attribute_exists(pk)";
        EXPECT_EQ(std::get<ApiError>(s->Run("PutItem", req, {})).type,
                  "ConditionalCheckFailedException");
      } else {
        Ok(*s, "PutItem", req);
      }
    });
  }
  EXPECT_TRUE(Eventually([&] { return s->writes_waiting() == kOthers; }));
  gate.Release();
  for (auto& t : threads) t.join();
  const Partitions::Stats after = s->write_stats();
  EXPECT_EQ(after.writes - before.writes, kOthers + 1u);
  EXPECT_EQ(after.commits - before.commits, 2u);  // the held write's, then one for the rest
  EXPECT_EQ(metrics_.GetCounter("cloudlite_dynamodb_commits_total", "")->value(),
            static_cast<double>(after.commits));
  EXPECT_EQ(Ok(*s, "Scan", R"({"TableName":"group","ConsistentRead":true})")["Count"],
            2 + (kOthers + 1) / 2);
}

// Every page of `request` until LastEvaluatedKey is absent: the items' "pk"/"sk" as text.
// Each request's context from `context` when given.
std::vector<std::string> AllPages(TableService& s, std::string_view op, json::object request,
                                  int* pages = nullptr,
                                  const std::function<CallContext()>& context = {}) {
  std::vector<std::string> out;
  for (int page = 0; page < 1000; page++) {
    json::object r = Ok(s, op, request, context ? context() : CallContext{});
    for (const auto& item : r["Items"].as_array()) {
      const json::object& o = item.as_object();
      std::string key(o.at("pk").as_object().at("S").as_string());
      if (o.contains("sk")) key += "/" + std::string(o.at("sk").as_object().at("N").as_string());
      out.push_back(key);
    }
    if (pages) *pages = page + 1;
    if (!r.contains("LastEvaluatedKey")) break;
    request["ExclusiveStartKey"] = r["LastEvaluatedKey"];
  }
  return out;
}

TEST_F(TableServiceTest, QueryPagesInKeyOrderBothWays) {
  auto s = Service();
  CreateHashRange(*s, "qry");
  json::array puts;
  for (int i = 0; i < 20; i++) {
    Ok(*s, "PutItem",
       json::object{{"TableName", "qry"},
                    {"Item", json::object{{"pk", {{"S", "p"}}},
                                          {"sk", {{"N", std::to_string(i * 5 - 40)}}}}}});
  }
  Ok(*s, "PutItem", R"({"TableName":"qry","Item":{"pk":{"S":"other"},"sk":{"N":"0"}}})");
  json::object req = Parse(R"({"TableName":"qry","KeyConditionExpression":"pk = :p",
                               "ExpressionAttributeValues":{":p":{"S":"p"}},"Limit":6,"ConsistentRead":true})");
  int pages = 0;
  std::vector<std::string> got = AllPages(*s, "Query", req, &pages);
  std::vector<std::string> want;
  for (int i = 0; i < 20; i++) want.push_back("p/" + std::to_string(i * 5 - 40));
  EXPECT_EQ(got, want);
  EXPECT_EQ(pages, 4);
  req["ScanIndexForward"] = false;
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(AllPages(*s, "Query", req), want);

  json::object between =
      Parse(R"({"TableName":"qry","KeyConditionExpression":"pk = :p AND sk BETWEEN :lo AND :hi",
      "ExpressionAttributeValues":{":p":{"S":"p"},":lo":{"N":"-7"},":hi":{"N":"10"}},"Select":"COUNT"})");
  EXPECT_EQ(Ok(*s, "Query", between)["Count"], 4);  // -5, 0, 5, 10
}

TEST_F(TableServiceTest, ScanPagesAndSegmentsCoverEveryItemOnce) {
  auto s = Service();
  CreateHash(*s, "scan");
  std::multiset<std::string> want;
  json::array writes;
  for (int i = 0; i < 60; i++) {
    std::string pk = "item" + std::to_string(i);
    want.insert(pk);
    writes.push_back(
        json::object{{"PutRequest", json::object{{"Item", json::object{{"pk", {{"S", pk}}}}}}}});
    if (writes.size() == 25 || i == 59) {
      json::object r =
          Ok(*s, "BatchWriteItem", json::object{{"RequestItems", json::object{{"scan", writes}}}});
      EXPECT_TRUE(r["UnprocessedItems"].as_object().empty());
      writes.clear();
    }
  }
  auto as_set = [](const std::vector<std::string>& v) {
    return std::multiset<std::string>(v.begin(), v.end());
  };
  EXPECT_EQ(as_set(AllPages(*s, "Scan", Parse(R"({"TableName":"scan","Limit":7})"))), want);
  for (int total : {1, 3, 8, 20}) {
    std::vector<std::string> all;
    for (int seg = 0; seg < total; seg++) {
      json::object req{
          {"TableName", "scan"}, {"Limit", 4}, {"Segment", seg}, {"TotalSegments", total}};
      for (auto& k : AllPages(*s, "Scan", req)) all.push_back(k);
    }
    EXPECT_EQ(as_set(all), want) << total << " segments";
  }

  // BatchWriteItem deletes, and Scan answers its consumed capacity.
  json::array deletes;
  for (int i = 0; i < 5; i++) {
    deletes.push_back(json::object{
        {"DeleteRequest",
         json::object{{"Key", json::object{{"pk", {{"S", "item" + std::to_string(i)}}}}}}}});
  }
  json::object del = Ok(*s, "BatchWriteItem",
                        json::object{{"RequestItems", json::object{{"scan", deletes}}},
                                     {"ReturnConsumedCapacity", "TOTAL"}});
  EXPECT_TRUE(del["UnprocessedItems"].as_object().empty());
  EXPECT_EQ(del["ConsumedCapacity"].as_array()[0].as_object()["CapacityUnits"], 5.0);
  json::object counted =
      Ok(*s, "Scan", R"({"TableName":"scan","Select":"COUNT","ConsistentRead":true,
                                             "ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(counted["Count"], 55);
  EXPECT_EQ(counted["ScannedCount"], 55);
  EXPECT_EQ(counted["ConsumedCapacity"].as_object()["CapacityUnits"], 1.0);  // < 4 KB read

  // BatchGetItem of a few of them, one absent.
  json::object bg =
      Ok(*s, "BatchGetItem", R"({"RequestItems":{"scan":{"Keys":[{"pk":{"S":"item11"}},
      {"pk":{"S":"item59"}},{"pk":{"S":"none"}}],"ConsistentRead":true}}})");
  EXPECT_EQ(bg["Responses"].as_object()["scan"].as_array().size(), 2u);
  EXPECT_TRUE(bg["UnprocessedKeys"].as_object().empty());
  EXPECT_EQ(
      Fail(*s, "BatchGetItem", R"({"RequestItems":{"none":{"Keys":[{"pk":{"S":"a"}}]}}})").type,
      "ResourceNotFoundException");
}

TEST_F(TableServiceTest, EventuallyConsistentReadsCostNothingInTheStore) {
  TableServiceOptions o = Options();
  o.eventual_staleness = std::chrono::hours(1);
  auto s = Service(o);
  CreateHash(*s, "stale");
  Ok(*s, "PutItem", R"({"TableName":"stale","Item":{"pk":{"S":"a"},"v":{"N":"1"}}})");
  const std::string get = R"({"TableName":"stale","Key":{"pk":{"S":"a"}}})";
  Ok(*s, "GetItem", get);  // opens the partition's eventual reader
  const std::string before = ProcessStoreStatsJson();
  EXPECT_EQ(Ok(*s, "GetItem", get)["Item"].as_object()["v"].as_object()["N"], "1");
  EXPECT_EQ(ProcessStoreStatsJson(), before);
  // A consistent read asks the store whether it is still at the latest version.
  const std::string consistent =
      R"({"TableName":"stale","Key":{"pk":{"S":"a"}},"ConsistentRead":true})";
  Ok(*s, "GetItem", consistent);
  EXPECT_NE(ProcessStoreStatsJson(), before);
}

TEST_F(TableServiceTest, TheWiresFastPathReadsWhatIsCommittedOnAFileStore) {
  TableServiceOptions o = Options();
  o.eventual_staleness = std::chrono::hours(1);
  auto mine = Service(o);
  auto other = Service(o);
  HandlerOptions h;
  h.inline_budget = std::chrono::seconds(10);  // far more than it takes, even under load
  h.inline_consistent_reads = true;            // file://: a freshness probe is a local system call
  WireHandler wire(*mine, std::move(h));
  auto post = [](std::string_view op, std::string body) {
    Request r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"content-type", "application/x-amz-json-1.0"},
                 {"x-amz-target", "DynamoDB_20120810." + std::string(op)}};
    r.body = std::move(body);
    return r;
  };
  auto value_of = [](const Response& r) {
    json::value v = json::parse(r.body);
    return std::string(v.at("Item").at("v").at("N").as_string());
  };
  CreateHash(*mine, "fast");
  Ok(*mine, "PutItem", R"({"TableName":"fast","Item":{"pk":{"S":"a"},"v":{"N":"1"}}})");
  // An eventually consistent read sees every write this process acknowledged.
  const std::string get = R"({"TableName":"fast","Key":{"pk":{"S":"a"}}})";
  std::optional<Response> read = wire.TryInline(post("GetItem", get));
  ASSERT_TRUE(read);
  EXPECT_EQ(value_of(*read), "1") << read->body;
  // A consistent read sees another process's too.
  Ok(*other, "PutItem", R"({"TableName":"fast","Item":{"pk":{"S":"a"},"v":{"N":"2"}}})");
  read = wire.TryInline(
      post("GetItem", R"({"TableName":"fast","Key":{"pk":{"S":"a"}},"ConsistentRead":true})"));
  ASSERT_TRUE(read);
  EXPECT_EQ(value_of(*read), "2") << read->body;
  // Writes are the workers'.
  EXPECT_FALSE(wire.TryInline(
      post("PutItem", R"({"TableName":"fast","Item":{"pk":{"S":"b"},"v":{"N":"3"}}})")));
  EXPECT_EQ(Ok(*mine, "GetItem", R"({"TableName":"fast","Key":{"pk":{"S":"b"}}})").size(), 0u);
}

TEST_F(TableServiceTest, ManyConcurrentWritersShareCommits) {
  auto s = Service();
  CreateHash(*s, "busy");
  constexpr int kThreads = 16, kWrites = 20;
  Ok(*s, "PutItem", R"({"TableName":"busy","Item":{"pk":{"S":"warm"}}})");
  const Partitions::Stats before = s->write_stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; i++) {
        Ok(*s, "UpdateItem",
           json::object{{"TableName", "busy"},
                        {"Key", json::object{{"pk", {{"S", "k" + std::to_string(t % 4)}}}}},
                        {"UpdateExpression", "ADD n :one"},
                        {"ExpressionAttributeValues", json::object{{":one", {{"N", "1"}}}}}});
      }
    });
  }
  for (auto& t : threads) t.join();
  const Partitions::Stats after = s->write_stats();
  const uint64_t writes = after.writes - before.writes, commits = after.commits - before.commits;
  EXPECT_EQ(writes, uint64_t{kThreads * kWrites});
  EXPECT_LE(commits, writes);
  std::printf("%llu writes in %llu commits\n", static_cast<unsigned long long>(writes),
              static_cast<unsigned long long>(commits));
  // Every ADD counted: 4 items, 4 threads each.
  for (int k = 0; k < 4; k++) {
    json::object g =
        Ok(*s, "GetItem",
           json::object{{"TableName", "busy"},
                        {"Key", json::object{{"pk", {{"S", "k" + std::to_string(k)}}}}},
                        {"ConsistentRead", true}});
    EXPECT_EQ(g["Item"].as_object()["n"].as_object()["N"],
              json::string(std::to_string(4 * kWrites)));
  }
}

// ---- deadlines (deadline.h) --------------------------------------------------------------------

// The time TableServiceOptions::now tells: it moves `tick` ms at every reading, or when told.
struct TestClock {
  const Deadline::Clock::time_point base = Deadline::Clock::now();
  std::atomic<int64_t> ms{0};
  std::atomic<int64_t> tick{0};
  Deadline::Now Now() {
    return [this] { return base + std::chrono::milliseconds(ms.fetch_add(tick)); };
  }
  // A call whose deadline is `after` ms from now, as this clock tells it.
  CallContext In(int64_t after) const {
    return {"", base + std::chrono::milliseconds(ms.load() + after)};
  }
  void Jump() { ms += 3600 * 1000; }
};

std::vector<std::string> KeysOf(const json::value& items) {
  std::vector<std::string> out;
  for (const auto& item : items.as_array()) {
    out.emplace_back(item.as_object().at("pk").as_object().at("S").as_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(TableServiceTest, QueryAndScanStopAtTheDeadlineAndGoOnFromLastEvaluatedKey) {
  TestClock clock;
  TableServiceOptions o = Options();
  o.now = clock.Now();
  auto s = Service(o);
  CreateHashRange(*s, "cut");
  CreateHash(*s, "flat");
  for (int i = 0; i < 30; i++) {
    Ok(*s, "PutItem",
       json::object{
           {"TableName", "cut"},
           {"Item", json::object{{"pk", {{"S", "p"}}}, {"sk", {{"N", std::to_string(i)}}}}}});
  }
  for (int i = 0; i < 40; i++) {
    Ok(*s, "PutItem",
       json::object{{"TableName", "flat"},
                    {"Item", json::object{{"pk", {{"S", "k" + std::to_string(i)}}}}}});
  }
  const json::object query = Parse(R"({"TableName":"cut","KeyConditionExpression":"pk = :p",
      "ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true})");
  const json::object scan = Parse(R"({"TableName":"flat","ConsistentRead":true})");
  int pages = 0;
  const std::vector<std::string> whole_query = AllPages(*s, "Query", query, &pages);
  ASSERT_EQ(whole_query.size(), 30u);
  EXPECT_EQ(pages, 1);
  const std::vector<std::string> whole_scan = AllPages(*s, "Scan", scan, &pages);
  ASSERT_EQ(whole_scan.size(), 40u);
  EXPECT_EQ(pages, 1);

  // Every reading of the clock moves it 1 ms: a request with a deadline 12 ms away ends its page
  // after a few rows, each page with a LastEvaluatedKey the next one goes on from.
  clock.tick = 1;
  auto soon = [&] { return clock.In(12); };
  EXPECT_EQ(AllPages(*s, "Query", query, &pages, soon), whole_query);
  EXPECT_GT(pages, 2);
  EXPECT_EQ(AllPages(*s, "Scan", scan, &pages, soon), whole_scan);
  EXPECT_GT(pages, 2);
  json::object descending = query;
  descending["ScanIndexForward"] = false;
  std::vector<std::string> backwards(whole_query.rbegin(), whole_query.rend());
  EXPECT_EQ(AllPages(*s, "Query", descending, &pages, soon), backwards);
  EXPECT_GT(pages, 2);
}

TEST_F(TableServiceTest, ARequestPastItsDeadlineRunsNothing) {
  auto s = Service();
  CreateHash(*s, "late");
  const CallContext late{"", std::chrono::steady_clock::now() - std::chrono::seconds(1)};
  for (auto [op, request] : std::vector<std::pair<std::string, std::string>>{
           {"PutItem", R"({"TableName":"late","Item":{"pk":{"S":"a"}}})"},
           {"GetItem", R"({"TableName":"late","Key":{"pk":{"S":"a"}}})"},
           {"Scan", R"({"TableName":"late"})"},
           {"BatchWriteItem",
            R"({"RequestItems":{"late":[{"PutRequest":{"Item":{"pk":{"S":"b"}}}}]}})"},
           {"CreateTable", R"({"TableName":"never","KeySchema":[{"AttributeName":"pk",
             "KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk",
             "AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"})"},
           {"DeleteTable", R"({"TableName":"late"})"}}) {
    OperationResult r = s->Run(op, Parse(request), late);
    const ApiError* e = std::get_if<ApiError>(&r);
    ASSERT_NE(e, nullptr) << op;
    // A code every AWS SDK retries.
    EXPECT_EQ(e->type, "RequestTimeoutException") << op;
    EXPECT_EQ(e->http_status, 500) << op;
  }
  EXPECT_EQ(Ok(*s, "Scan", R"({"TableName":"late","ConsistentRead":true})")["Count"], 0);
  EXPECT_EQ(Ok(*s, "ListTables", "{}")["TableNames"], json::array{"late"});
}

TEST_F(TableServiceTest, BatchGetItemAnswersTheKeysNotReadInTimeAsUnprocessed) {
  TestClock clock;
  TableServiceOptions o = Options();
  o.now = clock.Now();
  auto s = Service(o);
  CreateHash(*s, "bget");
  json::array keys;
  std::vector<std::string> all;
  for (int i = 0; i < 10; i++) {
    const std::string pk = "k" + std::to_string(i);
    Ok(*s, "PutItem",
       json::object{{"TableName", "bget"},
                    {"Item", json::object{{"pk", {{"S", pk}}}, {"v", {{"N", "1"}}}}}});
    keys.push_back(json::object{{"pk", {{"S", pk}}}});
    all.push_back(pk);
  }
  const json::object request{
      {"RequestItems", json::object{{"bget", json::object{{"Keys", keys},
                                                          {"ConsistentRead", true},
                                                          {"ProjectionExpression", "pk"}}}}}};
  clock.tick = 1;
  json::object r = Ok(*s, "BatchGetItem", request, clock.In(8));
  clock.tick = 0;
  std::vector<std::string> read = KeysOf(r["Responses"].as_object()["bget"]);
  const json::object& left = r["UnprocessedKeys"].as_object()["bget"].as_object();
  std::vector<std::string> unread = KeysOf(left.at("Keys"));
  EXPECT_FALSE(read.empty());
  EXPECT_FALSE(unread.empty());
  // The unprocessed keys keep their table's settings, and asking for them again reads the rest.
  EXPECT_EQ(left.at("ConsistentRead"), true);
  EXPECT_EQ(left.at("ProjectionExpression"), "pk");
  json::object again = Ok(*s, "BatchGetItem", json::object{{"RequestItems", r["UnprocessedKeys"]}});
  EXPECT_TRUE(again["UnprocessedKeys"].as_object().empty());
  std::vector<std::string> rest = KeysOf(again["Responses"].as_object()["bget"]);
  EXPECT_EQ(rest, unread);
  read.insert(read.end(), rest.begin(), rest.end());
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, all);
}

TEST_F(TableServiceTest, BatchWriteItemAnswersTheWritesNotRunInTimeAsUnprocessed) {
  TestClock clock;
  std::atomic<int> groups{-1};  // counting once armed
  TableServiceOptions o = Options();
  o.now = clock.Now();
  o.partitions = 1;  // one group per table
  // The deadline passes when the second table's group is about to start.
  o.before_group = [&](size_t) {
    if (groups >= 0 && ++groups == 2) clock.Jump();
  };
  auto s = Service(o);
  CreateHash(*s, "first");
  CreateHash(*s, "second");
  const json::object request = Parse(R"({"RequestItems":{
      "first":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"PutRequest":{"Item":{"pk":{"S":"b"}}}}],
      "second":[{"PutRequest":{"Item":{"pk":{"S":"c"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"d"}}}}]}})");
  Ok(*s, "PutItem", R"({"TableName":"second","Item":{"pk":{"S":"d"}}})");
  groups = 0;
  json::object r = Ok(*s, "BatchWriteItem", request, clock.In(1000));
  groups = -1;
  EXPECT_EQ(groups.load(), -1);
  const json::object& unprocessed = r["UnprocessedItems"].as_object();
  ASSERT_EQ(unprocessed.size(), 1u);
  EXPECT_EQ(unprocessed.at("second"), request.at("RequestItems").as_object().at("second"));
  auto keys = [&](std::string_view table) {
    return KeysOf(
        Ok(*s, "Scan", json::object{{"TableName", table}, {"ConsistentRead", true}})["Items"]);
  };
  EXPECT_EQ(keys("first"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(keys("second"), std::vector<std::string>{"d"});  // nothing of it written
  Ok(*s, "BatchWriteItem", json::object{{"RequestItems", unprocessed}});
  EXPECT_EQ(keys("second"), std::vector<std::string>{"c"});
}

TEST_F(TableServiceTest, AWriteNotInACommitByItsDeadlineIsNotRun) {
  TestClock clock;
  GroupGate gate;
  TableServiceOptions o = Options();
  o.now = clock.Now();
  o.partitions = 1;
  o.before_group = gate.Hook();
  auto s = Service(o);
  CreateHash(*s, "queue");
  Ok(*s, "PutItem", R"({"TableName":"queue","Item":{"pk":{"S":"warm"}}})");
  gate.Arm();
  std::thread first(
      [&] { Ok(*s, "PutItem", R"({"TableName":"queue","Item":{"pk":{"S":"first"}}})"); });
  gate.WaitHeld();
  auto put = [&](std::string pk, CallContext context) {
    return std::async(std::launch::async, [&s, pk, context] {
      return s->Run(
          "PutItem",
          json::object{{"TableName", "queue"}, {"Item", json::object{{"pk", {{"S", pk}}}}}},
          context);
    });
  };
  // Queued behind the held group when its deadline (on the real clock) comes: withdrawn, answered
  // while that group still runs.
  std::future<OperationResult> withdrawn =
      put("withdrawn", {"", std::chrono::steady_clock::now() + std::chrono::milliseconds(20)});
  EXPECT_TRUE(Eventually(
      [&] { return withdrawn.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
  // Queued, then its deadline passes before its group begins: left out of it.
  std::future<OperationResult> dropped = put("dropped", clock.In(60 * 1000));
  EXPECT_TRUE(Eventually([&] { return s->writes_waiting() == 1; }));
  clock.Jump();
  gate.Release();
  first.join();
  for (auto* f : {&withdrawn, &dropped}) {
    OperationResult r = f->get();
    const ApiError* e = std::get_if<ApiError>(&r);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->type, "RequestTimeoutException");
  }
  EXPECT_EQ(KeysOf(Ok(*s, "Scan", R"({"TableName":"queue","ConsistentRead":true})")["Items"]),
            (std::vector<std::string>{"first", "warm"}));
}

}  // namespace
}  // namespace cloudlite::server::dynamodb
