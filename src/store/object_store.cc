#include "store/object_store.h"

#include <string>

#include "base/hex.h"

namespace cloudlite {
namespace {

constexpr size_t kMaxKeyBytes = 1024;
// A List page size for ListAll: large enough that listing a database is a handful of requests,
// small enough that one page is a bounded response from any backend.
constexpr size_t kListAllPage = 1000;

// The key as it can be shown in a message: printable bytes as they are, others as \xNN, and
// long keys shortened, so that a bad key never garbles a terminal or floods a log.
std::string Printable(std::string_view key) {
  constexpr size_t kShown = 80;
  std::string out = "\"";
  for (size_t i = 0; i < key.size() && i < kShown; i++) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      AppendHex(c, &out);
    }
  }
  if (key.size() > kShown) out += "...";
  out += "\"";
  return out;
}

Status Invalid(std::string_view key, std::string_view why) {
  return Status::InvalidArgument("invalid object key " + Printable(key) + ": " + std::string(why));
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Invalid(key, "a key must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return Invalid(
        key, std::to_string(key.size()) + " bytes, the limit is " + std::to_string(kMaxKeyBytes));
  }
  for (char ch : key) {
    auto c = static_cast<unsigned char>(ch);
    // Printable ASCII only: every backend can store it verbatim or with a trivial escape, and
    // it sorts the same everywhere.
    if (c < 0x20 || c > 0x7e) return Invalid(key, "keys are printable ASCII (0x20..0x7e)");
  }
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty()) {
      return Invalid(key, "empty path segment (a leading, trailing or doubled '/')");
    }
    if (segment == "." || segment == "..") {
      return Invalid(key, "'.' and '..' are not allowed as path segments");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ListAll(ObjectStore& store, std::string_view prefix,
                                         std::string_view start_after) {
  std::vector<std::string> all;
  std::string after(start_after);
  while (true) {
    CL_ASSIGN_OR_RETURN(ListPage page, store.List(prefix, after, kListAllPage));
    for (std::string& key : page.keys) all.push_back(std::move(key));
    // An empty page ends the listing even if `more` is set: there is nothing to continue after,
    // and asking again with the same start would loop forever.
    if (!page.more || page.keys.empty()) break;
    after = all.back();
  }
  return all;
}

}  // namespace cloudlite
