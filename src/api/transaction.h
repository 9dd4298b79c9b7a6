// Transaction: the one home of a write transaction's lifecycle on a connection, from BEGIN to a
// commit that lands (docs/concurrency.md). Database::Update is a Transaction run over its
// function. Each attempt:
//
//   begin     BEGIN IMMEDIATE. Unless it just slept, it tells the VFS to skip the freshness
//             probe: a stale version only makes the commit fail and catch up.
//   record    the VFS records the pages the transaction reads and writes (vfs/main_file.h), and
//             a ChangeRecorder its row changes (replay.h), which the commit record carries for
//             the change feed (vfs::WriteControl::SetRowChanges).
//   commit    COMMIT. The VFS validates what the transaction depends on and publishes the next
//             version with one PutIfAbsent. When another commit took that version first, the
//             VFS moves the pages onto it if they may move, as part of the same COMMIT.
//   validate  a write that only read checks, with the probe it skipped, that it read the latest
//             version (vfs::WriteControl::ConfirmReads); else it runs again.
//   rebase    when the pages could not move but the rows may (MayReplay), the recorded row
//             changes are replayed on the new version in a transaction of their own.
//   re-run    otherwise the body runs again, after backing off (base/retry.h, RaceBackoff)
//             from the connection's contention as the VFS measured it.
//
// The VFS is steered and read through vfs::WriteControl alone: what the next write transaction
// is, before BEGIN; how it ended, after COMMIT (write_control.h).
//
// Group commit (the servers, later): one Transaction whose body runs several requests, each under
// a SAVEPOINT. A request that fails rolls back to its savepoint and the body goes on (returning
// Ok); a lost race replays the changes of the whole group or runs the whole body again, so the
// body must start from scratch each time it runs.
//
// Not thread-safe: one Transaction at a time per connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "api/replay.h"
#include "cloudlite/database.h"
#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "vfs/write_control.h"

namespace cloudlite {

struct RecordedChanges;

struct TransactionOptions {
  Isolation isolation = Isolation::kSerializable;
  // Commit attempts (lost races) before giving up with Busy; a replay that conflicts costs none.
  int max_attempts = 32;
  // The commit record carries the row changes (Options::change_feed).
  bool change_feed = true;
  // The connection's, kept across its transactions (null: the transaction's own).
  SchemaFacts* schema = nullptr;
  // Called with the version once the commit is durable, before Run returns (Database::Update).
  const std::function<void(uint64_t version)>* on_durable = nullptr;
};

class Transaction {
 public:
  using Body = std::function<Status()>;

  // A write transaction on `connection`: one of the cloudlite VFS, or any other (then nothing
  // ever rebases, and a lost race is whatever SQLite says). BEGIN and COMMIT go through it, so a
  // Database's connection keeps them prepared.
  Transaction(Connection connection, TransactionOptions options);

  // Runs `body` inside write transactions until one commits, as described above. Returns the
  // body's own failure at once (rolled back, never retried), Busy when attempts ran out, or
  // another failure of the database.
  Status Run(const Body& body);

  // What Run cost so far: commits (0 or 1), runs of the body, lost races and rebases.
  const UpdateStats& stats() const { return stats_; }

 private:
  // One attempt: back off or not, BEGIN IMMEDIATE, `work`, COMMIT (or ROLLBACK). Returns Busy
  // when the race was lost, and counts the races the VFS saw.
  Status Attempt(const std::function<Status()>& work);
  // The body, recording its row changes into `changes`; `body_failed` when the body failed.
  Status RunBody(const Body& body, RecordedChanges* changes, bool* body_failed);
  // Hands the commit record the row changes `work` makes, recording them meanwhile when
  // `changes` is null (a replay), for the change feed.
  Status WithRowChanges(const std::function<Status()>& work, const RecordedChanges* changes);
  // After a lost race: replays `changes` on the newer versions while that may work. Ok when it
  // committed; Busy to run the body again; anything else to give up.
  Status Rebase(const RecordedChanges& changes, Status lost);
  // Whether the row changes of a transaction that lost `race` may be replayed on the winner's
  // version (the policy, in transaction.cc).
  bool MayReplay(const vfs::LostRace& race) const;

  Connection connection_;
  sqlite3* db() const { return connection_.handle(); }
  TransactionOptions options_;
  std::unique_ptr<SchemaFacts> own_schema_;  // when options_.schema is null
  SchemaFacts* schema_;
  vfs::WriteControl* control_;  // null when the connection is not ours
  uint64_t replay_memory_;      // bytes of row changes recorded for a replay, at most
  UpdateStats stats_;

  int attempts_ = 0;
  bool back_off_ = true;  // false after a replay conflicted: the body runs again at once
  vfs::NextWrite next_;   // what the next attempt tells the VFS beyond skipping the probe
  vfs::LostRace lost_;    // how the last attempt lost its race
};

}  // namespace cloudlite
