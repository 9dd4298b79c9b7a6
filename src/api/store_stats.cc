// The process-wide pieces of cloudlite/admin.h the front-ends need and cannot reach themselves
// (they do not see the store, VFS or SQLite): store counters, the frame cache, SQLite's setup.
#include <sqlite3.h>

#include "cloudlite/admin.h"
#include "store/registry.h"
#include "vfs/vfs.h"

namespace cloudlite {

std::string ProcessStoreStatsJson() { return ProcessStoreStats().ToJson(); }

ProcessCacheStats GetProcessCacheStats() {
  vfs::SharedStats s = vfs::ProcessSharedStats();
  return {s.frame_hits,       s.frame_misses,  s.probes_made,         s.probes_shared,
          s.probes_unchanged, s.records_known, s.cache_capacity_bytes};
}

void ReserveProcessCache(size_t bytes) { vfs::ReserveSharedCache(bytes); }

void ConfigureSqliteForServers() { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

}  // namespace cloudlite
