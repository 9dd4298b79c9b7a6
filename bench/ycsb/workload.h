// YCSB's core workloads A-F (workloads/workloada..f) and CoreWorkload's choice of operation and
// key: the proportions and request distribution of each file, the key chooser CoreWorkload
// builds for that distribution, and nextKeynum()'s rule that a key not yet inserted is drawn
// again.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "generators.h"

namespace cloudlite::ycsb {

enum class Op { kRead, kUpdate, kInsert, kScan, kReadModifyWrite };
inline constexpr size_t kOpCount = 5;
// YCSB's names for the measurements: READ, UPDATE, INSERT, SCAN, READ-MODIFY-WRITE.
std::string_view OpName(Op op);

enum class Distribution { kUniform, kZipfian, kLatest };
std::optional<Distribution> ParseDistribution(std::string_view name);
std::string_view DistributionName(Distribution d);

struct WorkloadSpec {
  std::string name;                           // "a".."f"
  std::array<double, kOpCount> proportion{};  // indexed by Op
  Distribution distribution = Distribution::kZipfian;
  int64_t record_count = 1000;
  int64_t operation_count = 1000;
  int field_count = 10;
  size_t field_length = 100;
  int64_t min_scan_length = 1;
  int64_t max_scan_length = 1000;
};

// The workload file's values (record and operation counts are then the caller's to set).
std::optional<WorkloadSpec> CoreWorkload(std::string_view letter);

// CoreWorkload's keychooser for the spec: uniform over the loaded keys, scrambled zipfian over
// the loaded keys plus twice the expected inserts, or skewed-latest over the acknowledged
// inserts. One per thread (it holds mutable zipfian state); `inserts` is shared.
class KeyChooser {
 public:
  KeyChooser(const WorkloadSpec& spec, const AcknowledgedCounter* inserts);
  // nextKeynum(): draws until the key number is one whose insert has been acknowledged.
  int64_t NextKeynum(Random& random);

 private:
  struct UniformRange {
    int64_t min, max;
  };
  const AcknowledgedCounter* inserts_;
  std::variant<UniformRange, ScrambledZipfian, SkewedLatest> chooser_;
};

// The operation chooser (DiscreteGenerator over the proportions).
Discrete OperationChooser(const WorkloadSpec& spec);

}  // namespace cloudlite::ycsb
