// Backoff between attempts: exponential with full jitter, and RetryPolicy, which retries a
// transient failure with it. The S3 and DynamoDB stores retry through RetryPolicy; a writer that
// lost a commit race backs off with RaceBackoff (the VFS before it moves pages, api/transaction
// before it runs again). The writer lease polls a known expiry on a schedule of its own
// (engine/writer_lease.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "cloudlite/status.h"

namespace cloudlite {

// A uniform random integer in [0, bound], injectable so tests can pick the draw.
using UniformRandom = std::function<uint64_t(uint64_t bound)>;

// min(cap, base * 2^(retry-1)) for retry >= 1 (smaller counts as 1); no overflow. Negative
// inputs count as 0.
int64_t BackoffCeiling(int64_t base, int64_t cap, int retry);

// A uniform draw in [0, bound]: `random(bound)` (kept within bound) when given, else from a
// thread-local generator.
uint64_t UniformUpTo(uint64_t bound, const UniformRandom& random = nullptr);

// How long to wait before trying to commit again after `lost` (>= 1) commit races lost in a row:
// a uniformly random time strictly below max(round_trip, 1 ms) x 2^(lost-1), and below 250 ms.
// Winners commit about once per round trip of the store, so coming back sooner mostly loses
// again and loads the store (docs/concurrency.md, "Backing off").
std::chrono::microseconds RaceBackoff(std::chrono::microseconds round_trip, int lost,
                                      const UniformRandom& random = nullptr);

// Exponential backoff with full jitter: before retry n (n >= 1) sleep a uniformly random
// duration in [0, min(max_delay, base_delay * 2^(n-1))]. Only Unavailable is retried;
// everything else (including Ambiguous) is returned at once.
struct RetryPolicy {
  int max_attempts = 5;  // total attempts, >= 1
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{5000};
  // Injectable so tests never sleep; default std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Uniform random in [0, bound]; default a thread-local PRNG. Injectable for tests.
  UniformRandom random;

  // The delay before retry `retry` (1-based), with jitter applied.
  std::chrono::milliseconds Delay(int retry) const;
  // Waits `d` through `sleep` (tests) or for real: for loops that retry on their own terms.
  void Pause(std::chrono::milliseconds d) const;

  // Runs `attempt` (called with the 1-based attempt number) until it returns a status that is
  // not retryable or attempts run out; returns the last status. When attempts run out the
  // message says how many were made.
  Status Run(const std::function<Status(int attempt)>& attempt) const;
};

}  // namespace cloudlite
