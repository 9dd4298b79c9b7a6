// cloudlite-lambda, the ready function: `cloudlite serve`'s SQL service (server/sql, the same
// Handler: Hrana for libSQL clients and CloudSQLite's {"sql_statement"} shape, JWTs checked as
// `serve` checks them) or `cloudlite dynamodb serve`'s DynamoDB API (server/dynamodb: the same
// wire and operations, SigV4 checked as there), behind the Lambda runtime instead of the HTTP
// listener. One Function lives as long as the execution environment, so its open databases,
// their caches and store connections stay warm from one invocation to the next. docs/lambda.md,
// "The ready function".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "lambda_function/config.h"
#include "server/http/handler.h"

namespace cloudlite::server::sql {
class SqlService;
}
namespace cloudlite::server::dynamodb {
class AccessKeys;
class TableService;
class WireHandler;
}  // namespace cloudlite::server::dynamodb

namespace cloudlite::lambda_function {

// The path a direct invocation's payload arrives on (lambda::RunOptions::direct_path): no HTTP
// event has it (their paths start with '/'), so the function knows a direct call when it sees it.
inline constexpr std::string_view kDirectPath = "lambda:direct";

// A direct invocation as the SQL request it names: {"requests": [...]} (Hrana) is a pipeline,
// {"sql_statement": "..."} CloudSQLite's shape; an optional "database" member picks the database
// (else the default one) and is removed. Anything else is a 400 Response.
Result<server::Request> RouteDirectInvocation(const server::Request& request);

// The per-request log line: {"request_id", "method", "path", "status", "ms", "store":
// {the store requests and bytes this request caused}}, plus the handler's log fields
// ("operation", "table", "error" of the DynamoDB API) under their own names.
// `store_before`/`store_after` are ProcessStoreStatsJson() around the request.
std::string RequestLogLine(std::string_view request_id, const server::Request& request,
                           const server::Response& response, double ms,
                           std::string_view store_before, std::string_view store_after);

class Function {
 public:
  // Checks the store (an unreachable or misconfigured store fails init, so Lambda reports it
  // before any request), loads the auth keys and builds the configured API's service.
  static Result<std::unique_ptr<Function>> Open(const FunctionConfig& config);
  ~Function();

  // Serves one request; thread-safe. Logs its line to stdout when the config asks.
  server::Response Handle(const server::Request& request);

 private:
  explicit Function(const FunctionConfig& config);
  server::Response Serve(const server::Request& request);

  const bool log_requests_;
  const Api api_;
  std::unique_ptr<server::sql::SqlService> sql_;               // Api::kSql
  std::unique_ptr<server::dynamodb::AccessKeys> access_keys_;  // Api::kDynamoDb, with auth
  std::unique_ptr<server::dynamodb::TableService> tables_;     // Api::kDynamoDb
  std::unique_ptr<server::dynamodb::WireHandler> wire_;        // over tables_
};

}  // namespace cloudlite::lambda_function
