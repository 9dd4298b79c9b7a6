// The DynamoDB store's batch transport: BatchGetItem and BatchWriteItem over any number of keys
// or writes, split into requests of at most 100 keys / 25 writes (DynamoDB's limits) with a few
// in flight at once (base/parallel.h); unprocessed keys and items are sent again with backoff,
// up to kMaxBatchRounds rounds, then Unavailable.
// Thread-safety: as the client it uses (any number of calls at once).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/dynamodb/dynamodb_client.h"

namespace cloudlite::ddb {

inline constexpr size_t kBatchWriteMax = 25;  // BatchWriteItem's limit
inline constexpr size_t kBatchGetMax = 100;   // BatchGetItem's limit
inline constexpr int kMaxBatchRounds = 12;    // rounds of unprocessed items before giving up
inline constexpr int kParallelBatches = 4;    // batch requests of one operation in flight at once

class DynamoDbBatch {
 public:
  // `client` must outlive this; `retry` gives the backoff between rounds.
  DynamoDbBatch(DynamoDbClient* client, std::string table, RetryPolicy retry);

  // BatchGetItem of `keys`, strongly consistent. `projection` is a ProjectionExpression (""
  // for whole items) and `names` its ExpressionAttributeNames. Returns the items found (missing
  // keys are simply absent), in no particular order.
  Result<std::vector<Json>> Get(const std::vector<Json>& keys, std::string_view projection,
                                const Json& names, const std::string& what);

  // BatchWriteItem of `writes` ({"PutRequest": ...} or {"DeleteRequest": ...}). Every write
  // must be idempotent (puts of fixed content, deletes) and their order must not matter:
  // callers write what a head will name before the head.
  Status Write(std::vector<Json> writes, const std::string& what);

 private:
  // The items a response left for another round under the table, as an array; a member of
  // another shape is a malformed response.
  Result<JsonArray> Left(const Json& response, std::string_view member, std::string_view inner,
                         const std::string& what) const;

  DynamoDbClient* const client_;
  const std::string table_;
  const RetryPolicy retry_;
};

}  // namespace cloudlite::ddb
