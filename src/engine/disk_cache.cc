#include "engine/disk_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/random.h"

namespace cloudlite::engine {

std::string DiskCache::Name(std::string_view store, std::string_view key, uint64_t offset) {
  std::string full(store);
  full.push_back('\0');
  full.append(key).push_back('@');
  full.append(std::to_string(offset));
  XXH128_hash_t h = XXH3_128bits(full.data(), full.size());
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

Status DiskCache::Prepare(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::PermissionDenied("cannot create the cache directory " + dir + ": " +
                                    std::strerror(errno));
  }
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    return Status::PermissionDenied("cannot use the cache directory " + dir + ": " +
                                    std::strerror(errno));
  }
  auto refuse = [&](const std::string& why) {
    return Status::PermissionDenied("refusing the cache directory " + dir + ": " + why +
                                    "; use a directory of your own (it is created with mode 0700 "
                                    "if missing)");
  };
  if (S_ISLNK(st.st_mode)) return refuse("it is a symbolic link");
  if (!S_ISDIR(st.st_mode)) return refuse("it is not a directory");
  if (st.st_uid != ::geteuid()) return refuse("another user owns it");
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return refuse("other users can write to it (chmod go-w " + dir + ")");
  }
  return Status::Ok();
}

std::string DiskCache::Path(std::string_view name) const { return dir_ + "/" + std::string(name); }

std::optional<std::string> DiskCache::Get(std::string_view name) {
  int fd = ::open(Path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void DiskCache::Put(std::string_view name, std::string_view bytes) {
  ::mkdir(dir_.c_str(), 0700);
  std::string tmp = Path(".tmp-" + RandomHex(8));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != bytes.size() || ::rename(tmp.c_str(), Path(name).c_str()) != 0) {
    ::unlink(tmp.c_str());
  }
}

void DiskCache::Drop(std::string_view name) { ::unlink(Path(name).c_str()); }

}  // namespace cloudlite::engine
