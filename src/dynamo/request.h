// The item requests of the data plane, parsed and validated against their table's key schema,
// and what they answer: everything about PutItem, UpdateItem, DeleteItem, GetItem, Query, Scan,
// BatchGetItem and BatchWriteItem that needs no I/O. The server (server/dynamodb) finds the
// table and the partition, reads and writes rows, and asks this layer what to do and what to say.
//
// Parsing accepts the expression parameters and the legacy ones (Expected, AttributeUpdates,
// AttributesToGet, KeyConditions, QueryFilter, ScanFilter, ConditionalOperator: legacy.h turns
// them into expressions) and checks everything DynamoDB checks before touching data, with its
// messages: the key against the schema, ExpressionAttributeNames/Values used and defined,
// ReturnValues allowed for the operation, Limit, Select, Segment/TotalSegments.
// Thread-safety: parsed requests are immutable values.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "dynamo/expression.h"
#include "dynamo/value.h"

namespace cloudlite::dynamo {

// An item's primary key as stored (docs/dynamodb.md, "Key encoding"): `sk` is "" in a table
// without a sort key. Ordered as the partition's primary key orders rows.
struct StoredKey {
  std::string pk;
  std::string sk;
  friend auto operator<=>(const StoredKey&, const StoredKey&) = default;
};

// The key of a GetItem/UpdateItem/DeleteItem `Key` (exactly the schema's attributes, of the
// schema's types, non-empty): "The provided key element does not match the schema" otherwise.
Result<StoredKey> KeyFromKeyAttributes(const Item& key, const KeySchema& schema);
// The key of a PutItem `Item`: "One or more parameter values were invalid: Missing the key pk in
// the item", "... Type mismatch for key pk expected: S actual: N", empty key values.
Result<StoredKey> KeyOfItem(const Item& item, const KeySchema& schema);
// The key attributes of a stored item (LastEvaluatedKey, UnprocessedKeys).
Item KeyAttributesOf(const Item& item, const KeySchema& schema);

enum class ReturnValues { kNone, kAllOld, kUpdatedOld, kAllNew, kUpdatedNew };
enum class ReturnConsumedCapacity { kNone, kTotal, kIndexes };

// What a write does to its one item.
struct WriteEffect {
  enum class Kind { kNothing, kStore, kDelete };
  Kind kind = Kind::kNothing;
  Item item;        // kStore: the new item, within kMaxItemSize
  size_t size = 0;  // kStore: ItemSize(item)
};

// The outcome of applying a write to the current item.
struct WriteOutcome {
  bool condition_failed = false;  // nothing is written; ConditionalCheckFailedException
  WriteEffect effect;             // when !condition_failed
  // Success: the response members ("Attributes" per ReturnValues). Condition failed: the error's
  // members ("Item" when ReturnValuesOnConditionCheckFailure is ALL_OLD and an item existed).
  boost::json::object members;
  size_t old_size = 0;  // ItemSize of the current item (0: none), for consumed capacity
};

// PutItem, UpdateItem or DeleteItem; also a BatchWriteItem PutRequest/DeleteRequest (no
// condition, ReturnValues NONE).
class WriteRequest {
 public:
  enum class Kind { kPut, kUpdate, kDelete };
  // `request` is the whole request body (TableName is the caller's business).
  static Result<WriteRequest> Parse(Kind kind, const boost::json::object& request,
                                    const KeySchema& schema);
  Kind kind() const { return kind_; }
  const StoredKey& key() const { return key_; }
  ReturnConsumedCapacity return_consumed_capacity() const { return capacity_; }
  bool return_item_collection_metrics() const { return collection_metrics_; }

  // Decides the write from the item as it is now (nullptr: no item). Errors are the ones an
  // update raises on data (wrong operand type, item too large: "Item size has exceeded the
  // maximum allowed size"); a false condition is not an error but `condition_failed`.
  Result<WriteOutcome> Apply(const Item* current) const;

 private:
  Kind kind_ = Kind::kPut;
  StoredKey key_;
  Item key_item_;  // the key attributes (UpdateItem creates an item from them)
  Item put_item_;  // kPut
  std::optional<Condition> condition_;
  std::optional<Update> update_;
  ReturnValues return_values_ = ReturnValues::kNone;
  bool return_old_on_condition_failure_ = false;
  ReturnConsumedCapacity capacity_ = ReturnConsumedCapacity::kNone;
  bool collection_metrics_ = false;
  bool legacy_update_ = false;  // the update came from AttributeUpdates: its errors' wording
  KeySchema schema_;
};

// GetItem; also one key of a BatchGetItem (with the table's ProjectionExpression/AttributesToGet).
class GetRequest {
 public:
  static Result<GetRequest> Parse(const boost::json::object& request, const KeySchema& schema);
  const StoredKey& key() const { return key_; }
  bool consistent_read() const { return consistent_; }
  ReturnConsumedCapacity return_consumed_capacity() const { return capacity_; }
  // The item as answered, made from the stored one (projected, or itself: no copy).
  std::optional<Item> Answer(std::optional<Item> stored) const;

 private:
  friend struct BatchGet;
  friend struct TransactGet;
  // `operation` names the request for the legacy parameters ("GetItem", "BatchGetItem").
  static Result<GetRequest> ParseFor(std::string_view operation, const boost::json::object& request,
                                     const KeySchema& schema);

  StoredKey key_;
  std::optional<Projection> projection_;
  bool consistent_ = false;
  ReturnConsumedCapacity capacity_ = ReturnConsumedCapacity::kNone;
};

// A Query or a Scan: which rows to visit, in what order, and how to build the page.
class ReadRequest {
 public:
  static Result<ReadRequest> ParseQuery(const boost::json::object& request,
                                        const KeySchema& schema);
  static Result<ReadRequest> ParseScan(const boost::json::object& request, const KeySchema& schema);

  bool is_query() const { return pk_.has_value(); }
  // Query: the partition key's bytes (one partition); Scan: nullopt.
  const std::optional<std::string>& pk() const { return pk_; }
  // Query: the sort-key range to visit, bounds as stored bytes (nullopt: unbounded).
  struct Bound {
    std::string sk;
    bool inclusive = true;
  };
  const std::optional<Bound>& low() const { return low_; }
  const std::optional<Bound>& high() const { return high_; }
  bool forward() const { return forward_; }  // ScanIndexForward (Scan: always true)
  // ExclusiveStartKey, validated against the schema: visit rows strictly after it (before it
  // when !forward).
  const std::optional<StoredKey>& start_after() const { return start_after_; }
  // Scan's Segment and TotalSegments (0 and 1 when absent).
  uint32_t segment() const { return segment_; }
  uint32_t total_segments() const { return total_segments_; }
  bool consistent_read() const { return consistent_; }
  ReturnConsumedCapacity return_consumed_capacity() const { return capacity_; }

  // Builds one page: feed the visited rows in order until Add returns false, then Finish.
  // Limit counts rows visited (before the filter), and a page stops after 1 MB of visited item
  // sizes, as in DynamoDB; LastEvaluatedKey is the key of the last row visited when the page
  // stopped early (or when the caller says more rows may follow).
  class Page {
   public:
    explicit Page(const ReadRequest* request) : request_(request) {}
    // One visited row; false when the page is full (stop visiting).
    bool Add(const Item& item, size_t size);
    // The response as JSON text (written directly: a page's items are most of a response):
    // Items (unless Select COUNT), Count, ScannedCount, LastEvaluatedKey. `more`: the caller
    // stopped with rows left to visit.
    std::string Finish(bool more) const;
    size_t scanned_bytes() const { return bytes_; }

   private:
    const ReadRequest* request_;
    std::string items_;  // the items' JSON text, comma-separated
    size_t count_ = 0, scanned_ = 0, bytes_ = 0;
    std::optional<Item> last_;
    bool full_ = false;
  };

 private:
  // Whether a key is on the far end of a Query's sort-key range in the direction of travel
  // (not for `sk = v`): nothing can follow it.
  bool AtFarEnd(const Item& key) const;

  static Result<ReadRequest> Parse(bool query, const boost::json::object& request,
                                   const KeySchema& schema);
  Status ParseLimitAndSegments(bool query, const boost::json::object& request);
  Status ParseSelect(const boost::json::object& request, bool has_projection);
  Status SetKeyRange(const KeyCondition& condition);  // pk_, low_, high_
  Status ParseStartKey(const boost::json::object& request);

  std::optional<std::string> pk_;
  std::optional<Bound> low_, high_;
  bool forward_ = true;
  std::optional<StoredKey> start_after_;
  uint32_t segment_ = 0, total_segments_ = 1;
  bool consistent_ = false;
  ReturnConsumedCapacity capacity_ = ReturnConsumedCapacity::kNone;
  std::optional<Condition> filter_;
  std::optional<Projection> projection_;
  std::optional<uint32_t> limit_;
  bool count_only_ = false;
  KeySchema schema_;
};

// Whether every character of `name` is one DynamoDB allows in a table name: a-z A-Z 0-9 _ . -
bool TableNameCharsValid(std::string_view name);

// The key schema of a table by name, for the batch requests: NotFound (Requested resource not
// found) when there is no such table.
using SchemaLookup = std::function<Result<KeySchema>(std::string_view table)>;

// BatchGetItem: at most 100 keys over all tables, no duplicates ("Provided list of item keys
// contains duplicates"), per table Keys with ProjectionExpression/AttributesToGet/ConsistentRead.
struct BatchGet {
  struct Table {
    std::string name;
    std::vector<GetRequest> keys;
    std::vector<Item> key_items;  // the Keys as sent, for UnprocessedKeys
  };
  std::vector<Table> tables;
  ReturnConsumedCapacity capacity = ReturnConsumedCapacity::kNone;
  static Result<BatchGet> Parse(const boost::json::object& request, const SchemaLookup& schemas);
};

// BatchWriteItem: at most 25 PutRequest/DeleteRequest over all tables, no two on one key
// ("Provided list of item keys contains duplicates").
struct BatchWrite {
  struct Table {
    std::string name;
    std::vector<WriteRequest> writes;
    boost::json::array requests;  // as sent, for UnprocessedItems
  };
  std::vector<Table> tables;
  ReturnConsumedCapacity capacity = ReturnConsumedCapacity::kNone;
  bool item_collection_metrics = false;
  static Result<BatchWrite> Parse(const boost::json::object& request, const SchemaLookup& schemas);
};

// TransactWriteItems: 1 to 100 actions, each exactly one of Put, Update, Delete and
// ConditionCheck, no two on one item ("Transaction request cannot include multiple operations on
// one item", checked once every action parsed), ClientRequestToken of at most 36 characters. A
// Put whose Item's key does not fit its table's schema cancels the transaction (`key_errors`: a
// CancellationReason "ValidationError", as DynamoDB Local answers); anything else malformed, a
// Key too, is a ValidationException of the whole request.
struct TransactWrite {
  struct Action {
    std::string table;
    WriteRequest write;       // ConditionCheck: a Delete whose effect is not applied
    bool check_only = false;  // ConditionCheck
  };
  std::vector<std::optional<Action>> actions;  // nullopt: the action's key_error
  std::vector<std::string> key_errors;         // per action, "" when the key is fine
  ReturnConsumedCapacity capacity = ReturnConsumedCapacity::kNone;
  std::optional<std::string> token;  // ClientRequestToken
  static Result<TransactWrite> Parse(const boost::json::object& request,
                                     const SchemaLookup& schemas);
};

// TransactGetItems: 1 to 100 Get actions (Key, ProjectionExpression, ExpressionAttributeNames),
// no two on one item.
struct TransactGet {
  struct Action {
    std::string table;
    GetRequest get;
  };
  std::vector<Action> actions;
  ReturnConsumedCapacity capacity = ReturnConsumedCapacity::kNone;
  static Result<TransactGet> Parse(const boost::json::object& request, const SchemaLookup& schemas);
};

// DynamoDB's ConsumedCapacity member for one table: write units are ceil(KB of the larger of the
// old and new item), at least 1; read units ceil(4 KB), halved for eventually consistent reads.
double WriteUnits(size_t old_size, size_t new_size);
double ReadUnits(size_t bytes, bool consistent);
boost::json::object ConsumedCapacity(std::string_view table, double units, bool reads,
                                     ReturnConsumedCapacity mode);

}  // namespace cloudlite::dynamo
