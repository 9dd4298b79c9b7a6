#include "base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace cloudlite {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override { return WallMicros(); }
};

}  // namespace

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IsoTime(int64_t unix_micros) {
  // Floor division: a time before 1970 still has its microseconds in [0, 1e6).
  int64_t seconds = unix_micros / 1'000'000;
  int64_t micros = unix_micros % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_micros) + " µs";
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return text;
}

const Clock& WallClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace cloudlite
