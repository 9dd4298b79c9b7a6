#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/hex.h"

namespace cloudlite {

std::string RandomBytes(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = getrandom(raw.data() + filled, bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom cannot fail on Linux >= 3.17 once the pool is initialised: nothing to recover.
      std::perror("cloudlite: getrandom");
      std::abort();
    }
    filled += static_cast<size_t>(n);
  }
  return raw;
}

std::string RandomHex(size_t bytes) {
  std::string raw = RandomBytes(bytes);
  return HexEncode(raw);
}

}  // namespace cloudlite
