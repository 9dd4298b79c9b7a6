// Garbage collection: deletes the history no retained version needs (docs/design.md, "Garbage
// collection"). The rule comes from the database (retention.h) unless the caller overrides it;
// every deletion goes through deleter.h. Collectors need no coordination: each decides from
// what it lists and reads, and deleting twice is harmless.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cloudlite/status.h"
#include "engine/retention.h"
#include "store/object_store.h"

namespace cloudlite::engine {

// What a collector learned from a checkpoint, kept across runs by an inline collector:
// checkpoints never change, so each is read once.
struct CheckpointFacts {
  int64_t time_micros = 0;
  std::string db_id;
  uint64_t base = 0;
  std::vector<std::string> segments;  // the segments its map references, relative to "D/"
};
using GcMemo = std::map<uint64_t, CheckpointFacts>;

struct GcOptions {
  std::optional<RetentionRule> rule;  // overrides the database's rule for this run
  bool dry_run = false;               // decide and report, delete nothing
  const Clock* clock = nullptr;       // default: WallClock()
  GcMemo* memo = nullptr;             // optional: checkpoints already read
};

struct GcReport {
  RetentionRule rule;           // the rule applied
  uint64_t newest = 0;          // the newest record listed (0: none)
  uint64_t horizon = 0;         // the horizon checkpoint; 0: nothing was collected
  std::string nothing_because;  // when horizon is 0
  // Deleted (with dry_run: would be), by kind, in the order they go.
  std::vector<std::string> checkpoints, records, segments, rules;
  uint64_t requests = 0;  // LIST, GET and DELETE requests made
  bool removed = false;   // the newest record is an END: the database was removed
  uint64_t deleted() const {
    return checkpoints.size() + records.size() + segments.size() + rules.size();
  }
};

// Collects the garbage of database `db`. Errors (the store's, or a checkpoint at or above the
// horizon that cannot be read) stop it; what it deleted before stays deleted, which is safe
// because it deletes checkpoints, then records, then segments.
Result<GcReport> CollectGarbage(ObjectStore& store, const std::string& db,
                                const GcOptions& options = {});

}  // namespace cloudlite::engine
