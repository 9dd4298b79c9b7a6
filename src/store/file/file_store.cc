#include "store/file/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>  // renameat2
#include <ctime>
#include <memory>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "base/random.h"
#include "store/file/dir_watch.h"

namespace cloudlite {
namespace {

// Directories are opened one component at a time and never through a link.
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// O_NONBLOCK: opening a FIFO planted in the store must fail the S_ISREG check, not hang.
constexpr int kReadFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  void Reset() {
    // Linux closes the descriptor even when close() reports EINTR: never retry it.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

template <typename F>
auto RetryOnEintr(F f) {
  decltype(f()) r;
  do {
    r = f();
  } while (r < 0 && errno == EINTR);
  return r;
}

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string JoinRel(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out.push_back('/');
  out.append(name);
  return out;
}

std::vector<std::string_view> SplitKey(std::string_view key) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(key.substr(start));
      return segments;
    }
    segments.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

// Inverse of FileStore::EncodeName: the key fragment a name on disk stands for ("seg" for an
// object, "seg/" for a directory), or false for a name cloudlite would not have written.
bool DecodeName(std::string_view name, std::string* fragment) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); i++) {
    if (name[i] != '%') {
      out.push_back(name[i]);
      continue;
    }
    std::string_view escape = name.substr(i, 3);
    if (escape == "%25") {
      out.push_back('%');
    } else if (escape == "%2E") {
      out.push_back('.');
    } else if (escape == "%2F") {
      out.push_back('/');
    } else {
      return false;
    }
    i += 2;
  }
  bool directory = !out.empty() && out.back() == '/';
  std::string_view segment = out;
  if (directory) segment.remove_suffix(1);
  if (segment.find('/') != std::string_view::npos || !ValidateKey(segment).ok()) return false;
  // Only the canonical spelling counts, so that one key never has two names on disk.
  if (FileStore::EncodeName(segment, directory) != name) return false;
  *fragment = std::move(out);
  return true;
}

// Where an operation happens, for its error messages.
struct Context {
  std::string_view root;
  std::string_view description;
  std::string_view key;  // empty for List

  std::string DiskPath(std::string_view rel) const {
    if (rel.empty()) return std::string(root);
    if (root == "/") return "/" + std::string(rel);
    return std::string(root) + "/" + std::string(rel);
  }

  std::string KeyText() const { return "\"" + std::string(key) + "\""; }

  // The Status for errno `err` from an operation (`verb`, e.g. "reading") on root/`rel`.
  Status Error(int err, std::string_view verb, std::string_view rel) const {
    // A missing object first, without building the path: every freshness probe ends here.
    if (err == ENOENT && !key.empty()) {
      return Status::NotFound("no object " + KeyText() + " in " + std::string(description));
    }
    std::string path = DiskPath(rel);
    std::string what = std::string(verb) + " " + path;
    switch (err) {
      case ENOENT:
        return Status::NotFound(path + " does not exist");
      case EACCES:
      case EPERM:
        return Status::PermissionDenied("permission denied " + what +
                                        ": check the directory's owner and mode");
      case EROFS:
        return Status::PermissionDenied("cannot write " + path +
                                        ": the file system is mounted read-only");
      case ELOOP:
        return Status::PermissionDenied(
            path +
            " is a symbolic link: cloudlite does not follow links inside a store, so that no "
            "key can reach outside it; remove the link");
      case ENOTDIR:
        return Status::Corruption(path +
                                  " is not a directory, but cloudlite keeps one there: the store "
                                  "directory was changed by something other than cloudlite");
      case EISDIR:
        return Status::Corruption(path +
                                  " is a directory, but cloudlite keeps a file there: the store "
                                  "directory was changed by something other than cloudlite");
      case ENOSPC:
      case EDQUOT:
        return Status::IOError("no space left " + what + ": free some space or raise the quota");
      case ENAMETOOLONG:
        return Status::InvalidArgument(
            "key " + KeyText() + " has a segment too long for the file system under " +
            std::string(root) + " (a name on disk is at most 255 bytes)");
      case EMFILE:
      case ENFILE:
        return Status::Unavailable("too many open files " + what +
                                   ": raise the open-file limit (ulimit -n)");
      default:
        return Status::IOError(what + ": " + ErrnoText(err));
    }
  }
};

// The errno of a failed openat(kDirFlags) of `name`, with O_NOFOLLOW's ENOTDIR for a link
// turned into the ELOOP that says so.
int DirOpenError(int dir_fd, const char* name, int err) {
  struct stat st;
  if (err == ENOTDIR && fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(st.st_mode)) {
    return ELOOP;
  }
  return err;
}

// Opens the directory that `dirs` (key segments) name under the root, creating missing ones
// when `create`. *rel receives its path relative to the root. On failure, *err (if given)
// receives the errno behind the Status.
Result<UniqueFd> OpenDir(int root_fd, std::span<const std::string_view> dirs, bool create,
                         const Context& ctx, std::string* rel, int* err = nullptr) {
  auto fail = [&](int e, std::string_view verb, std::string_view at) {
    if (err != nullptr) *err = e;
    return ctx.Error(e, verb, at);
  };
  UniqueFd cur(fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (cur.get() < 0) return fail(errno, "opening", "");
  rel->clear();
  for (std::string_view segment : dirs) {
    std::string name = FileStore::EncodeName(segment, /*directory=*/true);
    std::string next_rel = JoinRel(*rel, name);
    int fd = RetryOnEintr([&] { return openat(cur.get(), name.c_str(), kDirFlags); });
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail(errno, "writing", *rel);
      }
      fd = RetryOnEintr([&] { return openat(cur.get(), name.c_str(), kDirFlags); });
      // The new directory's entry must be durable before anything in it is reported durable.
      // When another writer won the mkdir race we sync too: it may not have got that far yet.
      if (fd >= 0 && fsync(cur.get()) != 0) {
        int e = errno;
        ::close(fd);
        return fail(e, "syncing", *rel);
      }
    }
    if (fd < 0) {
      return fail(DirOpenError(cur.get(), name.c_str(), errno), create ? "writing" : "reading",
                  next_rel);
    }
    cur = UniqueFd(fd);
    *rel = std::move(next_rel);
  }
  return cur;
}

// Reads up to `length` bytes at `offset`, stopping early at the end of the file.
Result<std::string> ReadAt(int fd, uint64_t offset, uint64_t length, const Context& ctx,
                           std::string_view rel) {
  std::string out;
  out.resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t n =
        RetryOnEintr([&] { return pread(fd, out.data() + done, length - done, offset + done); });
    if (n < 0) return ctx.Error(errno, "reading", rel);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// 0, or the errno of the write that failed.
int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = RetryOnEintr([&] { return write(fd, data.data(), data.size()); });
    if (n < 0) return errno;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

struct OpenedObject {
  UniqueFd fd;
  uint64_t size = 0;
};

// Collects keys in bytewise order by walking directories depth-first, each sorted by the key
// fragment its entries stand for (see the layout in file_store.h).
class Lister {
 public:
  Lister(const Context& ctx, std::string_view start_after, size_t want,
         std::vector<std::string>* out)
      : ctx_(ctx), start_after_(start_after), want_(want), out_(out), now_(std::time(nullptr)) {}

  // Lists the directory `fd` (taken over), whose keys start with `base`, keeping entries whose
  // fragment starts with `filter`. True once `want` keys were found.
  Result<bool> Dir(UniqueFd fd, const std::string& base, std::string_view filter,
                   const std::string& rel) {
    DIR* dir = fdopendir(fd.get());
    if (dir == nullptr) return ctx_.Error(errno, "listing", rel);
    fd.release();
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, closedir);
    // A dup of the root's fd shares its read position with every earlier listing: start over.
    rewinddir(dir);
    int dir_fd = dirfd(dir);

    struct Entry {
      std::string fragment;
      std::string name;
      bool directory;
    };
    std::vector<Entry> entries;
    while (true) {
      errno = 0;
      dirent* e = readdir(dir);
      if (e == nullptr) {
        if (errno != 0) return ctx_.Error(errno, "listing", rel);
        break;
      }
      std::string_view name = e->d_name;
      if (name.starts_with('.')) {  // ".", "..", and cloudlite's own files
        if (name.starts_with(FileStore::kTempPrefix)) RemoveIfStale(dir_fd, e->d_name);
        continue;
      }
      Entry entry;
      if (!DecodeName(name, &entry.fragment) || !entry.fragment.starts_with(filter)) continue;
      entry.directory = entry.fragment.back() == '/';
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
      // Links and anything else cloudlite did not make are not objects.
      if (type != (entry.directory ? DT_DIR : DT_REG)) continue;
      entry.name = name;
      entries.push_back(std::move(entry));
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.fragment < b.fragment; });

    for (const Entry& entry : entries) {
      std::string key = base + entry.fragment;
      if (!entry.directory) {
        if (key > start_after_) {
          out_->push_back(std::move(key));
          if (out_->size() >= want_) return true;
        }
        continue;
      }
      // Every key below starts with `key` ("x/"): all are past start_after when `key` is,
      // none are when `key` is before it and not one of its prefixes.
      if (key <= start_after_ && !start_after_.starts_with(key)) continue;
      std::string sub_rel = JoinRel(rel, entry.name);
      int sub = RetryOnEintr([&] { return openat(dir_fd, entry.name.c_str(), kDirFlags); });
      if (sub < 0) {
        // Removed since readdir, or swapped for a link or file: nothing of ours to list there.
        if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) continue;
        return ctx_.Error(errno, "listing", sub_rel);
      }
      CL_ASSIGN_OR_RETURN(bool done, Dir(UniqueFd(sub), key, "", sub_rel));
      if (done) return true;
    }
    return false;
  }

 private:
  // Removes a temporary file a crashed writer left behind. Errors are ignored: it is only
  // clutter, and the next List tries again.
  void RemoveIfStale(int dir_fd, const char* name) const {
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return;
    if (now_ - st.st_mtime > FileStore::kTempMaxAgeSeconds) unlinkat(dir_fd, name, 0);
  }

  const Context& ctx_;
  const std::string_view start_after_;
  const size_t want_;
  std::vector<std::string>* const out_;
  const time_t now_;
};

// The URI is wrong, not the disk: retrying cannot help.
Status StoreNameTooLong(const std::string& root) {
  return Status::InvalidArgument("store directory " + root +
                                 " is too long a path for the file system (a name is at most "
                                 "255 bytes, a path 4095)");
}

// mkdir -p, syncing the parent of each directory it creates.
Status MakeDirs(const std::string& root) {
  for (size_t slash = root.find('/', 1);; slash = root.find('/', slash + 1)) {
    std::string dir = root.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) == 0) {
      std::string parent = dir.substr(0, std::max<size_t>(dir.rfind('/'), 1));
      UniqueFd pfd(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (pfd.get() < 0 || fsync(pfd.get()) != 0) {
        return Status::IOError("syncing " + parent + ": " + ErrnoText(errno));
      }
    } else if (errno != EEXIST) {
      int e = errno;
      if (e == EACCES || e == EPERM || e == EROFS) {
        return Status::PermissionDenied("permission denied creating " + dir +
                                        ": check the owner and mode of its parent directory");
      }
      if (e == ENOTDIR) {
        return Status::InvalidArgument("cannot create store directory " + root + ": " +
                                       dir.substr(0, dir.rfind('/')) + " is not a directory");
      }
      if (e == ENAMETOOLONG) return StoreNameTooLong(root);
      return Status::IOError("creating " + dir + ": " + ErrnoText(e));
    }
    if (slash == std::string::npos) return Status::Ok();
  }
}

}  // namespace

std::string FileStore::EncodeName(std::string_view segment, bool directory) {
  std::string out;
  out.reserve(segment.size() + 6);
  for (size_t i = 0; i < segment.size(); i++) {
    if (segment[i] == '%') {
      out += "%25";
    } else if (segment[i] == '.' && i == 0) {
      out += "%2E";
    } else {
      out.push_back(segment[i]);
    }
  }
  if (directory) out += "%2F";
  return out;
}

namespace {

std::string DescribeRoot(std::string_view root) {
  Uri uri;
  uri.scheme = "file";
  uri.path = root.substr(1);
  return uri.ToString();
}

}  // namespace

FileStore::FileStore(std::string root, int root_fd)
    : root_(std::move(root)), description_(DescribeRoot(root_)), root_fd_(root_fd) {}

FileStore::~FileStore() { ::close(root_fd_); }

Result<std::unique_ptr<FileStore>> FileStore::Open(std::string_view root_text, bool create) {
  if (root_text.empty() || root_text.front() != '/') {
    return Status::InvalidArgument("store directory \"" + std::string(root_text) +
                                   "\" is not an absolute path: write file:///abs/dir");
  }
  std::string root(root_text);
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (create && root != "/") CL_RETURN_IF_ERROR(MakeDirs(root));
  int fd = RetryOnEintr([&] { return open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) {
    int e = errno;
    switch (e) {
      case ENOENT:
        return Status::NotFound("store directory " + root + " does not exist");
      case ENOTDIR:
        return Status::InvalidArgument("store directory " + root + " is not a directory");
      case ENAMETOOLONG:
        return StoreNameTooLong(root);
      case EACCES:
      case EPERM:
        return Status::PermissionDenied("permission denied opening " + root +
                                        ": check the directory's owner and mode");
      default:
        return Status::IOError("opening store directory " + root + ": " + ErrnoText(e));
    }
  }
  return std::unique_ptr<FileStore>(new FileStore(std::move(root), fd));
}

namespace {

// Opens `rel` (a path of encoded names) beneath the root in one openat2(2) that refuses links
// and ".." on the way, as OpenDir's walk does one directory at a time: one system call instead
// of two per directory, which on file:// was most of a freshness probe (a missing object). -1
// with errno on failure; after ENOSYS (kernels before 5.6) or EPERM (a sandbox that forbids
// the call) it is not tried again and the walk does the work.
int OpenBeneath(int root_fd, const std::string& rel, int flags) {
  static std::atomic<bool> unavailable{false};
  if (unavailable.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = RetryOnEintr([&] {
    return static_cast<int>(syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
  });
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    unavailable.store(true, std::memory_order_relaxed);
  }
  return fd;
}

Result<OpenedObject> OpenObject(int root_fd, const Context& ctx, std::string* rel) {
  CL_RETURN_IF_ERROR(ValidateKey(ctx.key));
  std::vector<std::string_view> segments = SplitKey(ctx.key);
  const std::string name = FileStore::EncodeName(segments.back(), /*directory=*/false);
  rel->clear();
  for (size_t i = 0; i + 1 < segments.size(); i++) {
    *rel = JoinRel(*rel, FileStore::EncodeName(segments[i], /*directory=*/true));
  }
  *rel = JoinRel(*rel, name);
  // Most reads of a missing object are freshness probes of the next log slot. A stat that finds
  // nothing costs half an open that finds nothing (the kernel allocates no file for it); what
  // it finds, and any other error, takes the open below, which alone decides what may be read.
  struct stat st;
  if (fstatat(root_fd, rel->c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
    return ctx.Error(ENOENT, "reading", *rel);
  }
  OpenedObject object;
  object.fd = UniqueFd(OpenBeneath(root_fd, *rel, kReadFlags));
  if (object.fd.get() < 0) {
    // Missing (removed since the stat) says all there is to say. Anything else (a link, a file
    // where a directory belongs, permissions, no openat2) takes the walk, which finds the same
    // thing and names where.
    if (errno == ENOENT) return ctx.Error(ENOENT, "reading", *rel);
    std::string dir_rel;
    CL_ASSIGN_OR_RETURN(UniqueFd dir,
                        OpenDir(root_fd, std::span(segments).first(segments.size() - 1),
                                /*create=*/false, ctx, &dir_rel));
    object.fd = UniqueFd(RetryOnEintr([&] { return openat(dir.get(), name.c_str(), kReadFlags); }));
    if (object.fd.get() < 0) return ctx.Error(errno, "reading", *rel);
  }
  if (fstat(object.fd.get(), &st) != 0) return ctx.Error(errno, "reading", *rel);
  if (!S_ISREG(st.st_mode)) return ctx.Error(EISDIR, "reading", *rel);
  object.size = static_cast<uint64_t>(st.st_size);
  return object;
}

}  // namespace

Result<std::string> FileStore::Get(std::string_view key) {
  Context ctx{root_, description_, key};
  std::string rel;
  CL_ASSIGN_OR_RETURN(OpenedObject object, OpenObject(root_fd_, ctx, &rel));
  return ReadAt(object.fd.get(), 0, object.size, ctx, rel);
}

Result<std::string> FileStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  Context ctx{root_, description_, key};
  std::string rel;
  CL_ASSIGN_OR_RETURN(OpenedObject object, OpenObject(root_fd_, ctx, &rel));
  if (offset >= object.size) return std::string();
  return ReadAt(object.fd.get(), offset, std::min(length, object.size - offset), ctx, rel);
}

Result<ObjectInfo> FileStore::Head(std::string_view key) {
  Context ctx{root_, description_, key};
  std::string rel;
  CL_ASSIGN_OR_RETURN(OpenedObject object, OpenObject(root_fd_, ctx, &rel));
  return ObjectInfo{.size = object.size};
}

Status FileStore::PutIfAbsent(std::string_view key, std::string_view data) {
  return Write(key, data, /*if_absent=*/true);
}

Status FileStore::Put(std::string_view key, std::string_view data) {
  return Write(key, data, /*if_absent=*/false);
}

Status FileStore::Write(std::string_view key, std::string_view data, bool if_absent) {
  CL_RETURN_IF_ERROR(ValidateKey(key));
  Context ctx{root_, description_, key};
  std::vector<std::string_view> segments = SplitKey(key);
  std::string dir_rel;
  CL_ASSIGN_OR_RETURN(UniqueFd dir,
                      OpenDir(root_fd_, std::span(segments).first(segments.size() - 1),
                              /*create=*/true, ctx, &dir_rel));
  const int dfd = dir.get();
  std::string name = EncodeName(segments.back(), /*directory=*/false);
  std::string rel = JoinRel(dir_rel, name);
  std::string temp = std::string(kTempPrefix) + RandomHex(8);
  auto fail = [&](int err, std::string_view verb, std::string_view at) {
    unlinkat(dfd, temp.c_str(), 0);
    return ctx.Error(err, verb, at);
  };

  {
    UniqueFd file(RetryOnEintr([&] {
      return openat(dfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    }));
    // Creating a file needs write permission on the directory: name the directory.
    if (file.get() < 0) return ctx.Error(errno, "writing", dir_rel);
    if (int e = WriteAll(file.get(), data); e != 0) return fail(e, "writing", rel);
    if (fsync(file.get()) != 0) return fail(errno, "syncing", rel);
    if (::close(file.release()) != 0 && errno != EINTR) return fail(errno, "writing", rel);
  }

  if (if_absent) {
    int rc = renameat2(dfd, temp.c_str(), dfd, name.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      // The file system cannot rename without replacing; link(2) fails on an existing name
      // just the same, at the cost of a second name to remove.
      rc = linkat(dfd, temp.c_str(), dfd, name.c_str(), 0);
      if (rc == 0) unlinkat(dfd, temp.c_str(), 0);
    }
    if (rc != 0) {
      int e = errno;
      unlinkat(dfd, temp.c_str(), 0);
      if (e == EEXIST) {
        return Status::AlreadyExists("object " + ctx.KeyText() + " already exists in " +
                                     description_);
      }
      return ctx.Error(e, "writing", rel);
    }
  } else if (renameat(dfd, temp.c_str(), dfd, name.c_str()) != 0) {
    return fail(errno, "writing", rel);
  }

  if (fsync(dfd) != 0) {
    int e = errno;
    if (if_absent) {
      // The object is in place and visible, but may not survive a crash. Not Ambiguous: the
      // caller would send it again, find it there, and take it for written and durable
      // (ObjectStore's contract).
      return Status::IOError("wrote " + ctx.DiskPath(rel) + " (it is visible) but syncing its " +
                             "directory failed (" + ErrnoText(e) +
                             "): it may not survive a crash; check the disk");
    }
    return ctx.Error(e, "syncing", dir_rel);
  }
  return Status::Ok();
}

Result<ListPage> FileStore::List(std::string_view prefix, std::string_view start_after,
                                 size_t limit) {
  ListPage page;
  // Walk only the directory the prefix names; its last, partial segment filters the entries.
  size_t cut = prefix.rfind('/');
  std::string_view dir_part = cut == std::string_view::npos ? "" : prefix.substr(0, cut);
  std::string_view partial = cut == std::string_view::npos ? prefix : prefix.substr(cut + 1);
  if (cut != std::string_view::npos && !ValidateKey(dir_part).ok()) {
    return page;  // no valid key starts with this prefix
  }
  std::vector<std::string_view> dirs;
  if (!dir_part.empty()) dirs = SplitKey(dir_part);

  Context ctx{root_, description_, {}};
  std::string rel;
  int err = 0;
  Result<UniqueFd> dir = OpenDir(root_fd_, dirs, /*create=*/false, ctx, &rel, &err);
  if (!dir.ok()) {
    // Nothing there, or a link or file where a directory would be: no keys of ours.
    if (err == ENOENT || err == ELOOP || err == ENOTDIR) return page;
    return dir.status();
  }
  std::string base = dir_part.empty() ? "" : std::string(dir_part) + "/";
  // One key more than the page holds tells whether another page follows.
  size_t want = limit == SIZE_MAX ? limit : limit + 1;
  Lister lister(ctx, start_after, want, &page.keys);
  CL_ASSIGN_OR_RETURN(bool full, lister.Dir(std::move(dir).value(), base, partial, rel));
  (void)full;
  if (page.keys.size() > limit) {
    page.keys.resize(limit);
    page.more = true;
  }
  return page;
}

Status FileStore::Delete(std::span<const std::string> keys) {
  for (const std::string& key : keys) CL_RETURN_IF_ERROR(ValidateKey(key));
  // Keys of one batch usually share a directory: open and sync each directory once per run.
  std::string dir_rel;
  std::string dir_key;  // the directory part of the key `dir` was opened for
  UniqueFd dir;
  bool dirty = false;
  auto sync = [&]() -> Status {
    if (dirty && fsync(dir.get()) != 0) {
      return Context{root_, description_, {}}.Error(errno, "syncing", dir_rel);
    }
    dirty = false;
    return Status::Ok();
  };
  for (const std::string& key : keys) {
    Context ctx{root_, description_, key};
    std::vector<std::string_view> segments = SplitKey(key);
    std::string_view key_dir = std::string_view(key).substr(0, key.size() - segments.back().size());
    if (dir.get() < 0 || key_dir != dir_key) {
      CL_RETURN_IF_ERROR(sync());
      int err = 0;
      Result<UniqueFd> opened = OpenDir(root_fd_, std::span(segments).first(segments.size() - 1),
                                        /*create=*/false, ctx, &dir_rel, &err);
      if (!opened.ok()) {
        dir = UniqueFd();
        if (err == ENOENT) continue;  // no directory, no object: deleting it is Ok
        return opened.status();
      }
      dir = std::move(opened).value();
      dir_key = key_dir;
    }
    std::string name = EncodeName(segments.back(), /*directory=*/false);
    if (unlinkat(dir.get(), name.c_str(), 0) == 0) {
      dirty = true;
    } else if (errno != ENOENT) {
      return ctx.Error(errno, "deleting", JoinRel(dir_rel, name));
    }
  }
  return sync();
}

std::shared_ptr<PrefixWatch> FileStore::Watch(std::string_view prefix) {
  if (prefix.empty() || prefix.back() != '/') return nullptr;
  const std::string_view dir = prefix.substr(0, prefix.size() - 1);
  if (!ValidateKey(dir).ok()) return nullptr;
  std::lock_guard lock(watches_mu_);
  auto it = watches_.find(prefix);
  if (it != watches_.end()) {
    if (std::shared_ptr<PrefixWatch> shared = it->second.lock()) return shared;
  }
  std::erase_if(watches_, [](const auto& entry) { return entry.second.expired(); });
  std::vector<std::string> names;
  for (std::string_view segment : SplitKey(dir)) {
    names.push_back(EncodeName(segment, /*directory=*/true));
  }
  std::shared_ptr<PrefixWatch> watch = WatchDirectory(root_fd_, std::move(names));
  if (watch) watches_[std::string(prefix)] = watch;
  return watch;
}

std::string FileStore::Describe() const { return description_; }

Result<std::unique_ptr<ObjectStore>> OpenFileStore(Uri& uri, bool create) {
  if (!uri.authority.empty()) {
    return Status::InvalidArgument("file store URI " + uri.ToString() +
                                   " names a host: write file:///abs/dir (three slashes)");
  }
  CL_ASSIGN_OR_RETURN(std::unique_ptr<FileStore> store, FileStore::Open("/" + uri.path, create));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace cloudlite
