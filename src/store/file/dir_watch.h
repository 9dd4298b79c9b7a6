// WatchDirectory: a PrefixWatch over one directory of a FileStore, told of changes by the kernel
// (inotify(7)) instead of by reading the directory.
//
// Why it is enough: the kernel queues the event for a change to a watched directory inside the
// system call that makes it (rename(2), link(2), unlink(2)), before that call returns. A writer
// acknowledges a commit only after its rename returned, so by then the event waits in the queue,
// and a Generation() that starts later reads it. Two calls that find nothing queued between
// them saw no change between them, whichever process made it.
//
// Where it is not: a change made on another machine never reaches this kernel's queue (NFS,
// SMB, FUSE, cluster file systems), nor one made beneath an overlay's back. So a directory is
// watched only on a file system known to be local (ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS);
// elsewhere, and wherever the watch loses track (the directory is moved or removed, the
// kernel's queue overflowed, inotify is unavailable or out of watches, a forked child), every
// Generation() returns a new number, which costs the caller a request as before.
//
// Every directory from the root down is watched for its own move or removal, so that a
// directory renamed away with the watched one inside is noticed too; the root is followed by
// descriptor, as the store does. One inotify instance serves the process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/object_store.h"

namespace cloudlite {

// A watch over the directory reached from `root_fd` through `names` (on-disk names, outermost
// first; none: the root itself). The watch keeps a descriptor of its own for the root. Null
// when the process cannot use inotify at all.
std::shared_ptr<PrefixWatch> WatchDirectory(int root_fd, std::vector<std::string> names);

}  // namespace cloudlite
