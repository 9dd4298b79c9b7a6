// How a database is opened: one typed value for the library, the CLI and the VFS.
//
// Options come from code (Database::Open's argument), from query parameters of a URI
// (`file:///dir/db?cache_size=67108864`, `file:db?vfs=cloudlite&store=...&isolation=snapshot`)
// and from CLOUDLITE_* environment variables. Each parameter is validated in one place
// (src/vfs/options.cc); an unknown name or a malformed value is InvalidArgument naming it.
// docs/vfs.md lists every parameter with its valid range.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite {

class Connection;

// What Update promises when other writers commit between a transaction's start and its commit
// (docs/concurrency.md).
enum class Isolation {
  // As if transactions ran one at a time. A transaction that lost the race is moved onto the
  // new version without re-running its function only when nothing it read has changed.
  kSerializable,
  // Snapshot isolation (s3db's semantics): a transaction's row changes are replayed on the new
  // version unless another commit changed the same rows. Cheaper under contention; allows
  // write skew.
  kSnapshot,
};

// A schema change applied exactly once per database, in version order. The applied version is
// kept in PRAGMA user_version; several processes opening at once apply each migration once.
struct Migration {
  int version = 0;  // 1, 2, 3, ...
  std::string name;
  std::function<Status(Connection&)> up;
};

// A point in a database's history: a version, or a time (the newest version committed at or
// before it). Empty (both 0): the latest version.
struct PointInTime {
  uint64_t version = 0;
  int64_t time_micros = 0;  // Unix time in microseconds; used when non-zero
  bool empty() const { return version == 0 && time_micros == 0; }
};

// Reads a version number ("42") or a UTC time in ISO 8601 ("2024-05-01T12:00:00Z", with an
// optional fraction of a second and an optional "Z"; "2024-05-01 12:00:00" too).
// InvalidArgument says what is accepted.
Result<PointInTime> ParsePointInTime(std::string_view text);

inline constexpr size_t kDefaultCacheBytes = 32 << 20;
inline constexpr uint64_t kDefaultWriteMemory = 64 << 20;

struct Options {
  // Database::Open only: create the database if it does not exist.
  bool create_if_missing = true;
  // URI `isolation=serializable|snapshot`, $CLOUDLITE_ISOLATION.
  Isolation isolation = Isolation::kSerializable;
  // In-memory cache of decompressed pages, shared by the process's databases (it only grows).
  // URI `cache_size`, $CLOUDLITE_CACHE_SIZE.
  size_t cache_bytes = kDefaultCacheBytes;
  // Optional directory for a disk cache of fetched (immutable) objects; survives restarts,
  // e.g. Lambda's /tmp. Empty: none. URI `cache_dir`, $CLOUDLITE_CACHE_DIR.
  std::string cache_dir;
  // The disk cache's bound: least recently used entries are deleted to stay within it
  // (docs/vfs.md, "The disk cache"). 0: the default, 1 GiB but at most half the space free for
  // `cache_dir`. URI `cache_max_bytes`, $CLOUDLITE_CACHE_MAX_BYTES.
  uint64_t cache_max_bytes = 0;
  // How much of a write transaction's dirty pages, and of its rollback journal, stays in memory;
  // the rest goes to an unlinked temporary file (docs/vfs.md, "Memory"). URI `write_memory`,
  // $CLOUDLITE_WRITE_MEMORY.
  uint64_t write_memory = kDefaultWriteMemory;
  // Database::Update only: attempts of a function at most, when concurrent commits win the race.
  int max_attempts = 32;
  // Read transactions skip the freshness check if the last one is younger than this.
  // URI `max_staleness_ms`.
  std::chrono::milliseconds max_staleness{0};
  // The plain VFS's advisory writer lease (docs/concurrency.md, "Writer lease"). Database::Open
  // never takes it: Update settles lost races itself, more cheaply. URI `lease=on|off`,
  // $CLOUDLITE_LEASE; `lease_wait_ms`.
  bool writer_lease = true;
  std::chrono::milliseconds lease_wait{5000};
  // Database::Update only: each commit record carries the transaction's row changes, which the
  // change feed reads (cloudlite/changes.h; docs/format.md, "CHANGESET section").
  bool change_feed = true;
  // Database::Open only.
  std::vector<Migration> migrations;
  // Database::Open only: the page size of a database it creates (SQLite's PRAGMA page_size, set
  // before the migrations make the first page); an existing database keeps its own. 0: SQLite's
  // default, 4096; else a power of two from 512 to 65536 (InvalidArgument otherwise). Rows longer
  // than about a quarter of a page spill onto overflow pages, which SQLite reads around its page
  // cache, through the VFS, every time (docs/dynamodb.md, "Items in a partition").
  uint32_t page_size = 0;
  // Time travel: open this retained version, read-only (any write fails with NotSupported and
  // says so), never moving to newer versions. A version that is not retained is NotFound naming
  // it. Empty: the latest version. URI `at=VERSION|TIME` (docs/vfs.md).
  PointInTime at = {};
};

// `base` with the CLOUDLITE_* environment variables applied over it (docs/vfs.md): what the
// CLI and the sqlite3 extension use. InvalidArgument names a malformed variable.
Result<Options> OptionsFromEnvironment(Options base = {});

}  // namespace cloudlite
