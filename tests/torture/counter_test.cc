// Counter: processes increment one row as fast as they can. Every increment is a lost race for
// all but one of them, so this is the worst case for whole-transaction re-runs; the row must
// end at exactly the number of acknowledged increments (8 x 200 = 1600 by default).
#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

using CounterTorture = TortureTest;

TEST_P(CounterTorture, ProcessesIncrementingOneRowEndAtExactlyTheirSum) {
  const int procs = EnvInt("CLOUDLITE_TORTURE_PROCS", 8);
  const int increments = EnvInt("CLOUDLITE_TORTURE_INCREMENTS", 200);
  const std::string uri = place().Db("counter");
  {
    Result<std::unique_ptr<Database>> db = Database::Open(uri);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Update([](Connection& c) {
                      return c.Exec(
                          "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                          "INSERT INTO counter VALUES (1, 0)");
                    })
                    .ok());
  }  // closed before forking: a SQLite connection must not cross fork()

  auto start = std::chrono::steady_clock::now();
  Deadline deadline = MakeDeadline();
  std::vector<WorkerReport> reports = RunWorkers(procs, [&](int, WorkerReport& report) {
    Result<std::unique_ptr<Database>> db = OpenRetrying(uri, report);
    if (!db.ok()) return 1;
    for (int k = 0; k < increments; k++) {
      if (std::chrono::steady_clock::now() > deadline) {
        report.deadline_hit = true;
        break;
      }
      Status last;
      Outcome outcome = RunTransaction(
          **db, [](Connection& c) { return c.Exec("UPDATE counter SET n = n + 1 WHERE id = 1"); },
          report, &last);
      // No faults here: anything but a commit is a failure (RunTransaction recorded it).
      if (outcome != Outcome::kCommitted) return 2;
    }
    return 0;
  });
  double wall = SecondsSince(start);
  WorkerReport total = Total(reports);

  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(IntegrityCheck(**db), "ok");
  EXPECT_EQ(*QueryInt(**db, "SELECT n FROM counter WHERE id = 1"),
            static_cast<int64_t>(total.commits));
  if (!total.deadline_hit) {
    EXPECT_EQ(total.commits, static_cast<uint64_t>(procs * increments));
  }
  Result<DatabaseInfo> info = (*db)->Info();
  ASSERT_TRUE(info.ok());
  PrintSummary("counter", place().backend(), total, wall,
               std::to_string(info->version) + " versions; " + std::to_string(procs) + " procs x " +
                   std::to_string(increments));
}

CLOUDLITE_TORTURE_BACKENDS(CounterTorture);

}  // namespace
}  // namespace cloudlite::torture
