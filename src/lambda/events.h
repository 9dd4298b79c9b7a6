// Lambda events <-> server::Request and server::Response: what lets one Handler serve API
// Gateway (HTTP API payload 2.0 and REST API payload 1.0), function URLs, ALB target groups and
// direct invocations (docs/lambda.md, "Events").
//
// Decoding: the shape is told by the event itself: "version": "2.0" is an HTTP API or function
// URL event, requestContext.elb an ALB event, "httpMethod" a REST API event; any other JSON is a
// direct invocation, which becomes `POST <direct_path>` with the payload as its JSON body.
// Encoding answers in the shape the event came in, never larger than Lambda's 6 MiB limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "server/http/handler.h"

namespace cloudlite::lambda {

enum class EventSource { kHttpApiV2, kFunctionUrl, kRestApiV1, kAlb, kDirect };
std::string_view EventSourceName(EventSource source);  // "http-api-v2", "function-url", ...

// How a decoded event must be answered.
struct ResponseShape {
  EventSource source = EventSource::kDirect;
  // ALB target groups with multi-value headers on send multiValueHeaders and must get them back.
  bool multi_value_headers = false;
};

struct DecodedEvent {
  ResponseShape shape;
  server::Request request;  // deadline left at max: the runtime knows it, not the event
};

struct DecodeOptions {
  std::string direct_path = "/";  // the path a direct invocation is POSTed to
};

// Decodes one event. Header names come lower-cased (multiValueHeaders and cookies included),
// the query string raw (percent-encoded) whatever the source, and the body decoded when
// isBase64Encoded is true. InvalidArgument, one line, for anything else: not JSON, a known shape
// with a field of the wrong type, a body flagged base64 that is not.
Result<DecodedEvent> DecodeEvent(std::string_view payload, const DecodeOptions& options = {});

// Lambda refuses a buffered response above 6 MiB (the Runtime API answers 413).
inline constexpr size_t kMaxResponseBytes = size_t{6} * 1024 * 1024;

// The payload that answers an event of `shape` with `response` (a streamed body is drained and
// concatenated). The body is base64-encoded when it is not valid UTF-8 or its content type is
// binary. A payload that would exceed `max_bytes` becomes a 500 JSON error
// {"message": ..., "code": "RESPONSE_TOO_LARGE"} in the same shape. A direct invocation is
// answered with the body itself, whatever the status.
std::string EncodeResponse(const ResponseShape& shape, server::Response response,
                           size_t max_bytes = kMaxResponseBytes);

// Exposed for tests.
bool IsValidUtf8(std::string_view text);
// Text: text/*, JSON, XML, JavaScript, form data, or any type with a charset. An empty type is
// text too (the body's UTF-8 validity then decides).
bool IsTextContentType(std::string_view content_type);

}  // namespace cloudlite::lambda
