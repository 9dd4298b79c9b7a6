#include "dynamo/value.h"

#include <algorithm>
#include <array>

namespace cloudlite::dynamo {
namespace {

constexpr std::array<std::string_view, 10> kTypeNames = {"S",  "N",  "B",  "BOOL", "NULL",
                                                         "SS", "NS", "BS", "L",    "M"};
constexpr std::array<std::string_view, 10> kLongTypeNames = {
    "STRING",     "NUMBER",     "BINARY",     "BOOLEAN", "NULL",
    "STRING_SET", "NUMBER_SET", "BINARY_SET", "LIST",    "MAP"};

}  // namespace

std::string_view TypeName(Type type) { return kTypeNames[static_cast<size_t>(type)]; }

std::string_view LongTypeName(Type type) { return kLongTypeNames[static_cast<size_t>(type)]; }

bool TypeFromName(std::string_view name, Type* type) {
  for (size_t i = 0; i < kTypeNames.size(); i++) {
    if (kTypeNames[i] == name) {
      *type = static_cast<Type>(i);
      return true;
    }
  }
  return false;
}

bool IsSet(Type type) { return type == Type::kSS || type == Type::kNS || type == Type::kBS; }

Value Value::S(std::string s) {
  Value v;
  v.type = Type::kS;
  v.text = std::move(s);
  return v;
}

Value Value::N(const Number& n) {
  Value v;
  v.type = Type::kN;
  v.text = n.ToString();
  return v;
}

Value Value::B(std::string bytes) {
  Value v;
  v.type = Type::kB;
  v.text = std::move(bytes);
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.type = Type::kBool;
  v.boolean = b;
  return v;
}

Value Value::Null() { return Value(); }

Value Value::L(std::vector<Value> elements) {
  Value v;
  v.type = Type::kL;
  v.list = std::move(elements);
  return v;
}

Value Value::M(Map members) {
  Value v;
  v.type = Type::kM;
  v.map = std::move(members);
  return v;
}

bool NumberTextLess(const std::string& a, const std::string& b) {
  auto na = Number::Parse(a);
  auto nb = Number::Parse(b);
  if (!na.ok() || !nb.ok()) return a < b;  // not reached for normalized text
  return Number::Compare(*na, *nb) < 0;
}

Result<Value> Value::MakeSet(Type type, std::vector<std::string> elements) {
  std::string prefix = "One or more parameter values were invalid: ";
  if (elements.empty()) {
    if (type == Type::kSS)
      return Status::InvalidArgument(prefix + "An string set  may not be empty");
    if (type == Type::kNS)
      return Status::InvalidArgument(prefix + "An number set  may not be empty");
    return Status::InvalidArgument(prefix + "Binary sets should not be empty");
  }
  Value v;
  v.type = type;
  if (type == Type::kNS) {
    std::sort(elements.begin(), elements.end(), NumberTextLess);
  } else {
    std::sort(elements.begin(), elements.end());
  }
  if (std::adjacent_find(elements.begin(), elements.end()) != elements.end()) {
    if (type == Type::kNS) return Status::InvalidArgument("Input collection contains duplicates");
    if (type == Type::kBS) {
      return Status::InvalidArgument(prefix + "Input collection of type BS contains duplicates.");
    }
    std::string shown;
    for (const auto& e : elements) shown += (shown.empty() ? "" : ", ") + e;
    return Status::InvalidArgument(prefix + "Input collection [" + shown + "] contains duplicates");
  }
  v.set = std::move(elements);
  return v;
}

Number Value::number() const {
  auto n = Number::Parse(text);
  return n.ok() ? *n : Number();
}

bool operator==(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::kS:
    case Type::kN:
    case Type::kB:
      return a.text == b.text;
    case Type::kBool:
      return a.boolean == b.boolean;
    case Type::kNull:
      return true;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      return a.set == b.set;
    case Type::kL:
      return a.list == b.list;
    case Type::kM:
      return a.map == b.map;
  }
  return false;
}

std::string Describe(const Value& value) {
  std::string out = "{";
  out += TypeName(value.type);
  out += ":";
  switch (value.type) {
    case Type::kS:
    case Type::kN:
      out += value.text;
      break;
    case Type::kB: {
      // What DynamoDB's Java model prints for a binary (the bytes themselves never appear).
      std::string n = std::to_string(value.text.size());
      out += "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
      break;
    }
    case Type::kBool:
      out += value.boolean ? "true" : "false";
      break;
    case Type::kNull:
      out += "true";
      break;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS: {
      out += "[";
      for (size_t i = 0; i < value.set.size(); i++) out += (i ? ", " : "") + value.set[i];
      out += "]";
      break;
    }
    case Type::kL:
      out += "[" + std::to_string(value.list.size()) + " elements]";
      break;
    case Type::kM:
      out += "{" + std::to_string(value.map.size()) + " members}";
      break;
  }
  return out + "}";
}

}  // namespace cloudlite::dynamo
