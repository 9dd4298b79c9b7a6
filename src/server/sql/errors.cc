#include "server/sql/errors.h"

#include <sqlite3.h>

#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "vfs/status_mapping.h"

namespace cloudlite::server::sql {

std::string SqliteCodeName(int rc) {
  static constexpr std::array<std::string_view, 29> kNames = {
      "SQLITE_OK",       "SQLITE_ERROR",     "SQLITE_INTERNAL", "SQLITE_PERM",
      "SQLITE_ABORT",    "SQLITE_BUSY",      "SQLITE_LOCKED",   "SQLITE_NOMEM",
      "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR",    "SQLITE_CORRUPT",
      "SQLITE_NOTFOUND", "SQLITE_FULL",      "SQLITE_CANTOPEN", "SQLITE_PROTOCOL",
      "SQLITE_EMPTY",    "SQLITE_SCHEMA",    "SQLITE_TOOBIG",   "SQLITE_CONSTRAINT",
      "SQLITE_MISMATCH", "SQLITE_MISUSE",    "SQLITE_NOLFS",    "SQLITE_AUTH",
      "SQLITE_FORMAT",   "SQLITE_RANGE",     "SQLITE_NOTADB",   "SQLITE_NOTICE",
      "SQLITE_WARNING"};
  int primary = rc & 0xff;
  if (primary >= 0 && primary < static_cast<int>(kNames.size())) {
    return std::string(kNames[primary]);
  }
  return "SQLITE_UNKNOWN";
}

std::string SqliteCodeNameFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kBusy:
      return SqliteCodeName(SQLITE_BUSY);
    case Status::Code::kCorruption:
      return SqliteCodeName(SQLITE_CORRUPT);
    case Status::Code::kPermissionDenied:
      return SqliteCodeName(SQLITE_PERM);
    case Status::Code::kInvalidArgument:
      return SqliteCodeName(SQLITE_ERROR);
    default:
      return SqliteCodeName(SQLITE_IOERR);
  }
}

Response ErrorResponse(int status, std::string_view message, std::string_view code) {
  boost::json::object body;
  body["message"] = message;
  body["code"] = code;
  Response r = Response::Json(status, boost::json::serialize(body));
  if (status == 503) r.set_header("retry-after", "1");
  return r;
}

Response ErrorResponse(const Status& status) {
  std::string code(CodeName(status.code()));
  for (char& c : code) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  for (char& c : code) {
    if (c == ' ') c = '_';
  }
  Response r = ErrorResponse(vfs::HttpStatusFor(status), status.message(), code);
  if (status.IsBusy()) r.set_header("retry-after", "0");
  return r;
}

}  // namespace cloudlite::server::sql
