#include "server/http/listener.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "server/http/worker_pool.h"

namespace cloudlite::server {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using Parser = http::request_parser<http::string_body>;

constexpr size_t kMaxLoggedPath = 1024;
constexpr int kMaxRequestsPerServeBytes = 64;
constexpr int kMaxChunksPerServeBytes = 1024;

// ---- Bytes <-> Request/Response: shared by the sessions and ServeBytes. ----

void ConfigureParser(Parser* parser, const ListenerOptions& options) {
  parser->header_limit(
      static_cast<uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
  parser->body_limit(options.max_body_bytes);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

Request ToRequest(http::request<http::string_body>&& msg, std::string remote,
                  Clock::time_point deadline) {
  Request req;
  req.method = std::string(msg.method_string());
  const std::string_view target = msg.target();
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg) {
    req.headers.push_back({Lower(field.name_string()), std::string(field.value())});
  }
  req.body = std::move(msg.body());
  req.remote = std::move(remote);
  req.deadline = deadline;
  return req;
}

std::string JsonMessage(std::string_view message) {
  std::string body = "{\"message\":";
  AppendJsonString(&body, message);
  body += "}";
  return body;
}

Response Overloaded(const ListenerOptions& options) {
  Response r = Response::Json(503, JsonMessage("server busy: too many requests in flight; retry"));
  r.set_header("retry-after", std::to_string(options.retry_after_seconds));
  return r;
}

// The answer to a request that could not be read, or nothing (the client went away or timed
// out before sending anything worth answering).
std::optional<Response> ReadErrorResponse(beast::error_code ec, const ListenerOptions& options) {
  if (ec == http::error::header_limit) {
    return Response::Json(431, JsonMessage("request headers exceed " +
                                           std::to_string(options.max_header_bytes) + " bytes"));
  }
  if (ec == http::error::body_limit) {
    return Response::Json(413, JsonMessage("request body exceeds " +
                                           std::to_string(options.max_body_bytes) + " bytes"));
  }
  if (ec == beast::error::timeout) {
    return Response::Json(408, JsonMessage("request not received within the read timeout"));
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec.category() != http::make_error_code(http::error::bad_target).category()) {
    return std::nullopt;  // transport errors: nobody to answer
  }
  return Response::Json(400, JsonMessage("malformed HTTP request: " + ec.message()));
}

Response CallHandler(const Handler& handler, const Request& req) {
  try {
    return handler(req);
  } catch (const std::exception& e) {
    return Response::Json(500, JsonMessage(std::string("internal error: ") + e.what()));
  } catch (...) {
    return Response::Json(500, JsonMessage("internal error"));
  }
}

// A fast path that throws leaves the request to the workers, whose handler reports the error.
std::optional<Response> CallFast(const InlineHandler& fast, const Request& req) {
  try {
    return fast(req);
  } catch (...) {
    return std::nullopt;
  }
}

// The status line, the handler's headers and ours. `chunked` for streamed bodies; otherwise
// Content-Length is `content_length` (the body's size, also for HEAD, which sends no body).
template <class Body>
void FillHeader(http::response<Body>* res, const Response& r, bool keep_alive, bool chunked,
                uint64_t content_length) {
  res->version(11);
  res->result(r.status >= 100 && r.status <= 599 ? static_cast<unsigned>(r.status) : 500u);
  for (const Header& h : r.headers) {
    const std::string name = Lower(h.name);
    if (name == "content-length" || name == "connection" || name == "transfer-encoding") continue;
    if (h.name.find_first_of("\r\n:") != std::string::npos ||
        h.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      continue;  // would split the header block: never sent
    }
    res->insert(h.name, h.value);
  }
  res->keep_alive(keep_alive);
  if (chunked) {
    res->chunked(true);
  } else {
    res->content_length(content_length);
  }
}

std::string Serialize(const Response& r, bool keep_alive, bool head) {
  http::response<http::string_body> res;
  FillHeader(&res, r, keep_alive, false, r.body.size());
  if (!head) res.body() = r.body;
  std::ostringstream out;
  if (head) {
    out << res.base();
  } else {
    out << res;
  }
  return out.str();
}

std::string EndpointText(const tcp::endpoint& ep) {
  const std::string addr = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(ep.port());
}

}  // namespace

// ---- The listener's shared state. ----

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void RequestStop() = 0;  // posts to the session's strand
  virtual void ForceClose() = 0;   // posts to the session's strand
};

class Listener::Impl {
 public:
  Impl(ListenerOptions options, Handler handler, InlineHandler fast)
      : options_(std::move(options)), handler_(std::move(handler)), fast_(std::move(fast)) {
    if (MetricsRegistry* m = options_.metrics) {
      connections_ = m->GetGauge("cloudlite_http_connections", "Open HTTP connections");
      if (fast_) {
        const std::string help = "Requests the fast path saw on the I/O thread, by outcome";
        fast_answered_ =
            m->GetCounter("cloudlite_http_fast_path_total", help, {{"result", "answered"}});
        fast_declined_ =
            m->GetCounter("cloudlite_http_fast_path_total", help, {{"result", "declined"}});
      }
      in_flight_gauge_ =
          m->GetGauge("cloudlite_http_in_flight", "Requests admitted and not yet answered");
    }
  }

  Status Open();
  void Accept();
  void Shutdown();
  void ServeUntilSignal(const std::function<void()>& on_waiting);

  // Called by sessions.
  void Register(const std::shared_ptr<SessionBase>& session);
  void Unregister(SessionBase* session);
  bool TryAdmit();
  void Release();
  void Record(const Request& req, const Response& r, uint64_t bytes, Clock::time_point start);

  const ListenerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  const InlineHandler& fast() const { return fast_; }
  // Counts what the fast path did with a request.
  void CountFast(bool answered) {
    if (Counter* c = answered ? fast_answered_ : fast_declined_) c->Increment();
  }
  WorkerPool& pool() { return *pool_; }
  bool stopping() const { return stopping_.load(); }
  ssl::context* ssl_context() { return ssl_ ? &*ssl_ : nullptr; }
  uint16_t port() const { return port_; }
  const std::string& bound() const { return bound_; }

 private:
  template <class Session>
  void StartSession(tcp::socket socket);
  void Reject(tcp::socket socket);
  // The I/O thread `i`'s context: ioc_, then more_io_.
  net::io_context& IoContext(size_t i) { return i == 0 ? ioc_ : *more_io_[i - 1]; }
  void SetGauges();
  Counter* Rejected(std::string_view reason);
  // The request counter of (route, status) and the duration histogram of route, resolved once
  // each rather than by rendering their labels on every request.
  std::pair<Counter*, Histogram*> RouteMetrics(std::string_view route, int status);

  const ListenerOptions options_;
  const Handler handler_;
  const InlineHandler fast_;
  // Declared before the io_context: sessions destroyed with it still unregister here.
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  bool signalled_ = false;
  bool shut_down_ = false;
  std::atomic<size_t> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::mutex shutdown_mu_;        // Shutdown runs once; a second caller waits for the first
  Gauge* connections_ = nullptr;  // null without options_.metrics
  Gauge* in_flight_gauge_ = nullptr;
  Counter* fast_answered_ = nullptr;  // null without options_.metrics or a fast path
  Counter* fast_declined_ = nullptr;
  struct RouteSeries {
    Histogram* duration = nullptr;
    std::map<int, Counter*> requests;  // by status
  };
  std::mutex route_metrics_mu_;
  std::map<std::string, RouteSeries, std::less<>> route_metrics_;

  // One io_context per I/O thread, each run by that thread alone: a connection stays on the
  // context it was accepted onto (round robin), so no two I/O threads contend for one queue.
  // ioc_ also runs the acceptor and the signal wait.
  net::io_context ioc_{1};
  std::vector<std::unique_ptr<net::io_context>> more_io_;
  size_t next_io_ = 0;  // the context of the next connection; the acceptor's strand only
  // Keep run() going while the only work is a handler on the pool (no pending I/O).
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::optional<ssl::context> ssl_;
  tcp::acceptor acceptor_{net::make_strand(ioc_)};
  std::unique_ptr<net::steady_timer> accept_retry_;
  uint16_t port_ = 0;
  std::string bound_;
  std::vector<std::thread> io_threads_;
  std::unique_ptr<WorkerPool> pool_;
};

namespace {

// ---- One connection: read a request, run the handler on the pool, write, repeat. ----

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(Listener::Impl* listener, tcp::socket&& socket)
      : listener_(listener), options_(listener->options()), stream_(MakeStream(std::move(socket))) {
    beast::error_code ec;
    const tcp::endpoint peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    remote_ = ec ? "unknown" : EndpointText(peer);
  }
  ~Session() override { listener_->Unregister(this); }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(options_.read_timeout);
      state_ = State::kIdle;
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->WaitForRequest();
                              });
    } else {
      WaitForRequest();
    }
  }

  void RequestStop() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->state_ == State::kIdle) self->Lowest().socket().cancel();
    });
  }

  void ForceClose() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Close(); });
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosed };

  Stream MakeStream(tcp::socket&& socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *listener_->ssl_context());
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // Waits (idle_timeout) for the first byte of the next request.
  void WaitForRequest() {
    if (listener_->stopping() || state_ == State::kClosed) return Close();
    parser_.emplace();
    ConfigureParser(&*parser_, options_);
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    state_ = State::kIdle;
    Lowest().expires_after(options_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(size_t{16} * 1024),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    state_ = State::kReading;
    start_ = Clock::now();
    Lowest().expires_after(options_.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->ReadFailed(ec);
                              self->ContinueIfExpected();
                            });
  }

  // curl and others wait for "100 Continue" before sending a large body.
  void ContinueIfExpected() {
    if (!beast::iequals(parser_->get()[http::field::expect], "100-continue") ||
        parser_->is_done()) {
      return ReadBody();
    }
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(stream_, net::buffer(kContinue),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->ReadBody();
                     });
  }

  void ReadBody() {
    if (parser_->is_done()) return Dispatch();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->ReadFailed(ec);
                       self->Dispatch();
                     });
  }

  void ReadFailed(beast::error_code ec) {
    std::optional<Response> answer = ReadErrorResponse(ec, options_);
    if (!answer) return Close();
    keep_alive_ = false;
    head_ = false;
    request_ = Request{};
    request_.method = parser_->get().method_string();
    request_.path =
        std::string(parser_->get().target().substr(0, parser_->get().target().find('?')));
    request_.remote = remote_;
    Write(std::move(*answer), /*admitted=*/false);
  }

  // Admits the request (or answers 503) and runs the handler on the worker pool.
  void Dispatch() {
    keep_alive_ = parser_->get().keep_alive();
    head_ = parser_->get().method() == http::verb::head;
    request_ = ToRequest(parser_->release(), remote_, start_ + options_.request_timeout);
    if (!listener_->TryAdmit()) return Write(Overloaded(options_), /*admitted=*/false);
    state_ = State::kHandling;
    if (listener_->fast()) {
      std::optional<Response> answer = CallFast(listener_->fast(), request_);
      listener_->CountFast(answer.has_value());
      if (answer) return Write(std::move(*answer), /*admitted=*/true);
    }
    // The worker owns the request: once its answer went out early (EarlyAnswer) this connection
    // reads the next one while the handler may still run. The log keeps what it names.
    Request req = std::move(request_);
    request_ = Request{};
    request_.method = req.method;
    request_.path = req.path;
    request_.remote = req.remote;
    listener_->pool().Submit(
        [self = this->shared_from_this(), req = std::move(req), head = head_]() mutable {
          Early early(self.get());
          if (!kTls && !head) req.early = &early;
          Response r = CallHandler(self->listener_->handler(), req);
          if (!early.sent()) self->Answer(std::move(r));
        });
  }

  // A plain answer made and sent by a worker, as the I/O thread will finish it.
  struct Sent {
    std::shared_ptr<http::response<http::string_body>> res;
    std::shared_ptr<http::response_serializer<http::string_body>> sr;
    bool keep_alive = false;
    Response r;  // without its body, for the access log
  };

  // A handler's answer sent from inside it (EarlyAnswer), and the request finished at once.
  class Early final : public EarlyAnswer {
   public:
    explicit Early(Session* session) : session_(session) {}
    void Send(const Response& r) override {
      if (sent_ || r.next_chunk) return;  // a streamed body goes when the handler returns
      sent_ = true;
      session_->FinishSent(session_->SendPlain(r));
    }
    bool sent() const { return sent_; }

   private:
    Session* const session_;
    bool sent_ = false;
  };

  // On the worker that made `r`. A plain HTTP answer is sent right here, as far as the socket
  // takes it without waiting (all of it, for a small answer to a client that reads): the client
  // has it without waiting for the I/O thread to wake, which then only finishes the request
  // (and writes what the socket did not take). TLS, HEAD and streamed answers go to the I/O
  // thread's Write.
  void Answer(Response r) {
    if constexpr (!kTls) {
      if (!r.next_chunk && !head_) return FinishSent(SendPlain(std::move(r)));
    }
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), r = std::move(r)]() mutable {
                self->Write(std::move(r), /*admitted=*/true);
              });
  }

  Sent SendPlain(Response r) {
    Sent sent;
    sent.keep_alive = keep_alive_ && !listener_->stopping();
    sent.res = std::make_shared<http::response<http::string_body>>();
    FillHeader(sent.res.get(), r, sent.keep_alive, false, r.body.size());
    sent.res->body() = std::move(r.body);
    r.body.clear();
    sent.sr = std::make_shared<http::response_serializer<http::string_body>>(*sent.res);
    SendNow(*sent.sr);
    sent.r = std::move(r);
    return sent;
  }

  // Hands a worker's answer to the I/O thread, which writes what the socket did not take and
  // reads the next request.
  void FinishSent(Sent sent) {
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), sent = std::move(sent)]() mutable {
                self->admitted_ = true;
                self->keep_alive_ = sent.keep_alive;
                self->state_ = State::kWriting;
                self->response_ = std::move(sent.r);
                self->bytes_ = sent.res->body().size();
                if (sent.sr->is_done()) return self->Finish(true);
                self->Lowest().expires_after(self->options_.write_timeout);
                http::async_write(self->stream_, *sent.sr,
                                  [self, res = sent.res, sr = sent.sr](
                                      beast::error_code ec, size_t) { self->Finish(!ec); });
              });
  }

  // Writes what the socket takes now, without waiting, from the serializer's next buffers. A
  // failure is left for the I/O thread's write of the rest to find.
  void SendNow(http::response_serializer<http::string_body>& sr) {
    std::lock_guard lock(socket_mu_);  // the I/O thread's Close may not run meanwhile
    if (!Lowest().socket().is_open()) return;
    const int fd = Lowest().socket().native_handle();
    beast::error_code ec;
    ssize_t sent = 0;
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      constexpr size_t kMaxIov = 16;
      iovec iov[kMaxIov];
      size_t count = 0;
      for (net::const_buffer b : beast::buffers_range_ref(buffers)) {
        if (count == kMaxIov) break;
        iov[count++] = {const_cast<void*>(b.data()), b.size()};
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = count;
      sent = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    });
    if (!ec && sent > 0) sr.consume(static_cast<size_t>(sent));
  }

  void Write(Response r, bool admitted) {
    admitted_ = admitted;
    if (listener_->stopping()) keep_alive_ = false;
    state_ = State::kWriting;
    response_ = std::move(r);
    bytes_ = 0;
    if (response_.next_chunk && !head_) return WriteStreamHeader();
    auto res = std::make_shared<http::response<http::string_body>>();
    FillHeader(res.get(), response_, keep_alive_, false, response_.body.size());
    if (!head_) res->body() = std::move(response_.body);
    bytes_ = head_ ? 0 : res->body().size();
    Lowest().expires_after(options_.write_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        self->Finish(!ec);
                      });
  }

  void WriteStreamHeader() {
    auto res = std::make_shared<http::response<http::empty_body>>();
    FillHeader(res.get(), response_, keep_alive_, true, 0);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    Lowest().expires_after(options_.write_timeout);
    http::async_write_header(
        stream_, *sr, [self = this->shared_from_this(), res, sr](beast::error_code ec, size_t) {
          if (ec) return self->Finish(false);
          self->WriteChunk(std::move(self->response_.body));
        });
  }

  // Writes `chunk` (if not empty), then asks the pool for the next one.
  void WriteChunk(std::string chunk) {
    if (chunk.empty()) return NextChunk();
    auto data = std::make_shared<std::string>(std::move(chunk));
    bytes_ += data->size();
    Lowest().expires_after(options_.write_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(*data)),
                     [self = this->shared_from_this(), data](beast::error_code ec, size_t) {
                       if (ec) return self->Finish(false);
                       self->NextChunk();
                     });
  }

  // The producer may block (a database cursor), so it runs on the pool.
  void NextChunk() {
    listener_->pool().Submit([self = this->shared_from_this()] {
      std::string chunk;
      bool more;
      try {
        more = self->response_.next_chunk(&chunk);
      } catch (...) {
        more = false;  // the status is sent already: end the body; the client sees it short
      }
      net::post(self->stream_.get_executor(), [self, more, c = std::move(chunk)]() mutable {
        if (more) return self->WriteChunk(std::move(c));
        self->WriteLastChunk(std::move(c));
      });
    });
  }

  void WriteLastChunk(std::string tail) {
    if (!tail.empty()) {  // a producer may hand over its last bytes with `false`
      response_.next_chunk = [](std::string*) { return false; };
      return WriteChunk(std::move(tail));
    }
    Lowest().expires_after(options_.write_timeout);
    net::async_write(
        stream_, http::make_chunk_last(),
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->Finish(!ec); });
  }

  void Finish(bool written) {
    listener_->Record(request_, response_, bytes_, start_);
    response_ = Response{};
    request_ = Request{};
    if (admitted_) listener_->Release();
    admitted_ = false;
    if (!written || !keep_alive_) return Close();
    WaitForRequest();
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    std::lock_guard lock(socket_mu_);
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  Listener::Impl* listener_;
  const ListenerOptions& options_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  State state_ = State::kIdle;
  Clock::time_point start_ = Clock::now();
  Request request_;
  Response response_;
  bool keep_alive_ = false;
  bool head_ = false;
  bool admitted_ = false;
  uint64_t bytes_ = 0;
  std::mutex socket_mu_;  // a worker's SendNow against Close
};

}  // namespace

Status Listener::Impl::Open() {
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate and a key file");
  }
  if (!options_.tls_cert_file.empty()) {
    ssl_.emplace(ssl::context::tls_server);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    ssl_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return Status::InvalidArgument("TLS certificate " + options_.tls_cert_file + ": " +
                                     ec.message());
    }
    ssl_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("TLS key " + options_.tls_key_file + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(ssl_->native_handle()) != 1) {
      return Status::InvalidArgument("TLS key " + options_.tls_key_file +
                                     " does not match the certificate");
    }
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) return Status::InvalidArgument("listen address '" + options_.address + "' is not an IP");
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = EndpointText(endpoint);
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return Status::IOError("listening on " + where + ": " + ec.message());
  }
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return Status::IOError("listening on " + where + ": " + ec.message());
  }
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
    return Status::IOError("listening on " + where + ": " + ec.message());
  }
  const tcp::endpoint local = acceptor_.local_endpoint(ec);
  port_ = local.port();
  bound_ = EndpointText(local);
  accept_retry_ = std::make_unique<net::steady_timer>(acceptor_.get_executor());
  pool_ = std::make_unique<WorkerPool>(options_.worker_threads);
  for (size_t i = 1; i < std::max<size_t>(options_.io_threads, 1); ++i) {
    more_io_.push_back(std::make_unique<net::io_context>(1));
  }
  work_.push_back(net::make_work_guard(ioc_));
  for (auto& io : more_io_) work_.push_back(net::make_work_guard(*io));
  Accept();
  for (size_t i = 0; i <= more_io_.size(); ++i) {
    io_threads_.emplace_back([this, &io = IoContext(i)] {
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {  // a bug; keep serving the other connections
          if (options_.access_log) {
            options_.access_log->Log(LogLevel::kError, "http_io_error", {{"error", e.what()}});
          }
        }
      }
    });
  }
  if (options_.access_log) {
    options_.access_log->Log(LogLevel::kInfo, "http_listen",
                             {{"address", bound_}, {"tls", ssl_.has_value()}});
  }
  SetGauges();
  return Status::Ok();
}

void Listener::Impl::Accept() {
  net::io_context& io = IoContext(next_io_++ % (more_io_.size() + 1));
  acceptor_.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping_) return;
    if (ec) {  // e.g. out of file descriptors: try again shortly rather than spin
      accept_retry_->expires_after(std::chrono::milliseconds(50));
      accept_retry_->async_wait([this](beast::error_code) {
        if (!stopping_) Accept();
      });
      return;
    }
    bool full;
    {
      std::lock_guard lock(mu_);
      full = sessions_.size() >= options_.max_connections;
    }
    if (full) {
      Reject(std::move(socket));
    } else if (ssl_) {
      StartSession<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket));
    } else {
      StartSession<Session<beast::tcp_stream>>(std::move(socket));
    }
    Accept();
  });
}

template <class S>
void Listener::Impl::StartSession(tcp::socket socket) {
  auto session = std::make_shared<S>(this, std::move(socket));
  Register(session);
  session->Run();
}

// Over max_connections: a 503 (plain HTTP) or a closed connection (TLS, which would need a
// handshake first), never a wait.
void Listener::Impl::Reject(tcp::socket socket) {
  if (options_.metrics) Rejected("connections")->Increment();
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  if (ssl_) {
    beast::error_code ec;
    sock->close(ec);
    return;
  }
  Response r = Response::Json(503, JsonMessage("server busy: too many connections; retry"));
  r.set_header("retry-after", std::to_string(options_.retry_after_seconds));
  auto bytes = std::make_shared<std::string>(Serialize(r, false, false));
  net::async_write(*sock, net::buffer(*bytes), [sock, bytes](beast::error_code, size_t) {
    beast::error_code ec;
    sock->shutdown(tcp::socket::shutdown_both, ec);
    sock->close(ec);
  });
}

void Listener::Impl::Register(const std::shared_ptr<SessionBase>& session) {
  {
    std::lock_guard lock(mu_);
    sessions_[session.get()] = session;
  }
  SetGauges();
}

void Listener::Impl::Unregister(SessionBase* session) {
  {
    std::lock_guard lock(mu_);
    sessions_.erase(session);
  }
  cv_.notify_all();
  SetGauges();
}

bool Listener::Impl::TryAdmit() {
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    if (options_.metrics) Rejected("in_flight")->Increment();
    return false;
  }
  if (in_flight_gauge_) in_flight_gauge_->Set(static_cast<double>(in_flight_.load()));
  return true;
}

void Listener::Impl::Release() {
  in_flight_.fetch_sub(1);
  if (in_flight_gauge_) in_flight_gauge_->Set(static_cast<double>(in_flight_.load()));
}

void Listener::Impl::SetGauges() {
  if (!options_.metrics) return;
  size_t connections;
  {
    std::lock_guard lock(mu_);
    connections = sessions_.size();
  }
  connections_->Set(static_cast<double>(connections));
  in_flight_gauge_->Set(static_cast<double>(in_flight_.load()));
}

Counter* Listener::Impl::Rejected(std::string_view reason) {
  return options_.metrics->GetCounter("cloudlite_http_rejected_total",
                                      "Requests and connections refused when full",
                                      {{"reason", std::string(reason)}});
}

std::pair<Counter*, Histogram*> Listener::Impl::RouteMetrics(std::string_view route, int status) {
  std::lock_guard lock(route_metrics_mu_);
  auto it = route_metrics_.find(route);
  if (it == route_metrics_.end()) {
    it = route_metrics_.emplace(std::string(route), RouteSeries{}).first;
    it->second.duration = options_.metrics->GetHistogram(
        "cloudlite_http_request_duration_seconds",
        "Time from a request's first byte to its response's last, by route", LatencyBuckets(),
        {{"route", std::string(route)}});
  }
  Counter*& requests = it->second.requests[status];
  if (!requests) {
    requests = options_.metrics->GetCounter(
        "cloudlite_http_requests_total", "HTTP requests answered, by route and status",
        {{"route", std::string(route)}, {"status", std::to_string(status)}});
  }
  return {requests, it->second.duration};
}

// Metrics and the access log line: never the query, the body or any header.
void Listener::Impl::Record(const Request& req, const Response& r, uint64_t bytes,
                            Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string_view route = r.route.empty() ? "other" : std::string_view(r.route);
  if (options_.metrics) {
    auto [requests, duration] = RouteMetrics(route, r.status);
    requests->Increment();
    duration->Observe(seconds);
  }
  if (options_.access_log) {
    const std::string path = req.path.substr(0, kMaxLoggedPath);
    std::vector<LogField> fields = {{"method", req.method}, {"path", path},
                                    {"route", route},       {"status", r.status},
                                    {"bytes", bytes},       {"duration_ms", seconds * 1000},
                                    {"remote", req.remote}};
    for (const auto& [key, value] : r.log_fields) fields.emplace_back(key, value);
    options_.access_log->Log(LogLevel::kInfo, "http_request", fields);
  }
}

void Listener::Impl::Shutdown() {
  std::lock_guard once(shutdown_mu_);
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
  }
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_retry_->cancel();
  });
  auto each_session = [this](auto fn) {
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard lock(mu_);
      for (auto& [_, weak] : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) fn(*s);
  };
  each_session([](SessionBase& s) { s.RequestStop(); });
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.shutdown_grace, [this] { return sessions_.empty(); });
  }
  each_session([](SessionBase& s) { s.ForceClose(); });
  // Handlers still running finish (they have their deadline); queued ones are dropped unrun.
  pool_->Stop();
  {
    // Every socket is closed now and every pending operation has a timer, so this is short.
    const auto bound =
        std::max({options_.idle_timeout, options_.read_timeout, options_.write_timeout});
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, bound, [this] { return sessions_.empty(); });
  }
  ioc_.stop();
  for (auto& io : more_io_) io->stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
  }
  cv_.notify_all();
  if (options_.access_log) {
    options_.access_log->Log(LogLevel::kInfo, "http_shutdown", {{"address", bound_}});
  }
}

void Listener::Impl::ServeUntilSignal(const std::function<void()>& on_waiting) {
  net::signal_set signals(ioc_, SIGINT, SIGTERM);
  signals.async_wait([this](beast::error_code ec, int) {
    if (ec) return;
    {
      std::lock_guard lock(mu_);
      signalled_ = true;
    }
    cv_.notify_all();
  });
  if (on_waiting) on_waiting();
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return signalled_ || shut_down_; });
  }
  Shutdown();  // the I/O threads are joined before `signals` goes away
}

// ---- Listener ----

Result<std::unique_ptr<Listener>> Listener::Start(ListenerOptions options, Handler handler,
                                                  InlineHandler fast) {
  auto impl = std::make_shared<Impl>(std::move(options), std::move(handler), std::move(fast));
  try {
    CL_RETURN_IF_ERROR(impl->Open());
  } catch (const std::exception& e) {  // Asio reports some setup failures only by throwing
    return Status::IOError(std::string("starting the HTTP listener: ") + e.what());
  }
  return std::unique_ptr<Listener>(new Listener(std::move(impl)));
}

Listener::Listener(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Listener::~Listener() { Shutdown(); }
uint16_t Listener::port() const { return impl_->port(); }
std::string Listener::address() const { return impl_->bound(); }
bool Listener::tls() const { return impl_->ssl_context() != nullptr; }
void Listener::Shutdown() { impl_->Shutdown(); }
void Listener::ServeUntilSignal(const std::function<void()>& on_waiting) {
  impl_->ServeUntilSignal(on_waiting);
}

// ---- ServeBytes: the same parsing without sockets. ----

std::string ServeBytes(std::string_view bytes, const ListenerOptions& options,
                       const Handler& handler) {
  std::string out;
  beast::flat_buffer buffer;
  net::buffer_copy(buffer.prepare(bytes.size()), net::buffer(bytes.data(), bytes.size()));
  buffer.commit(bytes.size());
  for (int i = 0; i < kMaxRequestsPerServeBytes && buffer.size() > 0; ++i) {
    Parser parser;
    ConfigureParser(&parser, options);
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done() && buffer.size() > 0) {
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        if (used == 0) return out;  // incomplete: the listener would wait, then time out
        ec = {};
        continue;
      }
      if (ec) break;
    }
    if (ec) {
      if (std::optional<Response> answer = ReadErrorResponse(ec, options)) {
        out += Serialize(*answer, false, false);
      }
      return out;
    }
    if (!parser.is_done()) return out;
    const bool keep_alive = parser.get().keep_alive();
    const bool head = parser.get().method() == http::verb::head;
    Request req = ToRequest(parser.release(), "fuzz:0", Clock::now() + options.request_timeout);
    Response r = CallHandler(handler, req);
    if (r.next_chunk) {  // the chunks, bounded, as one body
      std::string chunk;
      for (int c = 0; c < kMaxChunksPerServeBytes; ++c) {
        chunk.clear();
        const bool more = r.next_chunk(&chunk);
        r.body += chunk;
        if (!more) break;
      }
    }
    out += Serialize(r, keep_alive, head);
    if (!keep_alive) break;
  }
  return out;
}

}  // namespace cloudlite::server
