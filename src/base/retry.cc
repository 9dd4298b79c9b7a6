#include "base/retry.h"

#include <algorithm>
#include <random>
#include <string>
#include <thread>

namespace cloudlite {

int64_t BackoffCeiling(int64_t base, int64_t cap, int retry) {
  base = std::max<int64_t>(0, base);
  cap = std::max<int64_t>(0, cap);
  int64_t ceiling = base;
  for (int i = 1; i < retry && ceiling > 0 && ceiling < cap; i++) {
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  }
  return std::min(ceiling, cap);
}

uint64_t UniformUpTo(uint64_t bound, const UniformRandom& random) {
  if (random) return std::min(random(bound), bound);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_int_distribution<uint64_t>(0, bound)(rng);
}

std::chrono::microseconds RaceBackoff(std::chrono::microseconds round_trip, int lost,
                                      const UniformRandom& random) {
  constexpr std::chrono::microseconds kMin{1000}, kMax{250000};
  const int64_t ceiling = BackoffCeiling(std::max(round_trip, kMin).count(), kMax.count(), lost);
  return std::chrono::microseconds(UniformUpTo(static_cast<uint64_t>(ceiling - 1), random));
}

std::chrono::milliseconds RetryPolicy::Delay(int retry) const {
  const int64_t ceiling = BackoffCeiling(base_delay.count(), max_delay.count(), retry);
  return std::chrono::milliseconds(
      static_cast<int64_t>(UniformUpTo(static_cast<uint64_t>(ceiling), random)));
}

Status RetryPolicy::Run(const std::function<Status(int attempt)>& attempt) const {
  const int attempts = std::max(1, max_attempts);
  for (int n = 1;; n++) {
    Status s = attempt(n);
    if (s.ok() || !s.IsRetryable()) return s;
    if (n >= attempts) {
      if (attempts == 1) return s;
      return Status(s.code(), s.message() + " (gave up after " + std::to_string(n) + " attempts)");
    }
    Pause(Delay(n));
  }
}

void RetryPolicy::Pause(std::chrono::milliseconds d) const {
  if (sleep) {
    sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

}  // namespace cloudlite
