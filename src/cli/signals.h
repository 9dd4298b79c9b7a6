// What SIGINT, SIGTERM and SIGHUP do to a command that is part way through.
#pragma once

#include <atomic>

namespace cloudlite::cli {

// While one of these is alive, SIGINT, SIGTERM and SIGHUP ask the command to stop instead of
// killing the process on the spot: push and pull check `requested()` between chunks, remove
// their temporary files and return. A second signal ends the process at once (the default
// action), for a stop that takes too long. One at a time per process.
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  const std::atomic<bool>* requested() const;
  // The first signal received, 0 if none.
  int signal() const;
  // The shell's convention for a command ended by a signal: 128 + its number.
  int ExitCode() const { return 128 + signal(); }
};

}  // namespace cloudlite::cli
