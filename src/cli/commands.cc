#include "cli/commands.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/shell.h"
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
  auto db = Database::Open(uri, options);
  if (!db.ok() && db.status().IsNotFound() && !flags.create) {
    return Status::NotFound(db.status().message() + "; pass --create to create it");
  }
  return db;
}

}  // namespace

int CmdPush(const std::string& local_path, const std::string& uri, const CommonFlags& flags) {
  Result<uint64_t> version = [&] {
    ProgressBar bar("push");
    return Push(local_path, uri, bar.callback());
  }();
  if (!version.ok()) return ReportError(version.status());
  fmt::print("pushed {} to {} as version {}\n", local_path, uri, *version);
  return 0;
}

int CmdPull(const std::string& uri, const std::string& local_path, const CommonFlags& flags) {
  Status status = [&] {
    ProgressBar bar("pull");
    return Pull(uri, local_path, bar.callback());
  }();
  if (!status.ok()) return ReportError(status);
  fmt::print("pulled {} to {}\n", uri, local_path);
  return 0;
}

int CmdList(const std::string& store_uri, const CommonFlags& flags) {
  auto names = ListDatabases(store_uri);
  if (!names.ok()) return ReportError(names.status());
  if (flags.json) {
    fmt::print("{}\n", nlohmann::json(*names).dump());
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
