#include "lambda/lambda.h"

#include <exception>
#include <memory>
#include <utility>

#include "lambda/runtime.h"

namespace cloudlite::lambda {
namespace {

thread_local const InvocationContext* current_invocation = nullptr;

// Sets CurrentInvocation() for the duration of one handler call, exceptions included.
class CurrentScope {
 public:
  explicit CurrentScope(const InvocationContext* context) { current_invocation = context; }
  ~CurrentScope() { current_invocation = nullptr; }
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const InvocationContext* CurrentInvocation() { return current_invocation; }

Reply ServeEvent(const server::Handler& handler, const Invocation& invocation,
                 const RunOptions& options) {
  Result<DecodedEvent> decoded = DecodeEvent(invocation.event, {options.direct_path});
  if (!decoded.ok())
    return {{}, FunctionError{"Function.InvalidEvent", decoded.status().message()}};
  decoded->request.deadline = invocation.context.SteadyDeadline(options.deadline_margin, NowMs(),
                                                                std::chrono::steady_clock::now());
  CurrentScope scope(&invocation.context);
  server::Response response = handler(decoded->request);
  return {EncodeResponse(decoded->shape, std::move(response), options.max_response_bytes), {}};
}

std::string InitErrorType(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
    case Status::Code::kPermissionDenied:
      return "Runtime.ConfigInvalid";
    case Status::Code::kUnavailable:
      return "Runtime.Unavailable";
    default:
      return "Runtime.InitError";
  }
}

int Run(const InitFunction& init, const RunOptions& options) {
  Result<std::unique_ptr<RuntimeClient>> client = RuntimeClient::FromEnvironment();
  if (!client.ok()) {
    Log(client.status().message());
    return 2;
  }
  Result<server::Handler> handler = Status::Internal("init did not run");
  try {
    handler = init ? init() : Status::InvalidArgument("no init function given");
  } catch (const std::exception& e) {
    handler = Status::Internal(std::string("init threw: ") + e.what());
  } catch (...) {
    handler = Status::Internal("init threw a non-exception");
  }
  if (handler.ok() && !*handler) handler = Status::InvalidArgument("init returned no handler");
  if (!handler.ok()) {
    Log("init failed: " + handler.status().ToString());
    PostResult posted =
        (*client)->PostInitError({InitErrorType(handler.status()), handler.status().ToString()});
    if (posted.outcome != PostOutcome::kAccepted) Log("init/error not accepted: " + posted.detail);
    return 1;
  }
  const server::Handler& serve = *handler;
  return RunLoop(**client, [&](const Invocation& invocation) {
    return ServeEvent(serve, invocation, options);
  });
}

int Run(server::Handler handler, const RunOptions& options) {
  return Run([&]() -> Result<server::Handler> { return std::move(handler); }, options);
}

}  // namespace cloudlite::lambda
