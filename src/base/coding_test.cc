#include "base/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cloudlite {
namespace {

bool Decodes(std::string_view bytes, uint64_t* v) {
  Reader r(bytes);
  return r.Varint64(v) && r.rest().empty();
}

TEST(Varint64, EveryValueHasOneEncoding) {
  for (uint64_t v :
       {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 63, UINT64_MAX}) {
    std::string bytes;
    PutVarint64(&bytes, v);
    uint64_t back = 0;
    EXPECT_TRUE(Decodes(bytes, &back)) << v;
    EXPECT_EQ(back, v);
  }
  uint64_t v = 0;
  EXPECT_FALSE(Decodes(std::string("\x80\x00", 2), &v));  // a zero last byte adds nothing
  // A tenth byte above 1 holds bits past the 64th, which would be dropped (found by the
  // dynamo_value fuzz target: these ten bytes read as 0).
  EXPECT_FALSE(Decodes(std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x62", 10), &v));
  EXPECT_FALSE(Decodes(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10), &v));
  EXPECT_FALSE(Decodes(std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11), &v));
}

}  // namespace
}  // namespace cloudlite
