// The catalog of DynamoDB tables in a store: the `_dynamodb` database (docs/dynamodb.md, "The
// catalog"), one row per table with its id, partition count, status, creation time and settings.
//
// Writes go to the catalog database at the latest version (Database::Update, so several server
// processes over one store stay consistent). Reads for the data plane come from a cache of the
// rows this process has seen; a name the cache does not know (or that the caller found removed)
// is read again at the latest version before it is called missing.
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "dynamo/expression.h"

namespace cloudlite::server::dynamodb {

inline constexpr std::string_view kCatalogName = "_dynamodb";

// One catalog row.
struct TableEntry {
  std::string name;
  std::string id;  // 16 lower-case hex digits
  int partitions = 0;
  std::string status;  // "ACTIVE" or "DELETING"
  int64_t created_micros = 0;
  // KeySchema, AttributeDefinitions, BillingModeSummary, ProvisionedThroughput, Tags, ... with
  // DynamoDB's own field names.
  boost::json::object description;
  dynamo::KeySchema schema;  // from description's KeySchema and AttributeDefinitions
};

// The key schema a table description's KeySchema and AttributeDefinitions give. Corruption if
// they are not what CreateTable stores.
Result<dynamo::KeySchema> SchemaOfDescription(const boost::json::object& description);

// The database URI of `name` under a store URI (file:///dir, s3://bucket/prefix?endpoint=...).
std::string DatabaseUri(std::string_view store, std::string_view name);

class Catalog {
 public:
  // Opens (creating if needed) the catalog of the store.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& store, const Options& options);

  // Inserts `entry` as ACTIVE. AlreadyExists if a table of that name exists (even DELETING:
  // the caller finishes the deletion first).
  Status Create(const TableEntry& entry);
  // The table at the latest version; NotFound if there is none.
  Result<TableEntry> ReadLatest(std::string_view name);
  // The table from the cache, or else at the latest version; NotFound if there is none or it is
  // being deleted.
  Result<TableEntry> Get(std::string_view name);
  // Forgets what the cache knows of `name` (its partitions answered "was removed").
  void Forget(std::string_view name);
  // Names in ascending order after `exclusive_start` (empty: from the first), at most `limit`;
  // `*more` says whether names follow. At the latest version.
  Result<std::vector<TableEntry>> List(std::string_view exclusive_start, size_t limit, bool* more);
  // Every row in state DELETING (deletions a crash interrupted).
  Result<std::vector<TableEntry>> ListDeleting();
  // Sets the row's status to DELETING and returns it. NotFound if there is no such table.
  Result<TableEntry> MarkDeleting(std::string_view name);
  // Deletes the row of table `id` (a row of that name with another id is left alone).
  Status Drop(std::string_view name, std::string_view id);
  // Replaces the description of an ACTIVE table by what `change` makes of it, and returns the
  // row. NotFound if there is no such table (or it is being deleted).
  Result<TableEntry> UpdateDescription(std::string_view name,
                                       const std::function<Status(boost::json::object&)>& change);

 private:
  explicit Catalog(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  void Remember(const TableEntry& entry);

  std::mutex db_mu_;  // a Database is one connection: one thread at a time
  std::unique_ptr<Database> db_;
  std::mutex cache_mu_;
  std::map<std::string, TableEntry, std::less<>> cache_;
};

}  // namespace cloudlite::server::dynamodb
