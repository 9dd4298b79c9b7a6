#include "store/dynamodb/dynamodb_client.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "net/server_text.h"
#include "net/sigv4.h"

namespace cloudlite::ddb {
namespace {

bool OneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool IsRead(std::string_view op) { return OneOf(op, {"GetItem", "BatchGetItem", "Query"}); }
bool IsWrite(std::string_view op) { return OneOf(op, {"PutItem", "DeleteItem", "BatchWriteItem"}); }

// The request as sent: item operations also ask for their consumed capacity.
std::string RequestBody(std::string_view op, const Json& request) {
  if (!(IsRead(op) || IsWrite(op)) || !request.is_object()) return Serialize(request);
  Json with = request;
  with.as_object()["ReturnConsumedCapacity"] = "TOTAL";
  return Serialize(with);
}

// A capacity figure as JSON: whole units keep their ".0", as they always have.
std::string CapacityText(double units) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), units);
  std::string text(buf.data(), ec == std::errc() ? end : buf.data());
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::atomic<uint64_t>& CounterFor(DynamoDbRequestCounts& c, std::string_view op) {
  if (op == "GetItem") return c.get_item;
  if (op == "PutItem") return c.put_item;
  if (op == "DeleteItem") return c.delete_item;
  if (op == "Query") return c.query;
  if (op == "BatchGetItem") return c.batch_get;
  if (op == "BatchWriteItem") return c.batch_write;
  return c.other;
}

}  // namespace

uint64_t DynamoDbRequestCounts::Total() const {
  return get_item + put_item + delete_item + query + batch_get + batch_write + other;
}

std::string DynamoDbRequestCounts::ToJson() const {
  // Keys in alphabetical order, as this has always printed them.
  auto field = [](std::string_view name, uint64_t v) {
    return "\"" + std::string(name) + "\":" + std::to_string(v);
  };
  return "{" + field("BatchGetItem", batch_get) + "," + field("BatchWriteItem", batch_write) + "," +
         field("DeleteItem", delete_item) + "," + field("GetItem", get_item) + "," +
         field("PutItem", put_item) + "," + field("Query", query) + "," + field("other", other) +
         ",\"read_capacity_units\":" + CapacityText(ReadCapacityUnits()) + "," +
         field("total", Total()) +
         ",\"write_capacity_units\":" + CapacityText(WriteCapacityUnits()) + "}";
}

void DynamoDbRequestCounts::Reset() {
  for (auto* c : {&get_item, &put_item, &delete_item, &query, &batch_get, &batch_write, &other,
                  &bytes_in, &read_capacity_milli, &write_capacity_milli}) {
    c->store(0);
  }
}

DynamoDbRequestCounts& ProcessDynamoDbRequestCounts() {
  static DynamoDbRequestCounts counts;
  return counts;
}

Result<std::string> ResolveEndpoint(const AwsConfig& aws) {
  if (aws.endpoint_url.empty()) {
    const std::string region = aws.region.empty() ? "us-east-1" : aws.region;
    return "https://dynamodb." + region + ".amazonaws.com";
  }
  Result<UrlParts> url = ParseUrl(aws.endpoint_url);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || !url->query.empty()) {
    return Status::InvalidArgument("bad DynamoDB endpoint \"" + aws.endpoint_url +
                                   "\": expected http[s]://host[:port]");
  }
  std::string path = url->path;
  while (path.ends_with('/')) path.pop_back();
  return url->scheme + "://" + url->HostHeader() + path;
}

DynamoDbClient::DynamoDbClient(DynamoDbClientOptions options)
    : o_(std::move(options)), http_(o_.http) {}

Result<Json> DynamoDbClient::Call(std::string_view op, const Json& request, std::string_view what) {
  const std::string body = RequestBody(op, request);
  Json out;
  CL_RETURN_IF_ERROR(o_.retry.Run([&](int) -> Status {
    CL_ASSIGN_OR_RETURN(out, Attempt(op, body, what, nullptr, nullptr));
    return Status::Ok();
  }));
  return out;
}

Result<Json> DynamoDbClient::CallOnce(std::string_view op, const Json& request,
                                      std::string_view what, Delivery* delivery,
                                      DynamoDbError* error) {
  return Attempt(op, RequestBody(op, request), what, delivery, error);
}

Result<Json> DynamoDbClient::Attempt(std::string_view op, const std::string& body,
                                     std::string_view what, Delivery* delivery,
                                     DynamoDbError* error) {
  if (delivery != nullptr) *delivery = Delivery::kNotDelivered;
  HttpRequest req;
  req.method = "POST";
  req.url = o_.endpoint + "/";
  req.body = body;
  req.SetHeader("Content-Type", std::string(kContentType));
  req.SetHeader("X-Amz-Target", std::string(kTargetPrefix) + std::string(op));
  SigV4Params params;
  params.service = "dynamodb";
  params.region = o_.aws.region;
  // Signed per attempt so that x-amz-date stays fresh across retries.
  CL_RETURN_IF_ERROR(SignRequest(&req, o_.aws.credentials, params).status());
  CounterFor(ProcessDynamoDbRequestCounts(), op).fetch_add(1, std::memory_order_relaxed);
  Result<HttpResponse> r = http_.Send(req, delivery);
  if (!r.ok()) return Status::Unavailable(std::string(what) + ": " + r.status().message());
  ProcessDynamoDbRequestCounts().bytes_in.fetch_add(r->body.size(), std::memory_order_relaxed);
  if (r->status >= 500 && delivery != nullptr) {
    // The server may have failed after acting on the request.
    *delivery = Delivery::kPossiblyDelivered;
  }
  if (const std::string* crc = r->FindHeader("x-amz-crc32")) {
    uint32_t want = 0;
    auto [end, ec] = std::from_chars(crc->data(), crc->data() + crc->size(), want);
    if (ec == std::errc() && end == crc->data() + crc->size() && Crc32(r->body) != want) {
      if (delivery != nullptr) *delivery = Delivery::kPossiblyDelivered;
      return Status::Unavailable(std::string(what) + ": response body fails its CRC32 check");
    }
  }
  if (r->status != 200) {
    const std::vector<std::string_view> secrets = SecretsOf(o_.aws.credentials);
    if (error != nullptr) *error = ParseError(r->body, secrets);
    return ErrorStatus(r->status, r->body, what, o_.table, o_.aws.credentials_source, secrets);
  }
  Result<Json> j = ParseJson(r->body);
  if (!j.ok() || !j->is_object()) {
    return Status::Unavailable(std::string(what) + ": malformed JSON in the response");
  }
  if (double units = ConsumedCapacityUnits(*j); units > 0) {
    auto milli = static_cast<uint64_t>(std::llround(units * 1000));
    DynamoDbRequestCounts& counts = ProcessDynamoDbRequestCounts();
    (IsWrite(op) ? counts.write_capacity_milli : counts.read_capacity_milli)
        .fetch_add(milli, std::memory_order_relaxed);
  }
  return std::move(j).value();
}

}  // namespace cloudlite::ddb
