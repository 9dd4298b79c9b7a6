// The one place that deletes objects from a store. Checkpoint cleanup, garbage collection
// (gc.h), the writer lease's old epochs, `rm` and a withdrawn commit all delete through it, so
// that what cloudlite may delete is decided in few places and every deletion is counted.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cloudlite/status.h"
#include "store/object_store.h"

namespace cloudlite::engine {

// What deletions cost: requests made and keys named (a key named twice counts twice).
struct DeleteStats {
  uint64_t requests = 0;
  uint64_t keys = 0;
};

// Deletes `keys` in requests of at most kDeleteBatch keys, in the order given (callers order
// them so that an interruption never leaves a kept object naming a deleted one). Stops at the
// first failed request. Deleting a missing key is Ok.
inline constexpr size_t kDeleteBatch = 1000;
Status DeleteObjects(ObjectStore& store, std::span<const std::string> keys,
                     DeleteStats* stats = nullptr);

}  // namespace cloudlite::engine
