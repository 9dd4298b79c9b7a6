#include "server/http/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace cloudlite::server {
namespace {

TEST(Metrics, RendersCountersAndGaugesWithLabels) {
  MetricsRegistry registry;
  registry.GetCounter("req_total", "Requests", {{"route", "a"}, {"status", "200"}})->Increment();
  registry.GetCounter("req_total", "Requests", {{"route", "a"}, {"status", "200"}})->Increment(2);
  registry.GetCounter("req_total", "Requests", {{"route", "b\"\\\n"}, {"status", "500"}})
      ->Increment();
  registry.GetGauge("open", "Open things")->Set(7);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# HELP open Open things\n# TYPE open gauge\nopen 7\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE req_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("req_total{route=\"a\",status=\"200\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("req_total{route=\"b\\\"\\\\\\n\",status=\"500\"} 1\n"), std::string::npos)
      << text;
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  Histogram* h = registry.GetHistogram("lat_seconds", "Latency", {0.1, 1}, {{"route", "r"}});
  h->Observe(0.05);
  h->Observe(0.1);  // on the bound: in the 0.1 bucket (le)
  h->Observe(0.5);
  h->Observe(3);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"r\",le=\"0.10000000000000001\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"r\",le=\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{route=\"r\"} 3.6"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{route=\"r\"} 4\n"), std::string::npos) << text;
}

TEST(Metrics, BadNamesAndTypeConflictsDoNotBreakTheOutput) {
  MetricsRegistry registry;
  registry.GetCounter("9 bad-name", "x", {{"bad label", "v"}})->Increment();
  registry.GetCounter("dup", "a counter")->Increment();
  registry.GetGauge("dup", "now a gauge")->Set(5);  // a bug in the caller: counted, not shown
  const std::string text = registry.Render();
  EXPECT_NE(text.find("__bad_name{bad_label=\"v\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dup 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("dup 5"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentUpdatesAreCounted) {
  MetricsRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        registry.GetCounter("n_total", "n", {{"k", std::to_string(i % 3)}})->Increment();
        registry.GetHistogram("h", "h", {1}, {})->Observe(0.5);
      }
    });
  }
  for (auto& th : threads) th.join();
  double total = 0;
  for (int k = 0; k < 3; ++k)
    total += registry.GetCounter("n_total", "n", {{"k", std::to_string(k)}})->value();
  EXPECT_EQ(total, 4000);
  EXPECT_EQ(registry.GetHistogram("h", "h", {1}, {})->CumulativeCounts().back(), 4000u);
}

TEST(Metrics, ResponseHasTheExpositionContentType) {
  MetricsRegistry registry;
  registry.GetGauge("g", "g")->Set(1);
  Response r = MetricsResponse(registry);
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].value, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "# HELP g g\n# TYPE g gauge\ng 1\n");
}

}  // namespace
}  // namespace cloudlite::server
