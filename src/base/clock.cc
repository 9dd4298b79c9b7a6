#include "base/clock.h"

#include <chrono>

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

const Clock& WallClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace cloudlite
