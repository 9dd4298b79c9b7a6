// The one interface between a write transaction's owner (api/transaction.h) and the VFS that
// commits it. SQLite stands between them (BEGIN and COMMIT are SQL, and a lost race reaches the
// caller as a bare SQLITE_BUSY), so the owner says what the next write transaction is before
// BEGIN, and reads how it ended as one value after COMMIT or ROLLBACK. A connection of the plain
// VFS (sqlite3 with the extension) never calls it: its transactions start with the probe, and a
// lost race its pages cannot settle is SQLITE_BUSY, as before.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cloudlite/status.h"

namespace cloudlite::vfs {

// How the next write transaction starts.
struct NextWrite {
  // Skip the freshness probe: the owner has not slept since it last looked at the store, and a
  // stale version only makes the commit fail and catch up. An uncontended write is one request.
  bool skip_probe = false;
  // Inherit the read set of the last write transaction, which lost a race with nothing it read
  // changed: a serializable replay commits only if that still holds at its commit.
  bool inherit_reads = false;
};

// How the last write transaction's commit lost its race (all false if it did not).
struct LostRace {
  bool happened = false;
  bool pages_changed = false;   // a newer commit changed pages it depends on
  bool schema_changed = false;  // ... or page 1 outside the counters (schema, user_version)
  bool header_changed = false;  // it changed page 1 itself that way
};

// Lost races of a connection's commits so far: every commit attempt another writer's commit
// beat, or made stale, and how many of them the VFS settled by moving the pages.
struct RaceCounts {
  uint64_t lost = 0;
  uint64_t moved = 0;
};

// What the backoff after a lost race starts from (docs/concurrency.md, "Backing off").
struct Contention {
  // The round trip of the latest commit attempt that lost a race: winners commit about once per
  // round trip, so coming back sooner mostly loses again.
  std::chrono::microseconds round_trip{0};
  // Races lost in a row, across transactions, halved by each write transaction that commits
  // (one with nothing to commit counts).
  int lost_in_a_row = 0;

  // How long to wait before committing again after `lost` (>= 1) races lost in a row (the
  // connection's own count when larger): base/retry.h, RaceBackoff.
  std::chrono::microseconds Backoff(int lost) const;
};

// How a connection's last write transaction ended, as the VFS saw it.
struct WriteOutcome {
  LostRace lost;
  RaceCounts races;  // the connection's, so far: an attempt's are the difference
  Contention contention;
};

class WriteControl {
 public:
  // Before BEGIN IMMEDIATE.
  virtual void PrepareWrite(const NextWrite& next) = 0;
  // Around a read-only transaction of the owner's (Database::View): SQLite may start more than
  // one read transaction inside one BEGIN (a statement's first prepare reads the schema in a
  // transaction of its own), and only the first probes. The probe, made after BeginView, found
  // the version latest at a moment inside the view, so the view's later read transactions read
  // that same version and the view stays linearizable (docs/vfs.md, "Freshness").
  virtual void BeginView() = 0;
  virtual void EndView() = 0;
  // After COMMIT (or ROLLBACK).
  virtual WriteOutcome Outcome() const = 0;
  // After a write transaction that skipped the probe and committed nothing (it only read):
  // probes now, and says whether what it read is still the same at the latest version. True
  // for any other transaction.
  virtual Result<bool> ConfirmReads() = 0;
  // Inside a write transaction, before COMMIT: the CHANGESET section its commit record carries
  // (format::EncodeRowChanges; docs/format.md), for the change feed. It is the same section if
  // the VFS moves the pages onto a newer version. Forgotten when the write transaction ends.
  virtual void SetRowChanges(std::string section) = 0;
  // Inside a write transaction, before COMMIT: `hook` (which must outlive the transaction) is
  // called with the committed version on the committing thread as soon as the commit record is
  // durable in the store, before the engine adopts it and SQLite ends the COMMIT, so that a
  // server can answer while that bookkeeping goes on. At most once; never if nothing commits.
  // Forgotten when the write transaction ends.
  virtual void SetDurableHook(const std::function<void(uint64_t version)>* hook) = 0;

 protected:
  ~WriteControl() = default;
};

}  // namespace cloudlite::vfs
