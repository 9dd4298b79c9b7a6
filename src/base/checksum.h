// The one checksum of the storage format: XXH3-64 (docs/format.md, "Checksums").
#pragma once

#include <cstdint>
#include <string_view>

namespace cloudlite {

uint64_t Checksum(std::string_view data, uint64_t seed = 0);

}  // namespace cloudlite
