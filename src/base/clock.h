// Time, in the unit the log and the lease store use (microseconds since the Unix epoch).
// Code that needs a fake clock in tests takes a `const Clock&` (options structs: a
// `const Clock*`), default `WallClock()`; tests pass a FakeClock and move it by hand.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace cloudlite {

// The system clock: microseconds since the Unix epoch.
int64_t WallMicros();

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch. Safe to call from any thread.
  virtual int64_t NowMicros() const = 0;
};

// "2024-05-01T12:00:00.000123Z": a time in microseconds since the Unix epoch as ISO 8601 UTC
// with microseconds, for logs, messages and output.
std::string IsoTime(int64_t unix_micros);

// The process's one real clock (WallMicros).
const Clock& WallClock();

// A clock that moves only when told: for tests. Every member is safe to call from any thread;
// Advance from several threads adds up (no update is lost).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 0) : now_(start_micros) {}

  int64_t NowMicros() const override { return now_.load(std::memory_order_acquire); }
  void SetMicros(int64_t now) { now_.store(now, std::memory_order_release); }
  // Moves the clock by `delta` (negative moves it back, as a stepped system clock can) and
  // returns the new time.
  int64_t AdvanceMicros(int64_t delta) {
    return now_.fetch_add(delta, std::memory_order_acq_rel) + delta;
  }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace cloudlite
