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

void AddCanonicalHeader(std::map<std::string, std::string>* canonical, const std::string& key,
                        std::string_view value) {
  std::string v = CanonicalHeaderValue(value);
  auto [it, inserted] = canonical->emplace(key, v);
  if (!inserted) it->second += "," + v;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The key that signs a day's requests to one service in one region: four HMACs, so each thread
// keeps the last one it derived (a client signs with the same key all day). The secrets are
// compared in constant time, as a server compares what it checks against them.
const std::string& SigningKey(std::string_view secret, std::string_view date,
                              std::string_view region, std::string_view service) {
  struct Derived {
    std::string secret, date, region, service, key;
  };
  thread_local Derived last;
  if (last.key.empty() || !ConstantTimeEquals(last.secret, secret) || last.date != date ||
      last.region != region || last.service != service) {
    last = {std::string(secret), std::string(date), std::string(region), std::string(service),
            HmacSha256("AWS4" + std::string(secret), date)};
    last.key = HmacSha256(last.key, region);
    last.key = HmacSha256(last.key, service);
    last.key = HmacSha256(last.key, "aws4_request");
  }
  return last.key;
}

// The canonical request, the string to sign and the signature over `canonical` (every header
// that is signed, lower-case names, values already canonical).
SigV4Result Sign(std::string_view method, std::string_view canonical_uri, std::string_view query,
                 const std::map<std::string, std::string>& canonical, std::string_view payload_hash,
                 const std::string& amz_date, std::string_view region, std::string_view service,
                 std::string_view secret) {
  std::string canonical_headers;
  SigV4Result out;
  for (const auto& [k, v] : canonical) {
    canonical_headers += k + ":" + v + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += k;
  }
  out.canonical_request = std::string(method) + "\n" + std::string(canonical_uri) + "\n" +
                          CanonicalQuery(query) + "\n" + canonical_headers + "\n" +
                          out.signed_headers + "\n" + std::string(payload_hash);
  const std::string date = amz_date.substr(0, 8);
  out.scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  out.string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + out.scope + "\n" + Sha256Hex(out.canonical_request);
  out.signature =
      HexEncode(HmacSha256(SigningKey(secret, date, region, service), out.string_to_sign));
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
    AddCanonicalHeader(&canonical, key, value);
  }
  // S3 signs the path as sent; other services want each segment encoded once more.
  std::string canonical_uri = params.service == "s3" ? url.path : AwsUriEncode(url.path, false);

  SigV4Result out = Sign(request->method, canonical_uri, url.query, canonical, payload_hash,
                         amz_date, params.region, params.service, credentials.secret_access_key);
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + out.scope +
                      ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature;
  request->headers.emplace_back("Authorization", out.authorization);
  return out;
}

}  // namespace cloudlite

namespace cloudlite {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// The parts of "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
struct AuthorizationParts {
  std::string_view algorithm;
  std::optional<std::string_view> credential, signed_headers, signature;
};

AuthorizationParts ParseAuthorization(std::string_view value) {
  AuthorizationParts out;
  size_t space = value.find(' ');
  out.algorithm = value.substr(0, space);
  if (space == std::string_view::npos) return out;
  for (std::string_view item : Split(value.substr(space + 1), ',')) {
    item = Trim(item);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "Credential") out.credential = v;
    if (k == "SignedHeaders") out.signed_headers = v;
    if (k == "Signature") out.signature = v;
  }
  return out;
}

// "20130524T000000Z" (x-amz-date) or an RFC 1123 Date header, as a time point.
std::optional<std::chrono::system_clock::time_point> ParseRequestTime(std::string_view text,
                                                                      bool iso_basic) {
  std::tm tm{};
  const std::string s(text);
  const char* end =
      strptime(s.c_str(), iso_basic ? "%Y%m%dT%H%M%SZ" : "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  if (iso_basic && s.size() != 16) return std::nullopt;
  // system_clock counts nanoseconds: years far from now would overflow it.
  if (tm.tm_year < 70 || tm.tm_year > 300) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

SigV4Verdict Refuse(SigV4Refusal refusal, std::string message) {
  SigV4Verdict v;
  v.refusal = refusal;
  v.message = std::move(message);
  return v;
}

// The request's header `name` (lower case), repeated ones joined as SigV4 joins them.
std::optional<std::string> HeaderValue(const ReceivedRequest& r, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (Lower(k) != name) continue;
    std::string c = CanonicalHeaderValue(v);
    out = out ? *out + "," + c : c;
  }
  return out;
}

// The scope's errors, all of them at once as AWS lists them; "" if the scope is right.
std::string ScopeErrors(const std::vector<std::string_view>& scope, std::string_view service,
                        const std::string& amz_date) {
  std::string out;
  if (scope[2].empty()) {
    out += "Credential should be scoped to a valid region, not '" + std::string(scope[2]) + "'. ";
  }
  if (scope[3] != service) {
    out += "Credential should be scoped to correct service: '" + std::string(service) + "'. ";
  }
  if (scope[4] != "aws4_request") {
    out += "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
           std::string(scope[4]) + "'. ";
  }
  if (scope[1] != std::string_view(amz_date).substr(0, 8)) {
    out +=
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        std::string(scope[1]) + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.";
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string_view RefusalName(SigV4Refusal refusal) {
  switch (refusal) {
    case SigV4Refusal::kMissingAuthenticationToken:
      return "MissingAuthenticationTokenException";
    case SigV4Refusal::kIncompleteSignature:
      return "IncompleteSignatureException";
    case SigV4Refusal::kUnrecognizedClient:
      return "UnrecognizedClientException";
    case SigV4Refusal::kInvalidSignature:
      return "InvalidSignatureException";
  }
  return "InvalidSignatureException";
}

SigV4Verdict VerifySignature(const ReceivedRequest& request, const CredentialsLookup& lookup,
                             const SigV4VerifyParams& params) {
  const std::string authorization = HeaderValue(request, "authorization").value_or("");
  if (Trim(authorization).substr(0, 5) != "AWS4-") {
    return Refuse(SigV4Refusal::kMissingAuthenticationToken,
                  "Request is missing Authentication Token");
  }
  const AuthorizationParts auth = ParseAuthorization(Trim(authorization));
  std::optional<std::string> date = HeaderValue(request, "x-amz-date");
  const bool iso_basic = date.has_value();
  if (!date) date = HeaderValue(request, "date");

  std::string missing;
  if (!auth.credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!auth.signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!auth.signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!date) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) {
    return Refuse(SigV4Refusal::kIncompleteSignature, missing + "Authorization=" + authorization);
  }

  std::optional<std::chrono::system_clock::time_point> time = ParseRequestTime(*date, iso_basic);
  if (!time) {
    return Refuse(SigV4Refusal::kIncompleteSignature,
                  "Date must be in ISO-8601 'basic format'. Got '" + *date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  const std::string amz_date = AmzDate(*time);
  const std::string now = AmzDate(params.now);
  const int skew_minutes = static_cast<int>(params.max_skew.count() / 60);
  if (*time < params.now - params.max_skew) {
    return Refuse(SigV4Refusal::kInvalidSignature,
                  "Signature expired: " + amz_date + " is now earlier than " +
                      AmzDate(params.now - params.max_skew) + " (" + now + " - " +
                      std::to_string(skew_minutes) + " min.)");
  }
  if (*time > params.now + params.max_skew) {
    return Refuse(SigV4Refusal::kInvalidSignature,
                  "Signature not yet current: " + amz_date + " is still later than " +
                      AmzDate(params.now + params.max_skew) + " (" + now + " + " +
                      std::to_string(skew_minutes) + " min.)");
  }

  std::vector<std::string> signed_names;
  for (std::string_view name : Split(*auth.signed_headers, ';')) {
    if (!name.empty()) signed_names.push_back(Lower(name));
  }
  if (std::find(signed_names.begin(), signed_names.end(), "host") == signed_names.end()) {
    return Refuse(SigV4Refusal::kInvalidSignature,
                  "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (auth.algorithm != "AWS4-HMAC-SHA256") {
    return Refuse(SigV4Refusal::kIncompleteSignature, "Unsupported AWS 'algorithm': '" +
                                                          std::string(auth.algorithm) +
                                                          "' (only AWS4-HMAC-SHA256 for now). ");
  }
  std::string_view credential = *auth.credential;
  while (!credential.empty() && credential.back() == '/') credential.remove_suffix(1);
  const std::vector<std::string_view> scope = Split(credential, '/');
  if (scope.size() != 5) {
    return Refuse(SigV4Refusal::kIncompleteSignature,
                  "Credential must have exactly 5 slash-delimited elements, e.g. "
                  "keyid/date/region/service/term, got '" +
                      std::string(*auth.credential) + "'");
  }
  if (std::string errors = ScopeErrors(scope, params.service, amz_date); !errors.empty()) {
    return Refuse(SigV4Refusal::kInvalidSignature, errors);
  }
  std::optional<AwsCredentials> credentials = lookup ? lookup(scope[0]) : std::nullopt;
  if (!credentials || credentials->secret_access_key.empty()) {
    return Refuse(SigV4Refusal::kUnrecognizedClient,
                  "The security token included in the request is invalid.");
  }
  const std::string token = HeaderValue(request, "x-amz-security-token").value_or("");
  if (!ConstantTimeEquals(token, credentials->session_token)) {
    return Refuse(SigV4Refusal::kUnrecognizedClient,
                  "The security token included in the request is invalid");
  }

  std::map<std::string, std::string> canonical;
  for (const std::string& name : signed_names)
    canonical[name] = HeaderValue(request, name).value_or("");
  std::string path = request.path.empty() ? "/" : std::string(request.path);
  std::string canonical_uri = params.service == "s3" ? path : AwsUriEncode(path, false);
  SigV4Result expected =
      Sign(request.method, canonical_uri, request.query, canonical, Sha256Hex(request.body),
           amz_date, scope[2], scope[3], credentials->secret_access_key);
  if (!ConstantTimeEquals(expected.signature, *auth.signature)) {
    return Refuse(SigV4Refusal::kInvalidSignature,
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method. Consult the "
                  "service documentation for details.\n\nThe Canonical String for this request "
                  "should have been\n'" +
                      expected.canonical_request + "'\n\nThe String-to-Sign should have been\n'" +
                      expected.string_to_sign + "'\n");
  }
  SigV4Verdict ok;
  ok.ok = true;
  ok.access_key_id = std::string(scope[0]);
  return ok;
}

}  // namespace cloudlite
