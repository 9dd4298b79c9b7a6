#include "dynamo/legacy.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "dynamo/errors.h"
#include "dynamo/json.h"

namespace cloudlite::dynamo {
namespace json = boost::json;
namespace {

// ---- messages and JSON shapes ---------------------------------------------------------------

Status Validation(std::string message) { return Status::InvalidArgument(std::move(message)); }

Status Invalid(std::string message) {
  return Validation("One or more parameter values were invalid: " + std::move(message));
}

Result<const json::object*> ObjectMember(const json::object& o, std::string_view name) {
  const json::value* v = Member(o, name);
  if (v == nullptr) return static_cast<const json::object*>(nullptr);
  if (!v->is_object()) return WrongKind(*v, "Map");
  return &v->get_object();
}

Result<const json::array*> ArrayMember(const json::object& o, std::string_view name) {
  const json::value* v = Member(o, name);
  if (v == nullptr) return static_cast<const json::array*>(nullptr);
  if (!v->is_array()) return WrongKind(*v, "List");
  return &v->get_array();
}

Result<std::optional<std::string>> StringMember(const json::object& o, std::string_view name) {
  const json::value* v = Member(o, name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return WrongKind(*v, "String");
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::optional<bool>> BoolMember(const json::object& o, std::string_view name) {
  const json::value* v = Member(o, name);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool()) return WrongKind(*v, "Boolean");
  return std::optional<bool>(v->get_bool());
}

Result<const json::object*> EntryObject(const json::value& v) {
  if (!v.is_object()) return WrongKind(v, "Map");
  return &v.get_object();
}

// ---- placeholders ---------------------------------------------------------------------------

// Hands out #<prefix><n> and :<prefix><n> for names and values, adding them to the request's
// attributes, so every name is taken literally. A legacy parameter never meets a user's
// placeholders except KeyConditions beside a FilterExpression or ProjectionExpression (DynamoDB
// allows that), hence the long prefix there.
class Placeholders {
 public:
  Placeholders(ExpressionAttributes* attributes, std::string prefix)
      : attributes_(attributes), prefix_(std::move(prefix)) {}

  std::string Name(const std::string& name) {
    std::string key = "#" + prefix_ + std::to_string(names_++);
    attributes_->AddName(key, name);
    return key;
  }
  std::string Val(Value value) {
    std::string key = ":" + prefix_ + std::to_string(values_++);
    attributes_->AddValue(key, std::move(value));
    return key;
  }

 private:
  ExpressionAttributes* attributes_;
  std::string prefix_;
  int names_ = 0;
  int values_ = 0;
};

// ---- comparison operators -------------------------------------------------------------------

enum class Op {
  kEq,
  kNe,
  kLe,
  kLt,
  kGe,
  kGt,
  kNotNull,
  kNull,
  kContains,
  kNotContains,
  kBeginsWith,
  kIn,
  kBetween
};

struct OpInfo {
  std::string_view name;
  Op op;
};
constexpr OpInfo kOps[] = {{"EQ", Op::kEq},
                           {"NE", Op::kNe},
                           {"LE", Op::kLe},
                           {"LT", Op::kLt},
                           {"GE", Op::kGe},
                           {"GT", Op::kGt},
                           {"NOT_NULL", Op::kNotNull},
                           {"NULL", Op::kNull},
                           {"CONTAINS", Op::kContains},
                           {"NOT_CONTAINS", Op::kNotContains},
                           {"BEGINS_WITH", Op::kBeginsWith},
                           {"IN", Op::kIn},
                           {"BETWEEN", Op::kBetween}};

Result<Op> ParseOp(std::string_view name) {
  for (const auto& info : kOps) {
    if (info.name == name) return info.op;
  }
  return Validation("Comparison type does not exist in DynamoDB");
}

std::string OpName(Op op) {
  for (const auto& info : kOps) {
    if (info.op == op) return std::string(info.name);
  }
  return "";
}

bool IsScalar(Type t) { return t == Type::kS || t == Type::kN || t == Type::kB; }

// Whether `op` takes an AttributeValueList member of type `t`.
bool TypeAllowed(Op op, Type t) {
  switch (op) {
    case Op::kEq:
    case Op::kNe:
      return true;
    case Op::kContains:
    case Op::kNotContains:
      return !IsSet(t) && t != Type::kL && t != Type::kM;
    case Op::kBeginsWith:
      return t == Type::kS || t == Type::kB;
    default:
      return IsScalar(t);
  }
}

bool ArityAllowed(Op op, size_t n) {
  switch (op) {
    case Op::kNull:
    case Op::kNotNull:
      return n == 0;
    case Op::kIn:
      return n >= 1;
    case Op::kBetween:
      return n == 2;
    default:
      return n == 1;
  }
}

int CompareScalars(const Value& a, const Value& b) {
  if (a.type == Type::kN) return Number::Compare(a.number(), b.number());
  int c = a.text.compare(b.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// DynamoDB's checks of an AttributeValueList against its ComparisonOperator, in its order.
Status CheckArguments(Op op, const std::vector<Value>& args) {
  if (!ArityAllowed(op, args.size())) {
    return Invalid("Invalid number of argument(s) for the " + OpName(op) + " ComparisonOperator");
  }
  // Element by element: its type, then whether it matches the first one's.
  for (const Value& a : args) {
    if (!TypeAllowed(op, a.type)) {
      return Invalid("ComparisonOperator " + OpName(op) + " is not valid for " +
                     std::string(TypeName(a.type)) + " AttributeValue type");
    }
    if ((op == Op::kIn || op == Op::kBetween) && a.type != args[0].type) {
      return Invalid("AttributeValues inside AttributeValueList must be of same type");
    }
  }
  if (op == Op::kBetween && CompareScalars(args[0], args[1]) > 0) {
    return Validation(
        "The BETWEEN condition was provided a range where the lower bound is greater than the "
        "upper bound");
  }
  return Status::Ok();
}

Result<std::vector<Value>> DecodeValues(const json::array& list) {
  std::vector<Value> out;
  out.reserve(list.size());
  for (const auto& v : list) {
    CL_ASSIGN_OR_RETURN(Value value, ValueFromJson(v));
    out.push_back(std::move(value));
  }
  return out;
}

// The condition an operator stands for, as expression text. Compound texts are not
// parenthesized: the caller adds parentheses when it joins several (doubled parentheses are an
// error in DynamoDB's grammar).
std::string ConditionText(Placeholders* p, const std::string& name, Op op,
                          std::vector<Value> args) {
  std::string a = p->Name(name);
  auto binary = [&](std::string_view symbol) {
    return a + " " + std::string(symbol) + " " + p->Val(std::move(args[0]));
  };
  switch (op) {
    case Op::kEq:
      return binary("=");
    case Op::kNe:
      return binary("<>");
    case Op::kLe:
      return binary("<=");
    case Op::kLt:
      return binary("<");
    case Op::kGe:
      return binary(">=");
    case Op::kGt:
      return binary(">");
    case Op::kNotNull:
      return "attribute_exists(" + a + ")";
    case Op::kNull:
      return "attribute_not_exists(" + a + ")";
    case Op::kContains:
      return "contains(" + a + ", " + p->Val(std::move(args[0])) + ")";
    case Op::kNotContains:
      // The legacy NOT_CONTAINS is false on a missing attribute; NOT contains(...) is true.
      return "attribute_exists(" + a + ") AND NOT contains(" + a + ", " +
             p->Val(std::move(args[0])) + ")";
    case Op::kBeginsWith:
      return "begins_with(" + a + ", " + p->Val(std::move(args[0])) + ")";
    case Op::kBetween: {
      std::string low = p->Val(std::move(args[0]));
      return a + " BETWEEN " + low + " AND " + p->Val(std::move(args[1]));
    }
    case Op::kIn: {
      // The expression IN takes at most kMaxInOperands; the legacy one has no such limit.
      std::string out;
      for (size_t i = 0; i < args.size(); i += kMaxInOperands) {
        if (i > 0) out += " OR ";
        out += a + " IN (";
        for (size_t j = i; j < std::min(args.size(), i + kMaxInOperands); j++) {
          out += (j > i ? ", " : "") + p->Val(std::move(args[j]));
        }
        out += ")";
      }
      return out;
    }
  }
  return "";
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  if (parts.size() == 1) return parts[0];
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i > 0) out += separator;
    out += "(" + parts[i] + ")";
  }
  return out;
}

// ---- Expected, QueryFilter/ScanFilter, KeyConditions ----------------------------------------

// One member of Expected: {Exists, Value} or {ComparisonOperator, AttributeValueList | Value}.
Result<std::string> ExpectedCondition(Placeholders* p, const std::string& name,
                                      const json::value& member) {
  if (name.empty()) return Validation("Empty attribute name");
  CL_ASSIGN_OR_RETURN(const json::object* entry, EntryObject(member));
  const json::value* value_json = Member(*entry, "Value");
  CL_ASSIGN_OR_RETURN(std::optional<bool> exists, BoolMember(*entry, "Exists"));
  CL_ASSIGN_OR_RETURN(std::optional<std::string> op_name,
                      StringMember(*entry, "ComparisonOperator"));
  CL_ASSIGN_OR_RETURN(const json::array* list, ArrayMember(*entry, "AttributeValueList"));
  const std::string suffix = " for Attribute: " + name;
  if (value_json != nullptr && list != nullptr) {
    return Invalid("Value and AttributeValueList cannot be used together" + suffix);
  }
  if (list != nullptr && !op_name) {
    return Invalid("AttributeValueList can only be used with a ComparisonOperator" + suffix);
  }
  if (exists && op_name) {
    return Invalid("Exists and ComparisonOperator cannot be used together" + suffix);
  }
  std::optional<Value> value;
  if (value_json != nullptr) {
    CL_ASSIGN_OR_RETURN(value, ValueFromJson(*value_json));
  }
  if (op_name) {
    CL_ASSIGN_OR_RETURN(Op op, ParseOp(*op_name));
    std::vector<Value> args;
    if (list != nullptr) {
      CL_ASSIGN_OR_RETURN(args, DecodeValues(*list));
    } else if (value) {
      args.push_back(std::move(*value));
    } else if (!ArityAllowed(op, 0)) {
      return Invalid(
          "Value or AttributeValueList must be used with ComparisonOperator: " + *op_name + suffix);
    }
    CL_RETURN_IF_ERROR(CheckArguments(op, args));
    return ConditionText(p, name, op, std::move(args));
  }
  if (exists == false) {
    if (value) return Invalid("Value cannot be used when Exists is false" + suffix);
    return ConditionText(p, name, Op::kNull, {});
  }
  if (!value) {
    return Invalid(std::string("Value must be provided when Exists is ") +
                   (exists ? "true" : "null") + suffix);
  }
  std::vector<Value> args;
  args.push_back(std::move(*value));
  return ConditionText(p, name, Op::kEq, std::move(args));
}

// The operator and values of a QueryFilter/ScanFilter/KeyConditions member (a Condition:
// ComparisonOperator and AttributeValueList only).
struct Comparison {
  Op op;
  std::vector<Value> args;
};

Result<Comparison> ParseComparison(const std::string& name, const json::value& member) {
  if (name.empty()) return Validation("Empty attribute name");
  CL_ASSIGN_OR_RETURN(const json::object* entry, EntryObject(member));
  CL_ASSIGN_OR_RETURN(std::optional<std::string> op_name,
                      StringMember(*entry, "ComparisonOperator"));
  if (!op_name) return Validation("Comparison type does not exist in DynamoDB");
  CL_ASSIGN_OR_RETURN(Op op, ParseOp(*op_name));
  CL_ASSIGN_OR_RETURN(const json::array* list, ArrayMember(*entry, "AttributeValueList"));
  Comparison out{op, {}};
  if (list != nullptr) {
    CL_ASSIGN_OR_RETURN(out.args, DecodeValues(*list));
  }
  return out;
}

Result<std::string> FilterCondition(Placeholders* p, const std::string& name,
                                    const json::value& member) {
  CL_ASSIGN_OR_RETURN(Comparison c, ParseComparison(name, member));
  CL_RETURN_IF_ERROR(CheckArguments(c.op, c.args));
  return ConditionText(p, name, c.op, std::move(c.args));
}

Result<std::string> KeyConditionPart(Placeholders* p, const std::string& name,
                                     const json::value& member) {
  CL_ASSIGN_OR_RETURN(Comparison c, ParseComparison(name, member));
  switch (c.op) {
    case Op::kNe:
    case Op::kIn:
    case Op::kContains:
    case Op::kNotContains:
      return Validation("Attempted conditional constraint is not an indexable operation");
    default:
      break;
  }
  CL_RETURN_IF_ERROR(CheckArguments(c.op, c.args));
  // NULL and NOT_NULL pass through as functions that KeyCondition refuses; CheckLegacyKeys
  // gives DynamoDB's words for them when the schema is known.
  return ConditionText(p, name, c.op, std::move(c.args));
}

using PartFn = Result<std::string> (*)(Placeholders*, const std::string&, const json::value&);

// Expected or a filter with its ConditionalOperator: nullopt when absent or empty.
Result<std::optional<std::string>> ConditionBlock(const json::object* block, PartFn part,
                                                  const std::optional<std::string>& conditional,
                                                  Placeholders* p) {
  std::vector<std::string> parts;
  if (block != nullptr) {
    for (const auto& [key, member] : *block) {
      CL_ASSIGN_OR_RETURN(std::string text, part(p, std::string(key), member));
      parts.push_back(std::move(text));
    }
  }
  if (conditional) {
    if (parts.empty())
      return Validation("ConditionalOperator cannot be used without Filter or Expected");
    if (parts.size() < 2) {
      return Validation(
          "ConditionalOperator can only be used when Filter or Expected has two or more "
          "elements");
    }
  }
  if (parts.empty()) return std::optional<std::string>();
  return std::optional<std::string>(Join(parts, conditional == "OR" ? " OR " : " AND "));
}

Result<std::optional<std::string>> ConditionalOperator(const json::object& request) {
  CL_ASSIGN_OR_RETURN(std::optional<std::string> op, StringMember(request, "ConditionalOperator"));
  if (op && *op != "AND" && *op != "OR") {
    return Validation("1 validation error detected: Value '" + *op +
                      "' at 'conditionalOperator' failed to satisfy constraint: Member must "
                      "satisfy enum value set: [AND, OR]");
  }
  return op;
}

// ---- AttributeUpdates -----------------------------------------------------------------------

Result<std::optional<std::string>> UpdateText(const json::object* updates, Placeholders* p) {
  if (updates == nullptr || updates->empty()) return std::optional<std::string>();
  std::vector<std::string> set, remove, add, del;
  for (const auto& [key, member] : *updates) {
    std::string name(key);
    if (name.empty()) return Validation("Empty attribute name");
    CL_ASSIGN_OR_RETURN(const json::object* entry, EntryObject(member));
    CL_ASSIGN_OR_RETURN(std::optional<std::string> action, StringMember(*entry, "Action"));
    if (!action) action = "PUT";
    if (*action != "PUT" && *action != "ADD" && *action != "DELETE") {
      return Validation("Member must satisfy enum value set: [ADD, DELETE, PUT]");
    }
    const json::value* value_json = Member(*entry, "Value");
    if (value_json == nullptr) {
      if (*action != "DELETE") {
        return Invalid("Only DELETE action is allowed when no attribute value is specified");
      }
      remove.push_back(p->Name(name));
      continue;
    }
    CL_ASSIGN_OR_RETURN(Value value, ValueFromJson(*value_json));
    Type type = value.type;
    if (*action == "PUT") {
      std::string a = p->Name(name);
      set.push_back(a + " = " + p->Val(std::move(value)));
    } else if (*action == "DELETE") {
      if (!IsSet(type)) {
        return Invalid("DELETE action with value is not supported for the type " +
                       std::string(LongTypeName(type)));
      }
      std::string a = p->Name(name);
      del.push_back(a + " " + p->Val(std::move(value)));
    } else if (type == Type::kL) {
      // The legacy ADD appends to a list (creating it when missing); ADD in an expression
      // takes numbers and sets only.
      std::string a = p->Name(name);
      std::string empty = p->Val(Value::L({}));
      set.push_back(a + " = list_append(if_not_exists(" + a + ", " + empty + "), " +
                    p->Val(std::move(value)) + ")");
    } else if (type == Type::kN || IsSet(type)) {
      std::string a = p->Name(name);
      add.push_back(a + " " + p->Val(std::move(value)));
    } else {
      return Invalid("ADD action is not supported for the type " + std::string(LongTypeName(type)));
    }
  }
  std::string out;
  auto section = [&](std::string_view keyword, const std::vector<std::string>& clauses) {
    if (clauses.empty()) return;
    if (!out.empty()) out += " ";
    out += std::string(keyword) + " ";
    for (size_t i = 0; i < clauses.size(); i++) out += (i ? ", " : "") + clauses[i];
  };
  section("SET", set);
  section("REMOVE", remove);
  section("ADD", add);
  section("DELETE", del);
  return std::optional<std::string>(out);
}

// ---- AttributesToGet ------------------------------------------------------------------------

// AttributesToGet. DynamoDB Local lets Query and Scan send an empty list (and answers empty
// items); the API reference says at least one name, so we refuse it everywhere.
Result<std::optional<std::string>> ProjectionText(std::string_view operation,
                                                  const json::array* names, Placeholders* p) {
  if (names == nullptr) return std::optional<std::string>();
  if (names->empty()) return Validation("AttributesToGet cannot be empty");
  std::set<std::string> seen;
  std::string out;
  for (const auto& v : *names) {
    if (!v.is_string()) return WrongKind(v, "String");
    std::string name(v.get_string());
    if (name.empty()) return Validation("Empty attribute name");
    if (!seen.insert(name).second) {
      if (operation == "BatchGetItem") {
        return Invalid("Duplicate value in attribute name: " + name);
      }
      return Validation("Cannot have two attributes with the same name");
    }
    out += (out.empty() ? "" : ", ") + p->Name(name);
  }
  return std::optional<std::string>(out);
}

// ---- which parameters an operation has ------------------------------------------------------

struct Parameters {
  std::vector<std::string_view> legacy;       // in the order DynamoDB lists them
  std::vector<std::string_view> expressions;  // likewise
  std::vector<std::string_view> valued;       // the expressions that take values
  std::string_view values_null;               // "... are null" in the values message
};

Parameters ParametersOf(std::string_view operation) {
  if (operation == "PutItem" || operation == "DeleteItem") {
    return {{"Expected", "ConditionalOperator"},
            {"ConditionExpression"},
            {"ConditionExpression"},
            "ConditionExpression is null"};
  }
  if (operation == "UpdateItem") {
    return {{"AttributeUpdates", "Expected", "ConditionalOperator"},
            {"UpdateExpression", "ConditionExpression"},
            {"UpdateExpression", "ConditionExpression"},
            "UpdateExpression and ConditionExpression are null"};
  }
  if (operation == "GetItem" || operation == "BatchGetItem") {
    return {{"AttributesToGet"}, {"ProjectionExpression"}, {}, ""};
  }
  if (operation == "Scan") {
    return {{"AttributesToGet", "ScanFilter", "ConditionalOperator"},
            {"ProjectionExpression", "FilterExpression"},
            {"FilterExpression"},
            "FilterExpression is null"};
  }
  if (operation == "Query") {
    return {{"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"},
            {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"},
            {"FilterExpression", "KeyConditionExpression"},
            "FilterExpression and KeyConditionExpression are null"};
  }
  return {};
}

std::string BraceList(const std::vector<std::string_view>& names) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); i++) out += (i ? ", " : "") + std::string(names[i]);
  return out + "}";
}

// The mixing of legacy and expression parameters, and expression attributes without
// expressions, with DynamoDB's messages.
Status CheckParameterKinds(std::string_view operation, const json::object& request) {
  const Parameters params = ParametersOf(operation);
  auto present = [&](std::string_view name) { return Member(request, name) != nullptr; };
  std::vector<std::string_view> legacy, expressions;
  for (auto name : params.expressions) {
    if (present(name)) expressions.push_back(name);
  }
  for (auto name : params.legacy) {
    // DynamoDB lets KeyConditions stand beside FilterExpression and ProjectionExpression: only
    // KeyConditionExpression conflicts with it.
    if (name == "KeyConditions" && !present("KeyConditionExpression")) continue;
    if (present(name)) legacy.push_back(name);
  }
  if (!legacy.empty() && !expressions.empty()) {
    return Validation(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: " +
        BraceList(legacy) + " Expression parameters: " + BraceList(expressions));
  }
  if (present("ExpressionAttributeNames") && expressions.empty()) {
    return Validation("ExpressionAttributeNames can only be specified when using expressions");
  }
  if (!params.valued.empty() && present("ExpressionAttributeValues") &&
      std::none_of(params.valued.begin(), params.valued.end(), present)) {
    return Validation("ExpressionAttributeValues can only be specified when using expressions: " +
                      std::string(params.values_null));
  }
  return Status::Ok();
}

// The placeholder prefix of KeyConditions: "legacyKey", lengthened until no placeholder of the
// request's own ExpressionAttributeNames/Values starts with it, so none can clash.
std::string KeyPrefix(const json::object& request) {
  std::string prefix = "legacyKey";
  auto clashes = [&] {
    for (const char* member : {"ExpressionAttributeNames", "ExpressionAttributeValues"}) {
      const json::value* v = Member(request, member);
      if (v == nullptr || !v->is_object()) continue;
      for (const auto& [key, ignored] : v->get_object()) {
        if (key.size() > prefix.size() && std::string_view(key).substr(1).starts_with(prefix)) {
          return true;
        }
      }
    }
    return false;
  };
  // Each round makes the prefix longer than some user key's tail, so this ends.
  while (clashes()) prefix += "_";
  return prefix;
}

}  // namespace

Result<LegacyExpressions> TranslateLegacy(std::string_view operation, const json::object& request,
                                          ExpressionAttributes* attributes) {
  CL_RETURN_IF_ERROR(CheckParameterKinds(operation, request));
  LegacyExpressions out;
  const bool writes =
      operation == "PutItem" || operation == "UpdateItem" || operation == "DeleteItem";
  const bool query = operation == "Query";
  const bool reads = query || operation == "Scan";
  if (writes || reads) {
    CL_ASSIGN_OR_RETURN(std::optional<std::string> conditional, ConditionalOperator(request));
    if (writes) {
      Placeholders p(attributes, "c");
      CL_ASSIGN_OR_RETURN(const json::object* expected, ObjectMember(request, "Expected"));
      CL_ASSIGN_OR_RETURN(out.condition,
                          ConditionBlock(expected, ExpectedCondition, conditional, &p));
    } else {
      Placeholders k(attributes, KeyPrefix(request));
      if (query) {
        CL_ASSIGN_OR_RETURN(const json::object* keys, ObjectMember(request, "KeyConditions"));
        if (keys != nullptr) {
          if (keys->empty() || keys->size() > 2) {
            return Validation("Conditions can be of length 1 or 2 only");
          }
          CL_ASSIGN_OR_RETURN(out.key_condition,
                              ConditionBlock(keys, KeyConditionPart, std::nullopt, &k));
        }
      }
      Placeholders p(attributes, "f");
      CL_ASSIGN_OR_RETURN(const json::object* filter,
                          ObjectMember(request, query ? "QueryFilter" : "ScanFilter"));
      CL_ASSIGN_OR_RETURN(out.filter, ConditionBlock(filter, FilterCondition, conditional, &p));
    }
  }
  if (operation == "UpdateItem") {
    Placeholders p(attributes, "u");
    CL_ASSIGN_OR_RETURN(const json::object* updates, ObjectMember(request, "AttributeUpdates"));
    CL_ASSIGN_OR_RETURN(out.update, UpdateText(updates, &p));
  }
  if (reads || operation == "GetItem" || operation == "BatchGetItem") {
    Placeholders p(attributes, "p");
    CL_ASSIGN_OR_RETURN(const json::array* names, ArrayMember(request, "AttributesToGet"));
    CL_ASSIGN_OR_RETURN(out.projection, ProjectionText(operation, names, &p));
  }
  return out;
}

Status CheckLegacyKeys(const json::object& request, const KeySchema& schema) {
  auto is_key = [&](std::string_view name) {
    return name == schema.hash_name || (schema.range_name && name == *schema.range_name);
  };
  CL_ASSIGN_OR_RETURN(const json::object* keys, ObjectMember(request, "KeyConditions"));
  if (keys != nullptr) {
    bool have_hash = false;
    for (const auto& [key, member] : *keys) {
      std::string_view name = key;
      if (!is_key(name)) return Validation("Query condition missed key schema element");
      bool hash = name == schema.hash_name;
      have_hash = have_hash || hash;
      if (!member.is_object()) continue;  // TranslateLegacy reports the shape
      auto op = StringMember(member.get_object(), "ComparisonOperator");
      if (op.ok() && (*op == "NULL" || *op == "NOT_NULL")) {
        return Validation(std::string("Only scalar types can be used as ") +
                          (hash ? "Hash" : "Range") + " Key values");
      }
    }
    if (!have_hash) return Validation("Query condition missed key schema element");
  }
  CL_ASSIGN_OR_RETURN(const json::object* filter, ObjectMember(request, "QueryFilter"));
  if (filter != nullptr) {
    for (const auto& [key, member] : *filter) {
      if (is_key(key)) {
        return Validation(
            "QueryFilter can only contain non-primary key attributes: Primary key attribute: " +
            std::string(key));
      }
    }
  }
  return Status::Ok();
}

Status LegacyUpdateError(Status status) {
  if (status.code() == Status::Code::kInvalidArgument &&
      status.message() == "An operand in the update expression has an incorrect data type") {
    return Validation("Type mismatch for attribute to update");
  }
  return status;
}

}  // namespace cloudlite::dynamo
