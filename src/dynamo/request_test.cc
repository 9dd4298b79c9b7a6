#include "dynamo/request.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "dynamo/item_codec.h"
#include "dynamo/json.h"

namespace cloudlite::dynamo {
namespace {

namespace json = boost::json;

json::object Obj(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return v.is_object() ? v.get_object() : json::object();
}

Item ItemOf(std::string_view text) {
  auto item = ItemFromJson(json::value(Obj(text)));
  EXPECT_TRUE(item.ok()) << text;
  return item.ok() ? *item : Item();
}

std::string Dump(const json::value& v) { return json::serialize(v); }
std::string Dump(const std::string& text) { return text; }  // already JSON text
std::string Dump(const Item& item) { return Dump(ItemToJson(item)); }

template <typename T>
std::string Error(const Result<T>& r) {
  return r.ok() ? "ok" : r.status().message();
}

// The table of most tests: pk S, sk N.
KeySchema Schema() { return {"pk", Type::kS, "sk", Type::kN}; }
KeySchema HashOnly() { return {"pk", Type::kS, std::nullopt, Type::kS}; }
KeySchema BinarySchema() { return {"pk", Type::kB, "sk", Type::kB}; }

std::string Key(std::string_view pk, std::string_view sk) {
  return R"({"pk": {"S": ")" + std::string(pk) + R"("}, "sk": {"N": ")" + std::string(sk) +
         R"("}})";
}

// ---- keys -----------------------------------------------------------------------------------

TEST(RequestKeys, KeyFromKeyAttributesChecksTheSchema) {
  auto key = KeyFromKeyAttributes(ItemOf(Key("a", "12")), Schema());
  ASSERT_TRUE(key.ok()) << Error(key);
  EXPECT_EQ(key->pk, "a");
  EXPECT_EQ(key->sk, Number::Parse("12")->EncodeKey());

  const std::string mismatch = "The provided key element does not match the schema";
  EXPECT_EQ(Error(KeyFromKeyAttributes(ItemOf(R"({"pk": {"S": "a"}})"), Schema())), mismatch);
  EXPECT_EQ(Error(KeyFromKeyAttributes(
                ItemOf(R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "1"}})"), Schema())),
            mismatch);
  EXPECT_EQ(
      Error(KeyFromKeyAttributes(ItemOf(R"({"pk": {"S": "a"}, "sk": {"S": "1"}})"), Schema())),
      mismatch);
  EXPECT_EQ(
      Error(KeyFromKeyAttributes(ItemOf(R"({"pk": {"S": "a"}, "zz": {"N": "1"}})"), Schema())),
      mismatch);
  EXPECT_EQ(Error(KeyFromKeyAttributes(ItemOf("{}"), HashOnly())), mismatch);
  auto hash_only = KeyFromKeyAttributes(ItemOf(R"({"pk": {"S": "a"}})"), HashOnly());
  ASSERT_TRUE(hash_only.ok());
  EXPECT_EQ(hash_only->sk, "");
}

TEST(RequestKeys, EmptyKeyValuesAreRefused) {
  EXPECT_EQ(Error(KeyFromKeyAttributes(ItemOf(Key("", "1")), Schema())),
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: pk");
  EXPECT_EQ(Error(KeyFromKeyAttributes(ItemOf(R"({"pk": {"B": "AA=="}, "sk": {"B": ""}})"),
                                       BinarySchema())),
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty binary value. Key: sk");
  EXPECT_EQ(Error(KeyOfItem(ItemOf(R"({"pk": {"B": ""}, "sk": {"B": "AA=="}})"), BinarySchema())),
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty binary value. Key: pk");
}

TEST(RequestKeys, KeySizesHaveDynamoDBsLimits) {
  Item item;
  item["sk"] = Value::B(std::string(1024, 'x'));
  item["pk"] = Value::B(std::string(2048, 'x'));
  EXPECT_TRUE(KeyOfItem(item, BinarySchema()).ok());
  item["pk"] = Value::B(std::string(2049, 'x'));
  EXPECT_EQ(Error(KeyOfItem(item, BinarySchema())),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
            "size limit of2048 bytes");
  item["pk"] = Value::B("x");
  item["sk"] = Value::B(std::string(1025, 'x'));
  EXPECT_EQ(Error(KeyFromKeyAttributes(item, BinarySchema())),
            "One or more parameter values were invalid: Aggregated size of all range keys has "
            "exceeded the size limit of 1024 bytes");
}

TEST(RequestKeys, KeyOfItemNamesTheMissingOrMistypedKey) {
  EXPECT_EQ(Error(KeyOfItem(ItemOf(R"({"pk": {"S": "a"}, "x": {"N": "1"}})"), Schema())),
            "One or more parameter values were invalid: Missing the key sk in the item");
  EXPECT_EQ(Error(KeyOfItem(ItemOf(R"({"pk": {"N": "1"}, "sk": {"N": "1"}})"), Schema())),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S "
            "actual: N");
  auto key =
      KeyOfItem(ItemOf(R"({"pk": {"S": "a"}, "sk": {"N": "-5"}, "x": {"L": []}})"), Schema());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->sk, Number::Parse("-5")->EncodeKey());
}

TEST(RequestKeys, KeyAttributesOfKeepsOnlyTheKey) {
  Item item = ItemOf(R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "2"}})");
  EXPECT_EQ(Dump(KeyAttributesOf(item, Schema())), R"({"pk":{"S":"a"},"sk":{"N":"1"}})");
  EXPECT_EQ(Dump(KeyAttributesOf(item, HashOnly())), R"({"pk":{"S":"a"}})");
}

// ---- writes: parsing ------------------------------------------------------------------------

Result<WriteRequest> Put(std::string_view body) {
  return WriteRequest::Parse(WriteRequest::Kind::kPut, Obj(body), Schema());
}
Result<WriteRequest> UpdateReq(std::string_view body) {
  return WriteRequest::Parse(WriteRequest::Kind::kUpdate, Obj(body), Schema());
}
Result<WriteRequest> Delete(std::string_view body) {
  return WriteRequest::Parse(WriteRequest::Kind::kDelete, Obj(body), Schema());
}

const std::string kItem = R"("Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "5"}})";
const std::string kKey = R"("Key": {"pk": {"S": "a"}, "sk": {"N": "1"}})";

TEST(RequestWrite, ParsesThePutItemParameters) {
  auto put = Put("{" + kItem +
                 R"(, "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "INDEXES",
                 "ReturnItemCollectionMetrics": "SIZE", "ConditionExpression": "#x = :v",
                 "ExpressionAttributeNames": {"#x": "x"}, "ExpressionAttributeValues":
                 {":v": {"N": "1"}}})");
  ASSERT_TRUE(put.ok()) << Error(put);
  EXPECT_EQ(put->kind(), WriteRequest::Kind::kPut);
  EXPECT_EQ(put->key().pk, "a");
  EXPECT_EQ(put->return_consumed_capacity(), ReturnConsumedCapacity::kIndexes);
  EXPECT_TRUE(put->return_item_collection_metrics());
}

TEST(RequestWrite, RefusesMissingItemOrKey) {
  EXPECT_EQ(Error(Put("{}")), "Item to put in PutItem cannot be null");
  EXPECT_EQ(Error(Delete("{}")), "Cannot have null key for GetItem, DeleteItem, or UpdateItem");
  EXPECT_EQ(Error(UpdateReq(R"({"Key": null})")),
            "Cannot have null key for GetItem, DeleteItem, or UpdateItem");
  EXPECT_EQ(Error(Put(R"({"Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = = :v"})")),
            "One or more parameter values were invalid: Missing the key sk in the item");
}

TEST(RequestWrite, ReturnValuesAllowedPerOperation) {
  for (const char* rv : {"ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "FOO"}) {
    std::string extra = std::string(R"(, "ReturnValues": ")") + rv + "\"}";
    EXPECT_EQ(Error(Put("{" + kItem + extra)), "Return values set to invalid value") << rv;
    EXPECT_EQ(Error(Delete("{" + kKey + extra)), "Return values set to invalid value") << rv;
  }
  for (const char* rv : {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}) {
    EXPECT_TRUE(UpdateReq("{" + kKey + R"(, "ReturnValues": ")" + rv + "\"}").ok()) << rv;
  }
  EXPECT_EQ(Error(UpdateReq("{" + kKey + R"(, "ReturnValues": "all_new"})")),
            "Return values set to invalid value");
}

TEST(RequestWrite, EnumsOfTheOtherReturnParameters) {
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ReturnValuesOnConditionCheckFailure": "ALL_NEW"})")),
            "1 validation error detected: Value 'ALL_NEW' at "
            "'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must "
            "satisfy enum value set: [ALL_OLD, NONE]");
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ReturnConsumedCapacity": "FOO"})")),
            "1 validation error detected: Value 'FOO' at 'returnConsumedCapacity' failed to "
            "satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]");
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ReturnItemCollectionMetrics": "ALL"})")),
            "1 validation error detected: Value 'ALL' at 'returnItemCollectionMetrics' failed to "
            "satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]");
  // A member of the wrong JSON kind is a SerializationException.
  auto bad = Put("{" + kItem + R"(, "ReturnValues": 1})");
  EXPECT_EQ(bad.status().code(), Status::Code::kNotSupported);
  EXPECT_EQ(Error(bad), "NUMBER_VALUE cannot be converted to String");
  EXPECT_EQ(Put("{" + kItem + R"(, "ConditionExpression": ["a"]})").status().code(),
            Status::Code::kNotSupported);
}

TEST(RequestWrite, PlaceholdersNeedAnExpressionAndMustBeUsed) {
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ExpressionAttributeNames": {"#a": "x"}})")),
            "ExpressionAttributeNames can only be specified when using expressions");
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ExpressionAttributeValues": {":a": {"S": "x"}}})")),
            "ExpressionAttributeValues can only be specified when using expressions: "
            "ConditionExpression is null");
  EXPECT_EQ(Error(Delete("{" + kKey + R"(, "ExpressionAttributeValues": {":a": {"S": "x"}}})")),
            "ExpressionAttributeValues can only be specified when using expressions: "
            "ConditionExpression is null");
  EXPECT_EQ(Error(UpdateReq("{" + kKey + R"(, "ExpressionAttributeValues": {":a": {"S": "x"}}})")),
            "ExpressionAttributeValues can only be specified when using expressions: "
            "UpdateExpression and ConditionExpression are null");
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ConditionExpression": "a = :v",
      "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "x"}}})")),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}");
  EXPECT_EQ(Error(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET a = :v",
      "ConditionExpression": "#n = :v", "ExpressionAttributeNames": {"#n": "x", "#m": "y"},
      "ExpressionAttributeValues": {":v": {"S": "x"}}})")),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#m}");
  // Placeholders used by either expression count.
  EXPECT_TRUE(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET a = :u",
      "ConditionExpression": "b = :c", "ExpressionAttributeValues": {":u": {"S": "x"},
      ":c": {"S": "y"}}})")
                  .ok());
}

TEST(RequestWrite, ExpressionErrorsComeWithTheirParameter) {
  EXPECT_EQ(Error(Put("{" + kItem + R"(, "ConditionExpression": ""})")),
            "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(Error(UpdateReq("{" + kKey + R"(, "UpdateExpression": ""})")),
            "Invalid UpdateExpression: The expression can not be empty;");
  EXPECT_EQ(Error(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET sk = :v",
      "ExpressionAttributeValues": {":v": {"N": "2"}}})")),
            "One or more parameter values were invalid: Cannot update attribute sk. This "
            "attribute is part of the key");
  EXPECT_EQ(Error(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET a = :v"})")),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :v");
}

TEST(RequestWrite, PutOfAnItemOver400KBIsRefused) {
  // pk (2+1) + sk (2+2) + "big" (3) + value: exactly kMaxItemSize is allowed.
  const size_t fixed = 3 + 4 + 3;
  auto body = [&](size_t n) {
    return "{" + std::string(R"("Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": ")") +
           std::string(n, 'z') + "\"}}}";
  };
  EXPECT_TRUE(Put(body(kMaxItemSize - fixed)).ok());
  EXPECT_EQ(Error(Put(body(kMaxItemSize - fixed + 1))),
            "Item size has exceeded the maximum allowed size");
}

// ---- writes: applying -----------------------------------------------------------------------

WriteOutcome Apply(const Result<WriteRequest>& w, const Item* current) {
  EXPECT_TRUE(w.ok()) << Error(w);
  if (!w.ok()) return {};
  auto out = w->Apply(current);
  EXPECT_TRUE(out.ok()) << Error(out);
  return out.ok() ? *out : WriteOutcome();
}

const Item kCurrent = ItemOf(R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "5"},
  "a": {"M": {"b": {"N": "1"}, "c": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}}},
  "s": {"SS": ["a", "b"]}})");

TEST(RequestApply, PutStoresTheItemAndReturnsTheOldOne) {
  auto put = Put("{" + kItem + R"(, "ReturnValues": "ALL_OLD"})");
  WriteOutcome fresh = Apply(put, nullptr);
  EXPECT_FALSE(fresh.condition_failed);
  EXPECT_EQ(fresh.effect.kind, WriteEffect::Kind::kStore);
  EXPECT_EQ(Dump(fresh.effect.item), R"({"pk":{"S":"a"},"sk":{"N":"1"},"x":{"N":"5"}})");
  EXPECT_EQ(fresh.effect.size, ItemSize(fresh.effect.item));
  EXPECT_EQ(Dump(fresh.members), "{}");
  EXPECT_EQ(fresh.old_size, 0u);

  WriteOutcome replaced = Apply(put, &kCurrent);
  EXPECT_EQ(Dump(replaced.members["Attributes"]), Dump(kCurrent));
  EXPECT_EQ(replaced.old_size, ItemSize(kCurrent));
  EXPECT_EQ(Dump(Apply(Put("{" + kItem + "}"), &kCurrent).members), "{}");
}

TEST(RequestApply, AFalseConditionWritesNothing) {
  auto put = Put("{" + kItem + R"j(, "ConditionExpression": "attribute_not_exists(pk)",
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})j");
  WriteOutcome failed = Apply(put, &kCurrent);
  EXPECT_TRUE(failed.condition_failed);
  EXPECT_EQ(failed.effect.kind, WriteEffect::Kind::kNothing);
  EXPECT_EQ(Dump(failed.members["Item"]), Dump(kCurrent));
  EXPECT_FALSE(Apply(put, nullptr).condition_failed);

  // Without ALL_OLD, or without an item, the error has no Item.
  auto plain = Put("{" + kItem + R"j(, "ConditionExpression": "attribute_not_exists(pk)"})j");
  EXPECT_EQ(Dump(Apply(plain, &kCurrent).members), "{}");
  auto update = UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET q = :v",
      "ConditionExpression": "x = :v", "ExpressionAttributeValues": {":v": {"N": "8"}},
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})");
  WriteOutcome missing = Apply(update, nullptr);
  EXPECT_TRUE(missing.condition_failed);
  EXPECT_EQ(Dump(missing.members), "{}");
}

TEST(RequestApply, DeleteOfAMissingItemDoesNothing) {
  auto del = Delete("{" + kKey + R"(, "ReturnValues": "ALL_OLD"})");
  WriteOutcome none = Apply(del, nullptr);
  EXPECT_EQ(none.effect.kind, WriteEffect::Kind::kNothing);
  EXPECT_EQ(Dump(none.members), "{}");
  WriteOutcome some = Apply(del, &kCurrent);
  EXPECT_EQ(some.effect.kind, WriteEffect::Kind::kDelete);
  EXPECT_EQ(Dump(some.members["Attributes"]), Dump(kCurrent));
}

TEST(RequestApply, UpdateOfAMissingItemCreatesItFromTheKey) {
  // As DynamoDB Local: the key attributes are there for the update to read.
  WriteOutcome created = Apply(
      UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET a = pk", "ReturnValues": "ALL_NEW"})"),
      nullptr);
  EXPECT_EQ(created.effect.kind, WriteEffect::Kind::kStore);
  EXPECT_EQ(Dump(created.effect.item), R"({"a":{"S":"a"},"pk":{"S":"a"},"sk":{"N":"1"}})");
  EXPECT_EQ(Dump(created.members["Attributes"]), Dump(created.effect.item));
  // No UpdateExpression at all: the item is the key.
  WriteOutcome bare = Apply(UpdateReq("{" + kKey + "}"), nullptr);
  EXPECT_EQ(Dump(bare.effect.item), R"({"pk":{"S":"a"},"sk":{"N":"1"}})");
}

// The UPDATED_* answers below are DynamoDB Local's (2.x) to the same requests on the same item.
TEST(RequestApply, UpdatedOldReturnsTheTopLevelAttributesOfTheUpdatedPaths) {
  WriteOutcome out = Apply(UpdateReq("{" + kKey + R"(,
      "UpdateExpression": "SET a.b = :v, a.c[1] = :v REMOVE x DELETE s :d",
      "ExpressionAttributeValues": {":v": {"N": "9"}, ":d": {"SS": ["a"]}},
      "ReturnValues": "UPDATED_OLD"})"),
                           &kCurrent);
  EXPECT_EQ(Dump(out.members["Attributes"]),
            R"({"a":{"M":{"b":{"N":"1"},"c":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}},)"
            R"("s":{"SS":["a","b"]},"x":{"N":"5"}})");
  EXPECT_EQ(Dump(out.effect.item),
            R"({"a":{"M":{"b":{"N":"9"},"c":{"L":[{"N":"1"},{"N":"9"},{"N":"3"}]}}},)"
            R"("pk":{"S":"a"},"s":{"SS":["b"]},"sk":{"N":"1"}})");
}

TEST(RequestApply, UpdatedNewReturnsWhatTheUpdatedPathsHoldAfterwards) {
  WriteOutcome out = Apply(UpdateReq("{" + kKey + R"(,
      "UpdateExpression": "SET a.b = :v ADD y :v", "ExpressionAttributeValues": {":v": {"N": "8"}},
      "ReturnValues": "UPDATED_NEW"})"),
                           &kCurrent);
  EXPECT_EQ(Dump(out.members["Attributes"]),
            R"({"a":{"M":{"b":{"N":"8"},"c":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}},)"
            R"("y":{"N":"8"}})");
  // A removed attribute, or a list element appended at another index, is not there afterwards.
  EXPECT_EQ(Dump(Apply(UpdateReq("{" + kKey + R"(, "UpdateExpression": "REMOVE x",
      "ReturnValues": "UPDATED_NEW"})"),
                       &kCurrent)
                     .members),
            "{}");
  EXPECT_EQ(Dump(Apply(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET a.c[7] = :v",
      "ExpressionAttributeValues": {":v": {"N": "8"}}, "ReturnValues": "UPDATED_NEW"})"),
                       &kCurrent)
                     .members),
            "{}");
  EXPECT_EQ(Dump(Apply(UpdateReq("{" + kKey + R"(, "UpdateExpression": "REMOVE zz",
      "ReturnValues": "UPDATED_OLD"})"),
                       &kCurrent)
                     .members),
            "{}");
  // A path that did not exist before is not in UPDATED_OLD, though its top-level attribute was.
  EXPECT_EQ(Dump(Apply(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET a.nf = :v",
      "ExpressionAttributeValues": {":v": {"N": "9"}}, "ReturnValues": "UPDATED_OLD"})"),
                       &kCurrent)
                     .members),
            "{}");
  // UPDATED_OLD of a new item is nothing.
  EXPECT_EQ(Dump(Apply(UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET q = :v",
      "ExpressionAttributeValues": {":v": {"N": "8"}}, "ReturnValues": "UPDATED_OLD"})"),
                       nullptr)
                     .members),
            "{}");
}

TEST(RequestApply, UpdateErrorsOnData) {
  auto add = UpdateReq("{" + kKey + R"(, "UpdateExpression": "ADD x :s",
      "ExpressionAttributeValues": {":s": {"SS": ["q"]}}})");
  ASSERT_TRUE(add.ok());
  EXPECT_EQ(Error(add->Apply(&kCurrent)),
            "An operand in the update expression has an incorrect data type");
  std::string big(300000, 'z');
  auto grow = UpdateReq("{" + kKey + R"(, "UpdateExpression": "SET b1 = :v, b2 = :v",
      "ExpressionAttributeValues": {":v": {"S": ")" +
                        big + "\"}}}");
  ASSERT_TRUE(grow.ok());
  EXPECT_EQ(Error(grow->Apply(&kCurrent)),
            "Item size to update has exceeded the maximum allowed size");
}

// ---- GetItem --------------------------------------------------------------------------------

TEST(RequestGet, ParsesAndProjects) {
  auto get = GetRequest::Parse(Obj("{" + kKey + R"(, "ProjectionExpression": "#a.b, x",
      "ExpressionAttributeNames": {"#a": "a"}, "ConsistentRead": true,
      "ReturnConsumedCapacity": "TOTAL"})"),
                               Schema());
  ASSERT_TRUE(get.ok()) << Error(get);
  EXPECT_TRUE(get->consistent_read());
  EXPECT_EQ(get->return_consumed_capacity(), ReturnConsumedCapacity::kTotal);
  EXPECT_EQ(get->key().pk, "a");
  EXPECT_FALSE(get->Answer(std::nullopt).has_value());
  EXPECT_EQ(Dump(*get->Answer(kCurrent)), R"({"a":{"M":{"b":{"N":"1"}}},"x":{"N":"5"}})");
  // A projection that matches nothing answers an empty item, not none.
  auto nothing =
      GetRequest::Parse(Obj("{" + kKey + R"(, "ProjectionExpression": "zz"})"), Schema());
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(Dump(*nothing->Answer(kCurrent)), "{}");
  auto whole = GetRequest::Parse(Obj("{" + kKey + "}"), Schema());
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->consistent_read());
  EXPECT_EQ(Dump(*whole->Answer(kCurrent)), Dump(kCurrent));
}

TEST(RequestGet, Errors) {
  EXPECT_EQ(Error(GetRequest::Parse(Obj("{}"), Schema())),
            "Cannot have null key for GetItem, DeleteItem, or UpdateItem");
  EXPECT_EQ(Error(GetRequest::Parse(Obj(R"({"Key": {"pk": {"S": "a"}}})"), Schema())),
            "The provided key element does not match the schema");
  EXPECT_EQ(Error(GetRequest::Parse(
                Obj("{" + kKey + R"(, "ExpressionAttributeNames": {"#p": "q"}})"), Schema())),
            "ExpressionAttributeNames can only be specified when using expressions");
  EXPECT_EQ(Error(GetRequest::Parse(Obj("{" + kKey + R"(, "ProjectionExpression": "#p",
      "ExpressionAttributeNames": {"#p": "q", "#z": "z"}})"),
                                    Schema())),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#z}");
  EXPECT_EQ(GetRequest::Parse(Obj("{" + kKey + R"(, "ConsistentRead": "yes"})"), Schema())
                .status()
                .code(),
            Status::Code::kNotSupported);
  // GetItem has no ExpressionAttributeValues: DynamoDB ignores the member.
  EXPECT_TRUE(
      GetRequest::Parse(Obj("{" + kKey + R"(, "ExpressionAttributeValues": {":p": {"S": "q"}}})"),
                        Schema())
          .ok());
}

// ---- Query and Scan -------------------------------------------------------------------------

Result<ReadRequest> Query(std::string_view condition, std::string_view values,
                          std::string_view extra = "", const KeySchema& schema = Schema()) {
  std::string body = R"({"KeyConditionExpression": ")" + std::string(condition) +
                     R"(", "ExpressionAttributeValues": )" + std::string(values) +
                     std::string(extra) + "}";
  return ReadRequest::ParseQuery(Obj(body), schema);
}

std::string N(std::string_view n) { return Number::Parse(n)->EncodeKey(); }

TEST(RequestQuery, KeyConditionsBecomeStoredBounds) {
  const char* v = R"({":p": {"S": "q"}, ":a": {"N": "2"}, ":b": {"N": "-3.5"}})";
  auto all = Query("pk = :p", R"({":p": {"S": "q"}})");
  ASSERT_TRUE(all.ok()) << Error(all);
  EXPECT_TRUE(all->is_query());
  EXPECT_EQ(*all->pk(), "q");
  EXPECT_FALSE(all->low() || all->high());
  EXPECT_TRUE(all->forward());

  auto check = [&](std::string_view cond, std::string_view vals, std::optional<std::string> low,
                   bool low_inc, std::optional<std::string> high, bool high_inc) {
    auto r = Query(cond, vals);
    ASSERT_TRUE(r.ok()) << cond << ": " << Error(r);
    EXPECT_EQ(r->low().has_value(), low.has_value()) << cond;
    EXPECT_EQ(r->high().has_value(), high.has_value()) << cond;
    if (low && r->low()) {
      EXPECT_EQ(r->low()->sk, *low) << cond;
      EXPECT_EQ(r->low()->inclusive, low_inc) << cond;
    }
    if (high && r->high()) {
      EXPECT_EQ(r->high()->sk, *high) << cond;
      EXPECT_EQ(r->high()->inclusive, high_inc) << cond;
    }
  };
  const char* one = R"({":p": {"S": "q"}, ":a": {"N": "2"}})";
  check("pk = :p AND sk = :a", one, N("2"), true, N("2"), true);
  check("pk = :p AND sk < :a", one, std::nullopt, false, N("2"), false);
  check("pk = :p AND sk <= :a", one, std::nullopt, false, N("2"), true);
  check("sk > :a AND pk = :p", one, N("2"), false, std::nullopt, false);
  check("pk = :p AND sk >= :a", one, N("2"), true, std::nullopt, false);
  check("pk = :p AND sk BETWEEN :b AND :a", v, N("-3.5"), true, N("2"), true);
}

TEST(RequestQuery, BeginsWithIsAPrefixRange) {
  KeySchema s{"pk", Type::kS, "sk", Type::kB};
  auto r =
      Query("pk = :p AND begins_with(sk, :x)", R"({":p": {"S": "q"}, ":x": {"B": "AP8="}})", "", s);
  ASSERT_TRUE(r.ok()) << Error(r);
  EXPECT_EQ(r->low()->sk, std::string("\x00\xff", 2));
  EXPECT_TRUE(r->low()->inclusive);
  EXPECT_EQ(r->high()->sk, std::string("\x01", 1));
  EXPECT_FALSE(r->high()->inclusive);
  // A prefix of 0xFF bytes has no upper bound.
  auto open =
      Query("pk = :p AND begins_with(sk, :x)", R"({":p": {"S": "q"}, ":x": {"B": "//8="}})", "", s);
  ASSERT_TRUE(open.ok()) << Error(open);
  EXPECT_TRUE(open->low().has_value());
  EXPECT_FALSE(open->high().has_value());
  KeySchema strings{"pk", Type::kS, "sk", Type::kS};
  auto text = Query("pk = :p AND begins_with(sk, :x)", R"({":p": {"S": "q"}, ":x": {"S": "ab"}})",
                    "", strings);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->high()->sk, "ac");
}

TEST(RequestQuery, Errors) {
  const char* v = R"({":p": {"S": "q"}})";
  EXPECT_EQ(Error(ReadRequest::ParseQuery(Obj("{}"), Schema())),
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
            "request.");
  EXPECT_EQ(Error(Query("pk = :p", R"({":p": {"S": ""}})")),
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: pk");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "Limit": 0)")),
            "Limit must be greater than or equal to 1");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "IndexName": "foo")")),
            "The table does not have the specified index: foo");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "ExpressionAttributeNames": {"#a": "x"})")),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "FilterExpression": "pk = :p")")),
            "Filter Expression can only contain non-primary key attributes: Primary key "
            "attribute: pk");
  EXPECT_EQ(Error(Query("pk = :p", R"({":p": {"S": "q"}, ":v": {"N": "1"}})",
                        R"(, "FilterExpression": "v = :v OR size(sk) > :v")")),
            "Filter Expression can only contain non-primary key attributes: Primary key "
            "attribute: sk");
  EXPECT_EQ(Error(Query("pk = :p AND sk = :s", R"({":p": {"S": "q"}, ":s": {"S": "1"}})")),
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type");
  EXPECT_EQ(Query("pk = :p", v, R"(, "ScanIndexForward": 1)").status().code(),
            Status::Code::kNotSupported);
}

TEST(RequestQuery, SelectAndItsConflicts) {
  const char* v = R"({":p": {"S": "q"}})";
  EXPECT_TRUE(Query("pk = :p", v, R"(, "Select": "COUNT")").ok());
  EXPECT_TRUE(Query("pk = :p", v, R"(, "Select": "ALL_ATTRIBUTES")").ok());
  EXPECT_TRUE(
      Query("pk = :p", v, R"(, "Select": "SPECIFIC_ATTRIBUTES", "ProjectionExpression": "v")")
          .ok());
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "Select": "COUNT", "ProjectionExpression": "v")")),
            "Cannot specify the ProjectionExpression when choosing to get only the Count");
  EXPECT_EQ(
      Error(Query("pk = :p", v, R"(, "Select": "ALL_ATTRIBUTES", "ProjectionExpression": "v")")),
      "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "Select": "SPECIFIC_ATTRIBUTES")")),
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "Select": "ALL_PROJECTED_ATTRIBUTES")")),
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  EXPECT_EQ(Error(Query("pk = :p", v, R"(, "Select": "FOO")")),
            "Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, COUNT, or "
            "SPECIFIC_ATTRIBUTES");
}

TEST(RequestQuery, ExclusiveStartKeyIsValidated) {
  const char* v = R"({":p": {"S": "q"}, ":s": {"N": "2"}})";
  auto ok = Query("pk = :p AND sk > :s", v,
                  R"(, "ExclusiveStartKey": {"pk": {"S": "q"}, "sk": {"N": "3"}},
                  "ScanIndexForward": false)");
  ASSERT_TRUE(ok.ok()) << Error(ok);
  EXPECT_EQ(ok->start_after()->pk, "q");
  EXPECT_EQ(ok->start_after()->sk, N("3"));
  EXPECT_FALSE(ok->forward());
  const std::string outside = "The provided starting key does not match the range key predicate";
  EXPECT_EQ(Error(Query("pk = :p AND sk > :s", v,
                        R"(, "ExclusiveStartKey": {"pk": {"S": "r"}, "sk": {"N": "3"}})")),
            outside);
  EXPECT_EQ(Error(Query("pk = :p AND sk > :s", v,
                        R"(, "ExclusiveStartKey": {"pk": {"S": "q"}, "sk": {"N": "2"}})")),
            outside);
  EXPECT_EQ(Error(Query("pk = :p AND sk <= :s", v,
                        R"(, "ExclusiveStartKey": {"pk": {"S": "q"}, "sk": {"N": "2.5"}})")),
            outside);
  EXPECT_EQ(Error(Query("pk = :p AND sk <= :s", v, R"(, "ExclusiveStartKey": {"pk": {"S": "q"}})")),
            "The provided starting key is invalid: The provided key element does not match the "
            "schema");

  // The far end of the range in the direction of travel is refused, as DynamoDB Local does,
  // except for an equality.
  auto start = [&](std::string_view cond, std::string_view esk, bool forward) {
    const bool between = cond.find(":b") != std::string_view::npos;
    return Error(Query(cond,
                       between ? R"({":p": {"S": "q"}, ":a": {"N": "2"}, ":b": {"N": "3"}})"
                               : R"({":p": {"S": "q"}, ":a": {"N": "2"}})",
                       R"(, "ExclusiveStartKey": {"pk": {"S": "q"}, "sk": {"N": ")" +
                           std::string(esk) + R"("}}, "ScanIndexForward": )" +
                           (forward ? "true" : "false")));
  };
  EXPECT_EQ(start("pk = :p AND sk <= :a", "2", true), outside);
  EXPECT_EQ(start("pk = :p AND sk <= :a", "2", false), "ok");
  EXPECT_EQ(start("pk = :p AND sk >= :a", "2", true), "ok");
  EXPECT_EQ(start("pk = :p AND sk >= :a", "2", false), outside);
  EXPECT_EQ(start("pk = :p AND sk = :a", "2", true), "ok");
  EXPECT_EQ(start("pk = :p AND sk = :a", "2", false), "ok");
  EXPECT_EQ(start("pk = :p AND sk BETWEEN :a AND :b", "3", true), outside);
  EXPECT_EQ(start("pk = :p AND sk BETWEEN :a AND :b", "2", true), "ok");
  EXPECT_EQ(start("pk = :p AND sk BETWEEN :a AND :b", "2", false), outside);
  EXPECT_EQ(start("pk = :p AND sk BETWEEN :a AND :b", "2.5", false), "ok");
}

Result<ReadRequest> Scan(std::string_view body) {
  return ReadRequest::ParseScan(Obj(body), Schema());
}

TEST(RequestScan, SegmentsAndStartKey) {
  auto whole = Scan("{}");
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->is_query());
  EXPECT_EQ(whole->segment(), 0u);
  EXPECT_EQ(whole->total_segments(), 1u);
  auto part = Scan(R"({"Segment": 3, "TotalSegments": 1000000, "ConsistentRead": true,
      "ExclusiveStartKey": {"pk": {"S": "z"}, "sk": {"N": "1"}}})");
  ASSERT_TRUE(part.ok()) << Error(part);
  EXPECT_EQ(part->segment(), 3u);
  EXPECT_EQ(part->total_segments(), 1000000u);
  EXPECT_TRUE(part->consistent_read());
  EXPECT_EQ(part->start_after()->pk, "z");

  EXPECT_EQ(Error(Scan(R"({"Segment": 1})")),
            "If segment is specified, total segment must also be specified");
  EXPECT_EQ(Error(Scan(R"({"TotalSegments": 2})")),
            "If total segments is specified, a particular segment must also be specified for this "
            "request");
  EXPECT_EQ(Error(Scan(R"({"TotalSegments": 2, "Segment": 2})")),
            "1 validation error detected: Value '2' at 'segment' failed to satisfy constraint: "
            "Member must have value less than or equal to 1");
  EXPECT_EQ(Error(Scan(R"({"TotalSegments": 1000001, "Segment": 2})")),
            "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000000");
  EXPECT_EQ(Error(Scan(R"({"TotalSegments": 0, "Segment": 0})")),
            "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(Error(Scan(R"({"TotalSegments": 2, "Segment": -1})")),
            "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0");
  EXPECT_EQ(Scan(R"({"TotalSegments": 2.5, "Segment": 0})").status().code(),
            Status::Code::kNotSupported);
  EXPECT_EQ(Error(Scan(R"({"ExclusiveStartKey": {"pk": {"S": ""}, "sk": {"N": "1"}}})")),
            "The provided starting key is invalid: One or more parameter values are not valid. "
            "The AttributeValue for a key attribute cannot contain an empty string value. Key: "
            "pk");
  EXPECT_EQ(Error(Scan(R"({"ExpressionAttributeValues": {":p": {"S": "q"}}})")),
            "ExpressionAttributeValues can only be specified when using expressions: "
            "FilterExpression is null");
  EXPECT_EQ(Error(Scan(R"({"ExpressionAttributeValues": {":p": {"S": "q"}},
      "ProjectionExpression": "a"})")),
            "ExpressionAttributeValues can only be specified when using expressions: "
            "FilterExpression is null");
  EXPECT_EQ(Error(Scan(R"({"ExpressionAttributeNames": {"#p": "q"}})")),
            "ExpressionAttributeNames can only be specified when using expressions");
  // A Scan may filter on key attributes.
  EXPECT_TRUE(
      Scan(R"({"FilterExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "q"}}})")
          .ok());
}

Item Row(int sk, int v) {
  return ItemOf(R"({"pk": {"S": "q"}, "sk": {"N": ")" + std::to_string(sk) + R"("}, "v": {"N": ")" +
                std::to_string(v) + R"("}})");
}

TEST(RequestPage, LimitCountsVisitedRowsAndTheFilterCountsMatches) {
  auto r = Query("pk = :p", R"({":p": {"S": "q"}, ":two": {"N": "2"}})",
                 R"(, "Limit": 3, "FilterExpression": "v <> :two", "ProjectionExpression": "v")");
  ASSERT_TRUE(r.ok()) << Error(r);
  ReadRequest::Page page(&*r);
  EXPECT_TRUE(page.Add(Row(1, 1), 10));
  EXPECT_TRUE(page.Add(Row(2, 2), 10));
  EXPECT_FALSE(page.Add(Row(3, 3), 10));
  EXPECT_EQ(page.scanned_bytes(), 30u);
  // The limit was reached: LastEvaluatedKey even if no row follows, as DynamoDB does.
  EXPECT_EQ(Dump(page.Finish(false)),
            R"({"Items":[{"v":{"N":"1"}},{"v":{"N":"3"}}],"Count":2,"ScannedCount":3,)"
            R"("LastEvaluatedKey":{"pk":{"S":"q"},"sk":{"N":"3"}}})");
}

TEST(RequestPage, WithoutLimitTheCallerSaysWhetherMoreFollow) {
  auto r = Query("pk = :p", R"({":p": {"S": "q"}})");
  ASSERT_TRUE(r.ok());
  ReadRequest::Page page(&*r);
  EXPECT_TRUE(page.Add(Row(1, 1), 10));
  EXPECT_EQ(Dump(page.Finish(false)),
            R"({"Items":[{"pk":{"S":"q"},"sk":{"N":"1"},"v":{"N":"1"}}],"Count":1,)"
            R"("ScannedCount":1})");
  EXPECT_EQ(Dump(json::parse(page.Finish(true)).at("LastEvaluatedKey")),
            R"({"pk":{"S":"q"},"sk":{"N":"1"}})");
  ReadRequest::Page empty(&*r);
  EXPECT_EQ(Dump(empty.Finish(true)), R"({"Items":[],"Count":0,"ScannedCount":0})");
}

// A page whose limit lands on the far end of the range names no LastEvaluatedKey: a start key
// there is refused, so a paginator would fail on it (found by the boto3 scenario).
TEST(RequestPage, APageEndingOnTheRangesFarEndNamesNoLastKey) {
  auto r = Query("pk = :p AND sk BETWEEN :a AND :b",
                 R"({":p": {"S": "q"}, ":a": {"N": "1"}, ":b": {"N": "2"}})", R"(, "Limit": 2)");
  ASSERT_TRUE(r.ok()) << Error(r);
  ReadRequest::Page page(&*r);
  EXPECT_TRUE(page.Add(Row(1, 1), 10));
  EXPECT_FALSE(page.Add(Row(2, 2), 10));
  EXPECT_FALSE(json::parse(page.Finish(true)).as_object().contains("LastEvaluatedKey"));
  // Backwards, the far end is the lower bound.
  auto back = Query("pk = :p AND sk >= :a", R"({":p": {"S": "q"}, ":a": {"N": "1"}})",
                    R"(, "Limit": 1, "ScanIndexForward": false)");
  ASSERT_TRUE(back.ok()) << Error(back);
  ReadRequest::Page down(&*back);
  EXPECT_FALSE(down.Add(Row(1, 1), 10));
  EXPECT_FALSE(json::parse(down.Finish(true)).as_object().contains("LastEvaluatedKey"));
  ReadRequest::Page up(&*back);
  EXPECT_FALSE(up.Add(Row(5, 1), 10));
  EXPECT_TRUE(json::parse(up.Finish(true)).as_object().contains("LastEvaluatedKey"));
}

TEST(RequestPage, OneMegabyteOfVisitedItemsEndsAPage) {
  auto r = Scan(R"({"Select": "COUNT"})");
  ASSERT_TRUE(r.ok());
  ReadRequest::Page page(&*r);
  int added = 0;
  while (added < 100 && page.Add(Row(added, 0), 400 * 1024)) added++;
  EXPECT_EQ(added, 2);  // the third row brings the page to 1.2 MB
  EXPECT_EQ(Dump(page.Finish(false)),
            R"({"Count":3,"ScannedCount":3,"LastEvaluatedKey":{"pk":{"S":"q"},"sk":{"N":"2"}}})");
}

// ---- batches --------------------------------------------------------------------------------

Result<KeySchema> Lookup(std::string_view table) {
  if (table == "ths") return Schema();
  if (table == "thh") return HashOnly();
  return Status::NotFound("Requested resource not found");
}

std::string Keys(int n, int from = 0) {
  std::string out;
  for (int i = 0; i < n; i++) out += (i ? ", " : "") + Key("k" + std::to_string(from + i), "1");
  return out;
}

TEST(RequestBatchGet, ParsesEveryTablesKeys) {
  auto batch = BatchGet::Parse(
      Obj(R"({"RequestItems": {"ths": {"Keys": [)" + Keys(2) +
          R"(], "ProjectionExpression": "#v", "ExpressionAttributeNames": {"#v": "v"},
          "ConsistentRead": true}, "thh": {"Keys": [{"pk": {"S": "x"}}]}},
          "ReturnConsumedCapacity": "TOTAL"})"),
      Lookup);
  ASSERT_TRUE(batch.ok()) << Error(batch);
  EXPECT_EQ(batch->capacity, ReturnConsumedCapacity::kTotal);
  ASSERT_EQ(batch->tables.size(), 2u);
  const BatchGet::Table& t = batch->tables[0].name == "ths" ? batch->tables[0] : batch->tables[1];
  ASSERT_EQ(t.keys.size(), 2u);
  EXPECT_EQ(t.keys[1].key().pk, "k1");
  EXPECT_TRUE(t.keys[0].consistent_read());
  EXPECT_EQ(Dump(*t.keys[0].Answer(kCurrent)), "{}");
  EXPECT_EQ(Dump(t.key_items[0]), R"({"pk":{"S":"k0"},"sk":{"N":"1"}})");
}

TEST(RequestBatchGet, Errors) {
  auto parse = [](std::string_view body) { return BatchGet::Parse(Obj(body), Lookup); };
  EXPECT_EQ(Error(parse(R"({"RequestItems": {}})")), "BatchGetItem must have some requests set");
  EXPECT_EQ(Error(parse("{}")), "BatchGetItem must have some requests set");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": {"Keys": []}}})")),
            "The list of keys in RequestItems for BatchGetItem is required: ths has empty list");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": {}}})")),
            "The list of keys in RequestItems for BatchGetItem is required: ths has empty list");
  EXPECT_EQ(
      Error(parse(R"({"RequestItems": {"ths": {"Keys": [)" + Keys(1) + ", " + Keys(1) + "]}}}")),
      "Provided list of item keys contains duplicates");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": {"Keys": [)" + Keys(60) +
                        R"(]}, "thh": {"Keys": [)" + Keys(41) + "]}}}")),
            "Too many items requested for the BatchGetItem call");
  EXPECT_TRUE(parse(R"({"RequestItems": {"ths": {"Keys": [)" + Keys(100) + "]}}}").ok());
  auto missing = parse(R"({"RequestItems": {"nope": {"Keys": [)" + Keys(1) + "]}}}");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"thh": {"Keys": [)" + Keys(1) + "]}}}")),
            "The provided key element does not match the schema");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": {"Keys": [)" + Keys(1) +
                        R"(], "ExpressionAttributeNames": {"#a": "b"}}}})")),
            "ExpressionAttributeNames can only be specified when using expressions");
}

std::string Deletes(int n) {
  std::string out;
  for (int i = 0; i < n; i++) {
    out += (i ? ", " : "") + std::string(R"({"DeleteRequest": {"Key": )") +
           Key("k" + std::to_string(i), "1") + "}}";
  }
  return out;
}

TEST(RequestBatchWrite, ParsesPutsAndDeletes) {
  auto batch =
      BatchWrite::Parse(Obj(R"({"RequestItems": {"ths": [{"PutRequest": {"Item": {"pk": {"S": "a"},
          "sk": {"N": "1"}, "x": {"N": "2"}}}}, {"DeleteRequest": {"Key": )" +
                            Key("b", "1") + R"(}}]}, "ReturnConsumedCapacity": "INDEXES",
          "ReturnItemCollectionMetrics": "SIZE"})"),
                        Lookup);
  ASSERT_TRUE(batch.ok()) << Error(batch);
  EXPECT_EQ(batch->capacity, ReturnConsumedCapacity::kIndexes);
  EXPECT_TRUE(batch->item_collection_metrics);
  ASSERT_EQ(batch->tables.size(), 1u);
  const auto& t = batch->tables[0];
  ASSERT_EQ(t.writes.size(), 2u);
  EXPECT_EQ(t.writes[0].kind(), WriteRequest::Kind::kPut);
  EXPECT_EQ(t.writes[1].kind(), WriteRequest::Kind::kDelete);
  EXPECT_EQ(t.writes[1].key().pk, "b");
  ASSERT_EQ(t.requests.size(), 2u);
  EXPECT_TRUE(t.requests[1].as_object().contains("DeleteRequest"));
  auto put = t.writes[0].Apply(&kCurrent);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(Dump(put->members), "{}");
}

TEST(RequestBatchWrite, Errors) {
  auto parse = [](std::string_view body) { return BatchWrite::Parse(Obj(body), Lookup); };
  EXPECT_EQ(Error(parse(R"({"RequestItems": {}})")),
            "BatchWriteItem cannot have a null or no requests set");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": []}})")),
            "The batch write request list for a table cannot be null or empty: ths");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": [{}]}})")),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": [{"PutRequest": {"Item": )" + Key("a", "1") +
                        R"(}, "DeleteRequest": {"Key": )" + Key("a", "1") + "}}]}}")),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": [{"PutRequest": {}}]}})")),
            "The supplied Item contains a null AttributeValue");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": [{"PutRequest": {"Item": )" + Key("a", "1") +
                        R"(}}, {"DeleteRequest": {"Key": )" + Key("a", "1") + "}}]}}")),
            "Provided list of item keys contains duplicates");
  EXPECT_EQ(Error(parse(R"({"RequestItems": {"ths": [)" + Deletes(26) + "]}}")),
            "Too many items requested for the BatchWriteItem call");
  EXPECT_TRUE(parse(R"({"RequestItems": {"ths": [)" + Deletes(25) + "]}}").ok());
  EXPECT_EQ(
      Error(parse(R"({"RequestItems": {"ths": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}})")),
      "One or more parameter values were invalid: Missing the key sk in the item");
  EXPECT_EQ(parse(R"({"RequestItems": {"nope": [)" + Deletes(1) + "]}}").status().code(),
            Status::Code::kNotFound);
  // Same key in two tables is no duplicate.
  EXPECT_TRUE(parse(R"({"RequestItems": {"ths": [)" + Deletes(1) +
                    R"(], "thh": [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]}})")
                  .ok());
}

// A name no table can have is the client's mistake (ValidationException), not a missing table
// (ResourceNotFoundException): DynamoDB Local answers so for BatchGetItem, BatchWriteItem and
// TransactWriteItems.
TEST(RequestBatches, ANameNoTableCanHaveIsInvalidNotMissing) {
  const std::string key = R"({"pk": {"S": "a"}, "sk": {"N": "1"}})";
  for (const std::string& name : {std::string("ab"), std::string("a$b"), std::string(256, 't')}) {
    SCOPED_TRACE(name.substr(0, 8));
    const std::string get = R"({"RequestItems": {")" + name + R"(": {"Keys": [)" + key + "]}}}";
    const std::string write =
        R"({"RequestItems": {")" + name + R"(": [{"DeleteRequest": {"Key": )" + key + "}}]}}";
    const std::string put =
        R"({"TransactItems": [{"Put": {"TableName": ")" + name + R"(", "Item": )" + key + "}}]}";
    const std::string tget =
        R"({"TransactItems": [{"Get": {"TableName": ")" + name + R"(", "Key": )" + key + "}}]}";
    for (const Status& s : {BatchGet::Parse(Obj(get), Lookup).status(),
                            BatchWrite::Parse(Obj(write), Lookup).status(),
                            TransactWrite::Parse(Obj(put), Lookup).status(),
                            TransactGet::Parse(Obj(tget), Lookup).status()}) {
      EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.message();
      EXPECT_NE(s.message().find("Invalid table name"), std::string::npos) << s.message();
    }
  }
  EXPECT_EQ(BatchGet::Parse(Obj(R"({"RequestItems": {"nope": {"Keys": [)" + key + "]}}}"), Lookup)
                .status()
                .code(),
            Status::Code::kNotFound);
}

// ---- legacy parameters (dynamo/legacy.h) ----------------------------------------------------

// The answers below are DynamoDB Local's to the same requests.
TEST(RequestLegacy, AttributeUpdatesAndExpectedApply) {
  Item current = ItemOf(R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "f": {"S": "x"},
      "n": {"N": "1"}})");
  WriteOutcome out = Apply(UpdateReq("{" + kKey + R"(, "AttributeUpdates": {
      "f": {"Action": "PUT", "Value": {"S": "y"}}, "n": {"Action": "ADD", "Value": {"N": "2"}}},
      "ReturnValues": "ALL_NEW"})"),
                           &current);
  EXPECT_EQ(Dump(out.members["Attributes"]),
            R"({"f":{"S":"y"},"n":{"N":"3"},"pk":{"S":"a"},"sk":{"N":"1"}})");
  auto mistyped = UpdateReq("{" + kKey + R"(, "AttributeUpdates": {
      "f": {"Action": "ADD", "Value": {"N": "2"}}}})");
  ASSERT_TRUE(mistyped.ok()) << Error(mistyped);
  EXPECT_EQ(Error(mistyped->Apply(&current)), "Type mismatch for attribute to update");

  auto expected = Put("{" + kItem + R"(, "Expected": {"f": {"Value": {"S": "zz"}}}})");
  EXPECT_TRUE(Apply(expected, &current).condition_failed);
  auto holds = Put("{" + kItem + R"(, "Expected": {"f": {"Value": {"S": "x"}}},
      "ReturnValues": "ALL_OLD"})");
  WriteOutcome replaced = Apply(holds, &current);
  EXPECT_FALSE(replaced.condition_failed);
  EXPECT_EQ(Dump(replaced.members["Attributes"]), Dump(current));
}

TEST(RequestLegacy, MixingIsRefused) {
  EXPECT_EQ(Error(Put("{" + kItem + R"j(, "Expected": {"f": {"Exists": false}},
      "ConditionExpression": "attribute_exists(f)"})j")),
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}");
  EXPECT_EQ(Error(Query("pk = :p", R"({":p": {"S": "q"}})",
                        R"(, "Select": "COUNT", "AttributesToGet": ["v"])")),
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributesToGet} Expression parameters: "
            "{KeyConditionExpression}");
}

json::object LegacyQuery(std::string_view extra) {
  return Obj(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"S": "q"}]}})" +
             std::string(extra) + "}");
}

TEST(RequestLegacy, GetAndQuery) {
  auto get = GetRequest::Parse(Obj("{" + kKey + R"(, "AttributesToGet": ["pk", "x"]})"), Schema());
  ASSERT_TRUE(get.ok()) << Error(get);
  EXPECT_EQ(Dump(*get->Answer(kCurrent)), R"({"pk":{"S":"a"},"x":{"N":"5"}})");

  auto query = ReadRequest::ParseQuery(Obj(R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
          "AttributeValueList": [{"S": "q"}]}, "sk": {"ComparisonOperator": "GT",
          "AttributeValueList": [{"N": "1"}]}}, "QueryFilter": {"v": {"ComparisonOperator": "EQ",
          "AttributeValueList": [{"N": "3"}]}}})"),
                                       Schema());
  ASSERT_TRUE(query.ok()) << Error(query);
  EXPECT_EQ(*query->pk(), "q");
  EXPECT_EQ(query->low()->sk, N("1"));
  EXPECT_FALSE(query->low()->inclusive);
  ReadRequest::Page page(&*query);
  EXPECT_TRUE(page.Add(Row(2, 2), 10));
  EXPECT_TRUE(page.Add(Row(3, 3), 10));
  EXPECT_EQ(Dump(page.Finish(false)),
            R"({"Items":[{"pk":{"S":"q"},"sk":{"N":"3"},"v":{"N":"3"}}],"Count":1,)"
            R"("ScannedCount":2})");

  EXPECT_EQ(Error(ReadRequest::ParseQuery(
                LegacyQuery(R"(, "QueryFilter": {"sk": {"ComparisonOperator": "EQ",
                    "AttributeValueList": [{"N": "3"}]}})"),
                Schema())),
            "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk");
  EXPECT_EQ(Error(ReadRequest::ParseQuery(LegacyQuery(R"(, "FilterExpression": "sk = :v",
                    "ExpressionAttributeValues": {":v": {"N": "1"}})"),
                                          Schema())),
            "Filter Expression can only contain non-primary key attributes: Primary key "
            "attribute: sk");
  EXPECT_EQ(Error(ReadRequest::ParseQuery(
                LegacyQuery(R"(, "Select": "COUNT", "AttributesToGet": ["v"])"), Schema())),
            "Cannot specify the AttributesToGet when choosing to get only the Count");
  EXPECT_TRUE(
      ReadRequest::ParseQuery(
          LegacyQuery(R"(, "Select": "SPECIFIC_ATTRIBUTES", "AttributesToGet": ["v"])"), Schema())
          .ok());
}

// ---- capacity -------------------------------------------------------------------------------

TEST(RequestCapacity, UnitsAndTheConsumedCapacityMember) {
  EXPECT_EQ(WriteUnits(0, 0), 1.0);
  EXPECT_EQ(WriteUnits(0, 1024), 1.0);
  EXPECT_EQ(WriteUnits(3000, 1025), 3.0);
  EXPECT_EQ(ReadUnits(0, false), 0.5);
  EXPECT_EQ(ReadUnits(4096, true), 1.0);
  EXPECT_EQ(ReadUnits(4097, true), 2.0);
  EXPECT_EQ(ReadUnits(10000, false), 1.5);
  EXPECT_EQ(Dump(ConsumedCapacity("t1", 1.0, true, ReturnConsumedCapacity::kNone)), "{}");
  EXPECT_EQ(Dump(ConsumedCapacity("t1", 0.5, true, ReturnConsumedCapacity::kTotal)),
            R"({"TableName":"t1","CapacityUnits":5E-1})");
  EXPECT_EQ(Dump(ConsumedCapacity("t1", 2.0, false, ReturnConsumedCapacity::kIndexes)),
            R"({"TableName":"t1","CapacityUnits":2E0,"Table":{"CapacityUnits":2E0}})");
}

}  // namespace
}  // namespace cloudlite::dynamo
