// The DynamoDB wire: DynamoDB's JSON protocol over HTTP as a server::Handler, in front of an
// `Operations` (operation.h). It owns everything between the bytes and one Operations::Run call:
//
//   POST / with X-Amz-Target: DynamoDB_20120810.<Op> and a JSON object body
//   (Content-Type application/x-amz-json-1.0 or 1.1)     -> Operations::Run
//   GET /metrics                                        -> Prometheus (when a registry is given)
//   GET /readyz                                         -> 200 / 503 (when a probe is given)
//
// and answers as DynamoDB does, in DynamoDB's order of checks: a request that is not a POST of
// JSON is 404 <UnknownOperationException/>; malformed JSON or a body that is not an object is
// SerializationException; a missing or unknown target is UnknownOperationException; then SigV4
// (when credentials are configured: MissingAuthenticationTokenException,
// IncompleteSignatureException, UnrecognizedClientException, InvalidSignatureException); then the
// operation. Every answer carries x-amzn-RequestId (unique per request) and x-amz-crc32 (the
// CRC-32 of the body). Errors are {"__type": "com.amazonaws.dynamodb.v20120810#<type>",
// "message": ...} (SerializationException says "Message", as DynamoDB does). docs/dynamodb.md,
// "Running the server", says it all for users.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "server/dynamodb/operation.h"
#include "server/http/handler.h"
#include "server/http/metrics.h"

namespace cloudlite::server::dynamodb {

inline constexpr std::string_view kErrorPrefix = "com.amazonaws.dynamodb.v20120810#";

// An access key and its secret (and, for temporary credentials, the session token requests must
// carry). What --credentials FILE holds.
struct AccessKey {
  std::string id;
  std::string secret;
  std::string session_token;
};

// The keys of a credentials file: lines "ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]", or the
// INI form of ~/.aws/credentials (aws_access_key_id / aws_secret_access_key /
// aws_session_token in any [profile]). Blank lines and lines starting with '#' or ';' are
// skipped. An empty file, a key without a secret or a key given twice with different secrets is
// InvalidArgument naming the line. Secrets are never quoted in messages.
class AccessKeys {
 public:
  static Result<AccessKeys> Parse(std::string_view text);
  static Result<AccessKeys> LoadFile(const std::string& path);

  size_t size() const { return keys_.size(); }
  const AccessKey* Find(std::string_view id) const;

 private:
  std::vector<AccessKey> keys_;
};

struct HandlerOptions {
  // SigV4 is checked against these when set; null: no auth, any or no signature is accepted
  // (DynamoDB Local's behaviour; the server then listens on loopback only unless told).
  const AccessKeys* access_keys = nullptr;
  // Larger bodies are answered 413 (DynamoDB's limit: 16 MB).
  uint64_t max_body_bytes = uint64_t{16} * 1024 * 1024;
  // Request counts and the time spent in Operations::Run by operation, and GET /metrics.
  MetricsRegistry* metrics = nullptr;
  // Called before /metrics is rendered (gauges that are read rather than counted).
  std::function<void()> refresh_metrics;
  // GET /readyz: 200 "ready" when this says OK, else 503 with the reason. Unset: no route.
  std::function<Status()> ready;
  // Above zero: the fast path (TryInline) answers GetItem, BatchGetItem and Query on the I/O
  // thread when they need no request to the store and take less than this; zero: every request
  // on a worker.
  std::chrono::milliseconds inline_budget{0};
  // Whether the fast path tries strongly consistent reads too: on a file:// store their
  // freshness probe is a local system call; elsewhere it is a store request, which the fast path
  // may not make.
  bool inline_consistent_reads = false;
  // The time SigV4 compares request dates with (tests fix it).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class WireHandler {
 public:
  // `operations` must outlive the handler.
  WireHandler(Operations& operations, HandlerOptions options);

  // Thread-safe.
  Response Handle(const Request& request);
  // The fast path (server/http/handler.h, InlineHandler): the answer to a read that needs no
  // request to the store and is done within HandlerOptions::inline_budget, else nullopt (and a
  // worker's Handle runs it again from the start).
  std::optional<Response> TryInline(const Request& request);
  // The handler as a server::Handler, and its fast path; it must outlive both.
  Handler AsHandler();
  InlineHandler AsInlineHandler();

 private:
  // Handle, or on the fast path its answer if it has one.
  std::optional<Response> Serve(const Request& request, InlineUntil inline_until);
  // The answer to a DynamoDB request; `*known_operation` is set once the target names one.
  std::optional<Response> Call(const Request& request, const std::string& request_id,
                               std::string_view* known_operation, InlineUntil inline_until);
  // The Operations::Run part: the operation's answer or error as a response, timed and counted.
  std::optional<Response> Run(std::string_view operation, const boost::json::object& body,
                              const Request& request, const std::string& request_id,
                              const std::string& content_type, InlineUntil inline_until);
  std::string NextRequestId();

  // An operation's metrics, looked up by name and labels once (that cost a request more than
  // a GetItem's JSON). Only with options_.metrics.
  struct OperationMetrics {
    Counter* ok = nullptr;
    Histogram* duration = nullptr;
  };
  OperationMetrics MetricsOf(std::string_view operation);

  Operations& operations_;
  const HandlerOptions options_;
  const std::string id_prefix_;  // random per handler: ids of two processes do not collide
  std::atomic<uint64_t> next_id_{0};
  std::mutex metrics_mu_;
  std::map<std::string, OperationMetrics, std::less<>> metrics_;  // by operation
};

// The error body DynamoDB sends for `error` (members included), serialized.
std::string ErrorBody(const ApiError& error);

// Every operation of DynamoDB_20120810 (the names X-Amz-Target may carry), sorted. An operation
// outside this list is UnknownOperationException before auth, as DynamoDB answers; one inside it
// that `Operations` does not implement is its own UnknownOperationException.
const std::vector<std::string_view>& KnownOperations();

}  // namespace cloudlite::server::dynamodb
