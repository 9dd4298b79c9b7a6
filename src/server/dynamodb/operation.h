// The boundary between the DynamoDB wire (handler.cc: HTTP, X-Amz-Target, JSON parsing, SigV4,
// CRC32, error bodies) and the operations (the catalog, the partitions and the executors): one
// call per request, a parsed JSON object in, the response's JSON text or a DynamoDB error out. The
// wire knows no tables; the operations know no HTTP. Tests drive either half alone.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "cloudlite/status.h"

namespace cloudlite::server::dynamodb {

// A DynamoDB error as the wire sends it: {"__type": "com.amazonaws.dynamodb.v20120810#<type>",
// "message": ...} plus `members` (for example "Item" for ReturnValuesOnConditionCheckFailure,
// "CancellationReasons"), with HTTP status `http_status`.
struct ApiError {
  std::string type;  // "ValidationException", "ResourceNotFoundException", ... (no prefix)
  std::string message;
  int http_status = 400;
  boost::json::object members;
};

// What the wire knows about the call that the operations may need.
struct CallContext {
  std::string request_id;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// An operation's response body as JSON text. Most operations build a JSON tree, serialized here;
// the reads whose answers are mostly items (GetItem, Query, Scan) write their text directly,
// which costs half (docs/dynamodb.md).
struct ResponseBody {
  ResponseBody(const boost::json::object& body)  // NOLINT(google-explicit-constructor)
      : text(boost::json::serialize(body)) {}
  static ResponseBody Text(std::string text) { return ResponseBody(std::move(text)); }

  std::string text;

 private:
  explicit ResponseBody(std::string body) : text(std::move(body)) {}
};

// An operation's answer: the response body, or an error.
using OperationResult = std::variant<ResponseBody, ApiError>;

class Operations {
 public:
  virtual ~Operations() = default;
  // Runs `operation` ("PutItem", "CreateTable", ...; the part of X-Amz-Target after the dot) on
  // the parsed request body. An operation it does not know is UnknownOperationException.
  // Thread-safe: called on many worker threads at once.
  virtual OperationResult Run(std::string_view operation, const boost::json::object& request,
                              const CallContext& context) = 0;
};

// The DynamoDB error a Status stands for: dynamo::ExceptionName's mapping (InvalidArgument ->
// ValidationException, NotSupported -> SerializationException, AlreadyExists ->
// ConditionalCheckFailedException), NotFound -> ResourceNotFoundException, Busy ->
// TransactionConflictException, Unavailable -> ServiceUnavailable (HTTP 503) or, for work not
// run because the request's deadline passed (deadline.h), RequestTimeoutException (500), anything
// else InternalServerError (HTTP 500) with a message that names no internals.
ApiError ErrorFromStatus(const Status& status);

}  // namespace cloudlite::server::dynamodb
