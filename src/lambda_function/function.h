// cloudlite-lambda, the ready function: `cloudlite serve`'s SQL service (server/sql, the same
// Handler: Hrana for libSQL clients and CloudSQLite's {"sql_statement"} shape) behind the
// Lambda runtime instead of the HTTP listener. One SqlFunction lives as long as the execution
// environment, so its open databases, their caches and store connections stay warm from one
// invocation to the next. docs/lambda.md, "The ready function".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "lambda_function/config.h"
#include "server/http/handler.h"
#include "server/sql/service.h"

namespace cloudlite::lambda_function {

// The path a direct invocation's payload arrives on (lambda::RunOptions::direct_path): no HTTP
// event has it (their paths start with '/'), so the function knows a direct call when it sees it.
inline constexpr std::string_view kDirectPath = "lambda:direct";

// A direct invocation as the SQL request it names: {"requests": [...]} (Hrana) is a pipeline,
// {"sql_statement": "..."} CloudSQLite's shape; an optional "database" member picks the database
// (else the default one) and is removed. Anything else is a 400 Response.
Result<server::Request> RouteDirectInvocation(const server::Request& request);

// The per-request log line: {"request_id", "method", "path", "status", "ms", "store":
// {the store requests and bytes this request caused}}. `store_before`/`store_after` are
// ProcessStoreStatsJson() around the request.
std::string RequestLogLine(std::string_view request_id, const server::Request& request,
                           const server::Response& response, double ms,
                           std::string_view store_before, std::string_view store_after);

class SqlFunction {
 public:
  // Checks the store (an unreachable or misconfigured store fails init, so Lambda reports it
  // before any request) and builds the service.
  static Result<std::unique_ptr<SqlFunction>> Open(const FunctionConfig& config);

  // Serves one request; thread-safe. Logs its line to stdout when the config asks.
  server::Response Handle(const server::Request& request);

  server::sql::SqlService& service() { return *service_; }

 private:
  SqlFunction(const FunctionConfig& config, std::unique_ptr<server::sql::SqlService> service);
  server::Response Serve(const server::Request& request);

  const bool log_requests_;
  std::unique_ptr<server::sql::SqlService> service_;
};

}  // namespace cloudlite::lambda_function
