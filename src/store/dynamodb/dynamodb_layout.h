// Where an object key lives in a DynamoDB table whose key is (hash_key S, range_key N), the
// table DonutDB users already have. Pure functions, no I/O; docs/format.md ("DynamoDB item
// layout") is the normative description, this is the code.
//
// The problem: List must return keys in bytewise order with one Query per partition, but a
// range key is a number (at most 38 significant digits), which cannot order arbitrary strings.
// The answer is a trie whose nodes are partitions:
//  - Each key is turned into bits by an *alphabetic prefix code* (codewords ordered like the
//    characters they stand for, none a prefix of another, digits 5 bits, letters 7, other
//    printable ASCII 8) followed by an END codeword that is smaller than every character.
//    Comparing two such bit strings gives the bytewise order of the keys.
//  - The bits are cut after every '/' codeword and every 126 bits within a segment. Each piece,
//    zero-padded to 126 bits, is a range key (2^126 < 10^38); the partition (hash_key) is the
//    node the preceding pieces lead to. The last piece of a key is its object item; the pieces
//    before it are *entries* that point to the next node: a directory entry (piece ends with
//    '/') or a continuation entry (a full 126-bit piece of a long segment).
//  - Within a node no piece is a proper prefix of another (each ends with END or '/', or is
//    exactly 126 bits), so zero-padded values are distinct and ordered like the key sets they
//    lead to. A depth-first walk of the entries in range-key order lists keys in bytewise order.
// A 20-digit version number (db/log/<v>, db/ckpt/<v>) is 107 bits: one piece, so a database's
// log is one partition ordered by version, and a commit writes one item.
//
// Node partitions are named "cloudlite/n/" + the directory path ("db/log/"); a continuation
// node appends "~" + the segment's whole characters consumed so far + "~" + the leftover bits of
// a character cut by the 126-bit boundary, as '0'/'1'. Chunks of big objects each have their own
// partition, "cloudlite/b/" + a random generation id + "/" + the chunk index, range key 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlite::ddb {

using Uint128 = unsigned __int128;

// The table's key attributes, as in DonutDB's Terraform.
inline constexpr std::string_view kHashKey = "hash_key";
inline constexpr std::string_view kRangeKey = "range_key";

inline constexpr int kPieceBits = 126;
inline constexpr Uint128 kMaxRange = (Uint128{1} << kPieceBits) - 1;

inline constexpr std::string_view kNodeTag = "cloudlite/n/";
inline constexpr std::string_view kBlobTag = "cloudlite/b/";

// A codeword: the low `length` bits of `bits`, most significant first. Symbol 0 is END, symbol
// c - 0x1f is the printable character c (0x20..0x7e).
struct Codeword {
  uint8_t bits = 0;
  uint8_t length = 0;
};
Codeword CodeFor(int symbol);
inline constexpr int kSymbols = 96;

enum class EntryKind { kObject, kDirectory, kContinuation };

// One entry on the way from the table's root node to a key.
struct Step {
  std::string node;  // hash_key of the partition that holds the entry
  Uint128 range = 0;
  EntryKind kind = EntryKind::kObject;
  std::string child;  // the node it leads to (directories and continuations)
};

// The entries from the root to `key` (the full key, store prefix included): directories and
// continuations, then the object. Any printable string is accepted (List uses the path of a
// start_after that need not be a valid key); the caller validates real keys.
std::vector<Step> PathTo(std::string_view key);

// Where the keys starting with `prefix` are: every such key lies under `node` at a range key in
// [lo, hi]; `above` are the entries that lead from the root to `node` (empty for the root).
struct PrefixRange {
  std::vector<Step> above;
  std::string node;
  Uint128 lo = 0;
  Uint128 hi = kMaxRange;
};
PrefixRange RangeOf(std::string_view prefix);

// The node id of the root of the table (no store prefix).
std::string RootNode();

// Decimal text of a range key, as DynamoDB's N type wants it.
std::string RangeText(Uint128 v);

// The bits of `s` under the code, as '0'/'1' characters, with END appended when `end`.
std::string EncodeBits(std::string_view s, bool end);

}  // namespace cloudlite::ddb
