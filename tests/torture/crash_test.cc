// Crash: writers are killed with SIGKILL at random instants, mid-commit or anywhere else, and
// restarted. Each writer increments a counter and records a unique id in the same transaction,
// and reports the id to the supervisor through a pipe only after Update acknowledged it (a
// write(2) to a pipe survives the writer's death). Afterwards the database opens, is intact,
// holds every acknowledged id, and the counter equals the number of ids (no torn commits).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

// A writer process: commits until killed. Lines on `fd`: "A <id> <runs>" acknowledged,
// "M <id>" ambiguous, "F <message>" a hard failure.
[[noreturn]] void Writer(const std::string& uri, int fd, int slot, int incarnation) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a supervisor that died
  auto say = [fd](const std::string& line) {
    std::string text = line.substr(0, PIPE_BUF - 1) + "\n";  // one atomic write(2)
    if (write(fd, text.data(), text.size()) < 0) _exit(1);
  };
  WorkerReport report;
  Result<std::unique_ptr<Database>> db = OpenRetrying(uri, report);
  if (!db.ok()) {
    say("F open: " + db.status().ToString());
    _exit(1);
  }
  for (uint64_t seq = 0;; seq++) {
    std::string id =
        std::to_string(slot) + "." + std::to_string(incarnation) + "." + std::to_string(seq);
    uint64_t runs_before = report.runs;
    Status last;
    Outcome outcome = RunTransaction(
        **db,
        [&](Connection& c) -> Status {
          CL_RETURN_IF_ERROR(c.Exec("UPDATE counter SET n = n + 1 WHERE id = 1"));
          return c.Query("INSERT INTO acks VALUES (?1)", {id}).status();
        },
        report, &last);
    switch (outcome) {
      case Outcome::kCommitted:
        say("A " + id + " " + std::to_string(report.runs - runs_before));
        break;
      case Outcome::kAmbiguous:
        say("M " + id);
        break;
      default:
        say("F " + id + ": " + last.ToString());
        _exit(1);
    }
  }
}

using CrashTorture = TortureTest;

TEST_P(CrashTorture, KilledWritersLoseNoAcknowledgedCommit) {
  const int kills = EnvInt("CLOUDLITE_TORTURE_KILLS", 200);
  const int writers = EnvInt("CLOUDLITE_TORTURE_CRASH_WRITERS", 4);
  const std::string uri = place().Db("crash");
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
  }  // closed before forking: a SQLite connection must not cross fork()

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::fflush(stdout);
  std::fflush(stderr);
  int incarnations = 0;
  auto spawn = [&](int slot) {
    int incarnation = incarnations++;
    pid_t pid = fork();
    if (pid == 0) {
      close(pipe_fds[0]);
      Writer(uri, pipe_fds[1], slot, incarnation);
    }
    return pid;
  };

  std::set<std::string> acked, maybe;
  std::vector<std::string> failures;
  uint64_t runs = 0;
  std::string pending;
  auto consume = [&](std::string_view bytes) {
    pending.append(bytes);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::istringstream line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
      std::string kind, id;
      line >> kind >> id;
      if (kind == "A") {
        uint64_t r = 0;
        line >> r;
        runs += r;
        acked.insert(id);
      } else if (kind == "M") {
        maybe.insert(id);
      } else {
        failures.push_back(line.str());
      }
    }
  };
  auto drain = [&](int ms) { DrainPipe(pipe_fds[0], ms, consume); };

  std::mt19937_64 rng(Seed());
  auto start = std::chrono::steady_clock::now();
  Deadline deadline = MakeDeadline();
  std::vector<pid_t> pids;
  for (int slot = 0; slot < writers; slot++) pids.push_back(spawn(slot));
  int killed = 0;
  bool deadline_hit = false;
  for (; killed < kills; killed++) {
    if (std::chrono::steady_clock::now() > deadline) {
      deadline_hit = true;
      break;
    }
    drain(static_cast<int>(rng() % 51));  // a random 0-50 ms instant
    size_t slot = rng() % pids.size();
    ASSERT_EQ(kill(pids[slot], SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pids[slot], &status, 0), pids[slot]);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      ADD_FAILURE() << "writer " << slot << " had already ended with status " << status;
    }
    pids[slot] = spawn(static_cast<int>(slot));
  }
  drain(50);
  for (pid_t pid : pids) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  close(pipe_fds[1]);
  drain(-1);
  close(pipe_fds[0]);
  double wall = SecondsSince(start);
  for (const std::string& f : failures) ADD_FAILURE() << "writer: " << f;

  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(IntegrityCheck(**db), "ok");
  Result<std::vector<std::string>> rows = QueryStrings(**db, "SELECT id FROM acks");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::set<std::string> present(rows->begin(), rows->end());
  EXPECT_EQ(*QueryInt(**db, "SELECT n FROM counter"), static_cast<int64_t>(present.size()))
      << "a commit was torn: the counter and the ids disagree";
  int missing = 0;
  for (const std::string& id : acked) {
    if (!present.contains(id) && missing++ < 10) {
      ADD_FAILURE() << "acknowledged commit " << id << " is missing";
    }
  }
  EXPECT_EQ(missing, 0);
  // Commits that landed but whose writer died before reporting them: at most one per kill.
  size_t unreported = 0;
  for (const std::string& id : present) unreported += !acked.contains(id) && !maybe.contains(id);
  EXPECT_LE(unreported, static_cast<size_t>(killed + writers));
  Result<DatabaseInfo> info = (*db)->Info();
  ASSERT_TRUE(info.ok());

  WorkerReport total;
  total.commits = acked.size();
  total.runs = runs;
  total.ambiguous = maybe.size();
  total.deadline_hit = deadline_hit;
  PrintSummary("crash", place().backend(), total, wall,
               std::to_string(killed) + " kill -9s of " + std::to_string(writers) + " writers (" +
                   std::to_string(incarnations) + " processes); " + std::to_string(present.size()) +
                   " commits in the database, " + std::to_string(unreported) +
                   " landed unreported (killed in between); " + std::to_string(info->version) +
                   " versions");
}

CLOUDLITE_TORTURE_BACKENDS(CrashTorture);

}  // namespace
}  // namespace cloudlite::torture
