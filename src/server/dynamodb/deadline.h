// When a request's answer is due (CallContext::deadline: Lambda's deadline less a margin, or the
// server's request timeout) and whether that time has come: the one place the operations and
// the partitions ask. What they do once it has is in docs/dynamodb.md, "Deadlines": work not yet
// begun is not run (a read stops, its page so far answered with a LastEvaluatedKey; a batch's
// rest is unprocessed; a write not yet in a commit is refused with NotRunInTime), work inside a
// commit waits for its outcome.
#pragma once

#include <chrono>
#include <functional>

#include "cloudlite/status.h"

namespace cloudlite::server::dynamodb {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  // The time deadlines are compared with: Clock::now, or a test's.
  using Now = std::function<Clock::time_point()>;

  Deadline() = default;  // never passes
  // Passes at `at`, as `now` tells the time when it is given (it must outlive this).
  explicit Deadline(Clock::time_point at, const Now* now = nullptr) : at_(at), now_(now) {}

  bool Passed() const {
    if (at_ == Clock::time_point::max()) return false;
    return (now_ && *now_ ? (*now_)() : Clock::now()) >= at_;
  }
  // For a wait bounded by it (on the real steady clock).
  Clock::time_point at() const { return at_; }

 private:
  Clock::time_point at_ = Clock::time_point::max();
  const Now* now_ = nullptr;
};

// The status of work not run because its deadline had passed: nothing of it happened, and the
// caller may send it again. The wire answers it as RequestTimeoutException (ErrorFromStatus).
inline Status NotRunInTime() {
  return Status::DeadlineExceeded(
      "the request's deadline passed before this part of it was run: nothing of it was done, "
      "retry");
}
inline bool IsNotRunInTime(const Status& s) { return s.code() == Status::Code::kDeadlineExceeded; }

}  // namespace cloudlite::server::dynamodb
