// `cloudlite`: push, pull, list, remove, query and inspect databases that live in an object
// store. Parsing and dispatch only; the subcommands are in commands.cc.

#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/changes_command.h"
#include "cli/commands.h"
#include "cli/dynamodb_command.h"
#include "cli/exit_codes.h"
#include "cli/gc_command.h"
#include "cli/history_commands.h"
#include "cli/serve_command.h"
#include "cloudlite/admin.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

// Kept in step with project(cloudlite VERSION ...) in CMakeLists.txt.
constexpr const char* kVersion = CLOUDLITE_VERSION;  // from CMake's project version

std::string VersionText() {
  return fmt::format("cloudlite {} (SQLite {}, storage format 1)", kVersion, sqlite3_libversion());
}

// One line on stderr and exit 1 for every usage error, whatever CLI11's own code would be.
int UsageError(const CLI::App& app, const CLI::ParseError& e) {
  // CLI11 signals --help and --version with "errors" whose code is 0.
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  std::string where = "cloudlite";
  for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
  std::fputs(fmt::format("cloudlite: {}; run `{} --help` for usage\n", e.what(), where).c_str(),
             stderr);
  return static_cast<int>(ExitCode::kUsage);
}

int Main(int argc, char** argv) {
  CLI::App app(
      "cloudlite: SQLite databases whose only durable state is in an object store.\n"
      "URIs: file:///abs/dir/NAME, mem://store/NAME (this process only),\n"
      "s3://bucket/prefix/NAME, dynamodb://table/NAME. A store URI (for ls) omits NAME.",
      "cloudlite");
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.footer(std::string(ExitCodeHelp()) + "\n\nSee docs/cli.md for more.");

  CommonFlags flags;
  std::string local, uri, sql;
  // The line's exact shape is in docs/cli.md; --help stays one line per flag.
  const char* kStatsHelp = "At exit, print the store request counts to stderr as one JSON line";
  app.add_flag("--stats", flags.stats, kStatsHelp);
  auto add_stats = [&](CLI::App* sub) { sub->add_flag("--stats", flags.stats, kStatsHelp); };
  auto add_json = [&](CLI::App* sub, const char* what) {
    sub->add_flag("--json", flags.json, what);
  };
  auto add_uri = [&](CLI::App* sub, const char* what) {
    sub->add_option("URI", uri, what)->required();
  };
  auto add_at = [&](CLI::App* sub) {
    sub->add_option("--at", flags.at,
                    "Read a retained past version, read-only: a version (42) or UTC time "
                    "(2024-05-01T12:00:00Z)")
        ->type_name("VERSION|TIME");
  };
  auto add_create = [&](CLI::App* sub) {
    sub->add_flag("--create", flags.create, "Create the database if it does not exist");
  };

  CLI::App* push = app.add_subcommand(
      "push", "Upload a local SQLite file as the new version of the database at URI");
  push->add_option("LOCAL", local, "The SQLite database file to upload")->required();
  add_uri(push, "Database URI (created if missing)");
  push->add_option("--busy-timeout", flags.busy_timeout_ms,
                   "Milliseconds to wait while another process writes LOCAL (default 5000)")
      ->check(CLI::NonNegativeNumber);
  add_stats(push);
  push->footer("Example: cloudlite push app.db file:///var/dbs/app");

  CLI::App* pull = app.add_subcommand(
      "pull", "Download the latest version of the database at URI to a local file");
  add_uri(pull, "Database URI");
  pull->add_option("LOCAL", local, "Where to write the SQLite file (replaced atomically)")
      ->required();
  add_stats(pull);
  pull->footer("Example: cloudlite pull file:///var/dbs/app app-copy.db");

  CLI::App* ls = app.add_subcommand("ls", "List the databases in a store");
  ls->add_option("STORE-URI", uri, "Store URI, e.g. file:///var/dbs")->required();
  add_json(ls, "Print a JSON array of names");
  add_stats(ls);
  ls->footer("Example: cloudlite ls file:///var/dbs");

  CLI::App* rm = app.add_subcommand(
      "rm", "Remove the database at URI, every version of it (no confirmation asked)");
  add_uri(rm, "Database URI");
  add_stats(rm);
  rm->footer("Example: cloudlite rm file:///var/dbs/app");

  CLI::App* migrate = app.add_subcommand(
      "migrate", "Upgrade a database written by an older cloudlite (storage format 1) to format 2");
  add_uri(migrate, "Database URI");
  add_stats(migrate);
  migrate->footer(
      "Writes the current image as the next version, in format 2; a database already in format 2 "
      "is left as it is.\nExample: cloudlite migrate file:///var/dbs/app");

  CLI::App* sql_cmd = app.add_subcommand(
      "sql", "Run SQL (one or more statements, in one transaction) and print the rows");
  add_uri(sql_cmd, "Database URI");
  sql_cmd->add_option("SQL", sql, "Statements separated by ';'")->required();
  add_json(sql_cmd, "Print rows as a JSON array of objects (one array per query, one per line)");
  add_at(sql_cmd);
  add_create(sql_cmd);
  add_stats(sql_cmd);
  sql_cmd->footer(
      "Example: cloudlite sql file:///var/dbs/app \"SELECT id, name FROM users LIMIT 5\"");

  CLI::App* shell = app.add_subcommand(
      "shell", "Interactive SQL prompt (reads stdin without a prompt when it is not a terminal)");
  add_uri(shell, "Database URI");
  add_json(shell, "Print rows as JSON arrays");
  add_at(shell);
  add_create(shell);
  add_stats(shell);
  shell->footer(
      "Example: echo 'SELECT count(*) FROM users;' | cloudlite shell file:///var/dbs/app");

  CLI::App* info = app.add_subcommand(
      "info", "Show version, size, last commit time and checkpoint of the database at URI");
  add_uri(info, "Database URI");
  add_json(info, "Print one JSON object");
  add_stats(info);
  info->footer("Example: cloudlite info --json file:///var/dbs/app");

  DynamoDbCommand& dynamodb = AddDynamoDbCommand(app, flags);
  ServeCommand& serve = AddServeCommand(app);
  LogCommand& log = AddLogCommand(app, flags);
  RestoreCommand& restore = AddRestoreCommand(app, flags);
  VerifyCommand& verify = AddVerifyCommand(app, flags);
  CheckpointCommand& checkpoint = AddCheckpointCommand(app, flags);
  ChangesCommand& changes = AddChangesCommand(app, flags);
  GcCommand& gc = AddGcCommand(app, flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, e);
  }

  int code = 0;
  if (push->parsed()) {
    code = CmdPush(local, uri, flags);
  } else if (pull->parsed()) {
    code = CmdPull(uri, local, flags);
  } else if (ls->parsed()) {
    code = CmdList(uri, flags);
  } else if (rm->parsed()) {
    code = CmdRemove(uri, flags);
  } else if (migrate->parsed()) {
    code = CmdMigrate(uri, flags);
  } else if (sql_cmd->parsed()) {
    code = CmdSql(uri, sql, flags);
  } else if (shell->parsed()) {
    code = CmdShell(uri, flags);
  } else if (info->parsed()) {
    code = CmdInfo(uri, flags);
  } else if (dynamodb.parsed()) {
    code = RunDynamoDbCommand(dynamodb, flags);
  } else if (serve.parsed()) {
    code = RunServeCommand(serve);
  } else if (log.parsed()) {
    code = RunLogCommand(log, flags);
  } else if (restore.parsed()) {
    code = RunRestoreCommand(restore, flags);
  } else if (verify.parsed()) {
    code = RunVerifyCommand(verify, flags);
  } else if (checkpoint.parsed()) {
    code = RunCheckpointCommand(checkpoint, flags);
  } else if (changes.parsed()) {
    code = RunChangesCommand(changes, flags);
  } else if (gc.parsed()) {
    code = RunGcCommand(gc, flags);
  }
  if (flags.stats) {
    std::fflush(stdout);  // the stats line comes after everything the command printed
    std::fputs((ProcessStoreStatsJson() + "\n").c_str(), stderr);
  }
  return code;
}

}  // namespace
}  // namespace cloudlite::cli

int main(int argc, char** argv) {
  cloudlite::ConfigureSqliteForServers();
  try {
    return cloudlite::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Nothing should throw this far (errors are values); if something does, still say so
    // on one line rather than abort with a core dump.
    std::fprintf(stderr, "cloudlite: internal error: %s\n", e.what());
    return static_cast<int>(cloudlite::cli::ExitCode::kUsage);
  }
}
