#include "lambda/events.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <utility>
#include <vector>

#include "base/base64.h"

namespace cloudlite::lambda {
namespace {

namespace json = boost::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

// Reads the fields of one JSON object of an event, naming the shape and field in errors. A
// field that is absent or null reads as absent.
class Fields {
 public:
  Fields(const json::object* object, std::string where)
      : object_(object), where_(std::move(where)) {}

  const json::value* Find(std::string_view key) const {
    if (object_ == nullptr) return nullptr;
    const json::value* v = object_->if_contains(key);
    return v == nullptr || v->is_null() ? nullptr : v;
  }
  // The string at `key`, `fallback` when absent; a non-string is an error.
  Status String(std::string_view key, std::string* out, std::string_view fallback = "") const {
    const json::value* v = Find(key);
    if (v == nullptr) {
      *out = std::string(fallback);
      return Status::Ok();
    }
    if (!v->is_string()) return Wrong(key, "a string");
    *out = std::string(v->get_string());
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool* out) const {
    const json::value* v = Find(key);
    *out = false;
    if (v == nullptr) return Status::Ok();
    if (!v->is_bool()) return Wrong(key, "true or false");
    *out = v->get_bool();
    return Status::Ok();
  }
  // The object at `key` (empty Fields when absent).
  Status Object(std::string_view key, Fields* out) const {
    const json::value* v = Find(key);
    if (v != nullptr && !v->is_object()) return Wrong(key, "an object");
    *out = Fields(v == nullptr ? nullptr : &v->get_object(), where_ + "." + std::string(key));
    return Status::Ok();
  }
  const json::object* object() const { return object_; }
  const std::string& where() const { return where_; }

  Status Wrong(std::string_view key, std::string_view expected) const {
    return Status::InvalidArgument(where_ + "." + std::string(key) + " is not " +
                                   std::string(expected));
  }

 private:
  const json::object* object_;
  std::string where_;
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

// {"name": "value", ...} (multi = false) or {"name": ["v1", "v2"], ...} (multi = true) as pairs.
Status ReadPairs(const Fields& parent, std::string_view key, bool multi, Pairs* out) {
  Fields map(nullptr, "");
  CL_RETURN_IF_ERROR(parent.Object(key, &map));
  if (map.object() == nullptr) return Status::Ok();
  for (const auto& [name, value] : *map.object()) {
    if (!multi) {
      if (value.is_null()) continue;
      if (!value.is_string()) return map.Wrong(name, "a string");
      out->emplace_back(std::string(name), std::string(value.get_string()));
      continue;
    }
    if (value.is_null()) continue;
    if (!value.is_array()) return map.Wrong(name, "an array of strings");
    for (const json::value& item : value.get_array()) {
      if (!item.is_string()) return map.Wrong(name, "an array of strings");
      out->emplace_back(std::string(name), std::string(item.get_string()));
    }
  }
  return Status::Ok();
}

void AddHeaders(const Pairs& pairs, server::Request* request) {
  for (const auto& [name, value] : pairs) request->headers.push_back({Lower(name), value});
}

// RFC 3986 unreserved characters stay, everything else is %XX: API Gateway hands REST API
// query parameters over decoded, while a handler expects the raw query string.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string JoinQuery(const Pairs& pairs, bool encode) {
  std::string query;
  for (const auto& [name, value] : pairs) {
    if (!query.empty()) query += '&';
    query += encode ? PercentEncode(name) : name;
    query += '=';
    query += encode ? PercentEncode(value) : value;
  }
  return query;
}

// body + isBase64Encoded, common to every HTTP shape.
Status ReadBody(const Fields& event, std::string* body) {
  bool base64 = false;
  CL_RETURN_IF_ERROR(event.String("body", body));
  CL_RETURN_IF_ERROR(event.Bool("isBase64Encoded", &base64));
  if (base64) {
    std::string decoded;
    if (!Base64Decode(*body, &decoded)) {
      return Status::InvalidArgument(event.where() +
                                     ".body is flagged isBase64Encoded but is not "
                                     "valid base64");
    }
    *body = std::move(decoded);
  }
  return Status::Ok();
}

Status DecodeV2(const Fields& event, DecodedEvent* out) {
  server::Request& r = out->request;
  Fields context(nullptr, ""), http(nullptr, "");
  CL_RETURN_IF_ERROR(event.Object("requestContext", &context));
  CL_RETURN_IF_ERROR(context.Object("http", &http));
  CL_RETURN_IF_ERROR(http.String("method", &r.method));
  if (r.method.empty()) return Status::InvalidArgument(http.where() + ".method is missing");
  CL_RETURN_IF_ERROR(event.String("rawPath", &r.path, "/"));
  CL_RETURN_IF_ERROR(event.String("rawQueryString", &r.query));
  CL_RETURN_IF_ERROR(http.String("sourceIp", &r.remote));
  Pairs headers;
  CL_RETURN_IF_ERROR(ReadPairs(event, "headers", /*multi=*/false, &headers));
  AddHeaders(headers, &r);
  // Payload 2.0 moves the Cookie header into an array of its own; put it back.
  if (const json::value* cookies = event.Find("cookies")) {
    if (!cookies->is_array()) return event.Wrong("cookies", "an array of strings");
    std::string joined;
    for (const json::value& c : cookies->get_array()) {
      if (!c.is_string()) return event.Wrong("cookies", "an array of strings");
      if (!joined.empty()) joined += "; ";
      joined += std::string_view(c.get_string());
    }
    if (!joined.empty()) r.headers.push_back({"cookie", std::move(joined)});
  }
  std::string domain;
  CL_RETURN_IF_ERROR(context.String("domainName", &domain));
  out->shape.source = domain.find(".lambda-url.") != std::string::npos ? EventSource::kFunctionUrl
                                                                       : EventSource::kHttpApiV2;
  return ReadBody(event, &r.body);
}

// REST API (payload 1.0) and ALB events share a layout; they differ in who decoded the query.
Status DecodeV1OrAlb(const Fields& event, bool alb, DecodedEvent* out) {
  server::Request& r = out->request;
  CL_RETURN_IF_ERROR(event.String("httpMethod", &r.method));
  if (r.method.empty()) return Status::InvalidArgument(event.where() + ".httpMethod is empty");
  CL_RETURN_IF_ERROR(event.String("path", &r.path, "/"));
  if (r.path.empty()) r.path = "/";
  Pairs headers;
  const bool multi = event.Find("multiValueHeaders") != nullptr;
  CL_RETURN_IF_ERROR(ReadPairs(event, multi ? "multiValueHeaders" : "headers", multi, &headers));
  AddHeaders(headers, &r);
  Pairs query;
  const bool multi_query = event.Find("multiValueQueryStringParameters") != nullptr;
  CL_RETURN_IF_ERROR(
      ReadPairs(event, multi_query ? "multiValueQueryStringParameters" : "queryStringParameters",
                multi_query, &query));
  // ALB passes the query parameters as sent (still encoded); API Gateway decodes them.
  r.query = JoinQuery(query, /*encode=*/!alb);
  if (!alb) {
    Fields context(nullptr, ""), identity(nullptr, "");
    CL_RETURN_IF_ERROR(event.Object("requestContext", &context));
    CL_RETURN_IF_ERROR(context.Object("identity", &identity));
    CL_RETURN_IF_ERROR(identity.String("sourceIp", &r.remote));
  } else {
    r.remote = std::string(r.header("x-forwarded-for"));
  }
  out->shape.source = alb ? EventSource::kAlb : EventSource::kRestApiV1;
  out->shape.multi_value_headers = alb && multi;
  return ReadBody(event, &r.body);
}

bool IsAlb(const Fields& event) {
  const json::value* context = event.Find("requestContext");
  return context != nullptr && context->is_object() &&
         context->get_object().if_contains("elb") != nullptr;
}

// ---- encoding ----

struct Drained {
  std::string body;
  bool too_large = false;
  bool endless = false;
};

// The body with a streamed one appended chunk by chunk, stopping as soon as it cannot fit.
Drained Drain(server::Response& response, size_t max_bytes) {
  Drained d{std::move(response.body)};
  if (!response.next_chunk) return d;
  int empty_in_a_row = 0;
  std::string chunk;
  while (d.body.size() <= max_bytes) {
    chunk.clear();
    if (!response.next_chunk(&chunk)) break;
    // A stream that keeps producing nothing would spin forever: a handler bug, reported.
    empty_in_a_row = chunk.empty() ? empty_in_a_row + 1 : 0;
    if (empty_in_a_row > 100000) {
      d.endless = true;
      break;
    }
    d.body += chunk;
  }
  d.too_large = d.body.size() > max_bytes;
  return d;
}

std::string_view ContentType(const server::Response& response) {
  for (const auto& h : response.headers) {
    if (EqualsIgnoreCase(h.name, "content-type")) return h.value;
  }
  return {};
}

// A header value that is not UTF-8 cannot go into the JSON answer as is.
std::string Utf8Safe(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  for (char c : s) out += static_cast<unsigned char>(c) < 0x80 ? c : '?';
  return out;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string EncodeHttp(const ResponseShape& shape, const server::Response& response,
                       std::string body) {
  json::object out;
  out["statusCode"] = response.status;
  if (shape.source == EventSource::kAlb) {
    std::string description = std::to_string(response.status);
    if (std::string_view reason = ReasonPhrase(response.status); !reason.empty()) {
      description += ' ';
      description += reason;
    }
    out["statusDescription"] = description;
  }
  // Values of each header name, in order, names lower-cased.
  std::vector<std::pair<std::string, std::vector<std::string>>> grouped;
  json::array cookies;
  const bool v2 =
      shape.source == EventSource::kHttpApiV2 || shape.source == EventSource::kFunctionUrl;
  for (const auto& h : response.headers) {
    std::string name = Lower(h.name);
    if (v2 && name == "set-cookie") {  // payload 2.0: cookies go in their own array
      cookies.emplace_back(Utf8Safe(h.value));
      continue;
    }
    auto it = std::find_if(grouped.begin(), grouped.end(),
                           [&](const auto& g) { return g.first == name; });
    if (it == grouped.end()) {
      grouped.emplace_back(std::move(name), std::vector<std::string>());
      it = grouped.end() - 1;
    }
    it->second.push_back(Utf8Safe(h.value));
  }
  json::object headers, multi;
  for (auto& [name, values] : grouped) {
    if (values.size() > 1 &&
        (shape.source == EventSource::kRestApiV1 || shape.multi_value_headers)) {
      json::array list;
      for (auto& v : values) list.emplace_back(std::move(v));
      multi[name] = std::move(list);
    } else if (shape.multi_value_headers) {
      multi[name] = json::array{json::value(values.front())};
    } else if (values.size() > 1 && name == "set-cookie") {
      // ALB without multi-value headers: one Set-Cookie only (a comma would merge cookies).
      headers[name] = values.front();
    } else {
      std::string joined;
      for (const auto& v : values) joined += (joined.empty() ? "" : ", ") + v;
      headers[name] = joined;
    }
  }
  if (!shape.multi_value_headers) out["headers"] = std::move(headers);
  if (!multi.empty()) out["multiValueHeaders"] = std::move(multi);
  if (!cookies.empty()) out["cookies"] = std::move(cookies);
  const bool base64 = !IsValidUtf8(body) || !IsTextContentType(ContentType(response));
  out["body"] = base64 ? Base64Encode(body) : std::move(body);
  out["isBase64Encoded"] = base64;
  return json::serialize(out);
}

std::string Encode(const ResponseShape& shape, const server::Response& response, std::string body) {
  if (shape.source == EventSource::kDirect) return body;
  return EncodeHttp(shape, response, std::move(body));
}

server::Response ErrorResponse(std::string_view message, std::string_view code) {
  json::object body;
  body["message"] = message;
  body["code"] = code;
  return server::Response::Json(500, json::serialize(body));
}

}  // namespace

std::string_view EventSourceName(EventSource source) {
  switch (source) {
    case EventSource::kHttpApiV2:
      return "http-api-v2";
    case EventSource::kFunctionUrl:
      return "function-url";
    case EventSource::kRestApiV1:
      return "rest-api-v1";
    case EventSource::kAlb:
      return "alb";
    case EventSource::kDirect:
      return "direct";
  }
  return "unknown";
}

Result<DecodedEvent> DecodeEvent(std::string_view payload, const DecodeOptions& options) {
  boost::system::error_code ec;
  json::parse_options parse_options;
  parse_options.max_depth = 64;
  json::value value = json::parse(payload, ec, {}, parse_options);
  if (ec) {
    return Status::InvalidArgument("the event is not JSON (" + ec.message() + ")");
  }
  DecodedEvent out;
  if (value.is_object()) {
    Fields event(&value.get_object(), "event");
    std::string version;
    const json::value* v = event.Find("version");
    if (v != nullptr && v->is_string()) version = std::string(v->get_string());
    Status s = Status::Ok();
    std::string_view shape;
    if (version == "2.0") {
      shape = "HTTP API (payload 2.0) event";
      s = DecodeV2(event, &out);
    } else if (IsAlb(event)) {
      shape = "ALB event";
      s = DecodeV1OrAlb(event, /*alb=*/true, &out);
    } else if (event.Find("httpMethod") != nullptr) {
      shape = "REST API (payload 1.0) event";
      s = DecodeV1OrAlb(event, /*alb=*/false, &out);
    }
    if (!s.ok()) return s.WithContext(shape);
    if (!shape.empty()) return out;
  }
  // A direct invocation: the payload is the body of a JSON POST.
  out.shape.source = EventSource::kDirect;
  out.request.method = "POST";
  out.request.path = options.direct_path;
  out.request.headers.push_back({"content-type", "application/json"});
  out.request.body = std::string(payload);
  return out;
}

std::string EncodeResponse(const ResponseShape& shape, server::Response response,
                           size_t max_bytes) {
  Drained drained = Drain(response, max_bytes);
  if (drained.endless) {
    server::Response error = ErrorResponse(
        "the handler's streamed response produced empty chunks without end", "STREAM_NOT_ENDING");
    std::string body = std::move(error.body);
    return Encode(shape, error, std::move(body));
  }
  std::string encoded;
  if (!drained.too_large) encoded = Encode(shape, response, std::move(drained.body));
  if (drained.too_large || encoded.size() > max_bytes) {
    const std::string size =
        drained.too_large ? "over " + std::to_string(max_bytes) : std::to_string(encoded.size());
    server::Response error = ErrorResponse(
        "the response is too large for AWS Lambda: " + size + " bytes once encoded, the limit is " +
            std::to_string(max_bytes) + " bytes; ask for less (fewer rows, a smaller page)",
        "RESPONSE_TOO_LARGE");
    std::string body = std::move(error.body);
    return Encode(shape, error, std::move(body));
  }
  return encoded;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= n) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[n] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

bool IsTextContentType(std::string_view content_type) {
  const std::string type = Lower(content_type);
  if (type.empty() || type.starts_with("text/")) return true;
  for (std::string_view marker : {"json", "xml", "javascript", "ecmascript",
                                  "x-www-form-urlencoded", "yaml", "csv", "graphql", "charset="}) {
    if (type.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace cloudlite::lambda
