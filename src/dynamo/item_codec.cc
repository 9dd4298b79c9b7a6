#include "dynamo/item_codec.h"

#include "base/coding.h"

namespace cloudlite::dynamo {
namespace {

enum Tag : uint8_t {
  kTagS = 0x01,
  kTagN = 0x02,
  kTagB = 0x03,
  kTagFalse = 0x04,
  kTagTrue = 0x05,
  kTagNull = 0x06,
  kTagSS = 0x07,
  kTagNS = 0x08,
  kTagBS = 0x09,
  kTagL = 0x0A,
  kTagM = 0x0B,
};

constexpr size_t kMaxNameLength = 65535;

void PutValue(std::string* out, const Value& v);

void PutMembers(std::string* out, const Map& map) {
  PutVarint64(out, map.size());
  for (const auto& [name, value] : map) {
    PutLengthPrefixed(out, name);
    PutValue(out, value);
  }
}

void PutValue(std::string* out, const Value& v) {
  switch (v.type) {
    case Type::kS:
      out->push_back(static_cast<char>(kTagS));
      PutLengthPrefixed(out, v.text);
      return;
    case Type::kN:
      out->push_back(static_cast<char>(kTagN));
      PutLengthPrefixed(out, v.text);
      return;
    case Type::kB:
      out->push_back(static_cast<char>(kTagB));
      PutLengthPrefixed(out, v.text);
      return;
    case Type::kBool:
      out->push_back(static_cast<char>(v.boolean ? kTagTrue : kTagFalse));
      return;
    case Type::kNull:
      out->push_back(static_cast<char>(kTagNull));
      return;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      out->push_back(static_cast<char>(v.type == Type::kSS   ? kTagSS
                                       : v.type == Type::kNS ? kTagNS
                                                             : kTagBS));
      PutVarint64(out, v.set.size());
      for (const auto& e : v.set) PutLengthPrefixed(out, e);
      return;
    case Type::kL:
      out->push_back(static_cast<char>(kTagL));
      PutVarint64(out, v.list.size());
      for (const auto& e : v.list) PutValue(out, e);
      return;
    case Type::kM:
      out->push_back(static_cast<char>(kTagM));
      PutMembers(out, v.map);
      return;
  }
}

class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : in_(bytes) {}

  Result<Map> DecodeAll() {
    Map map;
    CL_RETURN_IF_ERROR(Members(&map, 1));
    if (!in_.empty()) return Bad("trailing bytes");
    return map;
  }

 private:
  static Status Bad(std::string_view why) {
    return Status::Corruption("stored DynamoDB item: " + std::string(why));
  }

  // A count that cannot exceed the bytes left (each element takes at least one byte), so a
  // hostile count never drives an allocation.
  Status Count(uint64_t* n) {
    if (!in_.Varint64(n)) return Bad("truncated count");
    if (*n > in_.rest().size()) return Bad("count past the end");
    return Status::Ok();
  }

  Status Members(Map* map, int depth) {
    uint64_t n = 0;
    CL_RETURN_IF_ERROR(Count(&n));
    const std::string* previous = nullptr;
    for (uint64_t i = 0; i < n; i++) {
      std::string_view name;
      if (!in_.LengthPrefixed(&name)) return Bad("truncated name");
      if (name.empty() || name.size() > kMaxNameLength) return Bad("bad name length");
      if (previous != nullptr && !(*previous < name)) return Bad("names not ascending");
      Value v;
      CL_RETURN_IF_ERROR(One(&v, depth));
      auto it = map->emplace_hint(map->end(), std::string(name), std::move(v));
      previous = &it->first;
    }
    return Status::Ok();
  }

  Status Set(Value* v, Type type) {
    uint64_t n = 0;
    CL_RETURN_IF_ERROR(Count(&n));
    if (n == 0) return Bad("empty set");
    v->type = type;
    for (uint64_t i = 0; i < n; i++) {
      std::string_view e;
      if (!in_.LengthPrefixed(&e)) return Bad("truncated set element");
      std::string element(e);
      if (type == Type::kNS) CL_RETURN_IF_ERROR(CheckNumber(element));
      if (!v->set.empty()) {
        bool ascending =
            type == Type::kNS ? NumberTextLess(v->set.back(), element) : v->set.back() < element;
        if (!ascending) return Bad("set elements not ascending");
      }
      v->set.push_back(std::move(element));
    }
    return Status::Ok();
  }

  static Status CheckNumber(const std::string& text) {
    auto n = Number::Parse(text);
    if (!n.ok() || n->ToString() != text) return Bad("number not normalized");
    return Status::Ok();
  }

  Status One(Value* v, int depth) {
    uint8_t tag;
    if (!in_.Fixed8(&tag)) return Bad("truncated value");
    std::string_view s;
    switch (tag) {
      case kTagS:
      case kTagN:
      case kTagB:
        if (!in_.LengthPrefixed(&s)) return Bad("truncated value");
        v->type = tag == kTagS ? Type::kS : tag == kTagN ? Type::kN : Type::kB;
        v->text = std::string(s);
        if (tag == kTagN) CL_RETURN_IF_ERROR(CheckNumber(v->text));
        return Status::Ok();
      case kTagFalse:
      case kTagTrue:
        *v = Value::Bool(tag == kTagTrue);
        return Status::Ok();
      case kTagNull:
        *v = Value::Null();
        return Status::Ok();
      case kTagSS:
        return Set(v, Type::kSS);
      case kTagNS:
        return Set(v, Type::kNS);
      case kTagBS:
        return Set(v, Type::kBS);
      case kTagL: {
        if (depth + 1 > kMaxDepth) return Bad("nested too deep");
        uint64_t n = 0;
        CL_RETURN_IF_ERROR(Count(&n));
        v->type = Type::kL;
        for (uint64_t i = 0; i < n; i++) {
          Value e;
          CL_RETURN_IF_ERROR(One(&e, depth + 1));
          v->list.push_back(std::move(e));
        }
        return Status::Ok();
      }
      case kTagM:
        if (depth + 1 > kMaxDepth) return Bad("nested too deep");
        v->type = Type::kM;
        return Members(&v->map, depth + 1);
      default:
        return Bad("unknown type byte");
    }
  }

  Reader in_;
};

}  // namespace

std::string EncodeItem(const Item& item) {
  std::string out;
  PutMembers(&out, item);
  return out;
}

Result<Item> DecodeItem(std::string_view bytes) { return Decoder(bytes).DecodeAll(); }

size_t ValueSize(const Value& v) {
  switch (v.type) {
    case Type::kS:
    case Type::kB:
      return v.text.size();
    case Type::kN:
      return v.number().Size();
    case Type::kBool:
    case Type::kNull:
      return 1;
    case Type::kSS:
    case Type::kBS: {
      size_t n = 0;
      for (const auto& e : v.set) n += e.size();
      return n;
    }
    case Type::kNS: {
      size_t n = 0;
      for (const auto& e : v.set) {
        auto number = Number::Parse(e);
        n += number.ok() ? number->Size() : e.size();
      }
      return n;
    }
    case Type::kL: {
      size_t n = 3 + v.list.size();
      for (const auto& e : v.list) n += ValueSize(e);
      return n;
    }
    case Type::kM: {
      size_t n = 3 + v.map.size();
      for (const auto& [name, e] : v.map) n += name.size() + ValueSize(e);
      return n;
    }
  }
  return 0;
}

size_t ItemSize(const Item& item) {
  size_t n = 0;
  for (const auto& [name, value] : item) n += name.size() + ValueSize(value);
  return n;
}

Result<std::string> EncodeKey(const Value& value) {
  switch (value.type) {
    case Type::kS:
    case Type::kB:
      return value.text;
    case Type::kN:
      return value.number().EncodeKey();
    default:
      return Status::InvalidArgument("a key attribute must be of type S, N or B, not " +
                                     std::string(TypeName(value.type)));
  }
}

Result<Value> DecodeKey(std::string_view bytes, Type type) {
  switch (type) {
    case Type::kS:
      return Value::S(std::string(bytes));
    case Type::kB:
      return Value::B(std::string(bytes));
    case Type::kN: {
      CL_ASSIGN_OR_RETURN(Number n, Number::DecodeKey(bytes));
      return Value::N(n);
    }
    default:
      return Status::InvalidArgument("a key attribute must be of type S, N or B");
  }
}

std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<uint8_t>(bound.back()) == 0xff) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<uint8_t>(bound.back()) + 1);
  return bound;
}

}  // namespace cloudlite::dynamo
