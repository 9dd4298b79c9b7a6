// `cloudlite shell URI`: an interactive SQL prompt over one database.
#pragma once

#include <string>

#include "cloudlite/database.h"

namespace cloudlite::cli {

struct ShellOptions {
  std::string uri;  // for the banner
  bool json = false;
};

// Reads statements until EOF or .quit: from a libedit prompt with history when stdin is a
// terminal, else plainly from stdin (no prompt, no history) so scripts can pipe SQL in.
// Each statement runs in its own transaction: a View when read-only, else an Update.
// Errors are printed and reading goes on, like sqlite3. Returns the exit code: 0, or when
// stdin is not a terminal, the code of the first error (so a piped script's failure shows).
int RunShell(Database& db, const ShellOptions& options);

}  // namespace cloudlite::cli
