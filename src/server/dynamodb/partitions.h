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
// Reads: a strongly consistent read asks the store for newer versions first (one GET when there
// is none). An eventually consistent read may be up to `eventual_staleness` old, as DynamoDB's
// are, and costs no store request while its connection synced within that bound, except that it
// always sees this process's own acknowledged writes: a connection below the version the
// partition's writer last committed (known here, without asking the store) looks for newer
// versions first (PRAGMA cloudlite_min_version).
//
// A partition is created by its first write, after `check` (the table is still ACTIVE in the
// catalog) says it may be; a read of a partition that does not exist sees no rows. A partition
// that answers "was removed" (DeleteTable, maybe by another process) is closed here and the
// NotFound returned. At most `max_open` partitions keep databases open: opening one more closes
// the least recently used that no request is using (when every one is in use, more stay open
// until they are idle).
//
// Deadlines (deadline.h): a read whose deadline passed before it began, or while its partition
// was opened, is NotRunInTime. A write is run only while its deadline has not passed: one still
// queued when it passes is withdrawn, and one whose group runs after it (or runs again after a
// lost race) is left out of the transaction; both are NotRunInTime, never written. A write
// whose work is in the transaction being committed waits for the commit's outcome.
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
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
#include "server/dynamodb/deadline.h"
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
  Options options;    // for every Database::Open (max_staleness is set below, per use)
  // How old an eventually consistent read may be. DynamoDB's are "usually" consistent within a
  // second; this bounds it to one.
  std::chrono::milliseconds eventual_staleness{1000};
  // Partitions with open databases (a writer and up to 2 × max_idle_readers readers each), at
  // most, while none of them is in use: 256 = 32 tables of 8 partitions kept open.
  size_t max_open = 256;
  size_t max_group = 64;
  size_t max_idle_readers = 16;  // idle read connections kept per partition and consistency
  WriteMetrics metrics;
  // Called by a leader with the size of the group it is about to run (tests hold it here).
  std::function<void(size_t)> before_group;
};

// The name of partition `index` of table `id`: "t.<id>.<pp>", pp two or more hex digits.
std::string PartitionName(std::string_view table_id, int index);
// The partition an encoded partition key belongs to: XXH3_64(seed 0, pk) mod partitions.
int PartitionOf(std::string_view pk, int partitions);

// The tables of a partition, as migrations: its items (docs/dynamodb.md, "Items in a
// partition") and the intents of transactions across partitions ("Transactions across
// partitions").
std::vector<Migration> PartitionSchema();

class Partitions {
 public:
  // One write's work, run inside the group's transaction; it may run several times.
  using Work = std::function<Status(Connection&)>;
  // Ok if the partition may be created now.
  using CreateCheck = std::function<Status()>;

  explicit Partitions(PartitionOptions options) : options_(std::move(options)) {}
  ~Partitions();

  // Runs `works` (all for partition `name`) in committed transactions, group-committed with
  // other writes to the partition; each one's status, in order (NotRunInTime: not run, see
  // Deadlines above).
  std::vector<Status> Write(const std::string& name, const std::vector<const Work*>& works,
                            const CreateCheck& check, const Deadline& deadline);
  Status Write(const std::string& name, const Work& work, const CreateCheck& check,
               const Deadline& deadline);

  // Runs `fn` in a read transaction on partition `name`: at the latest version when
  // `consistent`, else within eventual_staleness and after every write this process acknowledged.
  // fn(nullptr) when the partition does not exist. NotRunInTime without running fn when
  // `deadline` passed first.
  Status Read(const std::string& name, bool consistent, const Deadline& deadline,
              const std::function<Status(Connection*)>& fn);

  // Closes what this process has open of partition `name` (it was removed) and forgets its
  // writer.
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
  // Partitions with databases open now.
  size_t open() const;

 private:
  struct Member {
    const Work* work = nullptr;
    const CreateCheck* check = nullptr;
    Deadline deadline;
    Status status;
    bool done = false;
  };
  // What this process has open of one partition.
  struct Partition {
    // The writer.
    std::mutex mu;
    std::condition_variable done;
    std::deque<Member*> queue;
    bool leading = false;
    std::unique_ptr<Database> db;  // only the leader touches it
    // The version the writer last committed or read: every write it acknowledged is in it.
    std::atomic<uint64_t> committed{0};
    // Guarded by Partitions::mu_.
    std::vector<std::unique_ptr<Database>> idle[2];  // read connections, [consistent]
    size_t users = 0;                                // requests holding it (Acquire)
    std::list<std::string>::iterator recent;         // its place in recent_
  };
  using PartitionPtr = std::shared_ptr<Partition>;
  // Holds the partition (open, or opened now) for one request: it is not closed for being least
  // recently used meanwhile.
  class Use;

  PartitionPtr Acquire(const std::string& name);
  void Release(const PartitionPtr& p);
  void RunGroup(const std::string& name, Partition& p, std::vector<Member*> members);
  // One Update over `members`; `*aborted` the member whose failure ended the transaction.
  Status RunOnce(Database& db, const std::vector<Member*>& members, Member** aborted);
  Result<std::unique_ptr<Database>> OpenForWrite(const std::string& name, const CreateCheck& check);
  Result<std::unique_ptr<Database>> TakeReader(const std::string& name, Partition& p,
                                               bool consistent);
  void ReturnReader(Partition& p, bool consistent, std::unique_ptr<Database> db);
  void Record(const UpdateStats& before, const UpdateStats& after, size_t requests, size_t updates);

  const PartitionOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, PartitionPtr, std::less<>> open_;
  std::list<std::string> recent_;  // the names in open_, most recently used first
  Stats stats_;
};

}  // namespace cloudlite::server::dynamodb
