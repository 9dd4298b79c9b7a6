#include "store/dynamodb/dynamodb_client.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "net/server_text.h"
#include "net/sigv4.h"

namespace cloudlite::ddb {
namespace {

bool OneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool IsThrottling(std::string_view type) {
  return OneOf(type,
               {"ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
                "RequestLimitExceeded", "LimitExceededException", "TooManyRequestsException"});
}

bool IsTransient(std::string_view type) {
  return OneOf(type,
               {"InternalServerError", "InternalFailure", "ServiceUnavailable",
                "ServiceUnavailableException", "TransactionConflictException",
                "TransactionInProgressException", "RequestTimeout", "RequestTimeoutException"});
}

bool IsCredentialError(std::string_view type) {
  return OneOf(type, {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException",
                      "InvalidSignatureException", "SignatureDoesNotMatch",
                      "MissingAuthenticationTokenException", "MissingAuthenticationToken",
                      "IncompleteSignatureException", "IncompleteSignature",
                      "ExpiredTokenException", "ExpiredToken", "InvalidClientTokenId",
                      "InvalidAccessKeyId", "AuthFailure", "NotAuthorized"});
}

bool IsRead(std::string_view op) { return OneOf(op, {"GetItem", "BatchGetItem", "Query"}); }
bool IsWrite(std::string_view op) { return OneOf(op, {"PutItem", "DeleteItem", "BatchWriteItem"}); }

// The request as sent: item operations also ask for their consumed capacity.
std::string RequestBody(std::string_view op, const Json& request) {
  if (!(IsRead(op) || IsWrite(op)) || !request.is_object()) return request.dump();
  Json with = request;
  with["ReturnConsumedCapacity"] = "TOTAL";
  return with.dump();
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

constexpr std::array<uint32_t, 256> BuildCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = BuildCrcTable();

}  // namespace

uint64_t DynamoDbRequestCounts::Total() const {
  return get_item + put_item + delete_item + query + batch_get + batch_write + other;
}

std::string DynamoDbRequestCounts::ToJson() const {
  Json j = {{"GetItem", get_item.load()},
            {"PutItem", put_item.load()},
            {"DeleteItem", delete_item.load()},
            {"Query", query.load()},
            {"BatchGetItem", batch_get.load()},
            {"BatchWriteItem", batch_write.load()},
            {"other", other.load()},
            {"total", Total()},
            {"read_capacity_units", ReadCapacityUnits()},
            {"write_capacity_units", WriteCapacityUnits()}};
  return j.dump();
}

void DynamoDbRequestCounts::Reset() {
  for (auto* c : {&get_item, &put_item, &delete_item, &query, &batch_get, &batch_write, &other,
                  &bytes_in, &read_capacity_milli, &write_capacity_milli}) {
    c->store(0);
  }
}

double ConsumedCapacityUnits(const Json& response) {
  auto it = response.find("ConsumedCapacity");
  if (it == response.end()) return 0;
  auto units = [](const Json& c) {
    if (!c.is_object()) return 0.0;
    auto u = c.find("CapacityUnits");
    return u != c.end() && u->is_number() ? u->get<double>() : 0.0;
  };
  if (!it->is_array()) return units(*it);
  double sum = 0;
  for (const Json& c : *it) sum += units(c);
  return sum;
}

DynamoDbRequestCounts& ProcessDynamoDbRequestCounts() {
  static DynamoDbRequestCounts counts;
  return counts;
}

uint32_t Crc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = kCrcTable[(c ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
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

DynamoDbError ParseError(std::string_view body, const std::vector<std::string_view>& secrets) {
  DynamoDbError err;
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return err;
  auto text = [&](const char* name) -> std::string {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string type = text("__type");
  if (size_t hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  err.type = SafeServerText(type, secrets);
  std::string message = text("message");
  if (message.empty()) message = text("Message");
  // Signature errors may echo the canonical request, which carries header values (a session
  // token among them): keep only what comes before it, on one line.
  for (std::string_view cut : {"The Canonical String", "\n", "\r"}) {
    if (size_t at = message.find(cut); at != std::string::npos) message.resize(at);
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  err.message = SafeServerText(message, secrets);
  return err;
}

Status ErrorStatus(int http_status, std::string_view body, std::string_view what,
                   std::string_view table, std::string_view credentials_source,
                   const std::vector<std::string_view>& secrets) {
  const DynamoDbError err = ParseError(body, secrets);
  const std::string w(what);
  std::string detail = "HTTP " + std::to_string(http_status);
  if (!err.type.empty()) detail += " " + err.type;
  if (!err.message.empty()) detail += ": " + err.message;

  const std::string source = credentials_source.empty()
                                 ? ""
                                 : " (credentials from " + std::string(credentials_source) + ")";
  const bool clock = err.message.find("Signature expired") != std::string::npos ||
                     err.message.find("Signature not yet current") != std::string::npos ||
                     err.type == "RequestTimeTooSkewed";
  if (clock) {
    return Status::PermissionDenied(w + ": " + detail +
                                    "; this machine's clock is off by more than 5 minutes: fix it "
                                    "(e.g. enable NTP)");
  }
  // Any 403 is a refusal, whatever its type.
  if (IsCredentialError(err.type) || http_status == 403) {
    return Status::PermissionDenied(w + ": " + detail + "; " + std::string(kCredentialsHint) +
                                    source);
  }
  if (err.type == "ConditionalCheckFailedException") {
    return Status::AlreadyExists(w + ": the condition failed (the item exists)");
  }
  if (err.type == "ResourceNotFoundException") {
    const std::string t(table);
    return Status::NotFound("table " + t + " does not exist; create it with: cloudlite dynamodb " +
                            "create-table " + t);
  }
  if (IsThrottling(err.type)) {
    return Status::Unavailable(w + ": throttled by DynamoDB (" + detail + ")");
  }
  if (IsTransient(err.type) || http_status >= 500 || http_status == 429) {
    return Status::Unavailable(w + ": " + detail);
  }
  if (err.type.empty() && (http_status == 404 || http_status == 405)) {
    return Status::InvalidArgument(w + ": " + detail +
                                   " (is the endpoint a DynamoDB endpoint? set "
                                   "AWS_ENDPOINT_URL_DYNAMODB or ?endpoint=)");
  }
  return Status::InvalidArgument(w + ": " + detail);
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
  req.SetHeader("Content-Type", "application/x-amz-json-1.0");
  req.SetHeader("X-Amz-Target", "DynamoDB_20120810." + std::string(op));
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
  Json j = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Unavailable(std::string(what) + ": malformed JSON in the response");
  }
  if (double units = ConsumedCapacityUnits(j); units > 0) {
    auto milli = static_cast<uint64_t>(std::llround(units * 1000));
    DynamoDbRequestCounts& counts = ProcessDynamoDbRequestCounts();
    (IsWrite(op) ? counts.write_capacity_milli : counts.read_capacity_milli)
        .fetch_add(milli, std::memory_order_relaxed);
  }
  return j;
}

}  // namespace cloudlite::ddb
