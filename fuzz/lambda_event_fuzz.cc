// Lambda events (src/lambda/events.h): DecodeEvent on any bytes, then the decoded request's body
// echoed back through EncodeResponse. The first byte picks the echo's content type.
// Properties: a refused event is InvalidArgument; header names come lower-cased; a direct
// invocation carries the payload unchanged; the encoded answer is JSON of the event's shape
// whose body (base64-decoded when flagged) is the request body byte for byte, or the
// RESPONSE_TOO_LARGE error when it cannot fit.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/base64.h"
#include "fuzz_util.h"
#include "lambda/events.h"

using namespace cloudlite;
using namespace cloudlite::lambda;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kTypes[] = {"", "text/plain", "application/octet-stream", "image/png"};
  const std::string_view type = kTypes[data[0] & 3];
  const std::string_view payload = fuzz::Bytes(data + 1, size - 1);

  Result<DecodedEvent> decoded = DecodeEvent(payload, {"/direct"});
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == Status::Code::kInvalidArgument);
    return 0;
  }
  const server::Request& request = decoded->request;
  FUZZ_CHECK(!request.method.empty());
  for (const auto& h : request.headers) {
    for (char c : h.name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  }
  if (decoded->shape.source == EventSource::kDirect) {
    FUZZ_CHECK(request.body == payload);
    FUZZ_CHECK(request.path == "/direct");
    return 0;
  }

  server::Response echo;
  echo.body = request.body;
  if (!type.empty()) echo.set_header("content-type", std::string(type));
  const size_t max = 1 << 16;  // small, so that the oversize path is reached too
  const std::string answer = EncodeResponse(decoded->shape, echo, max);
  FUZZ_CHECK(answer.size() <= max);
  boost::system::error_code ec;
  json::value v = json::parse(answer, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(v.is_object());
  const json::object& o = v.get_object();
  FUZZ_CHECK(o.at("statusCode").is_int64());
  const std::string body(o.at("body").as_string());
  if (o.at("statusCode").as_int64() == 500) {
    FUZZ_CHECK(body.find("RESPONSE_TOO_LARGE") != std::string::npos);
    return 0;
  }
  FUZZ_CHECK(o.at("statusCode").as_int64() == 200);
  if (o.at("isBase64Encoded").as_bool()) {
    std::string bytes;
    FUZZ_CHECK(Base64Decode(body, &bytes));
    FUZZ_CHECK(bytes == request.body);
  } else {
    FUZZ_CHECK(body == request.body);
    FUZZ_CHECK(IsValidUtf8(body));
  }
  return 0;
}
