#include "server/dynamodb/decisions.h"

#include <chrono>
#include <optional>
#include <utility>

#include "base/clock.h"
#include "server/dynamodb/catalog.h"
#include "server/dynamodb/tokens.h"

namespace cloudlite::server::dynamodb {
namespace {

Migration DecisionsSchema() {
  return {1, "dynamodb transaction decisions", [](Connection& c) {
            CL_RETURN_IF_ERROR(
                c.Exec("CREATE TABLE decisions ("
                       "  txn TEXT PRIMARY KEY,"
                       "  outcome TEXT NOT NULL CHECK (outcome IN ('commit', 'abort')),"
                       "  partitions TEXT NOT NULL,"
                       "  at INTEGER NOT NULL"
                       ") WITHOUT ROWID"));
            return c.Exec(kTokensTable);  // the tokens of transactions across partitions
          }};
}

Result<Decision> RowDecision(Connection& c, std::string_view txn) {
  CL_ASSIGN_OR_RETURN(Rows rows,
                      c.Query("SELECT outcome FROM decisions WHERE txn = ?1", {std::string(txn)}));
  if (rows.rows.empty()) return Decision::kNone;
  const std::string* outcome = std::get_if<std::string>(&rows.rows[0][0]);
  if (outcome && *outcome == "commit") return Decision::kCommit;
  if (outcome && *outcome == "abort") return Decision::kAbort;
  return Status::Corruption("the DynamoDB transaction decisions hold a malformed row");
}

}  // namespace

Result<std::unique_ptr<Decisions>> Decisions::Open(const std::string& store,
                                                   const Options& options) {
  Options o = options;
  o.create_if_missing = true;
  o.max_staleness = std::chrono::milliseconds(0);  // every read here is at the latest version
  o.migrations = {DecisionsSchema()};
  CL_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                      Database::Open(DatabaseUri(store, kDecisionsName), std::move(o)));
  return std::unique_ptr<Decisions>(new Decisions(std::move(db)));
}

Result<Decision> Decisions::Read(std::string_view txn) {
  std::lock_guard lock(mu_);
  Decision d = Decision::kNone;
  CL_RETURN_IF_ERROR(db_->View([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(d, RowDecision(c, txn));
    return Status::Ok();
  }));
  return d;
}

Result<Decision> Decisions::Decide(std::string_view txn, Decision want, std::string_view partitions,
                                   const std::function<Result<bool>(Connection&)>& with_commit) {
  if (want == Decision::kNone) return Status::Internal("a transaction decided as nothing");
  std::lock_guard lock(mu_);
  Decision holds = Decision::kNone;
  // Runs again from scratch after a lost race: the winner's row is then what it finds.
  CL_RETURN_IF_ERROR(db_->Update([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(holds, RowDecision(c, txn));
    if (holds != Decision::kNone) return Status::Ok();
    holds = want;
    if (want == Decision::kCommit && with_commit) {
      CL_ASSIGN_OR_RETURN(bool go, with_commit(c));
      if (!go) holds = Decision::kAbort;
    }
    return c
        .Query("INSERT INTO decisions (txn, outcome, partitions, at) VALUES (?1, ?2, ?3, ?4)",
               {std::string(txn), std::string(holds == Decision::kCommit ? "commit" : "abort"),
                std::string(partitions), WallClock().NowMicros()})
        .status();
  }));
  return holds;
}

Status Decisions::View(const std::function<Status(Connection&)>& fn) {
  std::lock_guard lock(mu_);
  return db_->View(fn);
}

Status Decisions::Forget(std::string_view txn) {
  std::lock_guard lock(mu_);
  return db_->Update([&](Connection& c) {
    return c.Query("DELETE FROM decisions WHERE txn = ?1", {std::string(txn)}).status();
  });
}

}  // namespace cloudlite::server::dynamodb
