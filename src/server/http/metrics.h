// A small thread-safe Prometheus registry: counters, gauges and histograms with fixed buckets,
// each family with labels, rendered in the text exposition format (version 0.0.4) for
// `GET /metrics`. Metrics are created once (under a lock) and then updated lock-free: keep the
// pointer a lookup returns, it lives as long as the registry.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/handler.h"

namespace cloudlite::server {

// Label name and value pairs, in the order the family declares them.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(double by = 1) { value_.fetch_add(by >= 0 ? by : 0, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, ascending; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf (which is the count); and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms to 30 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  // The metric of family `name` with these label values, created on first use. Names that are
  // not Prometheus names have their other characters replaced by '_'. Asking for a name already
  // registered with another type returns a metric that counts but is never rendered (a bug in
  // the caller, which must not take the server down).
  Counter* GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge* GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram* GetHistogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                          const Labels& labels = {});

  // The text exposition format, families sorted by name, series by label values.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // keyed by rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family* FamilyFor(std::string_view name, std::string_view help, Type type);
  void RenderFamily(std::string* out, const std::string& name, const Family& family) const;

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  Family orphans_{Type::kCounter, "", {}, {}, {}};  // type conflicts land here, unrendered
};

// `GET /metrics`: the registry rendered with the exposition format's content type.
Response MetricsResponse(const MetricsRegistry& registry);

}  // namespace cloudlite::server
