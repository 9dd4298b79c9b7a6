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
//
// The parts live in store_bench_*.cc, one per job (store_bench.h lists them).
#include "store_bench.h"

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

namespace cloudlite::store_bench {

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    const auto [name, value] = SplitFlag(arg);
    auto number = [&] { return FlagNumber(name, value); };
    auto positive = [&]() { return static_cast<int>(std::max<int64_t>(1, number())); };
    if (name == "--store") {
      a.store = value;
    } else if (name == "--only") {
      a.only = ParseOnly(value, {"writes", "reads", "cold", "transfer"});
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

namespace {

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

}  // namespace cloudlite::store_bench

int main(int argc, char** argv) { return cloudlite::store_bench::Main(argc, argv); }
