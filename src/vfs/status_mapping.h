// The one place a Status meets another code space: SQLite result codes (both ways) and HTTP
// statuses. The CLI's exit codes are its own contract (cli/exit_codes.h). Everything that talks
// to SQLite (the VFS, the library, the CLI) maps through here, so the copies cannot disagree.
#pragma once

#include <string>

#include "cloudlite/status.h"

namespace cloudlite::vfs {

// A failed SQLite call as a Status. `store_error` is what the VFS recorded for this transaction
// (vfs::LastError): when SQLite's code is one the VFS or the store can cause (I/O, corruption,
// busy, open, permission), the store's status is returned as it is, since it says which object
// and why. Otherwise SQLite's code picks the Status and `message` becomes its text:
//   BUSY, LOCKED                    -> Busy (another writer or connection got there first)
//   CORRUPT, NOTADB                 -> Corruption
//   IOERR, CANTOPEN, FULL, PROTOCOL,
//   NOMEM                           -> IOError
//   PERM, READONLY, AUTH            -> PermissionDenied
//   anything else (SQL errors)      -> InvalidArgument
// Extended codes are reduced to their primary code first.
Status StatusFromSqlite(int rc, std::string message, const Status& store_error);

// The SQLite result code a VFS method returns for `s`: Ok, Busy, Corruption and
// PermissionDenied have codes of their own; every other failure gets `fallback` (the
// method's own I/O error code, such as SQLITE_IOERR_READ).
int SqliteCodeFor(const Status& s, int fallback);

// The HTTP status a server answers with for `s` (200 for Ok). Client errors are 4xx: 400
// InvalidArgument, 403 PermissionDenied, 404 NotFound, 409 Busy and AlreadyExists (another
// writer won: retry). Server-side ones are 5xx: 501 NotSupported, 503 Unavailable (retry later),
// 504 Ambiguous (the store did not say whether the write landed), 500 for the rest.
int HttpStatusFor(const Status& s);

}  // namespace cloudlite::vfs
