// Threads kept for background jobs (a database's checkpoint, its garbage collection): a job
// starts on an idle one, or on a new one when none is idle, so that starting it costs a wake-up
// instead of creating a thread, which the commit that starts a checkpoint paid (about 40 us,
// docs/benchmarks.md, "Where a 1-client write's time goes now"). A thread idle for a minute ends.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <future>

namespace cloudlite {

// Runs `job` on a kept thread and returns what to wait on for its end. Throws std::system_error,
// as std::thread does, when no thread is idle and the system refuses a new one.
std::future<void> RunInBackground(std::function<void()> job);

// Kept threads waiting for a job (tests wait for a thread to be back before the next job).
size_t IdleBackgroundThreads();

}  // namespace cloudlite
