// CreateDynamoDbStoreTable (cloudlite/admin.h): the AWS configuration chain, overridden by
// explicit endpoint and region, then the DynamoDB store's CreateDynamoDbTable.
#include <algorithm>
#include <utility>

#include "cloudlite/admin.h"
#include "net/aws_config.h"
#include "store/dynamodb/dynamodb_store.h"

namespace cloudlite {

Result<TableCreation> CreateDynamoDbStoreTable(const DynamoDbTableOptions& options) {
  Result<AwsConfig> aws = LoadAwsConfig("dynamodb");
  if (!aws.ok()) return aws.status().WithContext("creating table " + options.table);
  CreateTableOptions o;
  o.table = options.table;
  o.aws = std::move(aws).value();
  if (!options.endpoint.empty()) {
    o.aws.endpoint_url = options.endpoint;
    o.aws.endpoint_source = "--endpoint";
  }
  if (!options.region.empty()) {
    o.aws.region = options.region;
    o.aws.region_source = "--region";
  }
  o.retry.max_attempts = o.aws.max_attempts;
  o.wait_limit = std::max(std::chrono::seconds(0), options.wait_limit);
  o.progress = options.progress;
  CL_ASSIGN_OR_RETURN(CreateTableOutcome outcome, CreateDynamoDbTable(o));
  return outcome == CreateTableOutcome::kCreated ? TableCreation::kCreated
                                                 : TableCreation::kAlreadyExisted;
}

}  // namespace cloudlite
