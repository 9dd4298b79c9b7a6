// The DynamoDB JSON protocol on canned bodies: error mapping, message sanitizing, CRC32 and the
// base64 the B type carries.
#include "store/dynamodb/dynamodb_client.h"

#include <gtest/gtest.h>

#include "net/crypto.h"

namespace cloudlite::ddb {
namespace {

std::string Error(std::string_view type, std::string_view message) {
  return Json{{"__type", "com.amazonaws.dynamodb.v20120810#" + std::string(type)},
              {"message", std::string(message)}}
      .dump();
}

Status Map(int http, const std::string& body) {
  return ErrorStatus(http, body, "GetItem dynamodb://tbl/k", "tbl", "environment");
}

TEST(DynamoDbErrors, Mapping) {
  EXPECT_EQ(
      Map(400, Error("ConditionalCheckFailedException", "The conditional request failed")).code(),
      Status::Code::kAlreadyExists);
  Status missing = Map(400, Error("ResourceNotFoundException", "Requested resource not found"));
  EXPECT_EQ(missing.code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.message(),
            "table tbl does not exist; create it with: cloudlite dynamodb create-table tbl");
  for (const char* type :
       {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
        "InternalServerError", "TransactionConflictException"}) {
    EXPECT_EQ(Map(400, Error(type, "slow down")).code(), Status::Code::kUnavailable) << type;
  }
  EXPECT_EQ(Map(500, "").code(), Status::Code::kUnavailable);
  EXPECT_EQ(Map(503, "<html>busy</html>").code(), Status::Code::kUnavailable);
  EXPECT_EQ(Map(400, Error("ValidationException", "Item size has exceeded the maximum")).code(),
            Status::Code::kInvalidArgument);
  for (const char* type :
       {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
        "MissingAuthenticationTokenException", "ExpiredTokenException"}) {
    Status s = Map(400, Error(type, "no"));
    EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << type;
    EXPECT_NE(s.message().find(type), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("credentials from environment"), std::string::npos);
  }
  Status skew = Map(400, Error("InvalidSignatureException",
                               "Signature expired: 20240101T000000Z is now earlier than ..."));
  EXPECT_EQ(skew.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(skew.message().find("clock"), std::string::npos);
  // DynamoDB Local spells the message field "Message".
  Status local = Map(400, R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                          R"("Message":"One or more parameter values were invalid"})");
  EXPECT_EQ(local.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(local.message().find("One or more parameter values were invalid"), std::string::npos);
  // Not DynamoDB at all.
  EXPECT_EQ(Map(404, "<html>Not Found</html>").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Map(403, "").code(), Status::Code::kPermissionDenied);
}

TEST(DynamoDbErrors, MessagesDropEchoedSigningDetails) {
  const std::string secretish = "x-amz-security-token:SESSIONTOKENVALUE";
  Status s = Map(400, Error("InvalidSignatureException",
                            "The request signature we calculated does not match.\n\nThe "
                            "Canonical String for this request should have been\n'POST\n/\n\n" +
                                secretish + "'"));
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(s.message().find("SESSIONTOKENVALUE"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  Status long_one = Map(400, Error("ValidationException", std::string(5000, 'x')));
  EXPECT_LT(long_one.message().size(), 500u);
}

TEST(DynamoDbErrors, ServerTextIsMadeSafe) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  Status s = ErrorStatus(400,
                         Error("Validation\x1b[2JException",
                               "\x1b]0;owned\x07 bad " + secret + std::string(100 * 1024, 'y')),
                         "GetItem dynamodb://tbl/k", "tbl", "environment", {secret});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message().find('\x1b'), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\x07'), std::string::npos);
  EXPECT_EQ(s.message().find(secret), std::string::npos);
  EXPECT_LT(s.message().size(), 1000u);
  EXPECT_NE(s.message().find("\\x1b]0;owned\\x07 bad [redacted]yyy"), std::string::npos)
      << s.message();
  // A session token echoed outside the canonical request is redacted by name.
  Status t = Map(400, Error("UnrecognizedClientException",
                            "The security token included in the request is invalid: "
                            "X-Amz-Security-Token=IQoJb3JpZ2luX2Vj"));
  EXPECT_EQ(t.message().find("IQoJb3JpZ2luX2Vj"), std::string::npos) << t.message();
}

TEST(DynamoDbErrors, Any403IsPermissionDenied) {
  for (const std::string& body : {Error("SomethingNewException", "no"),
                                  std::string("<html>Forbidden</html>"), std::string("")}) {
    Status s = Map(403, body);
    EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << body;
    EXPECT_NE(s.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << s.message();
  }
}

TEST(DynamoDbErrors, ParseError) {
  DynamoDbError e = ParseError(Error("ResourceInUseException", "Table already exists: t"));
  EXPECT_EQ(e.type, "ResourceInUseException");
  EXPECT_EQ(e.message, "Table already exists: t");
  EXPECT_EQ(ParseError("not json").type, "");
  EXPECT_EQ(ParseError("[1,2]").type, "");
}

TEST(DynamoDbClient, Crc32) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(Crc32("{}"), 2745614147u);         // what DynamoDB sends for an empty object
}

TEST(DynamoDbClient, Endpoints) {
  AwsConfig aws;
  aws.region = "eu-west-1";
  EXPECT_EQ(*ResolveEndpoint(aws), "https://dynamodb.eu-west-1.amazonaws.com");
  aws.endpoint_url = "http://127.0.0.1:8000/";
  EXPECT_EQ(*ResolveEndpoint(aws), "http://127.0.0.1:8000");
  aws.endpoint_url = "ftp://x";
  EXPECT_EQ(ResolveEndpoint(aws).status().code(), Status::Code::kInvalidArgument);
}

TEST(DynamoDbClient, ConsumedCapacityOfSingleAndBatchAnswers) {
  EXPECT_EQ(ConsumedCapacityUnits(Json::parse(R"({"Item": {}})")), 0);
  EXPECT_EQ(ConsumedCapacityUnits(
                Json::parse(R"({"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}})")),
            1.0);
  EXPECT_EQ(ConsumedCapacityUnits(Json::parse(R"({"ConsumedCapacity": [
                {"TableName": "t", "CapacityUnits": 17.0},
                {"TableName": "u", "CapacityUnits": 0.5}]})")),
            17.5);
  EXPECT_EQ(ConsumedCapacityUnits(Json::parse(R"({"ConsumedCapacity": {"TableName": "t"}})")), 0);
  EXPECT_EQ(ConsumedCapacityUnits(Json::parse(R"({"ConsumedCapacity": "junk"})")), 0);
}

TEST(DynamoDbClient, Base64RoundTrips) {
  std::string all;
  for (int i = 0; i < 256; i++) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string out;
    ASSERT_TRUE(Base64Decode(Base64Encode(all.substr(0, n)), &out)) << n;
    EXPECT_EQ(out, all.substr(0, n));
  }
  std::string out;
  EXPECT_TRUE(Base64Decode("", &out));
  EXPECT_EQ(out, "");
  for (const char* bad : {"a", "ab=", "a===", "ab=c", "a b=", "ab\ncd==", "=abc"}) {
    EXPECT_FALSE(Base64Decode(bad, &out)) << bad;
  }
}

}  // namespace
}  // namespace cloudlite::ddb
