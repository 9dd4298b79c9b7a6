#include "generators.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace cloudlite::ycsb {

int64_t FnvHash64(int64_t value) {
  // Java's long arithmetic: wraps around; done unsigned here, where wrapping is defined.
  uint64_t hash = 0xCBF29CE484222325ULL;
  uint64_t v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; i++) {
    hash ^= v & 0xff;
    v >>= 8;
    hash *= 1099511628211ULL;
  }
  int64_t h = static_cast<int64_t>(hash);
  // Math.abs(Long.MIN_VALUE) is Long.MIN_VALUE in Java; keep that (it cannot happen for FNV's
  // outputs in practice, but the key must not differ from YCSB's if it did).
  return h == INT64_MIN ? h : (h < 0 ? -h : h);
}

std::string KeyName(int64_t keynum) { return "user" + std::to_string(FnvHash64(keynum)); }

namespace {
uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Random::Random(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix(seed);
}

uint64_t Random::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Random::NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

int64_t Random::Uniform(int64_t min, int64_t max) {
  // UniformLongGenerator: lb + (long)(nextDouble() * interval).
  const double interval = static_cast<double>(max - min + 1);
  return min + static_cast<int64_t>(NextDouble() * interval);
}

double Zipfian::Zeta(int64_t from, int64_t to, double theta, double initial) {
  double sum = initial;
  for (int64_t i = from; i < to; i++) sum += 1 / std::pow(static_cast<double>(i + 1), theta);
  return sum;
}

Zipfian::Zipfian(int64_t min, int64_t max, double constant)
    : Zipfian(min, max, constant, Zeta(0, max - min + 1, constant, 0)) {}

Zipfian::Zipfian(int64_t min, int64_t max, double constant, double zetan)
    : items_(max - min + 1),
      base_(min),
      theta_(constant),
      alpha_(1.0 / (1.0 - constant)),
      zetan_(zetan),
      zeta2theta_(Zeta(0, 2, constant, 0)),
      count_for_zeta_(items_) {
  eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
}

int64_t Zipfian::NextLong(Random& random, int64_t itemcount) {
  if (itemcount > count_for_zeta_) {
    // More items than last time (inserts during the run): extend zeta. YCSB never shrinks it.
    zetan_ = Zeta(count_for_zeta_, itemcount, theta_, zetan_);
    count_for_zeta_ = itemcount;
    eta_ =
        (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
  }
  const double u = random.NextDouble();
  const double uz = u * zetan_;
  if (uz < 1.0) return base_;
  if (uz < 1.0 + std::pow(0.5, theta_)) return base_ + 1;
  return base_ + static_cast<int64_t>(static_cast<double>(itemcount) *
                                      std::pow(eta_ * u - eta_ + 1, alpha_));
}

ScrambledZipfian::ScrambledZipfian(int64_t min, int64_t max)
    : min_(min), itemcount_(max - min + 1), zipfian_(0, kItemCount, Zipfian::kConstant, kZetan) {}

int64_t ScrambledZipfian::Next(Random& random) {
  return min_ + FnvHash64(zipfian_.Next(random)) % itemcount_;
}

int64_t AcknowledgedCounter::NextValue() {
  std::lock_guard<std::mutex> lock(mu_);
  return next_++;
}

void AcknowledgedCounter::Acknowledge(int64_t value) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back(value);
  std::push_heap(pending_.begin(), pending_.end(), std::greater<>());
  while (!pending_.empty() && pending_.front() == limit_ + 1) {
    std::pop_heap(pending_.begin(), pending_.end(), std::greater<>());
    pending_.pop_back();
    limit_++;
  }
}

int64_t AcknowledgedCounter::Last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

SkewedLatest::SkewedLatest(const AcknowledgedCounter* basis)
    : basis_(basis), zipfian_(0, basis->Last() - 1) {}

int64_t SkewedLatest::Next(Random& random) {
  const int64_t max = basis_->Last();
  return max - zipfian_.NextLong(random, max);
}

void Discrete::Add(double weight, int value) {
  if (weight <= 0) return;
  values_.emplace_back(weight, value);
  sum_ += weight;
}

int Discrete::Next(Random& random) const {
  double v = random.NextDouble();
  for (const auto& [weight, value] : values_) {
    if (v < weight / sum_) return value;
    v -= weight / sum_;
  }
  return values_.empty() ? -1 : values_.back().second;
}

std::string RandomValue(Random& random, size_t length) {
  static constexpr int kShift[6] = {0, 5, 10, 15, 20, 25};
  static constexpr int kMask[6] = {31, 63, 95, 31, 63, 95};
  std::string out(length, ' ');
  int32_t bits = 0;
  for (size_t i = 0; i < length; i++) {
    if (i % 6 == 0) bits = static_cast<int32_t>(random.NextInt());
    out[i] = static_cast<char>(((bits >> kShift[i % 6]) & kMask[i % 6]) + ' ');
  }
  return out;
}

}  // namespace cloudlite::ycsb
