#include "base/json_text.h"

#include <cstdint>
#include <cstring>

namespace cloudlite {
namespace {

bool Plain(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

// Whether any of the eight bytes of `x` needs an escape (a SWAR test: a byte is zero, or below
// n <= 128, exactly when subtracting from it sets its top bit without a borrow from below).
bool AnyToEscape(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  const uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
  return (((x - kOnes * 0x20) & ~x) | ((quote - kOnes) & ~quote) |
          ((backslash - kOnes) & ~backslash)) &
         kHigh;
}

// The first byte at or after `p` that needs an escape, or `end`.
const char* PlainEnd(const char* p, const char* end) {
  for (uint64_t x; end - p >= 8; p += 8) {
    std::memcpy(&x, p, sizeof x);
    if (AnyToEscape(x)) break;
  }
  while (p < end && Plain(static_cast<unsigned char>(*p))) p++;
  return p;
}

void AppendEscape(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default: {
      const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(escape, sizeof escape);
    }
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  const char* p = text.data();
  const char* const end = p + text.size();
  for (;;) {
    const char* run = p;
    p = PlainEnd(p, end);
    out->append(run, static_cast<size_t>(p - run));
    if (p == end) break;
    AppendEscape(static_cast<unsigned char>(*p++), out);
  }
  out->push_back('"');
}

}  // namespace cloudlite
