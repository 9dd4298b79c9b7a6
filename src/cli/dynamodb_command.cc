#include "cli/dynamodb_command.h"

#include <cstdio>
#include <memory>

#include "cli/exit_codes.h"
#include "cli/serve_common.h"
#include "cloudlite/admin.h"
#include "server/dynamodb/handler.h"
#include "server/dynamodb/tables.h"
#include "server/http/listener.h"
#include "server/http/metrics.h"

namespace cloudlite::cli {
namespace {

void AddServeFlags(CLI::App* serve, DynamoDbServeFlags& f) {
  serve->add_option("--store", f.store, "Store URI holding the tables, e.g. file:///var/ddb")
      ->required();
  serve->add_option("--credentials", f.credentials,
                    "Access keys whose SigV4 signatures are accepted: lines 'ACCESS_KEY_ID "
                    "SECRET_ACCESS_KEY' or an ~/.aws/credentials file. Without it any signature is "
                    "accepted (as DynamoDB Local does) and only loopback addresses may listen");
  serve
      ->add_option("--partitions", f.partitions,
                   "Partition databases of each table created from now on")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve
      ->add_option("--eventual-staleness-ms", f.eventual_staleness_ms,
                   "How old an eventually consistent read may be (this server's own acknowledged "
                   "writes are always seen); 0: every read asks the store")
      ->check(CLI::Range(0, 3600 * 1000))
      ->capture_default_str();
  serve
      ->add_option("--max-open-partitions", f.max_open_partitions,
                   "Partition databases kept open; the least recently used idle ones are closed")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  serve
      ->add_option("--inline-reads-ms", f.inline_reads_ms,
                   "GetItem, BatchGetItem and Query run on the I/O thread, skipping two thread "
                   "hand-offs, unless they take longer than this or need the store (then a worker "
                   "runs them again); on stores other than file:// only eventually consistent "
                   "reads, and only with --eventual-staleness-ms above 0; 0: every request on a "
                   "worker")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  AddDatabaseFlags(serve, f.database);
  AddListenerFlags(serve, f.listener, "--credentials FILE");
  serve->footer(
      "Example: cloudlite dynamodb serve --store file:///var/ddb\n"
      "then: aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000\n"
      "A non-loopback --listen needs --credentials FILE (or --insecure-no-auth).");
}

int RunCreateTable(const DynamoDbCommand& command) {
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

int RunServe(const DynamoDbServeFlags& f) {
  Result<server::ListenerOptions> options = ListenerOptionsFrom(
      f.listener, "127.0.0.1:8000", !f.credentials.empty(), "--credentials FILE");
  if (!options.ok()) return ReportError(options.status());
  Result<Options> database_options = DatabaseOptionsFrom(f.database);
  if (!database_options.ok()) return ReportError(database_options.status());
  ReserveProcessCache(database_options->cache_bytes);
  std::unique_ptr<server::dynamodb::AccessKeys> keys;
  if (!f.credentials.empty()) {
    Result<server::dynamodb::AccessKeys> loaded =
        server::dynamodb::AccessKeys::LoadFile(f.credentials);
    if (!loaded.ok()) return ReportError(loaded.status());
    keys = std::make_unique<server::dynamodb::AccessKeys>(std::move(loaded).value());
  }
  // A store that does not answer is better found now than by the first request.
  if (Status s = CheckStore(f.store, /*create=*/true); !s.ok()) return ReportError(s);

  server::MetricsRegistry metrics;
  server::dynamodb::TableServiceOptions table_options;
  table_options.store = f.store;
  table_options.options = std::move(database_options).value();
  table_options.partitions = f.partitions;
  table_options.eventual_staleness = std::chrono::milliseconds(f.eventual_staleness_ms);
  table_options.max_open_partitions = f.max_open_partitions;
  table_options.metrics = &metrics;
  Result<std::unique_ptr<server::dynamodb::TableService>> tables =
      server::dynamodb::TableService::Open(table_options);
  if (!tables.ok()) return ReportError(tables.status());

  server::dynamodb::HandlerOptions handler_options;
  handler_options.access_keys = keys.get();
  handler_options.max_body_bytes = f.listener.max_body_bytes;
  handler_options.metrics = &metrics;
  handler_options.refresh_metrics = [&metrics] { RefreshStoreMetrics(metrics); };
  handler_options.ready = [store = f.store] { return CheckStore(store); };
  handler_options.inline_budget =
      InlineBudget(f.store, f.inline_reads_ms, table_options.eventual_staleness);
  handler_options.inline_consistent_reads = IsFileStore(f.store);
  server::dynamodb::WireHandler wire(**tables, std::move(handler_options));

  options->metrics = &metrics;
  return ServeUntilSignal("cloudlite dynamodb serve", std::move(*options), wire.AsHandler(),
                          f.store, wire.AsInlineHandler());
}

}  // namespace

DynamoDbCommand& AddDynamoDbCommand(CLI::App& app, CommonFlags& flags) {
  // Lives as long as the process: CLI11 keeps pointers into it until parsing is done.
  static DynamoDbCommand command;
  command.app = app.add_subcommand("dynamodb",
                                   "DynamoDB: table administration for dynamodb:// stores, and the "
                                   "DynamoDB-compatible API server");
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
  command.serve = command.app->add_subcommand(
      "serve",
      "Serve the DynamoDB API (PutItem, Query, CreateTable, ...) over the tables in a store, each "
      "table in partition databases, until SIGTERM or SIGINT");
  AddServeFlags(command.serve, command.serve_flags);
  return command;
}

int RunDynamoDbCommand(const DynamoDbCommand& command, const CommonFlags& /*flags*/) {
  if (command.serve->parsed()) return RunServe(command.serve_flags);
  return RunCreateTable(command);
}

}  // namespace cloudlite::cli
