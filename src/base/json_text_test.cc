#include "base/json_text.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

namespace cloudlite {
namespace {

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

TEST(JsonText, EscapesWhatJsonRequiresAndNothingElse) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("plain text / 100%"), R"("plain text / 100%")");
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Quoted(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Quoted("h\xc3\xa9llo \xf0\x9f\x98\x80"), "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"");
}

TEST(JsonText, EveryPositionOfAnEscapeInAndAcrossEightByteWords) {
  // The scan takes eight bytes at a time: an escape in each position of a word, and at its ends.
  for (size_t length = 0; length <= 24; length++) {
    for (size_t at = 0; at < length; at++) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string text(length, 'x');
        text[at] = special;
        boost::json::value parsed = boost::json::parse(Quoted(text));
        ASSERT_EQ(parsed.as_string(), text) << length << " " << at;
      }
    }
  }
}

TEST(JsonText, AnyTextComesBackFromAJsonParser) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 5000; i++) {
    // ASCII bytes of every kind (0x20 and 0x7f, the edges, included), and UTF-8 sequences.
    std::string text;
    for (size_t n = random() % 64; n > 0; n--) {
      const unsigned c = random() % 0x82;
      if (c == 0x80) {
        text += "\xc3\xa9";
      } else if (c == 0x81) {
        text += "\xe2\x82\xac";
      } else {
        text += static_cast<char>(c);
      }
    }
    const std::string json = Quoted(text);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << json;
    ASSERT_EQ(v.as_string(), text) << json;
  }
}

}  // namespace
}  // namespace cloudlite
