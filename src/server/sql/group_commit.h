// Group commit: concurrent one-shot writes to one database in one process become one engine
// commit (docs/server.md, "Group commit").
//
// Leader/follower, no thread of its own: a write enqueues itself; when no group is running, its
// thread leads: it takes up to `max_group` queued writes, runs one Database::Update on its own
// connection whose function runs each write under a SAVEPOINT of its own, commits once, and
// answers every member. Writes that arrive meanwhile wait and form the next group. A write whose
// failure leaves the transaction intact is rolled back to its savepoint alone; one whose failure
// rolled back the whole transaction (INSERT OR ROLLBACK, an interrupted write) is answered with
// its failure and the group runs again without it. A lost race is Update's business: it moves or
// replays the group's changes or runs the whole function again, so each member's results are
// those of the run that committed. Every member is answered after that commit is durable, and
// as soon as it is: the followers wake and the leader answers its own client (Run's
// `on_durable`) while its connection still finishes the commit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "cloudlite/database.h"
#include "server/http/metrics.h"
#include "server/sql/pool.h"

namespace cloudlite::server::sql {

// What one-shot writes did, for /metrics: every pointer may be null.
struct WriteMetrics {
  Counter* requests = nullptr;    // one-shot write requests
  Counter* commits = nullptr;     // engine commits holding them
  Counter* lost_races = nullptr;  // commit attempts another writer beat
  Counter* rebases = nullptr;     // lost races settled by moving or replaying the changes
  Counter* reruns = nullptr;      // runs of a group's function beyond the first
  Histogram* group_size = nullptr;
  // The families in `registry` (null: none).
  static WriteMetrics In(MetricsRegistry* registry);
};

struct GroupCommitOptions {
  bool enabled = true;    // false: each write is its own Database::Update
  size_t max_group = 64;  // writes per commit, at most
  // Called by a leader with the size of the group it is about to run (tests hold it here).
  std::function<void(size_t)> before_group;
};

class GroupCommitter {
 public:
  // A member's work, run inside the group's open transaction on `group` (the leader's
  // connection; the member's own when it leads). It may run several times (re-runs): it must
  // start from scratch each time. Ok, or a failure of this member alone.
  using Work = std::function<Status(DatabasePool::Lease& group)>;

  // `acquire`: a connection of the database for the groups to run on (null: the leader's own).
  GroupCommitter(GroupCommitOptions options, WriteMetrics metrics,
                 std::function<Result<DatabasePool::Lease>()> acquire = nullptr)
      : options_(std::move(options)), metrics_(metrics), acquire_(std::move(acquire)) {}

  // What a write's caller may answer with as soon as it is final: the committed version.
  using Durable = std::function<void(uint64_t version)>;

  // Runs `work` in a committed transaction; `own` is the caller's connection to the database.
  // Returns once the commit holding it is durable (or it failed), with `*version` the version
  // that commit made. `on_durable` may be called first (at most once, on this thread), as soon
  // as that commit is durable and `work` succeeded, when this thread leads the group and still
  // has the commit to finish: the caller answers there, or after Run if it was not called.
  Status Run(DatabasePool::Lease& own, const Work& work, uint64_t* version,
             const Durable& on_durable = nullptr);

  // Writes queued and not yet taken by a leader.
  size_t waiting() const;

 private:
  struct Member {
    const Work* work = nullptr;
    Status status;
    uint64_t version = 0;
    bool done = false;
    bool aborted = false;  // its failure rolled back the group's transaction
  };
  // Runs `members` as one transaction on `own` and answers each one (status, version, done).
  // `leader` is the calling member, answered through `on_durable` if it is among them.
  // `*answered` once they are (after which none may be touched: a follower's is gone).
  void RunGroup(DatabasePool::Lease& own, std::vector<Member*> members, Member* leader,
                const Durable& on_durable, bool* answered);
  // One Update over `members`; `*aborted` the member that rolled the transaction back.
  // `on_durable` as Database::Update's, which sets `*answered`.
  Status RunOnce(DatabasePool::Lease& own, const std::vector<Member*>& members, Member** aborted,
                 const Durable& on_durable, const bool* answered);
  // Marks `members` done at `version` and wakes them; none may be touched after.
  void Answer(const std::vector<Member*>& members, uint64_t version);
  // Adds what `requests` writes in `updates` calls of Update cost to the metrics.
  void Record(const UpdateStats& before, const UpdateStats& after, size_t requests, size_t updates);

  const GroupCommitOptions options_;
  const WriteMetrics metrics_;
  const std::function<Result<DatabasePool::Lease>()> acquire_;
  // The connection groups run on while writes keep coming (only the leader touches it): the
  // one that made the last commit is up to date, where another connection would first read the
  // versions it missed from the store. Parked in the pool when no write waits after a group, and
  // asked for again as the freshest connection.
  DatabasePool::Lease group_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::deque<Member*> queue_;
  bool leading_ = false;  // a thread is running a group
};

}  // namespace cloudlite::server::sql
