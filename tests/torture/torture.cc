#include "torture/torture.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/random.h"
#include "store/fault/fault_store.h"
#include "store/registry.h"
#include "store/uri.h"
#include "testing/temp_dir.h"

namespace cloudlite::torture {

namespace {

// What the VFS told sqlite3_log since the last ClearVfsLog(): it logs every failed store call
// with the engine's own status ("cloudlite: ambiguous outcome: ...").
std::mutex g_log_mu;
std::string g_log;  // guarded by g_log_mu

void CaptureLog(void*, int, const char* message) {
  std::lock_guard lock(g_log_mu);
  if (g_log.size() < (1 << 16)) g_log.append(message).push_back('\n');
}

// sqlite3_config works only before SQLite initializes, i.e. before the first Database::Open;
// static initialization runs before main. Forked workers inherit it.
const bool g_log_installed = sqlite3_config(SQLITE_CONFIG_LOG, CaptureLog, nullptr) == SQLITE_OK;

void ClearVfsLog() {
  std::lock_guard lock(g_log_mu);
  g_log.clear();
}

bool VfsLogged(std::string_view text) {
  std::lock_guard lock(g_log_mu);
  return g_log.find(text) != std::string::npos;
}

}  // namespace

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::atoi(v);
}

std::string EnvString(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::string(v);
}

uint64_t Seed() {
  static const uint64_t seed = [] {
    const char* v = std::getenv("CLOUDLITE_TORTURE_SEED");
    uint64_t s =
        v && *v ? std::strtoull(v, nullptr, 10) : std::strtoull(RandomHex(4).c_str(), nullptr, 16);
    std::printf("[torture] seed %llu (repeat with CLOUDLITE_TORTURE_SEED=%llu)\n",
                static_cast<unsigned long long>(s), static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

Options ClientOptions(Isolation isolation) {
  Options options;
  options.isolation = isolation;
  options.max_attempts = EnvInt("CLOUDLITE_TORTURE_MAX_ATTEMPTS", options.max_attempts);
  return options;
}

// ---- Place ----------------------------------------------------------------------------------

Place::Place(std::string backend) : backend_(std::move(backend)) {
  scratch_ = test::MakeTempDir("torture");
  if (backend_ == "file") {
    store_ = "file://" + scratch_ + "/store";
    return;
  }
  if (backend_ == "mem") {  // this process's memory: for tests whose workers are threads
    store_ = "mem://" + std::filesystem::path(scratch_).filename().string();
    return;
  }
  const char* s3 = std::getenv("CLOUDLITE_TEST_S3_URI");
  if (s3 == nullptr || *s3 == '\0') {
    skip_ = "set CLOUDLITE_TEST_S3_URI (eval \"$(scripts/rgw-start.sh)\") to run on s3://";
    return;
  }
  Result<Uri> uri = Uri::Parse(s3);
  if (!uri.ok()) {
    skip_ = "CLOUDLITE_TEST_S3_URI: " + uri.status().ToString();
    return;
  }
  params_ = uri->params;
  uri->params.clear();
  // A prefix no one else uses: the scratch directory's unique name.
  std::string tag = std::filesystem::path(scratch_).filename().string();
  uri->path = uri->path.empty() ? tag : uri->path + "/" + tag;
  store_ = uri->ToString();
}

Place::~Place() {
  if (::testing::Test::HasFailure()) {
    std::printf("[torture] kept for a post-mortem: %s %s\n", store_.c_str(), scratch_.c_str());
    return;
  }
  if (backend_ == "s3" && skip_.empty()) {
    Result<Uri> uri = Uri::Parse(store_);
    if (uri.ok()) {
      uri->params = params_;
      Result<std::unique_ptr<ObjectStore>> store = OpenStore(*uri, /*create=*/false);
      if (store.ok()) {
        Result<std::vector<std::string>> keys = ListAll(**store, "");
        if (keys.ok() && !keys->empty()) (void)(*store)->Delete(*keys);
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch_, ec);
}

std::string Place::Db(const std::string& name,
                      const std::map<std::string, std::string>& params) const {
  Result<Uri> uri = Uri::Parse(store_);
  if (!uri.ok()) return "";
  uri->path = uri->path.empty() ? name : uri->path + "/" + name;
  uri->params = params_;
  for (const auto& [k, v] : params) uri->params[k] = v;
  return uri->ToString();
}

// ---- workers --------------------------------------------------------------------------------

WorkerReport Total(const std::vector<WorkerReport>& reports) {
  WorkerReport t;
  for (const WorkerReport& r : reports) {
    t.updates += r.updates;
    t.commits += r.commits;
    t.runs += r.runs;
    t.rebases += r.rebases;
    t.retries += r.retries;
    t.unavailable += r.unavailable;
    t.busy += r.busy;
    t.ambiguous += r.ambiguous;
    t.masked += r.masked;
    t.gave_up += r.gave_up;
    t.open_retries += r.open_retries;
    t.faults += r.faults;
    t.gets += r.gets;
    t.puts += r.puts;
    t.lists += r.lists;
    t.deadline_hit = t.deadline_hit || r.deadline_hit;
  }
  return t;
}

std::vector<WorkerReport> RunWorkers(int n, const std::function<int(int, WorkerReport&)>& body) {
  static_assert(sizeof(WorkerReport) < PIPE_BUF, "one write(2) must carry a whole report");
  std::fflush(stdout);  // or the children would print the parent's buffered output again
  std::fflush(stderr);
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      WorkerReport report;
      report.worker = i;
      // The counters are process-wide and came through fork() with the parent's values.
      const FaultCounts& f = ProcessFaultCounts();
      const StoreStats& stats = ProcessStoreStats();
      uint64_t faults0 = f.error + f.phantom + f.lost + f.ambiguous;
      uint64_t gets0 = stats.get, puts0 = stats.put, lists0 = stats.list;
      int rc = body(i, report);
      report.faults = f.error + f.phantom + f.lost + f.ambiguous - faults0;
      report.gets = stats.get - gets0;
      report.puts = stats.put - puts0;
      report.lists = stats.list - lists0;
      if (write(fds[1], &report, sizeof report) != sizeof report) rc = 99;
      std::fflush(stdout);
      _exit(rc);
    }
    EXPECT_GT(pid, 0);
    if (pid > 0) children.push_back(pid);
  }
  close(fds[1]);
  for (pid_t pid : children) {
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "worker process " << pid << " ended with status " << status;
  }
  std::vector<WorkerReport> reports(n);
  WorkerReport r;
  int got = 0;
  while (read(fds[0], &r, sizeof r) == sizeof r) {
    if (r.worker >= 0 && r.worker < n) {
      reports[r.worker] = r;
      got++;
    }
  }
  close(fds[0]);
  EXPECT_EQ(got, n) << "reports missing";
  for (const WorkerReport& w : reports) {
    EXPECT_EQ(w.error[0], '\0') << "worker " << w.worker << ": " << w.error;
  }
  return reports;
}

Deadline MakeDeadline() {
  return std::chrono::steady_clock::now() +
         std::chrono::seconds(EnvInt("CLOUDLITE_TORTURE_SECONDS", 60));
}

namespace {
void SetError(WorkerReport& report, const std::string& text) {
  if (report.error[0] != '\0') return;
  std::snprintf(report.error, sizeof report.error, "%s", text.c_str());
}
}  // namespace

Result<std::unique_ptr<Database>> OpenRetrying(const std::string& uri, WorkerReport& report,
                                               const Options& options) {
  if (!g_log_installed) return Status::Internal("could not install the sqlite3_log callback");
  Status last;
  for (int i = 0; i < 200; i++) {
    Result<std::unique_ptr<Database>> db = Database::Open(uri, options);
    if (db.ok() || !db.status().IsRetryable()) return db;
    last = db.status();
    report.open_retries++;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return last;
}

Outcome RunTransaction(Database& db, const std::function<Status(Connection&)>& fn,
                       WorkerReport& report, Status* last) {
  report.updates++;
  for (int attempt = 0; attempt < 200; attempt++) {
    if (attempt > 0) {
      report.retries++;
      std::this_thread::sleep_for(std::chrono::microseconds(200 * std::min(attempt, 10)));
    }
    ClearVfsLog();
    Status s = db.Update([&](Connection& c) {
      report.runs++;
      return fn(c);
    });
    *last = s;
    if (!s.ok() && s.code() != Status::Code::kAmbiguous &&
        VfsLogged("cloudlite: " + std::string(CodeName(Status::Code::kAmbiguous)))) {
      report.masked++;  // a regression: see torture.h
      report.ambiguous++;
      return Outcome::kAmbiguous;
    }
    if (s.ok()) {
      report.commits++;
      return Outcome::kCommitted;
    }
    switch (s.code()) {
      case Status::Code::kAmbiguous:
        report.ambiguous++;
        return Outcome::kAmbiguous;
      case Status::Code::kUnavailable:
        report.unavailable++;
        continue;
      case Status::Code::kBusy:
        report.busy++;
        continue;
      default:
        SetError(report, "Update failed: " + s.ToString());
        return Outcome::kFailed;
    }
  }
  report.gave_up++;
  return Outcome::kGaveUp;
}

Result<int64_t> QueryInt(Database& db, const std::string& sql) {
  int64_t out = 0;
  Status s = db.View([&](Connection& c) {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query(sql));
    if (rows.rows.empty() || !std::holds_alternative<int64_t>(rows.rows[0].at(0))) {
      return Status::Internal(sql + ": no integer");
    }
    out = std::get<int64_t>(rows.rows[0][0]);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::string>> QueryStrings(Database& db, const std::string& sql) {
  std::vector<std::string> out;
  Status s = db.View([&](Connection& c) {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query(sql));
    for (auto& row : rows.rows) {
      if (auto* text = std::get_if<std::string>(&row.at(0))) {
        out.push_back(*text);
      } else if (auto* n = std::get_if<int64_t>(&row.at(0))) {
        out.push_back(std::to_string(*n));
      } else {
        out.push_back("");
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

std::string IntegrityCheck(Database& db) {
  Result<std::vector<std::string>> rows = QueryStrings(db, "PRAGMA integrity_check");
  if (!rows.ok()) return rows.status().ToString();
  std::string out;
  for (const std::string& r : *rows) out += (out.empty() ? "" : "; ") + r;
  return out;
}

void PrintSummary(const std::string& name, const std::string& backend, const WorkerReport& t,
                  double wall, const std::string& extra) {
  double commits = static_cast<double>(t.commits);
  double runs_per_commit = commits > 0 ? static_cast<double>(t.runs) / commits : 0;
  std::ostringstream line;
  line << std::fixed << std::setprecision(2) << "[torture] " << name << " " << backend << ": "
       << t.commits << " commits in " << wall << " s = " << std::setprecision(0)
       << (wall > 0 ? commits / wall : 0) << " commits/s; " << std::setprecision(2)
       << "fn runs/commit " << runs_per_commit << " (re-runs "
       << (runs_per_commit > 0 ? runs_per_commit - 1 : 0) << "); client retries " << t.retries
       << " (unavailable " << t.unavailable << ", busy " << t.busy << "); ambiguous " << t.ambiguous
       << " (masked " << t.masked << "); gave up " << t.gave_up << "; open retries "
       << t.open_retries << "; faults injected " << t.faults;
  if (t.commits > 0 && t.puts > 0) {
    line << "; requests/commit: PUT " << static_cast<double>(t.puts) / commits << ", GET "
         << static_cast<double>(t.gets) / commits << ", LIST "
         << static_cast<double>(t.lists) / commits;
  }
  if (!extra.empty()) line << "; " << extra;
  if (t.deadline_hit) line << "; STOPPED AT THE TIME BUDGET";
  std::printf("%s\n", line.str().c_str());
  std::fflush(stdout);
  ::testing::Test::RecordProperty("commits", static_cast<int>(t.commits));
  ::testing::Test::RecordProperty("commits_per_second",
                                  static_cast<int>(wall > 0 ? commits / wall : 0));
  ::testing::Test::RecordProperty("wall_ms", static_cast<int>(wall * 1000));
}

void DrainPipe(int fd, int ms, const std::function<void(std::string_view)>& consume) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  for (;;) {
    int wait = -1;
    if (ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      wait = static_cast<int>(left.count());
    }
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, wait);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    ssize_t got = read(fd, buf, sizeof buf);
    if (got <= 0) return;  // EOF: every writer is gone
    consume(std::string_view(buf, static_cast<size_t>(got)));
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace cloudlite::torture
