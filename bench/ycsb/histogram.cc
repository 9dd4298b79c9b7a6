#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cloudlite::ycsb {

size_t Histogram::BucketOf(uint64_t nanos) {
  if (nanos < kExact) return nanos;
  const int msb = 63 - std::countl_zero(nanos);  // >= 7
  const int shift = msb - 6;                     // nanos >> shift is in [64, 128)
  return kExact + static_cast<size_t>(shift - 1) * 64 + ((nanos >> shift) - 64);
}

uint64_t Histogram::BucketHighest(size_t bucket) {
  if (bucket < kExact) return bucket;
  const size_t shift = (bucket - kExact) / 64 + 1;
  const uint64_t mantissa = (bucket - kExact) % 64 + 64;
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::Record(uint64_t nanos) {
  buckets_[BucketOf(nanos)]++;
  count_++;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; i++) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Quantile(double p) const {
  if (count_ == 0) return 0;
  // The rank of the p-quantile, 1-based: at least the first value, at most the last.
  const uint64_t rank = std::clamp<uint64_t>(
      static_cast<uint64_t>(std::ceil(p * static_cast<double>(count_))), 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; i++) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(BucketHighest(i), max_);
  }
  return max_;
}

}  // namespace cloudlite::ycsb
