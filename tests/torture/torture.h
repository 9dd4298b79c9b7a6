// Shared machinery of the torture tests: many processes against one database, with faults and
// kill -9, checking that nothing acknowledged is lost and nothing unacknowledged is invented.
//
// Each test runs on file:// (a fresh temporary directory) and, when CLOUDLITE_TEST_S3_URI is set
// (eval "$(scripts/rgw-start.sh)"), on s3:// under a fresh prefix; otherwise the S3 variant is
// skipped. Sizes and the time budget come from the environment, so that a local run can be much
// longer than CI's:
//   CLOUDLITE_TORTURE_PROCS      writer processes                       (8)
//   CLOUDLITE_TORTURE_TRANSFERS  bank transfers per process             (200)
//   CLOUDLITE_TORTURE_INCREMENTS counter increments per process         (200)
//   CLOUDLITE_TORTURE_ROUNDS     write-skew rounds                      (500)
//   CLOUDLITE_TORTURE_KILLS      kill -9s in the crash test             (200)
//   CLOUDLITE_TORTURE_CRASH_WRITERS  writers in the crash test          (4)
//   CLOUDLITE_TORTURE_SECONDS    per test: no new work is started after this (60); the checks
//                                still hold for what was done
//   CLOUDLITE_TORTURE_FAULTS     the faults test's spec                 (error:0.15,phantom:0.3)
//   CLOUDLITE_TORTURE_SEED       workload and fault seed                (random, printed)
//   CLOUDLITE_TORTURE_MAX_ATTEMPTS  Options::max_attempts for Update    (the library default)
// Every test prints one "[torture]" line: commits, wall time, commits/s, fn runs per commit,
// client retries, ambiguous outcomes, store requests per commit.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"

namespace cloudlite::torture {

int EnvInt(const char* name, int fallback);
std::string EnvString(const char* name, const std::string& fallback);
// CLOUDLITE_TORTURE_SEED, or a random seed (printed, so a failing run can be repeated).
uint64_t Seed();
// The Options every torture client opens with (max_attempts from the environment).
Options ClientOptions(Isolation isolation = Isolation::kSerializable);

// Where one test's databases live. Removed at the end unless the test failed (then the path
// is printed, for a post-mortem).
class Place {
 public:
  // backend: "file", "s3" or "mem" (threads only: a mem:// store is not shared across
  // fork()). skip() is set when the backend is not configured.
  explicit Place(std::string backend);
  ~Place();
  Place(const Place&) = delete;
  Place& operator=(const Place&) = delete;

  // The URI of database `name`, with extra query parameters (e.g. faults).
  std::string Db(const std::string& name,
                 const std::map<std::string, std::string>& params = {}) const;
  // A local scratch directory for the test's own files (acknowledgement logs).
  const std::string& scratch() const { return scratch_; }
  const std::string& backend() const { return backend_; }
  const std::string& skip() const { return skip_; }

 private:
  std::string backend_;
  std::string skip_;
  std::string store_;                                       // store URI, without parameters
  std::map<std::string, std::string, std::less<>> params_;  // the store URI's own parameters
  std::string scratch_;  // local directory; also holds the store for file://
};

// The fixture of every torture test, parameterized by backend ("file", "s3").
class TortureTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_ = std::make_unique<Place>(GetParam());
    if (!place_->skip().empty()) GTEST_SKIP() << place_->skip();
  }
  void TearDown() override { place_.reset(); }
  Place& place() { return *place_; }

 private:
  std::unique_ptr<Place> place_;
};

#define CLOUDLITE_TORTURE_BACKENDS(suite)       \
  INSTANTIATE_TEST_SUITE_P(                     \
      , suite, ::testing::Values("file", "s3"), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

// What one worker process did, sent to the parent through a pipe when it finishes.
struct WorkerReport {
  int32_t worker = -1;
  uint64_t updates = 0;       // logical transactions attempted
  uint64_t commits = 0;       // acknowledged: Update returned Ok
  uint64_t runs = 0;          // executions of the transaction function (re-runs included)
  uint64_t rebases = 0;       // Database::stats().rebases: lost races settled without a re-run
  uint64_t retries = 0;       // the client re-sent a transaction after Unavailable or Busy
  uint64_t unavailable = 0;   // ... of which Unavailable
  uint64_t busy = 0;          // ... of which Busy (Update ran out of max_attempts)
  uint64_t ambiguous = 0;     // Update returned Ambiguous: may or may not have committed
  uint64_t masked = 0;        // ... of which the engine said Ambiguous but Update said otherwise
                              // (a regression of a fixed bug; see RunTransaction)
  uint64_t gave_up = 0;       // transactions abandoned after too many client retries
  uint64_t open_retries = 0;  // Database::Open failed transiently and was tried again
  uint64_t faults = 0;        // faults the process's stores injected
  uint64_t gets = 0;          // store requests the process made (GET/HEAD, PUT, LIST)
  uint64_t puts = 0;
  uint64_t lists = 0;
  uint64_t rounds = 0;        // write skew: rounds played
  uint64_t contended = 0;     // write skew: rounds in which a transaction had to re-run
  uint64_t anomalies = 0;     // write skew: rounds whose outcome no serial order explains
  bool deadline_hit = false;  // stopped early at CLOUDLITE_TORTURE_SECONDS
  char error[512] = {};       // the first hard failure, if any
};

// Sums the counters of several reports.
WorkerReport Total(const std::vector<WorkerReport>& reports);

// Runs body(i, report) in n forked processes at once and returns their reports in worker
// order. A process that exits non-zero, dies or sends no report fails the calling test.
std::vector<WorkerReport> RunWorkers(int n, const std::function<int(int, WorkerReport&)>& body);

// The point after which no new work starts (CLOUDLITE_TORTURE_SECONDS from now).
using Deadline = std::chrono::steady_clock::time_point;
Deadline MakeDeadline();

// Opens `uri`, retrying transient failures (injected faults) up to 200 times.
Result<std::unique_ptr<Database>> OpenRetrying(const std::string& uri, WorkerReport& report,
                                               const Options& options = ClientOptions());

enum class Outcome { kCommitted, kAmbiguous, kGaveUp, kFailed };

// Runs one logical transaction the way an application would: Update, and on Unavailable or
// Busy (nothing happened) Update again, with a short pause, up to 200 times. Ambiguous is
// returned as such: the caller must treat the transaction as "may have committed". fn runs are
// counted into report.runs. `last` gets the final status.
//
// A library bug the torture tests found is recognized here, so that a regression fails with a
// clear message while every other check still runs (BUG ambiguous-commit-masked and
// rollback-commits-freelist, fixed; tests/torture/regressions_test.cc): when a commit's outcome
// stayed unknown, the engine said Ambiguous, but SQLite's rollback synced again and the VFS
// published (or tried to publish) pages as the same version, and that attempt's status (Busy
// or Unavailable) replaced the Ambiguous one. The VFS reports the engine's Ambiguous through
// sqlite3_log; when it did and Update's status is anything but Ambiguous, the transaction is
// counted in `masked` and treated as the Ambiguous it really is.
Outcome RunTransaction(Database& db, const std::function<Status(Connection&)>& fn,
                       WorkerReport& report, Status* last);

// Convenience for checks: the single integer a query returns, through a read transaction.
Result<int64_t> QueryInt(Database& db, const std::string& sql);
// Every row's first column as text.
Result<std::vector<std::string>> QueryStrings(Database& db, const std::string& sql);
// PRAGMA integrity_check's answer ("ok" when healthy).
std::string IntegrityCheck(Database& db);

// Prints and records one test's numbers:
//   [torture] NAME BACKEND: C commits in W s = R commits/s; fn runs/commit X (re-runs Y); ...
void PrintSummary(const std::string& name, const std::string& backend, const WorkerReport& total,
                  double wall_seconds, const std::string& extra = {});

// Seconds since `start`.
double SecondsSince(std::chrono::steady_clock::time_point start);

// Hands what arrives on `fd` to `consume` for `ms` milliseconds, or until end of file when
// `ms` < 0 (every writer gone): how the kill -9 tortures read their children's acknowledgements.
void DrainPipe(int fd, int ms, const std::function<void(std::string_view)>& consume);

}  // namespace cloudlite::torture
