// The history subcommands, one file each: `log` (log_command.cc), `restore`
// (restore_command.cc), `verify` (verify_command.cc), `checkpoint` (checkpoint_command.cc).
// main.cc adds them with Add*Command() and runs the one parsed with Run*Command().
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/commands.h"
#include "cloudlite/options.h"
#include "cloudlite/status.h"

namespace cloudlite::cli {

// `--at VERSION|TIME` as sql and restore take it; InvalidArgument naming the flag.
Result<PointInTime> ParseAtFlag(const std::string& text);

struct LogCommand {
  CLI::App* app = nullptr;
  std::string uri;
  uint64_t since = 0;
  uint64_t limit = 0;
  bool parsed() const { return app != nullptr && app->parsed(); }
};
LogCommand& AddLogCommand(CLI::App& app, CommonFlags& flags);
int RunLogCommand(const LogCommand& command, const CommonFlags& flags);

struct RestoreCommand {
  CLI::App* app = nullptr;
  std::string uri, at, to;
  bool parsed() const { return app != nullptr && app->parsed(); }
};
RestoreCommand& AddRestoreCommand(CLI::App& app, CommonFlags& flags);
int RunRestoreCommand(const RestoreCommand& command, const CommonFlags& flags);

struct VerifyCommand {
  CLI::App* app = nullptr;
  std::string uri;
  bool parsed() const { return app != nullptr && app->parsed(); }
};
VerifyCommand& AddVerifyCommand(CLI::App& app, CommonFlags& flags);
int RunVerifyCommand(const VerifyCommand& command, const CommonFlags& flags);

struct CheckpointCommand {
  CLI::App* app = nullptr;
  std::string uri;
  bool parsed() const { return app != nullptr && app->parsed(); }
};
CheckpointCommand& AddCheckpointCommand(CLI::App& app, CommonFlags& flags);
int RunCheckpointCommand(const CheckpointCommand& command, const CommonFlags& flags);

}  // namespace cloudlite::cli
