// The decisions of DynamoDB transactions across partitions: the `_dynamodb_tx` database
// (docs/dynamodb.md, "Transactions across partitions"), one row per transaction in flight or
// not yet cleaned up. Inserting a transaction's row is its commit point (or its abort), and a
// row is written at most once: Decide is an insert-if-absent at the latest version, which the
// engine's optimistic commit makes hold across server processes.
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cloudlite/database.h"
#include "cloudlite/options.h"
#include "cloudlite/status.h"

namespace cloudlite::server::dynamodb {

inline constexpr std::string_view kDecisionsName = "_dynamodb_tx";

enum class Decision { kNone, kCommit, kAbort };

class Decisions {
 public:
  // Opens (creating if needed) the decisions database of the store.
  static Result<std::unique_ptr<Decisions>> Open(const std::string& store, const Options& options);

  // The decision of `txn` at the latest version: kNone if there is no row.
  Result<Decision> Read(std::string_view txn);

  // Decides `txn` as `want` (kCommit or kAbort) unless it is decided already, and returns the
  // decision that holds. `partitions` names the partitions holding its intents. `with_commit`,
  // when given, runs in the commit's own transaction before a kCommit is inserted; false makes
  // it insert kAbort instead (a ClientRequestToken another run recorded first).
  Result<Decision> Decide(std::string_view txn, Decision want, std::string_view partitions,
                          const std::function<Result<bool>(Connection&)>& with_commit = nullptr);

  // Runs `fn` in a read transaction at the latest version (the request tokens, tokens.h).
  Status View(const std::function<Status(Connection&)>& fn);

  // Deletes the row of `txn`: only once no intent of it is left in any partition.
  Status Forget(std::string_view txn);

 private:
  explicit Decisions(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  std::mutex mu_;  // a Database is one connection: one thread at a time
  std::unique_ptr<Database> db_;
};

}  // namespace cloudlite::server::dynamodb
