// cloudlite_json_bench: nlohmann::json against Boost.JSON on DynamoDB-shaped documents, in one
// run, to choose the project's one JSON library (docs/benchmarks.md, "JSON libraries").
//
//   cloudlite_json_bench [--benchmark_repetitions=3] [any other Google Benchmark flag]
//
// Documents (fixed seed): an item has two key attributes ({"S":...}, {"N":...}), eight string
// attributes, one number and one string set, padded to the size asked for.
//   put    a PutItem request: one 1 KiB item and a ConditionExpression
//   batch  a BatchWriteItem request: 25 PutRequests of 4 KiB items (~100 KiB)
//   query  a Query response: 1000 items of 1 KiB (~1 MiB)
// Parse: bytes -> DOM (Boost.JSON with the default allocator, as the project parses, and into a
// monotonic arena, as a server could per request). Serialize: an existing DOM -> bytes.
// After Google Benchmark's table it prints the CPU times and the ratios nlohmann / Boost.JSON.
// Built only when nlohmann_json is installed: the project itself no longer uses it.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

namespace bj = boost::json;

// ---- documents ------------------------------------------------------------------------------

std::string RandomText(std::mt19937_64& rng, size_t n) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s(n, ' ');
  for (char& c : s) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

// One item of about `bytes` bytes of JSON.
bj::object Item(std::mt19937_64& rng, size_t bytes) {
  bj::object item;
  item["hash_key"] = {{"S", "cloudlite/" + RandomText(rng, 24)}};
  item["range_key"] = {{"N", std::to_string(rng() % 1000000)}};
  const size_t per_attr = bytes > 320 ? (bytes - 320) / 8 : 8;
  for (int i = 0; i < 8; i++) {
    item["attr" + std::to_string(i)] = {{"S", RandomText(rng, per_attr)}};
  }
  item["count"] = {{"N", std::to_string(rng() % 100000)}};
  bj::array set;
  for (int i = 0; i < 3; i++) set.emplace_back(RandomText(rng, 8));
  item["tags"] = {{"SS", std::move(set)}};
  return item;
}

std::string PutItemText() {
  std::mt19937_64 rng(1);
  bj::object req;
  req["TableName"] = "bench";
  req["Item"] = Item(rng, 1024);
  req["ConditionExpression"] = "attribute_not_exists(#h) OR #w = :w";
  req["ExpressionAttributeNames"] = {{"#h", "hash_key"}, {"#w", "w"}};
  req["ExpressionAttributeValues"] = {{":w", {{"S", RandomText(rng, 32)}}}};
  return bj::serialize(req);
}

std::string BatchWriteText() {
  std::mt19937_64 rng(2);
  bj::array writes;
  for (int i = 0; i < 25; i++) {
    writes.emplace_back(bj::object{{"PutRequest", {{"Item", Item(rng, 4096)}}}});
  }
  return bj::serialize(bj::object{{"RequestItems", {{"bench", std::move(writes)}}}});
}

std::string QueryText() {
  std::mt19937_64 rng(3);
  bj::array items;
  for (int i = 0; i < 1000; i++) items.emplace_back(Item(rng, 1024));
  return bj::serialize(bj::object{{"Items", std::move(items)}, {"Count", 1000}});
}

const std::string& Document(int shape) {
  static const std::string kDocs[] = {PutItemText(), BatchWriteText(), QueryText()};
  return kDocs[shape];
}
constexpr const char* kShapeNames[] = {"put_1KiB", "batch_25x4KiB", "query_1000x1KiB"};

// ---- benchmarks -----------------------------------------------------------------------------

void NlohmannParse(benchmark::State& state) {
  const std::string& text = Document(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    benchmark::DoNotOptimize(j);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BoostParse(benchmark::State& state) {
  const std::string& text = Document(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    boost::system::error_code ec;
    bj::value v = bj::parse(text, ec);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BoostParseArena(benchmark::State& state) {
  const std::string& text = Document(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    bj::monotonic_resource arena;
    boost::system::error_code ec;
    bj::value v = bj::parse(text, ec, &arena);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void NlohmannSerialize(benchmark::State& state) {
  const std::string& text = Document(static_cast<int>(state.range(0)));
  const nlohmann::json j = nlohmann::json::parse(text);
  for (auto _ : state) {
    std::string out = j.dump();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BoostSerialize(benchmark::State& state) {
  const std::string& text = Document(static_cast<int>(state.range(0)));
  const bj::value v = bj::parse(text);
  for (auto _ : state) {
    std::string out = bj::serialize(v);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK(NlohmannParse)->DenseRange(0, 2);
BENCHMARK(BoostParse)->DenseRange(0, 2);
BENCHMARK(BoostParseArena)->DenseRange(0, 2);
BENCHMARK(NlohmannSerialize)->DenseRange(0, 2);
BENCHMARK(BoostSerialize)->DenseRange(0, 2);

// Prints as usual and keeps each benchmark's CPU time per iteration (the median when repeated):
// on a shared machine the wall time mostly measures the other processes.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Iteration && run.repetitions <= 1) {
        ns_[run.run_name.str()] = run.GetAdjustedCPUTime();
      } else if (median) {
        ns_[run.run_name.str()] = run.GetAdjustedCPUTime();
      }
    }
  }
  double Get(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> ns_;  // nanoseconds (the default time unit)
};

void PrintRatios(const RecordingReporter& r) {
  std::printf(
      "\n| document | bytes | nlohmann parse | Boost.JSON parse | ratio | arena parse |"
      " nlohmann dump | Boost.JSON serialize | ratio |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  for (int shape = 0; shape < 3; shape++) {
    const std::string arg = "/" + std::to_string(shape);
    const double np = r.Get("NlohmannParse" + arg), bp = r.Get("BoostParse" + arg);
    const double ba = r.Get("BoostParseArena" + arg);
    const double ns = r.Get("NlohmannSerialize" + arg), bs = r.Get("BoostSerialize" + arg);
    auto us = [](double nanos) { return nanos / 1000; };
    std::printf("| %s | %zu | %.1f µs | %.1f µs | %.1f× | %.1f µs | %.1f µs | %.1f µs | %.1f× |\n",
                kShapeNames[shape], Document(shape).size(), us(np), us(bp), bp > 0 ? np / bp : 0,
                us(ba), us(ns), us(bs), bs > 0 ? ns / bs : 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  PrintRatios(reporter);
  return 0;
}
