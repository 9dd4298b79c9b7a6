#include "store/file/dir_watch.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace cloudlite {
namespace {

// What a change to the watched directory's entries looks like, and what its own move or removal
// (and that of each directory above it) looks like. IN_IGNORED and IN_UNMOUNT come unasked.
constexpr uint32_t kEntryEvents =
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB;
constexpr uint32_t kSelfEvents = IN_DELETE_SELF | IN_MOVE_SELF;
constexpr uint32_t kLostEvents = kSelfEvents | IN_IGNORED | IN_UNMOUNT;

// File systems whose every change goes through this kernel (see dir_watch.h).
bool IsLocalFileSystem(int fd) {
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0) return false;
  constexpr uint64_t kZfsMagic = 0x2FC12FC1;  // not in linux/magic.h
  switch (static_cast<uint64_t>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case F2FS_SUPER_MAGIC:
    case kZfsMagic:
      return true;
    default:
      return false;
  }
}

class DirWatch;

// The process's inotify instance and who listens to each of its watch descriptors. Everything
// but `forked` is guarded by `mu`.
struct Hub {
  struct Listener {
    DirWatch* watch;
    bool own;  // the listener's own directory (entry events count), not one above it
  };

  // Null while inotify is unavailable (a failed attempt is tried again a second later: the
  // per-user limit of instances may free up). Never freed: watches may outlive static
  // destruction.
  static Hub* Get();

  // Reads every queued event and tells the listeners (DirWatch::Changed / Lost).
  void DrainLocked();
  void ChangedAllLocked();

  std::mutex mu;
  int fd = -1;
  std::unordered_map<int, std::vector<Listener>> listeners;  // by watch descriptor
  // Set in a forked child, which shares the instance's queue with its parent: reading it would
  // take the parent's events, so the child never does.
  std::atomic<bool> forked{false};
};

class DirWatch final : public PrefixWatch {
 public:
  DirWatch(Hub* hub, int root_fd, std::vector<std::string> names)
      : hub_(hub), root_fd_(root_fd), names_(std::move(names)) {}
  ~DirWatch() override {
    if (!hub_->forked.load()) {
      std::lock_guard lock(hub_->mu);
      DisarmLocked();
    }
    ::close(root_fd_);
  }
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;

  uint64_t Generation() override {
    if (hub_->forked.load(std::memory_order_relaxed)) {
      return generation_.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    std::lock_guard lock(hub_->mu);
    hub_->DrainLocked();
    // Not watching: this call cannot vouch for anything before it, armed now or not.
    if (!armed_) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_arm_) {
        ArmLocked();
        // A directory that is not there yet (or a watch the kernel refused) is tried again
        // later, not on every call: until then each call costs only the number.
        if (!armed_) next_arm_ = now + kArmRetry;
      }
      generation_.fetch_add(1, std::memory_order_relaxed);
    }
    return generation_.load(std::memory_order_relaxed);
  }

  void ChangedLocked() { generation_.fetch_add(1, std::memory_order_relaxed); }
  void LostLocked() {
    ChangedLocked();
    DisarmLocked();
  }

 private:
  // Watches every directory from below the root to the watched one, then checks that the path
  // still leads to them: a directory moved before its watch was added would be watched where no
  // writer looks. Leaves the watch disarmed when anything fails.
  void ArmLocked();
  void DisarmLocked();

  static constexpr std::chrono::milliseconds kArmRetry{500};

  Hub* const hub_;
  const int root_fd_;
  const std::vector<std::string> names_;
  std::vector<int> wds_;  // this watch's watch descriptors, outermost first
  bool armed_ = false;
  std::chrono::steady_clock::time_point next_arm_;
  std::atomic<uint64_t> generation_{0};  // atomic only for a forked child's calls
};

std::atomic<Hub*> the_hub{nullptr};

Hub* Hub::Get() {
  if (Hub* hub = the_hub.load(std::memory_order_acquire)) return hub;
  static std::mutex mu;
  static std::chrono::steady_clock::time_point next_try;
  std::lock_guard lock(mu);
  if (Hub* hub = the_hub.load(std::memory_order_acquire)) return hub;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_try) return nullptr;
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    next_try = now + std::chrono::seconds(1);
    return nullptr;
  }
  auto* hub = new Hub;
  hub->fd = fd;
  pthread_atfork(nullptr, nullptr, [] { the_hub.load()->forked.store(true); });
  the_hub.store(hub, std::memory_order_release);
  return hub;
}

void Hub::ChangedAllLocked() {
  for (auto& [wd, list] : listeners) {
    for (const Listener& l : list) l.watch->ChangedLocked();
  }
}

void Hub::DrainLocked() {
  // Room for at least one event with the longest name (NAME_MAX), as read(2) requires.
  alignas(inotify_event) char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // cannot tell what was missed: assume everything changed
      ChangedAllLocked();
      return;
    }
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        ChangedAllLocked();
        continue;
      }
      auto it = listeners.find(event->wd);
      if (it == listeners.end()) continue;
      if (event->mask & kLostEvents) {
        // Lost disarms, which edits `listeners`: work on a copy.
        const std::vector<Listener> lost = it->second;
        for (const Listener& l : lost) l.watch->LostLocked();
      } else {
        for (const Listener& l : it->second) {
          if (l.own) l.watch->ChangedLocked();
        }
      }
    }
  }
}

// A directory under `parent`, not through a link. -1 on failure.
int OpenSubdirectory(int parent, const std::string& name) {
  return openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

bool SameDirectory(int a, int b) {
  struct stat sa {};
  struct stat sb {};
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

void DirWatch::ArmLocked() {
  std::vector<int> fds;  // the directories below the root down to the watched one (closed below)
  bool ok = true;
  for (const std::string& name : names_) {
    const int fd = OpenSubdirectory(fds.empty() ? root_fd_ : fds.back(), name);
    if (fd < 0) {
      ok = false;
      break;
    }
    fds.push_back(fd);
  }
  // The root is followed by descriptor (its own name may change): watched only when it is the
  // watched directory.
  const std::vector<int> watched = fds.empty() ? std::vector<int>{root_fd_} : fds;
  ok = ok && IsLocalFileSystem(watched.back());
  for (size_t i = 0; ok && i < watched.size(); i++) {
    const bool own = i + 1 == watched.size();
    // inotify_add_watch(2) takes a path: the descriptor's magic link names exactly the
    // directory walked to, links and all refused on the way.
    const std::string path = "/proc/self/fd/" + std::to_string(watched[i]);
    const int wd = inotify_add_watch(
        hub_->fd, path.c_str(), (own ? kEntryEvents : 0) | kSelfEvents | IN_ONLYDIR | IN_MASK_ADD);
    if (wd < 0) {
      ok = false;
      break;
    }
    hub_->listeners[wd].push_back({this, own});
    wds_.push_back(wd);
  }
  // The path again, now that every directory on it is watched.
  for (size_t i = 0; ok && i < fds.size(); i++) {
    const int fd = OpenSubdirectory(i == 0 ? root_fd_ : fds[i - 1], names_[i]);
    ok = fd >= 0 && SameDirectory(fd, fds[i]);
    if (fd >= 0) ::close(fd);
  }
  for (int fd : fds) ::close(fd);
  if (ok) {
    armed_ = true;
  } else {
    DisarmLocked();
  }
}

void DirWatch::DisarmLocked() {
  for (int wd : wds_) {
    auto it = hub_->listeners.find(wd);
    if (it == hub_->listeners.end()) continue;
    std::erase_if(it->second, [&](const Hub::Listener& l) { return l.watch == this; });
    if (it->second.empty()) {
      // Fails harmlessly (EINVAL) when the kernel already dropped it (IN_IGNORED).
      inotify_rm_watch(hub_->fd, wd);
      hub_->listeners.erase(it);
    }
  }
  wds_.clear();
  armed_ = false;
}

}  // namespace

std::shared_ptr<PrefixWatch> WatchDirectory(int root_fd, std::vector<std::string> names) {
  Hub* hub = Hub::Get();
  if (hub == nullptr || hub->forked.load()) return nullptr;
  const int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  return std::make_shared<DirWatch>(hub, fd, std::move(names));
}

}  // namespace cloudlite
