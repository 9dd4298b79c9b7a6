// cloudlite_store_bench, writes and reads: store requests per transaction and latency against
// raw requests of the same client (store_bench.h).
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
#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "format/format.h"
#include "store/dynamodb/dynamodb_client.h"
#include "store/registry.h"
#include "store/uri.h"
#include "store_bench.h"

namespace cloudlite::store_bench {

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

namespace {

size_t CountKeys(cl::ObjectStore& store, const std::string& prefix) {
  return Take(cl::ListAll(store, prefix), "listing " + prefix).size();
}

// One raw GET of a key that does not exist: what the freshness probe is.
void RawMiss(cl::ObjectStore& store, const std::string& key) {
  cl::Result<std::string> r = store.Get(key);
  if (!r.status().IsNotFound()) Die("GET " + key + " should be NotFound: " + r.status().ToString());
}

}  // namespace

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
    // The parameter is built in place: a temporary Value here draws GCC 12's false
    // -Wmaybe-uninitialized on std::variant's string member.
    std::vector<cl::Value> params;
    params.emplace_back(id);
    Check(db.View([&](cl::Connection& c) {
      cl::Rows r = Take(c.Query(kPointQuery, params), "query");
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

}  // namespace cloudlite::store_bench
