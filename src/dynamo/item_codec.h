// The stored forms of docs/dynamodb.md ("Items in a partition"): the compact item encoding, the
// order-preserving key encoding, and DynamoDB's item size.
//
// DecodeItem is a decoder of stored bytes: anything that does not follow the format exactly
// (unknown type byte, a length or count past the end, trailing bytes, unsorted or duplicate
// names or set elements, an empty set, a non-normalized number, nesting deeper than 32 levels)
// is Corruption, never a crash; EncodeItem(DecodeItem(b)) == b for every accepted b.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "dynamo/value.h"

namespace cloudlite::dynamo {

std::string EncodeItem(const Item& item);
Result<Item> DecodeItem(std::string_view bytes);

// DynamoDB's size of a value and of an item (attribute names counted); the 400 KB limit is
// kMaxItemSize.
size_t ValueSize(const Value& value);
size_t ItemSize(const Item& item);

// The `pk`/`sk` bytes of a key attribute: S as UTF-8, B raw, N order-preserving. Other types
// cannot be keys: InvalidArgument.
Result<std::string> EncodeKey(const Value& value);
// The key attribute back from its bytes and the key's type (S, N or B).
Result<Value> DecodeKey(std::string_view bytes, Type type);
// The smallest byte string greater than every string that starts with `prefix`, or nullopt
// when there is none (the prefix is all 0xFF bytes): begins_with as a range [prefix, bound).
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

}  // namespace cloudlite::dynamo
