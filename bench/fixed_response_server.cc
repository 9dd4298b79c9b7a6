// The baseline of bench/serve_bench.sh: the listener `cloudlite serve` uses, with the same
// defaults, answering every request with one fixed JSON body and no work. Whatever it serves per
// second is the limit of the HTTP layer on this machine; the SQL server is measured against it.
//
//   cloudlite_fixed_response_server --body-file=FILE [--workers=N]
//
// Listens on 127.0.0.1 (a free port) and prints "listening on http://ADDRESS" on stderr, like
// `cloudlite serve`; runs until SIGTERM or SIGINT. A benchmark tool, not part of the product.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "server/http/listener.h"

int main(int argc, char** argv) {
  std::string body_file;
  size_t workers = 8;  // `cloudlite serve --workers` default
  for (int i = 1; i < argc; i++) {
    std::string_view arg = argv[i];
    if (arg.rfind("--body-file=", 0) == 0) {
      body_file = std::string(arg.substr(12));
    } else if (arg.rfind("--workers=", 0) == 0) {
      workers = std::strtoul(argv[i] + 10, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s --body-file=FILE [--workers=N]\n", argv[0]);
      return 2;
    }
  }
  std::ifstream in(body_file, std::ios::binary);
  if (body_file.empty() || !in) {
    std::fprintf(stderr, "cannot read --body-file %s\n", body_file.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string body = text.str();

  cloudlite::server::ListenerOptions options;
  options.port = 0;
  options.worker_threads = workers;
  auto handler = [&body](const cloudlite::server::Request&) {
    cloudlite::server::Response r = cloudlite::server::Response::Json(200, body);
    r.set_header("x-cloudlite-version", "1");  // as the SQL server's answers carry
    return r;
  };
  auto listener = cloudlite::server::Listener::Start(std::move(options), handler);
  if (!listener.ok()) {
    std::fprintf(stderr, "%s\n", listener.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "listening on http://%s\n", (*listener)->address().c_str());
  std::fflush(stderr);
  (*listener)->ServeUntilSignal();
  return 0;
}
