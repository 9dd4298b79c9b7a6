#include "cli/dynamodb_command.h"

#include <cstdio>
#include <memory>

#include "cli/exit_codes.h"
#include "cloudlite/admin.h"

namespace cloudlite::cli {

DynamoDbCommand& AddDynamoDbCommand(CLI::App& app, CommonFlags& flags) {
  // Lives as long as the process: CLI11 keeps pointers into it until parsing is done.
  static DynamoDbCommand command;
  command.app = app.add_subcommand("dynamodb", "DynamoDB table administration");
  command.app->require_subcommand(1);
  command.create_table = command.app->add_subcommand(
      "create-table",
      "Create a DynamoDB table for dynamodb:// stores (hash_key S, range_key N, on-demand "
      "billing) and wait until it is ACTIVE; an existing table with that schema is fine");
  command.create_table->add_option("NAME", command.table, "Table name (3-255 of A-Za-z0-9_.-)")
      ->required();
  command.create_table->add_option("--endpoint", command.endpoint,
                                   "DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB, "
                                   "the profile, or AWS)");
  command.create_table->add_option("--region", command.region,
                                   "AWS region (default: AWS_REGION, the profile, us-east-1)");
  command.create_table
      ->add_option("--wait", command.wait_seconds, "Seconds to wait for the table to become ACTIVE")
      ->capture_default_str();
  command.create_table->add_flag(
      "--stats", flags.stats, "At exit, print the store request counts to stderr as one JSON line");
  command.create_table->footer("Example: cloudlite dynamodb create-table my-table");
  return command;
}

int RunDynamoDbCommand(const DynamoDbCommand& command, const CommonFlags& /*flags*/) {
  DynamoDbTableOptions o;
  o.table = command.table;
  o.endpoint = command.endpoint;
  o.region = command.region;
  o.wait_limit = std::chrono::seconds(command.wait_seconds);
  o.progress = [](const std::string& line) {
    std::fputs(("cloudlite: " + line + "\n").c_str(), stderr);
  };
  Result<TableCreation> outcome = CreateDynamoDbStoreTable(o);
  if (!outcome.ok()) return ReportError(outcome.status());
  std::printf("%s table %s is ACTIVE: use dynamodb://%s/NAME\n",
              *outcome == TableCreation::kCreated ? "created;" : "already existed;",
              command.table.c_str(), command.table.c_str());
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace cloudlite::cli
