// Little-endian fixed-width integers and LEB128 varints, appended to / read from byte strings.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cloudlite {

inline void PutFixed16(std::string* dst, uint16_t v) {
  char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  dst->append(b, 2);
}
inline void PutFixed32(std::string* dst, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; i++) b[i] = static_cast<char>(v >> (8 * i));
  dst->append(b, 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; i++) b[i] = static_cast<char>(v >> (8 * i));
  dst->append(b, 8);
}
inline uint16_t DecodeFixed16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | (static_cast<uint8_t>(p[1]) << 8));
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline void EncodeFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<char>(v >> (8 * i));
}

// The bytes PutVarint64 writes for `v`.
inline size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

// Reads from the front of *in and advances it. Each returns false, leaving *in unspecified,
// when the input is too short or malformed; callers turn that into Corruption.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Fixed8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Fixed16(uint16_t* v) {
    return Take(2, [&](const char* p) { *v = DecodeFixed16(p); });
  }
  bool Fixed32(uint32_t* v) {
    return Take(4, [&](const char* p) { *v = DecodeFixed32(p); });
  }
  bool Fixed64(uint64_t* v) {
    return Take(8, [&](const char* p) { *v = DecodeFixed64(p); });
  }
  bool Varint64(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && !in_.empty(); shift += 7) {
      uint8_t byte = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        // Only the shortest form (a last byte of zero adds nothing), so that every value has one
        // encoding and a decoded object re-encodes to the bytes it came from; and no bits past
        // the 64th (the tenth byte holds bit 63 alone).
        if (byte == 0 && shift > 0) return false;
        if (shift == 63 && byte > 1) return false;
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Varint32(uint32_t* v) {
    uint64_t w;
    if (!Varint64(&w) || w > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(w);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  // A varint length followed by that many bytes.
  bool LengthPrefixed(std::string_view* out) {
    uint64_t n;
    return Varint64(&n) && n <= in_.size() && Bytes(static_cast<size_t>(n), out);
  }
  std::string_view rest() const { return in_; }
  bool empty() const { return in_.empty(); }

 private:
  template <typename F>
  bool Take(size_t n, F f) {
    if (in_.size() < n) return false;
    f(in_.data());
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

}  // namespace cloudlite
