#include "base/base64.h"

#include <cstdint>

namespace cloudlite {
namespace {

const char* Digits(Base64Alphabet alphabet) {
  return alphabet == Base64Alphabet::kUrl
             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

// The 6-bit value of digit `c` in `alphabet`, -1 for anything else.
int DigitValue(char c, Base64Alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  const bool url = alphabet == Base64Alphabet::kUrl;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet, Base64Padding padding) {
  const char* digits = Digits(alphabet);
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t bits = 0;
  int count = 0;
  for (char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(digits[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(digits[(bits << (6 - count)) & 0x3f]);
  if (padding == Base64Padding::kPadded) {
    while (out.size() % 4 != 0) out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out, Base64Alphabet alphabet,
                  Base64Padding padding) {
  out->clear();
  size_t pad = 0;
  while (!text.empty() && text.back() == '=' && pad < 2) {
    text.remove_suffix(1);
    pad++;
  }
  if (pad > 0 && (padding == Base64Padding::kUnpadded || (text.size() + pad) % 4 != 0)) {
    return false;
  }
  if (text.size() % 4 == 1) return false;  // one digit holds six bits: less than a byte
  out->reserve(text.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int d = DigitValue(c, alphabet);
    if (d < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(d);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out->push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return (bits & ((1u << count) - 1)) == 0;
}

}  // namespace cloudlite
