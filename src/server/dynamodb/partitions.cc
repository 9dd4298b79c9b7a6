#include "server/dynamodb/partitions.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>

#include "base/checksum.h"
#include "server/dynamodb/catalog.h"

namespace cloudlite::server::dynamodb {
namespace {

// Each write's changes, so that a write that fails is rolled back alone.
constexpr const char* kSavepoint = "SAVEPOINT dynamodb_write";
constexpr const char* kRelease = "RELEASE dynamodb_write";
constexpr const char* kRollback = "ROLLBACK TO dynamodb_write; RELEASE dynamodb_write";

}  // namespace

WriteMetrics WriteMetrics::In(MetricsRegistry* registry) {
  WriteMetrics m;
  if (!registry) return m;
  m.requests = registry->GetCounter("cloudlite_dynamodb_write_requests_total",
                                    "Item writes (PutItem, UpdateItem, DeleteItem, batch members)");
  m.commits = registry->GetCounter("cloudlite_dynamodb_commits_total",
                                   "Engine commits of item writes (one per group)");
  m.lost_races = registry->GetCounter("cloudlite_dynamodb_lost_races_total",
                                      "Commit attempts of item writes another writer beat");
  m.rebases = registry->GetCounter("cloudlite_dynamodb_rebases_total",
                                   "Lost races settled without running the writes again");
  m.reruns = registry->GetCounter("cloudlite_dynamodb_reruns_total",
                                  "Runs of a group's writes beyond the first");
  m.group_size =
      registry->GetHistogram("cloudlite_dynamodb_group_size", "Item writes per engine commit",
                             {1, 2, 4, 8, 16, 32, 64, 128});
  return m;
}

std::string PartitionName(std::string_view table_id, int index) {
  char pp[16];
  std::snprintf(pp, sizeof pp, "%02x", static_cast<unsigned>(index));
  return "t." + std::string(table_id) + "." + pp;
}

int PartitionOf(std::string_view pk, int partitions) {
  return static_cast<int>(Checksum(pk, 0) % static_cast<uint64_t>(partitions));
}

// 8 KiB: an item of up to about 2 KB (YCSB's are 1 KB) fits in its b-tree cell. With SQLite's
// default 4 KiB a row over 1,002 bytes spills onto an overflow page, which SQLite reads around
// its page cache, through the VFS, on every read of the item (2.3 more reads per GetItem).
constexpr uint32_t kPartitionPageSize = 8192;

std::vector<Migration> PartitionSchema() {
  return {{1, "dynamodb items",
           [](Connection& c) {
             return c.Exec(
                 "CREATE TABLE items ("
                 "  pk BLOB NOT NULL,"
                 "  sk BLOB NOT NULL,"
                 "  item BLOB NOT NULL,"
                 "  size INTEGER NOT NULL,"
                 "  PRIMARY KEY (pk, sk)"
                 ") WITHOUT ROWID");
           }},
          {2, "dynamodb transaction intents", [](Connection& c) {
             return c.Exec(
                 "CREATE TABLE intents ("
                 "  pk BLOB NOT NULL,"
                 "  sk BLOB NOT NULL,"
                 "  txn TEXT NOT NULL,"
                 "  kind TEXT NOT NULL CHECK (kind IN ('store', 'delete', 'check')),"
                 "  item BLOB,"
                 "  size INTEGER,"
                 "  at INTEGER NOT NULL,"
                 "  PRIMARY KEY (pk, sk)"
                 ") WITHOUT ROWID");
           }}};
}

namespace {

// How every Database of a partition opens: never created here (OpenForWrite creates one on its
// first write), with the partition's schema and page size.
Options PartitionDatabaseOptions(Options base, std::chrono::milliseconds max_staleness) {
  base.create_if_missing = false;
  base.max_staleness = max_staleness;
  base.migrations = PartitionSchema();
  base.page_size = kPartitionPageSize;
  return base;
}

}  // namespace

class Partitions::Use {
 public:
  Use(Partitions& partitions, const std::string& name)
      : partitions_(partitions), p_(partitions.Acquire(name)) {}
  ~Use() { partitions_.Release(p_); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Partition& operator*() const { return *p_; }
  Partition* operator->() const { return p_.get(); }

 private:
  Partitions& partitions_;
  const PartitionPtr p_;
};

Partitions::~Partitions() = default;

Partitions::PartitionPtr Partitions::Acquire(const std::string& name) {
  std::vector<PartitionPtr> closed;  // destroyed after the lock is released
  std::lock_guard lock(mu_);
  PartitionPtr& p = open_[name];
  if (p) {
    recent_.splice(recent_.begin(), recent_, p->recent);
  } else {
    p = std::make_shared<Partition>();
    p->recent = recent_.insert(recent_.begin(), name);
    // Close the least recently used idle partitions beyond the bound.
    for (auto it = recent_.end(); open_.size() > options_.max_open && it != recent_.begin();) {
      --it;
      auto victim = open_.find(*it);
      if (victim->second == p || victim->second->users > 0) continue;
      closed.push_back(std::move(victim->second));
      open_.erase(victim);
      it = recent_.erase(it);
    }
  }
  p->users++;
  return p;
}

void Partitions::Release(const PartitionPtr& p) {
  std::lock_guard lock(mu_);
  p->users--;
}

Status Partitions::Write(const std::string& name, const Work& work, const CreateCheck& check,
                         const Deadline& deadline) {
  return Write(name, std::vector<const Work*>{&work}, check, deadline).front();
}

std::vector<Status> Partitions::Write(const std::string& name,
                                      const std::vector<const Work*>& works,
                                      const CreateCheck& check, const Deadline& deadline) {
  Use p(*this, name);
  std::vector<Member> mine(works.size());
  for (size_t i = 0; i < works.size(); i++) {
    mine[i].work = works[i];
    mine[i].check = &check;
    mine[i].deadline = deadline;
  }
  auto all_done = [&] {
    return std::all_of(mine.begin(), mine.end(), [](const Member& m) { return m.done; });
  };
  auto may_go = [&] { return all_done() || !p->leading; };
  std::unique_lock lock(p->mu);
  for (Member& m : mine) p->queue.push_back(&m);
  bool bounded = deadline.at() != Deadline::Clock::time_point::max();
  while (true) {
    if (!bounded) {
      p->done.wait(lock, may_go);
    } else if (!p->done.wait_until(lock, deadline.at(), may_go)) {
      // The deadline came while another group ran: the writes still queued are withdrawn, not
      // run; any already in that group wait for its outcome.
      bounded = false;
      for (Member& m : mine) {
        auto queued = std::find(p->queue.begin(), p->queue.end(), &m);
        if (queued == p->queue.end()) continue;
        p->queue.erase(queued);
        m.status = NotRunInTime();
        m.done = true;
      }
      continue;
    }
    if (all_done()) break;
    // Lead: the oldest writes waiting (ours among them unless more than a group wait).
    p->leading = true;
    std::vector<Member*> group;
    while (!p->queue.empty() && group.size() < std::max<size_t>(1, options_.max_group)) {
      group.push_back(p->queue.front());
      p->queue.pop_front();
    }
    lock.unlock();
    try {
      RunGroup(name, *p, group);
    } catch (...) {
      // No exception may leave the group unanswered and the writer led forever.
      for (Member* m : group) m->status = Status::Internal("the group commit failed unexpectedly");
      p->db.reset();
    }
    lock.lock();
    for (Member* m : group) m->done = true;
    p->leading = false;
    p->done.notify_all();
  }
  std::vector<Status> out;
  out.reserve(mine.size());
  for (Member& m : mine) out.push_back(std::move(m.status));
  return out;
}

Result<std::unique_ptr<Database>> Partitions::OpenForWrite(const std::string& name,
                                                           const CreateCheck& check) {
  Options o = PartitionDatabaseOptions(options_.options, std::chrono::milliseconds(0));
  const std::string uri = DatabaseUri(options_.store, name);
  Result<std::unique_ptr<Database>> db = Database::Open(uri, o);
  if (db.ok() || !db.status().IsNotFound()) return db;
  // The first write to this partition creates it, if the table still exists.
  if (check) CL_RETURN_IF_ERROR(check());
  o.create_if_missing = true;
  return Database::Open(uri, o);
}

void Partitions::RunGroup(const std::string& name, Partition& p, std::vector<Member*> members) {
  if (options_.before_group) options_.before_group(members.size());
  // A write whose deadline passed before its group began is not run (RunOnce leaves it out of
  // every run, too).
  std::vector<Member*> in_time;
  for (Member* m : members) {
    if (m->deadline.Passed()) {
      m->status = NotRunInTime();
    } else {
      in_time.push_back(m);
    }
  }
  members = std::move(in_time);
  if (members.empty()) return;
  if (!p.db) {
    Result<std::unique_ptr<Database>> db = OpenForWrite(name, *members.front()->check);
    if (!db.ok()) {
      for (Member* m : members) m->status = db.status();
      return;
    }
    p.db = std::move(db).value();
  }
  const size_t requests = members.size();
  const UpdateStats before = p.db->stats();
  size_t updates = 0;
  Status s;
  while (!members.empty()) {
    Member* aborted = nullptr;
    updates++;
    s = RunOnce(*p.db, members, &aborted);
    if (!aborted) break;
    // Its failure took the group's transaction with it: it keeps its status, the others run
    // again.
    members.erase(std::find(members.begin(), members.end(), aborted));
  }
  for (Member* m : members) {
    if (!s.ok()) m->status = s;  // the group did not commit: nothing of it was written
  }
  Record(before, p.db->stats(), requests, updates);
  if (s.IsNotFound()) {
    p.db.reset();  // removed: the next write opens it again (and is refused by its check)
    return;
  }
  // Before the members are answered: a read after any of them looks at least this far.
  p.committed.store(p.db->version(), std::memory_order_release);
}

Status Partitions::RunOnce(Database& db, const std::vector<Member*>& members, Member** aborted) {
  return db.Update([&](Connection& c) -> Status {
    *aborted = nullptr;
    for (Member* m : members) {
      if (m->deadline.Passed()) {
        // Not run in this transaction (a run before it did not commit): never written.
        m->status = NotRunInTime();
        continue;
      }
      CL_RETURN_IF_ERROR(c.Exec(kSavepoint));
      m->status = (*m->work)(c);
      if (sqlite3_get_autocommit(c.handle())) {
        *aborted = m;
        if (m->status.ok()) m->status = Status::Internal("the group's transaction ended early");
        return m->status;
      }
      CL_RETURN_IF_ERROR(c.Exec(m->status.ok() ? kRelease : kRollback));
    }
    return Status::Ok();
  });
}

void Partitions::Record(const UpdateStats& before, const UpdateStats& after, size_t requests,
                        size_t updates) {
  const uint64_t commits = after.commits - before.commits;
  const uint64_t runs = after.runs - before.runs;
  {
    std::lock_guard lock(mu_);
    stats_.writes += requests;
    stats_.commits += commits;
    stats_.groups++;
  }
  const WriteMetrics& m = options_.metrics;
  auto add = [](Counter* c, uint64_t n) {
    if (c && n) c->Increment(static_cast<double>(n));
  };
  add(m.requests, requests);
  add(m.commits, commits);
  add(m.lost_races, after.lost_races - before.lost_races);
  add(m.rebases, after.rebases - before.rebases);
  add(m.reruns, runs > updates ? runs - updates : 0);
  if (m.group_size && commits) m.group_size->Observe(static_cast<double>(requests));
}

Partitions::Stats Partitions::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t Partitions::waiting() const {
  std::vector<PartitionPtr> open;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, p] : open_) open.push_back(p);
  }
  size_t n = 0;
  for (const auto& p : open) {
    std::lock_guard lock(p->mu);
    n += p->queue.size();
  }
  return n;
}

size_t Partitions::open() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

Result<std::unique_ptr<Database>> Partitions::TakeReader(const std::string& name, Partition& p,
                                                         bool consistent) {
  {
    std::lock_guard lock(mu_);
    auto& idle = p.idle[consistent];
    if (!idle.empty()) {
      std::unique_ptr<Database> db = std::move(idle.back());
      idle.pop_back();
      return db;
    }
  }
  // A partition being created may not have its items table yet: the migration makes it once.
  return Database::Open(
      DatabaseUri(options_.store, name),
      PartitionDatabaseOptions(options_.options, consistent ? std::chrono::milliseconds(0)
                                                            : options_.eventual_staleness));
}

void Partitions::ReturnReader(Partition& p, bool consistent, std::unique_ptr<Database> db) {
  std::lock_guard lock(mu_);
  auto& idle = p.idle[consistent];
  if (idle.size() < options_.max_idle_readers) idle.push_back(std::move(db));
}

Status Partitions::Read(const std::string& name, bool consistent, const Deadline& deadline,
                        const std::function<Status(Connection*)>& fn) {
  if (deadline.Passed()) return NotRunInTime();
  Use p(*this, name);
  // Read after the writes acknowledged so far (none to wait for on a consistent read).
  const uint64_t written = consistent ? 0 : p->committed.load(std::memory_order_acquire);
  Result<std::unique_ptr<Database>> db = TakeReader(name, *p, consistent);
  if (!db.ok()) {
    if (db.status().IsNotFound()) return fn(nullptr);
    return db.status();
  }
  if (deadline.Passed()) {  // opening the partition took the time left
    ReturnReader(*p, consistent, std::move(db).value());
    return NotRunInTime();
  }
  Status s = (*db)->View([&](Connection& c) {
    if ((*db)->version() < written) {
      CL_RETURN_IF_ERROR(c.Exec("PRAGMA cloudlite_min_version = " + std::to_string(written)));
    }
    return fn(&c);
  });
  if (s.IsNotFound()) {
    Close(name);  // removed since it was opened
    return s;
  }
  ReturnReader(*p, consistent, std::move(db).value());
  return s;
}

void Partitions::Close(const std::string& name) {
  PartitionPtr closed;  // destroyed after the lock is released
  std::lock_guard lock(mu_);
  auto it = open_.find(name);
  if (it == open_.end()) return;
  // A request under way keeps it (it holds a reference): a write meets the NotFound itself, a
  // reader it returns is closed with it.
  closed = std::move(it->second);
  recent_.erase(closed->recent);
  open_.erase(it);
}

}  // namespace cloudlite::server::dynamodb
