// Unpredictable identifiers (writer ids, transaction nonces, segment names) from the OS.
#pragma once

#include <string>

namespace cloudlite {

// `bytes` random bytes from getrandom(2), as 2*bytes lowercase hex digits.
std::string RandomHex(size_t bytes);
// `bytes` raw random bytes.
std::string RandomBytes(size_t bytes);

}  // namespace cloudlite
