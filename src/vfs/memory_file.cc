#include "vfs/memory_file.h"

#include <cstdlib>
#include <cstring>

#include "vfs/guard.h"

namespace cloudlite::vfs {
namespace {

struct MemoryFile {
  sqlite3_file base;
  JournalBuffer* journal;
};

JournalBuffer& JournalOf(sqlite3_file* f) { return *reinterpret_cast<MemoryFile*>(f)->journal; }

int MemClose(sqlite3_file* f) {
  auto* file = reinterpret_cast<MemoryFile*>(f);
  delete file->journal;
  file->journal = nullptr;
  return SQLITE_OK;
}
int MemRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    Result<size_t> n = JournalOf(f).Read(static_cast<uint64_t>(off), static_cast<char*>(buf), amt);
    if (!n.ok()) {
      sqlite3_log(SQLITE_IOERR_READ, "cloudlite: %s", n.status().ToString().c_str());
      return SQLITE_IOERR_READ;
    }
    if (*n < static_cast<size_t>(amt)) {
      std::memset(static_cast<char*>(buf) + *n, 0, static_cast<size_t>(amt) - *n);
      return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
  });
}
int MemWrite(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    Status s = JournalOf(f).Write(static_cast<uint64_t>(off),
                                  std::string_view(static_cast<const char*>(buf), amt));
    if (s.ok()) return SQLITE_OK;
    sqlite3_log(SQLITE_IOERR_WRITE, "cloudlite: %s", s.ToString().c_str());
    return SQLITE_IOERR_WRITE;
  });
}
int MemTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Guard([&] {
    Status s = JournalOf(f).Truncate(static_cast<uint64_t>(size));
    if (s.ok()) return SQLITE_OK;
    sqlite3_log(SQLITE_IOERR_TRUNCATE, "cloudlite: %s", s.ToString().c_str());
    return SQLITE_IOERR_TRUNCATE;
  });
}
int MemSync(sqlite3_file*, int) { return SQLITE_OK; }
int MemFileSize(sqlite3_file* f, sqlite3_int64* size) {
  *size = static_cast<sqlite3_int64>(JournalOf(f).size());
  return SQLITE_OK;
}
int MemLock(sqlite3_file*, int) { return SQLITE_OK; }
int MemCheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;
  return SQLITE_OK;
}
int MemFileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int MemSectorSize(sqlite3_file*) { return 4096; }
int MemDeviceCharacteristics(sqlite3_file*) {
  return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
         SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

const sqlite3_io_methods kMemoryMethods = {
    1,
    MemClose,
    MemRead,
    MemWrite,
    MemTruncate,
    MemSync,
    MemFileSize,
    MemLock,
    MemLock,
    MemCheckReservedLock,
    MemFileControl,
    MemSectorSize,
    MemDeviceCharacteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

int MemoryFileSize() { return sizeof(MemoryFile); }

void OpenMemoryFile(sqlite3_file* f, std::unique_ptr<JournalBuffer> journal) {
  auto* file = reinterpret_cast<MemoryFile*>(f);
  file->journal = journal.release();
  file->base.pMethods = &kMemoryMethods;
}

std::string TempDirectory() {
  if (sqlite3_temp_directory && *sqlite3_temp_directory) return sqlite3_temp_directory;
  for (const char* env : {"SQLITE_TMPDIR", "TMPDIR"}) {
    const char* dir = std::getenv(env);
    if (dir && *dir) return dir;
  }
  return "/tmp";
}

}  // namespace cloudlite::vfs
