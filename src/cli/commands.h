// The subcommands, each a function from parsed flags to an exit code. main.cc parses; these do.
#pragma once

#include <string>

namespace cloudlite::cli {

// Flags shared by the subcommands (each subcommand uses the ones it declares).
struct CommonFlags {
  bool json = false;           // machine-readable output
  bool create = false;         // create a missing database (sql, shell)
  bool stats = false;          // print request counters to stderr at exit
  int busy_timeout_ms = 5000;  // push: wait this long for a process writing the local file
  std::string at;              // sql: a past version or time (time travel), read-only
};

int CmdPush(const std::string& local_path, const std::string& uri, const CommonFlags& flags);
int CmdPull(const std::string& uri, const std::string& local_path, const CommonFlags& flags);
int CmdList(const std::string& store_uri, const CommonFlags& flags);
int CmdRemove(const std::string& uri, const CommonFlags& flags);
int CmdMigrate(const std::string& uri, const CommonFlags& flags);
int CmdSql(const std::string& uri, const std::string& sql, const CommonFlags& flags);
int CmdShell(const std::string& uri, const CommonFlags& flags);
int CmdInfo(const std::string& uri, const CommonFlags& flags);

}  // namespace cloudlite::cli
