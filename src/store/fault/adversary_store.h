// StoreAdversary: damages the objects of a store, and the files of a disk cache, on purpose,
// between the operations of the stores it wraps (issue 11, "Tests"). Where FaultStore makes
// requests fail, the adversary makes the *data* lie: it is what a careless operator, a buggy
// lifecycle rule or a restored backup does to a bucket. cloudlite must then either return a
// state that was committed or fail with Corruption naming a key (docs/design.md, "What a
// damaged store can and cannot do"); tests/torture/adversary_test.cc checks it.
//
// Selected by URI parameters on any store or database URI, consumed by OpenStore:
//
//   file:///tmp/x/db?adversary=0.02&adversary_seed=7&adversary_cache_dir=/tmp/x/cache
//
//   adversary=P            before each call, with probability P, one strike (0 < P <= 1)
//   adversary_seed=N       the PRNG's seed (default 1)
//   adversary_cache_dir=D  also strike the files of disk cache directory D (half the strikes)
//
// A strike picks a victim (an object it has seen: written, read or listed through any store
// it wraps, the more recent the likelier; or a file of the cache directory) and does one of
//   delete    remove it
//   truncate  cut it to a random shorter length
//   replay    put back bytes it saw earlier under the same name (an older version: a slot
//             written again after a deletion), or, when it knows none, another name's bytes
//   swap      exchange the contents of two of them
// and appends what it did to its journal. It remembers up to 4 distinct contents per name and
// 64 MiB in all (after that it stops remembering new contents, not names).
//
// One adversary per (store, seed, cache dir) per process: every store opened with the same
// parameters shares it (its memory, PRNG and journal), so a test's writers, readers and
// Describe/Pull calls are all struck by the same one, and the test finds it with
// ProcessAdversary(). Determinism: strikes are drawn from one PRNG in call order, so one seed
// and one sequence of calls give the same strikes; threads make the sequence vary.
// Thread-safety: all methods may be called concurrently; strikes are serialized.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "store/forwarding_store.h"
#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

struct AdversaryOptions {
  double rate = 0;  // probability of a strike before each call
  uint64_t seed = 1;
  std::string cache_dir;  // empty: the store only
};

// Takes `adversary`, `adversary_seed` and `adversary_cache_dir` from the URI's parameters. No
// `adversary`: nullopt (and a lone seed or cache dir is InvalidArgument: it would do nothing).
Result<std::optional<AdversaryOptions>> TakeAdversaryParams(Uri& uri);

// One thing the adversary did.
struct Strike {
  enum class Kind { kDelete, kTruncate, kReplay, kSwap };
  Kind kind = Kind::kDelete;
  bool cache = false;  // a file of the cache directory (names are file names), not an object
  std::string name;    // the victim
  std::string other;   // replay: whose bytes (== name for an older version); swap: the other
  uint64_t seq = 0;    // 1, 2, ...: the adversary's clock (StoreAdversary::clock())

  std::string ToString() const;  // "delete db/log/00000000000000000007", ...
};

class StoreAdversary {
 public:
  explicit StoreAdversary(AdversaryOptions options);

  // Remembers that `key` exists and, when known, its bytes.
  void Observe(std::string_view key, const std::string* bytes);
  // Draws whether to strike now, and strikes `store` (or the cache directory) if so.
  void MaybeStrike(ObjectStore& store);
  // Strikes once, now. Returns what it did, or nullopt when it found no victim.
  std::optional<Strike> StrikeOnce(ObjectStore& store);

  // While paused, MaybeStrike does nothing (Observe still remembers).
  void Pause(bool paused);

  // Strikes so far, in order.
  std::vector<Strike> journal() const;
  // The number of strikes so far: a strike with seq > clock() read at time t happened after t.
  uint64_t clock() const;

 private:
  class Target;  // where victims live: the store, or the cache directory
  class StoreTarget;
  class CacheTarget;

  std::optional<Strike> StrikeLocked(Target& target);
  void RememberLocked(const std::string& name, const std::string& bytes);
  // A name to strike among `names`, recent ones likelier; nullopt when there is none.
  std::optional<std::string> PickLocked(const std::vector<std::string>& names);
  // Bytes remembered for `name` other than `current`, or for another name (whose name goes to
  // `*source`); nullptr when it remembers none.
  const std::string* ReplacementLocked(const std::string& name, const std::string* current,
                                       std::string* source);

  AdversaryOptions options_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;                                       // guarded by mu_
  std::vector<std::string> keys_;                             // store keys, first seen first
  std::map<std::string, std::vector<std::string>> contents_;  // name -> distinct bytes seen
  uint64_t remembered_bytes_ = 0;
  std::vector<Strike> journal_;
  bool paused_ = false;
};

// Wraps `inner` so that `adversary` observes every call and may strike before it.
class AdversaryStore final : public ForwardingStore {
 public:
  AdversaryStore(std::unique_ptr<ObjectStore> inner, std::shared_ptr<StoreAdversary> adversary)
      : ForwardingStore(std::shared_ptr<ObjectStore>(std::move(inner))),
        adversary_(std::move(adversary)) {}

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status Put(std::string_view key, std::string_view data) override;
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override;
  Status Delete(std::span<const std::string> keys) override;
  // Describe, ListsCheaply, BillsWritesByKiB, IsLocal and CheckAccess are forwarded as they
  // are: no strike.

 private:
  std::shared_ptr<StoreAdversary> adversary_;
};

// The process's adversary for a store described as `store` (ObjectStore::Describe) with these
// options, made on first use. Tests call it with the options of their URI to read the journal.
std::shared_ptr<StoreAdversary> ProcessAdversary(std::string_view store,
                                                 const AdversaryOptions& options);

// Wraps `inner` in an AdversaryStore of ProcessAdversary(inner->Describe(), options).
std::unique_ptr<ObjectStore> InjectAdversary(std::unique_ptr<ObjectStore> inner,
                                             const AdversaryOptions& options);

}  // namespace cloudlite
