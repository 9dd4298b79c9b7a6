#include "vfs/vfs.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "store/registry.h"
#include "vfs/guard.h"
#include "vfs/main_file.h"
#include "vfs/memory_file.h"
#include "vfs/options.h"
#include "vfs/row_feed.h"
#include "vfs/status_mapping.h"

// The SQLite side of the VFS: registration, the sqlite3_vfs and main-file trampolines (each
// through Guard), the PRAGMA guard, and the accessors of vfs.h. The main file's state and its
// transactions are MainFile's (main_file.h); journals are memory_file.h's.
namespace cloudlite::vfs {
namespace {

// Private opcode: hands the library the main file (never seen by other VFSes).
constexpr int kFcntlCloudFile = 0x436c0001;

sqlite3_vfs* g_default = nullptr;  // the platform VFS, for temp files and utilities
thread_local Status g_last_open_error;

struct MainHandle {
  sqlite3_file base;
  MainFile* main;
};

MainFile& MainOf(sqlite3_file* f) { return *reinterpret_cast<MainHandle*>(f)->main; }

// ---- main database file ---------------------------------------------------------------------

int MainClose(sqlite3_file* f) {
  return Guard([&] {
    auto* handle = reinterpret_cast<MainHandle*>(f);
    delete handle->main;  // releases the writer lease
    handle->main = nullptr;
    return SQLITE_OK;
  });
}

// SQLite reads the header once while it opens the database, before any lock, only to learn the
// page size; the first transaction reads page 1 again. A failure there would fail the open
// with a bare SQLite code, so it is remembered instead (Database::Open returns it, and
// PRAGMA cloudlite_last_error shows it) and SQLite gets a short read: zeros, as for a new file.
// The first transaction then fails on the same object, under its lock, with the same status.
int FailHeaderAtOpen(MainFile& m, const Status& s, void* buf, int amt) {
  m.Fail(s, SQLITE_IOERR_READ);
  std::memset(buf, 0, static_cast<size_t>(amt));
  return SQLITE_IOERR_SHORT_READ;
}

int MainRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    MainFile& m = MainOf(f);
    Result<uint64_t> got =
        m.Read(static_cast<uint64_t>(off), static_cast<char*>(buf), static_cast<uint64_t>(amt));
    if (!got.ok() && m.lock() == SQLITE_LOCK_NONE)
      return FailHeaderAtOpen(m, got.status(), buf, amt);
    if (!got.ok()) return m.Fail(got.status(), SQLITE_IOERR_READ);
    if (*got < static_cast<uint64_t>(amt)) {
      std::memset(static_cast<char*>(buf) + *got, 0, static_cast<size_t>(amt - *got));
      return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
  });
}

int MainWrite(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    MainFile& m = MainOf(f);
    if (m.read_only()) return m.RefuseWrite();
    if (off < 0) {
      return m.Fail(Status::Internal("write outside a write transaction"), SQLITE_IOERR_WRITE);
    }
    Status s = m.Write(static_cast<uint64_t>(off), static_cast<const char*>(buf),
                       static_cast<uint64_t>(amt));
    return s.ok() ? SQLITE_OK : m.Fail(s, SQLITE_IOERR_WRITE);
  });
}

int MainTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Guard([&] {
    MainFile& m = MainOf(f);
    if (m.read_only()) return m.RefuseWrite();
    m.Truncate(static_cast<uint64_t>(size));
    return SQLITE_OK;
  });
}

int MainSync(sqlite3_file*, int) { return SQLITE_OK; }  // the commit is at SQLITE_FCNTL_SYNC

int MainFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Guard([&] {
    *size = static_cast<sqlite3_int64>(MainOf(f).size());
    return SQLITE_OK;
  });
}

// The durable database (not temp, not in memory) other than `self` that holds a write transaction
// on the connection, if any. SQLite commits a transaction's databases one after another, each
// for good, so a write transaction must not span a cloudlite database and another durable one:
// a lost race (or a failure) on the second would leave the first committed.
std::optional<std::string> OtherWriter(sqlite3_file* self, const MainFile& m) {
  sqlite3* db = m.connection();
  if (db == nullptr) return std::nullopt;
  for (int i = 0; const char* schema = sqlite3_db_name(db, i); i++) {
    const char* path = sqlite3_db_filename(db, schema);
    if (path == nullptr || *path == '\0') continue;
    sqlite3_file* file = nullptr;
    sqlite3_file_control(db, schema, SQLITE_FCNTL_FILE_POINTER, &file);
    if (file == self) continue;
    if (sqlite3_txn_state(db, schema) == SQLITE_TXN_WRITE) return std::string(schema);
  }
  return std::nullopt;
}

// Checked when this file's transaction starts writing (RESERVED) and again when SQLite is about
// to write it out (EXCLUSIVE: before any database of the commit writes or syncs, whatever
// their order), so that such a transaction is refused before anything commits.
Status RefuseSecondWriter(sqlite3_file* self, const MainFile& m) {
  std::optional<std::string> other = OtherWriter(self, m);
  if (!other) return Status::Ok();
  return Status::NotSupported(
      "a write transaction cannot span cloudlite database '" + m.name() +
      "' and another durable database ('" + *other +
      "'): SQLite commits them one after another, so a lost race on one could leave the other "
      "committed; write to each in its own transaction (BEGIN, not BEGIN IMMEDIATE, when "
      "reading across them)");
}

int MainLock(sqlite3_file* f, int level) {
  return Guard([&] {
    MainFile& m = MainOf(f);
    if (m.lock() == SQLITE_LOCK_NONE && level >= SQLITE_LOCK_SHARED) {
      Status s = m.StartTransaction();
      if (!s.ok()) return m.Fail(s, SQLITE_IOERR_LOCK);
    }
    if (m.lock() < SQLITE_LOCK_RESERVED && level >= SQLITE_LOCK_RESERVED) {
      if (m.read_only()) return m.RefuseWrite();
      Status refused = RefuseSecondWriter(f, m);
      if (!refused.ok()) return m.Fail(refused, SQLITE_READONLY);
      Status s = m.BeginWrite();
      if (!s.ok()) return m.Fail(s, SQLITE_IOERR_LOCK);
    }
    if (m.lock() < SQLITE_LOCK_EXCLUSIVE && level == SQLITE_LOCK_EXCLUSIVE) {
      Status refused = RefuseSecondWriter(f, m);
      if (!refused.ok()) return m.Fail(refused, SQLITE_READONLY);
    }
    m.RaiseLock(level);
    return SQLITE_OK;
  });
}

int MainUnlock(sqlite3_file* f, int level) {
  return Guard([&] {
    MainOf(f).Unlock(level);
    return SQLITE_OK;
  });
}

int MainCheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;  // no other connection's journal can ever be hot
  return SQLITE_OK;
}

int Sync(MainFile& m) {
  // After a failed commit, SQLite's rollback syncs again: that fails with the first failure,
  // already recorded (MainFile::Commit).
  if (m.commit_failed()) return SqliteCodeFor(m.last_error(), SQLITE_IOERR_FSYNC);
  Status s = m.Commit();
  return s.ok() ? SQLITE_OK : m.Fail(s, SQLITE_IOERR_FSYNC);
}

// PRAGMAs that would break the assumptions in vfs.h get a clear error instead.
int Pragma(MainFile& m, char** args) {
  std::string name = args[1] ? args[1] : "";
  std::string value = args[2] ? args[2] : "";
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  std::transform(value.begin(), value.end(), value.begin(), ::tolower);
  if (name == "journal_mode" && value == "wal") {
    args[0] = sqlite3_mprintf(
        "cloudlite does not support WAL mode: commits are atomic objects in the store; "
        "keep journal_mode=DELETE or MEMORY");
    return SQLITE_ERROR;
  }
  if (name == "locking_mode" && value == "exclusive") {
    args[0] = sqlite3_mprintf(
        "cloudlite does not support locking_mode=EXCLUSIVE: a connection must release its "
        "snapshot between transactions to see other writers' commits");
    return SQLITE_ERROR;
  }
  if (name == "cloudlite_version") {
    args[0] = sqlite3_mprintf("%llu", static_cast<unsigned long long>(m.engine().version()));
    return SQLITE_OK;
  }
  if (name == "cloudlite_min_version") {  // read-your-writes under max_staleness
    uint64_t version = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
    if (ec != std::errc() || end != value.data() + value.size()) {
      args[0] = sqlite3_mprintf("cloudlite_min_version wants a version number");
      return SQLITE_ERROR;
    }
    m.set_min_version(version);
    return SQLITE_OK;
  }
  if (name == "cloudlite_last_error") {  // what SQLite's bare result code cannot say
    if (!m.last_error().ok()) args[0] = sqlite3_mprintf("%s", m.last_error().ToString().c_str());
    return SQLITE_OK;
  }
  return SQLITE_NOTFOUND;
}

int MainFileControl(sqlite3_file* f, int op, void* arg) {
  return Guard([&] {
    MainFile& m = MainOf(f);
    switch (op) {
      case SQLITE_FCNTL_SYNC:
        return Sync(m);
      case SQLITE_FCNTL_COMMIT_PHASETWO:
        m.CommitEnded();
        return SQLITE_NOTFOUND;
      case SQLITE_FCNTL_PRAGMA:
        return Pragma(m, static_cast<char**>(arg));
      case SQLITE_FCNTL_VFSNAME:
        *static_cast<char**>(arg) = sqlite3_mprintf("%s", kVfsName);
        return SQLITE_OK;
      case kFcntlCloudFile:
        *static_cast<MainFile**>(arg) = &m;
        return SQLITE_OK;
      case SQLITE_FCNTL_PDB:
        m.set_connection(static_cast<sqlite3**>(arg));
        return SQLITE_OK;
      default:
        return SQLITE_NOTFOUND;
    }
  });
}

int MainSectorSize(sqlite3_file*) { return 4096; }
int MainDeviceCharacteristics(sqlite3_file*) {
  return SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_POWERSAFE_OVERWRITE |
         SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN;
}

const sqlite3_io_methods kMainMethods = {
    1,
    MainClose,
    MainRead,
    MainWrite,
    MainTruncate,
    MainSync,
    MainFileSize,
    MainLock,
    MainUnlock,
    MainCheckReservedLock,
    MainFileControl,
    MainSectorSize,
    MainDeviceCharacteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

// ---- the VFS --------------------------------------------------------------------------------

// SQLite's own URI parameters that mean here what they mean to SQLite.
constexpr std::string_view kSqliteParams[] = {"vfs", "mode", "cache", "psow"};

// SQLite's URI parameters that would break the assumptions in vfs.h, and why.
constexpr std::pair<std::string_view, std::string_view> kRefusedSqliteParams[] = {
    {"immutable",
     "SQLite would read the file without locks, so the connection would never look for newer "
     "versions and would serve the version it opened for ever; use mode=ro for a read-only "
     "connection that follows new commits"},
    {"nolock",
     "SQLite would take no locks, and the VFS learns at its locks when a transaction starts "
     "(and looks for newer versions) and when it writes"},
};

// The query parameters of SQLite's file name `name` (first of each name, as SQLite reads them).
Params FileNameParams(const char* name) {
  Params params;
  for (int i = 0; const char* key = sqlite3_uri_key(name, i); i++) {
    const char* value = sqlite3_uri_parameter(name, key);
    params.emplace(key, value ? value : "");
  }
  return params;
}

// What to open for the file name SQLite passes to xOpen: Database::Open's typed request
// (options=TOKEN), or the file name's own parameters over the environment's.
Result<OpenRequest> ResolveOpen(const char* name, bool create) {
  std::string db = name ? name : "";
  db.erase(0, db.find_first_not_of('/'));  // file:///name and file:name both name "name"
  Params params = name ? FileNameParams(name) : Params();
  for (std::string_view own : kSqliteParams) params.erase(std::string(own));
  for (const auto& [param, why] : kRefusedSqliteParams) {
    auto it = params.find(param);
    if (it != params.end()) {
      return Status::InvalidArgument(std::string(param) + "=" + it->second +
                                     " is not supported by cloudlite: " + std::string(why));
    }
  }
  if (auto token = params.extract(kOptionsParam)) {
    if (!params.empty()) {
      return Status::InvalidArgument("parameter \"" + params.begin()->first + "\" next to " +
                                     kOptionsParam + "=: Database::Open passes every option in it");
    }
    std::optional<OpenRequest> request = TakePendingOpen(token.mapped());
    if (!request) {
      return Status::InvalidArgument(
          std::string(kOptionsParam) + "=" + token.mapped() +
          " names no pending open: the parameter is Database::Open's own");
    }
    return std::move(*request);
  }
  CL_ASSIGN_OR_RETURN(Options options, OptionsFromEnvironment());
  CL_RETURN_IF_ERROR(TakeOptionParams(params, options, Reader::kVfs));
  auto store_param = params.extract("store");
  if (!params.empty()) {
    return Status::InvalidArgument("unknown parameter \"" + params.begin()->first + "\" in '" + db +
                                   "': cloudlite takes store, " + OptionParamNames(Reader::kVfs) +
                                   ", and SQLite's vfs, mode, cache, psow (docs/vfs.md)");
  }
  const char* env_store = std::getenv("CLOUDLITE_STORE");
  std::string store_text = store_param ? store_param.mapped() : env_store ? env_store : "";
  if (store_text.empty()) {
    return Status::InvalidArgument(
        "no store for '" + db +
        "': add store=URI to the file name (file:NAME?vfs=cloudlite&store=file:///dir) or set "
        "CLOUDLITE_STORE");
  }
  CL_ASSIGN_OR_RETURN(Uri store_uri, Uri::Parse(store_text));
  CL_ASSIGN_OR_RETURN(std::shared_ptr<ObjectStore> store, OpenStore(store_uri, create));
  return OpenRequest{std::move(store), std::move(db), std::move(options)};
}

// A journal bounded by its database's write_memory (the default for a super-journal).
std::unique_ptr<JournalBuffer> NewJournal(const char* name, int flags) {
  sqlite3_file* db =
      (flags & SQLITE_OPEN_MAIN_JOURNAL) && name ? sqlite3_database_file_object(name) : nullptr;
  if (db && db->pMethods == &kMainMethods) return MainOf(db).NewJournal();
  return std::make_unique<JournalBuffer>(kDefaultWriteMemory, TempDirectory(), nullptr);
}

// A name with a '/' after its leading ones ("/tmp/x.db", "./x.db") cannot be a cloudlite
// database (names have no '/'): it is a plain local file, such as the target of VACUUM INTO or
// an ATTACHed file, and it and its journals go to the default VFS.
bool IsLocalPath(const char* name) {
  if (name == nullptr) return false;
  std::string_view n(name);
  size_t start = n.find_first_not_of('/');
  return start != std::string_view::npos && n.find('/', start) != std::string_view::npos;
}

Result<std::unique_ptr<MainFile>> OpenMain(const char* name, int flags) {
  bool create = (flags & SQLITE_OPEN_CREATE) != 0;
  CL_ASSIGN_OR_RETURN(OpenRequest request, ResolveOpen(name, create));
  return MainFile::Open(request, create, (flags & SQLITE_OPEN_READONLY) != 0);
}

int VfsOpen(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  return Guard([&] {
    f->pMethods = nullptr;
    if (IsLocalPath(name)) return g_default->xOpen(g_default, name, f, flags, out_flags);
    if (flags & SQLITE_OPEN_MAIN_DB) {
      Result<std::unique_ptr<MainFile>> m = OpenMain(name, flags);
      if (!m.ok()) {
        g_last_open_error = m.status();
        sqlite3_log(SQLITE_CANTOPEN, "cloudlite: %s", m.status().ToString().c_str());
        return SQLITE_CANTOPEN;
      }
      g_last_open_error = Status::Ok();
      reinterpret_cast<MainHandle*>(f)->main = m->release();
      f->pMethods = &kMainMethods;
    } else if (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL)) {
      OpenMemoryFile(f, NewJournal(name, flags));
    } else if (flags & SQLITE_OPEN_WAL) {
      return SQLITE_CANTOPEN;  // WAL is refused (vfs.h)
    } else {
      // Temporary databases, statement journals, sorter files: local scratch space.
      return g_default->xOpen(g_default, name, f, flags, out_flags);
    }
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
  });
}

int VfsDelete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (IsLocalPath(name)) return g_default->xDelete(g_default, name, sync_dir);
  return SQLITE_OK;  // journals are in memory
}

int VfsAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  if (IsLocalPath(name)) return g_default->xAccess(g_default, name, flags, out);
  *out = 0;  // no journal, WAL or super-journal ever exists outside memory
  return SQLITE_OK;
}

int VfsFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  if (IsLocalPath(name)) return g_default->xFullPathname(g_default, name, n, out);
  sqlite3_snprintf(n, out, "%s", name);
  return SQLITE_OK;
}

void* VfsDlOpen(sqlite3_vfs*, const char* path) { return g_default->xDlOpen(g_default, path); }
void VfsDlError(sqlite3_vfs*, int n, char* msg) { g_default->xDlError(g_default, n, msg); }
void (*VfsDlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_default->xDlSym(g_default, h, sym);
}
void VfsDlClose(sqlite3_vfs*, void* h) { g_default->xDlClose(g_default, h); }
int VfsRandomness(sqlite3_vfs*, int n, char* out) {
  return g_default->xRandomness(g_default, n, out);
}
int VfsSleep(sqlite3_vfs*, int micros) { return g_default->xSleep(g_default, micros); }
int VfsCurrentTime(sqlite3_vfs*, double* out) { return g_default->xCurrentTime(g_default, out); }
int VfsGetLastError(sqlite3_vfs*, int n, char* out) {
  if (n > 0) sqlite3_snprintf(n, out, "%s", g_last_open_error.ToString().c_str());
  return 0;
}
int VfsCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_default->xCurrentTimeInt64(g_default, out);
}

// The main file of database `schema` of `db`, if it is one of ours.
MainFile* MainOf(sqlite3* db, const char* schema = "main") {
  MainFile* m = nullptr;
  if (sqlite3_file_control(db, schema, kFcntlCloudFile, &m) != SQLITE_OK) return nullptr;
  return m;
}

void RowHook(void*, sqlite3* db, int op, const char* schema, const char* table, sqlite3_int64 key1,
             sqlite3_int64 key2) {
  MainFile* m = MainOf(db, schema);
  if (m) m->NoteRowChange(db, op, table, key1, key2);
}

int InstallRowHook(sqlite3* db, const char**, const sqlite3_api_routines*) {
  sqlite3_preupdate_hook(db, RowHook, nullptr);
  MarkRowHookInstalled(db);
  return SQLITE_OK;
}

}  // namespace

int RecordPlainRowChanges(sqlite3* db) {
  static int rc = sqlite3_auto_extension(reinterpret_cast<void (*)()>(InstallRowHook));
  if (db) InstallRowHook(db, nullptr, nullptr);
  return rc;
}

int Register() {
  static int rc = [] {
    g_default = sqlite3_vfs_find(nullptr);
    if (!g_default) return SQLITE_ERROR;
    static sqlite3_vfs vfs = {};
    vfs.iVersion = 2;
    vfs.szOsFile = std::max<int>(
        {static_cast<int>(sizeof(MainHandle)), MemoryFileSize(), g_default->szOsFile});
    vfs.mxPathname = 1024;
    vfs.zName = kVfsName;
    vfs.xOpen = VfsOpen;
    vfs.xDelete = VfsDelete;
    vfs.xAccess = VfsAccess;
    vfs.xFullPathname = VfsFullPathname;
    vfs.xDlOpen = VfsDlOpen;
    vfs.xDlError = VfsDlError;
    vfs.xDlSym = VfsDlSym;
    vfs.xDlClose = VfsDlClose;
    vfs.xRandomness = VfsRandomness;
    vfs.xSleep = VfsSleep;
    vfs.xCurrentTime = VfsCurrentTime;
    vfs.xGetLastError = VfsGetLastError;
    vfs.xCurrentTimeInt64 = VfsCurrentTimeInt64;
    return sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  }();
  return rc;
}

Status LastError(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (m && !m->last_error().ok()) return m->last_error();
  // Databases ATTACHed through the VFS have their own (a refused write across them, say).
  for (int i = 1; const char* schema = sqlite3_db_name(db, i); i++) {
    MainFile* attached = MainOf(db, schema);
    if (attached && !attached->last_error().ok()) return attached->last_error();
  }
  return Status::Ok();
}

Result<FileInfo> Info(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (!m) return Status::InvalidArgument("not a cloudlite database connection");
  const engine::Engine& e = m->engine();
  return FileInfo{
      e.version(), e.page_size(), e.db_pages(), e.last_commit_micros(), e.checkpoint_version(),
      e.base()};
}

Status LastOpenError() { return g_last_open_error; }

Result<WriteMemoryStats> WriteMemory(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (!m) return Status::InvalidArgument("not a cloudlite database connection");
  return m->write_memory();
}

WriteControl* WriteControlOf(sqlite3* db) {
  MainFile* m = MainOf(db);
  if (m) m->set_owned();
  return m;
}

}  // namespace cloudlite::vfs
