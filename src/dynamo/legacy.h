// The legacy (pre-expression) parameters of DynamoDB requests, turned into the expressions they
// stand for, so one evaluator serves both: Expected and ConditionalOperator (a condition),
// AttributeUpdates (an update), AttributesToGet (a projection), KeyConditions (a key condition),
// QueryFilter/ScanFilter and ConditionalOperator (a filter). The YCSB DynamoDB binding and older
// SDK code send these.
//
// Checks what DynamoDB checks, with its messages: a request that mixes legacy and expression
// parameters ("Can not use both expression and non-expression parameters in the same request:
// Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
// ExpressionAttributeNames/Values without an expression, a ComparisonOperator with the wrong
// number or type of AttributeValueList members, Exists with or without Value, an unknown Action.
// Attribute names and values become placeholders added to `attributes`, so any name (reserved
// words, dots, spaces) is taken literally, as the legacy API does.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "dynamo/expression.h"

namespace cloudlite::dynamo {

struct LegacyExpressions {
  std::optional<std::string> condition;      // Expected (+ ConditionalOperator)
  std::optional<std::string> update;         // AttributeUpdates
  std::optional<std::string> projection;     // AttributesToGet
  std::optional<std::string> key_condition;  // KeyConditions
  std::optional<std::string> filter;         // QueryFilter / ScanFilter (+ ConditionalOperator)
};

// The expressions `request`'s legacy parameters stand for, for `operation` ("PutItem",
// "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan", "BatchGetItem" (one table's entry)).
// Members it does not use stay nullopt; a request without legacy parameters gives all nullopt.
Result<LegacyExpressions> TranslateLegacy(std::string_view operation,
                                          const boost::json::object& request,
                                          ExpressionAttributes* attributes);

// The checks of KeyConditions and QueryFilter that need the table's key schema, with the legacy
// API's messages (they differ from KeyConditionExpression's): "Query condition missed key schema
// element" (no name), "Only scalar types can be used as Hash Key values" (NULL/NOT_NULL on a key),
// "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk". Run it
// on a Query with KeyConditions before parsing the translated key condition.
Status CheckLegacyKeys(const boost::json::object& request, const KeySchema& schema);

// An error of Update::Apply on an update translated from AttributeUpdates, in the legacy API's
// words: "Type mismatch for attribute to update" where the expression says "An operand in the
// update expression has an incorrect data type"; anything else unchanged.
Status LegacyUpdateError(Status status);

}  // namespace cloudlite::dynamo
