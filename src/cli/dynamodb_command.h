// `cloudlite dynamodb create-table NAME`: makes a DynamoDB table with the key schema cloudlite
// (and DonutDB) use, on-demand billing, and waits until it is ACTIVE.
// `cloudlite dynamodb serve --store URI`: the DynamoDB-compatible API over the tables in a store
// (docs/dynamodb.md, "Running the server"), until SIGTERM or SIGINT.
// Registered by main.cc with AddDynamoDbCommand() and run with RunDynamoDbCommand() when parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/commands.h"
#include "cli/serve_common.h"

namespace cloudlite::cli {

struct DynamoDbServeFlags {
  std::string store;
  std::string credentials;
  int partitions = 8;
  int eventual_staleness_ms = 1000;  // TableServiceOptions::eventual_staleness
  size_t max_open_partitions = 256;
  int inline_reads_ms = 2;  // HandlerOptions::inline_budget; 0: every request on a worker
  DatabaseFlags database;
  // 16 MB: DynamoDB's request limit.
  ListenerFlags listener{.listen = "127.0.0.1:8000", .max_body_bytes = uint64_t{16} << 20};
};

struct DynamoDbCommand {
  CLI::App* app = nullptr;           // `dynamodb`
  CLI::App* create_table = nullptr;  // `dynamodb create-table`
  CLI::App* serve = nullptr;         // `dynamodb serve`
  std::string table, endpoint, region;
  int wait_seconds = 300;
  DynamoDbServeFlags serve_flags;

  bool parsed() const { return app != nullptr && app->parsed(); }
};

// Adds the subcommand to `app`; the returned object receives the parsed values.
DynamoDbCommand& AddDynamoDbCommand(CLI::App& app, CommonFlags& flags);

// Runs the parsed subcommand and returns the exit code (docs/cli.md).
int RunDynamoDbCommand(const DynamoDbCommand& command, const CommonFlags& flags);

}  // namespace cloudlite::cli
