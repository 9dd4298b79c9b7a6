// The CLI's exit codes, and the one place a Status becomes one of them.
#pragma once

#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::cli {

// Scripts branch on these; docs/cli.md and the --help footer list them. Never renumber.
enum class ExitCode : int {
  kOk = 0,
  kUsage = 1,        // bad flags, bad URI, invalid input (non-SQLite file), SQL errors
  kNotFound = 2,     // the database, store directory or local file does not exist
  kBusy = 3,         // concurrent commits kept winning; retries ran out
  kCorruption = 4,   // stored bytes fail verification
  kUnavailable = 5,  // store unreachable, permission denied, or an I/O error
};

ExitCode ExitCodeFor(const Status& status);

// The exit-code table as shown in `cloudlite --help`.
std::string_view ExitCodeHelp();

// Prints `cloudlite: <message>` (one line) to stderr and returns the exit code for `status`.
int ReportError(const Status& status);

}  // namespace cloudlite::cli
