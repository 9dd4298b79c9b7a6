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

// What a collector learned from a checkpoint: checkpoints never change, so each is read once.
struct CheckpointFacts {
  int64_t time_micros = 0;
  std::string db_id;
  uint64_t base = 0;
  std::vector<std::string> segments;  // the segments its map references, relative to "D/"
};

// What an inline collector keeps across runs, so that a run costs what changed since the last
// one rather than what the store holds (docs/design.md, "Garbage collection").
struct GcMemo {
  std::map<uint64_t, CheckpointFacts> checkpoints;
  // The versions of the records the last run listed and left, ascending: the next run lists
  // only the log after the newest of them. Empty: the next run lists the whole log. Forgotten
  // whenever a run fails or finds one of them gone (another collector, `rm`).
  std::vector<uint64_t> records;
};

struct GcOptions {
  std::optional<RetentionRule> rule;  // overrides the database's rule for this run
  bool dry_run = false;               // decide and report, delete nothing
  const Clock* clock = nullptr;       // default: WallClock()
  GcMemo* memo = nullptr;             // optional: what earlier runs learned (read and updated)
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
