// What a DynamoDB server answers (src/store/dynamodb, net/aws/dynamodb_wire.h): JSON parsed as
// the client does (and serialized again), then decoded as an object's head item, a DescribeTable
// answer, a consumed-capacity report and an error response. The first byte picks the HTTP status
// of the error response.
#include <algorithm>
#include <cmath>

#include "fuzz_util.h"
#include "store/dynamodb/dynamodb_client.h"
#include "store/dynamodb/dynamodb_items.h"

using namespace cloudlite;

namespace {

// a == b, but for doubles within a few units in the last place: Boost.JSON 1.81 parses a number
// literal longer than 17 digits without correct rounding, so its shortest printed form may read
// back one ulp away. (DynamoDB carries its numbers as strings; only counters are JSON numbers.)
bool AllFinite(const boost::json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const boost::json::value& e : v.get_array()) {
      if (!AllFinite(e)) return false;
    }
  }
  if (v.is_object()) {
    for (const auto& [key, e] : v.get_object()) {
      if (!AllFinite(e)) return false;
    }
  }
  return true;
}

bool SameJson(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &u = a.get_array(), &v = b.get_array();
    if (u.size() != v.size()) return false;
    for (size_t i = 0; i < u.size(); i++) {
      if (!SameJson(u[i], v[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &u = a.get_object(), &v = b.get_object();
    if (u.size() != v.size()) return false;
    for (const auto& [key, value] : u) {
      const boost::json::value* other = v.if_contains(key);
      if (other == nullptr || !SameJson(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

namespace {

constexpr std::string_view kSecret = "fuzzSECRETkey0123456789";
constexpr int kStatuses[] = {200, 400, 403, 404, 413, 500, 503};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  const std::string_view body = fuzz::Bytes(data + 1, size - 1);

  const Result<ddb::Json> parsed = ddb::ParseJson(body);
  if (parsed.ok()) {
    const ddb::Json& j = *parsed;
    const ddb::Json* inner = ddb::Member(j, "Item");
    // As a head item, and as the Item of a GetItem answer.
    for (const ddb::Json* item : {&j, inner != nullptr ? inner : &j}) {
      for (bool complete : {true, false}) {
        Result<ddb::HeadInfo> head =
            ddb::DecodeHead(*item, "p/db/log/1", "ddb://t/db/log/1", complete);
        if (!head.ok()) {
          fuzz::CheckDecodeError(head.status(), "ddb://t/db/log/1");
          continue;
        }
        if (head->chunked()) {
          FUZZ_CHECK(head->chunk_size >= 1 && head->chunk_size <= ddb::kMaxChunkBytes);
          FUZZ_CHECK(head->chunks() * head->chunk_size >= head->size);  // no wrap-around
        } else if (complete) {
          FUZZ_CHECK(head->data.size() == head->size);
        }
      }
    }
    Status schema = ddb::CheckKeySchema(j, "t");
    FUZZ_CHECK(schema.ok() || schema.code() == Status::Code::kInvalidArgument);
    FUZZ_CHECK(fuzz::IsOneSafeLine(ddb::TableStatus(j)));
    (void)ddb::ConsumedCapacityUnits(j);
    // What the client sends back out: serializing never fails, and parses to the same value.
    const Result<ddb::Json> again = ddb::ParseJson(ddb::Serialize(j));
    // (A literal past the double range parses as infinity, which JSON cannot write back.)
    if (AllFinite(j)) FUZZ_CHECK(again.ok() && SameJson(*again, j));
  }

  Status s =
      ddb::ErrorStatus(status, body, "GetItem dynamodb://t/k", "t", "environment", {kSecret});
  FUZZ_CHECK(!s.ok());
  FUZZ_CHECK(fuzz::IsOneSafeLine(s.message()));
  FUZZ_CHECK(s.message().size() < 2000);
  FUZZ_CHECK(s.message().find(kSecret) == std::string::npos);
  if (status == 403) FUZZ_CHECK(s.code() == Status::Code::kPermissionDenied);
  return 0;
}
