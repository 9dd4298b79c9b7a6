// The baseline of bench/serve_bench.sh: the listener `cloudlite serve` uses, with the same
// defaults, answering every request with one fixed JSON body and no work. Whatever it serves per
// second is the limit of the HTTP layer on this machine; the SQL server is measured against it.
// With --put-store, each request first makes one conditional PUT (PutIfAbsent) of --put-bytes
// to a new key in that store through the project's store client: one raw PUT plus one HTTP
// round trip, the floor for a one-client write request. With --inline (and no --put-store) the
// listener's fast path answers on the I/O thread, as `cloudlite serve` answers one-shot reads on
// a file:// store: the limit for point queries.
//
//   cloudlite_fixed_response_server --body-file=FILE [--workers=N] [--inline]
//                                   [--put-store=URI --put-bytes=N]
//
// Listens on 127.0.0.1 (a free port) and prints "listening on http://ADDRESS" on stderr, like
// `cloudlite serve`; runs until SIGTERM or SIGINT. A benchmark tool, not part of the product.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "server/http/listener.h"
#include "store/registry.h"

int main(int argc, char** argv) {
  std::string body_file;
  size_t workers = 8;  // `cloudlite serve --workers` default
  std::string put_store;
  size_t put_bytes = 0;
  bool answer_inline = false;
  for (int i = 1; i < argc; i++) {
    std::string_view arg = argv[i];
    if (arg.rfind("--body-file=", 0) == 0) {
      body_file = std::string(arg.substr(12));
    } else if (arg.rfind("--workers=", 0) == 0) {
      workers = std::strtoul(argv[i] + 10, nullptr, 10);
    } else if (arg == "--inline") {
      answer_inline = true;
    } else if (arg.rfind("--put-store=", 0) == 0) {
      put_store = std::string(arg.substr(12));
    } else if (arg.rfind("--put-bytes=", 0) == 0) {
      put_bytes = std::strtoul(argv[i] + 12, nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: %s --body-file=FILE [--workers=N] [--inline] [--put-store=URI "
                   "--put-bytes=N]\n",
                   argv[0]);
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

  std::unique_ptr<cloudlite::ObjectStore> store;
  if (!put_store.empty()) {
    auto uri = cloudlite::Uri::Parse(put_store);
    auto opened = uri.ok()
                      ? cloudlite::OpenStore(*uri, /*create=*/true)
                      : cloudlite::Result<std::unique_ptr<cloudlite::ObjectStore>>(uri.status());
    if (!opened.ok()) {
      std::fprintf(stderr, "--put-store: %s\n", opened.status().ToString().c_str());
      return 2;
    }
    store = std::move(*opened);
  }
  const std::string payload(put_bytes, 'x');
  std::atomic<uint64_t> next_key{0};
  // A key per request and process, so that every PUT is a first write like a commit's.
  const std::string key_prefix = "fixed-response-put/" + std::to_string(getpid()) + "/";

  cloudlite::server::ListenerOptions options;
  options.port = 0;
  options.worker_threads = workers;
  auto handler = [&](const cloudlite::server::Request&) {
    if (store) {
      cloudlite::Status put = store->PutIfAbsent(key_prefix + std::to_string(next_key++), payload);
      if (!put.ok()) return cloudlite::server::Response::Json(503, R"({"message":"put failed"})");
    }
    cloudlite::server::Response r = cloudlite::server::Response::Json(200, body);
    r.set_header("x-cloudlite-version", "1");  // as the SQL server's answers carry
    return r;
  };
  cloudlite::server::InlineHandler fast;
  if (answer_inline && !store) {
    fast = [&](const cloudlite::server::Request& r) { return std::optional(handler(r)); };
  }
  auto listener = cloudlite::server::Listener::Start(std::move(options), handler, fast);
  if (!listener.ok()) {
    std::fprintf(stderr, "%s\n", listener.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "listening on http://%s\n", (*listener)->address().c_str());
  std::fflush(stderr);
  (*listener)->ServeUntilSignal();
  return 0;
}
