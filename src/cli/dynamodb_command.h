// `cloudlite dynamodb create-table NAME`: makes a DynamoDB table with the key schema cloudlite
// (and DonutDB) use, on-demand billing, and waits until it is ACTIVE. Registered by main.cc with
// AddDynamoDbCommand() and run with RunDynamoDbCommand() when parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/commands.h"

namespace cloudlite::cli {

struct DynamoDbCommand {
  CLI::App* app = nullptr;           // `dynamodb`
  CLI::App* create_table = nullptr;  // `dynamodb create-table`
  std::string table, endpoint, region;
  int wait_seconds = 300;

  bool parsed() const { return app != nullptr && app->parsed(); }
};

// Adds the subcommand to `app`; the returned object receives the parsed values.
DynamoDbCommand& AddDynamoDbCommand(CLI::App& app, CommonFlags& flags);

// Runs the parsed subcommand and returns the exit code (docs/cli.md).
int RunDynamoDbCommand(const DynamoDbCommand& command, const CommonFlags& flags);

}  // namespace cloudlite::cli
