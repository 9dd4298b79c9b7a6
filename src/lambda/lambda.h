// Run(handler): the main() of a C++ AWS Lambda function (a custom runtime's `bootstrap`) that
// serves HTTP requests with a server::Handler, the same Handler type `cloudlite serve` uses.
//
//   int main() {
//     return cloudlite::lambda::Run([](const cloudlite::server::Request& request) {
//       return cloudlite::server::Response::Text(200, "hello\n");
//     });
//   }
//
// Each event (API Gateway HTTP API or REST API, function URL, ALB, direct invocation; see
// lambda/events.h) becomes a Request whose deadline is Lambda's, `deadline_margin` early, and
// the Response goes back in the event's own shape. cmake/CloudliteLambda.cmake packages the
// program as a zip; docs/lambda.md has the whole story.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "cloudlite/status.h"
#include "lambda/events.h"
#include "lambda/invocation.h"
#include "server/http/handler.h"

namespace cloudlite::lambda {

struct RunOptions {
  // Where a direct invocation (an event of no HTTP shape) is POSTed, its payload the body.
  std::string direct_path = "/";
  // Request::deadline is Lambda's deadline this much early: time to encode and send the answer.
  std::chrono::milliseconds deadline_margin{200};
  size_t max_response_bytes = kMaxResponseBytes;
};

// Runs the function until the Runtime API fails, and returns the process's exit code (1). Not
// running under Lambda (no AWS_LAMBDA_RUNTIME_API) returns 2 at once with a message.
int Run(server::Handler handler, const RunOptions& options = {});

// The same, after `init` (opening databases, reading configuration) made the handler. An init
// failure is reported to Lambda (POST /runtime/init/error) and Run returns 1.
using InitFunction = std::function<Result<server::Handler>()>;
int Run(const InitFunction& init, const RunOptions& options = {});

// The invocation being handled on this thread, or nullptr outside a handler.
const InvocationContext* CurrentInvocation();

// One invocation through `handler`: decode, call, encode. An event that cannot be decoded is a
// Function.InvalidEvent error. Run calls this; exposed for tests.
Reply ServeEvent(const server::Handler& handler, const Invocation& invocation,
                 const RunOptions& options);

// The Lambda-Runtime-Function-Error-Type of an init failure with status `s`.
std::string InitErrorType(const Status& s);

}  // namespace cloudlite::lambda
