// `cloudlite checkpoint URI`: a checkpoint of the latest version, now.
#include "cli/exit_codes.h"
#include "cli/history_commands.h"
#include "cloudlite/history.h"
#include "fmt/format.h"

namespace cloudlite::cli {

CheckpointCommand& AddCheckpointCommand(CLI::App& app, CommonFlags& flags) {
  static CheckpointCommand command;  // CLI11 keeps pointers into it until parsing is done
  command.app = app.add_subcommand(
      "checkpoint",
      "Write a checkpoint of the latest version of the database at URI (if it has none), so "
      "that opening it reads no log records");
  command.app->add_option("URI", command.uri, "Database URI")->required();
  command.app->add_flag("--stats", flags.stats,
                        "At exit, print the store request counts to stderr as one JSON line");
  command.app->footer("Example: cloudlite checkpoint file:///var/dbs/app");
  return command;
}

int RunCheckpointCommand(const CheckpointCommand& command, const CommonFlags& /*flags*/) {
  auto done = CheckpointDatabase(command.uri);
  if (!done.ok()) return ReportError(done.status());
  if (done->second) {
    fmt::print("checkpointed {} at version {}\n", command.uri, done->first);
  } else {
    fmt::print("{} already has a checkpoint at its latest version, {}\n", command.uri, done->first);
  }
  return 0;
}

}  // namespace cloudlite::cli
