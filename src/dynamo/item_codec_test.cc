#include "dynamo/item_codec.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>
#include <string>

#include "dynamo/json.h"

namespace cloudlite::dynamo {
namespace {

Item ItemOf(std::string_view json) {
  boost::system::error_code ec;
  auto item = ItemFromJson(boost::json::parse(json, ec));
  EXPECT_TRUE(item.ok()) << json;
  return item.ok() ? *item : Item();
}

TEST(DynamoItemCodec, RoundTripsEveryType) {
  Item item = ItemOf(R"({
    "s": {"S": "text"}, "e": {"S": ""}, "n": {"N": "-12.5"}, "b": {"B": "AAEC"},
    "t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true},
    "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["10", "9", "-1"]}, "bs": {"BS": ["AQ==", "AA=="]},
    "l": {"L": [{"N": "1"}, {"L": []}, {"M": {"x": {"S": "y"}}}]}, "m": {"M": {}}})");
  std::string bytes = EncodeItem(item);
  auto back = DecodeItem(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, item);
  EXPECT_EQ(EncodeItem(*back), bytes);
}

TEST(DynamoItemCodec, ExactBytes) {
  Item item = ItemOf(R"({"a": {"N": "1.50"}, "b": {"BOOL": true}})");
  // count 2; "a" N "1.5"; "b" true.
  EXPECT_EQ(EncodeItem(item), std::string("\x02\x01"
                                          "a\x02\x03"
                                          "1.5\x01"
                                          "b\x05",
                                          11));
  EXPECT_EQ(EncodeItem({}), std::string("\x00", 1));
}

TEST(DynamoItemCodec, RefusesMalformedBytes) {
  Item item = ItemOf(R"({"a": {"L": [{"S": "x"}]}, "b": {"SS": ["p", "q"]}})");
  std::string good = EncodeItem(item);
  ASSERT_TRUE(DecodeItem(good).ok());
  // Every truncation and every trailing byte is refused as Corruption.
  for (size_t n = 0; n < good.size(); n++) {
    auto r = DecodeItem(good.substr(0, n));
    EXPECT_TRUE(r.status().IsCorruption()) << n;
  }
  EXPECT_TRUE(DecodeItem(good + "x").status().IsCorruption());
  // A count in a longer form than the shortest (found by the dynamo_value fuzz target): the
  // stored bytes of an item are its one encoding.
  EXPECT_TRUE(DecodeItem(std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x62", 10))
                  .status()
                  .IsCorruption());
  EXPECT_TRUE(DecodeItem(std::string("\x80\x00", 2)).status().IsCorruption());
  auto bad = [](std::string bytes) { return DecodeItem(bytes).status().IsCorruption(); };
  EXPECT_TRUE(
      bad(std::string("\x01\x01"
                      "a\x0c",
                      4)));  // unknown type byte
  EXPECT_TRUE(
      bad(std::string("\x01\x01"
                      "a\x07\x00",
                      5)));  // empty set
  EXPECT_TRUE(
      bad(std::string("\x02\x01"
                      "b\x06\x01"
                      "a\x06",
                      7)));  // names not ascending
  EXPECT_TRUE(
      bad(std::string("\x02\x01"
                      "a\x06\x01"
                      "a\x06",
                      7)));                          // duplicate name
  EXPECT_TRUE(bad(std::string("\x01\x00\x06", 3)));  // empty name
  EXPECT_TRUE(
      bad(std::string("\x01\x01"
                      "a\x02\x02"
                      "01",
                      7)));  // N not normalized
  EXPECT_TRUE(
      bad(std::string("\x01\x01"
                      "a\x07\x02\x01"
                      "b\x01"
                      "a",
                      9)));  // set unsorted
  EXPECT_TRUE(
      bad(std::string("\x01\x01"
                      "a\x08\x02\x02"
                      "10\x01"
                      "9",
                      10)));                                 // NS unsorted
  EXPECT_TRUE(bad(std::string("\xff\xff\xff\xff\x0f", 5)));  // count past the end
  // Nesting past 32 levels (counting the item).
  std::string deep = std::string(
      "\x01\x01"
      "a",
      3);
  for (int i = 0; i < 32; i++) deep += std::string("\x0a\x01", 2);
  deep += "\x06";
  EXPECT_TRUE(bad(deep));
}

TEST(DynamoItemCodec, SizeRule) {
  // Names count; S and B by bytes; BOOL and NULL 1; numbers by base-100 digits.
  EXPECT_EQ(ItemSize(ItemOf(R"({"name": {"S": "abc"}})")), 4u + 3u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"b": {"B": "AAEC"}})")), 1u + 3u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"t": {"BOOL": true}, "z": {"NULL": true}})")), 4u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"n": {"N": "12345"}})")), 1u + 4u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"n": {"N": "-1.5"}})")), 1u + 4u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"ss": {"SS": ["ab", "c"]}})")), 2u + 3u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"ns": {"NS": ["1", "12345"]}})")), 2u + 2u + 4u);
  // L and M: 3 bytes, 1 per element, the elements (names included for M).
  EXPECT_EQ(ItemSize(ItemOf(R"({"l": {"L": [{"S": "ab"}, {"NULL": true}]}})")),
            1u + 3u + 2u + 2u + 1u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"m": {"M": {"k": {"S": "v"}}}})")), 1u + 3u + 1u + 1u + 1u);
  EXPECT_EQ(ItemSize(ItemOf(R"({"m": {"M": {}}})")), 1u + 3u);
  // The limit: a 409,600-byte item is the largest.
  Item big;
  big["k"] = Value::S(std::string(kMaxItemSize - 1, 'x'));
  EXPECT_EQ(ItemSize(big), kMaxItemSize);
}

TEST(DynamoItemCodec, KeyEncoding) {
  EXPECT_EQ(*EncodeKey(Value::S("abc")), "abc");
  EXPECT_EQ(*EncodeKey(Value::B(std::string("\x00\xff", 2))), std::string("\x00\xff", 2));
  EXPECT_EQ(*EncodeKey(Value::N(Number::FromInt(0))), std::string("\x01", 1));
  EXPECT_FALSE(EncodeKey(Value::Bool(true)).ok());
  auto back = DecodeKey(*EncodeKey(Value::N(*Number::Parse("-4.25"))), Type::kN);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->text, "-4.25");
  EXPECT_EQ(DecodeKey("xyz", Type::kS)->text, "xyz");
  EXPECT_FALSE(DecodeKey("xyz", Type::kN).ok());
}

TEST(DynamoItemCodec, PrefixUpperBound) {
  EXPECT_EQ(*PrefixUpperBound("abc"), "abd");
  EXPECT_EQ(*PrefixUpperBound(std::string("a\xff\xff", 3)), "b");
  EXPECT_FALSE(PrefixUpperBound(std::string("\xff\xff", 2)).has_value());
  EXPECT_FALSE(PrefixUpperBound("").has_value());
  // Every string with the prefix is inside [prefix, bound), and the bound itself is not.
  std::string bound = *PrefixUpperBound("ab");
  for (std::string s : {"ab", "ab\xff", "abzzz", "ab\x00"}) {
    EXPECT_TRUE(s >= "ab" && s < bound) << s;
  }
  EXPECT_FALSE(std::string("ac") < bound);
}

TEST(DynamoItemCodec, RandomItemsRoundTrip) {
  std::mt19937 rng(7);
  std::function<Value(int)> random_value = [&](int depth) -> Value {
    switch (rng() % (depth > 4 ? 6 : 8)) {
      case 0:
        return Value::S(std::string(rng() % 5, static_cast<char>('a' + rng() % 3)));
      case 1:
        return Value::N(Number::FromInt(static_cast<int>(rng() % 2001) - 1000));
      case 2:
        return Value::B(std::string(rng() % 4, static_cast<char>(rng())));
      case 3:
        return Value::Bool(rng() % 2);
      case 4:
        return Value::Null();
      case 5:
        return *Value::MakeSet(Type::kSS, {"x", std::to_string(rng() % 100) + "y"});
      case 6: {
        std::vector<Value> l;
        for (size_t i = rng() % 4; i > 0; i--) l.push_back(random_value(depth + 1));
        return Value::L(std::move(l));
      }
      default: {
        Map m;
        for (size_t i = rng() % 4; i > 0; i--)
          m["k" + std::to_string(rng() % 9)] = random_value(depth + 1);
        return Value::M(std::move(m));
      }
    }
  };
  for (int i = 0; i < 300; i++) {
    Item item;
    for (size_t n = rng() % 6; n > 0; n--) item["a" + std::to_string(rng() % 20)] = random_value(1);
    auto back = DecodeItem(EncodeItem(item));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, item);
  }
}

}  // namespace
}  // namespace cloudlite::dynamo
