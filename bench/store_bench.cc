// cloudlite_store_bench: cloudlite on a remote store (s3:// or dynamodb://) against baselines
// measured in the same run with the same HTTP client, and against `aws s3 cp` on S3.
//
//   cloudlite_store_bench --store=URI [--only=writes,reads,cold,transfer] [--size-mb=N]
//                         [--writes=200] [--reads=500] [--rounds=5] [--cold-runs=3]
//                         [--transfer-runs=3] [--rows=1000] [--aws=aws] [--no-aws]
//                         [--dir=DIR] [--keep]
//
//  --store   where to run: s3://BUCKET[/PREFIX] or dynamodb://TABLE[/PREFIX] (credentials and
//            endpoint from the usual AWS environment). Every object the run creates lives under
//            a fresh name (b<hex>-...) and is deleted at the end unless --keep.
//  writes    single-row write transactions (Database::Update of one INSERT) against one raw
//            Put of the same number of bytes through the store's own client (same HTTP stack),
//            and against that Put plus one raw GET of a missing key (the freshness probe); store
//            requests per transaction, per commit with and without a checkpoint.
//  reads     read transactions on an up-to-date database (View + one point query) against one
//            raw GET of a missing key; requests (and DynamoDB capacity) per read transaction.
//  cold      builds a --size-mb database (default 1024 on S3, 100 on DynamoDB) locally, pushes
//            it, and opens it in fresh processes (this binary re-executed) for one point query:
//            requests, bytes, latency, peak RSS; against a fresh process that downloads the
//            whole file as one object with the same client, and `aws s3 cp` of it (S3).
//  transfer  push and pull of that database against `aws s3 cp` up and down of the same file
//            (S3), and one raw Put / Get of the whole file with the same client; plus where push
//            and pull spend their time (the same work on a mem:// store, i.e. without network,
//            and the same requests without the CPU work).
//
// On DynamoDB every item request asks for ReturnConsumedCapacity TOTAL; capacity units are what
// the server reported (DynamoDB Local applies AWS's item-size rules: see docs/benchmarks.md).
// Output is Markdown tables: metric, cloudlite, baseline, ratio
// (cloudlite / baseline, or for throughput cloudlite's MiB/s / baseline's), goal, verdict.
// Nothing here asserts a time; the numbers are for people (docs/benchmarks.md).
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/parallel.h"
#include "base/random.h"
#include "bench_util.h"
#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "format/format.h"
#include "store/dynamodb/dynamodb_client.h"
#include "store/registry.h"
#include "store/uri.h"

namespace {

namespace cl = cloudlite;
using namespace cl::bench;  // NOLINT(build/namespaces): the shared benchmark helpers

// ---- arguments ------------------------------------------------------------------------------

struct Args {
  std::string store;
  std::set<std::string> only;  // empty: everything
  uint64_t size_mb = 0;        // 0: 1024 on S3, 100 on DynamoDB
  int writes = 200;
  int reads = 500;
  int rounds = 5;
  int cold_runs = 3;
  int transfer_runs = 3;
  int rows = 1000;
  std::string aws = "aws";  // empty: no awscli baselines
  std::string dir;
  bool keep = false;
  // Child processes.
  std::string child;  // "cold" or "get"
  std::string uri, key;
  int64_t id = 0, id2 = 0;

  bool Wants(const std::string& part) const { return only.empty() || only.count(part) > 0; }
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    const auto [name, value] = SplitFlag(arg);
    auto number = [&]() -> int64_t {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < 0) Die("bad value for " + name + ": " + value);
      return v;
    };
    auto positive = [&]() { return static_cast<int>(std::max<int64_t>(1, number())); };
    if (name == "--store") {
      a.store = value;
    } else if (name == "--only") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string part = value.substr(start, comma - start);
        if (part != "writes" && part != "reads" && part != "cold" && part != "transfer")
          Die("--only takes writes,reads,cold,transfer");
        a.only.insert(part);
        start = comma + 1;
      }
    } else if (name == "--size-mb") {
      a.size_mb = static_cast<uint64_t>(std::max<int64_t>(1, number()));
    } else if (name == "--writes") {
      a.writes = positive();
    } else if (name == "--reads") {
      a.reads = positive();
    } else if (name == "--rounds") {
      a.rounds = positive();
    } else if (name == "--cold-runs") {
      a.cold_runs = positive();
    } else if (name == "--transfer-runs") {
      a.transfer_runs = positive();
    } else if (name == "--rows") {
      a.rows = positive();
    } else if (name == "--aws") {
      a.aws = value;
    } else if (name == "--no-aws") {
      a.aws.clear();
    } else if (name == "--dir") {
      a.dir = value;
    } else if (name == "--keep") {
      a.keep = true;
    } else if (name == "--cold-child") {
      a.child = "cold";
    } else if (name == "--get-child") {
      a.child = "get";
    } else if (name == "--uri") {
      a.uri = value;
    } else if (name == "--key") {
      a.key = value;
    } else if (name == "--id") {
      a.id = number();
    } else if (name == "--id2") {
      a.id2 = number();
    } else {
      Die("unknown argument " + arg +
          " (see the comment at the top of bench/store_bench.cc for the flags)");
    }
  }
  return a;
}

// ---- DynamoDB requests and capacity ----------------------------------------------------------

// A snapshot of this process's DynamoDB HTTP requests by kind and the capacity they consumed.
struct Ddb {
  uint64_t get_item = 0, put_item = 0, delete_item = 0, query = 0, batch_get = 0, batch_write = 0,
           other = 0, rcu_milli = 0, wcu_milli = 0;
  static Ddb Now() {
    const auto& c = cl::ddb::ProcessDynamoDbRequestCounts();
    return {c.get_item.load(), c.put_item.load(),     c.delete_item.load(),
            c.query.load(),    c.batch_get.load(),    c.batch_write.load(),
            c.other.load(),    c.read_capacity_milli, c.write_capacity_milli};
  }
  Ddb operator-(const Ddb& o) const {
    return {get_item - o.get_item, put_item - o.put_item,   delete_item - o.delete_item,
            query - o.query,       batch_get - o.batch_get, batch_write - o.batch_write,
            other - o.other,       rcu_milli - o.rcu_milli, wcu_milli - o.wcu_milli};
  }
  Ddb& operator+=(const Ddb& o) {
    get_item += o.get_item;
    put_item += o.put_item;
    delete_item += o.delete_item;
    query += o.query;
    batch_get += o.batch_get;
    batch_write += o.batch_write;
    other += o.other;
    rcu_milli += o.rcu_milli;
    wcu_milli += o.wcu_milli;
    return *this;
  }
  uint64_t reads() const { return get_item + query + batch_get; }
  uint64_t writes() const { return put_item + delete_item + batch_write; }
  uint64_t total() const { return reads() + writes() + other; }
  double rcu() const { return static_cast<double>(rcu_milli) / 1000; }
  double wcu() const { return static_cast<double>(wcu_milli) / 1000; }
  // "2 GetItem + 1 BatchGetItem" (kinds with a count only), divided by `per`.
  std::string Kinds(double per = 1) const {
    std::string out;
    auto add = [&](uint64_t n, const char* kind) {
      if (n == 0) return;
      if (!out.empty()) out += " + ";
      double v = static_cast<double>(n) / per;
      out += per == 1 ? Str("%" PRIu64 " %s", n, kind) : Str("%.3f %s", v, kind);
    };
    add(get_item, "GetItem");
    add(query, "Query");
    add(batch_get, "BatchGetItem");
    add(put_item, "PutItem");
    add(batch_write, "BatchWriteItem");
    add(delete_item, "DeleteItem");
    add(other, "other");
    return out.empty() ? "0" : out;
  }
};

// ---- the run's environment -------------------------------------------------------------------

struct Env {
  cl::Uri store;                         // as given
  std::string run;                       // "b<hex>": prefix of every name this run creates
  std::string dir;                       // local work directory
  std::unique_ptr<cl::ObjectStore> raw;  // the baselines' store: same backend, same client code
  std::vector<std::string> databases;    // to remove at the end
  std::vector<std::string> raw_keys;     // likewise

  bool s3() const { return store.scheme == "s3"; }
  bool dynamodb() const { return store.scheme == "dynamodb"; }
  std::string DbUri(const std::string& name) const {
    cl::Uri u = store;
    u.path = u.path.empty() ? name : u.path + "/" + name;
    return u.ToString();
  }
};

std::unique_ptr<cl::ObjectStore> OpenRaw(const cl::Uri& store) {
  cl::Uri u = store;
  return Take(cl::OpenStore(u, /*create=*/false), "opening " + store.ToString());
}

// ---- awscli ----------------------------------------------------------------------------------

// Runs `aws s3 cp from to` against the store's endpoint; returns nanoseconds. Its stdout and
// stderr go to /dev/null unless it fails.
int64_t AwsCp(const Args& args, const Env& env, const std::string& from, const std::string& to) {
  std::vector<std::string> argv = {args.aws, "s3", "cp", "--only-show-errors", from, to};
  const char* endpoint = std::getenv("AWS_ENDPOINT_URL_S3");
  if (endpoint == nullptr) endpoint = std::getenv("AWS_ENDPOINT_URL");
  std::string uri_endpoint;
  if (auto it = env.store.params.find("endpoint"); it != env.store.params.end())
    uri_endpoint = it->second;
  if (!uri_endpoint.empty()) endpoint = uri_endpoint.c_str();
  if (endpoint != nullptr) {
    argv.push_back("--endpoint-url");
    argv.push_back(endpoint);
  }
  int64_t start = NowNs();
  pid_t pid = ::fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    std::vector<char*> raw;
    for (auto& s : argv) raw.push_back(s.data());
    raw.push_back(nullptr);
    ::execvp(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) Die("waitpid failed");
  int64_t ns = NowNs() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die("aws s3 cp " + from + " " + to + " failed (exit " +
        std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
        "); use --no-aws to skip the awscli baselines");
  }
  return ns;
}

// s3://BUCKET/PREFIX/key for a key of the store.
std::string S3Url(const Env& env, const std::string& key) {
  return "s3://" + env.store.authority + "/" +
         (env.store.path.empty() ? "" : env.store.path + "/") + key;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) Die("reading " + path);
  return data;
}

// ---- child processes -------------------------------------------------------------------------

void PrintCounts(const char* prefix, const Requests& r, const Ddb& d) {
  std::printf("%s_get=%" PRIu64 "\n%s_put=%" PRIu64 "\n%s_list=%" PRIu64 "\n%s_bytes_in=%" PRIu64
              "\n",
              prefix, r.get, prefix, r.put, prefix, r.list, prefix, r.bytes_in);
  std::printf("%s_ddb_get_item=%" PRIu64 "\n%s_ddb_query=%" PRIu64 "\n%s_ddb_batch_get=%" PRIu64
              "\n%s_ddb_other=%" PRIu64 "\n%s_ddb_writes=%" PRIu64 "\n%s_rcu_milli=%" PRIu64 "\n",
              prefix, d.get_item, prefix, d.query, prefix, d.batch_get, prefix, d.other, prefix,
              d.writes(), prefix, d.rcu_milli);
}

Ddb ChildDdb(const ChildResult& r, const std::string& prefix) {
  Ddb d;
  d.get_item = static_cast<uint64_t>(r.V(prefix + "_ddb_get_item"));
  d.query = static_cast<uint64_t>(r.V(prefix + "_ddb_query"));
  d.batch_get = static_cast<uint64_t>(r.V(prefix + "_ddb_batch_get"));
  d.other = static_cast<uint64_t>(r.V(prefix + "_ddb_other"));
  d.put_item = static_cast<uint64_t>(r.V(prefix + "_ddb_writes"));
  d.rcu_milli = static_cast<uint64_t>(r.V(prefix + "_rcu_milli"));
  return d;
}

// A fresh process: open the database, one point query, a second one.
int ColdChild(const Args& args) {
  uint64_t rss_start_kib = ProcStatusKiB("VmHWM:");
  Requests r0 = Requests::Now();
  Ddb d0 = Ddb::Now();
  int64_t t0 = NowNs();
  cl::Options options;
  options.create_if_missing = false;
  auto db = Take(cl::Database::Open(args.uri, options), "opening " + args.uri);
  int64_t t1 = NowNs();
  Requests r1 = Requests::Now();
  Ddb d1 = Ddb::Now();
  auto query = [&](int64_t id) { ColdPointQuery(*db, id); };
  query(args.id);
  int64_t t2 = NowNs();
  Requests r2 = Requests::Now();
  Ddb d2 = Ddb::Now();
  query(args.id2);
  int64_t t3 = NowNs();
  PrintCounts("open", r1 - r0, d1 - d0);
  PrintCounts("query", r2 - r1, d2 - d1);
  PrintCounts("second", Requests::Now() - r2, Ddb::Now() - d2);
  std::printf("open_ns=%" PRId64 "\nquery_ns=%" PRId64 "\nsecond_ns=%" PRId64 "\n", t1 - t0,
              t2 - t1, t3 - t2);
  std::printf("rss_start_kib=%" PRIu64 "\nrss_peak_kib=%" PRIu64 "\n", rss_start_kib,
              ProcStatusKiB("VmHWM:"));
  return 0;
}

// A fresh process: Get one whole object with the store's client (the whole-download baseline).
int GetChild(const Args& args) {
  uint64_t rss_start_kib = ProcStatusKiB("VmHWM:");
  cl::Uri uri = Take(cl::Uri::Parse(args.uri), "parsing " + args.uri);
  auto store = OpenRaw(uri);
  Requests r0 = Requests::Now();
  Ddb d0 = Ddb::Now();
  int64_t t0 = NowNs();
  std::string data = Take(store->Get(args.key), "GET " + args.key);
  int64_t t1 = NowNs();
  PrintCounts("get", Requests::Now() - r0, Ddb::Now() - d0);
  std::printf("get_ns=%" PRId64 "\nbytes=%zu\nrss_start_kib=%" PRIu64 "\nrss_peak_kib=%" PRIu64
              "\n",
              t1 - t0, data.size(), rss_start_kib, ProcStatusKiB("VmHWM:"));
  return 0;
}

// ---- writes ----------------------------------------------------------------------------------

constexpr char kPointQuery[] = "SELECT v FROM t WHERE id = ?1";
constexpr char kInsert[] = "INSERT INTO t(id, v) VALUES (?1, ?2)";

// The database the write and read sections share: t(id, v) with `rows` rows of ~100 B text.
std::unique_ptr<cl::Database> OpenPoints(const Args& args, Env& env) {
  const std::string name = env.run + "-points";
  env.databases.push_back(name);
  auto db = Take(cl::Database::Open(env.DbUri(name)), "opening " + env.DbUri(name));
  std::mt19937_64 rng(42);
  Check(db->Update([&](cl::Connection& c) {
    CL_RETURN_IF_ERROR(c.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)"));
    Stmt insert(c.handle(), kInsert);
    for (int id = 1; id <= args.rows; id++) {
      std::string text = RandomText(rng, 100);
      sqlite3_bind_int64(insert.get(), 1, id);
      sqlite3_bind_text(insert.get(), 2, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT);
      SqlCheck(c.handle(), sqlite3_step(insert.get()), "insert");
      sqlite3_reset(insert.get());
    }
    return cl::Status::Ok();
  }),
        "filling " + name);
  return db;
}

size_t CountKeys(cl::ObjectStore& store, const std::string& prefix) {
  return Take(cl::ListAll(store, prefix), "listing " + prefix).size();
}

// One raw GET of a key that does not exist: what the freshness probe is.
void RawMiss(cl::ObjectStore& store, const std::string& key) {
  cl::Result<std::string> r = store.Get(key);
  if (!r.status().IsNotFound()) Die("GET " + key + " should be NotFound: " + r.status().ToString());
}

void RunWrites(const Args& args, Env& env, cl::Database& db) {
  const std::string name = env.run + "-points";
  std::mt19937_64 rng(7);
  const std::string text = RandomText(rng, 100);
  int64_t next_id = args.rows + 1;
  auto insert_one = [&] {
    Check(db.Update([&](cl::Connection& c) {
      Stmt insert(c.handle(), kInsert);
      sqlite3_bind_int64(insert.get(), 1, next_id);
      sqlite3_bind_text(insert.get(), 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      int rc = sqlite3_step(insert.get());
      if (rc != SQLITE_DONE) return cl::Status::Internal(sqlite3_errmsg(c.handle()));
      return cl::Status::Ok();
    }),
          "update");
    next_id++;
  };
  // Warm up (connections, and on DynamoDB the directory entries a process writes once), and
  // learn the size of one commit record: the baseline PUTs that many bytes.
  constexpr int kWarmup = 5;
  Requests last;
  for (int i = 0; i < kWarmup; i++) {
    Requests w0 = Requests::Now();
    insert_one();
    last = Requests::Now() - w0;
  }
  const size_t record_bytes = static_cast<size_t>(last.bytes_out / std::max<uint64_t>(1, last.put));
  const std::string payload = cl::RandomBytes(record_bytes);
  int64_t raw_n = 0;
  auto raw_key = [&](const char* what) { return env.run + "-raw/" + what + std::to_string(raw_n); };
  Check(env.raw->Put(raw_key("put-"), payload), "raw PUT");
  env.raw_keys.push_back(raw_key("put-"));
  RawMiss(*env.raw, raw_key("absent-"));

  cl::ObjectStore& raw = *env.raw;
  const size_t ckpts_before = CountKeys(raw, name + "/ckpt/");
  const size_t segs_before = CountKeys(raw, name + "/seg/");
  const uint64_t version_before = Take(db.Info(), "info").version;

  struct PerCommit {
    Requests store;
    Ddb ddb;
  };
  std::vector<PerCommit> commits;
  Samples miss, conditional;
  int64_t cloud_cpu_ns = 0, base_cpu_ns = 0;
  const int per_round = std::max(1, args.writes / args.rounds);
  Compared c = Alternate(
      args.rounds, per_round, 1,
      [&](const std::vector<int64_t>& ids, Samples* out) {
        int64_t cpu0 = CpuNs();
        for (size_t i = 0; i < ids.size(); i++) {
          Requests r0 = Requests::Now();
          Ddb d0 = Ddb::Now();
          Timed(out, insert_one);
          commits.push_back({Requests::Now() - r0, Ddb::Now() - d0});
        }
        cloud_cpu_ns += CpuNs() - cpu0;
      },
      [&](const std::vector<int64_t>& ids, Samples* out) {
        int64_t cpu0 = CpuNs();
        for (size_t i = 0; i < ids.size(); i++) {
          raw_n++;
          Timed(out, [&] { Check(raw.Put(raw_key("put-"), payload), "raw PUT"); });
          env.raw_keys.push_back(raw_key("put-"));
        }
        base_cpu_ns += CpuNs() - cpu0;
        // Next to the baseline (not timed with it): the two requests a commit makes, the probe
        // and a conditional PUT of a new key.
        for (size_t i = 0; i < ids.size(); i++) {
          Timed(&miss, [&] { RawMiss(raw, raw_key("absent-")); });
          const std::string key =
              env.run + "-raw/if-absent-" + std::to_string(conditional.ns.size());
          Timed(&conditional, [&] { Check(raw.PutIfAbsent(key, payload), "raw PutIfAbsent"); });
        }
      });
  const uint64_t versions = Take(db.Info(), "info").version - version_before;
  const size_t new_ckpts = CountKeys(raw, name + "/ckpt/") - ckpts_before;
  const size_t new_segs = CountKeys(raw, name + "/seg/") - segs_before;

  // Commits that wrote a checkpoint too are the ones with more than one PUT.
  Requests all, ordinary_sum;
  Ddb all_ddb, ordinary_ddb;
  uint64_t ordinary = 0, max_ordinary_ddb_writes = 0;
  for (const PerCommit& pc : commits) {
    all += pc.store;
    all_ddb += pc.ddb;
    if (pc.store.put == 1) {
      ordinary++;
      ordinary_sum += pc.store;
      ordinary_ddb += pc.ddb;
      max_ordinary_ddb_writes = std::max(max_ordinary_ddb_writes, pc.ddb.writes());
    }
  }
  const double n = static_cast<double>(c.ops);
  const double ord = static_cast<double>(std::max<uint64_t>(1, ordinary));

  Table t(Str("Single-row write transactions on %s (%" PRId64
              " each; baseline: one raw %s of %zu bytes, the commit record's size, same client)",
              env.store.scheme.c_str(), c.ops, env.s3() ? "PUT" : "Put (PutItem)", record_bytes));
  AddLatencyRows(&t, "Update(INSERT one row) vs one raw PUT of the same bytes", c, 1.3,
                 /*millis=*/true);
  const double probe_p50 = miss.PercentileUs(0.5), conditional_p50 = conditional.PercentileUs(0.5);
  t.Add("raw conditional PUT (PutIfAbsent of a new key) vs raw PUT, p50",
        Str("%.2f ms", conditional_p50 / 1000), Str("%.2f ms", c.base.PercentileUs(0.5) / 1000),
        Ratio(conditional_p50, c.base.PercentileUs(0.5)));
  t.Add(
      "Update p50 vs the protocol's requests: raw GET of a missing key (the probe) + raw "
      "conditional PUT, p50s",
      Str("%.2f ms", c.cloud.PercentileUs(0.5) / 1000),
      Str("%.2f + %.2f = %.2f ms", probe_p50 / 1000, conditional_p50 / 1000,
          (probe_p50 + conditional_p50) / 1000),
      Ratio(c.cloud.PercentileUs(0.5), probe_p50 + conditional_p50));
  t.Add("client CPU per op (this process, user + system)",
        Str("%.0f µs", static_cast<double>(cloud_cpu_ns) / n / 1000),
        Str("%.0f µs", static_cast<double>(base_cpu_ns) / n / 1000),
        Ratio(static_cast<double>(cloud_cpu_ns), static_cast<double>(base_cpu_ns)));
  t.Add("store requests per write txn (all commits)",
        Str("%.3f GET, %.3f PUT, %.3f LIST", static_cast<double>(all.get) / n,
            static_cast<double>(all.put) / n, static_cast<double>(all.list) / n),
        "1 PUT (raw)");
  t.Add("PUT per ordinary commit (no checkpoint)",
        Str("%.3f (%" PRIu64 " commits)", static_cast<double>(ordinary_sum.put) / ord, ordinary),
        "", "", "= 1 PUT", Verdict(ordinary_sum.put == ordinary && ordinary > 0));
  t.Add("GET per ordinary commit (the freshness probe at BEGIN IMMEDIATE)",
        Str("%.3f", static_cast<double>(ordinary_sum.get) / ord), "");
  if (env.s3()) {
    t.Add("requests per write txn, s3db (its README: ~2 GET + 2 PUT)",
          Str("%.3f", static_cast<double>(all.total()) / n), "4 (2 GET + 2 PUT)",
          Ratio(static_cast<double>(all.total()) / n, 4));
  }
  t.Add("commit record size (bytes written per ordinary commit)",
        Str("%.0f B", static_cast<double>(ordinary_sum.bytes_out) / ord), "");
  t.Add("commits that also wrote a checkpoint (every 64) / their extra PUTs",
        Str("%" PRIu64 " / %" PRIu64 " (%zu checkpoints, %zu segments)",
            static_cast<uint64_t>(commits.size()) - ordinary,
            all.put - ordinary_sum.put - (commits.size() - ordinary), new_ckpts, new_segs),
        "");
  t.Add("versions made", Str("%" PRIu64, versions), Str("%" PRId64, c.ops));
  if (env.dynamodb()) {
    t.Add("DynamoDB requests per ordinary write txn", ordinary_ddb.Kinds(ord),
          "1 PutItem (raw Put)");
    t.Add("write requests per ordinary write txn, max", Str("%" PRIu64, max_ordinary_ddb_writes),
          "", "", "≤ 2", Verdict(max_ordinary_ddb_writes <= 2 && ordinary > 0));
    t.Add("capacity per ordinary write txn (reported): RCU / WCU",
          Str("%.2f / %.2f", ordinary_ddb.rcu() / ord, ordinary_ddb.wcu() / ord), "");
    t.Add("capacity per write txn incl. checkpoints (reported): RCU / WCU",
          Str("%.2f / %.2f", all_ddb.rcu() / n, all_ddb.wcu() / n), "");
    t.Add("DynamoDB requests per write txn incl. checkpoints", all_ddb.Kinds(n), "");
    t.Add("DonutDB, by design (not measured): lock take + release", "0 (no lock: create-if-absent)",
          "2 conditional writes + the page writes");
  }
  t.Print();
}

// ---- reads -----------------------------------------------------------------------------------

void RunReads(const Args& args, Env& env, cl::Database& db) {
  int64_t checksum = 0;
  auto view = [&](int64_t id) {
    Check(db.View([&](cl::Connection& c) {
      cl::Rows r = Take(c.Query(kPointQuery, {id}), "query");
      checksum += static_cast<int64_t>(r.rows.size());
      return cl::Status::Ok();
    }),
          "view");
  };
  for (int i = 1; i <= std::min(args.rows, 50); i++) view(i);  // warm: pages in the cache
  const std::string absent = env.run + "-raw/absent";
  RawMiss(*env.raw, absent);
  Ddb ddb;
  int64_t cloud_cpu_ns = 0, base_cpu_ns = 0;
  const int per_round = std::max(1, args.reads / args.rounds);
  Compared c = Alternate(
      args.rounds, per_round, args.rows,
      [&](const std::vector<int64_t>& ids, Samples* out) {
        Ddb d0 = Ddb::Now();
        int64_t cpu0 = CpuNs();
        for (int64_t id : ids) Timed(out, [&] { view(id); });
        cloud_cpu_ns += CpuNs() - cpu0;
        ddb += Ddb::Now() - d0;
      },
      [&](const std::vector<int64_t>& ids, Samples* out) {
        int64_t cpu0 = CpuNs();
        for (size_t i = 0; i < ids.size(); i++) Timed(out, [&] { RawMiss(*env.raw, absent); });
        base_cpu_ns += CpuNs() - cpu0;
      });
  const double n = static_cast<double>(c.ops);
  const Requests& r = c.cloud_requests;
  Table t(Str("Read transactions on an up-to-date database, %s (%" PRId64
              " Views of one point query; baseline: one raw GET of a missing key, same client)",
              env.store.scheme.c_str(), c.ops));
  AddLatencyRows(&t, "View + point query vs one raw GET (404)", c, 0, /*millis=*/true);
  t.Add("client CPU per op (this process, user + system)",
        Str("%.0f µs", static_cast<double>(cloud_cpu_ns) / n / 1000),
        Str("%.0f µs", static_cast<double>(base_cpu_ns) / n / 1000),
        Ratio(static_cast<double>(cloud_cpu_ns), static_cast<double>(base_cpu_ns)));
  t.Add("GET per read txn", Str("%.3f", static_cast<double>(r.get) / n), "", "", "= 1",
        Verdict(r.get == static_cast<uint64_t>(c.ops)));
  t.Add("PUT / LIST / DELETE per read txn",
        Str("%.3f / %.3f / %.3f", static_cast<double>(r.put) / n, static_cast<double>(r.list) / n,
            static_cast<double>(r.del) / n),
        "", "", "= 0", Verdict(r.put + r.list + r.del == 0));
  t.Add("bytes fetched per read txn", Str("%.1f B", static_cast<double>(r.bytes_in) / n), "", "",
        "= 0 (404)", Verdict(r.bytes_in == 0));
  if (env.s3()) {
    t.Add("requests per read txn, s3db (its README: 1 GET of the manifest)",
          Str("%.3f", static_cast<double>(r.total()) / n), "1 GET",
          Ratio(static_cast<double>(r.total()) / n, 1));
  }
  if (env.dynamodb()) {
    t.Add("DynamoDB requests per read txn", ddb.Kinds(n), "", "", "= 1 GetItem",
          Verdict(ddb.get_item == static_cast<uint64_t>(c.ops) && ddb.total() == ddb.get_item));
    t.Add("read capacity per read txn (reported; strongly consistent, item ≤ 4 KB = 1 RCU)",
          Str("%.3f RCU", ddb.rcu() / n), "", "", "≤ 1 RCU", Verdict(ddb.rcu() <= n + 1e-9));
    t.Add("write capacity per read txn (reported)", Str("%.3f WCU", ddb.wcu() / n), "", "", "= 0",
          Verdict(ddb.wcu_milli == 0));
    t.Add("DonutDB, by design (not measured): global lock per txn, readers too", "0 writes",
          "2 conditional writes (≥ 2 WCU) + metadata item read");
  }
  t.Print();
  std::fprintf(stderr, "(checksum %" PRId64 ")\n", checksum);
}

// ---- cold open and point query ---------------------------------------------------------------

struct BigDb {
  std::string path;
  uint64_t bytes = 0;
  int64_t rows = 0;
  std::string raw_key;  // the whole file as one object
};

BigDb BuildBigDb(const Env& env, uint64_t size_mb) {
  BigDb big;
  big.path = env.dir + "/big.db";
  std::printf("\n(building a %" PRIu64 " MiB database at %s ...)\n", size_mb, big.path.c_str());
  std::fflush(stdout);
  big.rows = BuildBig(big.path, size_mb);
  big.bytes = std::filesystem::file_size(big.path);
  big.raw_key = env.run + "-raw/big.db";
  return big;
}

void RunCold(const Args& args, Env& env, const BigDb& big) {
  const std::string name = env.run + "-big";
  const std::string uri = env.DbUri(name);
  env.databases.push_back(name);
  Requests before = Requests::Now();
  Ddb dbefore = Ddb::Now();
  int64_t t0 = NowNs();
  Take(cl::Push(big.path, uri), "push");
  int64_t push_ns = NowNs() - t0;
  Requests push = Requests::Now() - before;
  Ddb push_ddb = Ddb::Now() - dbefore;

  // The whole file as one object, with the same client: the download-everything baseline.
  {
    std::string data = ReadFile(big.path);
    env.raw_keys.push_back(big.raw_key);
    Check(env.raw->Put(big.raw_key, data), "raw PUT of the whole file");
  }

  std::vector<ChildResult> cold, whole;
  std::vector<double> aws_ms;
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int64_t> dist(1, big.rows);
  for (int i = 0; i < args.cold_runs; i++) {
    cold.push_back(RunSelf({"--cold-child", "--uri=" + uri, "--id=" + std::to_string(dist(rng)),
                            "--id2=" + std::to_string(dist(rng))}));
    whole.push_back(
        RunSelf({"--get-child", "--uri=" + env.store.ToString(), "--key=" + big.raw_key}));
    if (env.s3() && !args.aws.empty()) {
      const std::string local = env.dir + "/aws-down.db";
      aws_ms.push_back(Ms(AwsCp(args, env, S3Url(env, big.raw_key), local)));
      std::filesystem::remove(local);
    }
  }

  auto med = [](const std::vector<ChildResult>& runs,
                const std::function<double(const ChildResult&)>& f) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(f(r));
    return Median(v);
  };
  auto worst = [](const std::vector<ChildResult>& runs,
                  const std::function<double(const ChildResult&)>& f) {
    double m = 0;
    for (const auto& r : runs) m = std::max(m, f(r));
    return m;
  };
  auto requests = [](const ChildResult& r) {
    return static_cast<double>(r.V("open_get") + r.V("open_list") + r.V("open_put") +
                               r.V("query_get") + r.V("query_list") + r.V("query_put"));
  };
  auto bytes = [](const ChildResult& r) {
    return static_cast<double>(r.V("open_bytes_in") + r.V("query_bytes_in"));
  };
  auto total_ms = [](const ChildResult& r) { return Ms(r.V("open_ns") + r.V("query_ns")); };
  auto get_ms = [](const ChildResult& r) { return Ms(r.V("get_ns")); };

  Table t(Str("Cold open + one point query, fresh process, %s (%.0f MiB file, %" PRId64
              " rows; %d runs: worst requests/bytes/RSS, median time)",
              env.store.scheme.c_str(), MiB(big.bytes), big.rows, args.cold_runs));
  const ChildResult& r0 = cold.front();
  double req = worst(cold, requests);
  t.Add("store requests (open + first query)", Str("%.0f", req), "1 GET (whole object)",
        Ratio(req, 1));
  t.Add("  of which at open (GET / LIST)",
        Str("%" PRId64 " / %" PRId64, r0.V("open_get"), r0.V("open_list")), "");
  t.Add("  of which at the query (GET / LIST)",
        Str("%" PRId64 " / %" PRId64, r0.V("query_get"), r0.V("query_list")), "");
  double b = worst(cold, bytes);
  t.Add("bytes fetched", Str("%.0f B (%.1f KiB)", b, b / 1024),
        Str("%" PRIu64 " B (%.0f MiB)", big.bytes, MiB(big.bytes)),
        Str("%.5f×", b / static_cast<double>(big.bytes)), "≤ 1 MiB", Verdict(b <= (1 << 20)));
  double ms = med(cold, total_ms);
  double whole_ms = med(whole, get_ms);
  t.Add("latency: open + first query vs one GET of the whole object (same client)",
        Str("%.2f ms", ms), Str("%.0f ms", whole_ms), Ratio(ms, whole_ms));
  if (!aws_ms.empty()) {
    double aws = Median(aws_ms);
    t.Add("latency: open + first query vs `aws s3 cp` of the file down", Str("%.2f ms", ms),
          Str("%.0f ms", aws), Ratio(ms, aws));
  }
  t.Add("  open",
        Str("%.2f ms", med(cold, [](const ChildResult& r) { return Ms(r.V("open_ns")); })), "");
  t.Add("  first query",
        Str("%.2f ms", med(cold, [](const ChildResult& r) { return Ms(r.V("query_ns")); })), "");
  t.Add("second point query (another id): requests, bytes, time",
        Str("%.0f GET, %.1f KiB, %.2f ms",
            med(cold, [](const ChildResult& r) { return static_cast<double>(r.V("second_get")); }),
            med(cold,
                [](const ChildResult& r) {
                  return static_cast<double>(r.V("second_bytes_in")) / 1024;
                }),
            med(cold, [](const ChildResult& r) { return Ms(r.V("second_ns")); })),
        "0 (already local)");
  double rss =
      worst(cold, [](const ChildResult& r) { return static_cast<double>(r.V("rss_peak_kib")); });
  double whole_rss =
      worst(whole, [](const ChildResult& r) { return static_cast<double>(r.V("rss_peak_kib")); });
  t.Add("peak RSS of the fresh process (VmHWM)", Str("%.1f MiB", rss / 1024),
        Str("%.1f MiB (GET into memory)", whole_rss / 1024), Ratio(rss, whole_rss), "≤ 64 MiB",
        Verdict(rss <= 64 * 1024));
  if (env.dynamodb()) {
    Ddb open = ChildDdb(r0, "open"), query = ChildDdb(r0, "query"), second = ChildDdb(r0, "second"),
        get = ChildDdb(whole.front(), "get");
    Ddb both = open;
    both += query;
    t.Add("DynamoDB requests (open + first query)", both.Kinds(), get.Kinds());
    t.Add("  at open", open.Kinds(), "");
    t.Add("  at the first query", query.Kinds(), "");
    t.Add("  at the second query", second.Kinds(), "");
    t.Add("read capacity, open + first query (reported)", Str("%.1f RCU", both.rcu()),
          Str("%.1f RCU", get.rcu()), Ratio(both.rcu(), get.rcu()));
    t.Add("  at open / first query / second query",
          Str("%.1f / %.1f / %.1f RCU", open.rcu(), query.rcu(), second.rcu()), "");
    t.Add("DonutDB, by design (not measured): per page-cache miss", "one ranged read of a frame",
          "lock writes + the metadata item + a BatchGetItem");
  }
  t.Add("push (local build excluded)",
        Str("%.0f ms, %" PRIu64 " PUT, %.0f MiB stored (%.2f:1)", Ms(push_ns), push.put,
            MiB(push.bytes_out),
            static_cast<double>(big.bytes) /
                static_cast<double>(std::max<uint64_t>(1, push.bytes_out))),
        "");
  if (env.dynamodb()) {
    t.Add("  push: DynamoDB requests, WCU (reported)",
          push_ddb.Kinds() + Str(", %.0f WCU", push_ddb.wcu()), "");
  }
  t.Print();
  for (size_t i = 0; i < cold.size(); i++) {
    const ChildResult& r = cold[i];
    std::printf(
        "  run %zu: %.0f requests, %.1f KiB, open %.2f ms + query %.2f ms, peak RSS %.1f MiB; "
        "whole GET %.0f ms, %.1f MiB RSS%s\n",
        i + 1, requests(r), bytes(r) / 1024, Ms(r.V("open_ns")), Ms(r.V("query_ns")),
        static_cast<double>(r.V("rss_peak_kib")) / 1024, get_ms(whole[i]),
        static_cast<double>(whole[i].V("rss_peak_kib")) / 1024,
        aws_ms.empty() ? "" : Str("; aws s3 cp down %.0f ms", aws_ms[i]).c_str());
  }
}

// ---- push and pull ---------------------------------------------------------------------------

// Runs fn(0..n-1) on four threads; returns milliseconds.
double FourAtATime(uint64_t n, const std::function<void(uint64_t)>& fn) {
  int64_t t0 = NowNs();
  cl::Status done = cl::ForEachInParallel(n, 4, nullptr, [&](size_t k) {
    fn(k);
    return cl::Status::Ok();
  });
  (void)done;  // the jobs cannot fail
  return Ms(NowNs() - t0);
}

struct Codec {
  double ms = 0;         // encoding every frame
  uint64_t stored = 0;   // bytes of the encoded frames
  double decode_ms = 0;  // decoding them all again (same thread count)
};

// The file cut into frames of 16 pages of 4 KiB as push cuts it, each encoded like push does
// (format::EncodeFrame: zstd at `level`, then a checksum) on `threads` threads, then decoded.
Codec CompressFrames(const std::string& data, int level, int threads) {
  constexpr size_t kPage = 4096, kFrame = 16 * kPage;
  const size_t frames = (data.size() + kFrame - 1) / kFrame;
  std::vector<std::string> stored(frames);
  auto run = [&](const std::function<void(size_t)>& fn) {
    int64_t t0 = NowNs();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++) {
      pool.emplace_back([&, t] {
        for (size_t f = static_cast<size_t>(t); f < frames; f += static_cast<size_t>(threads)) {
          fn(f);
        }
      });
    }
    for (auto& th : pool) th.join();
    return Ms(NowNs() - t0);
  };
  auto pages = [&](size_t f) {
    return std::string_view(data).substr(f * kFrame, std::min(kFrame, data.size() - f * kFrame));
  };
  Codec c;
  c.ms = run([&](size_t f) { stored[f] = cl::format::EncodeFrame(pages(f), level); });
  for (const auto& s : stored) c.stored += s.size();
  c.decode_ms = run([&](size_t f) {
    const uint32_t n = static_cast<uint32_t>(pages(f).size() / kPage);
    Take(cl::format::DecodeFrame(stored[f], n, kPage, 0, "frame", f * kFrame), "decoding a frame");
  });
  return c;
}

void RunTransfer(const Args& args, Env& env, const BigDb& big) {
  const bool aws = env.s3() && !args.aws.empty();
  std::vector<double> push_ms, pull_ms, aws_up_ms, aws_down_ms, raw_put_ms, raw_get_ms;
  Requests push_req, pull_req;
  Ddb push_ddb, pull_ddb;
  const std::string pulled = env.dir + "/pulled.db";
  const std::string data = ReadFile(big.path);
  for (int i = 0; i < args.transfer_runs; i++) {
    const std::string name = env.run + "-xfer" + std::to_string(i);
    const std::string uri = env.DbUri(name);
    const std::string raw_key = env.run + "-raw/xfer" + std::to_string(i) + ".db";
    auto cloudlite = [&] {
      Requests r0 = Requests::Now();
      Ddb d0 = Ddb::Now();
      int64_t t0 = NowNs();
      Take(cl::Push(big.path, uri), "push");
      push_ms.push_back(Ms(NowNs() - t0));
      Requests r1 = Requests::Now();
      Ddb d1 = Ddb::Now();
      t0 = NowNs();
      Check(cl::Pull(uri, pulled), "pull");
      pull_ms.push_back(Ms(NowNs() - t0));
      if (i == 0) {
        push_req = r1 - r0;
        push_ddb = d1 - d0;
        pull_req = Requests::Now() - r1;
        pull_ddb = Ddb::Now() - d1;
      }
      std::filesystem::remove(pulled);
      Check(cl::RemoveDatabase(uri), "removing " + uri);
    };
    auto baselines = [&] {
      int64_t t0 = NowNs();
      Check(env.raw->Put(raw_key, data), "raw PUT of the whole file");
      raw_put_ms.push_back(Ms(NowNs() - t0));
      t0 = NowNs();
      std::string got = Take(env.raw->Get(raw_key), "raw GET of the whole file");
      raw_get_ms.push_back(Ms(NowNs() - t0));
      if (got.size() != data.size()) Die("raw GET returned the wrong size");
      const std::string keys[] = {raw_key};
      Check(env.raw->Delete(keys), "deleting " + raw_key);
      if (aws) {
        const std::string local = env.dir + "/aws-down.db";
        aws_up_ms.push_back(Ms(AwsCp(args, env, big.path, S3Url(env, raw_key))));
        aws_down_ms.push_back(Ms(AwsCp(args, env, S3Url(env, raw_key), local)));
        std::filesystem::remove(local);
        Check(env.raw->Delete(keys), "deleting " + raw_key);
      }
    };
    if (i % 2 == 0) {
      cloudlite();
      baselines();
    } else {
      baselines();
      cloudlite();
    }
  }

  // Where the time goes: the same push and pull on a mem:// store (no network: reading,
  // compressing, checksumming, decompressing, writing), and the same requests without that work
  // (sequential PUTs of the segments' sizes; sequential ranged GETs of the frames' sizes).
  const std::string mem_uri = "mem://cloudlite-store-bench/" + env.run + "-mem";
  int64_t t0 = NowNs();
  Take(cl::Push(big.path, mem_uri), "push to mem://");
  double mem_push_ms = Ms(NowNs() - t0);
  t0 = NowNs();
  Check(cl::Pull(mem_uri, pulled), "pull from mem://");
  double mem_pull_ms = Ms(NowNs() - t0);
  std::filesystem::remove(pulled);
  Check(cl::RemoveDatabase(mem_uri), "removing " + mem_uri);

  // Segment PUTs are what push sends besides the record and checkpoint (2 small PUTs).
  const uint64_t seg_puts = push_req.put > 2 ? push_req.put - 2 : 1;
  const uint64_t seg_bytes = push_req.bytes_out / seg_puts;
  const std::string seg_key = env.run + "-raw/segment";
  double net_push_ms = 0, net_push4_ms = 0, net_seg_get_ms = 0, net_seg_get4_ms = 0;
  Ddb seg_get_ddb;
  {
    const std::string segment = cl::RandomBytes(seg_bytes);
    t0 = NowNs();
    for (uint64_t i = 0; i < seg_puts; i++) Check(env.raw->Put(seg_key, segment), "segment PUT");
    net_push_ms = Ms(NowNs() - t0);
    net_push4_ms = FourAtATime(seg_puts, [&](uint64_t i) {
      Check(env.raw->Put(seg_key + std::to_string(i), segment), "segment PUT");
    });
    Ddb d0 = Ddb::Now();
    t0 = NowNs();
    for (uint64_t i = 0; i < seg_puts; i++) Take(env.raw->Get(seg_key), "segment GET");
    net_seg_get_ms = Ms(NowNs() - t0);
    seg_get_ddb = Ddb::Now() - d0;
    net_seg_get4_ms = FourAtATime(seg_puts, [&](uint64_t i) {
      Take(env.raw->Get(seg_key + std::to_string(i)), "segment GET");
    });
    std::vector<std::string> keys = {seg_key};
    for (uint64_t i = 0; i < seg_puts; i++) keys.push_back(seg_key + std::to_string(i));
    Check(env.raw->Delete(keys), "deleting " + seg_key);
  }
  double net_pull_ms = 0;
  const uint64_t frame_gets = std::max<uint64_t>(1, pull_req.get);
  const uint64_t frame_bytes = pull_req.bytes_in / frame_gets;
  {
    const std::string key = env.run + "-raw/frames";
    const uint64_t span = std::min<uint64_t>(data.size(), 64 << 20);
    Check(env.raw->Put(key, std::string_view(data).substr(0, span)), "raw PUT for ranged GETs");
    t0 = NowNs();
    for (uint64_t i = 0; i < frame_gets; i++) {
      uint64_t offset = (i * frame_bytes) % std::max<uint64_t>(1, span - frame_bytes);
      Take(env.raw->GetRange(key, offset, frame_bytes), "raw ranged GET");
    }
    net_pull_ms = Ms(NowNs() - t0);
    const std::string keys[] = {key};
    Check(env.raw->Delete(keys), "deleting " + key);
  }
  // zstd as push does it (frames of 16 pages, checksummed), at push's level 1 and at the commits'
  // level 3, on one thread and on two.
  const Codec level1 = CompressFrames(data, 1, 1), level1x2 = CompressFrames(data, 1, 2),
              level3 = CompressFrames(data, 3, 1), level3x2 = CompressFrames(data, 3, 2);

  auto mibps = [&](double ms) { return MiB(big.bytes) / (ms / 1000); };
  auto rate = [&](double ms) { return Str("%.0f ms (%.1f MiB/s)", ms, mibps(ms)); };
  // Throughput ratio: cloudlite's MiB/s over the baseline's (= baseline time / cloudlite time).
  auto faster = [](double cloud_ms, double base_ms) { return Str("%.2f×", base_ms / cloud_ms); };
  Table t(
      Str("Push and pull of a %.0f MiB database, %s (%d runs each, median; MiB/s of the "
          "SQLite file; ratio = cloudlite's throughput / the baseline's)",
          MiB(big.bytes), env.store.scheme.c_str(), args.transfer_runs));
  double push = Median(push_ms), pull = Median(pull_ms);
  if (aws) {
    double up = Median(aws_up_ms), down = Median(aws_down_ms);
    t.Add("push vs `aws s3 cp FILE s3://...`", rate(push), rate(up), faster(push, up), "≥ 1×",
          Verdict(push <= up));
    t.Add("pull vs `aws s3 cp s3://... FILE`", rate(pull), rate(down), faster(pull, down), "≥ 1×",
          Verdict(pull <= down));
  }
  double raw_put = Median(raw_put_ms), raw_get = Median(raw_get_ms);
  t.Add("push vs one raw PUT of the file (same client)", rate(push), rate(raw_put),
        faster(push, raw_put));
  t.Add("pull vs one raw GET of the file (same client, into memory)", rate(pull), rate(raw_get),
        faster(pull, raw_get));
  t.Add("push requests / bytes sent",
        Str("%" PRIu64 " PUT, %" PRIu64 " GET, %" PRIu64 " LIST / %.0f MiB", push_req.put,
            push_req.get, push_req.list, MiB(push_req.bytes_out)),
        Str("1 PUT / %.0f MiB", MiB(big.bytes)));
  t.Add("pull requests / bytes fetched",
        Str("%" PRIu64 " GET, %" PRIu64 " LIST / %.0f MiB", pull_req.get, pull_req.list,
            MiB(pull_req.bytes_in)),
        Str("1 GET / %.0f MiB", MiB(big.bytes)));
  if (env.dynamodb()) {
    t.Add("  push: DynamoDB requests, WCU (reported)",
          push_ddb.Kinds() + Str(", %.0f WCU", push_ddb.wcu()), "");
    t.Add("  pull: DynamoDB requests, RCU (reported)",
          pull_ddb.Kinds() + Str(", %.0f RCU", pull_ddb.rcu()), "");
  }
  t.Add("push, where the time goes: the same push to mem:// (CPU: read, zstd, checksum)",
        Str("%.0f ms", mem_push_ms), "");
  t.Add(Str("push, where the time goes: %" PRIu64 " sequential raw PUTs of %.1f MiB (network)",
            seg_puts, MiB(seg_bytes)),
        Str("%.0f ms", net_push_ms), "");
  t.Add(Str("  the same %" PRIu64 " PUTs, 4 at a time", seg_puts), Str("%.0f ms", net_push4_ms),
        "");
  t.Add("  zstd level 1 of the file's 16-page frames (what push does), 1 thread / 2 threads",
        Str("%.0f ms / %.0f ms → %.0f MiB", level1.ms, level1x2.ms, MiB(level1.stored)), "");
  t.Add("  zstd level 3 instead (what commits use), 1 thread / 2 threads",
        Str("%.0f ms / %.0f ms → %.0f MiB", level3.ms, level3x2.ms, MiB(level3.stored)), "");
  t.Add("  decode (checksum + decompress) every level-1 frame, 1 thread / 2 threads",
        Str("%.0f ms / %.0f ms", level1.decode_ms, level1x2.decode_ms), "");
  t.Add("pull, where the time goes: the same pull from mem:// (CPU: decompress, write)",
        Str("%.0f ms", mem_pull_ms), "");
  t.Add(Str("pull, where the time goes: %" PRIu64 " sequential ranged GETs of %.1f KiB (network)",
            frame_gets, static_cast<double>(frame_bytes) / 1024),
        Str("%.0f ms", net_pull_ms), "");
  t.Add(Str("  instead: %" PRIu64 " GETs of whole %.1f MiB segments, one at a time / 4 at a time",
            seg_puts, MiB(seg_bytes)),
        Str("%.0f ms / %.0f ms", net_seg_get_ms, net_seg_get4_ms) +
            (env.dynamodb() ? Str(" (%.0f RCU)", seg_get_ddb.rcu()) : ""),
        "");
  t.Print();
  for (int i = 0; i < args.transfer_runs; i++) {
    std::printf("  run %d: push %.0f ms, pull %.0f ms; raw PUT %.0f ms, raw GET %.0f ms", i + 1,
                push_ms[i], pull_ms[i], raw_put_ms[i], raw_get_ms[i]);
    if (aws) std::printf("; aws s3 cp up %.0f ms, down %.0f ms", aws_up_ms[i], aws_down_ms[i]);
    std::printf("\n");
  }
}

// ---- main -----------------------------------------------------------------------------------

void CleanUp(Env& env) {
  for (const std::string& name : env.databases) {
    cl::Status s = cl::RemoveDatabase(env.DbUri(name));
    if (!s.ok() && !s.IsNotFound()) std::fprintf(stderr, "cleanup: %s\n", s.ToString().c_str());
  }
  std::vector<std::string> keys = Take(cl::ListAll(*env.raw, env.run + "-raw/"), "listing");
  if (!keys.empty()) Check(env.raw->Delete(keys), "cleanup");
  std::filesystem::remove_all(env.dir);
}

int Main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  if (args.child == "cold") return ColdChild(args);
  if (args.child == "get") return GetChild(args);
  if (args.store.empty())
    Die("--store=s3://BUCKET[/PREFIX] or dynamodb://TABLE[/PREFIX] is required");

  Env env;
  env.store = Take(cl::Uri::Parse(args.store), "parsing --store");
  if (!env.s3() && !env.dynamodb()) Die("--store must be an s3:// or dynamodb:// URI");
  env.run = "b" + cl::RandomHex(6);
  env.dir = MakeWorkDir(args.dir, "cloudlite-store-bench");
  env.raw = OpenRaw(env.store);
  PrintMachine(env.dir);
  std::printf("store: %s, objects under %s-*\n", env.raw->Describe().c_str(), env.run.c_str());
  if (env.s3() && !args.aws.empty()) {
    std::printf("awscli: ");
    std::fflush(stdout);
    if (std::system((args.aws + " --version 2>&1").c_str()) != 0) Die("aws --version failed");
  }

  if (args.Wants("writes") || args.Wants("reads")) {
    auto db = OpenPoints(args, env);
    if (args.Wants("writes")) RunWrites(args, env, *db);
    if (args.Wants("reads")) RunReads(args, env, *db);
  }
  if (args.Wants("cold") || args.Wants("transfer")) {
    uint64_t size_mb = args.size_mb > 0 ? args.size_mb : (env.s3() ? 1024 : 100);
    BigDb big = BuildBigDb(env, size_mb);
    if (args.Wants("cold")) RunCold(args, env, big);
    if (args.Wants("transfer")) RunTransfer(args, env, big);
  }
  std::printf("\nload average at end: %s\n", LoadAverage().c_str());

  if (args.keep) {
    std::printf("kept %s and the objects under %s-*\n", env.dir.c_str(), env.run.c_str());
  } else {
    CleanUp(env);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
