// `cloudlite serve --store URI`: SQL over HTTP (libSQL's Hrana, and CloudSQLite's
// {"sql_statement": ...} shape) for every database under a store, until SIGTERM or SIGINT.
// Registered by main.cc with AddServeCommand() and run with RunServeCommand() when parsed.
// docs/server.md describes the endpoints, auth, limits and metrics.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/serve_common.h"

namespace cloudlite::cli {

struct ServeCommand {
  CLI::App* app = nullptr;
  std::string store;
  bool create = false;
  std::string jwt_key_file;
  std::string base_url;
  std::string default_database = "default";
  size_t max_databases = 64;
  int inline_reads_ms = 2;  // a one-shot read's time on the I/O thread (file:// only); 0: none
  std::string group_commit = "on";
  std::optional<uint64_t> max_staleness_ms;  // else $CLOUDLITE_MAX_STALENESS_MS, else 0
  DatabaseFlags database;
  ListenerFlags listener{.listen = "127.0.0.1:8080"};

  bool parsed() const { return app != nullptr && app->parsed(); }
};

ServeCommand& AddServeCommand(CLI::App& app);

// Serves until a signal; the exit code (docs/cli.md): 0 after a signal, 1 for bad flags, others
// by what kept it from starting (5 a refused store or key file, ...).
int RunServeCommand(const ServeCommand& command);

}  // namespace cloudlite::cli
