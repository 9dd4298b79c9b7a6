// The parts of cloudlite_store_bench (bench/store_bench.cc has the flags and what each part
// measures): the arguments, the run's environment, DynamoDB request counts, and the entry points
// of each part, one file per job:
//   store_bench.cc           flags, the run's store and work directory, awscli, main
//   store_bench_requests.cc  writes and reads: store requests per transaction against raw ones
//   store_bench_cold.cc      cold open + one point query in fresh processes, whole-file baseline
//   store_bench_transfer.cc  push and pull against `aws s3 cp` and raw whole-object requests
#pragma once

#include <cinttypes>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench_util.h"
#include "cloudlite/database.h"
#include "store/dynamodb/dynamodb_client.h"
#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite::store_bench {

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

// The flags (bench/store_bench.cc); Die()s on a bad one.
Args Parse(int argc, char** argv);

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
// ---- cold open and point query ---------------------------------------------------------------

struct BigDb {
  std::string path;
  uint64_t bytes = 0;
  int64_t rows = 0;
  std::string raw_key;  // the whole file as one object
};

// ---- shared by the parts (store_bench.cc) ------------------------------------------------------

// The store the baselines use: same backend and client code as cloudlite's.
std::unique_ptr<cl::ObjectStore> OpenRaw(const cl::Uri& store);
// Runs `aws s3 cp from to` against the store's endpoint; returns nanoseconds.
int64_t AwsCp(const Args& args, const Env& env, const std::string& from, const std::string& to);
// s3://BUCKET/PREFIX/key for a key of the store.
std::string S3Url(const Env& env, const std::string& key);
std::string ReadFile(const std::string& path);
// A child's request counts as `prefix`_name=value lines, and read back by the parent.
void PrintCounts(const char* prefix, const Requests& r, const Ddb& d);
Ddb ChildDdb(const ChildResult& r, const std::string& prefix);

// ---- the parts ---------------------------------------------------------------------------------

// store_bench_requests.cc: the database both share, single-row writes, read transactions.
std::unique_ptr<cl::Database> OpenPoints(const Args& args, Env& env);
void RunWrites(const Args& args, Env& env, cl::Database& db);
void RunReads(const Args& args, Env& env, cl::Database& db);

// store_bench_cold.cc: the big database, the cold open, and the two child processes it runs.
BigDb BuildBigDb(const Env& env, uint64_t size_mb);
void RunCold(const Args& args, Env& env, const BigDb& big);
int ColdChild(const Args& args);
int GetChild(const Args& args);

// store_bench_transfer.cc: push and pull.
void RunTransfer(const Args& args, Env& env, const BigDb& big);

}  // namespace cloudlite::store_bench
