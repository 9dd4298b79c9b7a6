// Helpers shared by the fuzz targets (docs/fuzzing.md).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/checksum.h"
#include "base/coding.h"
#include "cloudlite/status.h"

namespace cloudlite::fuzz {

// A property the target checks: says which one failed and aborts, so libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

inline std::string_view Bytes(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Stored objects end in a checksum, which random bytes almost never match: the decoder would
// stop there. So the first input byte picks a mode: odd = "sealed", the target appends (or
// fills in) the right checksum and the decoder gets to the structure behind it; even = the
// bytes as they are. The seed corpus (fuzz/seeds.cc) holds both forms of every object.
struct Input {
  bool sealed = false;
  std::string_view rest;
};
inline Input Split(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return {(data[0] & 1) != 0, Bytes(data + 1, size - 1)};
}

// `body` and its 8-byte checksum: how records, checkpoints and leases end (docs/format.md).
inline std::string Sealed(std::string_view body) {
  std::string out(body);
  PutFixed64(&out, Checksum(body));
  return out;
}

// What a decoder of stored bytes may return on bad input: Corruption naming the object, or
// NotSupported (a newer format).
inline void CheckDecodeError(const Status& s, std::string_view key) {
  FUZZ_CHECK(s.code() == Status::Code::kCorruption || s.code() == Status::Code::kNotSupported);
  FUZZ_CHECK(s.message().find(key) != std::string::npos);
}

// One printable line: no byte below 0x20, no DEL.
inline bool IsOneSafeLine(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

}  // namespace cloudlite::fuzz
