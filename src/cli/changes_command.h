// `cloudlite changes URI [--since V] [--follow] [--json]`: the row changes of the commits after
// version V, one line each, oldest first (the change feed: cloudlite/changes.h). With --follow
// it keeps looking for newer commits until SIGINT or SIGTERM. Registered by main.cc with
// AddChangesCommand() and run with RunChangesCommand() when parsed; docs/cli.md has the lines.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/commands.h"
#include "cloudlite/changes.h"

namespace cloudlite::cli {

struct ChangesCommand {
  CLI::App* app = nullptr;
  std::string uri;
  uint64_t since = 0;
  bool follow = false;
  int poll_ms = 1000;

  bool parsed() const { return app != nullptr && app->parsed(); }
};

ChangesCommand& AddChangesCommand(CLI::App& app, CommonFlags& flags);
int RunChangesCommand(const ChangesCommand& command, const CommonFlags& flags);

// One change as one line (no newline): text, or a JSON object (docs/cli.md).
std::string FormatChange(const RowChange& change, bool json);

}  // namespace cloudlite::cli
