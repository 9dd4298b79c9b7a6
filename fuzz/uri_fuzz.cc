// URIs as users write them (Uri::Parse, DatabaseUri::Parse): a parsed URI prints to a canonical
// form that parses back to the same thing.
#include "fuzz_util.h"
#include "store/uri.h"

using namespace cloudlite;

namespace {

bool Same(const Uri& a, const Uri& b) {
  return a.scheme == b.scheme && a.authority == b.authority && a.path == b.path &&
         a.params == b.params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  Result<Uri> uri = Uri::Parse(text);
  if (!uri.ok()) {
    FUZZ_CHECK(uri.status().code() == Status::Code::kInvalidArgument);
  } else {
    const std::string canonical = uri->ToString();
    Result<Uri> again = Uri::Parse(canonical);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(Same(*uri, *again));
    FUZZ_CHECK(again->ToString() == canonical);
  }
  Result<DatabaseUri> db = DatabaseUri::Parse(text);
  if (!db.ok()) {
    FUZZ_CHECK(db.status().code() == Status::Code::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(uri.ok());
  FUZZ_CHECK(!db->name.empty() && db->name.size() <= 128 &&
             db->name.find('/') == std::string::npos);
  const std::string canonical = db->ToString();
  Result<DatabaseUri> again = DatabaseUri::Parse(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->name == db->name && Same(again->store, db->store));
  FUZZ_CHECK(again->ToString() == canonical);
  return 0;
}
