#include "server/sql/group_commit.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

namespace cloudlite::server::sql {
namespace {

// Each member's changes, so that a member that fails is rolled back alone.
constexpr const char* kMemberSavepoint = "SAVEPOINT cloudlite_group_member";
constexpr const char* kMemberRelease = "RELEASE cloudlite_group_member";
constexpr const char* kMemberRollback =
    "ROLLBACK TO cloudlite_group_member; RELEASE cloudlite_group_member";

}  // namespace

WriteMetrics WriteMetrics::In(MetricsRegistry* registry) {
  WriteMetrics m;
  if (!registry) return m;
  m.requests = registry->GetCounter("cloudlite_sql_write_requests_total",
                                    "One-shot write requests (pipelines that may write)");
  m.commits = registry->GetCounter("cloudlite_sql_commits_total",
                                   "Engine commits of one-shot writes (one per group)");
  m.lost_races = registry->GetCounter("cloudlite_sql_lost_races_total",
                                      "Commit attempts of one-shot writes another writer beat");
  m.rebases =
      registry->GetCounter("cloudlite_sql_rebases_total",
                           "Lost races settled by moving the pages or replaying the row changes");
  m.reruns = registry->GetCounter("cloudlite_sql_reruns_total",
                                  "Runs of a write's (or a group's) statements beyond the first");
  m.group_size = registry->GetHistogram("cloudlite_sql_group_size",
                                        "One-shot write requests per engine commit",
                                        {1, 2, 4, 8, 16, 32, 64, 128});
  return m;
}

void GroupCommitter::Record(const UpdateStats& before, const UpdateStats& after, size_t requests,
                            size_t updates) {
  auto add = [](Counter* c, uint64_t n) {
    if (c && n) c->Increment(static_cast<double>(n));
  };
  uint64_t commits = after.commits - before.commits;
  uint64_t runs = after.runs - before.runs;
  add(metrics_.requests, requests);
  add(metrics_.commits, commits);
  add(metrics_.lost_races, after.lost_races - before.lost_races);
  add(metrics_.rebases, after.rebases - before.rebases);
  add(metrics_.reruns, runs > updates ? runs - updates : 0);
  if (metrics_.group_size && commits) metrics_.group_size->Observe(static_cast<double>(requests));
}

Status GroupCommitter::Run(DatabasePool::Lease& own, const Work& work, uint64_t* version,
                           const Durable& on_durable) {
  if (!options_.enabled) {
    UpdateStats before = own.db().stats();
    Status s = own.db().Update([&](Connection&) { return work(own); }, on_durable);
    Record(before, own.db().stats(), 1, 1);
    *version = own.db().version();
    return s;
  }
  Member me;
  me.work = &work;
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  while (true) {
    done_.wait(lock, [&] { return me.done || !leading_; });
    if (me.done) break;
    // Lead: the oldest writes waiting, this one among them unless more than a group wait.
    leading_ = true;
    std::vector<Member*> group;
    while (!queue_.empty() && group.size() < std::max<size_t>(1, options_.max_group)) {
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    if (!group_ && acquire_) {
      Result<DatabasePool::Lease> lease = acquire_();
      if (lease.ok()) group_ = std::move(lease).value();
    }
    bool answered = false;
    try {
      RunGroup(group_ ? group_ : own, group, &me, on_durable, &answered);
    } catch (...) {
      // No exception may leave the leader with the group unanswered and leading_ set.
      group_ = DatabasePool::Lease();  // back to the pool, which rolls back what is open
      if (!answered) {
        for (Member* m : group)
          m->status = Status::Internal("the group commit failed unexpectedly");
        Answer(group, 0);
      }
    }
    lock.lock();
    if (queue_.empty()) {
      lock.unlock();
      group_.Park();  // nothing waits: back to the pool, kept for the next group if it can be
      lock.lock();
    }
    leading_ = false;
    done_.notify_all();
  }
  *version = me.version;
  return me.status;
}

size_t GroupCommitter::waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommitter::RunGroup(DatabasePool::Lease& own, std::vector<Member*> members,
                              Member* leader, const Durable& on_durable, bool* answered) {
  if (options_.before_group) options_.before_group(members.size());
  const std::vector<Member*> group = members;
  const bool leads = std::find(group.begin(), group.end(), leader) != group.end();
  const UpdateStats before = own.db().stats();
  // Once the group's commit is durable every member is answered, while the commit goes on.
  const Durable durable = [&](uint64_t version) {
    Answer(group, version);
    *answered = true;
    if (leads && leader->status.ok() && on_durable) on_durable(version);
  };
  size_t updates = 0;
  Status s;
  while (!members.empty()) {
    Member* aborted = nullptr;
    updates++;
    s = RunOnce(own, members, &aborted, durable, answered);
    if (*answered || !aborted) break;
    // Its failure took the group's transaction with it: it keeps it, the others run again.
    members.erase(std::find(members.begin(), members.end(), aborted));
  }
  Record(before, own.db().stats(), group.size(), updates);
  if (*answered) return;  // the members may be gone
  // Nothing was committed (they only read), or the commit failed: nothing of it was written.
  if (!s.ok()) {
    for (Member* m : members) m->status = s;
  }
  Answer(group, own.db().version());
  *answered = true;
}

void GroupCommitter::Answer(const std::vector<Member*>& members, uint64_t version) {
  {
    std::lock_guard lock(mu_);
    for (Member* m : members) {
      m->version = version;
      m->done = true;
    }
  }
  done_.notify_all();
}

Status GroupCommitter::RunOnce(DatabasePool::Lease& own, const std::vector<Member*>& members,
                               Member** aborted, const Durable& on_durable, const bool* answered) {
  sqlite3* db = own.db().handle();
  return own.db().Update(
      [&](Connection& c) -> Status {
        // Answered members are gone: a run after the commit was durable (only if its bookkeeping
        // failed with Busy) must not touch them.
        if (*answered) return Status::Internal("the group's commit ended after it was answered");
        *aborted = nullptr;
        for (Member* m : members) {
          CL_RETURN_IF_ERROR(c.Exec(kMemberSavepoint));
          sqlite3_set_last_insert_rowid(db, 0);  // a member's last_insert_rowid is its own
          m->status = (*m->work)(own);
          if (sqlite3_get_autocommit(db)) {
            *aborted = m;
            if (m->status.ok()) m->status = Status::Internal("the group's transaction ended early");
            return m->status;
          }
          CL_RETURN_IF_ERROR(c.Exec(m->status.ok() ? kMemberRelease : kMemberRollback));
        }
        return Status::Ok();
      },
      on_durable);
}

}  // namespace cloudlite::server::sql
