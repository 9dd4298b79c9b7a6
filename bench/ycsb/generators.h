// The number generators of YCSB's CoreWorkload (site.ycsb.generator), reproduced so that the
// keys, the key popularity and the values are those a YCSB run sends: FNV-64 hashed insert order,
// the scrambled zipfian chooser (constant 0.99, its precomputed zeta over 10^10 items), the skewed
// "latest" chooser over acknowledged inserts, uniform choosers and random printable values.
//
// Every chooser holds its own random state: one per client thread, as YCSB's thread-local
// Random. The one shared object is the AcknowledgedCounter (the keys inserted during a run).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace cloudlite::ycsb {

// YCSB's Utils.fnvhash64: FNV-1a over the value's 8 bytes, least significant first, as Java's
// signed long, returned as its absolute value.
int64_t FnvHash64(int64_t value);

// CoreWorkload.buildKeyName with insertorder=hashed and zeropadding=1: "user" + hash of keynum.
std::string KeyName(int64_t keynum);

// A small fast generator (xoshiro256**), seeded per thread.
class Random {
 public:
  explicit Random(uint64_t seed);
  uint64_t Next();
  double NextDouble();                        // [0, 1), 53 bits as java.util.Random's
  int64_t Uniform(int64_t min, int64_t max);  // inclusive bounds
  uint32_t NextInt() { return static_cast<uint32_t>(Next() >> 32); }

 private:
  uint64_t s_[4];
};

// ZipfianGenerator (Gray et al., SIGMOD 1994) over [min, max]. NextLong(itemcount) may grow the
// item count (zeta is extended incrementally, as YCSB does; eta keeps the constructor's item
// count, also as YCSB does).
class Zipfian {
 public:
  static constexpr double kConstant = 0.99;
  Zipfian(int64_t min, int64_t max, double constant = kConstant);
  Zipfian(int64_t min, int64_t max, double constant, double zetan);  // precomputed zeta

  int64_t Next(Random& random) { return NextLong(random, items_); }
  int64_t NextLong(Random& random, int64_t itemcount);

  static double Zeta(int64_t from, int64_t to, double theta, double initial);

 private:
  int64_t items_;
  int64_t base_;
  double theta_, alpha_, zetan_, eta_, zeta2theta_;
  int64_t count_for_zeta_;
};

// ScrambledZipfianGenerator: zipfian over 10^10 items, hashed into [min, max].
class ScrambledZipfian {
 public:
  static constexpr int64_t kItemCount = 10'000'000'000LL;
  static constexpr double kZetan = 26.46902820178302;
  ScrambledZipfian(int64_t min, int64_t max);
  int64_t Next(Random& random);

 private:
  int64_t min_, itemcount_;
  Zipfian zipfian_;
};

// AcknowledgedCounterGenerator: hands out insert key numbers, and reports as Last() the highest
// number below which every number has been acknowledged (so readers never pick a key whose
// insert has not completed). Shared by all threads.
class AcknowledgedCounter {
 public:
  explicit AcknowledgedCounter(int64_t start) : next_(start), limit_(start - 1) {}
  int64_t NextValue();
  void Acknowledge(int64_t value);
  int64_t Last() const;

 private:
  mutable std::mutex mu_;
  int64_t next_;
  int64_t limit_;
  std::vector<int64_t> pending_;  // acknowledged above limit_, a min-heap
};

// SkewedLatestGenerator: max - zipfian(max), max the last acknowledged insert.
class SkewedLatest {
 public:
  explicit SkewedLatest(const AcknowledgedCounter* basis);
  int64_t Next(Random& random);

 private:
  const AcknowledgedCounter* basis_;
  Zipfian zipfian_;
};

// DiscreteGenerator: one of the values, weighted.
class Discrete {
 public:
  void Add(double weight, int value);
  int Next(Random& random) const;

 private:
  std::vector<std::pair<double, int>> values_;
  double sum_ = 0;
};

// RandomByteIterator's bytes: printable characters, 6 from each random int, ' ' + (bits & 95),
// (bits & 63), ... as YCSB draws them.
std::string RandomValue(Random& random, size_t length);

}  // namespace cloudlite::ycsb
