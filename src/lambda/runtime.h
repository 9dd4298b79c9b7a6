// The AWS Lambda Runtime API (docs/lambda.md, "The runtime loop"): the four calls of a custom
// runtime on the project's own HttpClient (keep-alive, TCP_NODELAY), and the loop that takes an
// event, hands it to a handler and answers.
//
//   GET  /2018-06-01/runtime/invocation/next            -> the event; never timed out
//   POST /2018-06-01/runtime/invocation/{id}/response   -> 202
//   POST /2018-06-01/runtime/invocation/{id}/error      -> 202
//   POST /2018-06-01/runtime/init/error                 -> 202, then the process exits
//
// Answers other than 202: 400 (wrong request id) and 403 (wrong state) are logged and the loop
// goes on with the next event; 413 (response over 6 MiB) is turned into an error report for that
// invocation; 500 means the container is broken, and the loop returns at once so the process
// exits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "lambda/invocation.h"
#include "net/http_client.h"

namespace cloudlite::lambda {

// Reads the context from /next's headers. InvalidArgument without a usable request id (it goes
// into a URL path, so only letters, digits, '-', '_' and '.') or with a malformed deadline.
Result<InvocationContext> ContextFromHeaders(const HttpResponse& response);

// {"errorMessage": ..., "errorType": ..., "stackTrace": []}
std::string EncodeFunctionError(const FunctionError& error);

enum class PostOutcome {
  kAccepted,  // 202
  kRejected,  // 400 or 403: this answer is lost; the loop goes on
  kTooLarge,  // 413: the response was over the limit; report an error instead
  kFatal,     // 500, any other status, or no answer at all: exit
};
struct PostResult {
  PostOutcome outcome = PostOutcome::kFatal;
  std::string detail;  // for the log: the status and what the API said
};

class RuntimeClient {
 public:
  // `api` is AWS_LAMBDA_RUNTIME_API: "host:port", no scheme.
  explicit RuntimeClient(std::string_view api);
  // From AWS_LAMBDA_RUNTIME_API; InvalidArgument when it is not set (not running in Lambda).
  static Result<std::unique_ptr<RuntimeClient>> FromEnvironment();

  // Waits for the next event for as long as it takes (Lambda may freeze the process meanwhile).
  // A transport failure is retried twice; a 500, any other non-200 answer or a third failure is
  // returned as an error, after which the runtime must exit.
  Result<Invocation> Next();
  PostResult PostResponse(const std::string& request_id, std::string_view payload);
  PostResult PostError(const std::string& request_id, const FunctionError& error);
  PostResult PostInitError(const FunctionError& error);

 private:
  PostResult Post(const std::string& path, std::string_view body, const FunctionError* error);

  std::string base_;  // http://host:port/2018-06-01/runtime
  HttpClient http_;
};

// Handles one invocation.
using EventHandler = std::function<Reply(const Invocation&)>;

// next -> handler -> response/error, until the Runtime API fails (then returns 1, the process's
// exit code). The handler's exceptions are caught and reported as Function.UnhandledException;
// _X_AMZN_TRACE_ID is set to each invocation's trace id while it runs.
int RunLoop(RuntimeClient& client, const EventHandler& handler);

// One line on stderr (CloudWatch Logs): "cloudlite-lambda: <message>".
void Log(std::string_view message);

}  // namespace cloudlite::lambda
