// The exception firewall of the VFS: every sqlite3_io_methods and sqlite3_vfs trampoline runs
// its body through Guard, so that no exception crosses into SQLite's C code.
#pragma once

#include <sqlite3.h>

#include <new>

namespace cloudlite::vfs {

template <typename Fn>
int Guard(Fn fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (...) {
    return SQLITE_IOERR;
  }
}

}  // namespace cloudlite::vfs
