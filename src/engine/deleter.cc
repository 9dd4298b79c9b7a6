#include "engine/deleter.h"

#include <algorithm>

namespace cloudlite::engine {

Status DeleteObjects(ObjectStore& store, std::span<const std::string> keys, DeleteStats* stats) {
  for (size_t i = 0; i < keys.size(); i += kDeleteBatch) {
    std::span<const std::string> batch = keys.subspan(i, std::min(kDeleteBatch, keys.size() - i));
    Status s = store.Delete(batch);
    if (stats) {
      stats->requests++;
      if (s.ok()) stats->keys += batch.size();
    }
    CL_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

}  // namespace cloudlite::engine
