// cloudlite_store_bench, transfer: push and pull against `aws s3 cp` and whole-object requests
// of the same client (store_bench.h).
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

// ---- push and pull ---------------------------------------------------------------------------

namespace {

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

}  // namespace

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

}  // namespace cloudlite::store_bench
