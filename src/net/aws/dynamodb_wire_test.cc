// The DynamoDB JSON protocol on canned bodies: error mapping, message sanitizing, CRC32, the
// consumed-capacity report, the base64 the B type carries, and AttributeValues.
#include "net/aws/dynamodb_wire.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cloudlite::ddb {
namespace {

std::string Error(std::string_view type, std::string_view message) {
  return Serialize(Json{{"__type", "com.amazonaws.dynamodb.v20120810#" + std::string(type)},
                        {"message", std::string(message)}});
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

TEST(DynamoDbWire, Crc32) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(Crc32("{}"), 2745614147u);         // what DynamoDB sends for an empty object
}

TEST(DynamoDbWire, Crc32EightBytesAtATimeAgreesWithBitByBit) {
  auto bitwise = [](std::string_view data) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char ch : data) {
      c ^= ch;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
  };
  std::string data;
  uint32_t x = 12345;
  for (int i = 0; i < 300; i++) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
  // Every length and start, so that every tail and alignment is met.
  for (size_t start = 0; start < 9; start++) {
    for (size_t n = 0; start + n <= data.size(); n++) {
      std::string_view part(data.data() + start, n);
      ASSERT_EQ(Crc32(part), bitwise(part)) << "start " << start << " length " << n;
    }
  }
}

TEST(DynamoDbWire, ConsumedCapacityOfSingleAndBatchAnswers) {
  EXPECT_EQ(ConsumedCapacityUnits(boost::json::parse(R"({"Item": {}})")), 0);
  EXPECT_EQ(ConsumedCapacityUnits(boost::json::parse(
                R"({"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}})")),
            1.0);
  EXPECT_EQ(ConsumedCapacityUnits(boost::json::parse(R"({"ConsumedCapacity": [
                {"TableName": "t", "CapacityUnits": 17.0},
                {"TableName": "u", "CapacityUnits": 0.5}]})")),
            17.5);
  EXPECT_EQ(
      ConsumedCapacityUnits(boost::json::parse(R"({"ConsumedCapacity": {"TableName": "t"}})")), 0);
  EXPECT_EQ(ConsumedCapacityUnits(boost::json::parse(R"({"ConsumedCapacity": "junk"})")), 0);
}

TEST(DynamoDbWire, ParseJsonIsAnErrorValue) {
  Result<Json> ok = ParseJson(R"({"a":[1,"x",null]})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Serialize(*ok), R"({"a":[1,"x",null]})");
  for (std::string_view bad : {"", "{", "{\"a\":}", "[1,]", "{} {}", "\"\xff\"", "nul"}) {
    Result<Json> r = ParseJson(bad);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos);
  }
}

TEST(DynamoDbWire, ParseJsonTakesDynamoDbsDeepestNesting) {
  // 32 levels of {"M": {"a": ...}}: 64 JSON levels inside an item inside a response.
  std::string item = R"({"S":"leaf"})";
  for (int i = 0; i < 32; i++) item = R"({"M":{"a":)" + item + "}}";
  const std::string response = R"({"Items":[{"x":)" + item + "}]}";
  EXPECT_TRUE(ParseJson(response).ok()) << ParseJson(response).status().ToString();
  // Without a bound a hostile body could nest without end: refused, not a crash.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(ParseJson(deep).status().code(), Status::Code::kInvalidArgument);
}

TEST(DynamoDbWire, AttributeValuesRoundTrip) {
  JsonObject item;
  item["s"] = S("text");
  item["n"] = N(18446744073709551615u);
  item["m"] = N("42");
  item["b"] = B(std::string("\0\xff", 2));
  const Json j = *ParseJson(Serialize(item));
  EXPECT_EQ(GetS(j, "s"), "text");
  EXPECT_EQ(GetN(j, "n"), 18446744073709551615u);
  EXPECT_EQ(GetN(j, "m"), 42u);
  bool bad = false;
  EXPECT_EQ(GetB(j, "b", &bad), std::string("\0\xff", 2));
  EXPECT_FALSE(bad);
  EXPECT_EQ(Serialize(S("a\"b")), R"({"S":"a\"b"})");
}

TEST(DynamoDbWire, AccessorsTolerateAnyShape) {
  const Json j = *ParseJson(
      R"({"s":{"N":"1"},"n":{"N":"-1"},"big":{"N":"18446744073709551616"},"x":{"N":"1x"},)"
      R"("b":{"B":"!!"},"b2":{"B":5},"b3":"B","arr":[1]})");
  EXPECT_EQ(GetS(j, "s"), std::nullopt);  // an N, not an S
  EXPECT_EQ(GetS(j, "missing"), std::nullopt);
  EXPECT_EQ(GetN(j, "n"), std::nullopt);
  EXPECT_EQ(GetN(j, "big"), std::nullopt);
  EXPECT_EQ(GetN(j, "x"), std::nullopt);
  EXPECT_EQ(GetN(j, "arr"), std::nullopt);
  for (const char* name : {"b", "b2"}) {
    bool bad = false;
    EXPECT_EQ(GetB(j, name, &bad), std::nullopt) << name;
    EXPECT_TRUE(bad) << name;
  }
  bool bad = false;
  EXPECT_EQ(GetB(j, "b3", &bad), std::nullopt);  // not an AttributeValue: absent, not bad
  EXPECT_FALSE(bad);
  for (const char* text : {"[]", "7", "null", "\"s\""}) {
    const Json odd = *ParseJson(text);
    EXPECT_EQ(Member(odd, "s"), nullptr) << text;
    EXPECT_EQ(StringMember(odd, "s"), "") << text;
    EXPECT_EQ(GetS(odd, "s"), std::nullopt) << text;
  }
  EXPECT_EQ(StringMember(j, "b3"), "B");
  EXPECT_EQ(StringMember(j, "arr"), "");
}

TEST(DynamoDbWire, ErrorTypeNamesByMeaning) {
  EXPECT_TRUE(IsThrottlingError("ThrottlingException"));
  EXPECT_FALSE(IsThrottlingError("ValidationException"));
  EXPECT_TRUE(IsTransientError("InternalServerError"));
  EXPECT_FALSE(IsTransientError("ThrottlingException"));
  EXPECT_TRUE(IsCredentialError("UnrecognizedClientException"));
  EXPECT_FALSE(IsCredentialError("ResourceNotFoundException"));
}

}  // namespace
}  // namespace cloudlite::ddb
