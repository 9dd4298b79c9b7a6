#include "base/checksum.h"

#include <xxhash.h>

namespace cloudlite {

uint64_t Checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

}  // namespace cloudlite
