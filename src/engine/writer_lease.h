// WriterLease: an advisory lease that lets the writers of one database take turns instead of
// racing for the next log slot (docs/concurrency.md, "Writer lease"; docs/format.md).
//
// Safety never depends on it: the log slot fences every writer, so a writer that wrongly
// believes it holds the lease (a skewed clock, a lost answer, a stale cache) only wastes work or
// meets Busy, exactly as without a lease. It exists so that interactive users of the plain VFS
// rarely see SQLITE_BUSY: a writer takes the lease when its transaction starts writing and the
// others wait for it instead of running transactions that would lose the race.
//
// State: the newest object `D/lease/<epoch>`, created only with PutIfAbsent. Its owner holds the
// lease until its expiry (0: released). Every change creates the next epoch:
//  - take a free, released or expired lease: create epoch+1 naming ourselves;
//  - renew: the holder creates epoch+1 naming itself when less than half the duration remains;
//  - release: the holder creates epoch+1 with expiry 0, so a waiter proceeds at its next poll.
// Costs in requests: Acquire while held with at least half the duration left: 0. Taking a free
// lease: 2 (GET of the epoch after the newest this object knows, which is absent, then the
// PutIfAbsent). A WriterLease that knows no epoch yet, or learned it more than gc_age / 2 ago,
// finds the newest with a LIST and a GET of it instead of the probe: 3 in all (2 when there are
// no lease objects: LIST, PutIfAbsent). Renewing or releasing: 1 PutIfAbsent.
// Waiting: one GET per poll, with backoff and jitter. Now and then (at most once per gc_age)
// one LIST and one Delete remove epochs older than the newest minus 8.
//
// Errors: Acquire waits out transient store errors and unknown outcomes while its deadline
// allows (three in a row at most), then returns the error: Unavailable and the like, or
// Ambiguous when the outcome of its own PutIfAbsent stayed unknown (a later Acquire that reads
// that epoch and finds its own name holds the lease). Callers are meant to ignore errors and
// write without the lease.
// A lease object that cannot be decoded counts as expired (and in stats().damaged): the writers
// move past it to the next epoch.
//
// Clocks: expiry is the holder's wall clock. A waiter whose clock runs ahead of the holder's
// takes over early (both then write; the log slot picks one: wasted work); one whose clock runs
// behind waits longer, but never more than the duration after it first saw the epoch (the
// object carries the holder's duration as expiry - granted).
// Thread-safety: one thread at a time (one WriterLease per connection, like Engine). Distinct
// WriterLease objects, in any processes, are distinct owners.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "base/clock.h"
#include "cloudlite/status.h"
#include "format/format.h"
#include "store/object_store.h"

namespace cloudlite::engine {

struct LeaseOptions {
  std::chrono::milliseconds duration{2000};
  // Waiting polls the newest epoch after a sleep that starts at poll_min, doubles up to
  // poll_max, is jittered down by up to half, and never outlasts the holder's expiry or the
  // caller's deadline.
  std::chrono::milliseconds poll_min{10};
  std::chrono::milliseconds poll_max{250};
  // Epochs older than the newest minus 8 are deleted once this process has known them to exist
  // for gc_age; a cached epoch older than gc_age / 2 is verified with a LIST, not a probe.
  std::chrono::milliseconds gc_age{60'000};
  // Re-sends of a PutIfAbsent whose outcome is Ambiguous before Acquire reports Ambiguous.
  int ambiguous_retries = 5;
  const Clock* clock = &WallClock();  // tests pass a FakeClock; it must outlive the lease
  std::function<void(std::chrono::microseconds)> sleep;  // default: this_thread::sleep_for
};

// What a WriterLease did, for tests and --stats.
struct LeaseStats {
  uint64_t acquired = 0;   // Acquire returned true
  uint64_t kept = 0;       // ... of them, held already with no request
  uint64_t renewed = 0;    // the holder created its next epoch
  uint64_t taken = 0;      // ... created an epoch after a free, released or expired one
  uint64_t waited = 0;     // sleeps while another owner held the lease
  uint64_t timed_out = 0;  // Acquire returned false at the deadline
  uint64_t released = 0;   // Release created a released epoch
  uint64_t damaged = 0;    // lease objects that could not be decoded (treated as expired)
  uint64_t collected = 0;  // old epochs deleted
};

class WriterLease {
 public:
  // `db` must be a valid database name. The owner id is random per WriterLease.
  WriterLease(std::shared_ptr<ObjectStore> store, std::string db, LeaseOptions options = {});

  // Takes the lease, or keeps it, waiting at most `max_wait` while another owner holds it.
  // true: held (until the expiry, as far as this process's clock goes). false: another owner
  // still held it at the deadline. An error: the store failed; the caller proceeds without.
  Result<bool> Acquire(std::chrono::milliseconds max_wait);

  // Gives the lease up so waiters proceed at once: one PutIfAbsent, none when not held. After
  // it held() is false even if the store failed (the lease then expires on its own).
  Status Release();

  // Held by this object, by its own clock.
  bool held() const;
  // The epoch this object holds or last knew to be the newest (0: none known).
  uint64_t epoch() const { return known_ ? known_->lease.epoch : 0; }
  const std::string& owner_id() const { return owner_; }
  const LeaseStats& stats() const { return stats_; }

 private:
  // The newest epoch this object knows of, and what it knows about it.
  struct Known {
    format::Lease lease;      // epoch always set; other fields meaningless when damaged
    bool damaged = false;     // could not be decoded: counts as expired
    int64_t live_until = 0;   // our clock: when the lease stops blocking us (0: free now)
    int64_t verified_at = 0;  // our clock: when epoch+1 was last known absent
  };

  int64_t Now() const;
  bool Blocks(const Known& k, int64_t now) const;  // live and someone else's
  // Learns the newest epoch into known_ (probing epoch+1 or listing). May leave known_ empty
  // when the database has no lease objects.
  Status FindNewest();
  Status ListNewest();
  // Reads `epoch`, seen at `now`, into known_ (NotFound passed through; known_ unchanged).
  Status ReadEpoch(uint64_t epoch, int64_t now, int64_t verified_at);
  // Creates `epoch` with this owner and `expiry`. true: created (known_ updated); false:
  // another writer created it first.
  Result<bool> Create(uint64_t epoch, int64_t expiry);
  void MaybeCollect();

  std::shared_ptr<ObjectStore> store_;
  std::string db_;
  std::string prefix_;
  LeaseOptions options_;
  std::string owner_;
  std::optional<Known> known_;
  bool held_ = false;  // known_ is ours and live (by expiry)
  uint64_t gc_mark_epoch_ = 0;
  int64_t gc_mark_micros_ = 0;
  std::mt19937_64 rng_;
  LeaseStats stats_;
};

}  // namespace cloudlite::engine
