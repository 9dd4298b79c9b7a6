// One Lambda invocation as the runtime loop sees it: Lambda's context, the event, and the reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace cloudlite::lambda {

// What Lambda says about one invocation (the headers of the Runtime API's /next).
struct InvocationContext {
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  int64_t deadline_ms = 0;       // Lambda-Runtime-Deadline-Ms: Unix time in ms; 0 = not given
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id (also exported as _X_AMZN_TRACE_ID)
  std::string client_context;    // Lambda-Runtime-Client-Context (mobile SDKs)
  std::string cognito_identity;  // Lambda-Runtime-Cognito-Identity (mobile SDKs)

  // The deadline on the steady clock, `margin` early, given the wall clock's `now_ms` and the
  // steady clock's `steady_now`: never before `steady_now`; time_point::max() when Lambda gave
  // none.
  std::chrono::steady_clock::time_point SteadyDeadline(
      std::chrono::milliseconds margin, int64_t now_ms,
      std::chrono::steady_clock::time_point steady_now) const;
};

struct Invocation {
  InvocationContext context;
  std::string event;
};

// A failure reported to Lambda: the Lambda-Runtime-Function-Error-Type header ("Category.Reason")
// and the errorMessage of the body.
struct FunctionError {
  std::string type;
  std::string message;
};

// What answers one invocation: the payload for /response, or an error for /error.
struct Reply {
  std::string payload;
  std::optional<FunctionError> error;
};

}  // namespace cloudlite::lambda
