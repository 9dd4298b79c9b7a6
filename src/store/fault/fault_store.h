// FaultStore: an ObjectStore wrapper that makes another store misbehave on purpose, for torture
// tests, the CLI and benchmarks (in the spirit of RocksDB's FaultInjectionFileSystem).
//
// Selected by URI parameters on any store or database URI, consumed by OpenStore:
//
//   file:///tmp/x/db?faults=error:0.15,phantom:0.3,latency:2ms&fault_seed=7
//
// `faults` is a comma-separated list of KIND[@OPS]:VALUE. Probabilities are per call:
//   error:P      before the call: Unavailable, and nothing happened (every operation).
//   ambiguous:P  before a Put/PutIfAbsent: Ambiguous, and nothing happened (a request that timed
//                out before reaching the store).
//   phantom:P    after a write that succeeded: the write landed, but the caller sees an error:
//                Ambiguous for Put and PutIfAbsent; Unavailable for Delete (deleting is
//                idempotent, so its lost answer is an ordinary retryable failure).
//   lost:P       after a read (Get, GetRange, Head, List), whatever its answer: Unavailable. The
//                read happened; its answer was lost.
//   latency:D    sleep before the call: a fixed "2ms", "500us", "1s", or uniform "1-5ms".
// OPS restricts an entry to some operations, joined by '+': get, get_range, head, list,
// put_if_absent, put, delete, or the groups `read` (get, get_range, head, list) and `write`
// (put_if_absent, put, delete). Without OPS an entry covers every operation its kind applies
// to; naming one it does not apply to (phantom@get) is InvalidArgument. A later entry for the
// same kind and operation replaces an earlier one: "error:0.1,error@put_if_absent:0.5".
//
// Determinism: every decision is drawn from one PRNG, in call order, so one seed gives the same
// faults for the same sequence of calls. A store opened through a URI (InjectFaults) is seeded
// from `fault_seed` (default 1) and how many such stores this process opened before it: a
// client that reopens after an injected failure meets new faults, not the same ones again, and
// the same sequence of opens and calls still sees the same faults. Processes sharing a URI
// share the fault pattern; give each its own fault_seed for independent faults.
// Faults are injected around the wrapped store: a write that the wrapped store refused
// (AlreadyExists, a real error) is returned as is, never turned into a phantom.
// Describe() is the wrapped store's, so caches keyed by it are shared with fault-free opens.
// Thread-safety: all methods may be called concurrently (the PRNG is behind a mutex; latency is
// slept outside it).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "store/forwarding_store.h"
#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

enum class StoreOp { kGet, kGetRange, kHead, kList, kPutIfAbsent, kPut, kDelete };
inline constexpr size_t kStoreOpCount = 7;

// What may go wrong for one operation.
struct OpFaults {
  double error = 0;
  double ambiguous = 0;
  double phantom = 0;
  double lost = 0;
  std::chrono::microseconds latency_min{0};
  std::chrono::microseconds latency_max{0};  // == latency_min: fixed
};

struct FaultOptions {
  std::array<OpFaults, kStoreOpCount> ops;  // indexed by StoreOp
  uint64_t seed = 1;

  OpFaults& of(StoreOp op) { return ops[static_cast<size_t>(op)]; }
  const OpFaults& of(StoreOp op) const { return ops[static_cast<size_t>(op)]; }
};

// Parses the `faults` text above. InvalidArgument says which entry is wrong and why.
Result<FaultOptions> ParseFaultSpec(std::string_view spec, uint64_t seed = 1);

// Takes `faults` and `fault_seed` from the URI's parameters. No `faults`: nullopt (and a lone
// `fault_seed` is InvalidArgument, since it would silently do nothing).
Result<std::optional<FaultOptions>> TakeFaultParams(Uri& uri);

// How many faults were injected, by kind.
struct FaultCounts {
  std::atomic<uint64_t> calls{0}, error{0}, ambiguous{0}, phantom{0}, lost{0}, delayed{0};
  std::string ToJson() const;
};

class FaultStore final : public ForwardingStore {
 public:
  // `counts`, if given, must outlive the store and is added to besides the store's own.
  FaultStore(std::unique_ptr<ObjectStore> inner, FaultOptions options,
             FaultCounts* counts = nullptr);

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status Put(std::string_view key, std::string_view data) override;
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override;
  Status Delete(std::span<const std::string> keys) override;
  // Describe, ListsCheaply, BillsWritesByKiB, IsLocal and CheckAccess are forwarded as they
  // are: no faults.

  const FaultCounts& counts() const { return counts_; }

 private:
  enum class Kind { kError, kAmbiguous, kPhantom, kLost };

  // Sleeps the operation's latency, then draws whether it fails before running: Unavailable
  // (error) or, for Put/PutIfAbsent, Ambiguous (ambiguous). Ok: go ahead.
  Status Before(StoreOp op, std::string_view key);
  // Whether the fault of `kind` hits this call of `op` (one PRNG draw if its rate is nonzero).
  bool Draw(StoreOp op, Kind kind);
  template <typename T>
  Result<T> AfterRead(StoreOp op, std::string_view key, Result<T> result);
  Status AfterWrite(StoreOp op, std::string_view key, Status status);
  void Count(std::atomic<uint64_t> FaultCounts::*field);

  FaultOptions options_;
  FaultCounts counts_;
  FaultCounts* also_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // guarded by mu_
};

// Wraps `inner` in a FaultStore that also counts into ProcessFaultCounts(), seeded from
// options.seed and the number of stores InjectFaults made before in this process.
std::unique_ptr<ObjectStore> InjectFaults(std::unique_ptr<ObjectStore> inner, FaultOptions options);

// Every FaultStore made by InjectFaults (hence every store opened with `faults`) counts here.
FaultCounts& ProcessFaultCounts();

}  // namespace cloudlite
