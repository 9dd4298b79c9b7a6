#include "engine/shared_probe.h"

namespace cloudlite::engine {

Result<std::string> SharedProbe::Get(const std::string& key, const Fetch& fetch) {
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
  Result<std::string> result = fetch();
  lock.lock();
  mine->result = result;
  slot.running = std::move(slot.next);
  if (!slot.running) slots_.erase(key);
  changed_.notify_all();
  return result;
}

SharedProbe::Stats SharedProbe::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace cloudlite::engine
