// An HTTP load generator that is not the bottleneck: one thread drives every simulated client
// through libcurl's multi interface (no thread per client), each client a keep-alive connection
// sending its next request as soon as the last one is answered (closed loop).
//
//   cloudlite_http_load --url=URL --clients=N --seconds=S [--body=TEMPLATE] [--header=H]...
//
// TEMPLATE is the POST body; every "{n}" in it becomes a number unique to the request, so
// inserts do not collide. Without --body it sends GETs. A request counts as failed when the
// status is not 2xx or the body holds a Hrana error result ("type":"error"). Prints one JSON
// line: requests, failures, seconds, requests_per_s, p50_ms, p90_ms, p99_ms, max_ms.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string url;
  int clients = 1;
  double seconds = 5;
  std::string body;  // empty: GET
  std::vector<std::string> headers;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "cloudlite_http_load: %s\nusage: cloudlite_http_load --url=URL --clients=N "
               "--seconds=S [--body=TEMPLATE] [--header='Name: value']...\n",
               why);
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto eq = arg.find('=');
    if (eq == std::string_view::npos) Usage("flags are --name=value");
    std::string_view name = arg.substr(0, eq);
    std::string value(arg.substr(eq + 1));
    if (name == "--url") {
      f.url = value;
    } else if (name == "--clients") {
      f.clients = std::atoi(value.c_str());
    } else if (name == "--seconds") {
      f.seconds = std::atof(value.c_str());
    } else if (name == "--body") {
      f.body = value;
    } else if (name == "--header") {
      f.headers.push_back(value);
    } else {
      Usage("unknown flag");
    }
  }
  if (f.url.empty()) Usage("--url is required");
  if (f.clients < 1 || f.clients > 4096) Usage("--clients must be 1..4096");
  if (f.seconds <= 0) Usage("--seconds must be positive");
  return f;
}

std::string Instantiate(const std::string& tmpl, uint64_t n) {
  std::string out;
  std::string number = std::to_string(n);
  size_t pos = 0;
  for (size_t hit; (hit = tmpl.find("{n}", pos)) != std::string::npos; pos = hit + 3) {
    out.append(tmpl, pos, hit - pos);
    out += number;
  }
  out.append(tmpl, pos);
  return out;
}

struct Client {
  CURL* easy = nullptr;
  std::string body;      // the request body; curl reads it from here
  std::string response;  // what came back
  Clock::time_point started;
};

size_t Collect(char* data, size_t size, size_t n, void* user) {
  static_cast<Client*>(user)->response.append(data, size * n);
  return size * n;
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(flags.clients));
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  for (const std::string& h : flags.headers) headers = curl_slist_append(headers, h.c_str());

  std::vector<Client> clients(static_cast<size_t>(flags.clients));
  uint64_t next_n = 1;
  auto start_request = [&](Client& c) {
    c.response.clear();
    if (!flags.body.empty()) {
      c.body = Instantiate(flags.body, next_n++);
      curl_easy_setopt(c.easy, CURLOPT_POSTFIELDS, c.body.c_str());
      curl_easy_setopt(c.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(c.body.size()));
    }
    c.started = Clock::now();
    curl_multi_add_handle(multi, c.easy);
  };
  for (Client& c : clients) {
    c.easy = curl_easy_init();
    curl_easy_setopt(c.easy, CURLOPT_URL, flags.url.c_str());
    curl_easy_setopt(c.easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c.easy, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(c.easy, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(c.easy, CURLOPT_PRIVATE, &c);
    curl_easy_setopt(c.easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c.easy, CURLOPT_TIMEOUT, 60L);
    start_request(c);
  }

  std::vector<double> latencies_ms;
  uint64_t failures = 0;
  const auto begin = Clock::now();
  const auto end = begin + std::chrono::duration<double>(flags.seconds);
  int running = flags.clients;
  int in_flight = flags.clients;
  while (in_flight > 0) {
    curl_multi_perform(multi, &running);
    int left;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Client* c;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &c);
      long status = 0;
      curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
      auto now = Clock::now();
      bool ok = msg->data.result == CURLE_OK && status >= 200 && status < 300 &&
                c->response.find("\"type\":\"error\"") == std::string::npos;
      if (!ok) {
        if (failures == 0) {
          std::fprintf(stderr, "first failure: curl %d, HTTP %ld: %.300s\n", msg->data.result,
                       status, c->response.c_str());
        }
        ++failures;
      }
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - c->started).count());
      curl_multi_remove_handle(multi, c->easy);
      if (now < end) {
        start_request(*c);
      } else {
        --in_flight;
      }
    }
    if (in_flight > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf(
      "{\"url\":\"%s\",\"clients\":%d,\"requests\":%zu,\"failures\":%llu,\"seconds\":%.3f,"
      "\"requests_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
      flags.url.c_str(), flags.clients, latencies_ms.size(),
      static_cast<unsigned long long>(failures), elapsed,
      static_cast<double>(latencies_ms.size()) / elapsed, Percentile(latencies_ms, 0.50),
      Percentile(latencies_ms, 0.90), Percentile(latencies_ms, 0.99),
      latencies_ms.empty() ? 0.0 : latencies_ms.back());
  for (Client& c : clients) curl_easy_cleanup(c.easy);
  curl_slist_free_all(headers);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return failures == 0 ? 0 : 1;
}
