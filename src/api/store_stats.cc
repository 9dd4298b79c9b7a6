// ProcessStoreStatsJson (cloudlite/admin.h): the store registry's counters for the front-ends,
// which do not see the store module.
#include "cloudlite/admin.h"
#include "store/registry.h"
#include "vfs/vfs.h"

namespace cloudlite {

std::string ProcessStoreStatsJson() { return ProcessStoreStats().ToJson(); }

ProcessCacheStats GetProcessCacheStats() {
  vfs::SharedStats s = vfs::ProcessSharedStats();
  return {s.frame_hits,    s.frame_misses,  s.probes_made,
          s.probes_shared, s.records_known, s.cache_capacity_bytes};
}

void ReserveProcessCache(size_t bytes) { vfs::ReserveSharedCache(bytes); }

}  // namespace cloudlite
