// The partition databases of the DynamoDB tables (`t.<id>.<pp>`, docs/dynamodb.md): one
// group-committing writer per partition per process, and reads on connections of their own.
//
// Writes: a write enqueues itself on its partition's writer. When no group is running, its
// thread leads: it takes up to `max_group` queued writes and runs one Database::Update whose
// function runs each write under a SAVEPOINT of its own (a write that fails, a false condition
// among them when the work says so, is rolled back alone), commits once, and answers every
// member once that commit is durable. Writes arriving meanwhile form the next group. A lost race
// is Update's business (it rebases or runs the whole function again), so each write's work must
// start from scratch on every run. This is server/sql's GroupCommitter's design, written again
// here over a plain Database because that one is built on the SQL server's connection pool and
// guard, which this module may not use.
//
// A partition is created by its first write, after `check` (the table is still ACTIVE in the
// catalog) says it may be; a read of a partition that does not exist sees no rows. A partition
// that answers "was removed" (DeleteTable, maybe by another process) is closed here and the
// NotFound returned.
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "server/http/metrics.h"

namespace cloudlite::server::dynamodb {

// What the writers did, for /metrics: every pointer may be null.
struct WriteMetrics {
  Counter* requests = nullptr;    // writes
  Counter* commits = nullptr;     // engine commits holding them
  Counter* lost_races = nullptr;  // commit attempts another writer beat
  Counter* rebases = nullptr;     // lost races settled without running the writes again
  Counter* reruns = nullptr;      // runs of a group's writes beyond the first
  Histogram* group_size = nullptr;
  static WriteMetrics In(MetricsRegistry* registry);
};

struct PartitionOptions {
  std::string store;  // the store URI
  Options options;    // for every Database::Open; max_staleness bounds eventual reads
  size_t max_group = 64;
  size_t max_idle_readers = 8;  // idle read connections kept per partition and consistency
  WriteMetrics metrics;
  // Called by a leader with the size of the group it is about to run (tests hold it here).
  std::function<void(size_t)> before_group;
};

// The name of partition `index` of table `id`: "t.<id>.<pp>", pp two or more hex digits.
std::string PartitionName(std::string_view table_id, int index);
// The partition an encoded partition key belongs to: XXH3_64(seed 0, pk) mod partitions.
int PartitionOf(std::string_view pk, int partitions);

// The items table of a partition (docs/dynamodb.md, "Items in a partition").
Migration ItemsSchema();

class Partitions {
 public:
  // One write's work, run inside the group's transaction; it may run several times.
  using Work = std::function<Status(Connection&)>;
  // Ok if the partition may be created now.
  using CreateCheck = std::function<Status()>;

  explicit Partitions(PartitionOptions options) : options_(std::move(options)) {}
  ~Partitions();

  // Runs `works` (all for partition `name`) in committed transactions, group-committed with
  // other writes to the partition; each one's status, in order.
  std::vector<Status> Write(const std::string& name, const std::vector<const Work*>& works,
                            const CreateCheck& check);
  Status Write(const std::string& name, const Work& work, const CreateCheck& check);

  // Runs `fn` in a read transaction on partition `name`: at the latest version when
  // `consistent`, else within the staleness bound. fn(nullptr) when the partition does not exist.
  Status Read(const std::string& name, bool consistent,
              const std::function<Status(Connection*)>& fn);

  // Closes what this process has open of partition `name` (it was removed).
  void Close(const std::string& name);

  // Commits and writes so far, over every partition (for tests and metrics).
  struct Stats {
    uint64_t writes = 0;
    uint64_t commits = 0;
    uint64_t groups = 0;
  };
  Stats stats() const;
  // Writes queued on every writer and not yet taken by a leader.
  size_t waiting() const;

 private:
  struct Member {
    const Work* work = nullptr;
    const CreateCheck* check = nullptr;
    Status status;
    bool done = false;
  };
  struct Writer {
    std::mutex mu;
    std::condition_variable done;
    std::deque<Member*> queue;
    bool leading = false;
    std::unique_ptr<Database> db;  // only the leader touches it
  };
  struct Readers {
    std::vector<std::unique_ptr<Database>> idle;
  };

  std::shared_ptr<Writer> WriterOf(const std::string& name);
  void RunGroup(const std::string& name, Writer& w, std::vector<Member*> members);
  // One Update over `members`; `*aborted` the member whose failure ended the transaction.
  Status RunOnce(Database& db, const std::vector<Member*>& members, Member** aborted);
  Result<std::unique_ptr<Database>> OpenForWrite(const std::string& name, const CreateCheck& check);
  Result<std::unique_ptr<Database>> TakeReader(const std::string& name, bool consistent);
  void ReturnReader(const std::string& name, bool consistent, std::unique_ptr<Database> db);
  void Record(const UpdateStats& before, const UpdateStats& after, size_t requests, size_t updates);

  const PartitionOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Writer>, std::less<>> writers_;
  std::map<std::pair<std::string, bool>, Readers> readers_;
  Stats stats_;
};

}  // namespace cloudlite::server::dynamodb
