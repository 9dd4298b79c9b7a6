#include "cli/commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/history_commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/shell.h"
#include "cli/signals.h"
#include "cli/sql_runner.h"
#include "cloudlite/admin.h"
#include "cloudlite/database.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

// Opens an existing database, or a new one with --create; says how to fix a missing one.
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& uri, const CommonFlags& flags) {
  CL_ASSIGN_OR_RETURN(Options options, OptionsFromEnvironment());  // CLOUDLITE_CACHE_DIR, ...
  options.create_if_missing = flags.create;
  if (!flags.at.empty()) {
    CL_ASSIGN_OR_RETURN(options.at, ParseAtFlag(flags.at));
  }
  auto db = Database::Open(uri, options);
  if (!db.ok() && db.status().IsNotFound() && !flags.create && flags.at.empty()) {
    return Status::NotFound(db.status().message() + "; pass --create to create it");
  }
  return db;
}

// A push or pull stopped by a signal has cleaned up; it did not fail on its own.
int ReportInterrupted(const std::string& what, const char* outcome, const StopOnSignal& stop) {
  std::fputs(fmt::format("cloudlite: {} signal {} ({}): {}\n", what, stop.signal(),
                         strsignal(stop.signal()), outcome)
                 .c_str(),
             stderr);
  return stop.ExitCode();
}

}  // namespace

int CmdPush(const std::string& local_path, const std::string& uri, const CommonFlags& flags) {
  StopOnSignal stop;
  Result<uint64_t> version = [&] {
    ProgressBar bar("push");
    return Push(local_path, uri,
                TransferOptions{.progress = bar.callback(),
                                .cancel = stop.requested(),
                                .busy_timeout = std::chrono::milliseconds(flags.busy_timeout_ms)});
  }();
  // A signal that came too late to stop it does not undo a push that finished.
  if (!version.ok() && stop.signal() != 0) {
    return ReportInterrupted(fmt::format("push of {} stopped by", local_path),
                             "nothing was committed", stop);
  }
  if (!version.ok()) return ReportError(version.status());
  fmt::print("pushed {} to {} as version {}\n", local_path, uri, *version);
  return 0;
}

int CmdPull(const std::string& uri, const std::string& local_path, const CommonFlags& flags) {
  StopOnSignal stop;
  Status status = [&] {
    ProgressBar bar("pull");
    return Pull(uri, local_path,
                TransferOptions{.progress = bar.callback(), .cancel = stop.requested()});
  }();
  if (!status.ok() && stop.signal() != 0) {
    return ReportInterrupted(fmt::format("pull to {} stopped by", local_path),
                             "it was left as it was", stop);
  }
  if (!status.ok()) return ReportError(status);
  fmt::print("pulled {} to {}\n", uri, local_path);
  return 0;
}

int CmdList(const std::string& store_uri, const CommonFlags& flags) {
  auto names = ListDatabases(store_uri);
  if (!names.ok()) return ReportError(names.status());
  // By name: the store lists keys, and "a-b/..." sorts before "a/..." though "a" < "a-b".
  std::sort(names->begin(), names->end());
  if (flags.json) {
    fmt::print("{}\n", FormatJsonStrings(*names));
  } else {
    for (const auto& name : *names) fmt::print("{}\n", name);
  }
  return 0;
}

int CmdRemove(const std::string& uri, const CommonFlags& flags) {
  Status status = RemoveDatabase(uri);
  if (!status.ok()) return ReportError(status);
  fmt::print("removed {}\n", uri);
  return 0;
}

int CmdMigrate(const std::string& uri, const CommonFlags& flags) {
  ProgressBar bar("migrate");
  Status status = Migrate(uri, bar.callback());
  bar.Finish();
  if (!status.ok()) return ReportError(status);
  fmt::print("{} is in storage format 2\n", uri);
  return 0;
}

int CmdSql(const std::string& uri, const std::string& sql, const CommonFlags& flags) {
  auto db = OpenDatabase(uri, flags);
  if (!db.ok()) return ReportError(db.status());
  std::vector<Rows> results;
  Status status = RunInTransaction(**db, sql, &results);
  // Nothing is printed on failure: the transaction rolled back, so its rows never existed.
  if (!status.ok()) return ReportError(status);
  fmt::print("{}", FormatResults(results, flags.json));
  return 0;
}

int CmdShell(const std::string& uri, const CommonFlags& flags) {
  auto db = OpenDatabase(uri, flags);
  if (!db.ok()) return ReportError(db.status());
  return RunShell(**db, ShellOptions{.uri = uri, .json = flags.json});
}

int CmdInfo(const std::string& uri, const CommonFlags& flags) {
  auto info = Describe(uri);
  if (!info.ok()) return ReportError(info.status());
  if (flags.json) {
    fmt::print("{}\n", FormatInfoJson(*info));
  } else {
    fmt::print("{}", FormatInfoText(*info));
  }
  return 0;
}

}  // namespace cloudlite::cli
