// The items the DynamoDB store writes (docs/format.md, "DynamoDB item layout"), read back: the
// attribute names, the decoding of an object's head item, and the check of a DescribeTable
// answer (the tolerant AttributeValue accessors are net/aws/dynamodb_wire.h). Pure functions on
// parsed JSON, no I/O, so that what a server (or whoever else writes to the table) returns can be
// fuzzed (fuzz/dynamodb_item_fuzz.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "net/aws/dynamodb_wire.h"

namespace cloudlite::ddb {

// Attribute names are short: DynamoDB bills item size including them.
inline constexpr const char* kAttrType = "t";   // "o" object head, "d" directory, "c" continuation
inline constexpr const char* kAttrKey = "k";    // object head: the full key (store prefix included)
inline constexpr const char* kAttrChild = "n";  // entry: the node (hash_key) it leads to
inline constexpr const char* kAttrSize = "z";   // object head: size in bytes
inline constexpr const char* kAttrData = "d";   // inline data (head) or chunk data
inline constexpr const char* kAttrGen = "g";    // object head: generation id of its chunks
inline constexpr const char* kAttrChunk = "c";  // object head: chunk size
inline constexpr const char* kAttrWriter =
    "w";  // object head: nonce of the PutIfAbsent that wrote it

// The largest chunk a reader accepts: a DynamoDB item holds at most 400 KB.
inline constexpr uint64_t kMaxChunkBytes = 400 << 10;

// An object's head item, decoded.
struct HeadInfo {
  uint64_t size = 0;
  std::string data;  // inline objects
  std::string gen;   // chunked objects: non-empty
  uint64_t chunk_size = 0;

  bool chunked() const { return !gen.empty(); }
  uint64_t chunks() const { return chunked() ? (size + chunk_size - 1) / chunk_size : 0; }
};

// The head item of the object whose full key is `full`; `name` describes it in messages.
// `complete`: the item was read whole (no projection), so inline data must be all there.
// Anything else (another key, a missing or impossible size, a chunk size of 0 or above
// kMaxChunkBytes, undecodable data) is Corruption.
Result<HeadInfo> DecodeHead(const Json& item, std::string_view full, std::string_view name,
                            bool complete);

// A DescribeTable answer: Ok when the table has the key schema this layout needs
// (hash_key S HASH, range_key N RANGE), else InvalidArgument saying how to create one.
Status CheckKeySchema(const Json& describe, std::string_view table);
// Its Table.TableStatus ("ACTIVE"), through SafeServerText; "" when absent.
std::string TableStatus(const Json& describe);

}  // namespace cloudlite::ddb
