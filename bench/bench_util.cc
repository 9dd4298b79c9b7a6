#include "bench_util.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "format/format.h"
#include "store/object_store.h"
#include "store/registry.h"
#include "store/uri.h"

namespace cloudlite::bench {

void Die(std::string_view message) {
  std::fprintf(stderr, "%s: %.*s\n", program_invocation_short_name,
               static_cast<int>(message.size()), message.data());
  std::exit(1);
}

void Check(const Status& s, std::string_view what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

std::string Str(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

std::pair<std::string, std::string> SplitFlag(std::string_view arg) {
  size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return {std::string(arg), {}};
  return {std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
}

std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    if (comma > start) out.emplace_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

int64_t FlagNumber(std::string_view name, std::string_view value) {
  const std::string text(value);
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0) {
    Die("bad value for " + std::string(name) + ": " + text);
  }
  return v;
}

std::set<std::string> ParseOnly(std::string_view value, const std::vector<std::string>& parts) {
  std::string all;
  for (const std::string& part : parts) all += (all.empty() ? "" : ",") + part;
  std::set<std::string> only;
  for (const std::string& part : SplitList(value)) {
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) Die("--only takes " + all);
    only.insert(part);
  }
  if (only.empty()) Die("--only takes " + all);
  return only;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t CpuNs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_usec * 1000; };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

double Samples::MeanUs() const {
  if (ns.empty()) return 0;
  long double sum = 0;
  for (int64_t v : ns) sum += static_cast<long double>(v);
  return static_cast<double>(sum / static_cast<long double>(ns.size()) / 1000);
}

double Samples::PercentileUs(double p) const {
  if (ns.empty()) return 0;
  std::vector<int64_t> sorted = ns;
  size_t i =
      std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(i), sorted.end());
  return static_cast<double>(sorted[i]) / 1000;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// ---- SQLite -----------------------------------------------------------------------------------

void SqlCheck(sqlite3* db, int rc, std::string_view what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    Die(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

void Exec(sqlite3* db, const char* sql) {
  SqlCheck(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql);
}

int64_t QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  SqlCheck(db, sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), sql);
  SqlCheck(db, sqlite3_step(stmt), sql);
  int64_t v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

Stmt::Stmt(sqlite3* db, const char* sql) : db_(db) {
  SqlCheck(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr), sql);
}

sqlite3* OpenPlain(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) Die("opening " + path + ": " + sqlite3_errstr(rc));
  return db;
}

std::string RandomText(std::mt19937_64& rng, size_t n) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s(n, ' ');
  for (char& c : s) c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return s;
}

int64_t BuildBig(const std::string& path, uint64_t size_mb) {
  sqlite3* db = OpenPlain(path);
  Exec(db,
       "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;"
       "CREATE TABLE big(id INTEGER PRIMARY KEY, a BLOB NOT NULL, b TEXT NOT NULL)");
  const uint64_t target = size_mb << 20;
  const std::string text = [] {
    std::string unit = "the quick brown fox jumps over the lazy dog; ";
    std::string s;
    while (s.size() < 500) s += unit;
    s.resize(500);
    return s;
  }();
  Exec(db, "BEGIN");
  int64_t id = 0;
  {
    Stmt insert(db, "INSERT INTO big(id, a, b) VALUES (?1, randomblob(500), ?2)");
    Stmt pages(db, "PRAGMA page_count");
    for (;;) {
      for (int i = 0; i < 4096; i++) {
        sqlite3_bind_int64(insert.get(), 1, ++id);
        sqlite3_bind_text(insert.get(), 2, text.data(), static_cast<int>(text.size()),
                          SQLITE_STATIC);
        SqlCheck(db, sqlite3_step(insert.get()), "insert");
        sqlite3_reset(insert.get());
      }
      SqlCheck(db, sqlite3_step(pages.get()), "page_count");
      uint64_t bytes = static_cast<uint64_t>(sqlite3_column_int64(pages.get(), 0)) * 4096;
      sqlite3_reset(pages.get());
      if (bytes >= target) break;
    }
  }
  Exec(db, "COMMIT");
  sqlite3_close_v2(db);
  return id;
}

// ---- store requests --------------------------------------------------------------------------

StoreUsage MeasureStore(const std::string& store_uri, const std::string& db) {
  Uri uri = Take(Uri::Parse(store_uri), "parsing " + store_uri);
  auto store = Take(OpenStore(uri, /*create=*/false), "opening " + store_uri);
  const std::string prefix = db + "/";
  StoreUsage usage;
  std::map<std::string, uint64_t> sizes;  // relative to prefix
  std::string newest_checkpoint;          // keys list in version order
  for (const std::string& key : Take(ListAll(*store, prefix), "listing " + prefix)) {
    uint64_t size = Take(store->Head(key), "HEAD " + key).size;
    std::string_view rest = std::string_view(key).substr(prefix.size());
    std::string kind = "other";
    for (const char* k : {"log", "ckpt", "seg"}) {
      if (rest.starts_with(std::string(k) + "/")) kind = k;
    }
    if (kind == "ckpt") newest_checkpoint = key;
    sizes[std::string(rest)] = size;
    usage.kinds[kind].first++;
    usage.kinds[kind].second += size;
    usage.objects++;
    usage.bytes += size;
  }
  if (newest_checkpoint.empty()) return usage;
  format::Checkpoint cp =
      Take(format::DecodeCheckpoint(Take(store->Get(newest_checkpoint), "GET " + newest_checkpoint),
                                    newest_checkpoint),
           "decoding " + newest_checkpoint);
  for (const std::string& object : cp.map.objects) {
    auto it = sizes.find(object);
    if (it == sizes.end()) continue;
    usage.newest_segments++;
    usage.newest_segment_bytes += it->second;
  }
  return usage;
}

Requests Requests::Now() {
  const StoreStats& s = ProcessStoreStats();
  return {s.get.load(), s.put.load(),      s.list.load(),
          s.del.load(), s.bytes_in.load(), s.bytes_out.load()};
}

Requests Requests::operator-(const Requests& o) const {
  return {get - o.get, put - o.put,           list - o.list,
          del - o.del, bytes_in - o.bytes_in, bytes_out - o.bytes_out};
}

Requests& Requests::operator+=(const Requests& o) {
  get += o.get;
  put += o.put;
  list += o.list;
  del += o.del;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  return *this;
}

// ---- tables ----------------------------------------------------------------------------------

namespace {

// Display width: UTF-8 continuation bytes take no column.
size_t Display(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

void Table::Add(std::string metric, std::string cloud, std::string base, std::string ratio,
                std::string goal, std::string verdict) {
  rows_.push_back({std::move(metric), std::move(cloud), std::move(base), std::move(ratio),
                   std::move(goal), std::move(verdict)});
}

void PrintMarkdown(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 3);
    for (size_t c = 0; c < row.size(); c++) width[c] = std::max(width[c], Display(row[c]));
  }
  for (size_t r = 0; r < rows.size(); r++) {
    std::string line = "|";
    for (size_t c = 0; c < rows[r].size(); c++) {
      line += " " + rows[r][c] + std::string(width[c] - Display(rows[r][c]), ' ') + " |";
    }
    std::printf("%s\n", line.c_str());
    if (r == 0) {
      line = "|";
      for (size_t c = 0; c < width.size(); c++) line += std::string(width[c] + 2, '-') + "|";
      std::printf("%s\n", line.c_str());
    }
  }
  std::fflush(stdout);
}

void Table::Print() const {
  std::vector<std::vector<std::string>> all = {
      {"metric", "cloudlite", "baseline", "ratio", "goal", "verdict"}};
  all.insert(all.end(), rows_.begin(), rows_.end());
  std::printf("\n### %s\n\n", title_.c_str());
  PrintMarkdown(all);
}

std::string Ratio(double cloud, double base) {
  if (base <= 0) return "—";
  return Str("%.2f×", cloud / base);
}

std::string Verdict(bool met) { return met ? "met" : "**MISSED**"; }

// ---- comparisons -----------------------------------------------------------------------------

std::vector<int64_t> RandomIds(uint64_t seed, int n, int64_t max_id) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(1, max_id);
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t& id : ids) id = dist(rng);
  return ids;
}

Compared Alternate(int rounds, int per_round, int64_t max_id,
                   const std::function<void(const std::vector<int64_t>&, Samples*)>& cloud,
                   const std::function<void(const std::vector<int64_t>&, Samples*)>& base) {
  Compared out;
  for (int r = 0; r < rounds; r++) {
    std::vector<int64_t> ids = RandomIds(1000 + static_cast<uint64_t>(r), per_round, max_id);
    auto run_cloud = [&] {
      Requests before = Requests::Now();
      cloud(ids, &out.cloud);
      out.cloud_requests += Requests::Now() - before;
    };
    if (r % 2 == 0) {
      base(ids, &out.base);
      run_cloud();
    } else {
      run_cloud();
      base(ids, &out.base);
    }
    out.ops += per_round;
  }
  return out;
}

void AddLatencyRows(Table* t, const std::string& name, const Compared& c, double goal,
                    bool millis) {
  struct Stat {
    const char* label;
    double cloud, base;
    bool judged;
  };
  const Stat stats[] = {
      {"p50", c.cloud.PercentileUs(0.5), c.base.PercentileUs(0.5), true},
      {"mean", c.cloud.MeanUs(), c.base.MeanUs(), true},
      {"p99", c.cloud.PercentileUs(0.99), c.base.PercentileUs(0.99), false},
  };
  auto show = [&](double us) { return millis ? Str("%.2f ms", us / 1000) : Str("%.2f µs", us); };
  for (const Stat& s : stats) {
    bool judged = s.judged && goal > 0;
    t->Add(name + ", " + s.label, show(s.cloud), show(s.base), Ratio(s.cloud, s.base),
           judged ? Str("≤ %.1f×", goal) : "", judged ? Verdict(s.cloud <= goal * s.base) : "");
  }
}

// ---- the machine and the process -------------------------------------------------------------

uint64_t ProcStatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtoull(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return 0;
}

std::string FileSystemOf(const std::string& path) {
  std::ifstream in("/proc/self/mounts");
  std::string device, mount_point, type, best = "?";
  size_t best_len = 0;
  for (std::string rest; in >> device >> mount_point >> type && std::getline(in, rest);) {
    bool covers = path.rfind(mount_point, 0) == 0 &&
                  (mount_point == "/" || path.size() == mount_point.size() ||
                   path[mount_point.size()] == '/');
    if (covers && mount_point.size() >= best_len) {
      best_len = mount_point.size();
      best = device + " (" + type + ")";
    }
  }
  return best;
}

std::string LoadAverage() {
  std::string load;
  std::getline(std::ifstream("/proc/loadavg") >> std::ws, load);
  return load;
}

void PrintMachine(const std::string& dir) {
  std::string cpu;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  uname(&u);
  std::printf(
      "machine: %u cores (%s), Linux %s, SQLite %s\nwork dir: %s on %s\nload average "
      "at start: %s\n",
      std::thread::hardware_concurrency(), cpu.c_str(), u.release, sqlite3_libversion(),
      dir.c_str(), FileSystemOf(dir).c_str(), LoadAverage().c_str());
}

std::string MakeWorkDir(const std::string& base_arg, const std::string& name) {
  std::string base = base_arg;
  if (base.empty()) base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::filesystem::create_directories(base);
  std::string templ = base + "/" + name + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) Die("mkdtemp in " + base + ": " + std::strerror(errno));
  return std::filesystem::canonical(templ).string();
}

int64_t ChildResult::V(const std::string& k) const {
  auto it = values.find(k);
  if (it == values.end()) Die("the child process did not report " + k);
  return it->second;
}

ChildResult RunSelf(const std::vector<std::string>& args) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) Die("readlink /proc/self/exe failed");
  self[n] = '\0';
  std::vector<std::string> argv_strings = {self};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) Die("pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(self, argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buf[4096];
  for (ssize_t got; (got = ::read(pipe_fds[0], buf, sizeof buf)) > 0;)
    output.append(buf, static_cast<size_t>(got));
  ::close(pipe_fds[0]);
  int status = 0;
  rusage ru{};
  if (::wait4(pid, &status, 0, &ru) != pid) Die("wait4 failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("the child process failed:\n" + output);
  ChildResult result;
  result.maxrss_kib = ru.ru_maxrss;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    if (size_t eq = line.find('='); eq != std::string::npos) {
      result.values[line.substr(0, eq)] = std::strtoll(line.c_str() + eq + 1, nullptr, 10);
    }
    start = end + 1;
  }
  return result;
}

void ColdPointQuery(Database& db, int64_t id) {
  Check(db.View([&](Connection& c) {
    const std::vector<Value> params = {Value(std::in_place_type<int64_t>, id)};
    Rows rows = Take(c.Query(kColdQuery, params), "cold query");
    if (rows.rows.size() != 1 || std::get<int64_t>(rows.rows[0][0]) != id ||
        std::get<int64_t>(rows.rows[0][1]) != 500) {
      return Status::Internal(Str("row %" PRId64 " is not what was written", id));
    }
    return Status::Ok();
  }),
        "cold query");
}

double ColdRequests(const ChildResult& r) {
  return static_cast<double>(r.V("open_get") + r.V("open_list") + r.V("open_put") +
                             r.V("query_get") + r.V("query_list") + r.V("query_put"));
}

double ColdBytesIn(const ChildResult& r) {
  return static_cast<double>(r.V("open_bytes_in") + r.V("query_bytes_in"));
}

double ColdTotalMs(const ChildResult& r) { return Ms(r.V("open_ns") + r.V("query_ns")); }

}  // namespace cloudlite::bench
