// cloudlite_concurrency_bench: how commit throughput holds up as writer processes are added to
// one database (issue 5; the scaling table of docs/concurrency.md).
//
//   cloudlite_concurrency_bench [--store=URI] [--writers=1,2,4,8] [--seconds=2] [--rounds=3]
//                               [--isolation=serializable,snapshot] [--workload=disjoint,hot]
//                               [--keep]
//
//  --store      where the databases live: file:///DIR, s3://BUCKET[/PREFIX], dynamodb://TABLE
//               (credentials and endpoint from the usual AWS environment). Default: a fresh
//               temporary directory (file://). Every cell gets a fresh database named
//               c<hex>-<workload>-<isolation>-w<N>, removed at the end unless --keep.
//  --writers    writer process counts, one cell each (a 1 is what the others are compared with)
//  --seconds    how long the writers of a cell keep starting transactions, per round
//  --rounds     rounds per cell: the cells of one workload and isolation run one after another,
//               in ascending order of writers in even rounds and descending in odd ones, so that
//               drift on a shared machine (fsync latency moves by 10x here) hits them alike;
//               a cell's commits/s is its commits over its time summed over the rounds
//  --isolation  Options::isolation of every writer
//  --workload   disjoint: writer i increments only its own rows, round robin over them;
//               hot: every writer increments the same row
//
// The table (t): one hot row, then per writer a block of 64 rows, blocks separated by 8 filler
// rows nobody writes; each row has 500 bytes of random padding, so about 7 rows fill a 4 KiB
// leaf page and no leaf page holds rows of two writers (checked with the dbstat virtual table and
// printed). Counters start at 2^40 so that incrementing them never changes the size of a row (a
// growing row could split a leaf page and change its parent, i.e. a page others read).
//
// A round of a cell forks the writers (each opens its own Database after fork: a SQLite
// connection must not cross fork), waits until all have opened the database and read their rows,
// releases them at once, and each runs Database::Update transactions until --seconds have
// passed, then reports its counters through a pipe. Then the parent checks the database: the hot
// row went up by exactly the number of acknowledged commits so far, each writer's rows by exactly
// that writer's commits, nothing else changed, and PRAGMA integrity_check says ok.
//
// Per cell: commits/s (all writers' commits whose Update returned before the deadline, over
// --seconds × rounds: an Update still running at the deadline, e.g. in its backoff, counts
// neither for nor against), that against the 1-writer cell of the same workload and
// isolation, Update latency (p50 and p99 as power-of-two bounds, and the maximum), fn runs per
// commit (1.00 = nothing re-ran), Database::stats() rebases and lost races per commit, store
// requests per commit (ProcessStoreStats in each writer), the writers' CPU time per commit
// (getrusage), how busy the whole machine's CPUs were while they ran
// (/proc/stat: on a small machine that also runs the store's server, a full machine means the
// cell measured CPU, not contention), Update calls that gave up with Busy. One Markdown table, a
// goals table, and one "cell {json}" line per cell.
// Nothing here asserts a time; the numbers are for people (docs/concurrency.md).
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/random.h"
#include "bench_util.h"
#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "store/uri.h"

namespace {

namespace cl = cloudlite;
using namespace cl::bench;  // NOLINT(build/namespaces): the shared benchmark helpers

constexpr int kRowsPerWriter = 64;
constexpr int kFillerRows = 8;  // between two writers' blocks: more than one leaf page's worth
constexpr int kPaddingBytes = 500;
constexpr int64_t kCounterBase = int64_t{1} << 40;  // a 6-byte integer for a long time
constexpr int64_t kHotId = 1;
constexpr int kOwnerHot = -1;
constexpr int kOwnerFiller = -2;

// ---- arguments ------------------------------------------------------------------------------

struct Args {
  std::string store;
  std::vector<int> writers = {1, 2, 4, 8};
  double seconds = 2;
  int rounds = 3;
  std::vector<std::string> isolations = {"serializable", "snapshot"};
  std::vector<std::string> workloads = {"disjoint", "hot"};
  bool keep = false;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    const auto [name, value] = SplitFlag(arg);
    if (name == "--store") {
      a.store = value;
    } else if (name == "--writers") {
      a.writers.clear();
      for (const std::string& w : SplitList(value)) {
        int n = std::atoi(w.c_str());
        if (n < 1 || n > 64) Die("--writers takes counts from 1 to 64: " + value);
        a.writers.push_back(n);
      }
      std::sort(a.writers.begin(), a.writers.end());
      a.writers.erase(std::unique(a.writers.begin(), a.writers.end()), a.writers.end());
    } else if (name == "--seconds") {
      a.seconds = std::atof(value.c_str());
      if (a.seconds <= 0) Die("--seconds must be positive: " + value);
    } else if (name == "--rounds") {
      a.rounds = std::atoi(value.c_str());
      if (a.rounds < 1) Die("--rounds must be at least 1: " + value);
    } else if (name == "--isolation") {
      a.isolations = SplitList(value);
      for (const std::string& s : a.isolations) {
        if (s != "serializable" && s != "snapshot") Die("--isolation takes serializable,snapshot");
      }
    } else if (name == "--workload") {
      a.workloads = SplitList(value);
      for (const std::string& s : a.workloads) {
        if (s != "disjoint" && s != "hot") Die("--workload takes disjoint,hot");
      }
    } else if (name == "--keep") {
      a.keep = true;
    } else {
      Die("unknown argument " + arg +
          " (see the comment at the top of bench/concurrency_bench.cc for the flags)");
    }
  }
  if (a.writers.empty() || a.isolations.empty() || a.workloads.empty())
    Die("--writers, --isolation and --workload need at least one value each");
  return a;
}

cl::Options OptionsFor(const std::string& isolation) {
  cl::Options options;
  options.isolation =
      isolation == "snapshot" ? cl::Isolation::kSnapshot : cl::Isolation::kSerializable;
  return options;
}

// ---- the table ------------------------------------------------------------------------------

int64_t FirstRowOf(int writer) {
  return kHotId + kFillerRows + 1 + int64_t{writer} * (kRowsPerWriter + kFillerRows);
}

void CreateTable(const std::string& uri, const cl::Options& options, int writers) {
  auto db = Take(cl::Database::Open(uri, options), "creating " + uri);
  Check(db->Update([&](cl::Connection& c) -> cl::Status {
    CL_RETURN_IF_ERROR(
        c.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, "
               "n INTEGER NOT NULL, pad BLOB NOT NULL)"));
    auto insert = [&](int64_t id, int owner) {
      return c
          .Query("INSERT INTO t VALUES (?1, ?2, ?3, randomblob(?4))",
                 {id, int64_t{owner}, kCounterBase, int64_t{kPaddingBytes}})
          .status();
    };
    CL_RETURN_IF_ERROR(insert(kHotId, kOwnerHot));
    int64_t id = kHotId;
    for (int f = 0; f < kFillerRows; f++) CL_RETURN_IF_ERROR(insert(++id, kOwnerFiller));
    for (int w = 0; w < writers; w++) {
      for (int r = 0; r < kRowsPerWriter; r++) CL_RETURN_IF_ERROR(insert(++id, w));
      for (int f = 0; f < kFillerRows; f++) CL_RETURN_IF_ERROR(insert(++id, kOwnerFiller));
    }
    return cl::Status::Ok();
  }),
        "filling the table");
}

// Which rows share a leaf page, from dbstat (leaf pages in key order, with their cell counts).
// Returns a sentence for the output; "" when dbstat is not available.
std::string CheckLayout(const std::string& uri, const cl::Options& options) {
  auto db = Take(cl::Database::Open(uri, options), "opening " + uri);
  std::string out;
  cl::Status s = db->View([&](cl::Connection& c) -> cl::Status {
    CL_ASSIGN_OR_RETURN(cl::Rows leaves,
                        c.Query("SELECT ncell FROM dbstat WHERE name = 't' AND pagetype = 'leaf' "
                                "ORDER BY path"));
    CL_ASSIGN_OR_RETURN(cl::Rows owners, c.Query("SELECT owner FROM t ORDER BY id"));
    size_t row = 0;
    int shared = 0, min_cells = 1 << 30, max_cells = 0;
    for (const auto& leaf : leaves.rows) {
      int cells = static_cast<int>(std::get<int64_t>(leaf.at(0)));
      min_cells = std::min(min_cells, cells);
      max_cells = std::max(max_cells, cells);
      int64_t writer = -100;
      bool mixed = false;
      for (int k = 0; k < cells && row < owners.rows.size(); k++, row++) {
        int64_t owner = std::get<int64_t>(owners.rows[row].at(0));
        if (owner < 0) continue;
        if (writer != -100 && writer != owner) mixed = true;
        writer = owner;
      }
      shared += mixed;
    }
    if (row != owners.rows.size()) return cl::Status::Internal("dbstat does not cover every row");
    out = Str("%zu leaf pages of %d-%d rows; leaf pages holding rows of two writers: %d",
              leaves.rows.size(), min_cells, max_cells, shared);
    return cl::Status::Ok();
  });
  if (!s.ok()) return "not checked (" + s.ToString() + ")";
  return out;
}

// ---- one cell -------------------------------------------------------------------------------

// What one writer did, sent to the parent through a pipe (one write: smaller than PIPE_BUF).
struct WriterReport {
  int32_t writer = -1;
  uint64_t commits = 0;    // Update returned Ok
  uint64_t fn_runs = 0;    // executions of the transaction function, counted by the function
  uint64_t busy = 0;       // Update gave up with Busy (nothing committed; the loop goes on)
  uint64_t ambiguous = 0;  // Update returned Ambiguous (may have committed)
  cl::UpdateStats stats;   // Database::stats() over the timed loop
  uint64_t get = 0, put = 0, list = 0, del = 0;
  uint64_t in_window = 0;  // commits whose Update returned before the deadline
  int64_t elapsed_ns = 0;  // release to the end of the last transaction
  int64_t cpu_ns = 0;      // this process's user + system CPU time over the same span
  // Update calls by latency: [i] counts those that took [2^(i-1), 2^i) µs.
  uint32_t latency_log2_us[32] = {};
  int64_t max_latency_ns = 0;
  char error[256] = {};
};
static_assert(sizeof(WriterReport) < PIPE_BUF);

cl::UpdateStats operator-(const cl::UpdateStats& a, const cl::UpdateStats& b) {
  return {a.commits - b.commits, a.runs - b.runs, a.lost_races - b.lost_races,
          a.rebases - b.rebases};
}

// One cell, summed over its rounds.
struct Cell {
  std::string workload, isolation, uri;
  int writers = 0;
  WriterReport total;
  std::vector<uint64_t> commits, ambiguous;  // per writer: what the check expects
  double seconds = 0;                        // --seconds × rounds
  int64_t tail_ns = 0;  // the longest any round ran past its deadline (an Update still going)
  std::vector<double> round_rates;               // commits/s of each round
  uint64_t machine_busy = 0, machine_total = 0;  // /proc/stat jiffies while the writers ran
  double commits_per_s = 0;
  double vs_one = -1;  // against the 1-writer cell; < 0: none
  bool correct = true;
  std::string check;  // what the checks found, when not correct
};

// The machine's busy and total CPU time so far (jiffies, all cores), from /proc/stat.
struct MachineCpu {
  uint64_t busy = 0, total = 0;
  static MachineCpu Now() {
    MachineCpu m;
    std::ifstream in("/proc/stat");
    std::string cpu;
    uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    m.busy = user + nice + system + irq + softirq + steal;
    m.total = m.busy + idle + iowait;
    return m;
  }
};

bool ReadFull(int fd, void* buf, size_t n, int timeout_ms) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) != 1) return false;
    ssize_t got = read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// The body of writer process `w`. Never returns.
[[noreturn]] void Writer(int w, const std::string& uri, const std::string& workload,
                         const cl::Options& options, double seconds, int ready_fd, int go_fd,
                         int report_fd) {
  WriterReport r;
  r.writer = w;
  auto fail = [&](const std::string& what) {
    if (r.error[0] == '\0') std::snprintf(r.error, sizeof r.error, "%s", what.c_str());
  };
  {
    std::unique_ptr<cl::Database> db;
    auto opened = cl::Database::Open(uri, options);
    if (opened.ok()) {
      db = std::move(*opened);
    } else {
      fail("open: " + opened.status().ToString());
    }
    const bool hot = workload == "hot";
    const int64_t first = hot ? kHotId : FirstRowOf(w);
    const int64_t rows = hot ? 1 : kRowsPerWriter;
    if (db) {  // read the rows once, so that the timed loop starts with warm caches
      cl::Status s = db->View([&](cl::Connection& c) {
        return c.Query("SELECT sum(n) FROM t WHERE id BETWEEN ?1 AND ?2", {first, first + rows - 1})
            .status();
      });
      if (!s.ok()) fail("warm-up: " + s.ToString());
    }
    char byte = 0;
    if (write(ready_fd, &byte, 1) != 1) fail("ready pipe");
    if (!ReadFull(go_fd, &byte, 1, 600000)) fail("no start signal");
    if (db && r.error[0] == '\0') {
      Requests before = Requests::Now();
      int64_t cpu_before = CpuNs();
      cl::UpdateStats stats_before = db->stats();
      int64_t start = NowNs();
      int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
      uint64_t k = 0;
      while (NowNs() < deadline) {
        const int64_t began = NowNs();
        const int64_t id = first + static_cast<int64_t>(k % static_cast<uint64_t>(rows));
        cl::Status s = db->Update([&](cl::Connection& c) {
          r.fn_runs++;
          return c.Query("UPDATE t SET n = n + 1 WHERE id = ?1", {id}).status();
        });
        const int64_t ended = NowNs();
        r.max_latency_ns = std::max(r.max_latency_ns, ended - began);
        r.latency_log2_us[std::min<uint64_t>(
            31, std::bit_width(static_cast<uint64_t>(ended - began) / 1000))]++;
        if (s.ok()) {
          r.commits++;
          if (ended <= deadline) r.in_window++;
          k++;
        } else if (s.IsBusy()) {
          r.busy++;
        } else if (s.code() == cl::Status::Code::kAmbiguous) {
          r.ambiguous++;
          k++;
        } else {
          fail("Update: " + s.ToString());
          break;
        }
      }
      r.elapsed_ns = NowNs() - start;
      r.cpu_ns = CpuNs() - cpu_before;
      r.stats = db->stats() - stats_before;
      Requests used = Requests::Now() - before;
      r.get = used.get;
      r.put = used.put;
      r.list = used.list;
      r.del = used.del;
    }
  }
  int rc = write(report_fd, &r, sizeof r) == sizeof r ? 0 : 1;
  std::fflush(stdout);
  _exit(rc);
}

// Runs one round of the writers of `cell`, adds their counters and checks the database.
void RunRound(const Args& args, Cell& cell) {
  const std::string& uri = cell.uri;
  const std::string& workload = cell.workload;
  const int writers = cell.writers;
  const cl::Options options = OptionsFor(cell.isolation);

  int ready[2], go[2], report[2];
  if (pipe(ready) != 0 || pipe(go) != 0 || pipe(report) != 0) Die("pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  for (int w = 0; w < writers; w++) {
    pid_t pid = fork();
    if (pid < 0) Die("fork failed");
    if (pid == 0) {
      close(ready[0]);
      close(go[1]);
      close(report[0]);
      Writer(w, uri, workload, options, args.seconds, ready[1], go[0], report[1]);
    }
    children.push_back(pid);
  }
  close(ready[1]);
  close(go[0]);
  close(report[1]);
  for (int w = 0; w < writers; w++) {
    char byte;
    if (!ReadFull(ready[0], &byte, 1, 120000)) Die("a writer did not open the database in 120 s");
  }
  std::string go_bytes(static_cast<size_t>(writers), 'g');
  const MachineCpu machine_before = MachineCpu::Now();
  if (write(go[1], go_bytes.data(), go_bytes.size()) != static_cast<ssize_t>(go_bytes.size()))
    Die("start pipe");
  std::vector<WriterReport> reports(static_cast<size_t>(writers));
  for (int w = 0; w < writers; w++) {
    WriterReport r;
    int timeout_ms = static_cast<int>(args.seconds * 1000) + 300000;
    if (!ReadFull(report[0], &r, sizeof r, timeout_ms)) Die("a writer sent no report");
    if (r.writer < 0 || r.writer >= writers) Die("a garbled writer report");
    reports[static_cast<size_t>(r.writer)] = r;
  }
  for (pid_t pid : children) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      Die(Str("writer process %d failed (status %d)", static_cast<int>(pid), status));
  }
  const MachineCpu machine_after = MachineCpu::Now();
  for (int fd : {ready[0], go[1], report[0]}) close(fd);
  cell.machine_busy += machine_after.busy - machine_before.busy;
  cell.machine_total += machine_after.total - machine_before.total;

  WriterReport& t = cell.total;
  int64_t longest_ns = 0;
  uint64_t round_in_window = 0;
  cell.commits.resize(static_cast<size_t>(writers));
  cell.ambiguous.resize(static_cast<size_t>(writers));
  for (const WriterReport& r : reports) {
    if (r.error[0] != '\0') Die(Str("writer %d: %s", r.writer, r.error));
    cell.commits[static_cast<size_t>(r.writer)] += r.commits;
    cell.ambiguous[static_cast<size_t>(r.writer)] += r.ambiguous;
    t.commits += r.commits;
    t.fn_runs += r.fn_runs;
    t.busy += r.busy;
    t.ambiguous += r.ambiguous;
    t.stats.commits += r.stats.commits;
    t.stats.runs += r.stats.runs;
    t.stats.lost_races += r.stats.lost_races;
    t.stats.rebases += r.stats.rebases;
    t.get += r.get;
    t.put += r.put;
    t.list += r.list;
    t.del += r.del;
    t.in_window += r.in_window;
    round_in_window += r.in_window;
    for (int i = 0; i < 32; i++) t.latency_log2_us[i] += r.latency_log2_us[i];
    t.max_latency_ns = std::max(t.max_latency_ns, r.max_latency_ns);
    longest_ns = std::max(longest_ns, r.elapsed_ns);
    t.cpu_ns += r.cpu_ns;
  }
  cell.round_rates.push_back(static_cast<double>(round_in_window) / args.seconds);
  cell.seconds += args.seconds;
  cell.tail_ns = std::max(cell.tail_ns, longest_ns - static_cast<int64_t>(args.seconds * 1e9));
  cell.commits_per_s = static_cast<double>(t.in_window) / cell.seconds;

  // The check: every acknowledged commit is there, nothing else is.
  auto db = Take(cl::Database::Open(uri, options), "reopening " + uri);
  std::vector<std::string> problems;
  Check(db->View([&](cl::Connection& c) -> cl::Status {
    CL_ASSIGN_OR_RETURN(
        cl::Rows rows,
        c.Query("SELECT owner, sum(n - ?1) FROM t GROUP BY owner ORDER BY owner", {kCounterBase}));
    std::map<int64_t, int64_t> added;
    for (const auto& row : rows.rows)
      added[std::get<int64_t>(row.at(0))] = std::get<int64_t>(row.at(1));
    auto expect = [&](int64_t owner, uint64_t commits, uint64_t ambiguous, const char* what) {
      int64_t got = added[owner];
      if (got < static_cast<int64_t>(commits) || got > static_cast<int64_t>(commits + ambiguous))
        problems.push_back(Str("%s: +%" PRId64 ", acknowledged %" PRIu64 " (+%" PRIu64
                               " ambiguous)",
                               what, got, commits, ambiguous));
    };
    for (int w = 0; w < writers; w++) {
      const size_t i = static_cast<size_t>(w);
      if (workload == "hot") {
        expect(w, 0, 0, Str("writer %d's rows", w).c_str());
      } else {
        expect(w, cell.commits[i], cell.ambiguous[i], Str("writer %d's rows", w).c_str());
      }
    }
    if (workload == "hot") {
      expect(kOwnerHot, t.commits, t.ambiguous, "hot row");
    } else {
      expect(kOwnerHot, 0, 0, "hot row");
    }
    expect(kOwnerFiller, 0, 0, "filler rows");
    CL_ASSIGN_OR_RETURN(cl::Rows integrity, c.Query("PRAGMA integrity_check"));
    std::string answer = std::get<std::string>(integrity.rows.at(0).at(0));
    if (answer != "ok") problems.push_back("integrity_check: " + answer);
    return cl::Status::Ok();
  }),
        "checking " + uri);
  if (!problems.empty()) cell.correct = false;
  for (const std::string& p : problems) {
    cell.check +=
        (cell.check.empty() ? "" : "; ") + Str("round %zu: ", cell.round_rates.size()) + p;
  }
}

// ---- output ---------------------------------------------------------------------------------

double Per(uint64_t n, uint64_t commits) {
  return commits > 0 ? static_cast<double>(n) / static_cast<double>(commits) : 0;
}

double CpuMsPerCommit(const Cell& c) {
  return Per(static_cast<uint64_t>(c.total.cpu_ns), c.total.commits) / 1e6;
}
double MachineBusy(const Cell& c) {
  return c.machine_total > 0
             ? static_cast<double>(c.machine_busy) / static_cast<double>(c.machine_total)
             : 0;
}

// The q-quantile of Update latency in ms, rounded up to its power-of-two bucket of µs.
double LatencyQuantileMs(const WriterReport& t, double q) {
  uint64_t total = 0;
  for (uint32_t n : t.latency_log2_us) total += n;
  uint64_t seen = 0;
  for (int i = 0; i < 32; i++) {
    seen += t.latency_log2_us[i];
    if (total > 0 && static_cast<double>(seen) >= q * static_cast<double>(total)) {
      return static_cast<double>(uint64_t{1} << i) / 1000;
    }
  }
  return 0;
}

std::string Latencies(const Cell& c) {
  return Str("≤ %g / ≤ %g / %.0f ms", LatencyQuantileMs(c.total, 0.5),
             LatencyQuantileMs(c.total, 0.99), static_cast<double>(c.total.max_latency_ns) / 1e6);
}

std::string RoundRates(const Cell& c, const char* separator) {
  std::string out;
  for (double r : c.round_rates) out += (out.empty() ? "" : separator) + Str("%.1f", r);
  return out;
}

void PrintCellJson(const std::string& store, const Cell& c) {
  const WriterReport& t = c.total;
  std::printf(
      "cell {\"store\":\"%s\",\"workload\":\"%s\",\"isolation\":\"%s\",\"writers\":%d,"
      "\"seconds\":%.2f,\"rounds_commits_per_s\":[%s],\"commits\":%" PRIu64
      ",\"commits_per_s\":%.1f,\"vs_1_writer\":%s,"
      "\"fn_runs_per_commit\":%.3f,\"rebases_per_commit\":%.3f,\"lost_races_per_commit\":%.3f,"
      "\"writer_cpu_ms_per_commit\":%.3f,\"machine_cpu_busy\":%.3f,"
      "\"get_per_commit\":%.3f,\"put_per_commit\":%.3f,\"list_per_commit\":%.3f,"
      "\"update_ms_p50_le\":%g,\"update_ms_p99_le\":%g,\"update_ms_max\":%.1f,"
      "\"tail_ms\":%.1f,\"busy\":%" PRIu64 ",\"ambiguous\":%" PRIu64 ",\"stats_runs\":%" PRIu64
      ",\"stats_commits\":%" PRIu64 ",\"correct\":%s}\n",
      store.c_str(), c.workload.c_str(), c.isolation.c_str(), c.writers, c.seconds,
      RoundRates(c, ",").c_str(), t.commits, c.commits_per_s,
      c.vs_one < 0 ? "null" : Str("%.3f", c.vs_one).c_str(), Per(t.fn_runs, t.commits),
      Per(t.stats.rebases, t.commits), Per(t.stats.lost_races, t.commits), CpuMsPerCommit(c),
      MachineBusy(c), Per(t.get, t.commits), Per(t.put, t.commits), Per(t.list, t.commits),
      LatencyQuantileMs(t, 0.5), LatencyQuantileMs(t, 0.99),
      static_cast<double>(t.max_latency_ns) / 1e6, static_cast<double>(c.tail_ns) / 1e6, t.busy,
      t.ambiguous, t.stats.runs, t.stats.commits, c.correct ? "true" : "false");
  std::fflush(stdout);
}

void PrintCells(const std::vector<Cell>& cells) {
  std::vector<std::vector<std::string>> rows = {
      {"workload", "isolation", "writers", "commits/s", "rounds", "vs 1 writer", "fn runs/commit",
       "rebases/commit", "lost races/commit", "GET/PUT/LIST per commit", "writer CPU/commit",
       "machine CPU busy", "Update p50 / p99 / max", "Busy", "check"}};
  for (const Cell& c : cells) {
    const WriterReport& t = c.total;
    rows.push_back(
        {c.workload, c.isolation, std::to_string(c.writers), Str("%.1f", c.commits_per_s),
         RoundRates(c, " "), c.vs_one < 0 ? "—" : Str("%.2f×", c.vs_one),
         Str("%.2f", Per(t.fn_runs, t.commits)), Str("%.2f", Per(t.stats.rebases, t.commits)),
         Str("%.2f", Per(t.stats.lost_races, t.commits)),
         Str("%.2f / %.2f / %.2f", Per(t.get, t.commits), Per(t.put, t.commits),
             Per(t.list, t.commits)),
         Str("%.2f ms", CpuMsPerCommit(c)), Str("%.0f%%", 100 * MachineBusy(c)), Latencies(c),
         std::to_string(t.busy),
         c.correct ? Str("ok (%" PRIu64 " commits)", t.commits) : "FAILED: " + c.check});
  }
  PrintMarkdown(rows);
}

void PrintGoals(const Args& args, const std::vector<Cell>& cells) {
  const int most = args.writers.back();
  Table goals(Str("Goals (%d writers against 1)", most));
  for (const Cell& c : cells) {
    if (c.writers != most || most == 1) continue;
    const std::string what = c.workload + ", " + c.isolation;
    if (c.vs_one >= 0) {
      double one = c.commits_per_s / c.vs_one;
      goals.Add(Str("%s: commits/s, %d writers vs 1", what.c_str(), most),
                Str("%.1f", c.commits_per_s), Str("%.1f", one), Str("%.2f×", c.vs_one), "≥ 0.70×",
                Verdict(c.vs_one >= 0.70));
    }
    if (c.workload == "disjoint") {
      double runs = Per(c.total.fn_runs, c.total.commits);
      bool judged = c.isolation == "snapshot";
      goals.Add(Str("%s: fn runs per commit, %d writers", what.c_str(), most), Str("%.2f", runs),
                "1.00", "", judged ? "= 1.00 (no re-run)" : "",
                judged ? Verdict(c.total.fn_runs == c.total.commits) : "");
    }
  }
  goals.Print();
}

int Main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  std::string temp_dir;
  if (args.store.empty()) {
    temp_dir = MakeWorkDir("", "cloudlite-concurrency-bench");
    args.store = "file://" + temp_dir;
  }
  cl::Uri store = Take(cl::Uri::Parse(args.store), "parsing --store");
  const std::string run = "c" + cl::RandomHex(4);
  auto db_uri = [&](const std::string& name) {
    cl::Uri u = store;
    u.path = u.path.empty() ? name : u.path + "/" + name;
    return u.ToString();
  };

  std::printf("machine: %u cores, load average at start: %s\n", std::thread::hardware_concurrency(),
              LoadAverage().c_str());
  std::printf("store: %s (%s), databases %s-*\n", store.ToString().c_str(),
              store.scheme == "file"
                  ? FileSystemOf(store.path.empty() ? "/" : "/" + store.path).c_str()
                  : "remote",
              run.c_str());
  const int max_writers = args.writers.back();
  std::printf(
      "table: 1 hot row, then %d blocks (one per writer) of %d rows, 8 filler rows between "
      "blocks; every row has %d bytes of random padding; counters start at 2^40 (rows never "
      "change size)\n",
      max_writers, kRowsPerWriter, kPaddingBytes);
  std::printf(
      "each cell: a fresh database; %d rounds, each forking N writer processes released at once "
      "that run Update for %.1f s (disjoint: UPDATE t SET n = n + 1 on the writer's own rows, "
      "round robin; hot: on one row); Options::max_attempts %d\n",
      args.rounds, args.seconds, cl::Options{}.max_attempts);

  std::vector<Cell> cells;
  bool layout_printed = false;
  for (const std::string& workload : args.workloads) {
    for (const std::string& isolation : args.isolations) {
      std::vector<Cell> group;
      for (int writers : args.writers) {
        Cell cell;
        cell.workload = workload;
        cell.isolation = isolation;
        cell.writers = writers;
        cell.uri =
            db_uri(Str("%s-%s-%s-w%d", run.c_str(), workload.c_str(), isolation.c_str(), writers));
        CreateTable(cell.uri, OptionsFor(isolation), max_writers);
        if (!layout_printed) {
          std::printf("layout (dbstat): %s\n",
                      CheckLayout(cell.uri, OptionsFor(isolation)).c_str());
          layout_printed = true;
        }
        group.push_back(cell);
      }
      for (int round = 0; round < args.rounds; round++) {
        for (size_t k = 0; k < group.size(); k++) {
          Cell& cell = group[round % 2 == 0 ? k : group.size() - 1 - k];
          std::fprintf(stderr, "round %d: %s, %s, %d writers\n", round + 1, workload.c_str(),
                       isolation.c_str(), cell.writers);
          RunRound(args, cell);
        }
      }
      double one = -1;
      for (Cell& cell : group) {
        if (cell.writers == 1) one = cell.commits_per_s;
        if (one > 0) cell.vs_one = cell.commits_per_s / one;
        PrintCellJson(store.scheme, cell);
        cells.push_back(cell);
      }
    }
  }

  std::printf("\n### Writer scaling on %s (%d rounds of %.1f s per cell)\n\n", store.scheme.c_str(),
              args.rounds, args.seconds);
  PrintCells(cells);
  PrintGoals(args, cells);
  std::printf("\nload average at end: %s\n", LoadAverage().c_str());

  bool all_correct =
      std::all_of(cells.begin(), cells.end(), [](const Cell& c) { return c.correct; });
  if (args.keep) {
    std::printf("kept the databases %s-* in %s\n", run.c_str(), store.ToString().c_str());
  } else {
    for (const Cell& cell : cells) {
      cl::Status s = cl::RemoveDatabase(cell.uri);
      if (!s.ok() && !s.IsNotFound()) std::fprintf(stderr, "cleanup: %s\n", s.ToString().c_str());
    }
    if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  }
  if (!all_correct) std::fprintf(stderr, "a correctness check FAILED (see the check column)\n");
  return all_correct ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
