// cloudlite_ycsb: YCSB's core workloads A-F against a DynamoDB-compatible endpoint, sending what
// YCSB's DynamoDB binding sends (bench/ycsb/README.md, docs/benchmarks.md "YCSB (DynamoDB API)").
//
//   cloudlite_ycsb --endpoint=http://127.0.0.1:8000 --workload=a [--recordcount=1000]
//                  [--operationcount=1000] [--threads=16] [--max-seconds=S]
//                  [--phases=create,load,run] [--json] [--label=TEXT] ...
//
// --threads is YCSB's: how many clients run at once, each a closed loop on its own connection.
// They are coroutines, run by --client-threads OS threads (default 1).
//
// Prints per operation type: count, ops/s, latency mean/p50/p99/max and errors; with --json one
// JSON line per phase on stdout (the table then goes to stderr). Exit status: 0 when the phases
// ran, 1 when the table could not be set up or a phase had no successful operation, 2 for bad
// flags.
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runner.h"

namespace {

using namespace cloudlite::ycsb;

struct Flags {
  RunOptions run;
  bool create = false, load = true, transactions = true;
  bool json = false;
  std::string label;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "cloudlite_ycsb: %s\n"
               "usage: cloudlite_ycsb --endpoint=http://HOST:PORT --workload=a|b|c|d|e|f\n"
               "  [--recordcount=N] [--operationcount=N] [--threads=N] [--client-threads=N]\n"
               "  [--max-seconds=S]\n"
               "  [--phases=create,load,run] [--table=NAME] [--key-name=NAME]\n"
               "  [--hash-key-name=NAME [--hash-key-value=V]] (one partition: HASH_AND_RANGE)\n"
               "  [--consistent-read] [--requestdistribution=uniform|zipfian|latest]\n"
               "  [--fieldcount=N] [--fieldlength=N] [--maxscanlength=N] [--seed=N]\n"
               "  [--json] [--label=TEXT]\n",
               why.c_str());
  std::exit(2);
}

int64_t Number(std::string_view name, const std::string& value, int64_t min) {
  char* end = nullptr;
  const long long n = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < min) {
    Usage(std::string(name) + " must be an integer >= " + std::to_string(min));
  }
  return n;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  std::string endpoint, workload, distribution;
  int64_t records = 1000, operations = 1000, field_count = 10, field_length = 100, max_scan = 0;
  for (int i = 1; i < argc; i++) {
    const std::string_view arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string value = eq == std::string_view::npos ? "" : std::string(arg.substr(eq + 1));
    if (name == "--endpoint") {
      endpoint = value;
    } else if (name == "--workload") {
      workload = value;
    } else if (name == "--recordcount") {
      records = Number(name, value, 1);
    } else if (name == "--operationcount") {
      operations = Number(name, value, 0);
    } else if (name == "--threads") {
      f.run.threads = static_cast<int>(Number(name, value, 1));
      if (f.run.threads > 1024) Usage("--threads must be at most 1024");
    } else if (name == "--client-threads") {
      f.run.client_threads = static_cast<int>(Number(name, value, 1));
      if (f.run.client_threads > 64) Usage("--client-threads must be at most 64");
    } else if (name == "--max-seconds") {
      f.run.max_seconds = static_cast<double>(Number(name, value, 0));
    } else if (name == "--phases") {
      f.create = value.find("create") != std::string::npos;
      f.load = value.find("load") != std::string::npos;
      f.transactions = value.find("run") != std::string::npos;
    } else if (name == "--table") {
      f.run.client.table = value;
    } else if (name == "--key-name") {
      f.run.client.key_name = value;
    } else if (name == "--hash-key-name") {
      f.run.client.hash_key_name = value;
    } else if (name == "--hash-key-value") {
      f.run.client.hash_key_value = value;
    } else if (name == "--consistent-read") {
      f.run.client.consistent_read = true;
    } else if (name == "--requestdistribution") {
      distribution = value;
    } else if (name == "--fieldcount") {
      field_count = Number(name, value, 1);
    } else if (name == "--fieldlength") {
      field_length = Number(name, value, 1);
    } else if (name == "--maxscanlength") {
      max_scan = Number(name, value, 1);
    } else if (name == "--seed") {
      f.run.seed = static_cast<uint64_t>(Number(name, value, 0));
    } else if (name == "--json") {
      f.json = true;
    } else if (name == "--label") {
      f.label = value;
    } else {
      Usage("unknown flag " + std::string(arg));
    }
  }
  auto parsed = ParseEndpoint(endpoint);
  if (!parsed) Usage("--endpoint must be http://HOST:PORT with HOST an IP address");
  f.run.client.endpoint = *parsed;
  auto spec = CoreWorkload(workload);
  if (!spec) Usage("--workload must be one of a, b, c, d, e, f");
  f.run.spec = *spec;
  f.run.spec.record_count = records;
  f.run.spec.operation_count = operations;
  f.run.spec.field_count = static_cast<int>(field_count);
  f.run.spec.field_length = static_cast<size_t>(field_length);
  if (max_scan > 0) f.run.spec.max_scan_length = max_scan;
  if (!distribution.empty()) {
    auto d = ParseDistribution(distribution);
    if (!d) Usage("--requestdistribution must be uniform, zipfian or latest");
    f.run.spec.distribution = *d;
  }
  return f;
}

double Micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

boost::json::object PhaseJson(const Flags& f, std::string_view phase, const PhaseResult& r) {
  const WorkloadSpec& spec = f.run.spec;
  boost::json::object out;
  out["label"] = f.label;
  out["workload"] = spec.name;
  out["phase"] = phase;
  out["distribution"] = DistributionName(spec.distribution);
  out["threads"] = f.run.threads;
  out["recordcount"] = spec.record_count;
  out["operationcount"] = spec.operation_count;
  out["consistent_read"] = f.run.client.consistent_read;
  out["key_type"] = f.run.client.hash_key_name.empty() ? "HASH" : "HASH_AND_RANGE";
  out["seconds"] = r.seconds;
  out["operations"] = r.operations;
  out["ops_per_s"] = r.seconds > 0 ? static_cast<double>(r.operations) / r.seconds : 0.0;
  out["errors"] = r.errors;
  out["stopped_by_time"] = r.stopped_by_time;
  out["reconnects"] = r.reconnects;
  out["client_cpu_seconds"] = r.cpu_seconds;
  uint64_t requests = 0;
  boost::json::object ops;
  for (size_t i = 0; i < kOpCount; i++) {
    const OpStats& s = r.ops[i];
    requests += s.requests;
    if (s.latency.count() == 0 && s.errors == 0) continue;
    boost::json::object o;
    o["count"] = s.latency.count();
    o["ops_per_s"] = r.seconds > 0 ? static_cast<double>(s.latency.count()) / r.seconds : 0.0;
    o["errors"] = s.errors;
    o["requests"] = s.requests;
    o["mean_us"] = s.latency.MeanNanos() / 1000.0;
    o["p50_us"] = Micros(s.latency.Quantile(0.50));
    o["p99_us"] = Micros(s.latency.Quantile(0.99));
    o["max_us"] = Micros(s.latency.max());
    if (i == static_cast<size_t>(Op::kRead)) o["not_found"] = s.not_found;
    if (i == static_cast<size_t>(Op::kScan)) o["items"] = s.items;
    if (!s.first_error.empty()) o["first_error"] = s.first_error;
    ops[OpName(static_cast<Op>(i))] = std::move(o);
  }
  out["requests"] = requests;
  // The client's own CPU per HTTP request: how far it is from being the bottleneck.
  out["client_cpu_us_per_request"] =
      requests ? r.cpu_seconds * 1e6 / static_cast<double>(requests) : 0.0;
  out["ops"] = std::move(ops);
  return out;
}

void PrintTable(FILE* to, const Flags& f, std::string_view phase, const PhaseResult& r) {
  std::fprintf(to, "[%s] workload %s %s: %d threads, %.2f s, %llu ops, %.0f ops/s, %llu errors%s\n",
               f.label.c_str(), f.run.spec.name.c_str(), std::string(phase).c_str(), f.run.threads,
               r.seconds, static_cast<unsigned long long>(r.operations),
               r.seconds > 0 ? static_cast<double>(r.operations) / r.seconds : 0.0,
               static_cast<unsigned long long>(r.errors),
               r.stopped_by_time ? " (stopped by --max-seconds)" : "");
  std::fprintf(to, "  %-18s %9s %9s %9s %9s %9s %9s %7s\n", "operation", "count", "ops/s",
               "mean ms", "p50 ms", "p99 ms", "max ms", "errors");
  uint64_t requests = 0;
  for (size_t i = 0; i < kOpCount; i++) {
    const OpStats& s = r.ops[i];
    requests += s.requests;
    if (s.latency.count() == 0 && s.errors == 0) continue;
    std::fprintf(to, "  %-18s %9llu %9.0f %9.2f %9.2f %9.2f %9.2f %7llu%s%s\n",
                 std::string(OpName(static_cast<Op>(i))).c_str(),
                 static_cast<unsigned long long>(s.latency.count()),
                 r.seconds > 0 ? static_cast<double>(s.latency.count()) / r.seconds : 0.0,
                 s.latency.MeanNanos() / 1e6, static_cast<double>(s.latency.Quantile(0.5)) / 1e6,
                 static_cast<double>(s.latency.Quantile(0.99)) / 1e6,
                 static_cast<double>(s.latency.max()) / 1e6,
                 static_cast<unsigned long long>(s.errors),
                 s.first_error.empty() ? "" : "  first: ", s.first_error.c_str());
  }
  std::fprintf(to, "  client CPU: %.2f s, %.1f us per HTTP request (%llu requests)\n",
               r.cpu_seconds, requests ? r.cpu_seconds * 1e6 / static_cast<double>(requests) : 0.0,
               static_cast<unsigned long long>(requests));
}

void Report(const Flags& f, std::string_view phase, const PhaseResult& r) {
  PrintTable(f.json ? stderr : stdout, f, phase, r);
  if (f.json) {
    std::printf("%s\n", boost::json::serialize(PhaseJson(f, phase, r)).c_str());
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  if (flags.create) {
    boost::asio::io_context io;
    DynamoDbClient client(io.get_executor(), flags.run.client);
    const Reply reply = Sync(io, client.RecreateTable());
    if (!reply.ok) {
      std::fprintf(stderr, "cloudlite_ycsb: setting up table %s failed: %s\n",
                   flags.run.client.table.c_str(), reply.error.c_str());
      return 1;
    }
  }
  int status = 0;
  auto phase = [&](std::string_view name, const PhaseResult& result) {
    Report(flags, name, result);
    if (result.operations == 0 && result.errors > 0) status = 1;
  };
  if (flags.load) phase("load", RunLoad(flags.run));
  if (flags.transactions) phase("run", RunTransactions(flags.run));
  return status;
}
