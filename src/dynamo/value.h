// The DynamoDB attribute value model: S, N, B, BOOL, NULL, SS, NS, BS, L, M, and items.
//
// A Value is a plain struct. Its invariants, which every constructor here keeps and the decoders
// (json.h, item_codec.h) check: N text is normalized (number.h, Number::ToString); SS and BS
// elements are sorted by bytes, NS elements numerically, all unique and never empty; map names
// are non-empty. So equal values have equal representations, and == is DynamoDB's equality.
// Thread-safety: value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "dynamo/number.h"

namespace cloudlite::dynamo {

enum class Type : uint8_t { kS, kN, kB, kBool, kNull, kSS, kNS, kBS, kL, kM };

// "S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M".
std::string_view TypeName(Type type);
// "STRING", "NUMBER", ..., "STRING_SET", ..., "MAP": how the update messages name a type.
std::string_view LongTypeName(Type type);
// The inverse of TypeName; false for anything else.
bool TypeFromName(std::string_view name, Type* type);
bool IsSet(Type type);

struct Value;
using Map = std::map<std::string, Value, std::less<>>;
using Item = Map;  // an item is a map of its top-level attributes

struct Value {
  Type type = Type::kNull;
  std::string text;              // S: UTF-8; B: raw bytes; N: normalized decimal text
  bool boolean = false;          // BOOL
  std::vector<std::string> set;  // SS, BS: bytes; NS: normalized text; sorted, unique
  std::vector<Value> list;       // L
  Map map;                       // M

  static Value S(std::string s);
  static Value N(const Number& n);
  static Value B(std::string bytes);
  static Value Bool(bool b);
  static Value Null();
  static Value L(std::vector<Value> elements);
  static Value M(Map members);
  // A set of `type` (SS, NS or BS) from elements in any order. NS elements must be normalized
  // number text. Fails on an empty set or a duplicate, with DynamoDB's messages.
  static Result<Value> MakeSet(Type type, std::vector<std::string> elements);

  // N as a Number (the text is normalized, so this cannot fail on a valid Value).
  Number number() const;

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }
};

// Orders two NS elements (normalized number text) numerically.
bool NumberTextLess(const std::string& a, const std::string& b);

// How DynamoDB prints a value inside an error message: "{N:5}", "{S:abc}", "{SS:[a, b]}", and a
// binary as its Java model does, "{B:java.nio.HeapByteBuffer[pos=0 lim=1 cap=1]}".
std::string Describe(const Value& value);

// DynamoDB's limits.
inline constexpr int kMaxDepth = 32;            // nesting of L and M
inline constexpr size_t kMaxItemSize = 409600;  // 400 KB

}  // namespace cloudlite::dynamo
