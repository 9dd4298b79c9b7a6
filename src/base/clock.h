// The wall clock, in the unit the log and the lease store (microseconds since the Unix epoch).
// Components that need a fake clock in tests take a `std::function<int64_t()> now_micros` and
// fall back to this.
#pragma once

#include <cstdint>

namespace cloudlite {

int64_t WallMicros();

}  // namespace cloudlite
