#include "base/hex.h"

namespace cloudlite {

void AppendHex(unsigned char byte, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->push_back(kDigits[byte >> 4]);
  out->push_back(kDigits[byte & 15]);
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendHex(static_cast<unsigned char>(c), &out);
  return out;
}

}  // namespace cloudlite
