// cloudlite_memory_bench: the peak memory of one big write transaction, cloudlite on the
// file:// store against plain SQLite doing the same in the same run (docs/benchmarks.md).
//
//   cloudlite_memory_bench [--sizes-mb=10,100,1024] [--dir=DIR] [--keep]
//
// For each size S: builds a database of about S MiB locally (BuildBig), pushes it, and then, in
// a fresh process each (this binary re-executed, so that its peak RSS is the transaction's own),
// runs `UPDATE big SET a = randomblob(500)`: one transaction that rewrites every row, so it
// changes about S MiB of pages (and journals as much). The cloudlite child runs it through
// Database::Update; the plain child on a copy of the local file, journal_mode=DELETE. Prints each
// child's peak RSS (VmHWM), the ratio, and the store requests of the cloudlite transaction.
// Nothing here asserts anything; the numbers are for people.
#include <sqlite3.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "cloudlite/admin.h"
#include "cloudlite/database.h"

namespace {

namespace cl = cloudlite;
using namespace cl::bench;  // NOLINT(build/namespaces): the shared benchmark helpers

constexpr char kUpdate[] = "UPDATE big SET a = randomblob(500)";

struct Args {
  std::vector<uint64_t> sizes_mb = {10, 100, 1024};
  std::string dir;
  bool keep = false;
  // The fresh process: "cloud" (uri) or "plain" (path).
  std::string child;
  std::string uri;
  std::string path;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    auto [name, value] = SplitFlag(argv[i]);
    if (name == "--sizes-mb") {
      a.sizes_mb.clear();
      for (const std::string& size : SplitList(value)) {
        a.sizes_mb.push_back(static_cast<uint64_t>(FlagNumber(name, size)));
      }
    } else if (name == "--dir") {
      a.dir = value;
    } else if (name == "--keep") {
      a.keep = true;
    } else if (name == "--child") {
      a.child = value;
    } else if (name == "--uri") {
      a.uri = value;
    } else if (name == "--path") {
      a.path = value;
    } else {
      Die("unknown argument " + std::string(argv[i]) +
          "\nusage: cloudlite_memory_bench [--sizes-mb=10,100,1024] [--dir=DIR] [--keep]");
    }
  }
  return a;
}

void PrintPeak(uint64_t rss_start_kib, int64_t ns) {
  std::printf("rss_start_kib=%" PRIu64 "\nrss_peak_kib=%" PRIu64 "\nns=%" PRId64 "\n",
              rss_start_kib, ProcStatusKiB("VmHWM:"), ns);
}

int CloudChild(const Args& args) {
  uint64_t rss_start_kib = ProcStatusKiB("VmHWM:");
  cl::Options options;
  options.create_if_missing = false;
  auto db = Take(cl::Database::Open(args.uri, options), "opening " + args.uri);
  Requests before = Requests::Now();
  int64_t start = NowNs();
  Check(db->Update([](cl::Connection& c) { return c.Exec(kUpdate); }), "update");
  int64_t ns = NowNs() - start;
  Requests r = Requests::Now() - before;
  std::printf("get=%" PRIu64 "\nput=%" PRIu64 "\nlist=%" PRIu64 "\nbytes_out=%" PRIu64 "\n", r.get,
              r.put, r.list, r.bytes_out);
  PrintPeak(rss_start_kib, ns);
  return 0;
}

int PlainChild(const Args& args) {
  uint64_t rss_start_kib = ProcStatusKiB("VmHWM:");
  sqlite3* db = OpenPlain(args.path);
  int64_t start = NowNs();
  Exec(db, "PRAGMA journal_mode=DELETE; BEGIN");
  Exec(db, kUpdate);
  Exec(db, "COMMIT");
  int64_t ns = NowNs() - start;
  sqlite3_close_v2(db);
  PrintPeak(rss_start_kib, ns);
  return 0;
}

std::string MiBText(int64_t kib) { return Str("%.1f MiB", static_cast<double>(kib) / 1024); }

int Main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  if (args.child == "cloud") return CloudChild(args);
  if (args.child == "plain") return PlainChild(args);

  const std::string dir = MakeWorkDir(args.dir, "cloudlite-memory-bench");
  const std::string store_uri = "file://" + dir + "/store";
  PrintMachine(dir);
  std::vector<std::vector<std::string>> rows = {{"transaction changes", "cloudlite peak RSS",
                                                 "plain SQLite peak RSS", "ratio", "cloudlite time",
                                                 "plain time", "commit PUTs", "bytes PUT", "GETs"}};
  for (uint64_t size_mb : args.sizes_mb) {
    const std::string local = dir + Str("/big-%" PRIu64 ".db", size_mb);
    std::printf("(building and pushing a %" PRIu64 " MiB database ...)\n", size_mb);
    std::fflush(stdout);
    BuildBig(local, size_mb);
    uint64_t file_bytes = std::filesystem::file_size(local);
    const std::string uri = store_uri + Str("/big%" PRIu64, size_mb);
    Take(cl::Push(local, uri), "push");
    ChildResult cloud = RunSelf({"--child=cloud", "--uri=" + uri});
    ChildResult plain = RunSelf({"--child=plain", "--path=" + local});
    std::filesystem::remove(local);
    int64_t cloud_kib = cloud.V("rss_peak_kib"), plain_kib = plain.V("rss_peak_kib");
    rows.push_back({Str("%.0f MiB", MiB(file_bytes)), MiBText(cloud_kib), MiBText(plain_kib),
                    Ratio(static_cast<double>(cloud_kib), static_cast<double>(plain_kib)),
                    Str("%.1f s", Ms(cloud.V("ns")) / 1000),
                    Str("%.1f s", Ms(plain.V("ns")) / 1000), Str("%" PRId64, cloud.V("put")),
                    Str("%.1f MiB", MiB(static_cast<uint64_t>(cloud.V("bytes_out")))),
                    Str("%" PRId64, cloud.V("get"))});
  }
  std::printf("\n### Peak RSS of one transaction running `%s` (fresh process each)\n\n", kUpdate);
  PrintMarkdown(rows);
  if (args.keep) {
    std::printf("\nkept %s\n", dir.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
