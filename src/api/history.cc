// A database's history as a library (cloudlite/history.h): log, restore to a database, verify,
// checkpoint. The engine knows the objects (engine/history.h, engine/verify.h); this file adds
// URIs, SQLite's changesets and local temporary files.
#include "cloudlite/history.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "base/hex.h"
#include "base/random.h"
#include "engine/engine.h"
#include "engine/history.h"
#include "engine/verify.h"
#include "format/format.h"
#include "store/registry.h"
#include "store/uri.h"

namespace cloudlite {
namespace {

struct Located {
  std::shared_ptr<ObjectStore> store;
  std::string name;
};

Result<Located> Locate(std::string_view uri, bool create = false) {
  CL_ASSIGN_OR_RETURN(DatabaseUri location, DatabaseUri::Parse(uri));
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, OpenStore(location.store, create));
  return Located{std::move(store), location.name};
}

std::shared_ptr<engine::FrameCache> NewCache() {
  return std::make_shared<engine::FrameCache>(32 << 20);
}

// Counts a session changeset's row changes per table. False when SQLite cannot read it.
bool CountChanges(const std::string& changeset, std::vector<TableChanges>* out);

// Counts the rows of a record's CHANGESET section per table. False when the record does not tell
// them all: no section, recording stopped, a table whose rows no changeset carries, or damage.
bool CountRecordedChanges(std::string_view section, std::vector<TableChanges>* out) {
  if (section.empty()) return false;
  Result<format::RowChanges> rows = format::DecodeRowChanges(section, "");
  return rows.ok() && rows->complete && rows->unkeyed.empty() && CountChanges(rows->changeset, out);
}

// Counts a session changeset's row changes per table. False when SQLite cannot read it.
bool CountChanges(const std::string& changeset, std::vector<TableChanges>* out) {
  sqlite3_changeset_iter* it = nullptr;
  if (sqlite3changeset_start(&it, static_cast<int>(changeset.size()),
                             const_cast<char*>(changeset.data())) != SQLITE_OK) {
    return false;
  }
  std::map<std::string, TableChanges> tables;
  int rc;
  while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW) {
    const char* table = nullptr;
    int columns = 0, op = 0, indirect = 0;
    if (sqlite3changeset_op(it, &table, &columns, &op, &indirect) != SQLITE_OK) break;
    TableChanges& t = tables[table];
    t.table = table;
    if (op == SQLITE_INSERT) t.inserted++;
    if (op == SQLITE_UPDATE) t.updated++;
    if (op == SQLITE_DELETE) t.deleted++;
  }
  const bool ok = sqlite3changeset_finalize(it) == SQLITE_OK && rc == SQLITE_DONE;
  if (!ok) return false;
  for (auto& [name, t] : tables) out->push_back(std::move(t));
  return true;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// An unlinked temporary file: gone with its descriptor, whatever happens.
class TempFile {
 public:
  static Result<std::unique_ptr<TempFile>> Create() {
    const char* dir = std::getenv("TMPDIR");
    std::string path =
        std::string(dir && *dir ? dir : "/tmp") + "/cloudlite-restore-" + RandomHex(6);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("creating", path);
    ::unlink(path.c_str());
    return std::unique_ptr<TempFile>(new TempFile(fd, path));
  }
  ~TempFile() { ::close(fd_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  Status Write(const char* data, uint64_t n, uint64_t offset) {
    for (uint64_t done = 0; done < n;) {
      ssize_t w = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(offset + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Errno("writing", path_);
      done += static_cast<uint64_t>(w);
    }
    return Status::Ok();
  }
  Status Read(char* out, uint64_t n, uint64_t offset) {
    for (uint64_t done = 0; done < n;) {
      ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Errno("reading", path_);
      if (r == 0) return Status::IOError(path_ + " is shorter than written");
      done += static_cast<uint64_t>(r);
    }
    return Status::Ok();
  }
  Status Resize(uint64_t bytes) {
    if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) return Errno("sizing", path_);
    return Status::Ok();
  }

 private:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace

Result<std::vector<VersionRecord>> ReadLog(std::string_view uri, const LogOptions& options) {
  CL_ASSIGN_OR_RETURN(Located db, Locate(uri));
  CL_ASSIGN_OR_RETURN(engine::Retained retained, engine::ListRetained(*db.store, db.name));
  CL_ASSIGN_OR_RETURN(auto summaries, engine::ReadVersionSummaries(*db.store, db.name, retained,
                                                                   options.since, options.limit));
  std::vector<VersionRecord> out;
  out.reserve(summaries.size());
  for (engine::VersionSummary& s : summaries) {
    VersionRecord& r = out.emplace_back();
    r.version = s.version;
    r.time_micros = s.time_micros;
    r.writer = HexEncode(s.writer_id);
    r.page_size = s.page_size;
    r.pages = s.db_pages;
    r.pages_written = s.pages_written;
    r.bytes_written = s.bytes_written;
    r.changes_known = CountRecordedChanges(s.changeset, &r.changes);
  }
  return out;
}

Result<RetainedVersions> ListRetainedVersions(std::string_view uri) {
  CL_ASSIGN_OR_RETURN(Located db, Locate(uri));
  CL_ASSIGN_OR_RETURN(engine::Retained r, engine::ListRetained(*db.store, db.name));
  return RetainedVersions{r.base, r.oldest, r.newest};
}

Result<std::pair<uint64_t, uint64_t>> RestoreToDatabase(std::string_view uri, const PointInTime& at,
                                                        std::string_view to_uri,
                                                        const Progress& progress) {
  if (at.empty()) return Status::InvalidArgument("restore needs a version or a time (--at)");
  CL_ASSIGN_OR_RETURN(Located from, Locate(uri));
  CL_ASSIGN_OR_RETURN(auto past, engine::Engine::OpenAt(from.store, from.name, {}, NewCache(),
                                                        {at.version, at.time_micros}));
  const uint32_t page_size = past->page_size();
  const uint32_t pages = past->db_pages();
  if (pages == 0) {
    return Status::InvalidArgument("version " + std::to_string(past->version()) + " of " +
                                   std::string(uri) + " is an empty database: nothing to restore");
  }
  // The image goes through a local temporary file: the store's ranged GETs hand pages over in
  // any order, and the upload reads them in page order.
  CL_ASSIGN_OR_RETURN(std::unique_ptr<TempFile> file, TempFile::Create());
  CL_RETURN_IF_ERROR(file->Resize(uint64_t{pages} * page_size));
  CL_RETURN_IF_ERROR(past->ReadImage([&](uint32_t first, uint32_t count, const char* data) {
    return file->Write(data, uint64_t{count} * page_size, uint64_t{first - 1} * page_size);
  }));
  CL_ASSIGN_OR_RETURN(Located to, Locate(to_uri, /*create=*/true));
  CL_ASSIGN_OR_RETURN(auto target, engine::Engine::Open(to.store, to.name, {}, NewCache(),
                                                        /*create=*/true));
  auto source = [&](uint32_t first, uint32_t count, char* out) {
    return file->Read(out, uint64_t{count} * page_size, uint64_t{first - 1} * page_size);
  };
  CL_ASSIGN_OR_RETURN(uint64_t written, target->CommitImage(page_size, pages, source, progress));
  return std::make_pair(past->version(), written);
}

Result<VerifyResult> VerifyDatabase(std::string_view uri) {
  CL_ASSIGN_OR_RETURN(Located db, Locate(uri));
  CL_ASSIGN_OR_RETURN(engine::VerifyReport report, engine::Verify(*db.store, db.name));
  VerifyResult out;
  out.first_version = report.base;
  out.oldest = report.oldest;
  out.newest = report.newest;
  out.records = report.records;
  out.checkpoints = report.checkpoints;
  out.segments = report.segments;
  out.frames = report.frames;
  out.bytes = report.bytes;
  for (engine::Damage& d : report.damage) out.problems.push_back({d.key, d.what});
  out.damaged_versions = std::move(report.damaged_versions);
  out.unreferenced_segments = std::move(report.unreferenced);
  return out;
}

Result<std::pair<uint64_t, bool>> CheckpointDatabase(std::string_view uri) {
  CL_ASSIGN_OR_RETURN(Located db, Locate(uri));
  CL_ASSIGN_OR_RETURN(auto engine, engine::Engine::Open(db.store, db.name, {}, NewCache(),
                                                        /*create=*/false));
  if (engine->db_id() == format::Format1DbId()) {
    return Status::NotSupported(std::string(uri) +
                                " is in storage format 1, which this cloudlite reads but does not "
                                "write; upgrade it once with: cloudlite migrate URI");
  }
  const bool had = engine->checkpoint_version() == engine->version();
  CL_RETURN_IF_ERROR(engine->Checkpoint());
  return std::make_pair(engine->version(), !had);
}

}  // namespace cloudlite
