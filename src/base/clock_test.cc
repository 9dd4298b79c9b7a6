#include "base/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace cloudlite {
namespace {

TEST(ClockTest, IsoTimeIsUtcWithMicroseconds) {
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(IsoTime(1714564800123456), "2024-05-01T12:00:00.123456Z");
  EXPECT_EQ(IsoTime(-1), "1969-12-31T23:59:59.999999Z");  // floor, not truncation
}

TEST(ClockTest, WallClockReadsTheSystemClock) {
  int64_t before = WallMicros();
  int64_t now = WallClock().NowMicros();
  int64_t after = WallMicros();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  // 2020-01-01 in microseconds: a clock in seconds or milliseconds would be far below it.
  EXPECT_GT(now, int64_t{1577836800} * 1000 * 1000);
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMicros(), 1000);
  EXPECT_EQ(clock.NowMicros(), 1000);
  EXPECT_EQ(clock.AdvanceMicros(250), 1250);
  EXPECT_EQ(clock.NowMicros(), 1250);
  clock.SetMicros(7);
  EXPECT_EQ(clock.NowMicros(), 7);
  EXPECT_EQ(clock.AdvanceMicros(-10), -3);  // a stepped-back system clock
  EXPECT_EQ(FakeClock().NowMicros(), 0);
}

TEST(ClockTest, FakeClockIsUsableThroughTheInterface) {
  FakeClock fake(42);
  const Clock& clock = fake;
  fake.AdvanceMicros(8);
  EXPECT_EQ(clock.NowMicros(), 50);
}

TEST(ClockTest, ConcurrentAdvancesAllCount) {
  FakeClock clock;
  constexpr int kThreads = 4;
  constexpr int kSteps = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < kSteps; i++) {
        clock.AdvanceMicros(1);
        (void)clock.NowMicros();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(clock.NowMicros(), kThreads * kSteps);
}

}  // namespace
}  // namespace cloudlite
