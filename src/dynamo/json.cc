#include "dynamo/json.h"

#include "base/base64.h"
#include "base/json_text.h"
#include "dynamo/errors.h"

namespace cloudlite::dynamo {
namespace json = boost::json;

// What Coral's deserializer says when a member has the wrong JSON kind.
Status WrongKind(const json::value& v, std::string_view wanted) {
  switch (v.kind()) {
    case json::kind::object:
      return SerializationError("Start of structure or map found where not expected.");
    case json::kind::array:
      return SerializationError("Start of list found where not expected");
    case json::kind::string:
      return SerializationError("STRING_VALUE cannot be converted to " + std::string(wanted));
    case json::kind::bool_:
      return SerializationError(std::string(v.get_bool() ? "TRUE_VALUE" : "FALSE_VALUE") +
                                " cannot be converted to " + std::string(wanted));
    default:
      return SerializationError("NUMBER_VALUE cannot be converted to " + std::string(wanted));
  }
}

const json::value* Member(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

namespace {

Result<std::string> StringOf(const json::value& v) {
  if (!v.is_string()) return WrongKind(v, "String");
  const auto& s = v.get_string();
  return std::string(s.data(), s.size());
}

Result<std::string> NumberTextOf(const json::value& v) {
  CL_ASSIGN_OR_RETURN(std::string text, StringOf(v));
  CL_ASSIGN_OR_RETURN(Number n, Number::Parse(text));
  return n.ToString();
}

Result<std::string> BinaryOf(const json::value& v) {
  CL_ASSIGN_OR_RETURN(std::string text, StringOf(v));
  return DecodeBinary(text);
}

Result<std::vector<std::string>> SetOf(const json::value& v,
                                       Result<std::string> (*element)(const json::value&)) {
  if (!v.is_array()) return WrongKind(v, "List");
  std::vector<std::string> out;
  out.reserve(v.get_array().size());
  for (const auto& e : v.get_array()) {
    CL_ASSIGN_OR_RETURN(std::string s, element(e));
    out.push_back(std::move(s));
  }
  return out;
}

Result<Value> Decode(const json::value& json, int depth);

Result<Map> MapOf(const json::value& json, int depth) {
  if (!json.is_object()) return WrongKind(json, "Map");
  Map out;
  for (const auto& [name, member] : json.get_object()) {
    if (name.empty()) return Status::InvalidArgument("Empty attribute name");
    CL_ASSIGN_OR_RETURN(Value v, Decode(member, depth));
    out.insert_or_assign(std::string(name.data(), name.size()), std::move(v));
  }
  return out;
}

// `depth`: how many levels hold this value, counting the item as the first.
Result<Value> Decode(const json::value& json, int depth) {
  if (!json.is_object()) return WrongKind(json, "AttributeValue");
  const json::object& o = json.get_object();
  const json::value* member = nullptr;
  std::string_view name;
  for (const auto& [key, v] : o) {
    Type ignored;
    if (v.is_null() || !TypeFromName(std::string_view(key.data(), key.size()), &ignored)) continue;
    if (member != nullptr) {
      return Status::InvalidArgument(
          "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
          "the supported datatypes");
    }
    member = &v;
    name = std::string_view(key.data(), key.size());
  }
  if (member == nullptr) {
    return Status::InvalidArgument(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  Type type;
  TypeFromName(name, &type);
  const json::value& v = *member;
  switch (type) {
    case Type::kS: {
      CL_ASSIGN_OR_RETURN(std::string s, StringOf(v));
      return Value::S(std::move(s));
    }
    case Type::kN: {
      CL_ASSIGN_OR_RETURN(std::string s, StringOf(v));
      CL_ASSIGN_OR_RETURN(Number n, Number::Parse(s));
      return Value::N(n);
    }
    case Type::kB: {
      CL_ASSIGN_OR_RETURN(std::string b, BinaryOf(v));
      return Value::B(std::move(b));
    }
    case Type::kBool:
      if (!v.is_bool()) return WrongKind(v, "Boolean");
      return Value::Bool(v.get_bool());
    case Type::kNull:
      if (!v.is_bool()) return WrongKind(v, "Boolean");
      if (!v.get_bool()) {
        return Status::InvalidArgument(
            "One or more parameter values were invalid: Null attribute value types must have the "
            "value of true");
      }
      return Value::Null();
    case Type::kSS: {
      CL_ASSIGN_OR_RETURN(auto elements, SetOf(v, StringOf));
      return Value::MakeSet(type, std::move(elements));
    }
    case Type::kNS: {
      CL_ASSIGN_OR_RETURN(auto elements, SetOf(v, NumberTextOf));
      return Value::MakeSet(type, std::move(elements));
    }
    case Type::kBS: {
      CL_ASSIGN_OR_RETURN(auto elements, SetOf(v, BinaryOf));
      return Value::MakeSet(type, std::move(elements));
    }
    case Type::kL: {
      if (!v.is_array()) return WrongKind(v, "List");
      if (depth + 1 > kMaxDepth) return Status::InvalidArgument(std::string(kNestingTooDeep));
      std::vector<Value> elements;
      elements.reserve(v.get_array().size());
      for (const auto& e : v.get_array()) {
        CL_ASSIGN_OR_RETURN(Value element, Decode(e, depth + 1));
        elements.push_back(std::move(element));
      }
      return Value::L(std::move(elements));
    }
    case Type::kM: {
      if (!v.is_object()) return WrongKind(v, "Map");
      if (depth + 1 > kMaxDepth) return Status::InvalidArgument(std::string(kNestingTooDeep));
      CL_ASSIGN_OR_RETURN(Map members, MapOf(v, depth + 1));
      return Value::M(std::move(members));
    }
  }
  return Status::Internal("unreachable attribute type");
}

json::array SetToJson(const Value& value) {
  json::array out;
  for (const auto& e : value.set) out.emplace_back(value.type == Type::kBS ? Base64Encode(e) : e);
  return out;
}

}  // namespace

Result<Value> ValueFromJson(const json::value& json) { return Decode(json, 1); }

Result<Item> ItemFromJson(const json::value& json) { return MapOf(json, 1); }

json::value ToJson(const Value& value) {
  json::object out;
  std::string_view name = TypeName(value.type);
  switch (value.type) {
    case Type::kS:
    case Type::kN:
      out[name] = value.text;
      break;
    case Type::kB:
      out[name] = Base64Encode(value.text);
      break;
    case Type::kBool:
      out[name] = value.boolean;
      break;
    case Type::kNull:
      out[name] = true;
      break;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      out[name] = SetToJson(value);
      break;
    case Type::kL: {
      json::array elements;
      for (const auto& e : value.list) elements.push_back(ToJson(e));
      out[name] = std::move(elements);
      break;
    }
    case Type::kM:
      out[name] = ItemToJson(value.map);
      break;
  }
  return out;
}

json::object ItemToJson(const Item& item) {
  json::object out;
  for (const auto& [name, value] : item) out[name] = ToJson(value);
  return out;
}

void AppendValueJson(const Value& value, std::string* out) {
  out->append("{\"");
  out->append(TypeName(value.type));
  out->append("\":");
  switch (value.type) {
    case Type::kS:
    case Type::kN:
      AppendJsonString(value.text, out);
      break;
    case Type::kB:
      AppendJsonString(Base64Encode(value.text), out);
      break;
    case Type::kBool:
      out->append(value.boolean ? "true" : "false");
      break;
    case Type::kNull:
      out->append("true");
      break;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      out->push_back('[');
      for (size_t i = 0; i < value.set.size(); i++) {
        if (i) out->push_back(',');
        if (value.type == Type::kBS) {
          AppendJsonString(Base64Encode(value.set[i]), out);
        } else {
          AppendJsonString(value.set[i], out);
        }
      }
      out->push_back(']');
      break;
    case Type::kL:
      out->push_back('[');
      for (size_t i = 0; i < value.list.size(); i++) {
        if (i) out->push_back(',');
        AppendValueJson(value.list[i], out);
      }
      out->push_back(']');
      break;
    case Type::kM:
      AppendItemJson(value.map, out);
      break;
  }
  out->push_back('}');
}

void AppendItemJson(const Item& item, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : item) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(name, out);
    out->push_back(':');
    AppendValueJson(value, out);
  }
  out->push_back('}');
}

Result<std::string> DecodeBinary(std::string_view text) {
  if (text.size() % 4 != 0) {
    return SerializationError(
        "Base64 encoded length is expected a multiple of 4 bytes but found: " +
        std::to_string(text.size()));
  }
  std::string out;
  if (!Base64Decode(text, &out)) {
    return SerializationError("Invalid Base64 character or padding in a binary value");
  }
  return out;
}

}  // namespace cloudlite::dynamo
