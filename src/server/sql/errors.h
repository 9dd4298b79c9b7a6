// Hrana error codes (the names sqld uses, so libSQL clients see the codes they know) and the
// JSON error bodies of this service: Content-Type exactly application/json and
// {"message","code"}, the only shape from which @libsql/client keeps the code.
#pragma once

#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "server/http/handler.h"

namespace cloudlite::server::sql {

// A failed statement or request inside a pipeline: {"message","code"}.
struct HranaError {
  std::string message;
  std::string code;
};

// sqld's name for a SQLite result code: the primary code's name ("SQLITE_CONSTRAINT" for
// SQLITE_CONSTRAINT_PRIMARYKEY too), "SQLITE_UNKNOWN" for a code SQLite does not define.
std::string SqliteCodeName(int rc);

// The SQLite code name closest to a Status from the library (a failed Update):
// Busy -> SQLITE_BUSY, Corruption -> SQLITE_CORRUPT, PermissionDenied -> SQLITE_PERM,
// InvalidArgument -> SQLITE_ERROR, anything else -> SQLITE_IOERR (the store failed).
std::string SqliteCodeNameFor(const Status& status);

// An HTTP error: `status` with {"message": message, "code": code}.
Response ErrorResponse(int status, std::string_view message, std::string_view code);
// A Status as an HTTP error (vfs::HttpStatusFor picks the status; the code is the Status
// code's name in upper case, e.g. "BUSY"). A Busy or Unavailable answer says when to retry.
Response ErrorResponse(const Status& status);

}  // namespace cloudlite::server::sql
