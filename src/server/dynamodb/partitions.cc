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

Migration ItemsSchema() {
  return {1, "dynamodb items", [](Connection& c) {
            return c.Exec(
                "CREATE TABLE items ("
                "  pk BLOB NOT NULL,"
                "  sk BLOB NOT NULL,"
                "  item BLOB NOT NULL,"
                "  size INTEGER NOT NULL,"
                "  PRIMARY KEY (pk, sk)"
                ") WITHOUT ROWID");
          }};
}

Partitions::~Partitions() = default;

std::shared_ptr<Partitions::Writer> Partitions::WriterOf(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& w = writers_[name];
  if (!w) w = std::make_shared<Writer>();
  return w;
}

Status Partitions::Write(const std::string& name, const Work& work, const CreateCheck& check) {
  return Write(name, std::vector<const Work*>{&work}, check).front();
}

std::vector<Status> Partitions::Write(const std::string& name,
                                      const std::vector<const Work*>& works,
                                      const CreateCheck& check) {
  std::shared_ptr<Writer> w = WriterOf(name);
  std::vector<Member> mine(works.size());
  for (size_t i = 0; i < works.size(); i++) {
    mine[i].work = works[i];
    mine[i].check = &check;
  }
  auto all_done = [&] {
    return std::all_of(mine.begin(), mine.end(), [](const Member& m) { return m.done; });
  };
  std::unique_lock lock(w->mu);
  for (Member& m : mine) w->queue.push_back(&m);
  while (true) {
    w->done.wait(lock, [&] { return all_done() || !w->leading; });
    if (all_done()) break;
    // Lead: the oldest writes waiting (ours among them unless more than a group wait).
    w->leading = true;
    std::vector<Member*> group;
    while (!w->queue.empty() && group.size() < std::max<size_t>(1, options_.max_group)) {
      group.push_back(w->queue.front());
      w->queue.pop_front();
    }
    lock.unlock();
    try {
      RunGroup(name, *w, group);
    } catch (...) {
      // No exception may leave the group unanswered and the writer led forever.
      for (Member* m : group) m->status = Status::Internal("the group commit failed unexpectedly");
      w->db.reset();
    }
    lock.lock();
    for (Member* m : group) m->done = true;
    w->leading = false;
    w->done.notify_all();
  }
  std::vector<Status> out;
  out.reserve(mine.size());
  for (Member& m : mine) out.push_back(std::move(m.status));
  return out;
}

Result<std::unique_ptr<Database>> Partitions::OpenForWrite(const std::string& name,
                                                           const CreateCheck& check) {
  Options o = options_.options;
  o.create_if_missing = false;
  o.max_staleness = std::chrono::milliseconds(0);
  o.migrations = {ItemsSchema()};
  const std::string uri = DatabaseUri(options_.store, name);
  Result<std::unique_ptr<Database>> db = Database::Open(uri, o);
  if (db.ok() || !db.status().IsNotFound()) return db;
  // The first write to this partition creates it, if the table still exists.
  if (check) CL_RETURN_IF_ERROR(check());
  o.create_if_missing = true;
  return Database::Open(uri, o);
}

void Partitions::RunGroup(const std::string& name, Writer& w, std::vector<Member*> members) {
  if (options_.before_group) options_.before_group(members.size());
  if (!w.db) {
    Result<std::unique_ptr<Database>> db = OpenForWrite(name, *members.front()->check);
    if (!db.ok()) {
      for (Member* m : members) m->status = db.status();
      return;
    }
    w.db = std::move(db).value();
  }
  const size_t requests = members.size();
  const UpdateStats before = w.db->stats();
  size_t updates = 0;
  Status s;
  while (!members.empty()) {
    Member* aborted = nullptr;
    updates++;
    s = RunOnce(*w.db, members, &aborted);
    if (!aborted) break;
    // Its failure took the group's transaction with it: it keeps its status, the others run
    // again.
    members.erase(std::find(members.begin(), members.end(), aborted));
  }
  for (Member* m : members) {
    if (!s.ok()) m->status = s;  // the group did not commit: nothing of it was written
  }
  Record(before, w.db->stats(), requests, updates);
  if (s.IsNotFound()) {
    w.db.reset();  // removed: the next write opens it again (and is refused by its check)
  }
}

Status Partitions::RunOnce(Database& db, const std::vector<Member*>& members, Member** aborted) {
  return db.Update([&](Connection& c) -> Status {
    *aborted = nullptr;
    for (Member* m : members) {
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
  std::vector<std::shared_ptr<Writer>> writers;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, w] : writers_) writers.push_back(w);
  }
  size_t n = 0;
  for (const auto& w : writers) {
    std::lock_guard lock(w->mu);
    n += w->queue.size();
  }
  return n;
}

Result<std::unique_ptr<Database>> Partitions::TakeReader(const std::string& name, bool consistent) {
  {
    std::lock_guard lock(mu_);
    auto it = readers_.find({name, consistent});
    if (it != readers_.end() && !it->second.idle.empty()) {
      std::unique_ptr<Database> db = std::move(it->second.idle.back());
      it->second.idle.pop_back();
      return db;
    }
  }
  Options o = options_.options;
  o.create_if_missing = false;
  if (consistent) o.max_staleness = std::chrono::milliseconds(0);
  // A partition being created may not have its items table yet: the migration makes it once.
  o.migrations = {ItemsSchema()};
  return Database::Open(DatabaseUri(options_.store, name), o);
}

void Partitions::ReturnReader(const std::string& name, bool consistent,
                              std::unique_ptr<Database> db) {
  std::lock_guard lock(mu_);
  auto& idle = readers_[{name, consistent}].idle;
  if (idle.size() < options_.max_idle_readers) idle.push_back(std::move(db));
}

Status Partitions::Read(const std::string& name, bool consistent,
                        const std::function<Status(Connection*)>& fn) {
  Result<std::unique_ptr<Database>> db = TakeReader(name, consistent);
  if (!db.ok()) {
    if (db.status().IsNotFound()) return fn(nullptr);
    return db.status();
  }
  Status s = (*db)->View([&](Connection& c) { return fn(&c); });
  if (s.IsNotFound()) {
    Close(name);  // removed since it was opened
    return s;
  }
  ReturnReader(name, consistent, std::move(db).value());
  return s;
}

void Partitions::Close(const std::string& name) {
  std::vector<std::unique_ptr<Database>> doomed;
  std::lock_guard lock(mu_);
  for (bool consistent : {false, true}) {
    auto it = readers_.find({name, consistent});
    if (it == readers_.end()) continue;
    for (auto& db : it->second.idle) doomed.push_back(std::move(db));
    readers_.erase(it);
  }
  // The writer's connection is the leader's: it drops it itself on the NotFound it meets.
}

}  // namespace cloudlite::server::dynamodb
