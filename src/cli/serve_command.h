// `cloudlite serve --store URI`: SQL over HTTP (libSQL's Hrana, and CloudSQLite's
// {"sql_statement": ...} shape) for every database under a store, until SIGTERM or SIGINT.
// Registered by main.cc with AddServeCommand() and run with RunServeCommand() when parsed.
// docs/server.md describes the endpoints, auth, limits and metrics.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/commands.h"

namespace cloudlite::cli {

struct ServeCommand {
  CLI::App* app = nullptr;
  std::string store;
  std::string listen = "127.0.0.1:8080";
  bool create = false;
  std::string jwt_key_file;
  bool insecure_no_auth = false;
  std::string tls_cert, tls_key;
  std::string base_url;
  std::string default_database = "default";
  std::string access_log = "stderr";
  // Workers mostly wait (a group's members for its PUT, any request for the store), so their
  // count bounds how many writes share a commit, not CPU use (docs/server.md, --workers).
  size_t workers = 32;
  size_t max_connections = 1024;
  size_t max_in_flight = 64;
  size_t max_databases = 64;
  uint64_t max_body_bytes = 8 << 20;
  int request_timeout_ms = 30000;
  std::string group_commit = "on";

  bool parsed() const { return app != nullptr && app->parsed(); }
};

ServeCommand& AddServeCommand(CLI::App& app);

// Serves until a signal; the exit code (docs/cli.md): 0 after a signal, 1 for bad flags, others
// by what kept it from starting (5 a refused store or key file, ...).
int RunServeCommand(const ServeCommand& command);

}  // namespace cloudlite::cli
