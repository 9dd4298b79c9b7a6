// A latency histogram in the manner of HdrHistogram: exact below 128 ns, then 64 buckets per
// power of two (a bucket is at most 1/64 = 1.6% wide), so recording is a shift and an increment
// and percentiles are within 1.6% of the true value whatever the range. One per operation type
// per thread; merged at the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace cloudlite::ycsb {

class Histogram {
 public:
  void Record(uint64_t nanos);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double MeanNanos() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }
  // The highest value of the bucket that holds the p-quantile (p in [0, 1]), in nanoseconds:
  // never below the true quantile, at most 1.6% above it.
  uint64_t Quantile(double p) const;

  // Bucket arithmetic, public for the tests.
  static size_t BucketOf(uint64_t nanos);
  static uint64_t BucketHighest(size_t bucket);

 private:
  static constexpr size_t kExact = 128;
  static constexpr size_t kBuckets = kExact + 58 * 64;
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace cloudlite::ycsb
