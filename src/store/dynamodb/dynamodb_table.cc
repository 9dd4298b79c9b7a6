#include "store/dynamodb/dynamodb_table.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "store/dynamodb/dynamodb_items.h"
#include "store/dynamodb/dynamodb_layout.h"
#include "store/dynamodb/dynamodb_store.h"

namespace cloudlite {
namespace ddb {

Result<DynamoDbClientOptions> ClientOptions(const std::string& table, const AwsConfig& aws,
                                            const HttpClientOptions& http,
                                            const RetryPolicy& retry) {
  DynamoDbClientOptions c;
  c.aws = aws;
  if (c.aws.region.empty()) c.aws.region = "us-east-1";
  CL_ASSIGN_OR_RETURN(c.endpoint, ResolveEndpoint(c.aws));
  c.http = http;
  if (c.http.ca_bundle.empty()) c.http.ca_bundle = aws.ca_bundle;
  c.retry = retry;
  c.table = table;
  return c;
}

Status CheckTable(DynamoDbClient& client, const std::string& table, const std::string& what) {
  CL_ASSIGN_OR_RETURN(Json r, client.Call("DescribeTable", JsonObject{{"TableName", table}}, what));
  return CheckKeySchema(r, table);
}

namespace {

bool IsTableChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// DonutDB's key schema (hash_key S, range_key N), billed on demand.
Json CreateTableRequest(const std::string& table) {
  const std::string h(kHashKey), r(kRangeKey);
  return {
      {"TableName", table},
      {"AttributeDefinitions",
       {{{"AttributeName", h}, {"AttributeType", "S"}},
        {{"AttributeName", r}, {"AttributeType", "N"}}}},
      {"KeySchema",
       {{{"AttributeName", h}, {"KeyType", "HASH"}}, {{"AttributeName", r}, {"KeyType", "RANGE"}}}},
      {"BillingMode", "PAY_PER_REQUEST"},
  };
}

}  // namespace
}  // namespace ddb

using ddb::CreateTableRequest;
using ddb::DynamoDbClient;
using ddb::Json;
using ddb::JsonObject;

bool IsValidTableName(std::string_view name) {
  return name.size() >= 3 && name.size() <= 255 &&
         std::all_of(name.begin(), name.end(), ddb::IsTableChar);
}

Result<CreateTableOutcome> CreateDynamoDbTable(const CreateTableOptions& options) {
  if (!IsValidTableName(options.table)) {
    return Status::InvalidArgument("bad DynamoDB table name \"" + options.table +
                                   "\": use 3 to 255 letters, digits, '_', '-' and '.'");
  }
  if (options.aws.credentials.empty()) {
    return Status::PermissionDenied("no AWS credentials to create table " + options.table + ": " +
                                    std::string(ddb::kCredentialsHint));
  }
  CL_ASSIGN_OR_RETURN(ddb::DynamoDbClientOptions c,
                      ddb::ClientOptions(options.table, options.aws, options.http, options.retry));
  DynamoDbClient client(std::move(c));
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  const Json request = CreateTableRequest(options.table);
  const std::string what = "creating table " + options.table;
  CreateTableOutcome outcome = CreateTableOutcome::kCreated;
  say("creating table " + options.table + " (hash_key S, range_key N, on-demand billing) in " +
      client.options().aws.region + " at " + client.options().endpoint);
  // CreateTable is not idempotent, but its failure modes are: ResourceInUse means the table is
  // there (ours from a lost answer, or someone else's), which the DescribeTable below settles.
  Status created = options.retry.Run([&](int) -> Status {
    ddb::DynamoDbError error;
    Result<Json> res = client.CallOnce("CreateTable", request, what, nullptr, &error);
    if (!res.ok() && error.type == "ResourceInUseException") {
      outcome = CreateTableOutcome::kAlreadyExisted;
      return Status::Ok();
    }
    return res.status();
  });
  CL_RETURN_IF_ERROR(created);
  if (outcome == CreateTableOutcome::kAlreadyExisted) {
    say("table " + options.table + " already exists; checking its key schema");
  }
  const auto deadline = std::chrono::steady_clock::now() + options.wait_limit;
  for (bool first = true;; first = false) {
    if (!first) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::Unavailable("table " + options.table + " was not ACTIVE after " +
                                   std::to_string(options.wait_limit.count() / 1000) +
                                   " s; check it with: aws dynamodb describe-table --table-name " +
                                   options.table);
      }
      options.retry.Pause(options.poll_interval);
    }
    CL_ASSIGN_OR_RETURN(Json d,
                        client.Call("DescribeTable", JsonObject{{"TableName", options.table}},
                                    "describing table " + options.table));
    CL_RETURN_IF_ERROR(ddb::CheckKeySchema(d, options.table));
    const std::string status = ddb::TableStatus(d);
    if (status == "ACTIVE") return outcome;
    if (first) say("waiting for table " + options.table + " to be ACTIVE (now " + status + ")");
  }
}

}  // namespace cloudlite
