#include "base/hex.h"

namespace cloudlite {

namespace {
constexpr char kDigits[] = "0123456789abcdef";
}  // namespace

void AppendHex(unsigned char byte, std::string* out) {
  out->push_back(kDigits[byte >> 4]);
  out->push_back(kDigits[byte & 15]);
}

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 15];
  }
  return out;
}

}  // namespace cloudlite
