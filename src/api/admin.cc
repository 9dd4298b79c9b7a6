#include "cloudlite/admin.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "base/parallel.h"
#include "base/random.h"
#include "engine/deleter.h"
#include "engine/engine.h"
#include "format/format.h"
#include "store/registry.h"
#include "store/uri.h"
#include "vfs/sqlite_header.h"

namespace cloudlite {
namespace {

struct OpenedStore {
  std::shared_ptr<ObjectStore> store;
  std::string name;
  std::string scheme;
};

Result<OpenedStore> OpenDatabaseStore(std::string_view uri, bool create) {
  CL_ASSIGN_OR_RETURN(DatabaseUri location, DatabaseUri::Parse(uri));
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, OpenStore(location.store, create));
  return OpenedStore{std::move(store), location.name, location.store.scheme};
}

Result<std::unique_ptr<engine::Engine>> OpenEngine(const OpenedStore& opened, bool create) {
  CL_ASSIGN_OR_RETURN(auto engine,
                      engine::Engine::Open(opened.store, opened.name, {},
                                           std::make_shared<engine::FrameCache>(32 << 20), create));
  return engine;  // at the latest version: opening lists the log
}

Result<std::unique_ptr<engine::Engine>> OpenEngine(std::string_view uri, bool create) {
  CL_ASSIGN_OR_RETURN(OpenedStore opened, OpenDatabaseStore(uri, create));
  return OpenEngine(opened, create);
}

// A past version of the database at `uri`, read-only (history.h).
Result<std::unique_ptr<engine::Engine>> OpenEngineAt(std::string_view uri, const PointInTime& at) {
  CL_ASSIGN_OR_RETURN(OpenedStore opened, OpenDatabaseStore(uri, /*create=*/false));
  return engine::Engine::OpenAt(opened.store, opened.name, {},
                                std::make_shared<engine::FrameCache>(32 << 20),
                                {at.version, at.time_micros});
}

Status ErrnoStatus(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what + " " + path + ": " + std::strerror(e);
  if (e == ENOENT) return Status::NotFound(msg);
  if (e == EACCES || e == EPERM || e == EROFS) return Status::PermissionDenied(msg);
  // The path is wrong, not the disk: retrying cannot help.
  if (e == ENAMETOOLONG) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

bool Cancelled(const TransferOptions& options) {
  return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
}

Status Interrupted(const char* what) { return Status::IOError(std::string(what) + " interrupted"); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status WriteExactly(int fd, const char* data, uint64_t n, uint64_t offset,
                    const std::string& path) {
  uint64_t done = 0;
  while (done < n) {
    ssize_t w = ::pwrite(fd, data + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus("writing", path);
    done += static_cast<uint64_t>(w);
  }
  return Status::Ok();
}

Status ReadExactly(int fd, char* out, size_t n, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("reading", path);
    if (r == 0) return Status::IOError(path + " changed size while being read");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

// ---- push: a consistent snapshot of a local SQLite file ----

using SqlitePtr = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

// SQLite's page size for a new database: what a 0-byte file would get.
constexpr uint32_t kEmptyDatabasePageSize = 4096;

Status LocalSqlError(sqlite3* db, int rc, const std::string& path, const char* what,
                     std::chrono::milliseconds busy_timeout) {
  if ((rc & 0xff) == SQLITE_BUSY) {
    return Status::Busy(path + " is locked by another process writing it (waited " +
                        std::to_string(busy_timeout.count()) +
                        " ms): try again when it is done, or wait longer (--busy-timeout)");
  }
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Status::InvalidArgument(path + ": " + what + ": " + detail);
}

Result<SqlitePtr> OpenLocal(const std::string& path, int flags,
                            std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqlitePtr db(raw, sqlite3_close_v2);
  if (rc != SQLITE_OK) return LocalSqlError(raw, rc, path, "cannot open", busy_timeout);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count()));
  return db;
}

// Runs one statement and returns its first column's text (or "" without a row); the SQLite
// result code goes to *rc.
std::string QueryText(sqlite3* db, const char* sql, int* rc) {
  sqlite3_stmt* stmt = nullptr;
  *rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::string text;
  if (*rc == SQLITE_OK) {
    *rc = sqlite3_step(stmt);
    if (*rc == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, 0);
      text = t != nullptr ? reinterpret_cast<const char*>(t) : "";
      *rc = SQLITE_OK;
    } else if (*rc == SQLITE_DONE) {
      *rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(stmt);
  return text;
}

// Begins a read transaction (BEGIN, then a read so the SHARED lock is taken). Returns the
// SQLite code: SQLITE_READONLY_ROLLBACK means a hot journal that a read-only connection
// cannot roll back.
int BeginRead(sqlite3* db) {
  int rc = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  QueryText(db, "SELECT count(*) FROM sqlite_schema", &rc);
  return rc;
}

// A hot journal can be rolled back only by a connection that may write the file and delete
// the journal beside it.
Status CheckCanRollBack(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (::access(path.c_str(), W_OK) == 0 && ::access(dir.c_str(), W_OK) == 0) return Status::Ok();
  return Status::PermissionDenied(
      path + " has a hot journal (" + path +
      "-journal) from a write that did not finish, and rolling it back needs write access to "
      "the file and its directory: run `sqlite3 " +
      path + " 'PRAGMA quick_check'` as a user who has it, then push again");
}

// Holds a read transaction on the local file, so that no other process changes it while it is
// copied. Waits up to `busy_timeout` for a writer; rolls back a hot journal; refuses WAL mode.
Result<SqlitePtr> LockLocalSnapshot(const std::string& path,
                                    std::chrono::milliseconds busy_timeout) {
  CL_ASSIGN_OR_RETURN(SqlitePtr db, OpenLocal(path, SQLITE_OPEN_READONLY, busy_timeout));
  int rc;
  std::string mode = QueryText(db.get(), "PRAGMA journal_mode", &rc);
  if (rc == SQLITE_OK && mode == "wal") {
    return Status::InvalidArgument(path +
                                   " is in WAL mode; switch it to a rollback journal first: "
                                   "sqlite3 " +
                                   path + " 'PRAGMA journal_mode=DELETE'");
  }
  if (rc == SQLITE_OK) rc = BeginRead(db.get());
  if (rc == SQLITE_READONLY_ROLLBACK) {
    // What any SQLite reader with write access would do: roll the unfinished write back.
    CL_RETURN_IF_ERROR(CheckCanRollBack(path));
    CL_ASSIGN_OR_RETURN(db, OpenLocal(path, SQLITE_OPEN_READWRITE, busy_timeout));
    rc = BeginRead(db.get());
  }
  if (rc != SQLITE_OK) return LocalSqlError(db.get(), rc, path, "cannot read", busy_timeout);
  return db;
}

// A file store keeps the temporary file of an upload in the directory of its key; one that a
// killed push left in seg/ is removed by the first List that reads seg/ (FileStore, "Crash
// leftovers"). Nothing else lists seg/, so each push does.
void SweepInterruptedUploads(const OpenedStore& opened) {
  if (opened.scheme == "file") (void)opened.store->List(format::SegmentPrefix(opened.name), "", 1);
}

// ---- pull: the destination and its temporary files ----

constexpr std::string_view kPullTempInfix = ".cloudlite-tmp-";
constexpr size_t kPullTempRandomBytes = 6;

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The mode to give the pulled file: that of the regular file it replaces, or none for a new
// file. Anything else at `path` is refused, links included: following one would let whoever
// can write its directory point a pull run by another user (root, say) at any file.
Result<std::optional<mode_t>> CheckDestination(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<mode_t>();
    return ErrnoStatus("checking", path);
  }
  if (S_ISREG(st.st_mode)) return std::optional<mode_t>(st.st_mode & 07777);
  std::string hint = S_ISLNK(st.st_mode) ? " (pull does not follow links: give the file it points "
                                           "to, e.g. \"$(realpath " +
                                               path + ")\")"
                                         : "";
  return Status::InvalidArgument("will not replace " + path + ": it is " + FileKind(st.st_mode) +
                                 ", and pull writes a SQLite file that replaces only a regular "
                                 "file" +
                                 hint);
}

bool IsPullTemporaryOf(std::string_view name, std::string_view base) {
  if (!name.starts_with(base)) return false;
  name.remove_prefix(base.size());
  if (!name.starts_with(kPullTempInfix)) return false;
  name.remove_prefix(kPullTempInfix.size());
  return name.size() == 2 * kPullTempRandomBytes &&
         name.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// A pull holds an exclusive flock on its temporary file until it ends, so a temporary nobody
// holds belongs to a pull that was killed: remove those of `path`. Best effort; errors only
// leave clutter for the next pull.
void RemoveAbandonedTemporaries(const std::string& path) {
  std::filesystem::path p(path);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string base = p.filename().string();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    if (!IsPullTemporaryOf(e->d_name, base)) continue;
    Fd fd(::openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st;
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) ::unlinkat(dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

// Creates the temporary file a pull writes, locked (see RemoveAbandonedTemporaries). Private
// (0600) when it will replace a file, whose mode it takes at the end; else 0666 less the umask.
Result<std::pair<std::string, int>> CreatePullTemporary(const std::string& path, bool replacing) {
  for (int attempt = 0; attempt < 8; attempt++) {
    std::string tmp = path + std::string(kPullTempInfix) + RandomHex(kPullTempRandomBytes);
    int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    replacing ? 0600 : 0666);
    if (fd < 0) return ErrnoStatus("creating", tmp);
    struct stat st;
    // A concurrent pull's sweep may have removed it before it was locked: take another name.
    if (::flock(fd, LOCK_EX) == 0 && ::fstat(fd, &st) == 0 && st.st_nlink > 0) {
      return std::make_pair(tmp, fd);
    }
    ::close(fd);
  }
  return Status::IOError("creating a temporary file beside " + path + ": it kept disappearing");
}

}  // namespace

Result<uint64_t> Push(const std::string& local_path, std::string_view uri,
                      const Progress& progress) {
  return Push(local_path, uri, TransferOptions{.progress = progress});
}

Result<uint64_t> Push(const std::string& local_path, std::string_view uri,
                      const TransferOptions& options) {
  Fd fd(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("opening", local_path);
  std::string header(vfs::kSqliteHeaderSize, '\0');
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("reading", local_path);
  // A 0-byte file is an empty database to SQLite; anything else must start with its header.
  if (st.st_size > 0) {
    if (static_cast<uint64_t>(st.st_size) < header.size()) {
      return Status::InvalidArgument(local_path +
                                     " is not a SQLite database (shorter than a SQLite header)");
    }
    CL_RETURN_IF_ERROR(ReadExactly(fd.get(), header.data(), header.size(), 0, local_path));
    CL_RETURN_IF_ERROR(vfs::ParseSqliteHeader(header, local_path).status());
  }

  // The file cannot change while this read transaction is open.
  CL_ASSIGN_OR_RETURN(SqlitePtr snapshot, LockLocalSnapshot(local_path, options.busy_timeout));
  // Re-read the header under the lock: the page size and size are now stable.
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("reading", local_path);
  uint32_t page_size = kEmptyDatabasePageSize;
  if (st.st_size > 0) {
    CL_RETURN_IF_ERROR(ReadExactly(fd.get(), header.data(), header.size(), 0, local_path));
    CL_ASSIGN_OR_RETURN(page_size, vfs::ParseSqliteHeader(header, local_path));
  }
  uint64_t pages = static_cast<uint64_t>(st.st_size) / page_size;
  if (pages > UINT32_MAX) return Status::InvalidArgument(local_path + " is too large");

  CL_ASSIGN_OR_RETURN(OpenedStore opened, OpenDatabaseStore(uri, /*create=*/true));
  SweepInterruptedUploads(opened);
  CL_ASSIGN_OR_RETURN(auto engine, OpenEngine(opened, /*create=*/true));
  auto source = [&](uint32_t first_pgno, uint32_t count, char* out) {
    // Stopping here, before the commit record, commits nothing; uploads under way finish.
    if (Cancelled(options)) return Interrupted("push");
    return ReadExactly(fd.get(), out, uint64_t{count} * page_size,
                       uint64_t{first_pgno - 1} * page_size, local_path);
  };
  return engine->CommitImage(page_size, static_cast<uint32_t>(pages), source, options.progress);
}

Status Pull(std::string_view uri, const std::string& local_path, const Progress& progress) {
  return Pull(uri, local_path, TransferOptions{.progress = progress});
}

Status Pull(std::string_view uri, const std::string& local_path, const TransferOptions& options) {
  const Progress& progress = options.progress;
  CL_ASSIGN_OR_RETURN(std::optional<mode_t> keep_mode, CheckDestination(local_path));
  RemoveAbandonedTemporaries(local_path);
  CL_ASSIGN_OR_RETURN(auto engine, options.at.empty() ? OpenEngine(uri, /*create=*/false)
                                                      : OpenEngineAt(uri, options.at));
  const uint32_t page_size = engine->page_size();
  const uint32_t pages = engine->db_pages();
  const uint64_t version = engine->version();
  const uint64_t total = uint64_t{pages} * page_size;
  CL_ASSIGN_OR_RETURN(auto created, CreatePullTemporary(local_path, keep_mode.has_value()));
  const std::string tmp = created.first;
  Fd fd(created.second);
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  // Pages no frame maps are zeros: holes of the sparse file.
  if (::ftruncate(fd.get(), static_cast<off_t>(total)) != 0) {
    return fail(ErrnoStatus("sizing", tmp));
  }
  auto write = [&](const char* data, uint64_t n, uint64_t offset) {
    return WriteExactly(fd.get(), data, n, offset, tmp);
  };
  std::string first_page;  // page 1, with the header stamped for this version
  auto write_first_page = [&](const char* page) {
    first_page.assign(page, page_size);
    vfs::StampHeader(first_page.data(), page_size, version, total);
    return write(first_page.data(), page_size, 0);
  };
  uint64_t done = 0, reported = 0;
  // Called for whole frames' runs, one call at a time (from the engine's fetching threads).
  auto sink = [&](uint32_t first_pgno, uint32_t count, const char* data) -> Status {
    if (Cancelled(options)) return Interrupted("pull");
    uint64_t offset = uint64_t{first_pgno - 1} * page_size;
    uint64_t bytes = uint64_t{count} * page_size;
    if (first_pgno == 1) {
      CL_RETURN_IF_ERROR(write_first_page(data));
      data += page_size;
      offset += page_size;
      bytes -= page_size;
    }
    CL_RETURN_IF_ERROR(write(data, bytes, offset));
    done += uint64_t{count} * page_size;
    if (progress && done - reported >= (1 << 20)) {
      reported = done;
      progress(done, total);
    }
    return Status::Ok();
  };
  Status s = engine->ReadImage(sink);
  if (!s.ok()) return fail(s);
  if (first_page.empty() && pages > 0) {
    s = write_first_page(std::string(page_size, '\0').data());
    if (!s.ok()) return fail(s);
  }
  if (progress) progress(total, total);
  if (keep_mode && ::fchmod(fd.get(), *keep_mode) != 0)
    return fail(ErrnoStatus("setting the mode of", tmp));
  if (::fsync(fd.get()) != 0) return fail(ErrnoStatus("syncing", tmp));
  // Look again just before replacing: what is there now is what gets replaced.
  auto still = CheckDestination(local_path);
  if (!still.ok()) return fail(still.status());
  if (Cancelled(options)) return fail(Interrupted("pull"));
  if (::rename(tmp.c_str(), local_path.c_str()) != 0) {
    return fail(ErrnoStatus("replacing", local_path));
  }
  return Status::Ok();
}

namespace {

// The valid database names that have objects under them in `store`, in key order.
Result<std::vector<std::string>> NamesWithObjects(ObjectStore& store) {
  std::vector<std::string> names;
  std::string after;
  for (;;) {
    // One key per database: after seeing "name/...", skip past every key under "name/"
    // ('0' is the byte after '/').
    CL_ASSIGN_OR_RETURN(ListPage page, store.List("", after, 1));
    if (page.keys.empty()) break;
    const std::string& key = page.keys.front();
    size_t slash = key.find('/');
    if (slash == std::string::npos) {
      after = key;
      continue;
    }
    std::string name = key.substr(0, slash);
    after = name + "0";
    if (format::IsValidDatabaseName(name)) names.push_back(std::move(name));
  }
  return names;
}

// Databases opened at once by ListDatabases: each open is a few requests that wait on the store.
constexpr int kListOpenThreads = 8;

}  // namespace

Result<std::vector<std::string>> ListDatabases(std::string_view store_uri) {
  CL_ASSIGN_OR_RETURN(Uri uri, Uri::Parse(store_uri));
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> opened, OpenStore(uri, /*create=*/false));
  std::shared_ptr<ObjectStore> store = std::move(opened);
  CL_ASSIGN_OR_RETURN(std::vector<std::string> candidates, NamesWithObjects(*store));
  // Objects under a name do not make a database: a removed one keeps its END record (and, for a
  // while, its newest records). It exists if it opens; a damaged one is listed too. The opens
  // run in parallel; each writes only its own slot.
  auto cache = std::make_shared<engine::FrameCache>(1 << 20);
  std::vector<char> exists(candidates.size(), 0);
  CL_RETURN_IF_ERROR(ForEachInParallel(candidates.size(), kListOpenThreads, nullptr, [&](size_t i) {
    auto engine = engine::Engine::Open(store, candidates[i], {}, cache, /*create=*/false);
    exists[i] = !engine.status().IsNotFound();
    return Status::Ok();
  }));
  std::vector<std::string> names;
  for (size_t i = 0; i < candidates.size(); i++) {
    if (exists[i]) names.push_back(std::move(candidates[i]));
  }
  return names;
}

Status CheckStore(std::string_view store_uri, bool create) {
  CL_ASSIGN_OR_RETURN(Uri uri, Uri::Parse(store_uri));
  // OpenStore checks access itself, or at the first request (ObjectStore::ListChecksAccess).
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, OpenStore(uri, create));
  return store->ListChecksAccess() ? store->CheckAccess().status() : Status::Ok();
}

Status RemoveDatabase(std::string_view uri) {
  CL_ASSIGN_OR_RETURN(OpenedStore opened, OpenDatabaseStore(uri, /*create=*/false));
  ObjectStore& store = *opened.store;
  const std::string& db = opened.name;
  CL_ASSIGN_OR_RETURN(auto keys, ListAll(store, format::DatabasePrefix(db)));
  const std::string log_prefix = format::LogPrefix(db);
  const std::string not_found = "database '" + db + "' does not exist in " + store.Describe();
  if (keys.empty()) return Status::NotFound(not_found);
  std::vector<uint64_t> records;  // ascending: keys sort by version (zero-padded)
  for (const auto& key : keys) {
    uint64_t v;
    if (format::ParseVersionKey(key, log_prefix, &v)) records.push_back(v);
  }
  const uint64_t newest_checkpoint = format::NewestVersion(keys, format::CheckpointPrefix(db));
  const uint64_t newest_record = records.empty() ? 0 : records.back();
  uint64_t end = 0;
  if (newest_record > 0 || newest_checkpoint > 0) {
    // A checkpoint above every record (their records deleted) still needs the END above it.
    const bool above = newest_checkpoint > newest_record;
    CL_ASSIGN_OR_RETURN(
        end, engine::EndIncarnation(store, db, above ? newest_checkpoint : newest_record, above));
  }
  const bool existed = end > 0;
  if (end == 0 && !records.empty()) end = records.back();
  // Keep the END record and the records committed within the grace period (a writer that synced
  // within relist_after may still commit to the slot after one of them: docs/format.md,
  // "Deleting log records"), newest first down to the first older one.
  const int64_t horizon =
      engine::WallMicros() -
      std::chrono::duration_cast<std::chrono::microseconds>(engine::kLogDeleteGrace).count();
  std::set<std::string> keep = {format::LogKey(db, end)};
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (*it >= end) continue;
    std::string key = format::LogKey(db, *it);
    Result<std::string> bytes = store.Get(key);
    if (!bytes.ok()) break;
    Result<format::Record> rec = format::DecodeRecord(*bytes, key);
    if (!rec.ok() || rec->time_micros < horizon) break;
    keep.insert(key);
  }
  // Checkpoints first, segments last: an interrupted rm leaves nothing that names a missing
  // object without its END record being there already.
  std::vector<std::string> doomed;
  for (const std::string& dir : {format::CheckpointPrefix(db), format::LeasePrefix(db),
                                 format::LogPrefix(db), format::SegmentPrefix(db)}) {
    for (const auto& key : keys) {
      if (key.rfind(dir, 0) == 0 && !keep.count(key)) doomed.push_back(key);
    }
  }
  for (const auto& key : keys) {  // anything else under the name
    if (!keep.count(key) && std::find(doomed.begin(), doomed.end(), key) == doomed.end()) {
      doomed.push_back(key);
    }
  }
  CL_RETURN_IF_ERROR(engine::DeleteObjects(store, doomed));
  if (!existed) return Status::NotFound(not_found);
  return Status::Ok();
}

Status Migrate(std::string_view uri, const Progress& progress) {
  CL_ASSIGN_OR_RETURN(auto engine, OpenEngine(uri, /*create=*/false));
  if (engine->db_id() != format::Format1DbId()) return Status::Ok();  // already format 2
  // The current image, through a local file, written back as the genesis of a format-2
  // incarnation at the next version, only if no commit landed meanwhile.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path =
      std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/cloudlite-migrate-" + RandomHex(6);
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoStatus("creating", path);
  ::unlink(path.c_str());  // gone with the descriptor, whatever happens
  const uint32_t page_size = engine->page_size();
  const uint32_t pages = engine->db_pages();
  if (::ftruncate(fd.get(), static_cast<off_t>(uint64_t{pages} * page_size)) != 0) {
    return ErrnoStatus("sizing", path);
  }
  CL_RETURN_IF_ERROR(engine->ReadImage([&](uint32_t first, uint32_t count, const char* data) {
    return WriteExactly(fd.get(), data, uint64_t{count} * page_size,
                        uint64_t{first - 1} * page_size, path);
  }));
  auto source = [&](uint32_t first_pgno, uint32_t count, char* out) {
    return ReadExactly(fd.get(), out, uint64_t{count} * page_size,
                       uint64_t{first_pgno - 1} * page_size, path);
  };
  return engine->CommitImage(page_size, pages, source, progress, /*only_next=*/true).status();
}

Result<DatabaseInfo> Describe(std::string_view uri) {
  CL_ASSIGN_OR_RETURN(auto engine, OpenEngine(uri, /*create=*/false));
  DatabaseInfo info;
  info.version = engine->version();
  info.page_size = engine->page_size();
  info.pages = engine->db_pages();
  info.bytes = uint64_t{info.pages} * info.page_size;
  info.last_commit_micros = engine->last_commit_micros();
  info.checkpoint_version = engine->checkpoint_version();
  info.first_version = engine->base();
  return info;
}

}  // namespace cloudlite
