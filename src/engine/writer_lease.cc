#include "engine/writer_lease.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/coding.h"
#include "base/random.h"
#include "engine/deleter.h"

namespace cloudlite::engine {
namespace {

// Epochs probed one GET at a time before a LIST finds the newest in one request.
constexpr int kMaxProbes = 4;
// The newest epochs kept when old ones are deleted.
constexpr uint64_t kKeptEpochs = 9;
constexpr size_t kListPage = 1000;
// Store errors in a row that Acquire waits out (within its deadline) before returning one.
constexpr int kErrorRetries = 3;

int64_t Micros(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

uint64_t Seed() {
  std::string bytes = RandomBytes(8);
  return DecodeFixed64(bytes.data());
}

}  // namespace

WriterLease::WriterLease(std::shared_ptr<ObjectStore> store, std::string db, LeaseOptions options)
    : store_(std::move(store)),
      db_(std::move(db)),
      prefix_(format::LeasePrefix(db_)),
      options_(std::move(options)),
      owner_(RandomBytes(format::kLeaseOwnerSize)),
      rng_(Seed()) {
  options_.poll_min = std::max(options_.poll_min, std::chrono::milliseconds(1));
  options_.poll_max = std::max(options_.poll_max, options_.poll_min);
}

int64_t WriterLease::Now() const { return options_.clock->NowMicros(); }

bool WriterLease::held() const { return held_ && known_ && Now() < known_->lease.expiry_micros; }

bool WriterLease::Blocks(const Known& k, int64_t now) const {
  return !k.damaged && k.lease.owner != owner_ && now < k.live_until;
}

Result<bool> WriterLease::Acquire(std::chrono::milliseconds max_wait) {
  const int64_t duration = Micros(options_.duration);
  int64_t now = Now();
  if (held()) {
    if (known_->lease.expiry_micros - now >= duration / 2) {
      stats_.acquired++;
      stats_.kept++;
      return true;
    }
    Result<bool> renewed = Create(known_->lease.epoch + 1, now + duration);
    // A failed renewal leaves the lease held until its expiry; the next Acquire tries again.
    if (!renewed.ok() || *renewed) {
      if (renewed.ok()) stats_.renewed++;
      stats_.acquired++;
      return true;
    }
    // Another writer created the next epoch: by its clock ours had ended. Let it have it.
    held_ = false;
  }
  held_ = false;
  const int64_t deadline = now + Micros(max_wait);
  int64_t backoff = Micros(options_.poll_min);
  int errors = 0;  // in a row
  auto sleep = [&](int64_t until) {
    int64_t wait = backoff - static_cast<int64_t>(rng_() % static_cast<uint64_t>(backoff / 2 + 1));
    wait = std::max<int64_t>(std::min({wait, until - now, deadline - now}), 1);
    if (options_.sleep) {
      options_.sleep(std::chrono::microseconds(wait));
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(wait));
    }
    backoff = std::min(backoff * 2, Micros(options_.poll_max));
  };
  // A transient error, or an unknown outcome (the next look settles it), is retried while the
  // deadline allows, a few times in a row at most.
  auto retry = [&](const Status& s) {
    now = Now();
    if (++errors > kErrorRetries || now >= deadline ||
        !(s.IsRetryable() || s.code() == Status::Code::kAmbiguous)) {
      return false;
    }
    sleep(deadline);
    return true;
  };
  for (;;) {
    Status found = FindNewest();
    if (!found.ok()) {
      if (retry(found)) continue;
      return found;
    }
    now = Now();
    if (known_ && !known_->damaged && known_->lease.owner == owner_ &&
        now < known_->lease.expiry_micros) {
      // Ours: created by an attempt whose answer was lost.
      held_ = true;
      stats_.acquired++;
      return true;
    }
    if (!known_ || !Blocks(*known_, now)) {
      uint64_t next = known_ ? known_->lease.epoch + 1 : 1;
      Result<bool> created = Create(next, now + duration);
      if (!created.ok()) {
        if (retry(created.status())) continue;
        return created.status();
      }
      errors = 0;
      if (*created) {
        stats_.taken++;
        stats_.acquired++;
        return true;
      }
      if (Now() >= deadline) {
        stats_.timed_out++;
        return false;
      }
      continue;  // another writer took it first: read theirs, without sleeping
    }
    errors = 0;
    if (now >= deadline) {
      stats_.timed_out++;
      return false;
    }
    stats_.waited++;
    sleep(known_->live_until);  // wake at the expiry, not after it
  }
}

Status WriterLease::Release() {
  if (!held()) {
    held_ = false;
    return Status::Ok();
  }
  held_ = false;
  Result<bool> created = Create(known_->lease.epoch + 1, /*expiry=*/0);
  CL_RETURN_IF_ERROR(created.status());
  if (*created) stats_.released++;
  return Status::Ok();
}

Status WriterLease::FindNewest() {
  int64_t now = Now();
  if (!known_ || now - known_->verified_at > Micros(options_.gc_age) / 2) {
    // Unknown, or known too long ago: epochs after it may have been deleted as old, so a
    // missing epoch+1 would prove nothing. Ask the store what exists.
    return ListNewest();
  }
  for (int probe = 0; probe < kMaxProbes; probe++) {
    now = Now();
    Status s = ReadEpoch(known_->lease.epoch + 1, now, /*verified_at=*/0);
    if (s.IsNotFound()) {
      known_->verified_at = now;
      return Status::Ok();
    }
    CL_RETURN_IF_ERROR(s);
  }
  return ListNewest();
}

Status WriterLease::ListNewest() {
  int64_t now = Now();
  std::string after = known_ ? format::LeaseKey(db_, known_->lease.epoch) : std::string();
  uint64_t newest = 0;
  for (;;) {
    CL_ASSIGN_OR_RETURN(ListPage page, store_->List(prefix_, after, kListPage));
    newest = std::max(newest, format::NewestVersion(page.keys, prefix_));
    if (!page.more || page.keys.empty()) break;
    after = page.keys.back();
  }
  if (newest == 0 || (known_ && newest <= known_->lease.epoch)) {
    if (known_) known_->verified_at = now;
    return Status::Ok();
  }
  Status s = ReadEpoch(newest, now, /*verified_at=*/now);
  if (s.IsNotFound()) {
    return Status::Unavailable(format::LeaseKey(db_, newest) +
                               " was deleted while the lease was being read; try again");
  }
  return s;
}

Status WriterLease::ReadEpoch(uint64_t epoch, int64_t now, int64_t verified_at) {
  std::string key = format::LeaseKey(db_, epoch);
  CL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
  Known k;
  k.verified_at = verified_at;
  Result<format::Lease> decoded = format::DecodeLease(bytes, key);
  if (decoded.ok() && decoded->epoch != epoch) {
    decoded = Status::Corruption(key + ": holds epoch " + std::to_string(decoded->epoch));
  }
  if (!decoded.ok()) {
    // A damaged lease must not block anyone: it counts as expired, and the next writer moves
    // the lease past it.
    stats_.damaged++;
    k.damaged = true;
    k.lease.epoch = epoch;
  } else {
    k.lease = std::move(*decoded);
    const format::Lease& l = k.lease;
    if (l.owner == owner_ || l.expiry_micros == 0) {
      k.live_until = l.expiry_micros;
    } else {
      // The holder's expiry, but never more than its duration after we first saw it: a holder
      // whose clock runs ahead of ours cannot make us wait longer than that.
      int64_t duration = std::max<int64_t>(0, l.expiry_micros - l.granted_micros);
      k.live_until = std::min(l.expiry_micros, now + duration);
    }
  }
  known_ = std::move(k);
  return Status::Ok();
}

Result<bool> WriterLease::Create(uint64_t epoch, int64_t expiry) {
  int64_t now = Now();
  format::Lease lease{epoch, owner_, now, expiry};
  std::string key = format::LeaseKey(db_, epoch);
  std::string bytes = format::EncodeLease(lease);
  bool uncertain = false;  // an earlier attempt may have landed
  for (int attempt = 0; attempt <= options_.ambiguous_retries; attempt++) {
    Status s = store_->PutIfAbsent(key, bytes);
    if (s.IsAlreadyExists()) {
      if (!uncertain) return false;
      // Someone's epoch is there: ours if it names us (each owner creates an epoch once).
      Result<std::string> existing = store_->Get(key);
      if (!existing.ok()) {
        if (existing.status().IsRetryable()) continue;
        return existing.status();
      }
      Result<format::Lease> theirs = format::DecodeLease(*existing, key);
      if (!theirs.ok() || theirs->owner != owner_) return false;
    } else if (s.code() == Status::Code::kAmbiguous || (uncertain && s.IsRetryable())) {
      uncertain = true;
      continue;  // re-sending the same bytes settles it: ours lands once or theirs is there
    } else if (!s.ok()) {
      return s;
    }
    Known k;
    k.lease = std::move(lease);
    k.live_until = expiry;
    // Nobody creates epoch+1 before epoch exists, which was after `now`.
    k.verified_at = now;
    known_ = std::move(k);
    held_ = expiry != 0;
    MaybeCollect();
    return true;
  }
  return Status::Ambiguous("could not learn whether " + key +
                           " was created (the store did not answer); the lease may be ours");
}

void WriterLease::MaybeCollect() {
  int64_t now = Now();
  uint64_t newest = known_->lease.epoch;
  if (gc_mark_epoch_ == 0) {
    gc_mark_epoch_ = newest;
    gc_mark_micros_ = now;
    return;
  }
  if (now - gc_mark_micros_ < Micros(options_.gc_age)) return;
  // Every epoch up to the mark existed gc_age ago, so no writer still trusts a cached epoch
  // just before one of them (FindNewest lists after gc_age / 2).
  uint64_t limit = std::min(gc_mark_epoch_, newest > kKeptEpochs ? newest - kKeptEpochs : 0);
  gc_mark_epoch_ = newest;
  gc_mark_micros_ = now;
  if (limit == 0) return;
  Result<ListPage> page = store_->List(prefix_, "", kListPage);
  if (!page.ok()) return;  // best effort: a later holder tries again
  std::vector<std::string> old;
  for (const std::string& key : page->keys) {
    uint64_t epoch;
    if (format::ParseVersionKey(key, prefix_, &epoch) && epoch <= limit) old.push_back(key);
  }
  if (old.empty()) return;
  if (DeleteObjects(*store_, old).ok()) stats_.collected += old.size();
}

}  // namespace cloudlite::engine
