// FileStore: objects as files under a local directory, for one machine (or a POSIX file system
// that keeps link/rename atomic, such as a local disk; not NFS).
//
// Layout. Key segments are directories: key "orders/log/0001" is the file
// <root>/orders%2F/log%2F/0001. Every name on disk is the percent-encoding of the piece of the
// key it stands for: an object file of its last segment, a directory of its segment followed by
// '/' (hence the "%2F" suffix). Only three bytes are escaped, always as uppercase %XX: '%'
// (%25), '/' (%2F) and a leading '.' (%2E). So
//  - an object and a directory never share a name: keys "a/b" and "a/b/c" can both exist;
//  - no key maps to a name starting with '.': those are cloudlite's own. Temporary files are
//    named ".cl-tmp-<random>" and are never listed;
//  - List can sort each directory by the decoded names and get bytewise key order.
// Entries that are not in this form (files someone else put there) are ignored by List.
//
// Durability. A write returns Ok only after the file and its directory (and any directory it
// created, via that directory's parent) were fsync'ed. Put writes a temporary file, fsyncs it
// and renames it over the final name; PutIfAbsent does the same with renameat2(RENAME_NOREPLACE)
// (or link(2) where the file system lacks it), so it is atomic across the processes of a machine
// and a reader never sees a partial object.
//
// Confinement. Keys are validated (no "..", no absolute keys, no NUL), and every path is walked
// from an open descriptor of the root one component at a time with O_NOFOLLOW: a symbolic link
// planted inside the store is refused (PermissionDenied) for reads and writes, and skipped by
// List, so no key reads or writes outside the root. The root path itself may contain links.
//
// Watches. A reader learns whether a directory changed from the kernel rather than from a
// request (Watch, dir_watch.h) on local file systems.
//
// Crash leftovers. A temporary file left by a crashed writer is removed by the first List that
// reads its directory once the file is more than an hour old (so that an in-flight write is
// never disturbed); opening a store does not scan it.
//
// Modes. Directories are created 0755 and files 0644, both filtered by the process umask.
// Empty directories are left in place after Delete; they are harmless and not listed.
//
// Thread-safety: all methods may be called concurrently, from threads and processes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

class FileStore final : public ObjectStore {
 public:
  // Prefix of the temporary files of in-flight (or crashed) writes.
  static constexpr std::string_view kTempPrefix = ".cl-tmp-";
  // Age after which List removes a temporary file.
  static constexpr int64_t kTempMaxAgeSeconds = 3600;

  // Opens the store in the absolute directory `root`. With `create`, the directory and its
  // missing parents are made first; without it a missing directory is NotFound.
  static Result<std::unique_ptr<FileStore>> Open(std::string_view root, bool create);
  ~FileStore() override;
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status Put(std::string_view key, std::string_view data) override;
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override;
  Status Delete(std::span<const std::string> keys) override;
  // "file:///root/dir"
  bool ListsCheaply() const override { return false; }  // readdir of the whole directory
  bool IsLocal() const override { return true; }
  // An inotify(7) watch (dir_watch.h), one per directory shared by its callers; null for a
  // prefix that does not end in '/' or when the process cannot use inotify.
  std::shared_ptr<PrefixWatch> Watch(std::string_view prefix) override;
  std::string Describe() const override;

  // The on-disk name of one key segment: of a directory when `directory`, else of an object.
  static std::string EncodeName(std::string_view segment, bool directory);

 private:
  FileStore(std::string root, int root_fd);

  Status Write(std::string_view key, std::string_view data, bool if_absent);

  const std::string root_;         // absolute, without a trailing '/' (except for "/" itself)
  const std::string description_;  // file:///root
  const int root_fd_;              // the root directory, open for the store's lifetime
  std::mutex watches_mu_;
  std::map<std::string, std::weak_ptr<PrefixWatch>, std::less<>> watches_;  // by prefix
};

// The registry's factory for file:///abs/dir (no query parameters yet).
Result<std::unique_ptr<ObjectStore>> OpenFileStore(Uri& uri, bool create);

}  // namespace cloudlite
