#include "workload.h"

namespace cloudlite::ycsb {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kRead:
      return "READ";
    case Op::kUpdate:
      return "UPDATE";
    case Op::kInsert:
      return "INSERT";
    case Op::kScan:
      return "SCAN";
    case Op::kReadModifyWrite:
      return "READ-MODIFY-WRITE";
  }
  return "?";
}

std::optional<Distribution> ParseDistribution(std::string_view name) {
  if (name == "uniform") return Distribution::kUniform;
  if (name == "zipfian") return Distribution::kZipfian;
  if (name == "latest") return Distribution::kLatest;
  return std::nullopt;
}

std::string_view DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kZipfian:
      return "zipfian";
    case Distribution::kLatest:
      return "latest";
  }
  return "?";
}

std::optional<WorkloadSpec> CoreWorkload(std::string_view letter) {
  WorkloadSpec s;
  s.name = std::string(letter);
  auto set = [&s](double read, double update, double insert, double scan, double rmw) {
    s.proportion = {read, update, insert, scan, rmw};
  };
  if (letter == "a") {
    set(0.5, 0.5, 0, 0, 0);  // update heavy
  } else if (letter == "b") {
    set(0.95, 0.05, 0, 0, 0);  // read mostly
  } else if (letter == "c") {
    set(1, 0, 0, 0, 0);  // read only
  } else if (letter == "d") {
    set(0.95, 0, 0.05, 0, 0);  // read latest
    s.distribution = Distribution::kLatest;
  } else if (letter == "e") {
    set(0, 0, 0.05, 0.95, 0);  // short ranges
    s.max_scan_length = 100;
  } else if (letter == "f") {
    set(0.5, 0, 0, 0, 0.5);  // read-modify-write
  } else {
    return std::nullopt;
  }
  return s;
}

KeyChooser::KeyChooser(const WorkloadSpec& spec, const AcknowledgedCounter* inserts)
    : inserts_(inserts), chooser_(UniformRange{0, spec.record_count - 1}) {
  const auto insert = static_cast<size_t>(Op::kInsert);
  switch (spec.distribution) {
    case Distribution::kUniform:
      break;
    case Distribution::kZipfian: {
      // The keyspace includes the inserts to come (2 is YCSB's fudge factor), so that the
      // popular keys do not move as the table grows; keys not yet inserted are drawn again.
      const auto expected_new_keys = static_cast<int64_t>(
          static_cast<double>(spec.operation_count) * spec.proportion[insert] * 2.0);
      chooser_.emplace<ScrambledZipfian>(0, spec.record_count + expected_new_keys);
      break;
    }
    case Distribution::kLatest:
      chooser_.emplace<SkewedLatest>(inserts);
      break;
  }
}

int64_t KeyChooser::NextKeynum(Random& random) {
  // YCSB truncates the chooser's value to an int (nextValue().intValue()); the same here.
  auto draw = [&]() -> int64_t {
    if (auto* u = std::get_if<UniformRange>(&chooser_)) return random.Uniform(u->min, u->max);
    if (auto* z = std::get_if<ScrambledZipfian>(&chooser_)) return z->Next(random);
    return std::get<SkewedLatest>(chooser_).Next(random);
  };
  int64_t keynum;
  do {
    keynum = static_cast<int32_t>(draw());
  } while (keynum > inserts_->Last());
  return keynum;
}

Discrete OperationChooser(const WorkloadSpec& spec) {
  Discrete d;
  for (size_t i = 0; i < kOpCount; i++) d.Add(spec.proportion[i], static_cast<int>(i));
  return d;
}

}  // namespace cloudlite::ycsb
