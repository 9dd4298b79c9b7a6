#include "store/uri.h"

#include <algorithm>
#include <array>
#include <string>

namespace cloudlite {
namespace {

constexpr std::array<std::string_view, 4> kSchemes = {"file", "mem", "s3", "dynamodb"};
constexpr std::string_view kSchemeList = "file, mem, s3, dynamodb";
constexpr std::string_view kExamples =
    "file:///abs/dir, mem://name, s3://bucket/prefix, dynamodb://table";
// Database names are one key segment; docs/format.md limits them to 128 characters.
constexpr size_t kMaxDatabaseName = 128;

// Characters that every component may carry unencoded (RFC 3986 "unreserved").
bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// What each component may keep unencoded beyond the unreserved set: nothing that would end the
// component or be read as a delimiter of the next one when parsed back.
constexpr std::string_view kKeepInAuthority = "!$'()*,;=+";
constexpr std::string_view kKeepInPath = "/!$'()*,;=+:@";
constexpr std::string_view kKeepInQuery = "/!$'()*,;:@";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid URI \"" + std::string(text) + "\": " + std::string(why));
}

// Decodes %XX escapes. `what` names the component for the error message.
Result<std::string> Decode(std::string_view text, std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\0') {
      // Refused raw as well as escaped: a C API (open, a file name) would end the string there.
      return Invalid(text, "the " + std::string(what) + " contains a NUL byte");
    }
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    int lo = hi >= 0 ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Invalid(text, "bad percent-escape in the " + std::string(what) +
                               ": '%' must be followed by two hex digits (write %25 for '%')");
    }
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return Invalid(text, "the " + std::string(what) + " contains %00 (NUL)");
    out.push_back(c);
    i += 2;
  }
  return out;
}

bool IsSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Splits the decoded path into segments, dropping the empty ones that leading, trailing and
// doubled slashes make, and rejects "." and "..": a store location is spelled out, never
// resolved, so that it means the same thing to every process that opens it.
Result<std::string> NormalizePath(std::string_view text, std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(start, slash - start);
    if (segment == "." || segment == "..") {
      return Invalid(text, "'.' and '..' are not allowed in the path: spell the location out");
    }
    if (!segment.empty()) {
      if (!out.empty()) out.push_back('/');
      out.append(segment);
    }
    start = slash + 1;
  }
  return out;
}

bool IsDatabaseNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string PercentEncode(std::string_view s, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c) || keep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

Result<Uri> Uri::Parse(std::string_view text) {
  if (text.empty()) {
    return Status::InvalidArgument("empty location: give a store URI such as " +
                                   std::string(kExamples));
  }
  // Scheme: everything before the first ':' provided it looks like one. A bare path ("/var/db",
  // "data/orders") has none, and is the most likely mistake, so it gets its own hint.
  size_t colon = text.find(':');
  bool has_scheme = colon != std::string_view::npos && colon > 0 &&
                    std::all_of(text.begin(), text.begin() + colon, IsSchemeChar);
  if (!has_scheme) {
    if (text.front() == '/') {
      return Invalid(text, "no scheme: for a local directory write file://" + std::string(text));
    }
    if (colon == 0) {
      return Invalid(text, "empty scheme: supported schemes are " + std::string(kSchemeList));
    }
    return Invalid(text, "no scheme: write a store URI such as " + std::string(kExamples) +
                             " (relative paths are not supported)");
  }

  Uri uri;
  uri.scheme = Lower(text.substr(0, colon));
  if (std::find(kSchemes.begin(), kSchemes.end(), uri.scheme) == kSchemes.end()) {
    return Invalid(text, "unsupported scheme \"" + uri.scheme + "\": supported schemes are " +
                             std::string(kSchemeList));
  }
  std::string_view rest = text.substr(colon + 1);

  if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
    return Invalid(text, "fragments ('#') are not supported; write '#' in a path as %23");
  }
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }

  std::string_view raw_authority;
  std::string_view raw_path;
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    raw_authority = rest.substr(0, slash);
    raw_path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  } else if (uri.scheme == "file" && !rest.empty() && rest.front() == '/') {
    raw_path = rest;  // file:/abs/path, the short form some tools print
  } else if (uri.scheme == "file") {
    return Invalid(text,
                   "a file store needs an absolute path: write file:///abs/dir (relative paths "
                   "are not supported)");
  } else {
    return Invalid(
        text, "expected " + uri.scheme + "://... after the scheme, e.g. " + std::string(kExamples));
  }

  CL_ASSIGN_OR_RETURN(uri.authority, Decode(text, raw_authority, "authority"));
  CL_ASSIGN_OR_RETURN(std::string path, Decode(text, raw_path, "path"));
  CL_ASSIGN_OR_RETURN(uri.path, NormalizePath(text, path));

  if (uri.scheme == "file") {
    // RFC 8089 allows "localhost" as the host of a local file; any other host is almost always
    // a relative path written with two slashes ("file://data/db").
    if (!uri.authority.empty() && Lower(uri.authority) != "localhost") {
      return Invalid(text, "\"" + uri.authority +
                               "\" is read as a host name, not a directory: a file store needs "
                               "an absolute path, write file:///abs/dir (three slashes)");
    }
    uri.authority.clear();
  } else if (uri.authority.empty()) {
    std::string_view what = uri.scheme == "mem"  ? "a name: mem://NAME"
                            : uri.scheme == "s3" ? "a bucket: s3://BUCKET[/prefix]"
                                                 : "a table: dynamodb://TABLE[/prefix]";
    return Invalid(text, "missing " + std::string(what));
  }

  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view raw_key = item.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    CL_ASSIGN_OR_RETURN(std::string key, Decode(text, raw_key, "query"));
    CL_ASSIGN_OR_RETURN(std::string value, Decode(text, raw_value, "query"));
    if (key.empty()) return Invalid(text, "a query parameter has no name (\"=" + value + "\")");
    if (uri.params.contains(key)) {
      return Invalid(text, "parameter \"" + key + "\" is given twice; give it once");
    }
    uri.params.emplace(std::move(key), std::move(value));
  }
  return uri;
}

std::string Uri::ToString() const {
  std::string out = scheme + "://" + PercentEncode(authority, kKeepInAuthority);
  // A file URI always has the root slash, even for the root directory itself: "file:///".
  if (!path.empty() || scheme == "file") out += "/" + PercentEncode(path, kKeepInPath);
  char sep = '?';
  for (const auto& [key, value] : params) {
    out.push_back(sep);
    sep = '&';
    out += PercentEncode(key, kKeepInQuery);
    out.push_back('=');
    out += PercentEncode(value, kKeepInQuery);
  }
  return out;
}

std::string Uri::TakeParam(std::string_view name, std::string_view fallback) {
  auto it = params.find(name);
  if (it == params.end()) return std::string(fallback);
  std::string value = std::move(it->second);
  params.erase(it);
  return value;
}

Result<DatabaseUri> DatabaseUri::Parse(std::string_view text) {
  CL_ASSIGN_OR_RETURN(Uri store, Uri::Parse(text));
  if (store.path.empty()) {
    return Invalid(text,
                   "no database name: a database URI is a store URI followed by the name, e.g. "
                   "file:///var/dbs/orders or s3://bucket/prefix/orders");
  }
  DatabaseUri db;
  size_t slash = store.path.rfind('/');
  db.name = slash == std::string::npos ? store.path : store.path.substr(slash + 1);
  store.path.resize(slash == std::string::npos ? 0 : slash);
  if (db.name.size() > kMaxDatabaseName ||
      !std::all_of(db.name.begin(), db.name.end(), IsDatabaseNameChar)) {
    return Invalid(text, "database name \"" + db.name +
                             "\" must be 1 to 128 characters from A-Z a-z 0-9 . _ -");
  }
  db.store = std::move(store);
  return db;
}

std::string DatabaseUri::ToString() const {
  Uri full = store;
  full.path = full.path.empty() ? name : full.path + "/" + name;
  return full.ToString();
}

}  // namespace cloudlite
