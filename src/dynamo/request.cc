#include "dynamo/request.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "dynamo/errors.h"
#include "dynamo/item_codec.h"
#include "dynamo/json.h"
#include "dynamo/legacy.h"

namespace cloudlite::dynamo {
namespace json = boost::json;
namespace {

constexpr size_t kMaxHashKeySize = 2048;
constexpr size_t kMaxRangeKeySize = 1024;
constexpr size_t kPageBytes = size_t{1024} * 1024;
constexpr size_t kMaxBatchGetKeys = 100;
constexpr size_t kMaxBatchWrites = 25;
constexpr int64_t kMaxTotalSegments = 1000000;

Status Invalid(std::string message) { return Status::InvalidArgument(std::move(message)); }

// A table named in a batch or transaction must be a valid name before it is looked up: a name no
// table can have is the client's mistake (ValidationException, as DynamoDB Local answers), not a
// missing table.
Status CheckTableName(std::string_view name) {
  if (name.size() >= 3 && name.size() <= 255 && TableNameCharsValid(name)) return Status::Ok();
  return Invalid("Invalid table name '" + std::string(name) +
                 "': table names are 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'");
}

// ---- request members ------------------------------------------------------------------------

Result<std::optional<std::string>> StringMember(const json::object& request,
                                                std::string_view name) {
  const json::value* v = Member(request, name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return WrongKind(*v, "String");
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<bool> BoolMember(const json::object& request, std::string_view name) {
  const json::value* v = Member(request, name);
  if (v == nullptr) return false;
  if (!v->is_bool()) return WrongKind(*v, "Boolean");
  return v->get_bool();
}

// An integer member; a JSON number with a fraction or out of int64 is refused like Coral does.
Result<std::optional<int64_t>> IntMember(const json::object& request, std::string_view name) {
  const json::value* v = Member(request, name);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->get_int64());
  if (v->is_uint64()) {
    return SerializationError("Numeric value (" + std::to_string(v->get_uint64()) +
                              ") out of range of int");
  }
  if (v->is_double()) return WrongKind(*v, "Integer");  // NUMBER_VALUE cannot be converted ...
  return WrongKind(*v, "Integer");
}

// "1 validation error detected: Value 'X' at 'member' failed to satisfy constraint: ...".
Status ConstraintError(std::string_view value, std::string_view member,
                       std::string_view constraint) {
  return Invalid("1 validation error detected: Value '" + std::string(value) + "' at '" +
                 std::string(member) +
                 "' failed to satisfy constraint: " + std::string(constraint));
}

// An enum member: its index in `allowed`, or `fallback` when absent.
Result<size_t> EnumMember(const json::object& request, std::string_view name,
                          std::string_view member, const std::vector<std::string_view>& allowed,
                          std::string_view enum_set) {
  CL_ASSIGN_OR_RETURN(auto text, StringMember(request, name));
  if (!text) return size_t{0};
  auto it = std::find(allowed.begin(), allowed.end(), *text);
  if (it == allowed.end()) {
    return ConstraintError(*text, member,
                           "Member must satisfy enum value set: [" + std::string(enum_set) + "]");
  }
  return static_cast<size_t>(it - allowed.begin());
}

Result<ReturnConsumedCapacity> CapacityMember(const json::object& request) {
  CL_ASSIGN_OR_RETURN(size_t i,
                      EnumMember(request, "ReturnConsumedCapacity", "returnConsumedCapacity",
                                 {"NONE", "TOTAL", "INDEXES"}, "INDEXES, TOTAL, NONE"));
  return static_cast<ReturnConsumedCapacity>(i);
}

Result<bool> CollectionMetricsMember(const json::object& request) {
  CL_ASSIGN_OR_RETURN(
      size_t i, EnumMember(request, "ReturnItemCollectionMetrics", "returnItemCollectionMetrics",
                           {"NONE", "SIZE"}, "SIZE, NONE"));
  return i == 1;
}

// ---- keys -----------------------------------------------------------------------------------

Status EmptyKeyValue(const Value& v, const std::string& name) {
  return Invalid(
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
      "contain an empty " +
      std::string(v.type == Type::kB ? "binary" : "string") + " value. Key: " + name);
}

bool IsEmptyScalar(const Value& v) {
  return (v.type == Type::kS || v.type == Type::kB) && v.text.empty();
}

// The key's stored bytes once its values have the schema's types: empty values and sizes.
Result<StoredKey> EncodeChecked(const Value& hash, const Value* range, const KeySchema& schema) {
  if (IsEmptyScalar(hash)) return EmptyKeyValue(hash, schema.hash_name);
  if (range != nullptr && IsEmptyScalar(*range)) return EmptyKeyValue(*range, *schema.range_name);
  if (ValueSize(hash) > kMaxHashKeySize) {
    return Invalid(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size "
        "limit of2048 bytes");
  }
  if (range != nullptr && ValueSize(*range) > kMaxRangeKeySize) {
    return Invalid(
        "One or more parameter values were invalid: Aggregated size of all range keys has "
        "exceeded the size limit of 1024 bytes");
  }
  StoredKey key;
  CL_ASSIGN_OR_RETURN(key.pk, EncodeKey(hash));
  if (range != nullptr) {
    CL_ASSIGN_OR_RETURN(key.sk, EncodeKey(*range));
  }
  return key;
}

std::vector<std::string> KeyNames(const KeySchema& schema) {
  std::vector<std::string> names{schema.hash_name};
  if (schema.range_name) names.push_back(*schema.range_name);
  return names;
}

// ---- expressions ----------------------------------------------------------------------------

// The ExpressionAttributeNames/Values of a request and the legacy parameters' expressions.
struct Expressions {
  ExpressionAttributes attributes;
  LegacyExpressions legacy;
  bool has_names = false;
  bool has_values = false;
};

// `takes_values`: false for GetItem and BatchGetItem, whose API has no ExpressionAttributeValues
// (DynamoDB ignores the member there).
Result<Expressions> ReadExpressions(std::string_view operation, const json::object& request,
                                    bool takes_values = true) {
  Expressions out;
  const json::value* names = Member(request, "ExpressionAttributeNames");
  const json::value* values = takes_values ? Member(request, "ExpressionAttributeValues") : nullptr;
  CL_ASSIGN_OR_RETURN(out.attributes, ExpressionAttributes::FromJson(names, values));
  out.has_names = names != nullptr;
  out.has_values = values != nullptr;
  CL_ASSIGN_OR_RETURN(out.legacy, TranslateLegacy(operation, request, &out.attributes));
  return out;
}

// The expression a request gives in `member`, or the one its legacy parameter stands for.
Result<std::optional<std::string>> ExpressionText(const json::object& request,
                                                  std::string_view member,
                                                  const std::optional<std::string>& legacy) {
  CL_ASSIGN_OR_RETURN(auto text, StringMember(request, member));
  if (text) return text;
  return legacy;
}

// DynamoDB refuses names in a request with no expression, and values in one with no expression
// that takes values. `nulls` names the expressions that could have used the values
// ("ConditionExpression is null").
Status CheckPlaceholdersNeedExpression(const Expressions& e, bool any_expression,
                                       bool value_expression, std::string_view nulls) {
  if (e.has_names && !any_expression) {
    return Invalid("ExpressionAttributeNames can only be specified when using expressions");
  }
  if (e.has_values && !value_expression) {
    return Invalid("ExpressionAttributeValues can only be specified when using expressions: " +
                   std::string(nulls));
  }
  return Status::Ok();
}

// The top-level attributes of `item` that hold one of `paths` (ReturnValues UPDATED_OLD and
// UPDATED_NEW: DynamoDB Local returns the whole top-level attribute of each updated path that
// exists in the item).
Item UpdatedAttributes(const Item& item, const std::vector<Path>& paths) {
  Item out;
  for (const Path& p : paths) {
    if (Resolve(item, p) == nullptr) continue;
    out.emplace(p[0].name, item.at(p[0].name));
  }
  return out;
}

// Query: "Filter Expression can only contain non-primary key attributes".
Status CheckFilterSkipsKey(const Condition& filter, const KeySchema& schema) {
  for (const Path& p : filter.Paths()) {
    if (p[0].name == schema.hash_name || (schema.range_name && p[0].name == *schema.range_name)) {
      return Invalid(
          "Filter Expression can only contain non-primary key attributes: Primary key attribute: " +
          p[0].name);
    }
  }
  return Status::Ok();
}

void SetAttributes(json::object* members, const char* name, const Item& item) {
  if (!item.empty()) (*members)[name] = ItemToJson(item);
}

}  // namespace

// ---- keys -----------------------------------------------------------------------------------

Result<StoredKey> KeyFromKeyAttributes(const Item& key, const KeySchema& schema) {
  Status mismatch = Invalid("The provided key element does not match the schema");
  if (key.size() != (schema.range_name ? 2u : 1u)) return mismatch;
  auto hash = key.find(schema.hash_name);
  if (hash == key.end() || hash->second.type != schema.hash_type) return mismatch;
  const Value* range = nullptr;
  if (schema.range_name) {
    auto it = key.find(*schema.range_name);
    if (it == key.end() || it->second.type != schema.range_type) return mismatch;
    range = &it->second;
  }
  return EncodeChecked(hash->second, range, schema);
}

Result<StoredKey> KeyOfItem(const Item& item, const KeySchema& schema) {
  const Value* values[2] = {nullptr, nullptr};
  const std::string* names[2] = {&schema.hash_name,
                                 schema.range_name ? &*schema.range_name : nullptr};
  const Type types[2] = {schema.hash_type, schema.range_type};
  for (int i = 0; i < 2 && names[i] != nullptr; i++) {
    auto it = item.find(*names[i]);
    if (it == item.end()) {
      return Invalid("One or more parameter values were invalid: Missing the key " + *names[i] +
                     " in the item");
    }
    if (it->second.type != types[i]) {
      return Invalid("One or more parameter values were invalid: Type mismatch for key " +
                     *names[i] + " expected: " + std::string(TypeName(types[i])) +
                     " actual: " + std::string(TypeName(it->second.type)));
    }
    values[i] = &it->second;
  }
  return EncodeChecked(*values[0], values[1], schema);
}

Item KeyAttributesOf(const Item& item, const KeySchema& schema) {
  Item out;
  for (const std::string& name : KeyNames(schema)) {
    auto it = item.find(name);
    if (it != item.end()) out.emplace(name, it->second);
  }
  return out;
}

// ---- writes ---------------------------------------------------------------------------------

Result<WriteRequest> WriteRequest::Parse(Kind kind, const json::object& request,
                                         const KeySchema& schema) {
  WriteRequest w;
  w.kind_ = kind;
  w.schema_ = schema;
  const std::string_view operation = kind == Kind::kPut      ? "PutItem"
                                     : kind == Kind::kUpdate ? "UpdateItem"
                                                             : "DeleteItem";
  // Enums first: DynamoDB validates the request's shape before its content.
  static const std::vector<std::string_view> kReturnValues = {"NONE", "ALL_OLD", "UPDATED_OLD",
                                                              "ALL_NEW", "UPDATED_NEW"};
  CL_ASSIGN_OR_RETURN(auto rv, StringMember(request, "ReturnValues"));
  auto rv_it =
      rv ? std::find(kReturnValues.begin(), kReturnValues.end(), *rv) : kReturnValues.begin();
  if (rv_it == kReturnValues.end()) return Invalid("Return values set to invalid value");
  w.return_values_ = static_cast<ReturnValues>(rv_it - kReturnValues.begin());
  CL_ASSIGN_OR_RETURN(size_t on_failure, EnumMember(request, "ReturnValuesOnConditionCheckFailure",
                                                    "returnValuesOnConditionCheckFailure",
                                                    {"NONE", "ALL_OLD"}, "ALL_OLD, NONE"));
  w.return_old_on_condition_failure_ = on_failure == 1;
  CL_ASSIGN_OR_RETURN(w.capacity_, CapacityMember(request));
  CL_ASSIGN_OR_RETURN(w.collection_metrics_, CollectionMetricsMember(request));

  if (kind == Kind::kPut) {
    const json::value* item = Member(request, "Item");
    if (item == nullptr) return Invalid("Item to put in PutItem cannot be null");
    CL_ASSIGN_OR_RETURN(w.put_item_, ItemFromJson(*item));
    CL_ASSIGN_OR_RETURN(w.key_, KeyOfItem(w.put_item_, schema));
    w.key_item_ = KeyAttributesOf(w.put_item_, schema);
  } else {
    const json::value* key = Member(request, "Key");
    if (key == nullptr)
      return Invalid("Cannot have null key for GetItem, DeleteItem, or UpdateItem");
    CL_ASSIGN_OR_RETURN(w.key_item_, ItemFromJson(*key));
    CL_ASSIGN_OR_RETURN(w.key_, KeyFromKeyAttributes(w.key_item_, schema));
  }
  if (kind != Kind::kUpdate && w.return_values_ != ReturnValues::kNone &&
      w.return_values_ != ReturnValues::kAllOld) {
    return Invalid("Return values set to invalid value");
  }

  CL_ASSIGN_OR_RETURN(Expressions e, ReadExpressions(operation, request));
  CL_ASSIGN_OR_RETURN(auto condition,
                      ExpressionText(request, "ConditionExpression", e.legacy.condition));
  std::optional<std::string> update;
  if (kind == Kind::kUpdate) {
    CL_ASSIGN_OR_RETURN(update, ExpressionText(request, "UpdateExpression", e.legacy.update));
    w.legacy_update_ = update.has_value() && Member(request, "UpdateExpression") == nullptr;
  }
  CL_RETURN_IF_ERROR(CheckPlaceholdersNeedExpression(
      e, condition || update, condition || update,
      kind == Kind::kUpdate ? "UpdateExpression and ConditionExpression are null"
                            : "ConditionExpression is null"));
  if (update) {
    CL_ASSIGN_OR_RETURN(w.update_, Update::Parse(*update, &e.attributes));
    CL_RETURN_IF_ERROR(w.update_->CheckKeyNotUpdated(KeyNames(schema)));
  }
  if (condition) {
    CL_ASSIGN_OR_RETURN(w.condition_,
                        Condition::Parse(*condition, ExpressionKind::kCondition, &e.attributes));
  }
  CL_RETURN_IF_ERROR(e.attributes.CheckAllUsed());
  if (kind == Kind::kPut && ItemSize(w.put_item_) > kMaxItemSize) {
    return Invalid("Item size has exceeded the maximum allowed size");
  }
  return w;
}

Result<WriteOutcome> WriteRequest::Apply(const Item* current) const {
  WriteOutcome out;
  out.old_size = current != nullptr ? ItemSize(*current) : 0;
  if (condition_ && !condition_->Evaluate(current)) {
    out.condition_failed = true;
    if (return_old_on_condition_failure_ && current != nullptr) {
      out.members["Item"] = ItemToJson(*current);
    }
    return out;
  }
  const bool all_old = return_values_ == ReturnValues::kAllOld && current != nullptr;
  if (all_old) SetAttributes(&out.members, "Attributes", *current);
  switch (kind_) {
    case Kind::kPut:
      out.effect = {WriteEffect::Kind::kStore, put_item_, ItemSize(put_item_)};
      return out;
    case Kind::kDelete:
      if (current != nullptr) out.effect.kind = WriteEffect::Kind::kDelete;
      return out;
    case Kind::kUpdate:
      break;
  }
  Item updated = current != nullptr ? *current : key_item_;
  if (update_) {
    Result<Item> applied = update_->Apply(updated);
    if (!applied.ok()) {
      return legacy_update_ ? LegacyUpdateError(applied.status()) : applied.status();
    }
    updated = std::move(*applied);
  }
  size_t size = ItemSize(updated);
  if (size > kMaxItemSize)
    return Invalid("Item size to update has exceeded the maximum allowed size");
  switch (return_values_) {
    case ReturnValues::kNone:
    case ReturnValues::kAllOld:
      break;
    case ReturnValues::kAllNew:
      SetAttributes(&out.members, "Attributes", updated);
      break;
    case ReturnValues::kUpdatedOld:
      if (current != nullptr && update_) {
        SetAttributes(&out.members, "Attributes", UpdatedAttributes(*current, update_->Targets()));
      }
      break;
    case ReturnValues::kUpdatedNew:
      if (update_) {
        SetAttributes(&out.members, "Attributes", UpdatedAttributes(updated, update_->Targets()));
      }
      break;
  }
  out.effect = {WriteEffect::Kind::kStore, std::move(updated), size};
  return out;
}

// ---- GetItem --------------------------------------------------------------------------------

Result<GetRequest> GetRequest::Parse(const json::object& request, const KeySchema& schema) {
  return ParseFor("GetItem", request, schema);
}

Result<GetRequest> GetRequest::ParseFor(std::string_view operation, const json::object& request,
                                        const KeySchema& schema) {
  GetRequest g;
  CL_ASSIGN_OR_RETURN(g.capacity_, CapacityMember(request));
  CL_ASSIGN_OR_RETURN(g.consistent_, BoolMember(request, "ConsistentRead"));
  const json::value* key = Member(request, "Key");
  if (key == nullptr) return Invalid("Cannot have null key for GetItem, DeleteItem, or UpdateItem");
  CL_ASSIGN_OR_RETURN(Item key_item, ItemFromJson(*key));
  CL_ASSIGN_OR_RETURN(g.key_, KeyFromKeyAttributes(key_item, schema));
  CL_ASSIGN_OR_RETURN(Expressions e, ReadExpressions(operation, request, false));
  CL_ASSIGN_OR_RETURN(auto projection,
                      ExpressionText(request, "ProjectionExpression", e.legacy.projection));
  CL_RETURN_IF_ERROR(CheckPlaceholdersNeedExpression(e, projection.has_value(), true, ""));
  if (projection) {
    CL_ASSIGN_OR_RETURN(g.projection_, Projection::Parse(*projection, &e.attributes));
  }
  CL_RETURN_IF_ERROR(e.attributes.CheckAllUsed());
  return g;
}

std::optional<Item> GetRequest::Answer(std::optional<Item> stored) const {
  if (stored && projection_) return projection_->Apply(*stored);
  return stored;
}

// ---- Query and Scan -------------------------------------------------------------------------

Result<ReadRequest> ReadRequest::ParseQuery(const json::object& request, const KeySchema& schema) {
  return Parse(true, request, schema);
}

Result<ReadRequest> ReadRequest::ParseScan(const json::object& request, const KeySchema& schema) {
  return Parse(false, request, schema);
}

Result<ReadRequest> ReadRequest::Parse(bool query, const json::object& request,
                                       const KeySchema& schema) {
  ReadRequest r;
  r.schema_ = schema;
  CL_ASSIGN_OR_RETURN(r.capacity_, CapacityMember(request));
  CL_ASSIGN_OR_RETURN(r.consistent_, BoolMember(request, "ConsistentRead"));
  CL_RETURN_IF_ERROR(r.ParseLimitAndSegments(query, request));
  CL_ASSIGN_OR_RETURN(auto index, StringMember(request, "IndexName"));
  if (index) {
    return Invalid("The table does not have the specified index: " + *index);
  }
  if (query) {
    CL_ASSIGN_OR_RETURN(r.forward_, BoolMember(request, "ScanIndexForward"));
    if (Member(request, "ScanIndexForward") == nullptr) r.forward_ = true;
  }

  CL_ASSIGN_OR_RETURN(Expressions e, ReadExpressions(query ? "Query" : "Scan", request));
  CL_ASSIGN_OR_RETURN(auto projection,
                      ExpressionText(request, "ProjectionExpression", e.legacy.projection));
  CL_ASSIGN_OR_RETURN(auto filter, ExpressionText(request, "FilterExpression", e.legacy.filter));
  std::optional<std::string> key_condition;
  if (query) {
    CL_ASSIGN_OR_RETURN(key_condition,
                        ExpressionText(request, "KeyConditionExpression", e.legacy.key_condition));
  }
  CL_RETURN_IF_ERROR(r.ParseSelect(request, projection.has_value()));
  if (query && !key_condition) {
    return Invalid(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
  }
  CL_RETURN_IF_ERROR(CheckPlaceholdersNeedExpression(
      e, projection || filter || key_condition, filter || key_condition,
      query ? "FilterExpression and KeyConditionExpression are null" : "FilterExpression is null"));
  // KeyConditions and QueryFilter have checks of their own, in their own words.
  if (query && (e.legacy.key_condition || e.legacy.filter)) {
    CL_RETURN_IF_ERROR(CheckLegacyKeys(request, schema));
  }
  if (key_condition) {
    CL_ASSIGN_OR_RETURN(KeyCondition kc,
                        KeyCondition::Parse(*key_condition, schema, &e.attributes));
    CL_RETURN_IF_ERROR(r.SetKeyRange(kc));
  }
  if (filter) {
    CL_ASSIGN_OR_RETURN(r.filter_,
                        Condition::Parse(*filter, ExpressionKind::kFilter, &e.attributes));
    if (query && !e.legacy.filter) CL_RETURN_IF_ERROR(CheckFilterSkipsKey(*r.filter_, schema));
  }
  if (projection) {
    CL_ASSIGN_OR_RETURN(r.projection_, Projection::Parse(*projection, &e.attributes));
  }
  CL_RETURN_IF_ERROR(e.attributes.CheckAllUsed());
  CL_RETURN_IF_ERROR(r.ParseStartKey(request));
  return r;
}

Status ReadRequest::ParseLimitAndSegments(bool query, const json::object& request) {
  CL_ASSIGN_OR_RETURN(auto limit, IntMember(request, "Limit"));
  if (limit) {
    if (*limit < 1) return Invalid("Limit must be greater than or equal to 1");
    limit_ = static_cast<uint32_t>(std::min<int64_t>(*limit, UINT32_MAX));
  }
  if (query) return Status::Ok();
  CL_ASSIGN_OR_RETURN(auto segment, IntMember(request, "Segment"));
  CL_ASSIGN_OR_RETURN(auto total, IntMember(request, "TotalSegments"));
  if (segment && *segment < 0) {
    return ConstraintError(std::to_string(*segment), "segment",
                           "Member must have value greater than or equal to 0");
  }
  if (total && *total < 1) {
    return ConstraintError(std::to_string(*total), "totalSegments",
                           "Member must have value greater than or equal to 1");
  }
  if (total && *total > kMaxTotalSegments) {
    return ConstraintError(std::to_string(*total), "totalSegments",
                           "Member must have value less than or equal to 1000000");
  }
  if (segment && !total) {
    return Invalid("If segment is specified, total segment must also be specified");
  }
  if (total && !segment) {
    return Invalid(
        "If total segments is specified, a particular segment must also be specified for this "
        "request");
  }
  if (segment) {
    if (*segment >= *total) {
      return ConstraintError(
          std::to_string(*segment), "segment",
          "Member must have value less than or equal to " + std::to_string(*total - 1));
    }
    segment_ = static_cast<uint32_t>(*segment);
    total_segments_ = static_cast<uint32_t>(*total);
  }
  return Status::Ok();
}

Status ReadRequest::ParseSelect(const json::object& request, bool has_projection) {
  CL_ASSIGN_OR_RETURN(auto text, StringMember(request, "Select"));
  static const std::vector<std::string_view> kSelects = {
      "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"};
  size_t select = 0;
  if (text) {
    auto it = std::find(kSelects.begin(), kSelects.end(), *text);
    if (it == kSelects.end()) {
      return Invalid(
          "Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, COUNT, or SPECIFIC_ATTRIBUTES");
    }
    select = static_cast<size_t>(it - kSelects.begin()) + 1;
  }
  const bool attributes_to_get = Member(request, "AttributesToGet") != nullptr;
  const std::string_view which = attributes_to_get ? "AttributesToGet" : "ProjectionExpression";
  switch (select) {
    case 1:  // ALL_ATTRIBUTES
      if (has_projection) {
        return Invalid("Cannot specify the " + std::string(which) +
                       " when choosing to get ALL_ATTRIBUTES");
      }
      break;
    case 2:  // ALL_PROJECTED_ATTRIBUTES
      return Invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
    case 3:  // SPECIFIC_ATTRIBUTES
      if (!has_projection) {
        return Invalid(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES");
      }
      break;
    case 4:  // COUNT
      if (has_projection) {
        return Invalid("Cannot specify the " + std::string(which) +
                       " when choosing to get only the Count");
      }
      count_only_ = true;
      break;
    default:
      break;
  }
  return Status::Ok();
}

Status ReadRequest::SetKeyRange(const KeyCondition& kc) {
  CL_ASSIGN_OR_RETURN(StoredKey hash, EncodeChecked(kc.hash, nullptr, schema_));
  pk_ = std::move(hash.pk);
  if (kc.op == KeyCondition::Op::kNone) return Status::Ok();
  // The sort key operands are compared, not stored: DynamoDB refuses empty ones all the same.
  if (IsEmptyScalar(kc.low)) return EmptyKeyValue(kc.low, *schema_.range_name);
  CL_ASSIGN_OR_RETURN(std::string low, EncodeKey(kc.low));
  std::string high;
  if (kc.op == KeyCondition::Op::kBetween) {
    if (IsEmptyScalar(kc.high)) return EmptyKeyValue(kc.high, *schema_.range_name);
    CL_ASSIGN_OR_RETURN(high, EncodeKey(kc.high));
  }
  switch (kc.op) {
    case KeyCondition::Op::kEq:
      low_ = Bound{low, true};
      high_ = Bound{low, true};
      break;
    case KeyCondition::Op::kLt:
      high_ = Bound{low, false};
      break;
    case KeyCondition::Op::kLe:
      high_ = Bound{low, true};
      break;
    case KeyCondition::Op::kGt:
      low_ = Bound{low, false};
      break;
    case KeyCondition::Op::kGe:
      low_ = Bound{low, true};
      break;
    case KeyCondition::Op::kBetween:
      low_ = Bound{low, true};
      high_ = Bound{high, true};
      break;
    case KeyCondition::Op::kBeginsWith: {
      auto bound = PrefixUpperBound(low);
      low_ = Bound{low, true};
      if (bound) high_ = Bound{*bound, false};
      break;
    }
    case KeyCondition::Op::kNone:
      break;
  }
  return Status::Ok();
}

Status ReadRequest::ParseStartKey(const json::object& request) {
  const json::value* start = Member(request, "ExclusiveStartKey");
  if (start == nullptr) return Status::Ok();
  CL_ASSIGN_OR_RETURN(Item key, ItemFromJson(*start));
  auto stored = KeyFromKeyAttributes(key, schema_);
  if (!stored.ok()) {
    if (stored.status().code() != Status::Code::kInvalidArgument) return stored.status();
    return Invalid("The provided starting key is invalid: " + stored.status().message());
  }
  Status outside = Invalid("The provided starting key does not match the range key predicate");
  if (pk_ && stored->pk != *pk_) return outside;
  if (low_ && (stored->sk < low_->sk || (stored->sk == low_->sk && !low_->inclusive))) {
    return outside;
  }
  if (high_ && (stored->sk > high_->sk || (stored->sk == high_->sk && !high_->inclusive))) {
    return outside;
  }
  // As DynamoDB Local: a start key on the range's far end (nothing can follow it) is refused,
  // except for `sk = v`, whose start key may be v itself.
  const bool equality = low_ && high_ && low_->sk == high_->sk;
  if (!equality && forward_ && high_ && stored->sk == high_->sk) return outside;
  if (!equality && !forward_ && low_ && stored->sk == low_->sk) return outside;
  start_after_ = std::move(*stored);
  return Status::Ok();
}

bool ReadRequest::Page::Add(const Item& item, size_t size) {
  scanned_++;
  bytes_ += size;
  last_ = KeyAttributesOf(item, request_->schema_);
  if (!request_->filter_ || request_->filter_->Evaluate(&item)) {
    count_++;
    if (!request_->count_only_) {
      if (!items_.empty()) items_.push_back(',');
      AppendItemJson(request_->projection_ ? request_->projection_->Apply(item) : item, &items_);
    }
  }
  full_ = (request_->limit_ && scanned_ >= *request_->limit_) || bytes_ >= kPageBytes;
  return !full_;
}

std::string ReadRequest::Page::Finish(bool more) const {
  std::string out = "{";
  if (!request_->count_only_) out += "\"Items\":[" + items_ + "],";
  out += "\"Count\":" + std::to_string(count_);
  out += ",\"ScannedCount\":" + std::to_string(scanned_);
  // A page that ends on the far end of a Query's range has nothing after it, and a start key
  // there is refused (ParseStartKey), so it names none: paginators stop instead of failing.
  if ((full_ || more) && last_ && !request_->AtFarEnd(*last_)) {
    out += ",\"LastEvaluatedKey\":";
    AppendItemJson(*last_, &out);
  }
  out += '}';
  return out;
}

bool ReadRequest::AtFarEnd(const Item& key) const {
  if (!pk_ || !schema_.range_name) return false;
  const std::optional<Bound>& far = forward_ ? high_ : low_;
  if (!far || (low_ && high_ && low_->sk == high_->sk)) return false;
  auto range = key.find(*schema_.range_name);
  if (range == key.end()) return false;
  Result<std::string> sk = EncodeKey(range->second);
  return sk.ok() && *sk == far->sk;
}

// ---- batches --------------------------------------------------------------------------------

namespace {

// `none`: DynamoDB's message for an absent or empty RequestItems.
Result<const json::object*> RequestItems(const json::object& request, std::string_view none) {
  const json::value* items = Member(request, "RequestItems");
  if (items != nullptr && !items->is_object()) return WrongKind(*items, "Map");
  if (items == nullptr || items->get_object().empty()) return Invalid(std::string(none));
  return &items->get_object();
}

Status Duplicates() { return Invalid("Provided list of item keys contains duplicates"); }

}  // namespace

bool TableNameCharsValid(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

Result<BatchGet> BatchGet::Parse(const json::object& request, const SchemaLookup& schemas) {
  BatchGet out;
  CL_ASSIGN_OR_RETURN(out.capacity, CapacityMember(request));
  CL_ASSIGN_OR_RETURN(const json::object* items,
                      RequestItems(request, "BatchGetItem must have some requests set"));
  size_t total = 0;
  for (const auto& [name, entry] : *items) {
    CL_RETURN_IF_ERROR(CheckTableName(name));
    if (!entry.is_object()) return WrongKind(entry, "Structure");
    const json::value* keys = Member(entry.get_object(), "Keys");
    if (keys != nullptr && !keys->is_array()) return WrongKind(*keys, "List");
    if (keys == nullptr || keys->get_array().empty()) {
      return Invalid("The list of keys in RequestItems for BatchGetItem is required: " +
                     std::string(name) + " has empty list");
    }
    total += keys->get_array().size();
    if (total > kMaxBatchGetKeys) {
      return Invalid("Too many items requested for the BatchGetItem call");
    }
  }
  for (const auto& [name, entry] : *items) {
    CL_ASSIGN_OR_RETURN(KeySchema schema, schemas(std::string_view(name)));
    Table table;
    table.name = std::string(name);
    // Each key parses as a GetItem of the table's entry, so every check is GetItem's.
    json::object one = entry.get_object();
    one.erase("Keys");
    std::set<StoredKey> seen;
    for (const json::value& key : entry.get_object().at("Keys").get_array()) {
      one["Key"] = key;
      CL_ASSIGN_OR_RETURN(GetRequest get, GetRequest::ParseFor("BatchGetItem", one, schema));
      if (!seen.insert(get.key()).second) return Duplicates();
      table.keys.push_back(std::move(get));
      CL_ASSIGN_OR_RETURN(Item key_item, ItemFromJson(key));
      table.key_items.push_back(std::move(key_item));
    }
    out.tables.push_back(std::move(table));
  }
  return out;
}

Result<BatchWrite> BatchWrite::Parse(const json::object& request, const SchemaLookup& schemas) {
  BatchWrite out;
  CL_ASSIGN_OR_RETURN(out.capacity, CapacityMember(request));
  CL_ASSIGN_OR_RETURN(out.item_collection_metrics, CollectionMetricsMember(request));
  CL_ASSIGN_OR_RETURN(
      const json::object* items,
      RequestItems(request, "BatchWriteItem cannot have a null or no requests set"));
  size_t total = 0;
  for (const auto& [name, entry] : *items) {
    CL_RETURN_IF_ERROR(CheckTableName(name));
    if (!entry.is_null() && !entry.is_array()) return WrongKind(entry, "List");
    if (entry.is_null() || entry.get_array().empty()) {
      return Invalid("The batch write request list for a table cannot be null or empty: " +
                     std::string(name));
    }
    total += entry.get_array().size();
    if (total > kMaxBatchWrites) {
      return Invalid("Too many items requested for the BatchWriteItem call");
    }
  }
  for (const auto& [name, entry] : *items) {
    CL_ASSIGN_OR_RETURN(KeySchema schema, schemas(std::string_view(name)));
    Table table;
    table.name = std::string(name);
    std::set<StoredKey> seen;
    for (const json::value& one : entry.get_array()) {
      if (!one.is_object()) return WrongKind(one, "Structure");
      const json::value* put = Member(one.get_object(), "PutRequest");
      const json::value* del = Member(one.get_object(), "DeleteRequest");
      if ((put == nullptr) == (del == nullptr)) {
        return Invalid(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
            "of the supported datatypes");
      }
      const json::value& body = put != nullptr ? *put : *del;
      if (!body.is_object()) return WrongKind(body, "Structure");
      // Only Item (put) or Key (delete) count: a batch write has no expressions or returns.
      json::object just_key;
      const char* member = put != nullptr ? "Item" : "Key";
      const json::value* v = Member(body.get_object(), member);
      if (v == nullptr) return Invalid("The supplied Item contains a null AttributeValue");
      just_key[member] = *v;
      CL_ASSIGN_OR_RETURN(WriteRequest w,
                          WriteRequest::Parse(put != nullptr ? WriteRequest::Kind::kPut
                                                             : WriteRequest::Kind::kDelete,
                                              just_key, schema));
      if (!seen.insert(w.key()).second) return Duplicates();
      table.writes.push_back(std::move(w));
      table.requests.push_back(one);
    }
    out.tables.push_back(std::move(table));
  }
  return out;
}

// ---- transactions ---------------------------------------------------------------------------

namespace {

constexpr size_t kMaxTransactItems = 100;
constexpr size_t kMaxTokenLength = 36;

// TransactItems as an array of 1 to 100 members (DynamoDB Local's messages).
Result<const json::array*> TransactItems(const json::object& request, bool empty_is_null) {
  const json::value* items = Member(request, "TransactItems");
  if (items != nullptr && !items->is_null() && !items->is_array()) {
    return WrongKind(*items, "List");
  }
  const std::string null =
      "Value null at 'transactItems' failed to satisfy constraint: "
      "Member must not be null";
  if (items == nullptr || items->is_null()) return Invalid(null);
  const json::array& a = items->get_array();
  if (a.empty()) {
    if (empty_is_null) return Invalid(null);
    return Invalid(
        "Value [] at 'transactItems' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1");
  }
  if (a.size() > kMaxTransactItems) {
    return Invalid("Member must have length less than or equal to 100");
  }
  return &a;
}

Status MultipleOperationsOnOneItem() {
  return Invalid("Transaction request cannot include multiple operations on one item");
}

// The TableName of action `index` (0-based) of kind `member` ("put", "get", ...).
Result<std::string> ActionTable(const json::object& action, size_t index, std::string_view member) {
  const json::value* name = Member(action, "TableName");
  if (name != nullptr && !name->is_null() && !name->is_string()) return WrongKind(*name, "String");
  if (name == nullptr || name->is_null()) {
    return Invalid("1 validation error detected: Value null at 'transactItems." +
                   std::to_string(index + 1) + ".member." + std::string(member) +
                   ".tableName' failed to satisfy constraint: Member must not be null");
  }
  CL_RETURN_IF_ERROR(CheckTableName(name->get_string()));
  return std::string(name->get_string());
}

}  // namespace

Result<TransactWrite> TransactWrite::Parse(const json::object& request,
                                           const SchemaLookup& schemas) {
  TransactWrite out;
  CL_ASSIGN_OR_RETURN(out.capacity, CapacityMember(request));
  CL_RETURN_IF_ERROR(CollectionMetricsMember(request).status());
  CL_ASSIGN_OR_RETURN(out.token, StringMember(request, "ClientRequestToken"));
  if (out.token && out.token->size() > kMaxTokenLength) {
    return Invalid("Value " + *out.token +
                   " at 'clientRequestToken' failed to satisfy constraint: Member must have "
                   "length less than or equal to 36");
  }
  CL_ASSIGN_OR_RETURN(const json::array* items, TransactItems(request, false));
  static const std::pair<std::string_view, std::string_view> kKinds[] = {
      {"Put", "put"},
      {"Update", "update"},
      {"Delete", "delete"},
      {"ConditionCheck", "conditionCheck"}};
  std::set<std::pair<std::string, StoredKey>> seen;
  for (size_t i = 0; i < items->size(); i++) {
    const json::value& one = (*items)[i];
    if (!one.is_object()) return WrongKind(one, "Structure");
    const json::value* body = nullptr;
    size_t kind = 0;
    for (size_t k = 0; k < std::size(kKinds); k++) {
      const json::value* v = Member(one.get_object(), kKinds[k].first);
      if (v == nullptr || v->is_null()) continue;
      if (body != nullptr)
        return Invalid("TransactItems can only contain one of Check, Put, Update or Delete");
      body = v;
      kind = k;
    }
    if (body == nullptr) {
      return Invalid(
          "Invalid Request: TransactWriteRequest should contain Delete or Put or Update "
          "request");
    }
    if (!body->is_object()) return WrongKind(*body, "Structure");
    const json::object& action = body->get_object();
    const bool check_only = kind == 3;
    if (check_only && Member(action, "ConditionExpression") == nullptr) {
      return Invalid("Value null at 'transactItems." + std::to_string(i + 1) +
                     ".member.conditionCheck.conditionExpression' failed to satisfy constraint: "
                     "Member must not be null");
    }
    CL_ASSIGN_OR_RETURN(std::string table, ActionTable(action, i, kKinds[kind].second));
    CL_ASSIGN_OR_RETURN(KeySchema schema, schemas(table));
    const WriteRequest::Kind write_kind = kind == 0   ? WriteRequest::Kind::kPut
                                          : kind == 1 ? WriteRequest::Kind::kUpdate
                                                      : WriteRequest::Kind::kDelete;
    // An item whose key does not fit the schema cancels the transaction (DynamoDB Local: a
    // ValidationError reason); anything else malformed, a Key too, is a ValidationException.
    if (write_kind == WriteRequest::Kind::kPut) {
      if (const json::value* item = Member(action, "Item"); item != nullptr) {
        Result<Item> parsed = ItemFromJson(*item);
        Status key = parsed.ok() ? KeyOfItem(*parsed, schema).status() : Status::Ok();
        if (!key.ok()) {
          out.actions.emplace_back();
          out.key_errors.push_back(key.message());
          continue;
        }
      }
    }
    json::object parse = action;
    parse.erase("ReturnValues");  // an action returns no values
    CL_ASSIGN_OR_RETURN(WriteRequest w, WriteRequest::Parse(write_kind, parse, schema));
    out.actions.push_back(Action{std::move(table), std::move(w), check_only});
    out.key_errors.emplace_back();
  }
  // Duplicates only once every action parsed: their own errors come first.
  for (const std::optional<Action>& a : out.actions) {
    if (a && !seen.emplace(a->table, a->write.key()).second) return MultipleOperationsOnOneItem();
  }
  return out;
}

Result<TransactGet> TransactGet::Parse(const json::object& request, const SchemaLookup& schemas) {
  TransactGet out;
  CL_ASSIGN_OR_RETURN(out.capacity, CapacityMember(request));
  CL_ASSIGN_OR_RETURN(const json::array* items, TransactItems(request, true));
  std::set<std::pair<std::string, StoredKey>> seen;
  for (size_t i = 0; i < items->size(); i++) {
    const json::value& one = (*items)[i];
    if (!one.is_object()) return WrongKind(one, "Structure");
    const json::value* body = Member(one.get_object(), "Get");
    if (body == nullptr || body->is_null()) {
      return Invalid(
          "Value null at 'transactItems' failed to satisfy constraint: Member must "
          "not be null");
    }
    if (!body->is_object()) return WrongKind(*body, "Structure");
    CL_ASSIGN_OR_RETURN(std::string table, ActionTable(body->get_object(), i, "get"));
    CL_ASSIGN_OR_RETURN(KeySchema schema, schemas(table));
    // Only what a Get of a transaction may carry: every read is strongly consistent.
    json::object parse;
    for (const char* m : {"Key", "ProjectionExpression", "ExpressionAttributeNames"}) {
      if (const json::value* v = Member(body->get_object(), m)) parse[m] = *v;
    }
    CL_ASSIGN_OR_RETURN(GetRequest get, GetRequest::ParseFor("GetItem", parse, schema));
    get.consistent_ = true;
    if (!seen.emplace(table, get.key()).second) return MultipleOperationsOnOneItem();
    out.actions.push_back(Action{std::move(table), std::move(get)});
  }
  return out;
}

// ---- capacity -------------------------------------------------------------------------------

double WriteUnits(size_t old_size, size_t new_size) {
  size_t bytes = std::max(old_size, new_size);
  return static_cast<double>(std::max<size_t>(1, (bytes + 1023) / 1024));
}

double ReadUnits(size_t bytes, bool consistent) {
  double units = static_cast<double>(std::max<size_t>(1, (bytes + 4095) / 4096));
  return consistent ? units : units / 2;
}

json::object ConsumedCapacity(std::string_view table, double units, bool reads,
                              ReturnConsumedCapacity mode) {
  (void)reads;  // DynamoDB Local reports CapacityUnits only, for reads and writes alike
  json::object out;
  if (mode == ReturnConsumedCapacity::kNone) return out;
  out["TableName"] = table;
  out["CapacityUnits"] = units;
  if (mode == ReturnConsumedCapacity::kIndexes)
    out["Table"] = json::object{{"CapacityUnits", units}};
  return out;
}

}  // namespace cloudlite::dynamo
