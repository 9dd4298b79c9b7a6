// Verify: reads every object a retained version of a database needs and reports what is damaged
// or missing, changing nothing (`cloudlite verify`, docs/cli.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloudlite/status.h"
#include "store/object_store.h"

namespace cloudlite::engine {

struct Damage {
  std::string key;   // the object's store key
  std::string what;  // why it is damaged or missing
};

struct VerifyReport {
  uint64_t base = 0;    // the incarnation's first version
  uint64_t oldest = 0;  // retained versions: oldest..newest
  uint64_t newest = 0;
  uint64_t records = 0;      // records read and checked
  uint64_t checkpoints = 0;  // checkpoints read and checked
  uint64_t segments = 0;     // segments read and checked
  uint64_t frames = 0;       // frames whose checksum was verified
  uint64_t bytes = 0;        // bytes read
  std::vector<Damage> damage;
  // Versions in oldest..newest whose page map reaches a damaged or missing object (ranges,
  // ascending, first and last inclusive).
  std::vector<std::pair<uint64_t, uint64_t>> damaged_versions;
  // Segments no retained record or checkpoint references: garbage (an upload whose commit lost
  // the race, or history below the oldest retained version), not damage.
  std::vector<std::string> unreferenced;
};

// Walks `db`: every record and checkpoint of its current incarnation (checksums, version, chain,
// incarnation, the objects their page maps and RECENT sections name), every segment they
// reference (index, footer and each frame's checksum), and the log's continuity (a record
// missing between two retained ones, or between the newest checkpoint and the newest record).
// `parallel` objects are read at a time. Store errors other than NotFound are returned as
// errors: a report says only what the store answered.
Result<VerifyReport> Verify(ObjectStore& store, const std::string& db, int parallel = 8);

}  // namespace cloudlite::engine
