#include "dynamo/number.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace cloudlite::dynamo {
namespace {

std::string Norm(std::string_view text) {
  auto n = Number::Parse(text);
  return n.ok() ? n->ToString() : "error: " + n.status().message();
}

Number Num(std::string_view text) {
  auto n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().ToString();
  return n.ok() ? *n : Number();
}

TEST(DynamoNumber, NormalizesLikeDynamoDB) {
  // Pairs as DynamoDB Local printed them back (GetItem after PutItem).
  EXPECT_EQ(Norm("-0"), "0");
  EXPECT_EQ(Norm("1E+2"), "100");
  EXPECT_EQ(Norm("00012.500"), "12.5");
  EXPECT_EQ(Norm("+1"), "1");
  EXPECT_EQ(Norm(".5"), "0.5");
  EXPECT_EQ(Norm("5."), "5");
  EXPECT_EQ(Norm("-1.50"), "-1.5");
  EXPECT_EQ(Norm("0.001"), "0.001");
  EXPECT_EQ(Norm("1e21"), "1000000000000000000000");
  EXPECT_EQ(Norm("1e-7"), "0.0000001");
  EXPECT_EQ(Norm("123.456e3"), "123456");
  EXPECT_EQ(Norm("1.0e-5"), "0.00001");
  EXPECT_EQ(Norm("1.23e-4"), "0.000123");
  EXPECT_EQ(Norm("-0.0e5"), "0");
  EXPECT_EQ(Norm("1234567890123456789012345678901234567800000"),
            "1234567890123456789012345678901234567800000");
  EXPECT_EQ(Norm("0.0000000000000000000000000000000000000000001234"),
            "0.0000000000000000000000000000000000000000001234");
  EXPECT_EQ(Norm("1E-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Norm("9.9999999999999999999999999999999999999E+125"),
            std::string(38, '9') + std::string(88, '0'));
  EXPECT_EQ(Norm("0.1E-129"), Norm("1E-130"));
  EXPECT_EQ(Norm("12345678901234567890123456789012345678"),
            "12345678901234567890123456789012345678");
}

TEST(DynamoNumber, RefusesWhatDynamoDBRefuses) {
  const std::string not_a_number = "error: A value provided cannot be converted into a number";
  for (const char* bad : {"abc", "", " 1", "1 ", "0x10", "1e", "1e+", "Infinity", "NaN", "-", ".",
                          "+.", "1..2", "1.2.3", "--1", "1e5.5", "١"}) {
    EXPECT_EQ(Norm(bad), not_a_number) << bad;
  }
  EXPECT_EQ(Norm("1e126"), "error: " + std::string(kNumberOverflow));
  EXPECT_EQ(Norm("-1e126"), "error: " + std::string(kNumberOverflow));
  EXPECT_EQ(Norm("1e-131"), "error: " + std::string(kNumberUnderflow));
  EXPECT_EQ(Norm("-1e-131"), "error: " + std::string(kNumberUnderflow));
  EXPECT_EQ(Norm("123456789012345678901234567890123456789"),
            "error: " + std::string(kNumberPrecision));
  // A huge exponent saturates instead of wrapping; zero stays zero whatever its exponent.
  EXPECT_EQ(Norm("1e99999999999999999999"), "error: " + std::string(kNumberOverflow));
  EXPECT_EQ(Norm("1e-99999999999999999999"), "error: " + std::string(kNumberUnderflow));
  EXPECT_EQ(Norm("0e99999999999999999999"), "0");
  EXPECT_TRUE(Number::Parse("1e125").ok());
  EXPECT_TRUE(Number::Parse("-9.9999999999999999999999999999999999999E+125").ok());
}

TEST(DynamoNumber, ExactArithmetic) {
  auto sum = [](std::string_view a, std::string_view b) {
    auto r = Number::Add(Num(a), Num(b));
    return r.ok() ? r->ToString() : "error: " + r.status().message();
  };
  auto diff = [](std::string_view a, std::string_view b) {
    auto r = Number::Subtract(Num(a), Num(b));
    return r.ok() ? r->ToString() : "error: " + r.status().message();
  };
  EXPECT_EQ(sum("0.1", "0.2"), "0.3");  // not 0.30000000000000004
  EXPECT_EQ(sum("1", "-1"), "0");
  EXPECT_EQ(sum("5", "-7.5"), "-2.5");
  EXPECT_EQ(sum("-5", "-7.5"), "-12.5");
  EXPECT_EQ(sum("99999999999999999999999999999999999999", "1"),
            "100000000000000000000000000000000000000");
  EXPECT_EQ(sum("12345678901234567890123456789012345678", "0.1"),
            "error: " + std::string(kNumberPrecision));
  // DynamoDB Local: n + 1E-100 with n = 5 needs 101 digits.
  EXPECT_EQ(sum("5", "1E-100"), "error: " + std::string(kNumberPrecision));
  EXPECT_EQ(sum("9.9999999999999999999999999999999999999E+125",
                "0.0000000000000000000000000000000000001E+125"),
            "error: " + std::string(kNumberOverflow));
  EXPECT_EQ(diff("1.1E-130", "1E-130"), "error: " + std::string(kNumberUnderflow));
  EXPECT_EQ(diff("10", "0.001"), "9.999");
  EXPECT_EQ(diff("-3", "-3"), "0");
  EXPECT_EQ(diff("0", "4"), "-4");
  EXPECT_EQ(diff("1E+100", "1E+100"), "0");
  EXPECT_EQ(sum("0", "-4.2"), "-4.2");
}

TEST(DynamoNumber, CompareIsNumeric) {
  std::vector<std::string> ordered = {"-1E+125", "-100", "-10",    "-9.5",  "-0.123", "-0.12",
                                      "-1E-130", "0",    "1E-130", "0.12",  "0.123",  "1",
                                      "9.99",    "10",   "100",    "1E+125"};
  for (size_t i = 0; i < ordered.size(); i++) {
    for (size_t j = 0; j < ordered.size(); j++) {
      int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Number::Compare(Num(ordered[i]), Num(ordered[j])), want)
          << ordered[i] << " vs " << ordered[j];
    }
  }
  EXPECT_TRUE(Num("1.50") == Num("1.5"));
}

TEST(DynamoNumber, KeyEncodingOrdersLikeNumbers) {
  std::mt19937_64 rng(14);
  std::vector<Number> numbers;
  for (const char* s : {"0", "1", "-1", "0.12", "0.123", "-0.12", "-0.123", "1E+125", "-1E+125",
                        "1E-130", "-1E-130", "10", "9", "-9", "-10"}) {
    numbers.push_back(Num(s));
  }
  for (int i = 0; i < 2000; i++) {
    std::string text = (rng() % 2 ? "-" : "");
    int digits = 1 + static_cast<int>(rng() % 38);
    for (int d = 0; d < digits; d++) text.push_back(static_cast<char>('0' + rng() % 10));
    text += "E" + std::to_string(static_cast<int>(rng() % 200) - 100);
    auto n = Number::Parse(text);
    if (n.ok()) numbers.push_back(*n);
  }
  for (const auto& n : numbers) {
    auto back = Number::DecodeKey(n.EncodeKey());
    ASSERT_TRUE(back.ok()) << n.ToString();
    EXPECT_EQ(back->ToString(), n.ToString());
  }
  for (size_t i = 0; i + 1 < numbers.size(); i++) {
    const Number& a = numbers[i];
    const Number& b = numbers[i + 1];
    int by_value = Number::Compare(a, b);
    int by_bytes = a.EncodeKey().compare(b.EncodeKey());
    by_bytes = by_bytes < 0 ? -1 : (by_bytes > 0 ? 1 : 0);
    EXPECT_EQ(by_value, by_bytes) << a.ToString() << " vs " << b.ToString();
  }
}

TEST(DynamoNumber, KeyEncodingBytes) {
  EXPECT_EQ(Num("0").EncodeKey(), std::string("\x01", 1));
  // 1 = 0.1 x 10^1: exponent byte 1 + 129 = 130.
  EXPECT_EQ(Num("1").EncodeKey(), std::string("\x02\x82"
                                              "1",
                                              3));
  EXPECT_EQ(Num("-1").EncodeKey(), std::string("\x00\x7d"
                                               "8\xff",
                                               4));
  EXPECT_FALSE(Number::DecodeKey("").ok());
  EXPECT_FALSE(Number::DecodeKey(std::string("\x02\x82"
                                             "10",
                                             4))
                   .ok());  // trailing zero
  EXPECT_FALSE(Number::DecodeKey(std::string("\x00\x7d"
                                             "8",
                                             3))
                   .ok());  // no terminator
  EXPECT_FALSE(Number::DecodeKey(std::string("\x03\x82"
                                             "1",
                                             3))
                   .ok());
  // Every exponent byte is in range: 0 .. 255 is -129 .. 126.
  EXPECT_EQ(Number::DecodeKey(std::string("\x02\xff"
                                          "1",
                                          3))
                ->exponent(),
            126);
}

TEST(DynamoNumber, SizeCountsBase100Digits) {
  EXPECT_EQ(Num("12345").Size(), 4u);  // 1|23|45
  EXPECT_EQ(Num("1.5").Size(), 3u);    // 1|50
  EXPECT_EQ(Num("-1.5").Size(), 4u);
  EXPECT_EQ(Num("100").Size(), 2u);   // 1|00 with trailing pairs dropped: 1 pair
  EXPECT_EQ(Num("0.01").Size(), 2u);  // 01
  EXPECT_EQ(Num("0").Size(), 1u);
  EXPECT_EQ(Num("12345678901234567890123456789012345678").Size(), 20u);
}

TEST(DynamoNumber, FromInt) {
  EXPECT_EQ(Number::FromInt(0).ToString(), "0");
  EXPECT_EQ(Number::FromInt(-42).ToString(), "-42");
  EXPECT_EQ(Number::FromInt(1000).ToString(), "1000");
  EXPECT_EQ(Number::FromInt(INT64_MIN).ToString(), "-9223372036854775808");
}

}  // namespace
}  // namespace cloudlite::dynamo
