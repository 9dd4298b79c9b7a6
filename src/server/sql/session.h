// A Hrana stream's state on one pooled connection, and the execution of its requests: execute,
// batch (with step conditions), sequence, describe, store_sql, close_sql, close,
// get_autocommit.
//
// Two ways to run:
// - Atomically (RunAtomically): a pipeline without a baton that ends with `close`, run inside
//   one transaction the server opens, Database::View when nothing in it writes, else
//   a write through the database's GroupCommitter (group_commit.h), which runs it with other
//   concurrent writes in one Database::Update, re-run when another writer committed first. The
//   client's own BEGIN / COMMIT / ROLLBACK become a savepoint inside that transaction.
// - Statement by statement (Run): a stream that lives across requests. Outside a client
//   transaction a statement that writes runs in its own Database::Update (re-run on a lost race);
//   inside one, statements run as they are and a COMMIT that loses the race to another writer is
//   rolled back and reported as SQLITE_BUSY (retryable): an interactive transaction cannot be
//   re-run by the server.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "server/sql/errors.h"
#include "server/sql/group_commit.h"
#include "server/sql/hrana_proto.h"
#include "server/sql/literals.h"
#include "server/sql/pool.h"

namespace cloudlite::server::sql {

// Whether `sql` begins with a keyword that makes its first statement a write (INSERT, UPDATE,
// DELETE, REPLACE), for judging SQL without preparing it. Only a shortcut to the verdict a
// prepare gives (sqlite3_stmt_readonly is false for these): it misses writes (WITH ... INSERT,
// a leading comment), and never calls a read a write.
bool BeginsWithWrite(std::string_view sql);

struct SessionLimits {
  size_t max_rows = 100000;                // per statement result; more is RESPONSE_TOO_LARGE
  size_t max_result_bytes = 10 << 20;      // values' bytes per HTTP request
  size_t max_stored_sql = 50;              // store_sql entries per stream
  size_t max_stored_sql_bytes = 64 << 10;  // per entry
  std::chrono::milliseconds max_request_time{30000};
};

// One step of a batch as run: its result or error, both empty when it was skipped.
struct StepOutcome {
  std::optional<StmtResult> result;
  std::optional<HranaError> error;
};

class Session {
 public:
  // `committer`: the database's, through which RunAtomically's writes commit (null: each in a
  // Database::Update of its own).
  Session(DatabasePool::Lease lease, SessionLimits limits, bool read_only_access,
          GroupCommitter* committer);
  ~Session();  // rolls back a transaction left open
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Before each HTTP request on this session: its deadline (the earlier of `deadline` and
  // max_request_time from now) and a fresh result byte budget. EndRequest lifts the deadline.
  void BeginRequest(std::chrono::steady_clock::time_point deadline);
  void EndRequest();

  // One request, as a pipeline result.
  StreamResult Run(const StreamRequest& request);
  // What a committed write's results are, as soon as the commit is durable (with its version).
  using Durable = std::function<void(const std::vector<StreamResult>& results, uint64_t version)>;
  // All of `requests` in one transaction; a Status when that transaction failed as a whole
  // (nothing committed). When a statement's failure rolled it back, `*abort` says which
  // (and the Status is InvalidArgument). `on_durable` may be called first, with the results, as
  // GroupCommitter::Run's: a write's answer can go out while the commit is being finished.
  Result<std::vector<StreamResult>> RunAtomically(const std::vector<StreamRequest>& requests,
                                                  std::optional<HranaError>* abort,
                                                  const Durable& on_durable = nullptr);
  // Whether RunAtomically would run `requests` as a write (through the committer), rather
  // than in a View: unless every statement is known to only read, or this session may not write.
  bool WouldWrite(const std::vector<StreamRequest>& requests);
  // A batch's steps (for cursors).
  std::vector<StepOutcome> RunBatch(const Batch& batch);

  bool closed() const { return state_.closed; }
  // The client's view: false inside its BEGIN ... COMMIT.
  bool is_autocommit() const { return !state_.in_tx; }
  DatabasePool::Lease& lease() { return lease_; }
  // The version the connection last read, or the last write committed (in a group, perhaps on
  // another connection).
  uint64_t version() const { return std::max(lease_.db().version(), committed_version_); }

 private:
  using Outcome = std::variant<StmtResult, HranaError>;
  struct State {
    std::map<int32_t, std::string> stored_sql;
    bool closed = false;
    bool in_tx = false;  // the client's BEGIN is open
    bool tx_read_only = false;
  };
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    TxControl tx = TxControl::kNone;
    // Whether the statement cache may keep it: not transaction control, which
    // TransactionControl steps without a reset.
    bool Keepable() const { return tx == TxControl::kNone; }
  };

  sqlite3* handle() const { return lease_.db().handle(); }
  bool PastDeadline() const;
  // SQLITE_INTERRUPT once the request's deadline passed (and marks it passed).
  std::optional<HranaError> CheckDeadline();
  void UpdateGuard();
  Outcome Execute(const Stmt& stmt);
  std::optional<HranaError> Sequence(const StreamRequest& r);
  std::variant<DescribeResult, HranaError> Describe(const StreamRequest& r);
  Result<std::string> SqlOf(const std::optional<std::string>& sql,
                            const std::optional<int32_t>& sql_id, HranaError* error) const;
  // Prepares the first statement of `sql` (`tail` gets the rest); stmt null for none.
  std::variant<Prepared, HranaError> Prepare(std::string_view sql, const char** tail);
  std::optional<HranaError> Bind(sqlite3_stmt* stmt, const std::vector<Value>& args,
                                 const std::vector<std::pair<std::string, Value>>& named);
  // Runs a prepared statement: transaction control or a statement (through Update when it
  // writes outside any transaction).
  Outcome RunPrepared(const Prepared& p, std::string_view sql, bool want_rows);
  Outcome Step(sqlite3_stmt* stmt, bool want_rows);
  Outcome TransactionControl(const Prepared& p, std::string_view sql);
  void Close();
  HranaError SqliteError(int rc);
  // True unless every statement of `requests` is known to only read.
  bool MayWrite(const std::vector<StreamRequest>& requests);
  bool AllReadOnly(std::string_view sql);
  // LiftLiterals(sql) (literals.h), remembered for the last text: a one-shot request's SQL is
  // looked at for its verdict (AllReadOnly), then run (Execute).
  const std::optional<LiftedSql>& Lifted(std::string_view sql);
  // Runs `body` inside the group's transaction on `group`, the connection of the group's leader:
  // this session borrows it (and lends its own) meanwhile.
  Status InGroup(DatabasePool::Lease& group, const std::function<Status()>& body);

  DatabasePool::Lease lease_;
  const SessionLimits limits_;
  const bool read_only_access_;
  State state_;
  bool nested_ = false;                // inside RunAtomically's transaction
  bool view_only_ = false;             // that transaction is a View
  std::optional<HranaError> aborted_;  // a statement rolled that transaction back
  size_t result_bytes_ = 0;
  GroupCommitter* const committer_;
  uint64_t committed_version_ = 0;          // of the last write RunAtomically committed
  std::optional<std::string> lifted_text_;  // Lifted's last text, and its answer
  std::optional<LiftedSql> lifted_;
};

}  // namespace cloudlite::server::sql
