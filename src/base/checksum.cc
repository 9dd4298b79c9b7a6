#include "base/checksum.h"

#include <xxhash.h>

namespace cloudlite {

uint64_t Checksum(std::string_view data, uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

}  // namespace cloudlite
