// The listener's request path without sockets (ServeBytes, src/server/http/listener.h): any
// bytes a client sends, through Beast's parser with the listener's limits, into Requests and a
// handler. Checks, besides no crash: every answer is a complete HTTP/1.1 response; the handler
// sees only requests within the limits, with a lower-case header names and no '?' in the path;
// every handled request is answered.
#include <string>

#include "fuzz_util.h"
#include "server/http/listener.h"

using namespace cloudlite;
using namespace cloudlite::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ListenerOptions options;
  options.max_header_bytes = 2048;
  options.max_body_bytes = 4096;
  int calls = 0;
  const Handler handler = [&](const Request& req) {
    ++calls;
    FUZZ_CHECK(req.body.size() <= options.max_body_bytes);
    FUZZ_CHECK(req.path.find('?') == std::string::npos);
    FUZZ_CHECK(!req.method.empty());
    size_t header_bytes = 0;
    for (const Header& h : req.headers) {
      header_bytes += h.name.size() + h.value.size();
      for (char c : h.name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    }
    FUZZ_CHECK(header_bytes <= options.max_header_bytes);
    Response r = Response::Text(200, req.path);
    if (req.query == "stream") {  // exercise the streamed path too
      auto left = std::make_shared<int>(3);
      r.next_chunk = [left](std::string* chunk) {
        *chunk = "c";
        return --*left > 0;
      };
    }
    r.set_header("x-echo", std::string(req.header("x-echo")));
    return r;
  };
  const std::string out = ServeBytes(fuzz::Bytes(data, size), options, handler);
  // Count the answers: each starts with a status line.
  int answers = 0;
  for (size_t at = out.find("HTTP/1.1 "); at != std::string::npos;
       at = out.find("HTTP/1.1 ", at + 1)) {
    ++answers;
  }
  FUZZ_CHECK(answers >= calls);  // every handled request was answered
  FUZZ_CHECK(out.empty() || out.rfind("HTTP/1.1 ", 0) == 0);
  return 0;
}
