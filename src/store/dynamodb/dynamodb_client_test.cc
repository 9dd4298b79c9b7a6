// The DynamoDB client's own choices: which endpoint it talks to. (The wire format it speaks is
// tested in net/aws/dynamodb_wire_test.cc.)
#include "store/dynamodb/dynamodb_client.h"

#include <gtest/gtest.h>

namespace cloudlite::ddb {
namespace {

TEST(DynamoDbClient, Endpoints) {
  AwsConfig aws;
  aws.region = "eu-west-1";
  EXPECT_EQ(*ResolveEndpoint(aws), "https://dynamodb.eu-west-1.amazonaws.com");
  aws.endpoint_url = "http://127.0.0.1:8000/";
  EXPECT_EQ(*ResolveEndpoint(aws), "http://127.0.0.1:8000");
  aws.endpoint_url = "ftp://x";
  EXPECT_EQ(ResolveEndpoint(aws).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace cloudlite::ddb
