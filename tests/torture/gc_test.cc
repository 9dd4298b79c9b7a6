// Garbage collection under load: writer processes commit, reader processes hold snapshots open
// while a collector process (with store faults, and no grace period at all) deletes history and
// is killed with SIGKILL at random instants and restarted. Afterwards every acknowledged commit
// is present, the database is intact, and no reader ever saw a state no commit produced.
#include "cloudlite/gc.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <thread>

#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

// One line on `fd` (a write(2) to a pipe survives the writer's death).
void Say(int fd, const std::string& line) {
  std::string text = line.substr(0, PIPE_BUF - 1) + "\n";
  if (write(fd, text.data(), text.size()) < 0) _exit(1);
}

// Commits until killed: "A <id>" acknowledged, "M <id>" ambiguous, "F <message>" a failure.
[[noreturn]] void Writer(const std::string& uri, int fd, int slot) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  WorkerReport report;
  Result<std::unique_ptr<Database>> db = OpenRetrying(uri, report);
  if (!db.ok()) {
    Say(fd, "F open: " + db.status().ToString());
    _exit(1);
  }
  for (uint64_t seq = 0;; seq++) {
    std::string id = std::to_string(slot) + "." + std::to_string(seq);
    Status last;
    Outcome outcome = RunTransaction(
        **db,
        [&](Connection& c) -> Status {
          CL_RETURN_IF_ERROR(c.Exec("UPDATE counter SET n = n + 1 WHERE id = 1"));
          return c.Query("INSERT INTO acks VALUES (?1)", {id}).status();
        },
        report, &last);
    if (outcome == Outcome::kCommitted) {
      Say(fd, "A " + id);
    } else if (outcome == Outcome::kAmbiguous) {
      Say(fd, "M " + id);
    } else {
      Say(fd, "F " + id + ": " + last.ToString());
      _exit(1);
    }
  }
}

// Reads in transactions held open for up to 300 ms: the counter and the ids must agree, and
// stay the same within a snapshot. "R" a consistent read, "U" a retryable error, "F" otherwise.
[[noreturn]] void Reader(const std::string& uri, int fd, uint64_t seed) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  WorkerReport report;
  Result<std::unique_ptr<Database>> db = OpenRetrying(uri, report);
  if (!db.ok()) {
    Say(fd, "F open: " + db.status().ToString());
    _exit(1);
  }
  std::mt19937_64 rng(seed);
  const std::string sql = "SELECT (SELECT n FROM counter) * 1000000 + (SELECT count(*) FROM acks)";
  for (;;) {
    std::string wrong;
    Status s = (*db)->View([&](Connection& c) -> Status {
      CL_ASSIGN_OR_RETURN(Rows first, c.Query(sql));
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
      CL_ASSIGN_OR_RETURN(Rows second, c.Query(sql));
      int64_t a = std::get<int64_t>(first.rows.at(0).at(0));
      int64_t b = std::get<int64_t>(second.rows.at(0).at(0));
      if (a != b) wrong = "a snapshot changed: " + std::to_string(a) + " then " + std::to_string(b);
      if (a / 1000000 != a % 1000000) wrong = "counter and ids disagree: " + std::to_string(a);
      return Status::Ok();
    });
    if (!wrong.empty()) {
      Say(fd, "F reader: " + wrong);
      _exit(1);
    }
    if (s.ok()) {
      Say(fd, "R");
    } else if (s.IsRetryable()) {
      Say(fd, "U");
    } else {
      Say(fd, "F reader: " + s.ToString());
      _exit(1);
    }
  }
}

// Collects until killed: "G" a collection that finished, "E" one a store fault stopped.
[[noreturn]] void Collector(const std::string& uri, int fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (;;) {
    Result<GcResult> r = CollectGarbage(uri);
    if (r.ok()) {
      Say(fd, "G");
    } else if (r.status().IsRetryable()) {
      Say(fd, "E");
    } else {
      Say(fd, "F collector: " + r.status().ToString());
      _exit(1);
    }
  }
}

using GcTorture = TortureTest;

TEST_P(GcTorture, KilledCollectorsUnderFaultsLoseNothingAndReadersSeeNoWrongRows) {
  const int kills = EnvInt("CLOUDLITE_TORTURE_GC_KILLS", 60);
  const int writers = EnvInt("CLOUDLITE_TORTURE_GC_WRITERS", 3);
  const int readers = 2;
  const std::string uri = place().Db("gc");
  const std::string faulty = place().Db(
      "gc", {{"faults", EnvString("CLOUDLITE_TORTURE_GC_FAULTS", "error:0.05,phantom:0.2")},
             {"fault_seed", std::to_string(Seed())}});
  {
    Result<std::unique_ptr<Database>> db = Database::Open(uri);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Update([](Connection& c) {
                      return c.Exec(
                          "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                          "INSERT INTO counter VALUES (1, 0);"
                          "CREATE TABLE acks (id TEXT PRIMARY KEY)");
                    })
                    .ok());
  }  // closed before forking
  // Keep only the newest 20 versions, and delete the moment something stops being needed: the
  // harshest rule (readers holding snapshots may get retryable errors, never wrong rows).
  GcSettings save;
  save.retain_versions = 20;
  save.grace = std::chrono::microseconds(0);
  save.save = true;
  ASSERT_TRUE(CollectGarbage(uri, save).ok());

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::fflush(stdout);
  std::fflush(stderr);
  auto spawn = [&](const std::function<void()>& body) {
    pid_t pid = fork();
    if (pid == 0) {
      close(pipe_fds[0]);
      body();
      _exit(0);
    }
    return pid;
  };
  std::set<std::string> acked, maybe;
  std::vector<std::string> failures;
  uint64_t reads = 0, retryable = 0, collections = 0, faulted = 0;
  std::string pending;
  auto consume = [&](std::string_view bytes) {
    pending.append(bytes);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      std::istringstream in(line);
      std::string kind, id;
      in >> kind >> id;
      if (kind == "A") {
        acked.insert(id);
      } else if (kind == "M") {
        maybe.insert(id);
      } else if (kind == "R") {
        reads++;
      } else if (kind == "U") {
        retryable++;
      } else if (kind == "G") {
        collections++;
      } else if (kind == "E") {
        faulted++;
      } else {
        failures.push_back(line);
      }
    }
  };
  auto drain = [&](int ms) { DrainPipe(pipe_fds[0], ms, consume); };

  std::mt19937_64 rng(Seed());
  auto start = std::chrono::steady_clock::now();
  Deadline deadline = MakeDeadline();
  std::vector<pid_t> pids;
  for (int i = 0; i < writers; i++) pids.push_back(spawn([&, i] { Writer(uri, pipe_fds[1], i); }));
  for (int i = 0; i < readers; i++) {
    const uint64_t seed = rng();
    pids.push_back(spawn([&, seed] { Reader(uri, pipe_fds[1], seed); }));
  }
  auto collector = [&] { return spawn([&] { Collector(faulty, pipe_fds[1]); }); };
  pid_t gc = collector();
  int killed = 0;
  bool deadline_hit = false;
  for (; killed < kills; killed++) {
    if (std::chrono::steady_clock::now() > deadline) {
      deadline_hit = true;
      break;
    }
    drain(static_cast<int>(rng() % 101));  // a random 0-100 ms instant
    ASSERT_EQ(kill(gc, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(gc, &status, 0), gc);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      ADD_FAILURE() << "the collector had already ended with status " << status;
    }
    gc = collector();
  }
  drain(100);
  pids.push_back(gc);
  for (pid_t pid : pids) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  close(pipe_fds[1]);
  drain(-1);
  close(pipe_fds[0]);
  const double wall = SecondsSince(start);
  for (const std::string& f : failures) ADD_FAILURE() << f;

  // A last collection without faults, then every acknowledged commit must be there.
  Result<GcResult> last = CollectGarbage(uri);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(IntegrityCheck(**db), "ok");
  Result<std::vector<std::string>> rows = QueryStrings(**db, "SELECT id FROM acks");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::set<std::string> present(rows->begin(), rows->end());
  EXPECT_EQ(*QueryInt(**db, "SELECT n FROM counter"), static_cast<int64_t>(present.size()));
  int missing = 0;
  for (const std::string& id : acked) {
    if (!present.contains(id) && missing++ < 10) {
      ADD_FAILURE() << "acknowledged commit " << id << " is missing";
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_GT(reads, 0u);
  Result<DatabaseInfo> info = (*db)->Info();
  ASSERT_TRUE(info.ok());

  WorkerReport total;
  total.commits = acked.size();
  total.runs = acked.size();
  total.ambiguous = maybe.size();
  total.deadline_hit = deadline_hit;
  PrintSummary("gc", place().backend(), total, wall,
               std::to_string(killed) + " kill -9s of the collector; " +
                   std::to_string(collections) + " collections finished, " +
                   std::to_string(faulted) + " stopped by faults; " + std::to_string(reads) +
                   " held reads consistent, " + std::to_string(retryable) +
                   " retryable read errors; " + std::to_string(info->version) + " versions, " +
                   std::to_string(last->horizon) + " the last horizon");
}

CLOUDLITE_TORTURE_BACKENDS(GcTorture);

}  // namespace
}  // namespace cloudlite::torture
