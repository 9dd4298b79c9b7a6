// What the benchmarks share: timing, Markdown tables, store request counts, the machine line,
// the big test database and the fresh child process that cold runs use (docs/benchmarks.md).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/status.h"

namespace cloudlite::bench {

// ---- errors: a benchmark stops at the first one ----------------------------------------------

[[noreturn]] void Die(std::string_view message);
void Check(const Status& s, std::string_view what);
template <typename T>
T Take(Result<T> r, std::string_view what) {
  Check(r.status(), what);
  return std::move(r).value();
}

__attribute__((format(printf, 1, 2))) std::string Str(const char* format, ...);

// ---- flags ------------------------------------------------------------------------------------

// "--name=value" as {"--name", "value"}; an argument without '=' is all name.
std::pair<std::string, std::string> SplitFlag(std::string_view arg);
// "a,b,,c" as {"a", "b", "c"}: empty parts are dropped.
std::vector<std::string> SplitList(std::string_view value);
// The value of flag `name` as a non-negative integer; Die()s on anything else.
int64_t FlagNumber(std::string_view name, std::string_view value);
// `--only`'s comma list, each part one of `parts` (the message lists them); Die()s on an unknown
// part or an empty list.
std::set<std::string> ParseOnly(std::string_view value, const std::vector<std::string>& parts);

// ---- time and sizes --------------------------------------------------------------------------

int64_t NowNs();
// CPU time (user + system) this process has used, in nanoseconds.
int64_t CpuNs();
inline double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }
inline double MiB(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }
// MiB/s of `bytes` moved in `ns`.
inline double MiBps(uint64_t bytes, int64_t ns) { return MiB(bytes) / (Ms(ns) / 1000); }

// Per-operation latencies.
struct Samples {
  std::vector<int64_t> ns;
  double MeanUs() const;
  double PercentileUs(double p) const;
};

template <typename Fn>
void Timed(Samples* samples, Fn&& fn) {
  int64_t start = NowNs();
  fn();
  samples->ns.push_back(NowNs() - start);
}

// The median of `values` (the upper one of an even count); 0 for none.
double Median(std::vector<double> values);

// ---- SQLite -----------------------------------------------------------------------------------

void SqlCheck(sqlite3* db, int rc, std::string_view what);
void Exec(sqlite3* db, const char* sql);
int64_t QueryInt(sqlite3* db, const char* sql);
sqlite3* OpenPlain(const std::string& path);
std::string RandomText(std::mt19937_64& rng, size_t n);

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql);
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Builds a database of about `size_mb` MiB at `path`: table big(id INTEGER PRIMARY KEY, a BLOB,
// b TEXT), rows of 500 random bytes and 500 bytes of repeated text (so zstd gets about 2:1).
// Returns the row count.
int64_t BuildBig(const std::string& path, uint64_t size_mb);
// The point query the cold runs make on it: id, length(a) (500), 16 bytes of b.
inline constexpr char kColdQuery[] =
    "SELECT id, length(a), substr(b, 1, 16) FROM big WHERE id = ?1";
// Runs kColdQuery for `id` in a read transaction and exits if the row is not the one written.
void ColdPointQuery(Database& db, int64_t id);

// ---- store requests --------------------------------------------------------------------------

// Store requests made by this process (every store opened through cloudlite counts).
struct Requests {
  uint64_t get = 0, put = 0, list = 0, del = 0, bytes_in = 0, bytes_out = 0;
  static Requests Now();
  Requests operator-(const Requests& o) const;
  Requests& operator+=(const Requests& o);
  uint64_t total() const { return get + put + list + del; }
};

// What database `db` keeps in the store at `store_uri` (a LIST and a HEAD per object): objects
// and bytes per kind of key ("log", "ckpt", "seg", and "other").
struct StoreUsage {
  std::map<std::string, std::pair<uint64_t, uint64_t>> kinds;  // kind -> (objects, bytes)
  uint64_t objects = 0, bytes = 0;
  // The segments the newest checkpoint names: the rest are there for older retained versions.
  uint64_t newest_segments = 0, newest_segment_bytes = 0;
};
StoreUsage MeasureStore(const std::string& store_uri, const std::string& db);

// ---- tables ----------------------------------------------------------------------------------

// Prints rows as a Markdown table, columns padded to their widest cell; rows[0] is the header.
void PrintMarkdown(const std::vector<std::vector<std::string>>& rows);

// A Markdown table: metric | cloudlite | baseline | ratio | goal | verdict.
class Table {
 public:
  explicit Table(std::string title) : title_(std::move(title)) {}
  void Add(std::string metric, std::string cloud, std::string base, std::string ratio = "",
           std::string goal = "", std::string verdict = "");
  void Print() const;

 private:
  std::string title_;
  std::vector<std::vector<std::string>> rows_;
};

// "1.23×" (cloud / base), or "—" without a baseline.
std::string Ratio(double cloud, double base);
std::string Verdict(bool met);

// ---- comparisons in interleaved rounds -------------------------------------------------------

std::vector<int64_t> RandomIds(uint64_t seed, int n, int64_t max_id);

struct Compared {
  Samples cloud, base;
  Requests cloud_requests;
  int64_t ops = 0;
};

// Runs `rounds` rounds of `per_round` operations on each side, alternating which side goes
// first, on the same random ids (1..max_id); counts the store requests of the cloudlite side.
Compared Alternate(int rounds, int per_round, int64_t max_id,
                   const std::function<void(const std::vector<int64_t>&, Samples*)>& cloud,
                   const std::function<void(const std::vector<int64_t>&, Samples*)>& base);

// Rows "<name>, p50/mean/p99" with µs (or ms with `millis`) and ratios; p50 and mean are judged
// against `goal` (cloud ≤ goal × base) when goal > 0.
void AddLatencyRows(Table* t, const std::string& name, const Compared& c, double goal,
                    bool millis = false);

// ---- the machine and the process -------------------------------------------------------------

// A /proc/self/status field in KiB ("VmHWM:").
uint64_t ProcStatusKiB(const char* field);
// The file system holding `path`: "device (type)".
std::string FileSystemOf(const std::string& path);
// "machine: ..., work dir: ..., load average at start: ..." lines.
void PrintMachine(const std::string& dir);
std::string LoadAverage();
// A fresh temporary directory under `base` (or $TMPDIR, /tmp), canonical.
std::string MakeWorkDir(const std::string& base, const std::string& name);

// A run of this binary re-executed with `args` (a fresh process: empty caches, its own peak
// RSS). The child prints key=value lines on stdout; values are integers.
struct ChildResult {
  std::map<std::string, int64_t> values;
  // From wait4. Linux folds the pre-exec image (the forked copy of the parent's pages) into it,
  // so it overstates the child; a child's own VmHWM is the real peak.
  long maxrss_kib = 0;
  int64_t V(const std::string& k) const;
};
ChildResult RunSelf(const std::vector<std::string>& args);

// What a cold child (a fresh process: open, then one point query) reported: its store requests,
// the bytes it fetched, and the milliseconds of both steps.
double ColdRequests(const ChildResult& r);
double ColdBytesIn(const ChildResult& r);
double ColdTotalMs(const ChildResult& r);

}  // namespace cloudlite::bench
