// The sqlite3 loadable extension: `.load ./libcloudlite` registers the "cloudlite" VFS.
//
//   sqlite> .load ./libcloudlite
//   sqlite> .open 'file:orders?vfs=cloudlite&store=file:///var/dbs'
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "vfs/vfs.h"

extern "C" __attribute__((visibility("default"))) int sqlite3_cloudlite_init(
    sqlite3* db, char** error, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  int rc = cloudlite::vfs::Register();
  // Commits of this connection and of every later one record their row changes (row_feed.h).
  if (rc == SQLITE_OK) rc = cloudlite::vfs::RecordPlainRowChanges(db);
  if (rc != SQLITE_OK) {
    *error = sqlite3_mprintf("cloudlite: could not register the VFS");
    return rc;
  }
  // The VFS must outlive this connection: keep the library loaded.
  return SQLITE_OK_LOAD_PERMANENTLY;
}
