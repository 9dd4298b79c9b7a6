// The DynamoDB JSON protocol as bytes and values, for both ends of the wire: the store's client
// (store/dynamodb) and a DynamoDB-compatible server. No I/O, no HTTP client, nothing of objects
// or tables: JSON in and out (Boost.JSON), AttributeValues, error bodies and what their type
// names mean as a Status, the x-amz-crc32 checksum and the consumed-capacity report.
//
// Contract:
//  - Parsing never throws: malformed text is InvalidArgument naming why. Accessors tolerate
//    absence and wrong types (nullptr / nullopt / ""), so a foreign or hostile document is an
//    error value, never a crash.
//  - Error mapping (ErrorStatus): ConditionalCheckFailedException -> AlreadyExists;
//    ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded,
//    InternalServerError, 5xx -> Unavailable; ResourceNotFoundException -> NotFound naming the
//    table and the command that creates it; ValidationException and other 4xx -> InvalidArgument;
//    AccessDeniedException, UnrecognizedClientException, signature and token errors, and any
//    other HTTP 403 -> PermissionDenied with a hint (and "fix the clock" for expired
//    signatures).
//  - Messages never carry secrets: the server's message is cut before any echoed canonical
//    request and goes through SafeServerText (net/server_text.h: credentials redacted, control
//    characters escaped, length capped); request bodies are never quoted.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite::ddb {

using Json = boost::json::value;
using JsonObject = boost::json::object;
using JsonArray = boost::json::array;

// What every request carries: POST /, this content type and X-Amz-Target: kTargetPrefix + op.
inline constexpr std::string_view kContentType = "application/x-amz-json-1.0";
inline constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";

// ---- JSON -----------------------------------------------------------------------------------

// A whole JSON text. Nesting is allowed well past DynamoDB's 32 levels of AttributeValues.
Result<Json> ParseJson(std::string_view text);
std::string Serialize(const Json& value);

// The member `name` of `value` when it is an object holding one, else nullptr.
const Json* Member(const Json& value, std::string_view name);
// Its string value, or "" when absent or not a string.
std::string StringMember(const Json& value, std::string_view name);
std::string_view View(const boost::json::string& s);

// ---- AttributeValues ------------------------------------------------------------------------

JsonObject S(std::string_view s);      // {"S": s}
JsonObject N(uint64_t v);              // {"N": "v"}
JsonObject N(std::string_view text);   // {"N": text}
JsonObject B(std::string_view bytes);  // {"B": base64(bytes)}

// The S, N (as uint64) or B (base64-decoded) value of attribute `name` of an item, or nullopt.
std::optional<std::string> GetS(const Json& item, std::string_view name);
std::optional<uint64_t> GetN(const Json& item, std::string_view name);
// nullopt when absent; *bad set when present but not valid base64.
std::optional<std::string> GetB(const Json& item, std::string_view name, bool* bad);

// ---- errors ---------------------------------------------------------------------------------

struct DynamoDbError {
  std::string type;     // "ConditionalCheckFailedException" (the part after '#'); may be empty
  std::string message;  // through SafeServerText, like `type`
};
// `secrets`: the request's credentials, redacted wherever the server echoes them.
DynamoDbError ParseError(std::string_view body, const std::vector<std::string_view>& secrets = {});

// The error type names by what they mean (the part after '#').
bool IsThrottlingError(std::string_view type);
bool IsTransientError(std::string_view type);
bool IsCredentialError(std::string_view type);

// What an error response means. `what` names the request for messages ("GetItem db/log/1 in
// dynamodb://t"); `table` feeds the create-table hint; `credentials_source` the permission hint.
Status ErrorStatus(int http_status, std::string_view body, std::string_view what,
                   std::string_view table, std::string_view credentials_source,
                   const std::vector<std::string_view>& secrets = {});

inline constexpr std::string_view kCredentialsHint =
    "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE";

// ---- checksums and capacity -----------------------------------------------------------------

// IEEE CRC-32 (what x-amz-crc32 carries).
uint32_t Crc32(std::string_view data);

// The CapacityUnits of a response's ConsumedCapacity: an object for single-item operations and
// Query, an array (one entry per table) for batch operations; 0 when absent.
double ConsumedCapacityUnits(const Json& response);

}  // namespace cloudlite::ddb
