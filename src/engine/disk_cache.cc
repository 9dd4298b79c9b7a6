#include "engine/disk_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "base/random.h"

namespace cloudlite::engine {
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
// A temporary file this old belongs to a writer that died: no Put takes an hour.
constexpr int64_t kStaleTempNanos = int64_t{3600} * 1'000'000'000;

int64_t Nanos(const struct timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sets a file's access and modification times to `stamp` (ns since the epoch).
void SetUseTime(int fd, int64_t stamp) {
  struct timespec t;
  t.tv_sec = static_cast<time_t>(stamp / 1'000'000'000);
  t.tv_nsec = static_cast<long>(stamp % 1'000'000'000);
  const struct timespec times[2] = {t, t};
  (void)::futimens(fd, times);
}

struct Entry {
  int64_t used;  // modification time, ns
  uint64_t bytes;
  std::string name;
};

// The entries of `dir`, deleting temporary files older than an hour on the way.
std::vector<Entry> ListEntries(const std::string& dir) {
  std::vector<Entry> entries;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return entries;
  const int dfd = ::dirfd(d);
  const int64_t now = WallNanos();
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    // Gone already: another process evicted or dropped it.
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) continue;
    if (name.substr(0, kTempPrefix.size()) == kTempPrefix) {
      if (now - Nanos(st.st_mtim) > kStaleTempNanos) (void)::unlinkat(dfd, e->d_name, 0);
      continue;
    }
    entries.push_back({Nanos(st.st_mtim), static_cast<uint64_t>(st.st_size), std::string(name)});
  }
  ::closedir(d);
  return entries;
}

uint64_t Sum(const std::vector<Entry>& entries) {
  uint64_t total = 0;
  for (const Entry& e : entries) total += e.bytes;
  return total;
}

uint64_t DefaultMaxBytes(const std::string& dir, uint64_t held) {
  struct statvfs fs;
  if (::statvfs(dir.c_str(), &fs) != 0) return kDefaultDiskCacheBytes;
  const uint64_t free_bytes = uint64_t{fs.f_bavail} * fs.f_frsize;
  return std::min(kDefaultDiskCacheBytes, (free_bytes + held) / 2);
}

}  // namespace

DiskCache::DiskCache(std::string dir, uint64_t max_bytes)
    : dir_(std::move(dir)),
      max_bytes_(max_bytes > 0 ? max_bytes : DefaultMaxBytes(dir_, Sum(ListEntries(dir_)))) {}

std::shared_ptr<DiskCache> DiskCache::ForDirectory(const std::string& dir, uint64_t max_bytes) {
  static std::mutex mu;
  static auto* caches = new std::map<std::pair<std::string, uint64_t>, std::weak_ptr<DiskCache>>();
  std::lock_guard<std::mutex> lock(mu);
  std::weak_ptr<DiskCache>& slot = (*caches)[{dir, max_bytes}];
  std::shared_ptr<DiskCache> cache = slot.lock();
  if (!cache) {
    cache = std::make_shared<DiskCache>(dir, max_bytes);
    slot = cache;
  }
  return cache;
}

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

int64_t DiskCache::NextStamp() {
  std::lock_guard<std::mutex> lock(mu_);
  last_stamp_ = std::max(WallNanos(), last_stamp_ + 1);
  return last_stamp_;
}

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
  SetUseTime(fd, NextStamp());
  ::close(fd);
  return out;
}

void DiskCache::Put(std::string_view name, std::string_view bytes) {
  if (bytes.size() > max_bytes_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Scanning after every eighth of the bound this instance writes keeps what the others wrote
    // meanwhile counted too.
    if (!scanned_ || held_ + bytes.size() > max_bytes_ ||
        written_ + bytes.size() > max_bytes_ / 8) {
      ScanAndEvict(bytes.size());
    }
    held_ += bytes.size();
    written_ += bytes.size();
  }
  ::mkdir(dir_.c_str(), 0700);
  std::string tmp = Path(std::string(kTempPrefix) + RandomHex(8));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == bytes.size()) SetUseTime(fd, NextStamp());
  ::close(fd);
  if (done != bytes.size() || ::rename(tmp.c_str(), Path(name).c_str()) != 0) {
    ::unlink(tmp.c_str());
  }
}

void DiskCache::Drop(std::string_view name) { ::unlink(Path(name).c_str()); }

uint64_t DiskCache::HeldBytes() const { return Sum(ListEntries(dir_)); }

void DiskCache::ScanAndEvict(uint64_t room) {
  std::vector<Entry> entries = ListEntries(dir_);
  held_ = Sum(entries);
  written_ = 0;
  scanned_ = true;
  if (held_ + room <= max_bytes_) return;
  const uint64_t target = max_bytes_ - max_bytes_ / 8;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& e : entries) {
    if (held_ + room <= target) break;
    // Whether this unlink or another process's removed it, its bytes are gone; a reader that
    // has it open keeps reading it.
    (void)::unlink(Path(e.name).c_str());
    held_ -= e.bytes;
  }
}

}  // namespace cloudlite::engine
