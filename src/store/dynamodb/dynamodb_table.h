// Table admin for the DynamoDB store: the client options a store or a table command uses, the
// opening check of a table (DescribeTable: it exists and has the key schema the layout needs),
// and CreateDynamoDbTable / IsValidTableName (declared in dynamodb_store.h, the public face).
#pragma once

#include <string>

#include "store/dynamodb/dynamodb_client.h"

namespace cloudlite::ddb {

// Options for a client of `table`: region us-east-1 when unset, the endpoint resolved, and the
// AWS configuration's CA bundle when the HTTP options name none.
Result<DynamoDbClientOptions> ClientOptions(const std::string& table, const AwsConfig& aws,
                                            const HttpClientOptions& http,
                                            const RetryPolicy& retry);

// DescribeTable: Ok when `table` exists with the key schema this layout needs; NotFound (with
// the command that creates it) or InvalidArgument otherwise. `what` names the step in messages.
Status CheckTable(DynamoDbClient& client, const std::string& table, const std::string& what);

}  // namespace cloudlite::ddb
