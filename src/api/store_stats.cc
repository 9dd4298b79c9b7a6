// ProcessStoreStatsJson (cloudlite/admin.h): the store registry's counters for the front-ends,
// which do not see the store module.
#include "cloudlite/admin.h"
#include "store/registry.h"

namespace cloudlite {

std::string ProcessStoreStatsJson() { return ProcessStoreStats().ToJson(); }

}  // namespace cloudlite
