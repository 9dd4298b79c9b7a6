// Garbage collection on demand (`cloudlite gc`): deletes the history a database's retention
// rule no longer keeps (docs/design.md, "Garbage collection"). Writers also collect inline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite {

struct GcSettings {
  // Override the database's stored rule for this run. `retain` and `retain_versions` replace
  // its retention together: set one, and the other rule is off for this run.
  std::optional<std::chrono::microseconds> retain;
  std::optional<uint64_t> retain_versions;
  std::optional<std::chrono::microseconds> grace;
  bool dry_run = false;  // report what would go, delete nothing
  bool save = false;     // store the resulting rule as the database's rule first
};

struct GcResult {
  // The rule applied (0: that rule is off).
  std::chrono::microseconds retain{0};
  uint64_t retain_versions = 0;
  std::chrono::microseconds grace{0};
  uint64_t newest = 0;          // the newest version
  uint64_t horizon = 0;         // versions from here on are kept; 0: nothing collected
  std::string nothing_because;  // why nothing was collected, when horizon is 0
  std::vector<std::string> checkpoints, records, segments, rules;  // deleted (or would be)
  uint64_t requests = 0;
  bool dry_run = false;
};

// Collects the garbage of the database at `uri`. NotFound if it does not exist; InvalidArgument
// for a negative duration or a count of 0.
Result<GcResult> CollectGarbage(std::string_view uri, const GcSettings& settings = {});

// Parses a duration for --retain and --grace: a number with a unit, `ms`, `s`, `m`, `h` or `d`
// ("90s", "2h", "7d"). InvalidArgument otherwise.
Result<std::chrono::microseconds> ParseDuration(std::string_view text);

}  // namespace cloudlite
