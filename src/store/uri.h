// Locations as users write them.
//
// A store URI names where objects live: file:///abs/dir, mem://name, s3://bucket[/prefix],
// dynamodb://table. A database URI is a store URI followed by one more path segment, the
// database name: file:///var/dbs/orders names database "orders" in store file:///var/dbs.
// Query parameters (?k=v&k2=v2, percent-encoded) carry options for the store and the engine.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite {

struct Uri {
  std::string scheme;     // "file", "mem", "s3", "dynamodb" (lowercase)
  std::string authority;  // bucket, table or mem name; empty for file:///
  std::string path;       // without leading '/', no trailing '/'; may be empty
  std::map<std::string, std::string, std::less<>> params;

  // Parses "scheme://authority/path?query". InvalidArgument says what is wrong.
  static Result<Uri> Parse(std::string_view text);
  // The canonical text form (params sorted, percent-encoded where needed).
  std::string ToString() const;
  // Removes and returns a parameter, or `fallback` when absent.
  std::string TakeParam(std::string_view name, std::string_view fallback = {});
};

// Percent-encodes every byte of `s` except RFC 3986 unreserved ones and those in `keep`.
std::string PercentEncode(std::string_view s, std::string_view keep = {});

// A database URI split into the store it lives in and its name.
struct DatabaseUri {
  Uri store;         // carries all query parameters
  std::string name;  // one key segment: [A-Za-z0-9._-]+, not "." or ".."

  static Result<DatabaseUri> Parse(std::string_view text);
  std::string ToString() const;
};

}  // namespace cloudlite
