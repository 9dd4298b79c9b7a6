// cloudlite-lambda's direct invocations (src/lambda_function/function.h): RouteDirectInvocation
// on any payload. Properties: a refused payload is InvalidArgument; an accepted one is routed to
// a pipeline or CloudSQLite path under a valid database name, and its body is a JSON object
// without "database" (the payload itself when it named none).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "fuzz_util.h"
#include "lambda_function/function.h"

using namespace cloudlite;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  server::Request request;
  request.method = "POST";
  request.path = std::string(lambda_function::kDirectPath);
  request.body = std::string(fuzz::Bytes(data, size));
  Result<server::Request> routed = lambda_function::RouteDirectInvocation(request);
  if (!routed.ok()) {
    FUZZ_CHECK(routed.status().code() == Status::Code::kInvalidArgument);
    return 0;
  }
  // "/", "/v2/pipeline", "/NAME" or "/NAME/v2/pipeline", NAME one path segment.
  std::string_view path = routed->path;
  FUZZ_CHECK(path.starts_with("/"));
  if (path.ends_with("/v2/pipeline")) path.remove_suffix(std::string_view("/v2/pipeline").size());
  std::string_view name = path.empty() ? path : path.substr(1);
  FUZZ_CHECK(name.find_first_of("/?#%\\") == std::string_view::npos);
  FUZZ_CHECK(name != "." && name != "..");
  boost::system::error_code ec;
  json::value body = json::parse(routed->body, ec);
  FUZZ_CHECK(!ec && body.is_object());
  FUZZ_CHECK(!body.as_object().contains("database"));
  if (routed->body != request.body) {
    FUZZ_CHECK(!name.empty());  // only a named database rewrites the body
  }
  return 0;
}
