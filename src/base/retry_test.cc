#include "base/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace cloudlite {
namespace {

TEST(BackoffCeilingTest, DoublesFromTheBaseUpToTheCap) {
  EXPECT_EQ(BackoffCeiling(100, 1000, 1), 100);
  EXPECT_EQ(BackoffCeiling(100, 1000, 0), 100);  // counts as the first retry
  EXPECT_EQ(BackoffCeiling(100, 1000, 3), 400);
  EXPECT_EQ(BackoffCeiling(100, 1000, 5), 1000);
  EXPECT_EQ(BackoffCeiling(0, 1000, 1 << 30), 0);  // ends at once, however large the retry
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(BackoffCeiling(kMax / 3, kMax, 5), kMax);  // no overflow
  EXPECT_EQ(BackoffCeiling(-5, 1000, 3), 0);
}

TEST(UniformUpToTest, StaysWithinTheBound) {
  EXPECT_EQ(UniformUpTo(7, [](uint64_t) { return uint64_t{1000}; }), 7u);  // clamped
  EXPECT_EQ(UniformUpTo(7, [](uint64_t bound) { return bound / 2; }), 3u);
  EXPECT_EQ(UniformUpTo(0), 0u);
  bool saw_top = false;
  for (int i = 0; i < 1000; i++) {
    uint64_t v = UniformUpTo(3);
    EXPECT_LE(v, 3u);
    saw_top |= v == 3;
  }
  EXPECT_TRUE(saw_top);  // the bound itself is drawn (p of missing it: 0.75^1000)
}

// The top draw is one microsecond below the ceiling: max(round trip, 1 ms) doubling per race,
// at most 250 ms.
TEST(RaceBackoffTest, StaysBelowTheRoundTripDoublingUpToAQuarterSecond) {
  auto top = [](uint64_t bound) { return bound; };
  using std::chrono::microseconds;
  EXPECT_EQ(RaceBackoff(microseconds(0), 1, top), microseconds(999));
  EXPECT_EQ(RaceBackoff(microseconds(3000), 1, top), microseconds(2999));
  EXPECT_EQ(RaceBackoff(microseconds(3000), 3, top), microseconds(11999));
  EXPECT_EQ(RaceBackoff(microseconds(3000), 60, top), microseconds(249999));
  EXPECT_EQ(RaceBackoff(microseconds(3000), 2, [](uint64_t) { return uint64_t{0}; }),
            microseconds(0));
}

TEST(RetryPolicy, FullJitterBounds) {
  RetryPolicy p;
  p.base_delay = std::chrono::milliseconds(100);
  p.max_delay = std::chrono::milliseconds(1000);
  std::vector<uint64_t> bounds;
  p.random = [&](uint64_t bound) {
    bounds.push_back(bound);
    return bound;  // the top of the range
  };
  EXPECT_EQ(p.Delay(1).count(), 100);
  EXPECT_EQ(p.Delay(2).count(), 200);
  EXPECT_EQ(p.Delay(4).count(), 800);
  EXPECT_EQ(p.Delay(5).count(), 1000);  // capped
  EXPECT_EQ(p.Delay(60).count(), 1000);
  p.random = [](uint64_t) { return 0; };
  EXPECT_EQ(p.Delay(3).count(), 0);
  // Without an injected source the delay still lies in range.
  p.random = nullptr;
  for (int i = 0; i < 100; i++) {
    auto d = p.Delay(3).count();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 400);
  }
}

TEST(RetryPolicy, RetriesOnlyUnavailable) {
  RetryPolicy p;
  p.max_attempts = 4;
  std::vector<std::chrono::milliseconds> slept;
  p.sleep = [&](std::chrono::milliseconds d) { slept.push_back(d); };
  p.random = [](uint64_t bound) { return bound; };

  int calls = 0;
  Status s = p.Run([&](int attempt) {
    EXPECT_EQ(attempt, ++calls);
    return attempt < 3 ? Status::Unavailable("503") : Status::Ok();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(slept.size(), 2u);
  EXPECT_EQ(slept[0].count(), 50);
  EXPECT_EQ(slept[1].count(), 100);

  calls = 0;
  s = p.Run([&](int) {
    calls++;
    return Status::Unavailable("slow down");
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("after 4 attempts"), std::string::npos);

  for (Status final :
       {Status::Ambiguous("?"), Status::NotFound("x"), Status::PermissionDenied("no")}) {
    calls = 0;
    s = p.Run([&](int) {
      calls++;
      return final;
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(s.code(), final.code());
  }
}

}  // namespace
}  // namespace cloudlite
