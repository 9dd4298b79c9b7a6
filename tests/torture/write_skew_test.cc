// Write skew: the two on-call doctors. Each transaction checks that at least two doctors are on
// call and then takes its own doctor off call. Under snapshot isolation both can read "2 on
// call" and both commit (write skew: nobody on call). Under serializable execution the second
// one sees that only one doctor is left and declines. Every round resets both doctors on call
// and releases the two processes at once; under Isolation::kSerializable the round must end with
// exactly one doctor on call, and under Isolation::kSnapshot write skew must show up.
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

struct RoundResult {
  int32_t doctor = 0;
  int32_t round = 0;
  int32_t took_off = 0;  // the committed run took the doctor off call
  int32_t runs = 0;      // fn runs of this round's transaction
  int32_t committed = 0;
};

// Reads exactly n bytes; false on EOF, error, or 30 s of silence (the other side died: every
// process holds every pipe's write end, so EOF alone would never come).
bool ReadAll(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 30000) != 1) return false;
    ssize_t got = read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// What PlayRounds saw.
struct Played {
  WorkerReport total;        // every process's counters (rebases: the doctors')
  WorkerReport coordinator;  // rounds, contended, anomalies (not serializable), deadline_hit
  uint64_t versions = 0;
  double wall = 0;

  // The summary line's details; `anomalies` names what coordinator.anomalies counted.
  std::string Details(const std::string& anomalies) const {
    return std::to_string(coordinator.rounds) + " rounds, " +
           std::to_string(coordinator.contended) + " in which a doctor ran again, " + anomalies +
           " " + std::to_string(coordinator.anomalies) + ", rebases " +
           std::to_string(total.rebases) + "; " + std::to_string(versions) + " versions";
  }
};

// Plays up to `rounds` rounds on a fresh database, the doctors opening with `isolation`. Under
// kSerializable every round must end with one doctor on call: any other outcome is counted in
// coordinator.anomalies and fails the test. Under kSnapshot a round may also end with both off
// call (write skew): it is counted in coordinator.anomalies too, and the rounds stop there; any
// other outcome (a lost or invented update) fails the test in both modes.
void PlayRounds(Place& place, Isolation isolation, int rounds, Played* out) {
  const bool snapshot = isolation == Isolation::kSnapshot;
  const std::string uri = place.Db(snapshot ? "oncall-snapshot" : "oncall");
  {
    Result<std::unique_ptr<Database>> db = Database::Open(uri);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Update([](Connection& c) {
                      return c.Exec(
                          "CREATE TABLE doctors (id INTEGER PRIMARY KEY, on_call INTEGER NOT "
                          "NULL);"
                          "INSERT INTO doctors VALUES (1, 1), (2, 1)");
                    })
                    .ok());
  }  // closed before forking: a SQLite connection must not cross fork()

  // Worker 0 coordinates the rounds; workers 1 and 2 are the doctors. go[d]: coordinator ->
  // doctor d (the round number, -1 to stop); done: doctors -> coordinator (RoundResult, one
  // write each, atomic).
  int go[3][2], done[2];
  ASSERT_EQ(pipe(go[1]), 0);
  ASSERT_EQ(pipe(go[2]), 0);
  ASSERT_EQ(pipe(done), 0);
  auto start = std::chrono::steady_clock::now();
  Deadline deadline = MakeDeadline();
  std::vector<WorkerReport> reports = RunWorkers(3, [&](int worker, WorkerReport& report) {
    Result<std::unique_ptr<Database>> db = OpenRetrying(
        uri, report, ClientOptions(worker == 0 ? Isolation::kSerializable : isolation));
    if (!db.ok()) return 1;
    if (worker == 0) {
      int played = 0;
      for (int round = 0; round < rounds; round++) {
        if (std::chrono::steady_clock::now() > deadline) {
          report.deadline_hit = true;
          break;
        }
        Status last;
        if (RunTransaction(
                **db, [](Connection& c) { return c.Exec("UPDATE doctors SET on_call = 1"); },
                report, &last) != Outcome::kCommitted) {
          break;
        }
        for (int d : {1, 2}) {
          if (write(go[d][1], &round, sizeof round) != sizeof round) return 2;
        }
        RoundResult results[2];
        for (RoundResult& r : results) {
          if (!ReadAll(done[0], &r, sizeof r)) return 3;
        }
        played++;
        // A doctor runs again after losing the race to the other, and also when its snapshot
        // predates this round's reset (write transactions skip the freshness probe).
        if (results[0].runs + results[1].runs > 2) report.contended++;
        Result<int64_t> on_call = QueryInt(**db, "SELECT count(*) FROM doctors WHERE on_call = 1");
        if (!on_call.ok()) return 4;
        int took_off = results[0].took_off + results[1].took_off;
        if (*on_call == 1 && took_off == 1) continue;  // a serial outcome
        report.anomalies++;
        // Write skew: each doctor saw two on call and took its own off. Snapshot isolation
        // allows it (the test looks for one, and stops there); serializable does not.
        bool write_skew = took_off == 2 && *on_call == 0;
        if (snapshot && write_skew) break;
        if (report.error[0] == '\0') {
          std::snprintf(report.error, sizeof report.error,
                        "round %d: %lld doctors on call after both transactions committed "
                        "(%d took a doctor off): %s",
                        round, static_cast<long long>(*on_call), took_off,
                        snapshot ? "not even snapshot isolation" : "not serializable");
        }
      }
      report.rounds = played;
      int stop = -1;
      for (int d : {1, 2}) {
        if (write(go[d][1], &stop, sizeof stop) != sizeof stop) return 5;
      }
      return report.error[0] == '\0' ? 0 : 6;
    }
    // A doctor.
    for (;;) {
      int round = 0;
      if (!ReadAll(go[worker][0], &round, sizeof round)) return 7;
      if (round < 0) {
        report.rebases = (*db)->stats().rebases;
        return 0;
      }
      RoundResult result;
      result.doctor = worker;
      result.round = round;
      Status last;
      uint64_t runs_before = report.runs;
      Outcome outcome = RunTransaction(
          **db,
          [&](Connection& c) -> Status {
            result.took_off = 0;
            CL_ASSIGN_OR_RETURN(Rows rows,
                                c.Query("SELECT count(*) FROM doctors WHERE on_call = 1"));
            if (std::get<int64_t>(rows.rows.at(0).at(0)) < 2) return Status::Ok();
            CL_RETURN_IF_ERROR(
                c.Query("UPDATE doctors SET on_call = 0 WHERE id = ?1", {int64_t{worker}})
                    .status());
            result.took_off = 1;
            return Status::Ok();
          },
          report, &last);
      result.runs = static_cast<int32_t>(report.runs - runs_before);
      result.committed = outcome == Outcome::kCommitted;
      if (!result.committed) result.took_off = 0;
      if (write(done[1], &result, sizeof result) != sizeof result) return 8;
      if (outcome != Outcome::kCommitted) return 9;
    }
  });
  out->wall = SecondsSince(start);
  for (int fd : {go[1][0], go[1][1], go[2][0], go[2][1], done[0], done[1]}) close(fd);
  out->total = Total(reports);
  out->coordinator = reports[0];
  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(IntegrityCheck(**db), "ok");
  Result<DatabaseInfo> info = (*db)->Info();
  ASSERT_TRUE(info.ok());
  out->versions = info->version;
}
using WriteSkewTorture = TortureTest;

TEST_P(WriteSkewTorture, TwoDoctorsNeverBothGoOffCall) {
  const int rounds = EnvInt("CLOUDLITE_TORTURE_ROUNDS", 500);
  Played played;
  ASSERT_NO_FATAL_FAILURE(PlayRounds(place(), Isolation::kSerializable, rounds, &played));
  const WorkerReport& coordinator = played.coordinator;
  EXPECT_EQ(coordinator.anomalies, 0u);
  if (!coordinator.deadline_hit) {
    EXPECT_EQ(coordinator.rounds, static_cast<uint64_t>(rounds));
  }
  PrintSummary("write-skew", place().backend(), played.total, played.wall,
               played.Details("anomalies"));
}

// Snapshot isolation is weaker than serializable, as docs/concurrency.md says: when both doctors
// start from "two on call", each one's change (its own row) is replayed on top of the other's
// commit instead of re-running, and both go off call. Rounds are played until that happens once.
TEST_P(WriteSkewTorture, SnapshotIsolationLetsBothDoctorsGoOffCall) {
  const int rounds = EnvInt("CLOUDLITE_TORTURE_ROUNDS", 500);
  Played played;
  ASSERT_NO_FATAL_FAILURE(PlayRounds(place(), Isolation::kSnapshot, rounds, &played));
  const WorkerReport& coordinator = played.coordinator;
  PrintSummary("write-skew-snapshot", place().backend(), played.total, played.wall,
               played.Details("write skews"));
  if (coordinator.anomalies == 0 && played.total.rebases == 0) {
    // Not a pass: the feature under test is missing. Any rebase at all means it is there, and
    // then a missing write skew fails below.
    GTEST_SKIP()
        << "snapshot isolation's changeset replay (issue 5) is not in this build: "
           "Database::stats().rebases stayed 0 over "
        << coordinator.rounds << " rounds (" << coordinator.contended
        << " with a doctor run again), so Isolation::kSnapshot still behaves as serializable";
  }
  EXPECT_GE(coordinator.anomalies, 1u)
      << "no write skew in " << coordinator.rounds << " rounds (" << coordinator.contended
      << " with a doctor run again, " << played.total.rebases
      << " rebases): snapshot isolation should allow it";
}

CLOUDLITE_TORTURE_BACKENDS(WriteSkewTorture);

}  // namespace
}  // namespace cloudlite::torture
