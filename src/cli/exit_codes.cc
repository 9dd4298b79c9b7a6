#include "cli/exit_codes.h"

#include <cstdio>
#include <string>

namespace cloudlite::cli {

ExitCode ExitCodeFor(const Status& status) {
  using Code = Status::Code;
  switch (status.code()) {
    case Code::kOk:
      return ExitCode::kOk;
    case Code::kNotFound:
      return ExitCode::kNotFound;
    case Code::kBusy:
    case Code::kAlreadyExists:  // someone else created or committed first: a lost race
      return ExitCode::kBusy;
    case Code::kCorruption:
      return ExitCode::kCorruption;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kPermissionDenied:
    case Code::kIOError:
    // The write may or may not have landed; like an outage, the cure is to look and retry.
    case Code::kAmbiguous:
      return ExitCode::kUnavailable;
    case Code::kInvalidArgument:
    // A WAL-mode file or a newer format: the input is not something this build can use.
    case Code::kNotSupported:
    // A bug: retrying will not help, so do not use a code that invites retries.
    case Code::kInternal:
      return ExitCode::kUsage;
  }
  return ExitCode::kUsage;
}

std::string_view ExitCodeHelp() {
  return "Exit codes:\n"
         "  0  ok\n"
         "  1  usage: bad flags, bad URI, invalid input (e.g. not a SQLite file), SQL error\n"
         "  2  not found: the database, its store or the local file does not exist\n"
         "  3  busy: concurrent commits kept winning until retries ran out\n"
         "  4  corruption: stored bytes fail verification (the message names the key)\n"
         "  5  store unavailable, permission denied, or I/O error";
}

int ReportError(const Status& status) {
  std::string line = "cloudlite: ";
  // Invalid-argument messages (and SQLite's) already say what is wrong; a "invalid argument:"
  // prefix would only add noise. Other codes are worth naming: "not found: ...".
  if (status.code() == Status::Code::kInvalidArgument) {
    line += status.message();
  } else {
    line += status.ToString();
  }
  // One line, even if a message (say, from a server) carries newlines.
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
  return static_cast<int>(ExitCodeFor(status));
}

}  // namespace cloudlite::cli
