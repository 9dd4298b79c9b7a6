// The DynamoDB wire (src/server/dynamodb/handler.h) over a fake Operations that echoes the
// request back. The first byte picks the method (bit 0: POST or GET), whether SigV4 is checked
// (bit 1) and whether the fast path is tried too (bit 2); the rest is "name: value" header lines,
// an empty line, then the body.
// Properties:
//   - every answer of the wire carries x-amzn-RequestId and the x-amz-crc32 of its body, and
//     its status is one DynamoDB gives (200, 400, 404, 413, 500);
//   - an error body is a JSON object whose __type has DynamoDB's prefix;
//   - with SigV4 on, no operation ever runs (nobody can sign without the secret);
//   - an operation runs only for a known operation and a JSON object, and the echo comes back
//     as the same JSON;
//   - the fast path (TryInline) answers as Handle does, or not at all.
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string>

#include "fuzz_util.h"
#include "net/aws/dynamodb_wire.h"
#include "server/dynamodb/handler.h"

using namespace cloudlite;
using namespace cloudlite::server;
using namespace cloudlite::server::dynamodb;

namespace {

class EchoOperations : public Operations {
 public:
  OperationResult Run(std::string_view operation, const boost::json::object& request,
                      const CallContext&) override {
    ran = true;
    const auto& known = KnownOperations();
    FUZZ_CHECK(std::find(known.begin(), known.end(), operation) != known.end());
    return request;
  }
  bool ran = false;
};

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const Header& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

const AccessKeys& Keys() {
  static const AccessKeys keys = *AccessKeys::Parse("AKIDFUZZ fuzz-secret\n");
  return keys;
}

Request ToRequest(uint8_t flags, std::string_view rest) {
  Request r;
  r.method = (flags & 1) ? "POST" : "GET";
  r.path = "/";
  size_t end = rest.find("\n\n");
  std::string_view head = rest.substr(0, end);
  r.body = end == std::string_view::npos ? "" : std::string(rest.substr(end + 2));
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.push_back({std::move(name), std::string(value)});
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  Request request = ToRequest(flags, fuzz::Bytes(data + 1, size - 1));
  EchoOperations ops;
  HandlerOptions options;
  options.max_body_bytes = 1 << 16;
  if (flags & 2) options.access_keys = &Keys();
  HandlerOptions fast_options = options;
  WireHandler wire(ops, std::move(options));
  Response r = wire.Handle(request);
  if (flags & 4) {
    EchoOperations fast_ops;
    fast_options.inline_budget = std::chrono::seconds(10);
    WireHandler fast(fast_ops, std::move(fast_options));
    std::optional<Response> answered = fast.TryInline(request);
    if (answered) FUZZ_CHECK(answered->status == r.status && answered->body == r.body);
  }

  FUZZ_CHECK(HeaderOf(r, "x-amzn-requestid").size() == 52);
  FUZZ_CHECK(HeaderOf(r, "x-amz-crc32") == std::to_string(ddb::Crc32(r.body)));
  FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 404 || r.status == 413 ||
             r.status == 500);
  if (flags & 2) FUZZ_CHECK(!ops.ran);
  boost::system::error_code ec;
  if (r.status == 200) {
    FUZZ_CHECK(ops.ran);
    boost::json::value echoed = boost::json::parse(r.body, ec);
    FUZZ_CHECK(!ec);
    Result<ddb::Json> sent = ddb::ParseJson(request.body);
    FUZZ_CHECK(sent.ok() && echoed == *sent);
  } else if (r.status != 404) {
    boost::json::value error = boost::json::parse(r.body, ec);
    FUZZ_CHECK(!ec && error.is_object());
    const boost::json::value* type = error.as_object().if_contains("__type");
    FUZZ_CHECK(type != nullptr && type->is_string());
    FUZZ_CHECK(type->as_string().starts_with(kErrorPrefix));
  }
  return 0;
}
