// The history of one database: which versions of its current incarnation can still be read
// (docs/format.md, "Reading a version"), what each record says about the version it made
// (`cloudlite log`), and which version was the latest at a given time. Engine::OpenAt
// (engine.h) opens one of those versions; verify.h checks them all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloudlite/status.h"
#include "engine/history_point.h"
#include "store/object_store.h"

namespace cloudlite::engine {

// What the listings of `log/` and `ckpt/` say is readable.
struct Retained {
  std::string db_id;  // the current incarnation's (16 bytes; zeros in format 1)
  uint64_t base = 1;  // its genesis version
  // Readable versions are oldest..newest: from a checkpoint (or the genesis) every record up to
  // newest is there. A version below oldest is not retained.
  uint64_t oldest = 0;
  uint64_t newest = 0;
  std::vector<uint64_t> records;      // listed record versions >= base, ascending
  std::vector<uint64_t> checkpoints;  // listed checkpoint versions >= base, ascending
};

// Lists the log and the checkpoints of `db` (ListAll: one LIST per 1,000 keys) and reads the
// newest record (or, with no record above it, the newest checkpoint) for the incarnation.
// NotFound when the database does not exist or was removed.
Result<Retained> ListRetained(ObjectStore& store, const std::string& db);

// NotFound naming `version` and the retained range when `version` cannot be read.
Status CheckRetained(const Retained& retained, const std::string& db, uint64_t version);

// The version `at` names: its version, or the newest retained version committed at or before
// its time (a binary search over commit times, one GET per step; writers' clocks may disagree,
// so it is the version v with time(v) <= t < time(v+1)). NotFound when every retained version
// is younger than the time.
Result<uint64_t> ResolveHistoryPoint(ObjectStore& store, const std::string& db,
                                     const Retained& retained, const HistoryPoint& at);

// What one record says about the version it created.
struct VersionSummary {
  uint64_t version = 0;
  int64_t time_micros = 0;
  std::string writer_id;  // 16 raw bytes: random per writing process and database
  uint32_t page_size = 0;
  uint32_t db_pages = 0;
  uint64_t pages_written = 0;  // pages its delta maps
  // The record object's size plus the frames it stored in segments (segment headers and
  // indexes not counted).
  uint64_t bytes_written = 0;
  std::string changeset;  // its CHANGESET section: empty when it carries none
};

// The records of versions in (since, newest], newest first, at most `limit` (0: all), read
// `parallel` at a time. Versions whose record is not listed (below the oldest record kept) are
// not in the answer.
Result<std::vector<VersionSummary>> ReadVersionSummaries(ObjectStore& store, const std::string& db,
                                                         const Retained& retained, uint64_t since,
                                                         uint64_t limit, int parallel = 8);

}  // namespace cloudlite::engine
