#include "base/hex.h"

#include <gtest/gtest.h>

#include <string>

namespace cloudlite {
namespace {

TEST(HexTest, EncodesEveryByteAsTwoLowercaseDigits) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\x7f\x80\xab\xff", 6)), "00017f80abff");
  EXPECT_EQ(HexEncode("AZ"), "415a");
}

TEST(HexTest, AllByteValuesRoundTripThroughTheirDigits) {
  for (int b = 0; b < 256; b++) {
    std::string out = "x";
    AppendHex(static_cast<unsigned char>(b), &out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(std::stoi(out.substr(1), nullptr, 16), b);
    EXPECT_EQ(out.substr(1), HexEncode(std::string(1, static_cast<char>(b))));
  }
}

}  // namespace
}  // namespace cloudlite
