// Which DynamoDB exception a Status from this module stands for. Errors are Status values:
//   InvalidArgument -> ValidationException (the message is DynamoDB's own)
//   NotSupported    -> SerializationException (the request's JSON has the wrong shape)
//   AlreadyExists   -> ConditionalCheckFailedException ("The conditional request failed")
// (store/dynamodb reads ConditionalCheckFailedException as AlreadyExists too.)
#pragma once

#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::dynamo {

inline Status SerializationError(std::string message) {
  return Status::NotSupported(std::move(message));
}

inline Status ConditionalCheckFailed() {
  return Status::AlreadyExists("The conditional request failed");
}

// "ValidationException", "SerializationException", "ConditionalCheckFailedException", or
// "InternalServerError" for any other non-Ok Status.
inline std::string_view ExceptionName(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
      return "ValidationException";
    case Status::Code::kNotSupported:
      return "SerializationException";
    case Status::Code::kAlreadyExists:
      return "ConditionalCheckFailedException";
    default:
      return "InternalServerError";
  }
}

}  // namespace cloudlite::dynamo
