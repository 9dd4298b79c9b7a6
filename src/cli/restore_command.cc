// `cloudlite restore URI --at VERSION|TIME --to LOCAL.db|URI`: a retained past version, as a
// local SQLite file (a pull of that version) or as the next version of a database.
#include <cstdio>
#include <cstring>

#include "cli/exit_codes.h"
#include "cli/history_commands.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "cloudlite/history.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

// A store URI has a scheme; a local path has none.
bool IsUri(const std::string& text) { return text.find("://") != std::string::npos; }

int RestoreToFile(const RestoreCommand& command, const PointInTime& at) {
  StopOnSignal stop;
  Status status = [&] {
    ProgressBar bar("restore");
    return Pull(command.uri, command.to,
                TransferOptions{.progress = bar.callback(), .cancel = stop.requested(), .at = at});
  }();
  if (!status.ok() && stop.signal() != 0) {
    std::fputs(fmt::format("cloudlite: restore to {} stopped by signal {} ({}): it was left as "
                           "it was\n",
                           command.to, stop.signal(), strsignal(stop.signal()))
                   .c_str(),
               stderr);
    return stop.ExitCode();
  }
  if (!status.ok()) return ReportError(status);
  fmt::print("restored {} at {} to {}\n", command.uri, command.at, command.to);
  return 0;
}

int RestoreToUri(const RestoreCommand& command, const PointInTime& at) {
  Result<std::pair<uint64_t, uint64_t>> versions = [&] {
    ProgressBar bar("restore");
    return RestoreToDatabase(command.uri, at, command.to, bar.callback());
  }();
  if (!versions.ok()) return ReportError(versions.status());
  fmt::print("restored version {} of {} to {} as version {}\n", versions->first, command.uri,
             command.to, versions->second);
  return 0;
}

}  // namespace

Result<PointInTime> ParseAtFlag(const std::string& text) {
  Result<PointInTime> at = ParsePointInTime(text);
  if (!at.ok()) return Status::InvalidArgument("--at " + text + ": " + at.status().message());
  return at;
}

RestoreCommand& AddRestoreCommand(CLI::App& app, CommonFlags& flags) {
  static RestoreCommand command;  // CLI11 keeps pointers into it until parsing is done
  command.app = app.add_subcommand(
      "restore",
      "Write a retained past version of the database at URI to a local SQLite file, or as the "
      "next version of a database (URI itself included)");
  command.app->add_option("URI", command.uri, "Database URI")->required();
  command.app
      ->add_option("--at", command.at,
                   "The version (42) or UTC time (2024-05-01T12:00:00Z: the newest version "
                   "committed by then) to restore")
      ->required()
      ->type_name("VERSION|TIME");
  command.app
      ->add_option("--to", command.to,
                   "A local file (replaced atomically, as pull does) or a database URI (the "
                   "version becomes its next version; created if missing)")
      ->required()
      ->type_name("LOCAL|URI");
  command.app->add_flag("--stats", flags.stats,
                        "At exit, print the store request counts to stderr as one JSON line");
  command.app->footer(
      "Examples: cloudlite restore file:///var/dbs/app --at 42 --to app-v42.db\n"
      "          cloudlite restore file:///var/dbs/app --at 2024-05-01T12:00:00Z --to "
      "file:///var/dbs/app");
  return command;
}

int RunRestoreCommand(const RestoreCommand& command, const CommonFlags& /*flags*/) {
  Result<PointInTime> at = ParseAtFlag(command.at);
  if (!at.ok()) return ReportError(at.status());
  return IsUri(command.to) ? RestoreToUri(command, *at) : RestoreToFile(command, *at);
}

}  // namespace cloudlite::cli
