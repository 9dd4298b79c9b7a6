#include "net/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <vector>

#include "net/crypto.h"

namespace cloudlite {
namespace {

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Header values are trimmed and runs of spaces collapsed to one, per the canonical form.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view k = item.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    params.emplace_back(AwsUriEncode(PercentDecode(k), true), AwsUriEncode(PercentDecode(v), true));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

}  // namespace

std::string AwsUriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string AmzDate(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<SigV4Result> SignRequest(HttpRequest* request, const AwsCredentials& credentials,
                                const SigV4Params& params) {
  if (credentials.empty()) {
    return Status::InvalidArgument("cannot sign a request without AWS credentials");
  }
  if (params.service.empty() || params.region.empty()) {
    return Status::InvalidArgument("cannot sign a request without a service and region");
  }
  CL_ASSIGN_OR_RETURN(UrlParts url, ParseUrl(request->url));

  const std::string amz_date = AmzDate(params.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string payload_hash =
      params.payload_hash.empty() ? Sha256Hex(request->body) : std::string(params.payload_hash);

  // Headers we add replace any stale copies (a retried request is signed again).
  request->SetHeader("x-amz-date", amz_date);
  if (params.content_sha256_header) request->SetHeader("x-amz-content-sha256", payload_hash);
  if (!credentials.session_token.empty()) {
    request->SetHeader("x-amz-security-token", credentials.session_token);
  }
  std::erase_if(request->headers, [](const auto& h) { return Lower(h.first) == "authorization"; });

  // Signed headers: host plus everything the request carries. Duplicates join with ','.
  std::map<std::string, std::string> canonical;
  canonical["host"] = url.HostHeader();
  for (const auto& [name, value] : request->headers) {
    std::string key = Lower(name);
    if (key == "host") continue;  // curl sends the one derived from the URL
    std::string v = CanonicalHeaderValue(value);
    auto [it, inserted] = canonical.emplace(key, v);
    if (!inserted) it->second += "," + v;
  }
  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : canonical) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }

  // S3 signs the path as sent; other services want each segment encoded once more.
  std::string canonical_uri = params.service == "s3" ? url.path : AwsUriEncode(url.path, false);

  SigV4Result out;
  out.canonical_request = request->method + "\n" + canonical_uri + "\n" +
                          CanonicalQuery(url.query) + "\n" + canonical_headers + "\n" +
                          signed_headers + "\n" + payload_hash;
  const std::string scope =
      date + "/" + std::string(params.region) + "/" + std::string(params.service) + "/aws4_request";
  out.string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(out.canonical_request);
  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, date);
  key = HmacSha256(key, params.region);
  key = HmacSha256(key, params.service);
  key = HmacSha256(key, "aws4_request");
  out.signature = HexEncode(HmacSha256(key, out.string_to_sign));
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                      ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;
  request->headers.emplace_back("Authorization", out.authorization);
  return out;
}

}  // namespace cloudlite
