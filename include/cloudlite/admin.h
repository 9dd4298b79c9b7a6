// Whole-database operations: what the CLI's push, pull, ls, rm and info do, as a library.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/status.h"

namespace cloudlite {

// Called with bytes done and bytes total as a long transfer advances.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

// How a push or pull runs.
struct TransferOptions {
  Progress progress;
  // Checked between chunks of the transfer: once it is true, the transfer stops, removes its
  // temporary files and returns IOError ("interrupted"). A signal handler may set it.
  const std::atomic<bool>* cancel = nullptr;
  // push: how long to wait for another process that is writing the local file.
  std::chrono::milliseconds busy_timeout{5000};
  // pull: a retained past version instead of the latest (`cloudlite restore --at`); NotFound
  // naming it when it is not retained.
  PointInTime at = {};
};

// Uploads the SQLite file at `local_path` as a new version of the database at `uri` (creating
// it if needed), with a checkpoint so the version opens without replaying history. Reads a
// consistent snapshot of the file; a hot journal left by a crashed writer is rolled back first
// (which needs write access to the file and its directory: PermissionDenied otherwise). A 0-byte
// file is an empty database, as for SQLite. InvalidArgument if it is not a SQLite database;
// Busy if another process kept the file locked for all of `busy_timeout`.
// Returns the new version.
Result<uint64_t> Push(const std::string& local_path, std::string_view uri,
                      const TransferOptions& options);
Result<uint64_t> Push(const std::string& local_path, std::string_view uri,
                      const Progress& progress = {});

// Writes the latest version (or `options.at`) of the database at `uri` to `local_path`, replaced
// atomically: the
// pages go to a temporary file beside it, renamed over it once complete. A `local_path` that
// exists must be a regular file (InvalidArgument for a directory, device, FIFO, socket or
// symbolic link; links are not followed); the new file keeps its mode. A new file gets
// 0666 minus the umask. Temporaries that an earlier, killed pull to the same path left behind
// are removed first.
Status Pull(std::string_view uri, const std::string& local_path, const TransferOptions& options);
Status Pull(std::string_view uri, const std::string& local_path, const Progress& progress = {});

// The databases under a store URI (file:///dir, s3://bucket/prefix, ...), by name.
Result<std::vector<std::string>> ListDatabases(std::string_view store_uri);

// Ok if the store at `store_uri` answers and lets us in (S3: HEAD bucket; DynamoDB:
// DescribeTable; file://: the directory is there), else why not. One or two requests: what a
// server's readiness probe asks. With `create`, a file:// store's missing directory is made.
Status CheckStore(std::string_view store_uri, bool create = false);

// Removes the database: ends its incarnation with an END record at the next log slot (a
// connection still open on it fails from then on instead of committing), then deletes its
// objects but the END record and the records committed in the last 5 minutes, which a later
// rm deletes (docs/format.md, "Deleting log records"). A name created again later is a new
// incarnation that never reads the old one. NotFound if it does not exist (leftovers of an
// earlier rm are deleted all the same).
Status RemoveDatabase(std::string_view uri);

// Upgrades a database in storage format 1 (which this build reads but does not write) to
// format 2: its current image becomes the genesis of a new incarnation at the next version,
// written only if no commit lands meanwhile (else Busy: run it again). Ok and nothing written
// when it is already in format 2.
Status Migrate(std::string_view uri, const Progress& progress = {});

// Version, size and latest commit of the database. NotFound if it does not exist.
Result<DatabaseInfo> Describe(std::string_view uri);

// The requests this process has made to its stores so far, as one JSON line (the CLI's
// --stats): {"get":N,"put":N,"list":N,"delete":N,"bytes_in":N,"bytes_out":N}. get counts Get,
// GetRange and Head; put counts Put and PutIfAbsent; bytes_in is payload read from the store,
// bytes_out payload written to it.
std::string ProcessStoreStatsJson();

// The process's shared caches so far (for metrics): lookups in the frame cache of decompressed
// pages that found their frame or did not (a miss reads the disk cache or the store), and the
// freshness probes of read transactions made, answered by a probe another read made
// (docs/server.md, "Freshness"), and left unmade because a local store's watch saw no change
// (docs/design.md, "Watching a local log"), and the log records a connection took from the cache
// instead of the store (committed or fetched by another connection: docs/design.md).
struct ProcessCacheStats {
  uint64_t frame_hits = 0;
  uint64_t frame_misses = 0;
  uint64_t probes_made = 0;
  uint64_t probes_shared = 0;
  uint64_t probes_unchanged = 0;
  uint64_t records_known = 0;
  uint64_t cache_capacity_bytes = 0;  // the frame cache's budget (the largest cache_size asked)
};
ProcessCacheStats GetProcessCacheStats();
// Raises the process's frame cache budget now rather than at the first open (a server, at start,
// so that /metrics shows it). Never lowers it.
void ReserveProcessCache(size_t bytes);

// For a process that is a server (the CLI, a Lambda function), called first thing in main:
// turns off SQLite's memory statistics, which put one global mutex around every malloc and free
// (the servers' threads queued on it: docs/benchmarks.md, "Point queries, session 12").
// Nothing in cloudlite reads them. Does nothing once SQLite is initialized; a library user's
// process keeps its own setting.
void ConfigureSqliteForServers();

// A DynamoDB table for dynamodb:// stores, as `cloudlite dynamodb create-table` makes it.
struct DynamoDbTableOptions {
  std::string table;                     // 3-255 of A-Za-z0-9_.-
  std::string endpoint;                  // empty: AWS_ENDPOINT_URL_DYNAMODB, the profile, or AWS
  std::string region;                    // empty: AWS_REGION, the profile, or us-east-1
  std::chrono::seconds wait_limit{300};  // how long to wait for the table to become ACTIVE
  // Progress lines for people ("creating table t (on-demand)..."); may be empty.
  std::function<void(const std::string&)> progress;
};

enum class TableCreation { kCreated, kAlreadyExisted };

// Creates the table with the key schema dynamodb:// stores use (hash_key S, range_key N) and
// on-demand billing, and waits until it is ACTIVE. One that already exists with that schema is
// kAlreadyExisted; with another schema, InvalidArgument. Not ACTIVE in time: Unavailable.
Result<TableCreation> CreateDynamoDbStoreTable(const DynamoDbTableOptions& options);

}  // namespace cloudlite
