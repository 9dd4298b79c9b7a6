// Bank: processes move random amounts between 100 accounts, each transfer one Update that also
// inserts a ledger row under a unique transfer id. Afterwards the total is unchanged, every
// account's balance is what the ledger says, the database is intact, and the ledger holds
// exactly the acknowledged transfers plus some of the ambiguous ones.
//
// The same workload runs again with faults injected into every process's store (15% of
// requests fail before reaching it, 30% of writes land but answer Ambiguous). The client does
// what an application would: an Unavailable or Busy Update is sent again under the same
// transfer id (nothing happened, so it must not be in the ledger yet: the transaction checks);
// an Ambiguous one is recorded as "may have committed" and left to the final check.
//
// Each transfer also appends to a short "recent" log, emptied whenever it passes 20 rows, so
// that transactions free pages and later ones reuse them: SQLite does not journal a reused
// free page, which is where rollback bugs hide.
#include <cstdio>
#include <fstream>
#include <set>

#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

constexpr int kAccounts = 100;
constexpr int64_t kInitialBalance = 1000;

int64_t Int(const Rows& rows) { return std::get<int64_t>(rows.rows.at(0).at(0)); }

// One process's transfers. Writes "A id" (acknowledged), "M id" (ambiguous: maybe) and
// "G id" (given up: must not be there) lines to `log_path`.
int BankWorker(const std::string& uri, const std::string& log_path, int worker, int transfers,
               uint64_t seed, Deadline deadline, WorkerReport& report) {
  Result<std::unique_ptr<Database>> db = OpenRetrying(uri, report);
  if (!db.ok()) {
    std::snprintf(report.error, sizeof report.error, "open: %s", db.status().ToString().c_str());
    return 1;
  }
  std::FILE* log = std::fopen(log_path.c_str(), "w");
  if (log == nullptr) return 2;
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(worker));
  std::uniform_int_distribution<int> account(1, kAccounts);
  std::uniform_int_distribution<int64_t> amount(1, 100);
  int rc = 0;
  for (int k = 0; k < transfers; k++) {
    if (std::chrono::steady_clock::now() > deadline) {
      report.deadline_hit = true;
      break;
    }
    std::string id = "t" + std::to_string(worker) + "-" + std::to_string(k);
    int64_t src = account(rng);
    int64_t dst = account(rng);
    while (dst == src) dst = account(rng);
    int64_t want = amount(rng);
    Status last;
    Outcome outcome = RunTransaction(
        **db,
        [&](Connection& c) -> Status {
          CL_ASSIGN_OR_RETURN(Rows seen,
                              c.Query("SELECT count(*) FROM ledger WHERE id = ?1", {id}));
          if (Int(seen) != 0) {
            // An earlier run of this transfer committed, although every Update for it so far
            // either re-ran it (Busy) or reported "nothing happened": a library bug
            // (RunTransaction recognizes the one already found: ambiguous-commit-masked).
            return Status::Internal("transfer " + id +
                                    " is already in the ledger; the client's last status for "
                                    "it was " +
                                    last.ToString());
          }
          CL_ASSIGN_OR_RETURN(Rows balance,
                              c.Query("SELECT balance FROM accounts WHERE id = ?1", {src}));
          int64_t moved = std::min(want, Int(balance));  // no overdrafts
          CL_RETURN_IF_ERROR(
              c.Query("UPDATE accounts SET balance = balance - ?1 WHERE id = ?2", {moved, src})
                  .status());
          CL_RETURN_IF_ERROR(
              c.Query("UPDATE accounts SET balance = balance + ?1 WHERE id = ?2", {moved, dst})
                  .status());
          CL_RETURN_IF_ERROR(
              c.Query("INSERT INTO ledger VALUES (?1, ?2, ?3, ?4)", {id, src, dst, moved})
                  .status());
          CL_RETURN_IF_ERROR(
              c.Query("INSERT INTO recent (transfer, payload) VALUES (?1, randomblob(1500))", {id})
                  .status());
          // Emptied all at once: a freelist with leaves, which later inserts reuse.
          return c.Exec("DELETE FROM recent WHERE (SELECT count(*) FROM recent) > 20");
        },
        report, &last);
    switch (outcome) {
      case Outcome::kCommitted:
        std::fprintf(log, "A %s\n", id.c_str());
        break;
      case Outcome::kAmbiguous:
        std::fprintf(log, "M %s\n", id.c_str());
        break;
      case Outcome::kGaveUp:
        std::fprintf(log, "G %s\n", id.c_str());
        break;
      case Outcome::kFailed:
        rc = 3;
        break;
    }
    if (rc != 0) break;
  }
  std::fclose(log);
  return rc;
}

void RunBank(Place& place, const std::string& label, const std::string& faults) {
  const int procs = EnvInt("CLOUDLITE_TORTURE_PROCS", 8);
  const int transfers = EnvInt("CLOUDLITE_TORTURE_TRANSFERS", 200);
  const uint64_t seed = Seed();
  const std::string clean = place.Db("bank");
  {
    Result<std::unique_ptr<Database>> db = Database::Open(clean);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Update([](Connection& c) {
                      return c.Exec(
                          "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT "
                          "NULL);"
                          "CREATE TABLE ledger (id TEXT PRIMARY KEY, src INTEGER NOT NULL, "
                          "dst INTEGER NOT NULL, amount INTEGER NOT NULL);"
                          "CREATE TABLE recent (seq INTEGER PRIMARY KEY, transfer TEXT NOT NULL, "
                          "payload BLOB NOT NULL);"
                          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                          "WHERE i < " +
                          std::to_string(kAccounts) + ") INSERT INTO accounts SELECT i, " +
                          std::to_string(kInitialBalance) + " FROM n");
                    })
                    .ok());
  }  // closed before forking: a SQLite connection must not cross fork()

  auto start = std::chrono::steady_clock::now();
  Deadline deadline = MakeDeadline();
  std::vector<WorkerReport> reports = RunWorkers(procs, [&](int i, WorkerReport& report) {
    std::map<std::string, std::string> params;
    if (!faults.empty()) {
      params["faults"] = faults;
      params["fault_seed"] = std::to_string(seed * 131 + static_cast<uint64_t>(i));
    }
    return BankWorker(place.Db("bank", params),
                      place.scratch() + "/bank-" + std::to_string(i) + ".log", i, transfers, seed,
                      deadline, report);
  });
  double wall = SecondsSince(start);
  WorkerReport total = Total(reports);

  std::set<std::string> acked, maybe, abandoned;
  for (int i = 0; i < procs; i++) {
    std::ifstream log(place.scratch() + "/bank-" + std::to_string(i) + ".log");
    std::string kind, id;
    while (log >> kind >> id) {
      (kind == "A" ? acked : kind == "M" ? maybe : abandoned).insert(id);
    }
  }
  EXPECT_EQ(acked.size(), total.commits);
  EXPECT_EQ(maybe.size(), total.ambiguous);

  Result<std::unique_ptr<Database>> db = Database::Open(clean);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(IntegrityCheck(**db), "ok");
  EXPECT_EQ(*QueryInt(**db, "SELECT sum(balance) FROM accounts"), kAccounts * kInitialBalance);
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM accounts"), kAccounts);
  EXPECT_EQ(*QueryInt(**db, "SELECT count(*) FROM accounts WHERE balance < 0"), 0);
  // Every balance is exactly what the ledger says: no transfer half-applied or applied twice.
  EXPECT_EQ(
      *QueryInt(**db, "SELECT count(*) FROM accounts a WHERE balance != " +
                          std::to_string(kInitialBalance) +
                          " - (SELECT coalesce(sum(amount), 0) FROM ledger WHERE src = a.id)"
                          " + (SELECT coalesce(sum(amount), 0) FROM ledger WHERE dst = a.id)"),
      0);
  Result<std::vector<std::string>> ledger = QueryStrings(**db, "SELECT id FROM ledger");
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  std::set<std::string> present(ledger->begin(), ledger->end());
  int missing = 0, invented = 0, maybe_present = 0;
  for (const std::string& id : acked) {
    if (!present.contains(id)) {
      if (missing++ < 10)
        ADD_FAILURE() << "acknowledged transfer " << id << " is not in the ledger";
    }
  }
  for (const std::string& id : present) {
    if (maybe.contains(id)) {
      maybe_present++;
    } else if (!acked.contains(id)) {
      if (invented++ < 10)
        ADD_FAILURE() << "transfer " << id << " is in the ledger, never acknowledged";
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(invented, 0);
  for (const std::string& id : abandoned) EXPECT_FALSE(present.contains(id)) << id;
  // The recent log only ever names transfers that are in the ledger.
  EXPECT_EQ(*QueryInt(**db,
                      "SELECT count(*) FROM recent WHERE transfer NOT IN (SELECT id FROM "
                      "ledger)"),
            0);
  Result<DatabaseInfo> info = (*db)->Info();
  ASSERT_TRUE(info.ok());

  char extra[256];
  std::snprintf(extra, sizeof extra,
                "ledger %zu rows (ambiguous present %d of %zu); %llu versions; %d procs x %d",
                present.size(), maybe_present, maybe.size(),
                static_cast<unsigned long long>(info->version), procs, transfers);
  PrintSummary(label, place.backend(), total, wall, extra);
  EXPECT_EQ(total.masked, 0u)
      << "commits whose outcome the engine reported as Ambiguous reached the application as "
         "another status (re-run, or 'nothing happened'): a regression of BUG "
         "ambiguous-commit-masked / rollback-commits-freelist (tests/torture/regressions_test.cc)";
}

using BankTorture = TortureTest;

TEST_P(BankTorture, TransfersKeepTheTotalAndEveryAcknowledgedTransfer) {
  RunBank(place(), "bank", "");
}

TEST_P(BankTorture, UnderStoreFaultsStillExact) {
  RunBank(place(), "bank+faults", EnvString("CLOUDLITE_TORTURE_FAULTS", "error:0.15,phantom:0.3"));
}

CLOUDLITE_TORTURE_BACKENDS(BankTorture);

}  // namespace
}  // namespace cloudlite::torture
