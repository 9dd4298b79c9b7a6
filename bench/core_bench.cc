// cloudlite_bench: cloudlite on the file:// store against baselines measured in the same run.
//
//   cloudlite_bench [--only=reads,writes,cold,history] [--size-mb=1024] [--rows=100000]
//                   [--queries=50000] [--writes=640] [--rounds=5] [--cold-runs=3]
//                   [--updates=100000] [--retain-versions=1000] [--grace=10s]
//                   [--store=URI] [--dir=DIR] [--keep] [--change-feed=on|off]
//
//  reads   point SELECTs by primary key on a warm cache, cloudlite vs plain SQLite on a local
//          file (same pages: the local file is pushed), in three query styles (and one with
//          max_staleness, which skips the freshness GET); plus the store requests of one
//          read transaction.
//  writes  single-row write transactions: Database::Update vs plain SQLite with
//          synchronous=FULL and journal_mode=DELETE; plus store requests per transaction.
//  cold    builds a --size-mb database locally, pushes it, then opens it in a fresh process
//          (this binary, re-executed with --cold-child) and runs one point query: requests,
//          bytes fetched, latency and that process's peak RSS, against downloading the whole
//          object (its size, and the time to copy the file on the same disk).
//  history (only when named) builds a --size-mb database, pushes it, stores a short retention rule
//          (--retain-versions, --grace), then makes --updates single-row updates, each its own
//          commit, with inline GC and segment compaction doing their work: what the store keeps
//          at the end (after the writers' inline collections, and after one `gc` run) against
//          the live database pushed afresh, the requests per commit, write p50/p99, and a cold
//          open + point query. On --store (default file:// in the work directory; s3://... for
//          RGW).
//
// Output is Markdown tables: metric, cloudlite, baseline, ratio (cloudlite / baseline), goal.
// Nothing here asserts a time; the numbers are for people (docs/benchmarks.md).
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.h"
#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "cloudlite/gc.h"

namespace {

namespace cl = cloudlite;
using namespace cl::bench;  // NOLINT(build/namespaces): the shared benchmark helpers

// ---- arguments ------------------------------------------------------------------------------

struct Args {
  std::set<std::string> only;  // empty: everything
  uint64_t size_mb = 1024;
  int rows = 100000;
  int queries = 50000;
  int writes = 640;
  int rounds = 5;
  int cold_runs = 3;
  std::string dir;  // base for the temporary directory
  bool keep = false;
  bool change_feed = true;  // Options::change_feed of the database written to
  int updates = 100000;
  uint64_t retain_versions = 1000;
  std::string grace = "10s";
  std::string store;  // empty: file:// in the work directory
  // The fresh process of the cold benchmark.
  bool cold_child = false;
  std::string uri;
  int64_t id = 0;
  int64_t id2 = 0;

  bool Wants(const std::string& part) const { return only.empty() || only.count(part) > 0; }
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    const auto [name, value] = SplitFlag(arg);
    auto number = [&] { return FlagNumber(name, value); };
    if (name == "--only") {
      a.only = ParseOnly(value, {"reads", "writes", "cold", "history"});
    } else if (name == "--size-mb") {
      a.size_mb = static_cast<uint64_t>(std::max<int64_t>(1, number()));
    } else if (name == "--rows") {
      a.rows = static_cast<int>(std::max<int64_t>(100, number()));
    } else if (name == "--queries") {
      a.queries = static_cast<int>(std::max<int64_t>(1, number()));
    } else if (name == "--writes") {
      a.writes = static_cast<int>(std::max<int64_t>(1, number()));
    } else if (name == "--rounds") {
      a.rounds = static_cast<int>(std::max<int64_t>(1, number()));
    } else if (name == "--cold-runs") {
      a.cold_runs = static_cast<int>(std::max<int64_t>(1, number()));
    } else if (name == "--dir") {
      a.dir = value;
    } else if (name == "--keep") {
      a.keep = true;
    } else if (name == "--change-feed") {
      if (value != "on" && value != "off") Die("--change-feed is on or off");
      a.change_feed = value == "on";
    } else if (name == "--updates") {
      a.updates = static_cast<int>(number());
    } else if (name == "--retain-versions") {
      a.retain_versions = static_cast<uint64_t>(number());
    } else if (name == "--grace") {
      a.grace = value;
    } else if (name == "--store") {
      a.store = value;
    } else if (name == "--cold-child") {
      a.cold_child = true;
    } else if (name == "--uri") {
      a.uri = value;
    } else if (name == "--id") {
      a.id = number();
    } else if (name == "--id2") {
      a.id2 = number();
    } else {
      Die("unknown argument " + arg +
          " (see the comment at the top of bench/core_bench.cc for the flags)");
    }
  }
  return a;
}

// ---- 1 and 4: point reads -------------------------------------------------------------------

constexpr char kPointQuery[] = "SELECT v FROM t WHERE id = ?1";

// One point query on a prepared statement; the same code runs on both connections. Ends the
// statement with reset, which (in autocommit mode) also ends its read transaction.
void PointQuery(sqlite3_stmt* stmt, int64_t id, int64_t* checksum) {
  sqlite3_bind_int64(stmt, 1, id);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW)
    Die(Str("point query for id %" PRId64 " returned %d: %s", id, rc,
            sqlite3_errmsg(sqlite3_db_handle(stmt))));
  *checksum += sqlite3_column_bytes(stmt, 0);
  sqlite3_reset(stmt);
}

// The plain-SQLite twin of Database::View: BEGIN, fn, ROLLBACK.
void PlainView(sqlite3* db, const std::function<cl::Status(cl::Connection&)>& fn) {
  Exec(db, "BEGIN");
  cl::Connection conn(db);
  Check(fn(conn), "plain view");
  Exec(db, "ROLLBACK");
}

void BuildPointTable(const std::string& path, int rows) {
  sqlite3* db = OpenPlain(path);
  Exec(db, "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  Exec(db, "BEGIN");
  {
    Stmt insert(db, "INSERT INTO t(id, v) VALUES (?1, ?2)");
    std::mt19937_64 rng(42);
    for (int id = 1; id <= rows; id++) {
      std::string text = RandomText(rng, 100);
      sqlite3_bind_int64(insert.get(), 1, id);
      sqlite3_bind_text(insert.get(), 2, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT);
      SqlCheck(db, sqlite3_step(insert.get()), "insert");
      sqlite3_reset(insert.get());
    }
  }
  Exec(db, "COMMIT");
  sqlite3_close_v2(db);
}

struct ReadSetup {
  std::string dir;
  std::string plain_path;
  std::string uri;
  sqlite3* plain = nullptr;
  std::unique_ptr<cl::Database> cloud;
};

void RunReads(const Args& args, ReadSetup& s) {
  const int64_t rows = args.rows;
  const int per_round = std::max(1, args.queries / args.rounds);
  int64_t checksum = 0;

  // Warm both sides: every page through each connection (SQLite's own page cache keeps its
  // default 2000 KiB on both; the frame cache and the OS page cache hold everything).
  for (sqlite3* db : {s.plain, s.cloud->handle()}) {
    checksum += QueryInt(db, "SELECT sum(length(v)) FROM t");
  }

  Table table(Str("Point reads, warm cache: %" PRId64 " rows of ~100 B text, random ids "
                  "(%d queries per style)",
                  rows, per_round * args.rounds));

  // (a) The library's convenience path: a View per query, Connection::Query (prepares each time).
  Compared view = Alternate(
      args.rounds, per_round, rows,
      [&](const std::vector<int64_t>& ids, Samples* out) {
        for (int64_t id : ids) {
          Timed(out, [&] {
            Check(s.cloud->View([&](cl::Connection& c) {
              cl::Rows r = Take(c.Query(kPointQuery, {id}), "query");
              checksum += static_cast<int64_t>(r.rows.size());
              return cl::Status::Ok();
            }),
                  "view");
          });
        }
      },
      [&](const std::vector<int64_t>& ids, Samples* out) {
        for (int64_t id : ids) {
          Timed(out, [&] {
            PlainView(s.plain, [&](cl::Connection& c) {
              cl::Rows r = Take(c.Query(kPointQuery, {id}), "query");
              checksum += static_cast<int64_t>(r.rows.size());
              return cl::Status::Ok();
            });
          });
        }
      });
  AddLatencyRows(&table, "View + Connection::Query (txn per query, incl. freshness GET)", view,
                 1.5);

  // (b) A prepared statement in autocommit mode: one read transaction per query.
  Stmt cloud_stmt(s.cloud->handle(), kPointQuery);
  Stmt plain_stmt(s.plain, kPointQuery);
  auto prepared = [&](const Stmt& stmt) {
    return [&](const std::vector<int64_t>& ids, Samples* out) {
      for (int64_t id : ids) Timed(out, [&] { PointQuery(stmt.get(), id, &checksum); });
    };
  };
  Compared autocommit =
      Alternate(args.rounds, per_round, rows, prepared(cloud_stmt), prepared(plain_stmt));
  AddLatencyRows(&table, "prepared stmt, txn per query (incl. freshness GET)", autocommit, 1.5);

  // (b') The same with max_staleness = 1 s: the freshness GET is skipped (at most 1 per second).
  cl::Options stale_options;
  stale_options.max_staleness = std::chrono::milliseconds(1000);
  auto stale_db = Take(cl::Database::Open(s.uri, stale_options), "opening " + s.uri);
  checksum += QueryInt(stale_db->handle(), "SELECT sum(length(v)) FROM t");
  Stmt stale_stmt(stale_db->handle(), kPointQuery);
  Compared stale =
      Alternate(args.rounds, per_round, rows, prepared(stale_stmt), prepared(plain_stmt));
  AddLatencyRows(&table, "prepared stmt, txn per query, max_staleness=1s (no GET)", stale, 0);

  // (c) A prepared statement, every query of a round inside one read transaction.
  auto in_txn = [&](const Stmt& stmt) {
    return [&](const std::vector<int64_t>& ids, Samples* out) {
      Exec(stmt.db(), "BEGIN");
      for (int64_t id : ids) Timed(out, [&] { PointQuery(stmt.get(), id, &checksum); });
      Exec(stmt.db(), "COMMIT");
    };
  };
  Compared txn = Alternate(args.rounds, per_round, rows, in_txn(cloud_stmt), in_txn(plain_stmt));
  AddLatencyRows(&table, "prepared stmt, within one read txn", txn, 1.5);

  auto per_query = [](const Compared& c) {
    return Str("%.3f GET, %.3f PUT, %.3f LIST", static_cast<double>(c.cloud_requests.get) / c.ops,
               static_cast<double>(c.cloud_requests.put) / c.ops,
               static_cast<double>(c.cloud_requests.list) / c.ops);
  };
  table.Add("store requests per query: View + Query", per_query(view), "0 (local file)");
  table.Add("store requests per query: prepared, txn per query", per_query(autocommit),
            "0 (local file)");
  table.Add("store requests per query: max_staleness=1s", per_query(stale), "0 (local file)");
  table.Add("store requests per query: within one read txn", per_query(txn), "0 (local file)");
  table.Print();

  // 4. Requests of one read transaction on a warm View with no new commits.
  constexpr int kViews = 1000;
  Requests before = Requests::Now();
  for (int i = 0; i < kViews; i++) {
    Check(s.cloud->View([&](cl::Connection& c) {
      PointQuery(cloud_stmt.get(), 1 + i % rows, &checksum);
      return cl::Status::Ok();
    }),
          "view");
  }
  Requests d = Requests::Now() - before;
  Table probe(
      Str("Store requests per read transaction (warm View, no new commits, %d Views)", kViews));
  auto per_view = [&](uint64_t n) { return static_cast<double>(n) / kViews; };
  probe.Add("GET per View", Str("%.3f", per_view(d.get)), "—", "", "= 1 (404 probe)",
            Verdict(d.get == kViews));
  probe.Add("PUT / LIST / DELETE per View",
            Str("%.3f / %.3f / %.3f", per_view(d.put), per_view(d.list), per_view(d.del)), "—", "",
            "= 0", Verdict(d.put + d.list + d.del == 0));
  probe.Add("bytes fetched per View", Str("%.1f B", per_view(d.bytes_in)), "—", "", "= 0 (404)",
            Verdict(d.bytes_in == 0));
  probe.Print();
  std::fprintf(stderr, "(checksum %" PRId64 ")\n", checksum);
}

// ---- 2: single-row write transactions -------------------------------------------------------

constexpr char kInsert[] = "INSERT INTO t(id, v) VALUES (?1, ?2)";

void InsertRow(sqlite3_stmt* stmt, int64_t id, const std::string& text) {
  sqlite3_bind_int64(stmt, 1, id);
  sqlite3_bind_text(stmt, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE)
    Die(Str("insert returned %d: %s", rc, sqlite3_errmsg(sqlite3_db_handle(stmt))));
}

// The least a durable PutIfAbsent can cost on this disk, as FileStore does it: write a new
// temporary file, fsync it, rename it into place without replacing, fsync the directory.
void DurablePut(int dir_fd, int64_t n, std::string_view data) {
  std::string temp = ".tmp-" + std::to_string(n), name = "obj-" + std::to_string(n);
  int fd = ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
      ::fsync(fd) != 0 || ::close(fd) != 0 ||
      ::renameat2(dir_fd, temp.c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) != 0 ||
      ::fsync(dir_fd) != 0) {
    Die(std::string("durable put floor: ") + std::strerror(errno));
  }
}

void RunWrites(const Args& args, ReadSetup& s) {
  Exec(s.plain, "PRAGMA synchronous=FULL; PRAGMA journal_mode=DELETE");
  const int per_round = std::max(1, args.writes / args.rounds);
  Stmt cloud_insert(s.cloud->handle(), kInsert);
  Stmt plain_insert(s.plain, kInsert);
  int64_t next_cloud = QueryInt(s.cloud->handle(), "SELECT max(id) FROM t") + 1;
  int64_t next_plain = QueryInt(s.plain, "SELECT max(id) FROM t") + 1;
  std::mt19937_64 rng(7);
  const std::string text = RandomText(rng, 100);
  uint64_t version_before = Take(s.cloud->Info(), "info").version;
  const std::string floor_dir = s.dir + "/floor";
  std::filesystem::create_directories(floor_dir);
  int floor_fd = ::open(floor_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (floor_fd < 0) Die("opening " + floor_dir);
  const std::string floor_data(1024, 'x');
  Samples floor;
  int64_t next_floor = 0;
  // The commits of versions that are multiples of the checkpoint interval (64), which
  // checkpoint, apart: before issue 15 they wrote the checkpoint before returning.
  Samples checkpointing;
  uint64_t next_version = version_before + 1;

  Compared c = Alternate(
      args.rounds, per_round, 1,
      [&](const std::vector<int64_t>& ids, Samples* out) {
        for (size_t i = 0; i < ids.size(); i++) {
          auto update = [&] {
            Check(s.cloud->Update([&](cl::Connection&) {
              InsertRow(cloud_insert.get(), next_cloud, text);
              return cl::Status::Ok();
            }),
                  "update");
          };
          Timed(out, update);
          if (next_version++ % 64 == 0) checkpointing.ns.push_back(out->ns.back());
          next_cloud++;
        }
      },
      [&](const std::vector<int64_t>& ids, Samples* out) {
        for (size_t i = 0; i < ids.size(); i++) {
          Timed(out, [&] {
            Exec(s.plain, "BEGIN IMMEDIATE");
            InsertRow(plain_insert.get(), next_plain, text);
            Exec(s.plain, "COMMIT");
          });
          next_plain++;
        }
        // Next to the baseline (not timed with it): the disk's floor for one durable put.
        for (size_t i = 0; i < ids.size(); i++) {
          Timed(&floor, [&] { DurablePut(floor_fd, next_floor++, floor_data); });
        }
      });
  ::close(floor_fd);
  uint64_t commits = Take(s.cloud->Info(), "info").version - version_before;

  Table table(Str("Single-row write transactions (%" PRId64 " each; plain SQLite: "
                  "synchronous=FULL, journal_mode=DELETE)",
                  c.ops));
  AddLatencyRows(&table, "Update(INSERT one row) vs BEGIN IMMEDIATE; INSERT; COMMIT", c, 2.0);
  table.Add("Update of every 64th version (it checkpoints) vs all Updates, p50",
            Str("%.2f µs", checkpointing.PercentileUs(0.5)),
            Str("%.2f µs", c.cloud.PercentileUs(0.5)),
            Ratio(checkpointing.PercentileUs(0.5), c.cloud.PercentileUs(0.5)));
  table.Add("Update p99 / p50", Str("%.2f", c.cloud.PercentileUs(0.99) / c.cloud.PercentileUs(0.5)),
            "—");
  table.Add(
      "Update p50 vs the disk's floor: one durable 1 KiB put (write, fsync, renameat2, "
      "fsync dir)",
      Str("%.2f µs", c.cloud.PercentileUs(0.5)), Str("%.2f µs", floor.PercentileUs(0.5)),
      Ratio(c.cloud.PercentileUs(0.5), floor.PercentileUs(0.5)));
  double n = static_cast<double>(c.ops);
  const Requests& r = c.cloud_requests;
  // A checkpoint every 64 commits adds its segment and object, and one LIST and one DELETE of
  // the checkpoints it replaces. The GET is the slot after the commit's, read beside its PUT
  // (docs/format.md, "Committing and holes"): no probe before it.
  table.Add(
      "store requests per write txn",
      Str("%.3f GET, %.3f PUT, %.3f LIST, %.3f DELETE", static_cast<double>(r.get) / n,
          static_cast<double>(r.put) / n, static_cast<double>(r.list) / n,
          static_cast<double>(r.del) / n),
      "0 (local file)", "", "1 PUT + 1 GET beside it (+ checkpoints), no probe",
      Verdict(r.get <= static_cast<uint64_t>(c.ops) && r.put >= static_cast<uint64_t>(c.ops) &&
              r.list <= commits / 64 + 1 && r.del <= r.list));
  table.Add("bytes written per write txn", Str("%.0f B", static_cast<double>(r.bytes_out) / n),
            "—");
  table.Add("commits (versions) made", Str("%" PRIu64, commits), Str("%" PRId64, c.ops));
  table.Add("extra PUTs (checkpoint segment + checkpoint, every 64 commits)",
            Str("%" PRIu64, r.put - std::min<uint64_t>(r.put, static_cast<uint64_t>(c.ops))), "—");
  table.Print();
}

// ---- 3: cold open + one point query on a big database ---------------------------------------

// The baseline's work: read the whole file and write a copy on the same disk (no fsync, like
// cp). Returns nanoseconds.
int64_t CopyFile(const std::string& from, const std::string& to) {
  int64_t start = NowNs();
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0) Die("copying " + from + ": " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) Die("reading " + from + ": " + std::strerror(errno));
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0) Die("writing " + to + ": " + std::strerror(errno));
      done += w;
    }
  }
  ::close(in);
  ::close(out);
  return NowNs() - start;
}

// The fresh process: open, one point query, a second point query; prints key=value lines.
int ColdChild(const Args& args) {
  uint64_t rss_start_kib = ProcStatusKiB("VmHWM:");
  Requests r0 = Requests::Now();
  int64_t t0 = NowNs();
  cl::Options options;
  options.create_if_missing = false;
  auto db = Take(cl::Database::Open(args.uri, options), "opening " + args.uri);
  int64_t t1 = NowNs();
  Requests r1 = Requests::Now();
  auto query = [&](int64_t id) { ColdPointQuery(*db, id); };
  query(args.id);
  int64_t t2 = NowNs();
  Requests r2 = Requests::Now();
  query(args.id2);
  int64_t t3 = NowNs();
  Requests r3 = Requests::Now();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto print = [](const char* prefix, const Requests& d) {
    std::printf("%s_get=%" PRIu64 "\n%s_put=%" PRIu64 "\n%s_list=%" PRIu64 "\n%s_bytes_in=%" PRIu64
                "\n",
                prefix, d.get, prefix, d.put, prefix, d.list, prefix, d.bytes_in);
  };
  print("open", r1 - r0);
  print("query", r2 - r1);
  print("second", r3 - r2);
  std::printf("open_ns=%" PRId64 "\nquery_ns=%" PRId64 "\nsecond_ns=%" PRId64 "\n", t1 - t0,
              t2 - t1, t3 - t2);
  std::printf("rss_start_kib=%" PRIu64 "\nrss_peak_kib=%" PRIu64 "\nrss_self_kib=%ld\n",
              rss_start_kib, ProcStatusKiB("VmHWM:"), ru.ru_maxrss);
  return 0;
}

void RunCold(const Args& args, const std::string& dir, const std::string& store_uri) {
  const std::string big = dir + "/big.db";
  std::printf("\n(cold: building a %" PRIu64 " MiB database at %s ...)\n", args.size_mb,
              big.c_str());
  std::fflush(stdout);
  int64_t t0 = NowNs();
  int64_t rows = BuildBig(big, args.size_mb);
  int64_t build_ns = NowNs() - t0;
  uint64_t file_bytes = std::filesystem::file_size(big);

  const std::string uri = store_uri + "/big";
  Requests before = Requests::Now();
  t0 = NowNs();
  uint64_t version = Take(cl::Push(big, uri), "push");
  int64_t push_ns = NowNs() - t0;
  Requests push = Requests::Now() - before;
  (void)version;

  // Baseline: the whole-object approach downloads file_bytes; locally, that is a copy.
  const std::string copy = dir + "/big-copy.db";
  int64_t copy_ns = CopyFile(big, copy);
  std::filesystem::remove(copy);

  std::vector<ChildResult> runs;
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int64_t> dist(1, rows);
  for (int i = 0; i < args.cold_runs; i++) {
    runs.push_back(RunSelf({"--cold-child", "--uri=" + uri, "--id=" + std::to_string(dist(rng)),
                            "--id2=" + std::to_string(dist(rng))}));
  }

  auto median = [&](const std::function<double(const ChildResult&)>& f) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(f(r));
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto worst = [&](const std::function<double(const ChildResult&)>& f) {
    double m = 0;
    for (const auto& r : runs) m = std::max(m, f(r));
    return m;
  };
  const auto requests = &ColdRequests;
  const auto bytes = &ColdBytesIn;
  const auto total_ms = &ColdTotalMs;

  Table table(Str("Cold open + one point query, fresh process (%.0f MiB file, %" PRId64
                  " rows; %d runs: worst requests/bytes/RSS, median time)",
                  MiB(file_bytes), rows, args.cold_runs));
  double req = worst(requests);
  table.Add("store requests (open + first query)", Str("%.0f", req), "1 GET (whole object)",
            Ratio(req, 1), "≤ 8", Verdict(req <= 8));
  const ChildResult& r0 = runs.front();
  table.Add("  of which at open (GET / LIST / PUT)",
            Str("%" PRId64 " / %" PRId64 " / %" PRId64, r0.V("open_get"), r0.V("open_list"),
                r0.V("open_put")),
            "");
  table.Add("  of which at the query (GET / LIST / PUT)",
            Str("%" PRId64 " / %" PRId64 " / %" PRId64, r0.V("query_get"), r0.V("query_list"),
                r0.V("query_put")),
            "");
  double b = worst(bytes);
  table.Add("bytes fetched", Str("%.0f B (%.1f KiB)", b, b / 1024),
            Str("%" PRIu64 " B (%.0f MiB)", file_bytes, MiB(file_bytes)),
            Str("%.5f×", b / static_cast<double>(file_bytes)), "≤ 1 MiB", Verdict(b <= (1 << 20)));
  table.Add("  of which at open (checkpoint + frame of page 1)",
            Str("%.1f KiB", static_cast<double>(r0.V("open_bytes_in")) / 1024), "");
  double ms = median(total_ms);
  table.Add("latency: open + first query", Str("%.2f ms", ms),
            Str("%.0f ms (read + copy the file)", Ms(copy_ns)), Ratio(ms, Ms(copy_ns)));
  table.Add("  open",
            Str("%.2f ms", median([](const ChildResult& r) { return Ms(r.V("open_ns")); })), "");
  table.Add("  first query",
            Str("%.2f ms", median([](const ChildResult& r) { return Ms(r.V("query_ns")); })), "");
  table.Add("second point query (another id): requests, bytes, time",
            Str("%.0f GET, %.1f KiB, %.2f ms",
                median([](const ChildResult& r) { return static_cast<double>(r.V("second_get")); }),
                median([](const ChildResult& r) {
                  return static_cast<double>(r.V("second_bytes_in")) / 1024;
                }),
                median([](const ChildResult& r) { return Ms(r.V("second_ns")); })),
            "0 (already local)");
  double rss = worst([](const ChildResult& r) { return static_cast<double>(r.V("rss_peak_kib")); });
  table.Add("peak RSS of the fresh process (VmHWM after exec)", Str("%.1f MiB", rss / 1024),
            Str("≥ %.0f MiB to hold the image in memory", MiB(file_bytes)), "", "≤ 64 MiB",
            Verdict(rss <= 64 * 1024));
  table.Add("  RSS of that process before Open (binary + libraries)",
            Str("%.1f MiB", static_cast<double>(r0.V("rss_start_kib")) / 1024), "");
  double wait4_rss = worst([](const ChildResult& r) { return static_cast<double>(r.maxrss_kib); });
  table.Add("  wait4 ru_maxrss (also counts the parent's pages copied by fork)",
            Str("%.1f MiB", wait4_rss / 1024), "");
  table.Add("push time",
            Str("%.0f ms (%.0f MiB/s)", Ms(push_ns), MiB(file_bytes) / (Ms(push_ns) / 1000)),
            Str("%.0f ms (copy)", Ms(copy_ns)), Ratio(Ms(push_ns), Ms(copy_ns)));
  table.Add("push requests / bytes stored",
            Str("%" PRIu64 " PUT, %" PRIu64 " GET, %" PRIu64 " LIST / %.0f MiB (%.2f:1)", push.put,
                push.get, push.list, MiB(push.bytes_out),
                static_cast<double>(file_bytes) /
                    static_cast<double>(std::max<uint64_t>(1, push.bytes_out))),
            Str("1 PUT / %.0f MiB", MiB(file_bytes)));
  table.Add("local build time (journal_mode=OFF, synchronous=OFF)",
            Str("%.1f s", Ms(build_ns) / 1000), "");
  table.Print();
  for (size_t i = 0; i < runs.size(); i++) {
    const ChildResult& r = runs[i];
    std::printf(
        "  run %zu: %.0f requests, %.1f KiB, open %.2f ms + query %.2f ms, peak RSS %.1f MiB\n",
        i + 1, requests(r), bytes(r) / 1024, Ms(r.V("open_ns")), Ms(r.V("query_ns")),
        static_cast<double>(r.V("rss_peak_kib")) / 1024);
  }
}

// ---- history: what the store keeps under many updates ----------------------------------------

void RunHistory(const Args& args, const std::string& dir, const std::string& store_uri) {
  const std::string local = dir + "/history.db";
  std::printf("\n(history: building a %" PRIu64 " MiB database ...)\n", args.size_mb);
  std::fflush(stdout);
  int64_t rows = BuildBig(local, args.size_mb);
  const std::string uri = store_uri + "/history";
  Take(cl::Push(local, uri), "push");
  cl::GcSettings rule;
  rule.retain_versions = args.retain_versions;
  rule.grace = Take(cl::ParseDuration(args.grace), "--grace");
  rule.save = true;
  Take(cl::CollectGarbage(uri, rule), "storing the retention rule");

  // CLOUDLITE_CACHE_SIZE and the like apply, as they do to the CLI (Database::Open reads none).
  cl::Options env = Take(cl::OptionsFromEnvironment(), "the CLOUDLITE_* variables");
  auto db = Take(cl::Database::Open(uri, env), "opening " + uri);
  std::mt19937_64 rng(15);
  std::uniform_int_distribution<int64_t> pick(1, rows);
  Samples writes;
  Requests before = Requests::Now();
  int64_t t0 = NowNs();
  for (int i = 0; i < args.updates; i++) {
    int64_t id = pick(rng);
    Timed(&writes, [&] {
      Check(db->Update([&](cl::Connection& c) {
        return c.Exec("UPDATE big SET a = randomblob(500) WHERE id = " + std::to_string(id));
      }),
            "update");
    });
    if ((i + 1) % 10000 == 0) {
      std::fprintf(stderr, "  %d updates, %.0f s\n", i + 1, Ms(NowNs() - t0) / 1000);
    }
  }
  int64_t update_ns = NowNs() - t0;
  Requests updates = Requests::Now() - before;
  db.reset();
  StoreUsage inline_only = MeasureStore(store_uri, "history");
  before = Requests::Now();
  cl::GcSettings now;
  now.grace = rule.grace;
  cl::GcResult gc = Take(cl::CollectGarbage(uri, now), "gc");
  Requests gc_requests = Requests::Now() - before;
  StoreUsage after_gc = MeasureStore(store_uri, "history");

  // The live database, pushed afresh: what the store would hold with no history at all.
  const std::string now_local = dir + "/history-now.db";
  Check(cl::Pull(uri, now_local), "pull");
  Take(cl::Push(now_local, store_uri + "/history-live"), "push of the live copy");
  StoreUsage live = MeasureStore(store_uri, "history-live");

  std::mt19937_64 cold_rng(16);
  ChildResult cold =
      RunSelf({"--cold-child", "--uri=" + uri, "--id=" + std::to_string(pick(cold_rng)),
               "--id2=" + std::to_string(pick(cold_rng))});

  double n = args.updates;
  auto usage = [](const StoreUsage& u) {
    std::string out = Str("%" PRIu64 " objects, %.1f MiB (", u.objects, MiB(u.bytes));
    const char* sep = "";
    for (const auto& [kind, v] : u.kinds) {
      out += Str("%s%s %" PRIu64 " / %.1f MiB", sep, kind.c_str(), v.first, MiB(v.second));
      sep = ", ";
    }
    return out + ")";
  };
  Table table(Str("History: %d single-row updates to a %.0f MiB database (%" PRId64
                  " rows), retain %" PRIu64 " versions, grace %s, on %s",
                  args.updates, MiB(std::filesystem::file_size(local)), rows, args.retain_versions,
                  args.grace.c_str(), store_uri.c_str()));
  double goal_bytes = 1.5 * static_cast<double>(live.bytes);
  table.Add("store after the updates (inline GC and compaction only)", usage(inline_only),
            usage(live), Ratio(static_cast<double>(inline_only.bytes), live.bytes),
            "≤ 1.5× + window");
  table.Add("store after one `gc` run", usage(after_gc), usage(live),
            Ratio(static_cast<double>(after_gc.bytes), live.bytes), "≤ 1.5× + window",
            Verdict(static_cast<double>(after_gc.bytes) <= goal_bytes));
  auto segments = [&](const StoreUsage& u) {
    auto seg = u.kinds.count("seg") ? u.kinds.at("seg") : std::pair<uint64_t, uint64_t>{};
    return Str("%" PRIu64 " / %.1f MiB named by the newest checkpoint (the other %" PRIu64
               " / %.1f MiB by older checkpoints of the window)",
               u.newest_segments, MiB(u.newest_segment_bytes), seg.first - u.newest_segments,
               MiB(seg.second - u.newest_segment_bytes));
  };
  table.Add("  segments after `gc`", segments(after_gc), "",
            Ratio(static_cast<double>(after_gc.newest_segment_bytes), live.bytes), "≤ 1.5×",
            Verdict(static_cast<double>(after_gc.newest_segment_bytes) <= goal_bytes));
  table.Add("requests per commit (GET / PUT / LIST / DELETE)",
            Str("%.3f / %.3f / %.4f / %.4f", updates.get / n, updates.put / n, updates.list / n,
                updates.del / n),
            "");
  table.Add("  LIST + DELETE per commit (GC; compaction reads are GETs)",
            Str("%.4f", (updates.list + updates.del) / n), "", "", "≤ 0.05",
            Verdict((updates.list + updates.del) / n <= 0.05));
  table.Add("  bytes read / written per commit",
            Str("%.1f KiB / %.1f KiB", updates.bytes_in / n / 1024, updates.bytes_out / n / 1024),
            "");
  table.Add("the `gc` run: deleted (ckpt / log / seg), requests",
            Str("%zu / %zu / %zu, %" PRIu64, gc.checkpoints.size(), gc.records.size(),
                gc.segments.size(), gc_requests.total()),
            "");
  double p50 = writes.PercentileUs(0.5), p99 = writes.PercentileUs(0.99);
  table.Add("write latency p50 / p99 (p99 ÷ p50)",
            Str("%.2f ms / %.2f ms (%.2f)", p50 / 1000, p99 / 1000, p99 / p50), "");
  table.Add("updates per second", Str("%.0f", n / (Ms(update_ns) / 1000)), "");
  double cold_requests = ColdRequests(cold);
  table.Add("cold open + point query: requests (open GET / LIST, query GET / LIST)",
            Str("%.0f (%" PRId64 " / %" PRId64 ", %" PRId64 " / %" PRId64 ")", cold_requests,
                cold.V("open_get"), cold.V("open_list"), cold.V("query_get"), cold.V("query_list")),
            "", "", "≤ 8", Verdict(cold_requests <= 8));
  table.Print();
}

// ---- main -----------------------------------------------------------------------------------

int Main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  if (args.cold_child) return ColdChild(args);

  const std::string dir = MakeWorkDir(args.dir, "cloudlite-bench");
  const std::string store_uri = args.store.empty() ? "file://" + dir + "/store" : args.store;
  PrintMachine(dir);

  if (args.Wants("reads") || args.Wants("writes")) {
    ReadSetup s;
    s.dir = dir;
    s.plain_path = dir + "/plain.db";
    BuildPointTable(s.plain_path, args.rows);
    s.uri = store_uri + "/points";
    Take(cl::Push(s.plain_path, s.uri), "push");
    s.plain = OpenPlain(s.plain_path);
    cl::Options cloud_options;
    cloud_options.change_feed = args.change_feed;
    s.cloud = Take(cl::Database::Open(s.uri, cloud_options), "opening " + s.uri);
    if (args.Wants("reads")) RunReads(args, s);
    if (args.Wants("writes")) RunWrites(args, s);
    s.cloud.reset();
    sqlite3_close_v2(s.plain);
  }
  if (args.Wants("cold")) RunCold(args, dir, store_uri);
  if (args.only.count("history") > 0) RunHistory(args, dir, store_uri);  // only when asked

  if (args.keep) {
    std::printf("\nkept %s\n", dir.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
