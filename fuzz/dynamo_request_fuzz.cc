// DynamoDB item requests (src/dynamo/request.h) from any JSON: each input is parsed as PutItem,
// UpdateItem, DeleteItem, GetItem, Query, Scan, BatchGetItem and BatchWriteItem against a fixed
// key schema, and what parses is applied to a fixed item and to no item, or paged over fixed
// rows. Properties: every error is a ValidationException (InvalidArgument), a
// SerializationException (NotSupported) or, for a batch naming another table, NotFound, each
// with a message; a write stores an item with the request's key, within 400 KB, that round-trips
// through the stored encoding; a page never counts more items than it visited and stops at its
// Limit; nothing crashes, and libFuzzer's timeout bounds the work.
#include <boost/json/parse.hpp>

#include "dynamo/item_codec.h"
#include "dynamo/json.h"
#include "dynamo/request.h"
#include "fuzz_util.h"

using namespace cloudlite;
using namespace cloudlite::dynamo;

namespace {

const KeySchema& Schema() {
  static const KeySchema schema{"pk", Type::kS, std::string("sk"), Type::kN};
  return schema;
}

Item ParseItem(std::string_view text) {
  boost::system::error_code ec;
  auto json = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec);
  auto item = ItemFromJson(json);
  FUZZ_CHECK(item.ok());
  return *item;
}

// The item every write is applied to, with the key the seeds use.
const Item& Current() {
  static const Item item = ParseItem(
      R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "5"}, "s": {"S": "abc"},
        "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}, {"M": {"q": {"N": "0"}}}]},
        "m": {"M": {"a": {"M": {"b": {"L": [{"N": "3"}]}}}}}})");
  return item;
}

void CheckError(const Status& s, bool not_found_allowed = false) {
  FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument ||
             s.code() == Status::Code::kNotSupported ||
             (not_found_allowed && s.code() == Status::Code::kNotFound));
  FUZZ_CHECK(!s.message().empty());
}

// Applies `w` to the fixed item given the request's key (as the server would read it), or to no
// item.
void CheckWrite(const WriteRequest& w, bool exists) {
  Item current = Current();
  Result<Value> pk = DecodeKey(w.key().pk, Type::kS);
  Result<Value> sk = DecodeKey(w.key().sk, Type::kN);
  FUZZ_CHECK(pk.ok() && sk.ok());
  current["pk"] = *pk;
  current["sk"] = *sk;
  Result<WriteOutcome> out = w.Apply(exists ? &current : nullptr);
  if (!out.ok()) {
    CheckError(out.status());
    return;
  }
  if (out->condition_failed) {
    FUZZ_CHECK(out->effect.kind == WriteEffect::Kind::kNothing);
    return;
  }
  if (out->effect.kind != WriteEffect::Kind::kStore) return;
  const Item& item = out->effect.item;
  FUZZ_CHECK(out->effect.size == ItemSize(item) && out->effect.size <= kMaxItemSize);
  Result<StoredKey> key = KeyOfItem(item, Schema());
  FUZZ_CHECK(key.ok() && *key == w.key());
  Result<Item> back = DecodeItem(EncodeItem(item));
  FUZZ_CHECK(back.ok() && *back == item);
}

void CheckRead(const ReadRequest& r) {
  ReadRequest::Page page(&r);
  Item row = Current();
  size_t visited = 0;
  for (int i = 0; i < 5; i++) {
    row["sk"] = Value::N(Number::FromInt(i));
    visited++;
    if (!page.Add(row, ItemSize(row))) break;
  }
  // The page's text is JSON (written directly, not serialized from a tree).
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(page.Finish(visited == 5), ec);
  FUZZ_CHECK(!ec && parsed.is_object());
  const boost::json::object& answer = parsed.get_object();
  FUZZ_CHECK(answer.at("Count").to_number<int64_t>() <=
             answer.at("ScannedCount").to_number<int64_t>());
  FUZZ_CHECK(answer.at("ScannedCount").to_number<int64_t>() == static_cast<int64_t>(visited));
  if (r.total_segments() > 0) FUZZ_CHECK(r.segment() < r.total_segments());
}

Result<KeySchema> Lookup(std::string_view table) {
  if (table == "t1") return Schema();
  return Status::NotFound("Requested resource not found");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::json::value json = boost::json::parse(fuzz::Bytes(data, size), ec, {}, options);
  if (ec || !json.is_object()) return 0;
  const boost::json::object& request = json.get_object();

  for (auto kind :
       {WriteRequest::Kind::kPut, WriteRequest::Kind::kUpdate, WriteRequest::Kind::kDelete}) {
    Result<WriteRequest> w = WriteRequest::Parse(kind, request, Schema());
    if (!w.ok()) {
      CheckError(w.status());
      continue;
    }
    CheckWrite(*w, true);
    CheckWrite(*w, false);
  }
  Result<GetRequest> get = GetRequest::Parse(request, Schema());
  if (!get.ok()) {
    CheckError(get.status());
  } else {
    std::optional<Item> answer = get->Answer(Current());
    FUZZ_CHECK(answer && answer->size() <= Current().size());
  }
  for (bool query : {true, false}) {
    Result<ReadRequest> r = query ? ReadRequest::ParseQuery(request, Schema())
                                  : ReadRequest::ParseScan(request, Schema());
    if (!r.ok()) {
      CheckError(r.status());
      continue;
    }
    FUZZ_CHECK(r->is_query() == query);
    CheckRead(*r);
  }
  Result<BatchGet> batch_get = BatchGet::Parse(request, Lookup);
  if (!batch_get.ok()) {
    CheckError(batch_get.status(), true);
  } else {
    size_t keys = 0;
    for (const auto& t : batch_get->tables) keys += t.keys.size();
    FUZZ_CHECK(keys >= 1 && keys <= 100);
  }
  Result<BatchWrite> batch_write = BatchWrite::Parse(request, Lookup);
  if (!batch_write.ok()) {
    CheckError(batch_write.status(), true);
  } else {
    size_t writes = 0;
    for (const auto& t : batch_write->tables) {
      for (const auto& w : t.writes) CheckWrite(w, true);
      writes += t.writes.size();
    }
    FUZZ_CHECK(writes >= 1 && writes <= 25);
  }
  return 0;
}
