#include "store/dynamodb/dynamodb_layout.h"

#include <array>

namespace cloudlite::ddb {
namespace {

// Codeword lengths: short for digits (version numbers are most of every key), 7 bits for
// letters, 8 for the rest. END is the smallest symbol so a key sorts before its extensions.
constexpr int LengthOf(int symbol) {
  if (symbol == 0) return 7;
  const int c = symbol + 0x1f;
  if (c >= '0' && c <= '9') return 5;
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return 7;
  return 8;
}

// An alphabetic prefix code: walk the symbols in order, giving each the next free interval of
// [0, 256) aligned to its size. Intervals that are disjoint, ascending and aligned are codewords
// that are prefix-free and ordered like the symbols.
constexpr std::array<Codeword, kSymbols> BuildCode() {
  std::array<Codeword, kSymbols> code{};
  int next = 0;  // in units of 2^-8
  for (int s = 0; s < kSymbols; s++) {
    const int length = LengthOf(s);
    const int size = 1 << (8 - length);
    next = (next + size - 1) / size * size;
    code[s] = {static_cast<uint8_t>(next / size), static_cast<uint8_t>(length)};
    next += size;
  }
  return code;
}

constexpr std::array<Codeword, kSymbols> kCode = BuildCode();
static_assert(kCode[kSymbols - 1].bits * (1 << (8 - kCode[kSymbols - 1].length)) +
                      (1 << (8 - kCode[kSymbols - 1].length)) <=
                  256,
              "the code must fit in [0, 256)");

int SymbolOf(char c) {
  const auto u = static_cast<unsigned char>(c);
  // Keys are validated to be printable before they get here; anything else is clamped so that
  // a bad byte cannot index out of the table.
  if (u < 0x20) return 1;
  if (u > 0x7e) return kSymbols - 1;
  return u - 0x1f;
}

void Append(std::string* bits, Codeword w) {
  for (int i = w.length - 1; i >= 0; i--) bits->push_back((w.bits >> i) & 1 ? '1' : '0');
}

// bits[begin, end) as a range key: the piece padded with zeros to kPieceBits.
Uint128 Value(std::string_view bits, size_t begin, size_t end) {
  Uint128 v = 0;
  for (size_t i = begin; i < end; i++) v = (v << 1) | (bits[i] == '1' ? 1 : 0);
  return v << (kPieceBits - (end - begin));
}

// The bits of one segment, and where each of its characters ends in them.
struct SegmentBits {
  std::string bits;
  std::vector<size_t> char_end;
};

SegmentBits Encode(std::string_view segment) {
  SegmentBits out;
  out.bits.reserve(segment.size() * 8 + 8);
  out.char_end.reserve(segment.size());
  for (char c : segment) {
    Append(&out.bits, kCode[SymbolOf(c)]);
    out.char_end.push_back(out.bits.size());
  }
  return out;
}

// The node reached after the first `cut` bits of `segment` (a continuation), under `dir`.
std::string ContinuationNode(const std::string& dir, std::string_view segment,
                             const SegmentBits& seg, size_t cut) {
  size_t whole = 0;
  while (whole < seg.char_end.size() && seg.char_end[whole] <= cut) whole++;
  const size_t from = whole == 0 ? 0 : seg.char_end[whole - 1];
  return dir + "~" + std::string(segment.substr(0, whole)) + "~" +
         seg.bits.substr(from, cut - from);
}

// Cuts off the continuation pieces of one segment's bits while more than `keep` bits remain
// after the cut, appending their steps. Returns the node the rest lives in and moves *pos.
std::string Continue(const std::string& dir, std::string_view segment, const SegmentBits& seg,
                     size_t keep, size_t* pos, std::vector<Step>* steps) {
  std::string node = dir;
  while (seg.bits.size() - *pos > keep) {
    const size_t cut = *pos + kPieceBits;
    std::string child = ContinuationNode(dir, segment, seg, cut);
    steps->push_back({node, Value(seg.bits, *pos, cut), EntryKind::kContinuation, child});
    node = std::move(child);
    *pos = cut;
  }
  return node;
}

}  // namespace

Codeword CodeFor(int symbol) { return kCode[symbol]; }

std::string RootNode() { return std::string(kNodeTag); }

std::string EncodeBits(std::string_view s, bool end) {
  std::string bits = Encode(s).bits;
  if (end) Append(&bits, kCode[0]);
  return bits;
}

std::vector<Step> PathTo(std::string_view key) {
  std::vector<Step> steps;
  std::string dir = RootNode();
  size_t start = 0;
  for (;;) {
    const size_t slash = key.find('/', start);
    const bool last = slash == std::string_view::npos;
    const std::string_view segment =
        key.substr(start, last ? std::string_view::npos : slash - start);
    SegmentBits seg = Encode(segment);
    Append(&seg.bits, kCode[last ? 0 : SymbolOf('/')]);
    size_t pos = 0;
    // Keep the final piece (with its terminator) whole when it fits exactly: > not >=.
    std::string node = Continue(dir, segment, seg, kPieceBits, &pos, &steps);
    const Uint128 range = Value(seg.bits, pos, seg.bits.size());
    if (last) {
      steps.push_back({std::move(node), range, EntryKind::kObject, ""});
      return steps;
    }
    std::string child = dir + std::string(segment) + "/";
    steps.push_back({std::move(node), range, EntryKind::kDirectory, child});
    dir = std::move(child);
    start = slash + 1;
  }
}

PrefixRange RangeOf(std::string_view prefix) {
  PrefixRange out;
  std::string dir = RootNode();
  size_t start = 0;
  for (;;) {
    const size_t slash = prefix.find('/', start);
    const bool last = slash == std::string_view::npos;
    const std::string_view segment =
        prefix.substr(start, last ? std::string_view::npos : slash - start);
    SegmentBits seg = Encode(segment);
    size_t pos = 0;
    if (last) {
      // Every key with this prefix has at least a terminator after these bits, so a remainder
      // of exactly kPieceBits is already a continuation: >= (keep one bit less).
      out.node = Continue(dir, segment, seg, kPieceBits - 1, &pos, &out.above);
      const size_t n = seg.bits.size() - pos;
      out.lo = Value(seg.bits, pos, seg.bits.size());
      out.hi =
          out.lo | (n >= static_cast<size_t>(kPieceBits) ? Uint128{0}
                                                         : (Uint128{1} << (kPieceBits - n)) - 1);
      return out;
    }
    Append(&seg.bits, kCode[SymbolOf('/')]);
    std::string node = Continue(dir, segment, seg, kPieceBits, &pos, &out.above);
    std::string child = dir + std::string(segment) + "/";
    out.above.push_back(
        {std::move(node), Value(seg.bits, pos, seg.bits.size()), EntryKind::kDirectory, child});
    dir = std::move(child);
    start = slash + 1;
  }
}

std::string RangeText(Uint128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return std::string(out.rbegin(), out.rend());
}

}  // namespace cloudlite::ddb
