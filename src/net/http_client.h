// HttpClient: blocking HTTP/1.1 requests over libcurl, shared by the S3 and DynamoDB backends.
//
// Contract:
//  - Send() returns Ok with the response for ANY HTTP status (4xx/5xx included): mapping
//    statuses to errors is the caller's business, since only it knows the protocol.
//  - A transport failure (DNS, connect, TLS, reset, timeout, truncated response) is
//    Unavailable with a one-line message naming the method, scheme://host/path (never the
//    query string or any header, so signatures and tokens stay out of messages) and curl's
//    reason.
//  - On failure, `*delivery` (when given) says whether the server may have acted on the
//    request. kNotDelivered is reported only when that is certain:
//      * no connection was ever established (DNS failure, refused, connect timeout, TLS setup), or
//      * the request has a body and curl had not yet read all of it from us. Requests are
//        framed with Content-Length, so a server that got a truncated body discards it.
//    Everything else is kPossiblyDelivered. Callers making conditional writes turn that into
//    Ambiguous. We track body reads ourselves (a read callback) rather than trusting curl's
//    upload counters, because "read by curl" is an upper bound on "sent to the server",
//    which is the direction the guarantee needs. For the same reason a transparent resend by
//    curl (on a dead reused connection) is refused once the whole body has been read: a
//    resent conditional PUT could turn our own success into a 412.
//  - Connections are kept alive: easy handles (each with its connection cache) are reused
//    from a small pool, with TCP_NODELAY on (without it a small request can wait ~40 ms for a
//    delayed ACK).
// Thread-safety: an HttpClient may be used from many threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  // Absolute URL, already percent-encoded: "https://host[:port]/path?query".
  std::string url;
  // Sent as given (SigV4 signs them). Host, Content-Length are derived by curl from url/body.
  HttpHeaders headers;
  // Not owned: must stay valid for the duration of Send().
  std::string_view body;
  // 0 = the client's default total timeout.
  std::chrono::milliseconds timeout{0};
  // No total timeout at all (the connect timeout still applies): for a server that holds the
  // request open for as long as it likes, like the Lambda Runtime API's /next.
  bool no_timeout = false;

  void SetHeader(std::string_view name, std::string_view value);  // replaces (case-insensitive)
  const std::string* FindHeader(std::string_view name) const;     // case-insensitive
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lowercased, values trimmed, in arrival order
  std::string body;

  const std::string* FindHeader(std::string_view name) const;  // case-insensitive
};

// Whether a failed request may have taken effect at the server (see the contract above).
enum class Delivery { kNotDelivered, kPossiblyDelivered };

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};  // whole exchange, per attempt
  size_t max_idle_handles = 16;  // pooled easy handles (each keeps its own connections)
  std::string ca_bundle;         // PEM file for TLS verification; empty = system default
  bool verify_tls = true;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request, Delivery* delivery = nullptr);

  const HttpClientOptions& options() const { return options_; }

 private:
  class Pool;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

// Parts of an absolute URL, for signing and messages. Percent-encoding is left as is.
struct UrlParts {
  std::string scheme;  // lowercase
  std::string host;    // lowercase, without port; IPv6 literal keeps its brackets
  int port = 0;        // 0 when absent
  std::string path;    // "/" when absent
  std::string query;   // without '?'

  // "host" or "host:port" when the port differs from the scheme's default.
  std::string HostHeader() const;
};
Result<UrlParts> ParseUrl(std::string_view url);

// "GET http://host:port/path" — what messages print for a request (no query, no headers).
std::string DescribeRequest(std::string_view method, std::string_view url);

}  // namespace cloudlite
