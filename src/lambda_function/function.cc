#include "lambda_function/function.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <utility>

#include "cloudlite/admin.h"
#include "lambda/lambda.h"
#include "server/dynamodb/handler.h"
#include "server/dynamodb/tables.h"
#include "server/http/auth.h"
#include "server/sql/jwt_authorizer.h"
#include "server/sql/pool.h"
#include "server/sql/service.h"

namespace cloudlite::lambda_function {
namespace {

namespace json = boost::json;

server::Response BadDirect(const std::string& message) {
  json::object body;
  body["message"] = message;
  body["code"] = "INVALID_DIRECT_INVOCATION";
  server::Response out = server::Response::Json(400, json::serialize(body));
  out.route = "direct";
  return out;
}

// {"get": 3, ...} as an object; empty when the text is not one.
json::object ParseCounters(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

}  // namespace

Result<server::Request> RouteDirectInvocation(const server::Request& request) {
  boost::system::error_code ec;
  json::value payload = json::parse(request.body, ec);
  if (ec || !payload.is_object()) {
    return Status::InvalidArgument(
        "a direct invocation's payload must be a JSON object: {\"requests\": [...]} (Hrana) "
        "or {\"sql_statement\": \"...\"}, with an optional \"database\"");
  }
  json::object& o = payload.as_object();
  std::string database;
  if (const json::value* db = o.if_contains("database")) {
    if (!db->is_string()) return Status::InvalidArgument("\"database\" must be a string");
    database = std::string(db->get_string());
    CL_RETURN_IF_ERROR(server::sql::DatabasePool::CheckName(database));
    o.erase("database");
  }
  std::string prefix = database.empty() ? "" : "/" + database;
  server::Request out = request;
  if (o.contains("requests")) {
    out.path = prefix + "/v2/pipeline";
  } else if (o.contains("sql_statement")) {
    out.path = prefix.empty() ? "/" : prefix;
  } else {
    return Status::InvalidArgument(
        "a direct invocation names no SQL: send {\"requests\": [...]} (a Hrana pipeline) or "
        "{\"sql_statement\": \"...\"}");
  }
  if (!database.empty()) out.body = json::serialize(o);
  return out;
}

std::string RequestLogLine(std::string_view request_id, const server::Request& request,
                           const server::Response& response, double ms,
                           std::string_view store_before, std::string_view store_after) {
  json::object before = ParseCounters(store_before);
  json::object store;
  for (const auto& [key, value] : ParseCounters(store_after)) {
    if (!value.is_int64() && !value.is_uint64()) continue;
    int64_t now = value.to_number<int64_t>();
    const json::value* then = before.if_contains(key);
    int64_t was =
        then != nullptr && (then->is_int64() || then->is_uint64()) ? then->to_number<int64_t>() : 0;
    store[key] = now - was;
  }
  json::object line;
  line["request_id"] = request_id;
  line["method"] = request.method;
  line["path"] = request.path;
  line["status"] = response.status;
  line["ms"] = static_cast<double>(static_cast<int64_t>(ms * 1000)) / 1000;
  line["store"] = std::move(store);
  for (const auto& [name, value] : response.log_fields) {
    if (!line.contains(name)) line[name] = value;  // the Lambda request id stays the line's own
  }
  return json::serialize(line);
}

namespace {

Result<server::PublicKeys> LoadJwtKeys(const KeySource& keys) {
  if (!keys.file.empty()) return server::PublicKeys::LoadFile(keys.file);
  return server::PublicKeys::Parse(keys.text);
}

Result<server::dynamodb::AccessKeys> LoadAccessKeys(const KeySource& keys) {
  if (!keys.file.empty()) return server::dynamodb::AccessKeys::LoadFile(keys.file);
  return server::dynamodb::AccessKeys::Parse(keys.text);
}

}  // namespace

Result<std::unique_ptr<Function>> Function::Open(const FunctionConfig& config) {
  std::unique_ptr<Function> function(new Function(config));
  if (config.api == Api::kDynamoDb) {
    // As `cloudlite dynamodb serve`: the store is made if missing, CreateTable makes tables.
    CL_RETURN_IF_ERROR(CheckStore(config.store, /*create=*/true));
    if (!config.dynamodb_credentials.empty()) {
      CL_ASSIGN_OR_RETURN(server::dynamodb::AccessKeys keys,
                          LoadAccessKeys(config.dynamodb_credentials));
      function->access_keys_ = std::make_unique<server::dynamodb::AccessKeys>(std::move(keys));
    }
    server::dynamodb::TableServiceOptions options;
    options.store = config.store;
    options.options = config.options;
    options.region = config.region;
    if (config.dynamodb_partitions) options.partitions = *config.dynamodb_partitions;
    if (config.dynamodb_eventual_staleness) {
      options.eventual_staleness = *config.dynamodb_eventual_staleness;
    }
    if (config.dynamodb_max_open_partitions) {
      options.max_open_partitions = *config.dynamodb_max_open_partitions;
    }
    CL_ASSIGN_OR_RETURN(function->tables_, server::dynamodb::TableService::Open(options));
    server::dynamodb::HandlerOptions wire;
    wire.access_keys = function->access_keys_.get();
    function->wire_ =
        std::make_unique<server::dynamodb::WireHandler>(*function->tables_, std::move(wire));
    return function;
  }
  // An unreachable store or a missing bucket is an init error, reported before any request.
  CL_RETURN_IF_ERROR(CheckStore(config.store, config.create));
  server::sql::ServiceOptions options;
  options.pool.store = config.store;
  options.pool.options = config.options;
  // Lambda sends one request at a time and freezes the process between them: keep every
  // database open for the life of the environment (its cache and connections stay warm).
  options.pool.idle_close = std::chrono::hours(24 * 365);
  options.create = config.create;
  options.default_database = config.default_database;
  // Host is API Gateway's or the function URL's own name, never a database.
  options.host_routing = false;
  options.version_text = "cloudlite-lambda";
  // One request at a time: a group would only ever hold one write.
  options.group_commit.enabled = false;
  if (!config.jwt_keys.empty()) {
    CL_ASSIGN_OR_RETURN(server::PublicKeys keys, LoadJwtKeys(config.jwt_keys));
    options.authorize =
        server::sql::JwtAuthorizer(std::make_shared<server::Authenticator>(std::move(keys)));
  }
  function->sql_ = std::make_unique<server::sql::SqlService>(std::move(options));
  return function;
}

Function::Function(const FunctionConfig& config)
    : log_requests_(config.log_requests), api_(config.api) {}

Function::~Function() = default;

server::Response Function::Serve(const server::Request& request) {
  if (api_ == Api::kDynamoDb) {
    // A direct invocation carries no HTTP request to sign, so SigV4 could not be checked.
    if (request.path == kDirectPath) {
      return BadDirect(
          "the DynamoDB API is served to HTTP events only (a function URL, API Gateway, an "
          "ALB): send DynamoDB's own requests, signed with SigV4");
    }
    return wire_->Handle(request);
  }
  if (request.path != kDirectPath) return sql_->Handle(request);
  Result<server::Request> routed = RouteDirectInvocation(request);
  if (!routed.ok()) return BadDirect(routed.status().message());
  return sql_->Handle(*routed);
}

server::Response Function::Handle(const server::Request& request) {
  if (!log_requests_) return Serve(request);
  std::string before = ProcessStoreStatsJson();
  auto start = std::chrono::steady_clock::now();
  server::Response response = Serve(request);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const lambda::InvocationContext* invocation = lambda::CurrentInvocation();
  std::string line = RequestLogLine(invocation != nullptr ? invocation->request_id : "", request,
                                    response, ms, before, ProcessStoreStatsJson());
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
  return response;
}

}  // namespace cloudlite::lambda_function
