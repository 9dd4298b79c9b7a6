#include "server/dynamodb/operation.h"

#include "dynamo/errors.h"

namespace cloudlite::server::dynamodb {

ApiError ErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotSupported:
    case Status::Code::kAlreadyExists:
      return {std::string(dynamo::ExceptionName(status)), status.message(), 400, {}};
    case Status::Code::kNotFound:
      return {"ResourceNotFoundException", status.message(), 400, {}};
    case Status::Code::kBusy:
      // Another writer kept winning: the client's retry is the cure, as for DynamoDB's own
      // write conflicts.
      return {"TransactionConflictException", status.message(), 400, {}};
    case Status::Code::kDeadlineExceeded:
      // Nothing was done: a code every AWS SDK retries (its transient errors), with a 5xx
      // status that SDKs retry in their legacy modes too.
      return {"RequestTimeoutException", status.message(), 500, {}};
    case Status::Code::kUnavailable:
      return {"ServiceUnavailable", "The service is unavailable: " + status.message(), 503, {}};
    default:
      // Corruption, I/O, internal, ambiguous: say what happened without pretending it was the
      // client's mistake. The message names the store object, never a secret.
      return {"InternalServerError", status.message(), 500, {}};
  }
}

}  // namespace cloudlite::server::dynamodb
