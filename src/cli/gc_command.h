// `cloudlite gc URI [--retain DURATION|COUNT] [--grace DURATION] [--dry-run] [--save] [--json]`:
// garbage collection on demand (docs/cli.md, "gc"). Registered by main.cc with AddGcCommand()
// and run with RunGcCommand() when parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/commands.h"

namespace cloudlite::cli {

struct GcCommand {
  CLI::App* app = nullptr;
  std::string uri, retain, grace;
  bool dry_run = false;
  bool save = false;

  bool parsed() const { return app != nullptr && app->parsed(); }
};

// Adds the subcommand to `app`; the returned object receives the parsed values.
GcCommand& AddGcCommand(CLI::App& app, CommonFlags& flags);

// Runs the parsed subcommand and returns the exit code (docs/cli.md).
int RunGcCommand(const GcCommand& command, const CommonFlags& flags);

}  // namespace cloudlite::cli
