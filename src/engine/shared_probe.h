// SharedProbe: the freshness probes (GETs of log/<v+1>) of a process's engines, made once for
// every reader that asks at about the same time (single flight).
//
// A read transaction that starts at time t may serve version v only if log/<v+1> was absent at
// some moment after t. So a reader never takes the answer of a probe already under way when it
// asked: that GET may have been served before t, and miss a commit acknowledged just before t.
// It joins the next probe instead, one that has not started yet (or starts it), and every
// reader that joins it asked before it started. Its answer is then true at a moment inside
// every joiner's transaction: reads stay linearizable (docs/server.md, "Freshness"), and with N
// readers at once one probe is under way and at most one waits, instead of N.
//
// Waiting is not free: a waiter sleeps and is woken, two context switches that cost more than a
// GET of a local file. So sharing is kept for stores whose GETs are slow: while the recent GETs
// (a moving average) took less than kShareAbove, each caller makes its own, which is as fresh.
// Thread-safe; shared by engines through EngineOptions::probe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cloudlite/status.h"

namespace cloudlite::engine {

class SharedProbe {
 public:
  using Fetch = std::function<Result<std::string>()>;

  // The result of `fetch` (a GET of `key`; its bytes, NotFound or an error), run by this caller
  // or by another that asked for the same key, always by one that started after this call did.
  Result<std::string> Get(const std::string& key, const Fetch& fetch);

  struct Stats {
    uint64_t fetches = 0;    // GETs made
    uint64_t shared = 0;     // calls answered by another caller's GET
    uint64_t waiting = 0;    // callers waiting now, for their turn or for another's GET
    uint64_t unchanged = 0;  // probes left unmade: the store's watch saw no change (Engine)
  };
  Stats stats() const;
  void CountUnchanged() { unchanged_.fetch_add(1, std::memory_order_relaxed); }

  // GETs quicker than this on average are not shared: about what a waiter's sleep and wake-up
  // cost on a busy 2-core machine, measured in bench/serve_bench.sh's point queries (file://).
  static constexpr std::chrono::nanoseconds kShareAbove = std::chrono::microseconds(50);

 private:
  // Runs `fetch` and folds its duration into the moving average.
  Result<std::string> Timed(const Fetch& fetch);

  struct Flight {
    std::optional<Result<std::string>> result;  // set when its GET ended
  };
  struct Slot {
    std::shared_ptr<Flight> running;  // its GET is under way (or about to be)
    std::shared_ptr<Flight> next;     // starts when `running` ends; callers join it
  };

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Slot> slots_;  // only keys with a flight running
  Stats stats_;
  std::atomic<uint64_t> direct_fetches_{0};
  std::atomic<uint64_t> unchanged_{0};
  // A moving average (1/8 weight to the newest) of GET durations. It starts above kShareAbove,
  // so a store proves fast before its callers stop sharing.
  std::atomic<int64_t> typical_fetch_ns_{2 * kShareAbove.count()};
};

}  // namespace cloudlite::engine
