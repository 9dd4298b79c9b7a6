// DynamoDB expressions: ConditionExpression, FilterExpression, KeyConditionExpression,
// UpdateExpression and ProjectionExpression, parsed against one request's
// ExpressionAttributeNames/Values and evaluated on items.
//
// Errors are InvalidArgument carrying DynamoDB's ValidationException message, prefixed like
// DynamoDB's with the parameter ("Invalid ConditionExpression: Syntax error; token: \"=\", near:
// \"= = :v\""); the shapes were taken from DynamoDB Local (docs/dynamodb.md lists them).
// Bounded work: an expression is at most 4 KB, 300 operators, 100 IN operands, 32 path levels
// and 256 levels of parentheses, so parsing is linear and evaluation costs at most
// operators x item size; nothing recurses without a bound.
// Thread-safety: parsed expressions are immutable values; ExpressionAttributes is not shared.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "dynamo/value.h"

namespace cloudlite::dynamo {

enum class ExpressionKind { kCondition, kFilter, kKeyCondition, kUpdate, kProjection };
// "ConditionExpression", "FilterExpression", ...: how messages name the parameter.
std::string_view ExpressionName(ExpressionKind kind);

inline constexpr size_t kMaxExpressionSize = 4096;
inline constexpr int kMaxOperators = 300;
inline constexpr size_t kMaxInOperands = 100;
inline constexpr size_t kMaxPathDepth = 32;
inline constexpr int kMaxParentheses = 256;

// True when `word` is one of DynamoDB's 573 reserved words (any case).
bool IsReservedWord(std::string_view word);

// ExpressionAttributeNames and ExpressionAttributeValues of one request, and which of them the
// request's expressions used (DynamoDB refuses unused ones).
class ExpressionAttributes {
 public:
  ExpressionAttributes() = default;
  // From the request's members; nullptr when a member is absent. DynamoDB's errors for empty
  // maps, keys that are not #name / :value, empty names and invalid values.
  static Result<ExpressionAttributes> FromJson(const boost::json::value* names,
                                               const boost::json::value* values);
  void AddName(std::string key, std::string name) { names_[std::move(key)] = std::move(name); }
  void AddValue(std::string key, Value value) { values_[std::move(key)] = std::move(value); }

  // The name or value a placeholder stands for (marking it used), or nullptr.
  const std::string* UseName(std::string_view key);
  const Value* UseValue(std::string_view key);

  // After every expression of the request was parsed: "Value provided in
  // ExpressionAttributeNames unused in expressions: keys: {#b}" (names first, then values).
  Status CheckAllUsed() const;

 private:
  std::map<std::string, std::string, std::less<>> names_;
  std::map<std::string, Value, std::less<>> values_;
  std::set<std::string, std::less<>> used_names_;
  std::set<std::string, std::less<>> used_values_;
};

// A document path: a.b[3].c is {name a, name b, index 3, name c}.
struct PathElement {
  std::string name;  // when !is_index
  uint32_t index = 0;
  bool is_index = false;
  friend bool operator==(const PathElement&, const PathElement&) = default;
};
using Path = std::vector<PathElement>;
// How DynamoDB prints a path in messages: "[a, b, [3], c]".
std::string PathToString(const Path& path);
// The value at `path` in `item`, or nullptr when any step is missing or of the wrong type.
const Value* Resolve(const Item& item, const Path& path);

// The parse tree shared by the expression kinds (internal; see the classes below).
struct Node;

// A ConditionExpression or FilterExpression.
class Condition {
 public:
  static Result<Condition> Parse(std::string_view text, ExpressionKind kind,
                                 ExpressionAttributes* attributes);
  // Whether `item` satisfies it; nullptr is "no item" (every attribute missing).
  bool Evaluate(const Item* item) const;
  // Every document path the condition reads, left to right (Query refuses a filter on a key).
  std::vector<Path> Paths() const;

 private:
  std::shared_ptr<const Node> root_;
};

// An UpdateExpression.
class Update {
 public:
  enum class Action { kSet, kRemove, kAdd, kDelete };
  static Result<Update> Parse(std::string_view text, ExpressionAttributes* attributes);
  // The item after the update, from `item` (empty when the item does not exist). Errors are
  // DynamoDB's: "The document path provided in the update expression is invalid for update",
  // "An operand in the update expression has an incorrect data type", "The provided expression
  // refers to an attribute that does not exist in the item", number overflow/precision.
  Result<Item> Apply(const Item& item) const;
  // Every path the update writes or removes, in order (for key checks and UPDATED_* returns).
  std::vector<Path> Targets() const;
  // "One or more parameter values were invalid: Cannot update attribute k. This attribute is
  // part of the key" when a target's top-level attribute is one of `key_names`.
  Status CheckKeyNotUpdated(const std::vector<std::string>& key_names) const;

 private:
  struct Clause {
    Action action;
    Path path;
    std::shared_ptr<const Node> value;  // SET's right side, ADD's and DELETE's value
  };
  std::vector<Clause> clauses_;
};

// A ProjectionExpression.
class Projection {
 public:
  static Result<Projection> Parse(std::string_view text, ExpressionAttributes* attributes);
  // `item` cut to the projected paths; list elements keep their order and close up.
  Item Apply(const Item& item) const;
  const std::vector<Path>& paths() const { return paths_; }

 private:
  std::vector<Path> paths_;
};

// The key schema a KeyConditionExpression is checked against.
struct KeySchema {
  std::string hash_name;
  Type hash_type = Type::kS;
  std::optional<std::string> range_name;
  Type range_type = Type::kS;
};

// A KeyConditionExpression, bound to the table's key schema.
struct KeyCondition {
  enum class Op { kNone, kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };
  Value hash;
  Op op = Op::kNone;  // on the sort key
  Value low;          // the operand, or BETWEEN's lower bound
  Value high;         // BETWEEN's upper bound

  static Result<KeyCondition> Parse(std::string_view text, const KeySchema& schema,
                                    ExpressionAttributes* attributes);
  // Whether an item's sort key satisfies the sort-key condition (true for kNone).
  bool Matches(const Value& range_key) const;
};

}  // namespace cloudlite::dynamo
