// cloudlite_sigv4_bench: what signing one request costs (Google Benchmark), against hashing its
// body alone, the part of a signature no implementation can skip. A DynamoDB GetItem of YCSB's
// shape, as the load generator and the dynamodb:// store sign thousands per second.
//
//   build/bench/cloudlite_sigv4_bench
#include <benchmark/benchmark.h>

#include <string>

#include "net/crypto.h"
#include "net/http_client.h"
#include "net/sigv4.h"

namespace {

const std::string kBody =
    R"({"TableName":"usertable","Key":{"id":{"S":"user6284781860667377211"}},)"
    R"("ConsistentRead":false})";

void BM_SignGetItem(benchmark::State& state) {
  for (auto _ : state) {
    cloudlite::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:8000/";
    request.body = kBody;
    request.SetHeader("Content-Type", "application/x-amz-json-1.0");
    request.SetHeader("X-Amz-Target", "DynamoDB_20120810.GetItem");
    cloudlite::SigV4Params params;
    params.service = "dynamodb";
    params.region = "us-east-1";
    auto signed_request = cloudlite::SignRequest(&request, {"AKID", "SECRET", ""}, params);
    benchmark::DoNotOptimize(signed_request);
  }
}
BENCHMARK(BM_SignGetItem);

void BM_HashBodyOnly(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(cloudlite::Sha256Hex(kBody));
}
BENCHMARK(BM_HashBodyOnly);

}  // namespace

BENCHMARK_MAIN();
