#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "base/offline.h"
#include "net/server_text.h"

namespace cloudlite {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

const std::string* Find(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

// curl_global_init is not guaranteed thread-safe on every build; do it exactly once.
void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State of one exchange, reached from curl's callbacks.
struct Transfer {
  std::string_view body;
  size_t offset = 0;      // next body byte to hand to curl
  size_t max_offset = 0;  // most body bytes curl ever read in this exchange
  bool resend_refused = false;
  HttpResponse* response = nullptr;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = std::min(size * nitems, t->body.size() - t->offset);
  std::memcpy(buffer, t->body.data() + t->offset, n);
  t->offset += n;
  t->max_offset = std::max(t->max_offset, t->offset);
  return n;
}

// curl rewinds the body to resend a request, e.g. when a reused connection turns out dead.
// Once the whole body went out the server may already have acted on it, and a blind resend of a
// conditional write could report our own success as a conflict: refuse, and let the caller see a
// possibly-delivered failure.
int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  if (t->max_offset == t->body.size()) {
    t->resend_refused = true;
    return CURL_SEEKFUNC_FAIL;
  }
  t->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  t->response->body.append(data, size * nmemb);
  return size * nmemb;
}

size_t WriteHeader(char* data, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  std::string_view line(data, size * nitems);
  if (line.starts_with("HTTP/")) {
    // A new status line (after 100 Continue, say): headers so far belonged to another response.
    t->response->headers.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace_back(ToLower(Trim(line.substr(0, colon))),
                                      std::string(Trim(line.substr(colon + 1))));
  }
  return line.size();
}

bool HasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == 0; });
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

void HttpRequest::SetHeader(std::string_view name, std::string_view value) {
  for (auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) {
      v = std::string(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::string(value));
}

const std::string* HttpRequest::FindHeader(std::string_view name) const {
  return Find(headers, name);
}

const std::string* HttpResponse::FindHeader(std::string_view name) const {
  return Find(headers, name);
}

// Idle easy handles. Each keeps its connection cache across curl_easy_reset, so a handle taken
// from here usually comes with a warm keep-alive connection.
class HttpClient::Pool {
 public:
  explicit Pool(size_t max_idle) : max_idle_(max_idle) {}
  ~Pool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Release(CURL* h) {
    curl_easy_reset(h);  // options only; connections, DNS and TLS session caches survive
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() < max_idle_) {
        idle_.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

 private:
  const size_t max_idle_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>(options_.max_idle_handles)) {
  GlobalInit();
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, Delivery* delivery) {
  if (delivery != nullptr) *delivery = Delivery::kNotDelivered;
  const std::string what = DescribeRequest(request.method, request.url);
  if (OfflineScope::Active()) {
    OfflineScope::NoteRefused();
    return Status::DeadlineExceeded(what + ": not sent: this thread may not wait on the network");
  }
  if (request.method.empty() || HasControlChars(request.url) || HasControlChars(request.method)) {
    return Status::InvalidArgument(what + ": malformed request line");
  }

  Slist headers;
  auto append = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;
    (void)headers.release();  // the list now starts at `next`, which owns it all
    headers.reset(next);
    return true;
  };
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasControlChars(name) || HasControlChars(value) ||
        name.find(':') != std::string::npos) {
      return Status::InvalidArgument(what + ": malformed header " + name);
    }
    // "Name;" is curl's spelling of a header with an empty value ("Name:" would delete it).
    if (!append(value.empty() ? name + ";" : name + ": " + value)) {
      return Status::Internal(what + ": out of memory building headers");
    }
  }
  // Drop curl's automatic "Expect: 100-continue" on large bodies: it costs a round trip (or a
  // 1 s wait on servers that ignore it) and buys nothing for the sizes we send.
  if (request.FindHeader("expect") == nullptr && !append("Expect:")) {
    return Status::Internal(what + ": out of memory building headers");
  }

  CURL* h = pool_->Acquire();
  if (h == nullptr) return Status::Internal(what + ": curl_easy_init failed");

  HttpResponse response;
  Transfer t;
  t.body = request.body;
  t.response = &response;
  char errbuf[CURL_ERROR_SIZE] = {0};

  const bool has_body =
      !request.body.empty() || request.method == "PUT" || request.method == "POST";
  const auto total_timeout =
      request.timeout.count() > 0 ? request.timeout : options_.request_timeout;
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM-based timeouts in a threaded process
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   request.no_timeout ? 0L : static_cast<long>(total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // the path is signed: send it byte for byte
  curl_easy_setopt(h, CURLOPT_USERAGENT, "cloudlite/0.1");
  if (!options_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!options_.verify_tls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    // Upload mode with our own read callback, so we know how much of the body curl took.
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    if (request.method != "PUT") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_off_t pretransfer_us = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  pool_->Release(h);

  if (rc == CURLE_OK) {
    response.status = static_cast<int>(status);
    return response;
  }

  // Certainly not delivered: no connection, never reached the point of sending, or the server
  // cannot have the whole (Content-Length framed) body.
  const bool not_delivered = rc == CURLE_COULDNT_RESOLVE_HOST ||
                             rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_CONNECT ||
                             pretransfer_us == 0 ||
                             (has_body && !t.resend_refused && t.max_offset < t.body.size());
  if (delivery != nullptr) {
    *delivery = not_delivered ? Delivery::kNotDelivered : Delivery::kPossiblyDelivered;
  }
  std::string reason = curl_easy_strerror(rc);
  if (errbuf[0] != '\0' && reason != errbuf) {
    reason += ": ";
    reason += errbuf;
  }
  // curl's reason can quote the server (a status line, a certificate's names): made safe.
  reason = SafeServerText(reason);
  if (t.resend_refused) reason += " (not resent: the request may have been processed)";
  return Status::Unavailable(what + ": " + reason);
}

Result<UrlParts> ParseUrl(std::string_view url) {
  UrlParts parts;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Status::InvalidArgument("URL without scheme: " + std::string(url.substr(0, 100)));
  }
  parts.scheme = ToLower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("URL with user info is not supported");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad IPv6 host in URL");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument("bad host in URL");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument("URL without host");
  parts.host = ToLower(host);
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return Status::InvalidArgument("bad port in URL");
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535) return Status::InvalidArgument("bad port in URL");
    parts.port = p;
  }
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t q = rest.find('?');
  parts.path = std::string(rest.substr(0, q));
  if (parts.path.empty()) parts.path = "/";
  if (q != std::string_view::npos) parts.query = std::string(rest.substr(q + 1));
  return parts;
}

std::string UrlParts::HostHeader() const {
  const bool default_port =
      port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? host : host + ":" + std::to_string(port);
}

std::string DescribeRequest(std::string_view method, std::string_view url) {
  std::string_view shown = url.substr(0, url.find_first_of("?#"));
  std::string out(method);
  out += ' ';
  out += shown;
  return out;
}

}  // namespace cloudlite
