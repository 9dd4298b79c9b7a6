// The listener, for real: 127.0.0.1 port 0, driven with raw sockets (exact bytes, silent and
// misbehaving clients) and libcurl (keep-alive, chunked decoding, TLS). Tests that need a
// request to be "in the handler" hold it on a latch; no test depends on how long anything takes.
#include "server/http/listener.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cloudlite::server {
namespace {

// A socket to the listener; every read gives up after 30 s so a broken listener fails the test
// instead of hanging it.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One response: the head, then a Content-Length or chunked body. "" if the connection closed.
  std::string ReadResponse() {
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    head_end += 4;
    const std::string head = Lower(buf_.substr(0, head_end));
    size_t total = head_end;
    if (head.find("transfer-encoding: chunked") != std::string::npos) {
      while (buf_.find("\r\n0\r\n\r\n", head_end - 2) == std::string::npos) {
        if (!Fill()) return "";
      }
      total = buf_.find("\r\n0\r\n\r\n", head_end - 2) + 7;
    } else if (size_t cl = head.find("content-length: "); cl != std::string::npos) {
      total += std::stoul(head.substr(cl + 16));
      while (buf_.size() < total) {
        if (!Fill()) return "";
      }
    }
    std::string response = buf_.substr(0, total);
    buf_.erase(0, total);
    return response;
  }

  // True when the server closed the connection (read returns 0 or reset) with nothing unread.
  bool ClosedByServer() {
    while (Fill()) {
    }
    return buf_.empty();
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool Fill() {
    char tmp[4096];
    const ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buf_;
};

// Holds handlers until released; counts how many are waiting.
class Latch {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void WaitForWaiters(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

ListenerOptions TestOptions() {
  ListenerOptions o;
  o.port = 0;
  o.worker_threads = 4;
  return o;
}

std::unique_ptr<Listener> StartOrDie(ListenerOptions options, Handler handler) {
  auto listener = Listener::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(listener.ok()) << listener.status().ToString();
  return listener.ok() ? std::move(listener).value() : nullptr;
}

Response Echo(const Request& req) {
  Response r = Response::Text(200, req.method + " " + req.path + " ?" + req.query + " " +
                                       std::string(req.header("x-test")) + " [" + req.body + "]");
  r.route = "echo";
  return r;
}

size_t CurlAppend(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlResult {
  long status = 0;
  std::string body;
  long new_connections = -1;
};

CurlResult CurlGet(CURL* curl, const std::string& url) {
  CurlResult r;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppend);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  const CURLcode rc = curl_easy_perform(curl);
  EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &r.new_connections);
  return r;
}

std::string Url(const Listener& l, std::string_view path, bool tls = false) {
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(l.port()) +
         std::string(path);
}

TEST(Listener, ServesRequestsAndKeepsTheConnectionAlive) {
  std::mutex mu;
  std::vector<std::string> remotes;
  auto listener = StartOrDie(TestOptions(), [&](const Request& req) {
    std::lock_guard lock(mu);
    remotes.push_back(req.remote);
    EXPECT_LT(std::chrono::steady_clock::now(), req.deadline);
    EXPECT_NE(req.deadline, std::chrono::steady_clock::time_point::max());
    return Echo(req);
  });
  ASSERT_TRUE(listener);
  EXPECT_EQ(listener->address(), "127.0.0.1:" + std::to_string(listener->port()));
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "X-Test: hello");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CurlResult first = CurlGet(curl, Url(*listener, "/a/b?x=1&y=2"));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "GET /a/b ?x=1&y=2 hello []");
  EXPECT_EQ(first.new_connections, 1);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "payload");
  CurlResult second = CurlGet(curl, Url(*listener, "/c"));
  EXPECT_EQ(second.body, "POST /c ? hello [payload]");
  EXPECT_EQ(second.new_connections, 0) << "the second request reuses the connection";
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  std::lock_guard lock(mu);
  ASSERT_EQ(remotes.size(), 2u);
  EXPECT_EQ(remotes[0], remotes[1]);
  EXPECT_EQ(remotes[0].rfind("127.0.0.1:", 0), 0u) << remotes[0];
}

TEST(Listener, PipelinedRequestsAreAnsweredInOrder) {
  auto listener = StartOrDie(TestOptions(), Echo);
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.ReadResponse().find("GET /1"), std::string::npos);
  EXPECT_NE(c.ReadResponse().find("GET /2"), std::string::npos);
}

TEST(Listener, AnswersTheSocketCannotTakeAtOnceArriveWhole) {
  // A worker sends what the socket takes at once; a client that does not read yet leaves the
  // rest of a big answer to the I/O thread.
  std::string big(16 << 20, '\0');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>('a' + i % 23);
  auto listener = StartOrDie(TestOptions(), [&](const Request& req) {
    return req.path == "/big" ? Response::Text(200, big) : Echo(req);
  });
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string first = c.ReadResponse();
  ASSERT_GE(first.size(), big.size());
  EXPECT_EQ(first.rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_TRUE(first.compare(first.size() - big.size(), big.size(), big) == 0);
  EXPECT_NE(c.ReadResponse().find("GET /small"), std::string::npos);
  c.Send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.ReadResponse().find("GET /after"), std::string::npos);
}

TEST(Listener, TheFastPathAnswersOnTheIoThreadOrLeavesTheRequestToTheWorkers) {
  std::mutex mu;
  std::set<std::thread::id> worker_threads, fast_threads;
  InlineHandler fast = [&](const Request& req) -> std::optional<Response> {
    {
      std::lock_guard lock(mu);
      fast_threads.insert(std::this_thread::get_id());
    }
    if (req.path == "/throws") throw std::runtime_error("a bug in the fast path");
    if (req.path != "/fast") return std::nullopt;
    Response r = Response::Text(200, "fast " + req.body);
    r.route = "fast";
    return r;
  };
  MetricsRegistry metrics;
  ListenerOptions options = TestOptions();
  options.metrics = &metrics;
  auto listener = Listener::Start(
      options,
      [&](const Request& req) {
        {
          std::lock_guard lock(mu);
          worker_threads.insert(std::this_thread::get_id());
        }
        return Echo(req);
      },
      fast);
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  RawClient c((*listener)->port());
  c.Send("POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  std::string answer = c.ReadResponse();
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  EXPECT_NE(answer.find("fast hi"), std::string::npos) << answer;
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(worker_threads.empty()) << "answered by the fast path alone";
  }
  // Declined, and thrown: the worker's handler answers, the same connection goes on.
  c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /throws HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.ReadResponse().find("GET /slow"), std::string::npos);
  EXPECT_NE(c.ReadResponse().find("GET /throws"), std::string::npos);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find(R"(cloudlite_http_fast_path_total{result="answered"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(cloudlite_http_fast_path_total{result="declined"} 2)"), std::string::npos)
      << text;
  std::lock_guard lock(mu);
  EXPECT_EQ(fast_threads.size(), 1u) << "one I/O thread";
  EXPECT_FALSE(worker_threads.empty());
  for (const std::thread::id& id : worker_threads) EXPECT_EQ(fast_threads.count(id), 0u);
}

TEST(Listener, EachIoThreadServesTheConnectionsItWasGiven) {
  std::mutex mu;
  std::map<std::string, std::thread::id> thread_of;  // by connection (the peer's address)
  ListenerOptions options = TestOptions();
  options.io_threads = 3;
  auto listener = Listener::Start(options, Echo, [&](const Request& req) {
    std::lock_guard lock(mu);
    auto [it, added] = thread_of.emplace(req.remote, std::this_thread::get_id());
    EXPECT_TRUE(added || it->second == std::this_thread::get_id()) << "a connection moved";
    return std::optional(Echo(req));
  });
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 6; i++) clients.push_back(std::make_unique<RawClient>((*listener)->port()));
  for (int round = 0; round < 2; round++) {
    for (auto& c : clients) {
      c->Send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
      EXPECT_NE(c->ReadResponse().find("GET /x"), std::string::npos);
    }
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(thread_of.size(), 6u);
  std::set<std::thread::id> threads;
  for (const auto& [remote, id] : thread_of) threads.insert(id);
  EXPECT_EQ(threads.size(), 3u) << "connections are dealt to the I/O threads in turn";
}

TEST(Listener, BodyOverTheLimitIs413) {
  ListenerOptions o = TestOptions();
  o.max_body_bytes = 100;
  std::atomic<int> calls{0};
  auto listener = StartOrDie(o, [&](const Request& req) {
    ++calls;
    return Echo(req);
  });
  ASSERT_TRUE(listener);
  {
    RawClient c(listener->port());
    c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'a'));
    const std::string r = c.ReadResponse();
    EXPECT_EQ(r.rfind("HTTP/1.1 413 ", 0), 0u) << r;
    EXPECT_NE(r.find("application/json"), std::string::npos) << r;
    EXPECT_TRUE(c.ClosedByServer());
  }
  {  // a chunked body over the limit too
    RawClient c(listener->port());
    c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" +
           std::string(100, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n");
    EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 413 ", 0), 0u);
  }
  {  // exactly the limit is fine
    RawClient c(listener->port());
    c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'a'));
    EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  }
  EXPECT_EQ(calls, 1);
}

TEST(Listener, HeadersOverTheLimitAre431) {
  ListenerOptions o = TestOptions();
  o.max_header_bytes = 1024;
  auto listener = StartOrDie(o, Echo);
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n");
  const std::string r = c.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 431 ", 0), 0u) << r;
  EXPECT_TRUE(c.ClosedByServer());
}

TEST(Listener, MalformedRequestsGet400) {
  auto listener = StartOrDie(TestOptions(), Echo);
  ASSERT_TRUE(listener);
  for (const std::string bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    RawClient c(listener->port());
    c.Send(bad);
    const std::string r = c.ReadResponse();
    EXPECT_EQ(r.rfind("HTTP/1.1 400 ", 0), 0u) << bad << " -> " << r;
    EXPECT_TRUE(c.ClosedByServer());
  }
  // And the listener still serves.
  RawClient c(listener->port());
  c.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
}

TEST(Listener, OverloadAnswers503WithRetryAfter) {
  ListenerOptions o = TestOptions();
  o.max_in_flight = 2;
  o.retry_after_seconds = 7;
  Latch latch;
  auto listener = StartOrDie(o, [&](const Request& req) {
    latch.Wait();
    return Echo(req);
  });
  ASSERT_TRUE(listener);
  RawClient a(listener->port()), b(listener->port()), c(listener->port());
  a.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  b.Send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  latch.WaitForWaiters(2);
  c.Send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string busy = c.ReadResponse();
  EXPECT_EQ(busy.rfind("HTTP/1.1 503 ", 0), 0u) << busy;
  EXPECT_NE(busy.find("retry-after: 7\r\n"), std::string::npos) << busy;
  latch.Open();
  EXPECT_EQ(a.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_EQ(b.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  // The refused client kept its connection and is served once there is room.
  c.Send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
}

TEST(Listener, ConnectionsOverTheLimitAre503AndClosed) {
  ListenerOptions o = TestOptions();
  o.max_connections = 1;
  auto listener = StartOrDie(o, Echo);
  ASSERT_TRUE(listener);
  RawClient first(listener->port());
  first.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(first.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);  // now it is counted
  RawClient second(listener->port());
  const std::string r = second.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 503 ", 0), 0u) << r;
  EXPECT_NE(r.find("retry-after: 1\r\n"), std::string::npos) << r;
  EXPECT_TRUE(second.ClosedByServer());
}

TEST(Listener, SilentAndSlowClientsAreDropped) {
  ListenerOptions o = TestOptions();
  o.idle_timeout = std::chrono::milliseconds(50);
  o.read_timeout = std::chrono::milliseconds(50);
  auto listener = StartOrDie(o, Echo);
  ASSERT_TRUE(listener);
  RawClient silent(listener->port());
  EXPECT_TRUE(silent.ClosedByServer());
  RawClient slow(listener->port());
  slow.Send("GET / HTTP/1.1\r\nHost:");  // and then nothing
  EXPECT_TRUE(slow.ClosedByServer());
  RawClient idle(listener->port());  // served, then silent on the kept-alive connection
  idle.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(idle.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_TRUE(idle.ClosedByServer());
}

TEST(Listener, StreamedResponsesAreChunked) {
  auto listener = StartOrDie(TestOptions(), [](const Request&) {
    Response r = Response::Text(200, "head;");
    auto n = std::make_shared<int>(0);
    r.next_chunk = [n](std::string* chunk) {
      if (*n == 3) return false;
      *chunk = "chunk" + std::to_string((*n)++) + ";";
      if (*n == 2) chunk->clear();  // an empty chunk is skipped, not the end
      return true;
    };
    return r;
  });
  ASSERT_TRUE(listener);
  RawClient raw(listener->port());
  raw.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string r = raw.ReadResponse();
  EXPECT_NE(r.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("Content-Length"), std::string::npos) << r;
  CURL* curl = curl_easy_init();
  CurlResult got = CurlGet(curl, Url(*listener, "/"));
  curl_easy_cleanup(curl);
  EXPECT_EQ(got.body, "head;chunk0;chunk2;");
}

TEST(Listener, ExpectContinueGetsA100) {
  auto listener = StartOrDie(TestOptions(), Echo);
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send("body");
  EXPECT_NE(c.ReadResponse().find("[body]"), std::string::npos);
}

TEST(Listener, HandlerExceptionsAre500AndHeadersCannotBeInjected) {
  auto listener = StartOrDie(TestOptions(), [](const Request& req) -> Response {
    if (req.path == "/throw") throw std::runtime_error("boom");
    Response r = Response::Text(200, "ok");
    r.set_header("x-evil", "a\r\nSet-Cookie: stolen=1");
    r.set_header("x-fine", "yes");
    r.set_header("content-length", "999");  // the listener's, not the handler's
    return r;
  });
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 500 ", 0), 0u);
  c.Send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string r = c.ReadResponse();
  EXPECT_NE(r.find("x-fine: yes\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("stolen"), std::string::npos) << r;
  EXPECT_NE(r.find("Content-Length: 2\r\n"), std::string::npos) << r;
}

TEST(Listener, ShutdownFinishesTheRequestInFlight) {
  Latch latch;
  auto listener = StartOrDie(TestOptions(), [&](const Request& req) {
    if (req.path == "/slow") latch.Wait();
    return Echo(req);
  });
  ASSERT_TRUE(listener);
  const uint16_t port = listener->port();
  RawClient idle(port);
  idle.Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(idle.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  RawClient busy(port);
  busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  latch.WaitForWaiters(1);
  std::thread stopper([&] { listener->Shutdown(); });
  // While /slow still runs: the idle connection is closed and new ones are refused.
  EXPECT_TRUE(idle.ClosedByServer());
  bool refused = false;
  for (int i = 0; i < 1000 && !refused; ++i) {
    RawClient probe(port);
    refused = !probe.connected();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(refused);
  latch.Open();
  const std::string r = busy.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 200 ", 0), 0u) << r;
  EXPECT_NE(r.find("GET /slow"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  stopper.join();
}

TEST(Listener, AHandlerMaySendItsAnswerBeforeItReturns) {
  Latch returned;  // the handler of /early returns only once the client has its answer
  auto listener = StartOrDie(TestOptions(), [&](const Request& req) {
    Response r = Echo(req);
    if (req.path == "/early") {
      EXPECT_NE(req.early, nullptr);
      if (req.early) req.early->Send(r);
      returned.Wait();
    }
    return r;
  });
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  const std::string first = c.ReadResponse();  // 30 s at most, if it were not sent early
  EXPECT_EQ(first.rfind("HTTP/1.1 200 ", 0), 0u) << first;
  EXPECT_NE(first.find("POST /early ?  [hi]"), std::string::npos) << first;
  returned.Open();
  // Sent once, and the connection goes on with the next request.
  c.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string second = c.ReadResponse();
  EXPECT_NE(second.find("GET /next"), std::string::npos) << second;
  EXPECT_EQ(second.find("/early"), std::string::npos) << second;
}

TEST(Listener, ServeUntilSignalStopsOnSigterm) {
  auto listener = StartOrDie(TestOptions(), Echo);
  ASSERT_TRUE(listener);
  listener->ServeUntilSignal([] { raise(SIGTERM); });
  // Nothing of ours answers on the port. A connect alone does not show it: the port is free
  // again, and the kernel may give it to another test's socket, or even to the probe's own end
  // (a TCP self-connect, which then reads back what it sent).
  RawClient probe(listener->port());
  if (probe.connected()) {
    probe.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nprobe");
    EXPECT_NE(probe.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  }
}

TEST(Listener, MetricsAndAccessLogRecordEachRequestWithoutSecrets) {
  MetricsRegistry metrics;
  MemoryLogSink sink;
  Logger log(sink.sink(), LogLevel::kInfo);
  ListenerOptions o = TestOptions();
  o.metrics = &metrics;
  o.access_log = &log;
  auto listener = StartOrDie(o, Echo);
  ASSERT_TRUE(listener);
  RawClient c(listener->port());
  c.Send(
      "POST /db/v2/pipeline?secret=qqq HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok.en.xyz\r\n"
      "Content-Length: 11\r\n\r\nbody-secret");
  ASSERT_EQ(c.ReadResponse().rfind("HTTP/1.1 200 ", 0), 0u);
  listener->Shutdown();
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("cloudlite_http_requests_total{route=\"echo\",status=\"200\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cloudlite_http_request_duration_seconds_count{route=\"echo\"} 1\n"),
            std::string::npos)
      << text;
  std::string access;
  for (const std::string& line : sink.lines()) {
    if (line.find("\"http_request\"") != std::string::npos) access = line;
    EXPECT_EQ(line.find("secret"), std::string::npos) << line;
    EXPECT_EQ(line.find("tok.en"), std::string::npos) << line;
  }
  EXPECT_NE(access.find("\"method\":\"POST\""), std::string::npos) << access;
  EXPECT_NE(access.find("\"path\":\"/db/v2/pipeline\""), std::string::npos) << access;
  EXPECT_NE(access.find("\"status\":200"), std::string::npos) << access;
  EXPECT_NE(access.find("\"remote\":\"127.0.0.1:"), std::string::npos) << access;
}

TEST(Listener, StartReportsBadOptions) {
  ListenerOptions o = TestOptions();
  o.address = "not-an-ip";
  EXPECT_EQ(Listener::Start(o, Echo).status().code(), Status::Code::kInvalidArgument);
  o = TestOptions();
  o.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(Listener::Start(o, Echo).status().code(), Status::Code::kInvalidArgument);
  o.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(Listener::Start(o, Echo).status().code(), Status::Code::kInvalidArgument);
  auto first = StartOrDie(TestOptions(), Echo);
  ASSERT_TRUE(first);
  o = TestOptions();
  o.port = first->port();
  o.io_threads = 2;
  auto second = Listener::Start(o, Echo);
  EXPECT_FALSE(second.ok());  // the port is taken
}

// A directory for the test's certificates.
std::filesystem::path TlsDir() {
  const char* tmp = std::getenv("CLOUDLITE_TEST_TMP");
  std::filesystem::path dir =
      std::filesystem::path(tmp ? tmp : "/tmp") / ("listener-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A self-signed certificate for 127.0.0.1 (dir/NAME-cert.pem, dir/NAME-key.pem), made with the
// openssl CLI.
void MakeCertificate(const std::filesystem::path& dir, const std::string& name) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout " +
      (dir / (name + "-key.pem")).string() + " -out " + (dir / (name + "-cert.pem")).string() +
      " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(Listener, ServesTlsWithTheGivenCertificate) {
  const std::filesystem::path dir = TlsDir();
  MakeCertificate(dir, "a");
  MakeCertificate(dir, "b");
  ListenerOptions o = TestOptions();
  o.tls_cert_file = (dir / "a-cert.pem").string();
  o.tls_key_file = (dir / "a-key.pem").string();
  auto listener = StartOrDie(o, Echo);
  ASSERT_TRUE(listener);
  EXPECT_TRUE(listener->tls());
  CURL* curl = curl_easy_init();
  const std::string ca = (dir / "a-cert.pem").string();
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());  // verified against our own certificate
  CurlResult a = CurlGet(curl, Url(*listener, "/tls?q=1", true));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "GET /tls ?q=1  []");
  CurlResult b = CurlGet(curl, Url(*listener, "/again", true));
  EXPECT_EQ(b.new_connections, 0);
  curl_easy_cleanup(curl);
  // Plain HTTP to the TLS port is not served.
  RawClient plain(listener->port());
  plain.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(plain.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
  // A key that does not belong to the certificate is refused at start.
  ListenerOptions mismatched = o;
  mismatched.tls_key_file = (dir / "b-key.pem").string();
  EXPECT_EQ(Listener::Start(mismatched, Echo).status().code(), Status::Code::kInvalidArgument);
  listener.reset();
  std::filesystem::remove_all(dir);
}

TEST(ServeBytes, ParsesLikeTheListener) {
  ListenerOptions o = TestOptions();
  o.max_body_bytes = 10;
  std::string out =
      ServeBytes("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2?a HTTP/1.1\r\n\r\n", o, Echo);
  EXPECT_NE(out.find("GET /1 ?"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /2 ?a"), std::string::npos) << out;
  EXPECT_EQ(ServeBytes("BAD\r\n\r\n", o, Echo).rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(ServeBytes("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", o, Echo)
                .rfind("HTTP/1.1 413 ", 0),
            0u);
  EXPECT_EQ(ServeBytes("GET / HTTP/1.1\r\nHost", o, Echo), "");  // incomplete: no answer yet
  const std::string head = ServeBytes("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n", o, Echo);
  EXPECT_NE(head.find("Content-Length: 13\r\n"), std::string::npos) << head;  // "HEAD /h ?  []"
  EXPECT_EQ(head.find("\r\n\r\n"), head.size() - 4) << "no body: " << head;
}

}  // namespace
}  // namespace cloudlite::server
