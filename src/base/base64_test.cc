#include "base/base64.h"

#include <gtest/gtest.h>

namespace cloudlite {
namespace {

constexpr Base64Alphabet kUrl = Base64Alphabet::kUrl;
constexpr Base64Padding kUnpadded = Base64Padding::kUnpadded;

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("hello", Base64Alphabet::kStandard, kUnpadded), "aGVsbG8");
  EXPECT_EQ(Base64Encode("\xfb\xff", kUrl, kUnpadded), "-_8");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64Test, EveryLengthAndByteRoundTripsInEveryForm) {
  std::string all;
  for (int i = 0; i < 256; i++) all.push_back(static_cast<char>(i));
  for (Base64Alphabet alphabet : {Base64Alphabet::kStandard, kUrl}) {
    for (Base64Padding padding : {Base64Padding::kPadded, kUnpadded}) {
      for (size_t n = 0; n <= all.size(); n += 37) {
        std::string out;
        ASSERT_TRUE(Base64Decode(Base64Encode(all.substr(0, n), alphabet, padding), &out, alphabet,
                                 padding))
            << n;
        EXPECT_EQ(out, all.substr(0, n));
      }
    }
  }
}

TEST(Base64Test, PaddingMayBeLeftOutButNotMisplaced) {
  std::string out;
  for (std::string_view text : {"AQID", "AQI", "AQI=", "AQ", "AQ==", ""}) {
    EXPECT_TRUE(Base64Decode(text, &out)) << text;
  }
  ASSERT_TRUE(Base64Decode("AQI", &out));
  EXPECT_EQ(out, std::string("\x01\x02", 2));
  EXPECT_TRUE(Base64Decode("aGVsbG8", &out, kUrl, kUnpadded));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(Base64Decode("aGVsbG8=", &out, kUrl, kUnpadded));
}

TEST(Base64Test, RejectsWhatIsNotBase64) {
  std::string out;
  for (std::string_view text :
       {"A", "AQ=", "A===", "AQ?D", "AQI==", "ab=c", "a b=", "ab\ncd==", "=abc", "-_"}) {
    EXPECT_FALSE(Base64Decode(text, &out)) << text;
  }
  EXPECT_FALSE(Base64Decode("+/8", &out, kUrl));
}

TEST(Base64Test, LeftoverBitsMustBeZeroSoEachValueHasOneSpelling) {
  std::string out;
  EXPECT_TRUE(Base64Decode("AQ==", &out));
  EXPECT_FALSE(Base64Decode("AR==", &out));
  EXPECT_FALSE(Base64Decode("aGVsbG9", &out, kUrl, kUnpadded));
}

}  // namespace
}  // namespace cloudlite
