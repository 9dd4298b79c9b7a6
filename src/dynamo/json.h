// DynamoDB JSON <-> the value model (value.h), with Boost.JSON.
//
// Decoding checks everything DynamoDB checks of an AttributeValue, with its messages (verified
// against DynamoDB Local where it answers with a 400): exactly one type member
// ("Supplied AttributeValue is empty, ..." / "... has more than one datatypes set, ..."), valid
// numbers (number.h), non-empty duplicate-free sets, NULL only true, non-empty map names, and at
// most 32 levels of nesting counting the item. A member of the wrong JSON kind ({"S": 1}) or
// base64 that does not decode is a SerializationException (errors.h), where DynamoDB Local
// answers 500. Never throws; recursion is bounded by the depth check.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "dynamo/value.h"

namespace cloudlite::dynamo {

// One AttributeValue ({"S": "x"}, {"L": [...]}, ...).
Result<Value> ValueFromJson(const boost::json::value& json);
// An item or key: an object of attribute name -> AttributeValue.
Result<Item> ItemFromJson(const boost::json::value& json);

boost::json::value ToJson(const Value& value);
boost::json::object ItemToJson(const Item& item);
// The same as JSON text, appended to `out` (no JSON tree: half the instructions of a tree
// serialized).
void AppendValueJson(const Value& value, std::string* out);
void AppendItemJson(const Item& item, std::string* out);

// The bytes of a B value or BS member: standard base64 (base/base64.h) whose length is a multiple
// of 4, as DynamoDB requires. A SerializationException on anything else.
Result<std::string> DecodeBinary(std::string_view text);

// The SerializationException for a request member of the wrong JSON kind, in the words of
// DynamoDB's deserializer ("NUMBER_VALUE cannot be converted to String"); `wanted` is the
// member's type ("String", "Boolean", "Integer", "List", "Map").
Status WrongKind(const boost::json::value& v, std::string_view wanted);

// A member of a request object; nullptr when absent or JSON null (SDKs leave out what is not set,
// and DynamoDB treats a null member as absent).
const boost::json::value* Member(const boost::json::object& o, std::string_view name);

inline constexpr std::string_view kNestingTooDeep =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
    "beyond supported limit";

}  // namespace cloudlite::dynamo
