#include "lambda/runtime.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

namespace cloudlite::lambda {
namespace {

namespace json = boost::json;

std::string HeaderOr(const HttpResponse& response, std::string_view name) {
  const std::string* v = response.FindHeader(name);
  return v == nullptr ? std::string() : *v;
}

bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The API's answer in a log line: bounded, one line.
std::string Describe(const HttpResponse& response) {
  std::string body = response.body.substr(0, 300);
  for (char& c : body) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return "HTTP " + std::to_string(response.status) + (body.empty() ? "" : " " + body);
}

// Custom runtimes export the X-Ray trace id themselves (Lambda does it for managed runtimes).
void ExportTraceId(const std::string& trace_id) {
  if (trace_id.empty()) {
    unsetenv("_X_AMZN_TRACE_ID");
  } else {
    setenv("_X_AMZN_TRACE_ID", trace_id.c_str(), 1);
  }
}

Reply CallHandler(const EventHandler& handler, const Invocation& invocation) {
  try {
    return handler(invocation);
  } catch (const std::exception& e) {
    return {{}, FunctionError{"Function.UnhandledException", e.what()}};
  } catch (...) {
    return {{}, FunctionError{"Function.UnhandledException", "the handler threw a non-exception"}};
  }
}

}  // namespace

std::chrono::steady_clock::time_point InvocationContext::SteadyDeadline(
    std::chrono::milliseconds margin, int64_t now_ms,
    std::chrono::steady_clock::time_point steady_now) const {
  if (deadline_ms <= 0) return std::chrono::steady_clock::time_point::max();
  const int64_t left = deadline_ms - now_ms - margin.count();
  return left <= 0 ? steady_now : steady_now + std::chrono::milliseconds(left);
}

Result<InvocationContext> ContextFromHeaders(const HttpResponse& response) {
  InvocationContext context;
  context.request_id = HeaderOr(response, "lambda-runtime-aws-request-id");
  if (!IsSafeRequestId(context.request_id)) {
    return Status::InvalidArgument("the Runtime API sent no usable Lambda-Runtime-Aws-Request-Id");
  }
  const std::string deadline = HeaderOr(response, "lambda-runtime-deadline-ms");
  if (!deadline.empty()) {
    if (deadline.size() > 18 || deadline.find_first_not_of("0123456789") != std::string::npos) {
      return Status::InvalidArgument("the Runtime API sent a malformed Lambda-Runtime-Deadline-Ms");
    }
    context.deadline_ms = std::stoll(deadline);
  }
  context.function_arn = HeaderOr(response, "lambda-runtime-invoked-function-arn");
  context.trace_id = HeaderOr(response, "lambda-runtime-trace-id");
  context.client_context = HeaderOr(response, "lambda-runtime-client-context");
  context.cognito_identity = HeaderOr(response, "lambda-runtime-cognito-identity");
  return context;
}

std::string EncodeFunctionError(const FunctionError& error) {
  json::object body;
  body["errorMessage"] = error.message;
  body["errorType"] = error.type;
  body["stackTrace"] = json::array();
  return json::serialize(body);
}

namespace {
HttpClientOptions RuntimeHttpOptions() {
  HttpClientOptions options;
  options.max_idle_handles = 2;  // one call at a time: /next, then the answer
  return options;
}
}  // namespace

RuntimeClient::RuntimeClient(std::string_view api)
    : base_("http://" + std::string(api) + "/2018-06-01/runtime"), http_(RuntimeHttpOptions()) {}

Result<std::unique_ptr<RuntimeClient>> RuntimeClient::FromEnvironment() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr || *api == '\0') {
    return Status::InvalidArgument(
        "AWS_LAMBDA_RUNTIME_API is not set: this program is an AWS Lambda function (a custom "
        "runtime's bootstrap) and runs inside Lambda or under a mock Runtime API");
  }
  return std::make_unique<RuntimeClient>(api);
}

Result<Invocation> RuntimeClient::Next() {
  HttpRequest request;
  request.url = base_ + "/invocation/next";
  // Lambda may freeze the process in the middle of this request, for as long as it likes.
  request.no_timeout = true;
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> response = http_.Send(request);
    if (!response.ok()) {
      if (attempt == kAttempts) return response.status().WithContext("Runtime API /next");
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
      continue;
    }
    if (response->status != 200) {
      return Status::Unavailable("Runtime API /next answered " + Describe(*response) +
                                 (response->status == 500 ? " (container error: exiting)" : ""));
    }
    CL_ASSIGN_OR_RETURN(InvocationContext context, ContextFromHeaders(*response));
    return Invocation{std::move(context), std::move(response->body)};
  }
}

PostResult RuntimeClient::PostResponse(const std::string& request_id, std::string_view payload) {
  return Post("/invocation/" + request_id + "/response", payload, nullptr);
}

PostResult RuntimeClient::PostError(const std::string& request_id, const FunctionError& error) {
  return Post("/invocation/" + request_id + "/error", EncodeFunctionError(error), &error);
}

PostResult RuntimeClient::PostInitError(const FunctionError& error) {
  return Post("/init/error", EncodeFunctionError(error), &error);
}

PostResult RuntimeClient::Post(const std::string& path, std::string_view body,
                               const FunctionError* error) {
  HttpRequest request;
  request.method = "POST";
  request.url = base_ + path;
  request.body = body;
  request.SetHeader("Content-Type", "application/json");
  if (error != nullptr) request.SetHeader("Lambda-Runtime-Function-Error-Type", error->type);
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    Delivery delivery = Delivery::kPossiblyDelivered;
    Result<HttpResponse> response = http_.Send(request, &delivery);
    if (!response.ok()) {
      // Resending is safe only when the API certainly never saw the answer.
      if (delivery == Delivery::kNotDelivered && attempt < kAttempts) continue;
      return {PostOutcome::kFatal, response.status().ToString()};
    }
    const int status = response->status;
    const std::string detail = "POST " + path + ": " + Describe(*response);
    if (status >= 200 && status < 300) return {PostOutcome::kAccepted, detail};
    if (status == 400 || status == 403) return {PostOutcome::kRejected, detail};
    if (status == 413) return {PostOutcome::kTooLarge, detail};
    return {PostOutcome::kFatal, detail};
  }
}

int RunLoop(RuntimeClient& client, const EventHandler& handler) {
  for (;;) {
    Result<Invocation> next = client.Next();
    if (!next.ok()) {
      Log(next.status().ToString());
      return 1;
    }
    const Invocation& invocation = *next;
    const std::string& id = invocation.context.request_id;
    ExportTraceId(invocation.context.trace_id);
    Reply reply = CallHandler(handler, invocation);
    PostResult posted;
    if (reply.error) {
      Log("invocation " + id + " failed: " + reply.error->type + ": " + reply.error->message);
      posted = client.PostError(id, *reply.error);
    } else {
      posted = client.PostResponse(id, reply.payload);
      if (posted.outcome == PostOutcome::kTooLarge) {
        Log("invocation " + id + ": response refused as too large (" + posted.detail + ")");
        posted = client.PostError(id, {"Function.ResponseSizeTooLarge",
                                       "the response (" + std::to_string(reply.payload.size()) +
                                           " bytes) is over the Runtime API's limit"});
      }
    }
    switch (posted.outcome) {
      case PostOutcome::kAccepted:
        break;
      case PostOutcome::kRejected:
      case PostOutcome::kTooLarge:
        Log("invocation " + id + ": answer not accepted, going on: " + posted.detail);
        break;
      case PostOutcome::kFatal:
        Log("invocation " + id + ": the Runtime API failed, exiting: " + posted.detail);
        return 1;
    }
  }
}

void Log(std::string_view message) {
  std::string line = "cloudlite-lambda: ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace cloudlite::lambda
