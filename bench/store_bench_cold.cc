// cloudlite_store_bench, cold: a fresh process opens the big database for one point query,
// against one that downloads the whole file (store_bench.h).
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

// ---- cold open and point query ---------------------------------------------------------------

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
  const auto requests = &ColdRequests;
  const auto bytes = &ColdBytesIn;
  const auto total_ms = &ColdTotalMs;
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

}  // namespace cloudlite::store_bench
