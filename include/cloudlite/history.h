// A database's history, as a library: what `cloudlite log`, `restore`, `verify` and `checkpoint`
// do (docs/cli.md). Time-travel reads are Options::at (options.h); restoring to a local file is
// Pull with TransferOptions::at (admin.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlite/admin.h"
#include "cloudlite/options.h"
#include "cloudlite/status.h"

namespace cloudlite {

// Rows one commit changed in one table.
struct TableChanges {
  std::string table;
  uint64_t inserted = 0;
  uint64_t updated = 0;
  uint64_t deleted = 0;
};

// One version, as its commit record describes it.
struct VersionRecord {
  uint64_t version = 0;
  int64_t time_micros = 0;  // the writer's clock
  std::string writer;       // 32 hex digits: random per writing process and database
  uint32_t page_size = 0;
  uint32_t pages = 0;          // the database's size after the commit, in pages
  uint64_t pages_written = 0;  // pages the commit stored
  uint64_t bytes_written = 0;  // its record plus the frames it stored in segments
  // Whether the record carries its row changes (a session changeset); when false, `changes` is
  // empty because nobody knows, not because nothing changed.
  bool changes_known = false;
  std::vector<TableChanges> changes;  // by table name
};

struct LogOptions {
  uint64_t since = 0;  // only versions newer than this
  uint64_t limit = 0;  // at most this many, newest first; 0: all
};

// The retained versions of the database at `uri` whose record is still in the store, newest
// first. One LIST per 1,000 records and one GET per version printed (8 at a time).
Result<std::vector<VersionRecord>> ReadLog(std::string_view uri, const LogOptions& options = {});

// The versions a database keeps: oldest..newest can be read (time travel, restore).
struct RetainedVersions {
  uint64_t first_version = 1;  // of this incarnation (docs/format.md)
  uint64_t oldest = 0;
  uint64_t newest = 0;
};
Result<RetainedVersions> ListRetainedVersions(std::string_view uri);

// Writes the version `at` names of the database at `uri` as a new version of the database at
// `to_uri` (created if missing; `to_uri` may be `uri` itself: the past becomes the latest
// version, and nothing in between is lost from the log). Returns {version read, version
// written}.
Result<std::pair<uint64_t, uint64_t>> RestoreToDatabase(std::string_view uri, const PointInTime& at,
                                                        std::string_view to_uri,
                                                        const Progress& progress = {});

// What Verify found.
struct VerifyProblem {
  std::string key;   // the store key, relative to the store URI
  std::string what;  // why it is damaged or missing
};
struct VerifyResult {
  uint64_t first_version = 0;
  uint64_t oldest = 0;  // retained versions
  uint64_t newest = 0;
  uint64_t records = 0;
  uint64_t checkpoints = 0;
  uint64_t segments = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  std::vector<VerifyProblem> problems;  // empty: every retained version reads back intact
  // Versions that read a damaged or missing object, as ranges [first, last].
  std::vector<std::pair<uint64_t, uint64_t>> damaged_versions;
  // Segments no retained version references: garbage, not damage.
  std::vector<std::string> unreferenced_segments;
};

// Reads every record, checkpoint and referenced segment of the database at `uri`, checks
// checksums, versions, the chain of records, references and the log's continuity, and changes
// nothing. Problems are in the result (Ok status); an error is a store that did not answer, or
// NotFound.
Result<VerifyResult> VerifyDatabase(std::string_view uri);

// Writes a checkpoint of the latest version now, if it has none. Returns {version, whether a
// checkpoint was written}.
Result<std::pair<uint64_t, bool>> CheckpointDatabase(std::string_view uri);

}  // namespace cloudlite
