#include "engine/shared_probe.h"

#include "base/offline.h"

namespace cloudlite::engine {

Result<std::string> SharedProbe::Get(const std::string& key, const Fetch& fetch) {
  // A thread that may not wait neither waits for another's GET nor makes others wait for its
  // own (which may be refused): untimed, since a refusal says nothing of the store's speed.
  if (OfflineScope::Active()) {
    direct_fetches_.fetch_add(1, std::memory_order_relaxed);
    return fetch();
  }
  if (typical_fetch_ns_.load(std::memory_order_relaxed) < kShareAbove.count()) {
    direct_fetches_.fetch_add(1, std::memory_order_relaxed);
    return Timed(fetch);  // starts after this call did, like a shared one
  }
  std::unique_lock lock(mu_);
  Slot& slot = slots_[key];  // std::map: stays put while other keys come and go
  std::shared_ptr<Flight> mine;
  bool lead = false;
  if (slot.next) {
    mine = slot.next;  // not started yet: it starts after this call did
  } else if (slot.running) {
    mine = slot.next = std::make_shared<Flight>();  // the running one may predate this call
    lead = true;
  } else {
    mine = slot.running = std::make_shared<Flight>();
    lead = true;
  }
  if (!lead) {
    stats_.shared++;
    stats_.waiting++;
    changed_.wait(lock, [&] { return mine->result.has_value(); });
    stats_.waiting--;
    return *mine->result;
  }
  if (slot.running != mine) {
    stats_.waiting++;
    changed_.wait(lock, [&] { return slot.running == mine; });
    stats_.waiting--;
  }
  stats_.fetches++;
  lock.unlock();
  Result<std::string> result = Timed(fetch);
  lock.lock();
  mine->result = result;
  slot.running = std::move(slot.next);
  if (!slot.running) slots_.erase(key);
  changed_.notify_all();
  return result;
}

Result<std::string> SharedProbe::Timed(const Fetch& fetch) {
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> result = fetch();
  const int64_t took =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  // Racy read-modify-write on purpose: a lost update only delays the average by one GET.
  const int64_t typical = typical_fetch_ns_.load(std::memory_order_relaxed);
  typical_fetch_ns_.store(typical + (took - typical) / 8, std::memory_order_relaxed);
  return result;
}

SharedProbe::Stats SharedProbe::stats() const {
  std::lock_guard lock(mu_);
  Stats stats = stats_;
  stats.fetches += direct_fetches_.load(std::memory_order_relaxed);
  stats.unchanged = unchanged_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace cloudlite::engine
