#include "store/dynamodb/dynamodb_batch.h"

#include <algorithm>
#include <utility>

#include "base/parallel.h"

namespace cloudlite::ddb {
namespace {

Status Malformed(const std::string& what, std::string_view member) {
  return Status::Unavailable(what + ": malformed " + std::string(member) + " in the response");
}

}  // namespace

DynamoDbBatch::DynamoDbBatch(DynamoDbClient* client, std::string table, RetryPolicy retry)
    : client_(client), table_(std::move(table)), retry_(std::move(retry)) {}

Result<JsonArray> DynamoDbBatch::Left(const Json& response, std::string_view member,
                                      std::string_view inner, const std::string& what) const {
  const Json* per_table = Member(response, member);
  const Json* left = per_table == nullptr ? nullptr : Member(*per_table, table_);
  if (left != nullptr && !inner.empty()) left = Member(*left, inner);
  if (left == nullptr) return JsonArray();
  if (!left->is_array()) return Malformed(what, member);
  return left->get_array();
}

Result<std::vector<Json>> DynamoDbBatch::Get(const std::vector<Json>& keys,
                                             std::string_view projection, const Json& names,
                                             const std::string& what) {
  const size_t batches = (keys.size() + kBatchGetMax - 1) / kBatchGetMax;
  std::vector<std::vector<Json>> found(batches);
  CL_RETURN_IF_ERROR(ForEachInParallel(batches, kParallelBatches, nullptr, [&](size_t b) -> Status {
    JsonArray pending;
    for (size_t i = b * kBatchGetMax; i < std::min(keys.size(), (b + 1) * kBatchGetMax); i++) {
      pending.push_back(keys[i]);
    }
    for (int round = 0; !pending.empty(); round++) {
      if (round >= kMaxBatchRounds) {
        return Status::Unavailable(
            what + ": " + std::to_string(pending.size()) + " keys still unprocessed after " +
            std::to_string(kMaxBatchRounds) + " BatchGetItem rounds (throttled)");
      }
      if (round > 0) retry_.Pause(retry_.Delay(round));
      JsonObject spec{{"Keys", std::move(pending)}, {"ConsistentRead", true}};
      if (!projection.empty()) {
        spec["ProjectionExpression"] = projection;
        spec["ExpressionAttributeNames"] = names;
      }
      const Json request{{"RequestItems", {{table_, std::move(spec)}}}};
      CL_ASSIGN_OR_RETURN(Json r, client_->Call("BatchGetItem", request, what));
      CL_ASSIGN_OR_RETURN(JsonArray items, Left(r, "Responses", "", what));
      for (Json& item : items) found[b].push_back(std::move(item));
      CL_ASSIGN_OR_RETURN(pending, Left(r, "UnprocessedKeys", "Keys", what));
    }
    return Status::Ok();
  }));
  std::vector<Json> all;
  for (auto& batch : found) {
    for (Json& item : batch) all.push_back(std::move(item));
  }
  return all;
}

Status DynamoDbBatch::Write(std::vector<Json> writes, const std::string& what) {
  const size_t batches = (writes.size() + kBatchWriteMax - 1) / kBatchWriteMax;
  return ForEachInParallel(batches, kParallelBatches, nullptr, [&](size_t b) -> Status {
    JsonArray pending;
    for (size_t i = b * kBatchWriteMax; i < std::min(writes.size(), (b + 1) * kBatchWriteMax);
         i++) {
      pending.push_back(std::move(writes[i]));
    }
    for (int round = 0; !pending.empty(); round++) {
      if (round >= kMaxBatchRounds) {
        return Status::Unavailable(
            what + ": " + std::to_string(pending.size()) + " writes still unprocessed after " +
            std::to_string(kMaxBatchRounds) + " BatchWriteItem rounds (throttled)");
      }
      if (round > 0) retry_.Pause(retry_.Delay(round));
      const Json request{{"RequestItems", {{table_, std::move(pending)}}}};
      CL_ASSIGN_OR_RETURN(Json r, client_->Call("BatchWriteItem", request, what));
      CL_ASSIGN_OR_RETURN(pending, Left(r, "UnprocessedItems", "", what));
    }
    return Status::Ok();
  });
}

}  // namespace cloudlite::ddb
