// SQLite's rollback journals and super-journals as sqlite3_files over a JournalBuffer
// (journal_buffer.h): in memory up to a bound, then in an unlinked temporary file. Nothing in
// them needs to outlive the process (docs/design.md).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

#include "vfs/journal_buffer.h"

namespace cloudlite::vfs {

// The bytes the VFS reserves per file (szOsFile) must cover this.
int MemoryFileSize();

// Makes `f` a journal held by `journal` (it owns it until xClose).
void OpenMemoryFile(sqlite3_file* f, std::unique_ptr<JournalBuffer> journal);

// Where spill files go: where SQLite puts its temporary files (its temp_store_directory,
// SQLITE_TMPDIR, TMPDIR), else /tmp (writable on AWS Lambda, unlike /var/tmp).
std::string TempDirectory();

}  // namespace cloudlite::vfs
