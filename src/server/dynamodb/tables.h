// The operations of the DynamoDB-compatible API (operation.h) on a store: the control plane
// (CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable, DescribeLimits,
// DescribeEndpoints, TagResource, UntagResource, ListTagsOfResource) over the catalog, and the
// data plane (PutItem, GetItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem,
// BatchWriteItem, TransactWriteItems, TransactGetItems) over the partitions, with
// dynamo/request.h deciding what each request does and says. docs/dynamodb.md describes the layout
// and what differs from DynamoDB. Thread-safety: Run may be called from many threads at once.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "dynamo/request.h"
#include "server/dynamodb/catalog.h"
#include "server/dynamodb/deadline.h"
#include "server/dynamodb/decisions.h"
#include "server/dynamodb/operation.h"
#include "server/dynamodb/partitions.h"
#include "server/http/metrics.h"

namespace cloudlite::server::dynamodb {

struct TableServiceOptions {
  std::string store;   // the store URI: file:///dir, s3://bucket/prefix?endpoint=...
  int partitions = 8;  // P of the tables CreateTable makes (1 .. 256)
  Options options;     // for every database (Partitions sets max_staleness per use)
  MetricsRegistry* metrics = nullptr;
  std::string region = "us-east-1";  // in table ARNs
  // DescribeEndpoints' Address; empty: "dynamodb.<region>.amazonaws.com".
  std::string endpoint_address;
  size_t max_group = 64;  // writes per partition commit, at most
  // PartitionOptions: how old an eventually consistent read may be; partitions kept open.
  std::chrono::milliseconds eventual_staleness{1000};
  size_t max_open_partitions = 256;
  // Called by a partition's writer with the size of the group it is about to run (tests).
  std::function<void(size_t)> before_group;
  // The time CallContext::deadline is compared with (deadline.h); empty: the steady clock
  // (tests set their own).
  Deadline::Now now;
  // A transaction across partitions still undecided this long after its prepare was left by a
  // coordinator that stopped: the next request that meets its intents aborts it.
  std::chrono::milliseconds abandoned_transaction{10000};
  // Tests: called by a coordinator after its prepare ("prepared") and after its commit point
  // ("decided"); a non-ok status stops it right there, as a crash would (nothing cleaned up).
  std::function<Status(std::string_view stage)> transaction_stage;
};

class TableService : public Operations {
 public:
  // Opens (creating if needed) the catalog of the store and finishes deletions a crash left.
  static Result<std::unique_ptr<TableService>> Open(const TableServiceOptions& options);

  OperationResult Run(std::string_view operation, const boost::json::object& request,
                      const CallContext& context) override;

  // Writes and commits of the partition writers so far (tests, metrics).
  Partitions::Stats write_stats() const { return partitions_->stats(); }
  // Writes queued behind a running group (tests).
  size_t writes_waiting() const { return partitions_->waiting(); }

 private:
  TableService(TableServiceOptions options, std::unique_ptr<Catalog> catalog);

  // Control plane (tables.cc).
  OperationResult CreateTable(const boost::json::object& request, const Deadline& deadline);
  OperationResult DescribeTable(const boost::json::object& request, const Deadline& deadline);
  OperationResult ListTables(const boost::json::object& request, const Deadline& deadline);
  OperationResult DeleteTable(const boost::json::object& request, const Deadline& deadline);
  OperationResult UpdateTable(const boost::json::object& request, const Deadline& deadline);
  OperationResult DescribeLimits(const boost::json::object& request, const Deadline& deadline);
  OperationResult DescribeEndpoints(const boost::json::object& request, const Deadline& deadline);
  OperationResult TagResource(const boost::json::object& request, const Deadline& deadline);
  OperationResult UntagResource(const boost::json::object& request, const Deadline& deadline);
  OperationResult ListTagsOfResource(const boost::json::object& request, const Deadline& deadline);
  // TagResource's and UntagResource's change of `table`'s tags, and their answer.
  OperationResult ChangeTags(const std::string& table,
                             const std::function<Status(boost::json::object&)>& change);
  // ResourceNotFoundException naming the ARN of `table`, as the tag operations answer.
  ApiError ResourceArnNotFound(std::string_view table) const;

  // Data plane (items.cc).
  OperationResult PutItem(const boost::json::object& request, const Deadline& deadline);
  OperationResult GetItem(const boost::json::object& request, const Deadline& deadline);
  OperationResult UpdateItem(const boost::json::object& request, const Deadline& deadline);
  OperationResult DeleteItem(const boost::json::object& request, const Deadline& deadline);
  OperationResult Query(const boost::json::object& request, const Deadline& deadline);
  OperationResult Scan(const boost::json::object& request, const Deadline& deadline);
  OperationResult BatchGetItem(const boost::json::object& request, const Deadline& deadline);
  OperationResult BatchWriteItem(const boost::json::object& request, const Deadline& deadline);
  OperationResult TransactWriteItems(const boost::json::object& request, const Deadline& deadline);
  OperationResult TransactGetItems(const boost::json::object& request, const Deadline& deadline);

  // One item write (PutItem, UpdateItem, DeleteItem) on its partition's writer.
  OperationResult WriteItem(dynamo::WriteRequest::Kind kind, const boost::json::object& request,
                            const Deadline& deadline);
  // Runs `run` on the request's table. `run` answers NotFound when a partition says the table
  // is gone: this process's view of it is stale, so the catalog is read again and `run` runs
  // once more on what it says now.
  using TableRun = std::function<Result<OperationResult>(const TableEntry&)>;
  OperationResult WithTable(const boost::json::object& request, const TableRun& run);

  // WithTable for the requests that name their tables inside (the batches, the transactions):
  // `run` parses with `lookup`, which records each table it finds in `tables`.
  using Tables = std::map<std::string, TableEntry, std::less<>>;
  using TablesRun =
      std::function<Result<OperationResult>(const dynamo::SchemaLookup& lookup, Tables& tables)>;
  OperationResult WithTables(const TablesRun& run);

  // The table the request's TableName names, ACTIVE.
  Result<TableEntry> TableOf(const boost::json::object& request);
  // The description DescribeTable answers for `entry` (ItemCount and TableSizeBytes summed over
  // its partitions when `with_counts`, read within `deadline`).
  Result<boost::json::object> Describe(const TableEntry& entry, bool with_counts,
                                       const Deadline& deadline);
  std::string ArnOf(std::string_view table) const;
  // Removes the partitions of a DELETING table and its catalog row; NotRunInTime, the rest left
  // for later, once `deadline` passed.
  Status FinishDeletion(const TableEntry& entry, const Deadline& deadline);
  Status FinishDeletions(const Deadline& deadline);
  // The check a partition of `entry` passes before its first write creates it.
  Partitions::CreateCheck CreateCheckFor(const TableEntry& entry);

  // Transactions across partitions (items.cc; docs/dynamodb.md "Transactions across
  // partitions").
  // TransactWriteItems whose items are in several partitions: prepare, decide, apply.
  Result<OperationResult> TransactAcrossPartitions(const dynamo::TransactWrite& tx,
                                                   const Tables& tables,
                                                   const boost::json::object& request,
                                                   const Deadline& deadline);
  // The decisions database, opened on first use.
  Result<Decisions*> decisions();
  // The decision of `txn`, whose intent was prepared at `prepared_micros`: an undecided one
  // abandoned (abandoned_transaction) is aborted now.
  Result<Decision> Settle(const std::string& txn, int64_t prepared_micros);
  // Inside a write on partition `c`: the intent on `key` of another transaction than `own`
  // settled first (applied, or dropped); Busy while that transaction is in flight.
  Status SettleKey(Connection& c, const dynamo::StoredKey& key, std::string_view own);
  // Applies the intents of the committed transactions in `decided` on partition `name`, and drops
  // those of the aborted ones, in one write.
  Status ResolveIntents(const std::string& name, const std::map<std::string, Decision>& decided,
                        const Deadline& deadline);
  // Partitions::Read that runs `fn` only once no intent is left in `scope` (the item `sk` of
  // `pk`, every item of `pk`, or, both null, the whole partition): committed ones are applied,
  // aborted ones dropped, and while a transaction is in flight the read waits for it (Busy
  // after about 2 s).
  struct IntentScope {
    const std::string* pk = nullptr;
    const std::string* sk = nullptr;
  };
  Status ReadSettled(const std::string& name, IntentScope scope, bool consistent,
                     const Deadline& deadline, const std::function<Status(Connection*)>& fn);

  const TableServiceOptions options_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Partitions> partitions_;
  std::mutex decisions_mu_;
  std::unique_ptr<Decisions> decisions_;
};

}  // namespace cloudlite::server::dynamodb
