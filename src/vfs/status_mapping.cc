#include "vfs/status_mapping.h"

#include <sqlite3.h>

#include <utility>

namespace cloudlite::vfs {
namespace {

// Codes the VFS or the store below it can be the cause of.
bool StoreMayCause(int primary) {
  switch (primary) {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_BUSY:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status StatusFromSqlite(int rc, std::string message, const Status& store_error) {
  const int primary = rc & 0xff;
  if (!store_error.ok() && StoreMayCause(primary)) return store_error;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(message));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return Status::IOError(std::move(message));
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(message));
    default:
      return Status::InvalidArgument(std::move(message));
  }
}

int SqliteCodeFor(const Status& s, int fallback) {
  switch (s.code()) {
    case Status::Code::kOk:
      return SQLITE_OK;
    case Status::Code::kBusy:
      return SQLITE_BUSY;
    case Status::Code::kCorruption:
      return SQLITE_CORRUPT;
    case Status::Code::kPermissionDenied:
      return SQLITE_PERM;
    default:
      return fallback;
  }
}

int HttpStatusFor(const Status& s) {
  using Code = Status::Code;
  switch (s.code()) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kBusy:
    case Code::kAlreadyExists:
      return 409;
    case Code::kNotSupported:
      return 501;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:  // nothing was done: as retryable as an outage
      return 503;
    case Code::kAmbiguous:
      return 504;
    case Code::kCorruption:
    case Code::kIOError:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace cloudlite::vfs
