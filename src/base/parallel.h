// The one parallel-for: a few jobs at once on short-lived threads, errors as values.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include "cloudlite/status.h"

namespace cloudlite {

// Runs job(0) .. job(count-1), each once, on up to `threads` threads (the caller's among them),
// handing out indices in ascending order. After the first error no new job starts; `failed`
// (may be null) is set so that running jobs can stop early, and that error is returned once all
// have finished. When the system refuses a thread, fewer threads do the same jobs: never
// std::terminate, never a job skipped.
Status ForEachInParallel(size_t count, int threads, std::atomic<bool>* failed,
                         const std::function<Status(size_t)>& job);

}  // namespace cloudlite
