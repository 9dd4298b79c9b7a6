// A minimal DynamoDB client: the JSON protocol (POST /, X-Amz-Target: DynamoDB_20120810.<Op>,
// application/x-amz-json-1.0, SigV4 service "dynamodb") over the shared HttpClient. The wire
// format itself (JSON, AttributeValues, error bodies and their mapping to Status, CRC32) is
// net/aws/dynamodb_wire.h, shared with a DynamoDB-compatible server. It knows nothing of objects
// or layouts.
//
// Contract:
//  - Call() sends one operation and returns the parsed response body for HTTP 200, else the
//    mapped error (ErrorStatus, net/aws/dynamodb_wire.h). It retries Unavailable (throttling,
//    5xx, transport failures) with the retry policy, so use it only for operations that are safe
//    to repeat (reads, unconditional writes, deletes). CallOnce() makes exactly one attempt and
//    reports whether a failed request may have reached the server, for conditional writes whose
//    retries the caller reasons about.
//  - Responses carrying x-amz-crc32 are checked against it; a mismatch is Unavailable (retried).
//    A 200 whose body is not a JSON object is Unavailable too.
//  - Item operations (GetItem, PutItem, DeleteItem, Query and the batch operations) are sent
//    with ReturnConsumedCapacity TOTAL, and the capacity units of each answer are counted.
// Thread-safety: a DynamoDbClient may be used from many threads at once. Request and capacity
// counters are atomic and process-wide (DynamoDbRequestCounts) so tools and tests can report
// them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "net/aws/dynamodb_wire.h"
#include "net/aws_config.h"
#include "net/http_client.h"

namespace cloudlite::ddb {

struct DynamoDbClientOptions {
  AwsConfig aws;         // credentials, region, endpoint_url (empty = AWS's), max_attempts
  std::string endpoint;  // resolved by ResolveEndpoint(); no trailing '/'
  HttpClientOptions http;
  RetryPolicy retry;
  std::string table;  // for the create-table hint in NotFound messages
};

// https://dynamodb.<region>.amazonaws.com, or aws.endpoint_url checked and without trailing '/'.
Result<std::string> ResolveEndpoint(const AwsConfig& aws);

// Requests sent by every client in this process, by kind (HTTP requests, retries included).
struct DynamoDbRequestCounts {
  std::atomic<uint64_t> get_item{0}, put_item{0}, delete_item{0}, query{0}, batch_get{0},
      batch_write{0}, other{0};
  std::atomic<uint64_t> bytes_in{0};  // response bodies, bytes
  // Capacity units DynamoDB reported consumed, in thousandths: every item operation asks for
  // ReturnConsumedCapacity TOTAL (it costs nothing). Reads are GetItem, BatchGetItem and Query;
  // writes PutItem, DeleteItem and BatchWriteItem. An error response reports none (AWS still
  // bills a failed conditional write).
  std::atomic<uint64_t> read_capacity_milli{0}, write_capacity_milli{0};
  uint64_t Total() const;
  double ReadCapacityUnits() const { return static_cast<double>(read_capacity_milli) / 1000; }
  double WriteCapacityUnits() const { return static_cast<double>(write_capacity_milli) / 1000; }
  std::string ToJson() const;
  void Reset();
};
DynamoDbRequestCounts& ProcessDynamoDbRequestCounts();

class DynamoDbClient {
 public:
  explicit DynamoDbClient(DynamoDbClientOptions options);

  // `op` is the operation name ("GetItem"); `what` describes it for messages.
  Result<Json> Call(std::string_view op, const Json& request, std::string_view what);
  // `error`, when given, receives the error's type and message for an error response.
  Result<Json> CallOnce(std::string_view op, const Json& request, std::string_view what,
                        Delivery* delivery, DynamoDbError* error = nullptr);

  const DynamoDbClientOptions& options() const { return o_; }

 private:
  Result<Json> Attempt(std::string_view op, const std::string& body, std::string_view what,
                       Delivery* delivery, DynamoDbError* error);

  const DynamoDbClientOptions o_;
  HttpClient http_;
};

}  // namespace cloudlite::ddb
