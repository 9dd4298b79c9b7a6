// DynamoDbStore: the ObjectStore on a DynamoDB table (DonutDB's home), and table creation.
//
// URI: dynamodb://TABLE[/PREFIX][?endpoint=URL&region=R]. Objects live at PREFIX/KEY. The table
// has DonutDB's key schema (hash_key S, range_key N); several stores and databases share it, and
// so may DonutDB's own items, whose hash keys never start with "cloudlite/". Credentials, region
// and endpoint come from the usual AWS sources (net/aws_config.h, AWS_ENDPOINT_URL_DYNAMODB);
// the URI's `endpoint` and `region` override them.
//
// How it keeps the ObjectStore contract (the item layout is dynamodb_layout.h and
// docs/format.md, "DynamoDB item layout"):
//  - An object is one item (its *head*) at the key's place in the layout. Objects up to
//    chunk_size bytes (64 KiB) are stored in the head; larger ones in chunk items under a fresh
//    random generation id, all written (BatchWriteItem) before the head that names them, so a
//    reader never sees a partial object. Chunks are never rewritten: a Put that replaces an
//    object writes a new generation and deletes the old chunks after the new head is in place.
//  - Reads are GetItem / BatchGetItem / Query with ConsistentRead, so a write that returned Ok is
//    visible to every later read. GetRange fetches only the chunks it needs; for a big object
//    whose head it has seen before it fetches the head and those chunks in one BatchGetItem and
//    uses them only if the head still names the same generation.
//  - PutIfAbsent is a PutItem of the head with ConditionExpression
//    attribute_not_exists(hash_key) OR w = :nonce, where the nonce is new for every call: the
//    condition makes it atomic against every other writer, and lets a retry after a lost answer
//    succeed if (and only if) it was our own earlier attempt that created the item. So Ok and
//    AlreadyExists are always certain; only running out of attempts after a request that may
//    have reached DynamoDB is Ambiguous.
//  - Before the first write under a directory the entries leading to it are put (idempotent
//    items, in the same BatchWriteItem as the chunks) and remembered for the process, so an
//    ordinary commit is one PutItem and at most two write requests. Directory entries are never
//    deleted: a concurrent writer may rely on one it has remembered.
//  - List is a depth-first walk of Queries (never a Scan), one partition per directory.
//  - Delete removes heads first (the objects disappear), then their chunks.
//  - Throttling (ProvisionedThroughputExceeded, ThrottlingException, RequestLimitExceeded) and
//    unprocessed batch items are retried with full-jitter backoff, then Unavailable.
//  - Chunks of a writer that dies between its chunks and its head are garbage that nothing
//    references and no listing shows.
// Open() checks the table (DescribeTable): a missing table is NotFound with the command that
// creates it; a table with another key schema is InvalidArgument. Tables are never created
// implicitly (billing mode and region are the account owner's decisions).
// Describe() is "dynamodb://TABLE/PREFIX": no endpoint credentials, no secrets.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/aws_config.h"
#include "net/http_client.h"
#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

struct DynamoDbStoreOptions {
  std::string table;
  std::string prefix;  // no leading or trailing '/'; may be empty
  AwsConfig aws;       // credentials, region, endpoint_url (empty = AWS), max_attempts
  HttpClientOptions http;
  RetryPolicy retry;  // max_attempts is taken from aws.max_attempts by OpenDynamoDbStore(Uri&)
  size_t chunk_size = 64 << 10;  // objects above this are split into chunks of this size
  bool check_table = true;       // DescribeTable on open
};

// Opens a store from explicit options (tests, tools).
Result<std::unique_ptr<ObjectStore>> OpenDynamoDbStoreWithOptions(DynamoDbStoreOptions options);

// The registry's factory for dynamodb://, consuming the `endpoint` and `region` query
// parameters. `create` is accepted for the registry's signature: the table must already exist
// (`cloudlite dynamodb create-table NAME` makes one).
Result<std::unique_ptr<ObjectStore>> OpenDynamoDbStore(Uri& uri, bool create = false);

// Table names DynamoDB accepts: 3 to 255 of [A-Za-z0-9_.-].
bool IsValidTableName(std::string_view name);

struct CreateTableOptions {
  std::string table;
  AwsConfig aws;  // as for the store; LoadAwsConfig("dynamodb") gives the usual sources
  HttpClientOptions http;
  RetryPolicy retry;
  std::chrono::milliseconds wait_limit{300000};  // how long to wait for ACTIVE
  std::chrono::milliseconds poll_interval{1000};
  // Progress lines for people ("creating table t (on-demand)..."); may be empty.
  std::function<void(const std::string&)> progress;
};

enum class CreateTableOutcome { kCreated, kAlreadyExisted };

// Creates the table with DonutDB's key schema (hash_key S, range_key N) and on-demand billing
// (PAY_PER_REQUEST), then waits until it is ACTIVE. A table of that name that already exists
// with that key schema is kAlreadyExisted (after waiting for it to be ACTIVE too); with another
// schema it is InvalidArgument. Not ACTIVE within wait_limit: Unavailable.
Result<CreateTableOutcome> CreateDynamoDbTable(const CreateTableOptions& options);

}  // namespace cloudlite
