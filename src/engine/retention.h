// The database's retention rule (docs/format.md, "Retention rule"; docs/design.md, "Garbage
// collection"): which versions stay readable. Garbage collection applies it; time-travel reads
// rely on it (a version it retains is readable, one it does not may be gone).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "cloudlite/status.h"
#include "store/object_store.h"

namespace cloudlite::engine {

struct RetentionRule {
  // Keep every version committed within this long (0: no duration rule).
  std::chrono::microseconds retain{std::chrono::hours(1)};
  // Keep the newest this many versions (0: no count rule).
  uint64_t retain_versions = 0;
  // Delete an object only this long after it stopped being needed.
  std::chrono::microseconds grace{std::chrono::minutes(5)};

  // Both rules off: all history is kept, nothing is collected.
  bool KeepsEverything() const { return retain.count() == 0 && retain_versions == 0; }
  // Whether version `v`, committed at `commit_micros`, is retained when `newest` is the newest
  // version and the clock reads `now_micros`: either rule keeps it.
  bool Retains(uint64_t v, int64_t commit_micros, uint64_t newest, int64_t now_micros) const;
  bool operator==(const RetentionRule&) const = default;
};

// The rule a database has when it stored none: retain 1 hour, grace 5 minutes.
inline RetentionRule DefaultRetention() { return RetentionRule{}; }

// The database's rule: its newest `retain/` epoch, or DefaultRetention() when it has none.
// Corruption or NotSupported when the newest epoch cannot be read (then nothing is collected).
// Costs one LIST, and one GET when a rule is stored.
Result<RetentionRule> ReadRetention(ObjectStore& store, const std::string& db);

// Stores `rule` as the database's rule: the next epoch, created with PutIfAbsent (a concurrent
// setter's epoch is skipped over, up to a few times).
Status WriteRetention(ObjectStore& store, const std::string& db, const RetentionRule& rule,
                      const Clock& clock = WallClock());

}  // namespace cloudlite::engine
