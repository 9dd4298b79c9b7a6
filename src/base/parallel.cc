#include "base/parallel.h"

#include <algorithm>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace cloudlite {

Status ForEachInParallel(size_t count, int threads, std::atomic<bool>* failed,
                         const std::function<Status(size_t)>& job) {
  std::mutex mu;
  size_t next = 0;
  Status first_error;
  auto work = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!first_error.ok() || next >= count) return;
        i = next++;
      }
      Status s = job(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = std::move(s);
        if (failed != nullptr) failed->store(true);
      }
    }
  };
  std::vector<std::thread> helpers;
  size_t wanted = std::min<size_t>(count, static_cast<size_t>(std::max(1, threads)));
  try {
    helpers.reserve(wanted);
  } catch (const std::bad_alloc&) {
    wanted = 1;  // no room to track helpers: the caller's thread does every job
  }
  for (size_t i = 1; i < wanted; i++) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: fewer workers, same result
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  return first_error;
}

}  // namespace cloudlite
