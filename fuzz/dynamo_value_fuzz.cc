// DynamoDB attribute values (src/dynamo/json.h) and stored items (src/dynamo/item_codec.h) on any
// bytes. The first byte picks the input: even = a JSON item or AttributeValue, odd = stored item
// bytes. Properties: JSON errors are ValidationException (InvalidArgument) or
// SerializationException (NotSupported) with a message; a decoded value survives JSON and the
// stored encoding unchanged; stored bytes either are Corruption or re-encode to themselves.
#include <boost/json/parse.hpp>

#include "base/base64.h"
#include "dynamo/item_codec.h"
#include "dynamo/json.h"
#include "fuzz_util.h"

using namespace cloudlite;
using namespace cloudlite::dynamo;

namespace {

void CheckItem(const Item& item) {
  std::string bytes = EncodeItem(item);
  Result<Item> back = DecodeItem(bytes);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == item);
  Result<Item> again = ItemFromJson(ItemToJson(item));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == item);
  FUZZ_CHECK(ItemSize(item) <= 2 * bytes.size() + 16);
}

void CheckJsonError(const Status& s) {
  FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kNotSupported);
  FUZZ_CHECK(!s.message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in = fuzz::Split(data, size);
  if (in.sealed) {
    Result<Item> item = DecodeItem(in.rest);
    if (!item.ok()) {
      FUZZ_CHECK(item.status().IsCorruption());
      return 0;
    }
    FUZZ_CHECK(EncodeItem(*item) == in.rest);
    CheckItem(*item);
    return 0;
  }
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 256;
  boost::json::value json = boost::json::parse(in.rest, ec, {}, options);
  if (ec) return 0;
  Result<Value> value = ValueFromJson(json);
  if (value.ok()) {
    Item wrapped;
    wrapped["v"] = *value;
    CheckItem(wrapped);
  } else {
    CheckJsonError(value.status());
  }
  Result<Item> item = ItemFromJson(json);
  if (item.ok()) {
    CheckItem(*item);
  } else {
    CheckJsonError(item.status());
  }
  if (json.is_string()) {
    auto& s = json.get_string();
    Result<std::string> bytes = DecodeBinary(std::string_view(s.data(), s.size()));
    if (bytes.ok()) FUZZ_CHECK(*DecodeBinary(Base64Encode(*bytes)) == *bytes);
  }
  return 0;
}
