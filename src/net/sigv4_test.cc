// SigV4 against the examples AWS publishes: the S3 header-based-auth examples (GET object with
// Range, PUT object, GET ?lifecycle, list objects) and cases from the general SigV4 test suite.
#include "net/sigv4.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <ctime>
#include <thread>

#include "net/crypto.h"

namespace cloudlite {
namespace {

constexpr char kS3KeyId[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kS3Secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteKeyId[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::chrono::system_clock::time_point Utc(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

SigV4Result SignS3(HttpRequest* req) {
  SigV4Params p;
  p.service = "s3";
  p.region = "us-east-1";
  p.time = Utc(2013, 5, 24, 0, 0, 0);
  p.content_sha256_header = true;
  auto r = SignRequest(req, AwsCredentials{kS3KeyId, kS3Secret, ""}, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SigV4Result{};
}

SigV4Result SignSuite(HttpRequest* req, std::string token = "") {
  SigV4Params p;
  p.service = "service";
  p.region = "us-east-1";
  p.time = Utc(2015, 8, 30, 12, 36, 0);
  auto r = SignRequest(req, AwsCredentials{kSuiteKeyId, kSuiteSecret, token}, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SigV4Result{};
}

TEST(Crypto, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than SHA-256's block is hashed first.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// Each thread keeps the signing key it derived last: one request after another with another
// secret, day, region or service must not be signed with a stale one.
TEST(SigV4, EachRequestIsSignedWithItsOwnKey) {
  auto s3_get = [] {
    HttpRequest req;
    req.url = "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J";
    return SignS3(&req).signature;
  };
  auto suite_get = [](std::string_view region, std::string_view service,
                      std::string secret = kSuiteSecret) {
    HttpRequest req;
    req.url = "https://example.amazonaws.com/";
    SigV4Params p;
    p.service = service;  // views: the literals below outlive the call
    p.region = region;
    p.time = Utc(2015, 8, 30, 12, 36, 0);
    auto r = SignRequest(&req, AwsCredentials{kSuiteKeyId, secret, ""}, p);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->signature : "";
  };
  const std::string vanilla = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  const std::string list = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";
  EXPECT_EQ(s3_get(), list);
  EXPECT_EQ(suite_get("us-east-1", "service"), vanilla);
  EXPECT_EQ(s3_get(), list);
  EXPECT_NE(suite_get("us-west-2", "service"), vanilla);
  EXPECT_NE(suite_get("us-east-1", "other"), vanilla);
  EXPECT_NE(suite_get("us-east-1", "service", "another secret"), vanilla);
  EXPECT_EQ(suite_get("us-east-1", "service"), vanilla);
  std::string from_another_thread;
  std::thread([&] { from_another_thread = s3_get(); }).join();
  EXPECT_EQ(from_another_thread, list);
}

TEST(SigV4, S3GetObjectExample) {
  HttpRequest req;
  req.method = "GET";
  req.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  req.SetHeader("Range", "bytes=0-9");
  SigV4Result r = SignS3(&req);
  EXPECT_EQ(r.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                std::string(kEmptySha256) +
                "\nx-amz-date:20130524T000000Z\n\n"
                "host;range;x-amz-content-sha256;x-amz-date\n" +
                kEmptySha256);
  EXPECT_EQ(r.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(*req.FindHeader("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(*req.FindHeader("x-amz-date"), "20130524T000000Z");
}

TEST(SigV4, S3PutObjectExample) {
  HttpRequest req;
  req.method = "PUT";
  req.url = "https://examplebucket.s3.amazonaws.com/" + AwsUriEncode("test$file.text", false);
  EXPECT_EQ(req.url, "https://examplebucket.s3.amazonaws.com/test%24file.text");
  req.SetHeader("Date", "Fri, 24 May 2013 00:00:00 GMT");
  req.SetHeader("x-amz-storage-class", "REDUCED_REDUNDANCY");
  req.body = "Welcome to Amazon S3.";
  SigV4Result r = SignS3(&req);
  EXPECT_EQ(*req.FindHeader("x-amz-content-sha256"),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(r.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3GetBucketLifecycleExample) {
  HttpRequest req;
  req.url = "https://examplebucket.s3.amazonaws.com/?lifecycle";
  SigV4Result r = SignS3(&req);
  EXPECT_NE(r.canonical_request.find("\n/\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(r.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjectsExample) {
  HttpRequest req;
  req.url = "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J";
  SigV4Result r = SignS3(&req);
  EXPECT_EQ(r.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, SuiteGetVanilla) {
  HttpRequest req;
  req.url = "https://example.amazonaws.com/";
  SigV4Result r = SignSuite(&req);
  EXPECT_EQ(r.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, SuiteQueryOrderKeyCase) {
  HttpRequest req;
  req.url = "https://example.amazonaws.com/?Param2=value2&Param1=value1";
  SigV4Result r = SignSuite(&req);
  EXPECT_NE(r.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(r.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, SuitePostHeaderKeySort) {
  HttpRequest req;
  req.method = "POST";
  req.url = "https://example.amazonaws.com/";
  req.SetHeader("My-Header1", "value1");
  SigV4Result r = SignSuite(&req);
  EXPECT_EQ(r.signature, "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");
}

TEST(SigV4, SuitePostHeaderValueCase) {
  HttpRequest req;
  req.method = "POST";
  req.url = "https://example.amazonaws.com/";
  req.SetHeader("My-Header1", "VALUE1");
  SigV4Result r = SignSuite(&req);
  EXPECT_EQ(r.signature, "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4, SuiteSessionTokenSigned) {
  const std::string token =
      "AQoDYXdzEPT//////////"
      "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
      "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
      "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKm"
      "lzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  HttpRequest req;
  req.method = "POST";
  req.url = "https://example.amazonaws.com/";
  SigV4Result r = SignSuite(&req, token);
  EXPECT_EQ(*req.FindHeader("x-amz-security-token"), token);
  EXPECT_NE(r.authorization.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            std::string::npos);
  EXPECT_EQ(r.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

TEST(SigV4, IamListUsersExample) {
  HttpRequest req;
  req.url = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08";
  req.SetHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  SigV4Params p;
  p.service = "iam";
  p.region = "us-east-1";
  p.time = Utc(2015, 8, 30, 12, 36, 0);
  auto r = SignRequest(&req, AwsCredentials{kS3KeyId, kSuiteSecret, ""}, p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, ResigningReplacesOldHeadersAndHidesSecret) {
  HttpRequest req;
  req.method = "PUT";
  req.url = "http://127.0.0.1:7480/bucket/a%20b/c";
  req.body = "x";
  SigV4Result first = SignS3(&req);
  SigV4Result second = SignS3(&req);
  EXPECT_EQ(first.signature, second.signature);
  int auth = 0;
  for (const auto& [k, v] : req.headers) {
    if (k == "Authorization") auth++;
    EXPECT_EQ(v.find(kS3Secret), std::string::npos) << k;
  }
  EXPECT_EQ(auth, 1);
  EXPECT_NE(second.canonical_request.find("\n/bucket/a%20b/c\n"), std::string::npos);
  EXPECT_NE(second.canonical_request.find("host:127.0.0.1:7480\n"), std::string::npos);
  EXPECT_EQ(second.canonical_request.find(kS3Secret), std::string::npos);
  EXPECT_EQ(second.string_to_sign.find(kS3Secret), std::string::npos);
}

TEST(SigV4, NonS3PathsAreEncodedTwice) {
  HttpRequest req;
  req.url = "https://example.amazonaws.com/a%20b";
  SigV4Result r = SignSuite(&req);
  EXPECT_NE(r.canonical_request.find("\n/a%2520b\n"), std::string::npos);
}

TEST(SigV4, UnsignedPayload) {
  HttpRequest req;
  req.method = "PUT";
  req.url = "https://b.s3.amazonaws.com/k";
  req.body = "data";
  SigV4Params p;
  p.service = "s3";
  p.region = "eu-west-1";
  p.payload_hash = kUnsignedPayload;
  p.content_sha256_header = true;
  auto r = SignRequest(&req, AwsCredentials{kS3KeyId, kS3Secret, ""}, p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*req.FindHeader("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(r->canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4, Encoding) {
  EXPECT_EQ(AwsUriEncode("a b/c~d_e.f-g+h*", false), "a%20b/c~d_e.f-g%2Bh%2A");
  EXPECT_EQ(AwsUriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(AwsUriEncode("\xc3\xa9", true), "%C3%A9");
  EXPECT_EQ(PercentDecode("a%20b%2Fc%zz%4"), "a b/c%zz%4");
}

TEST(SigV4, RejectsMissingCredentials) {
  HttpRequest req;
  req.url = "https://example.amazonaws.com/";
  SigV4Params p;
  p.service = "s3";
  p.region = "us-east-1";
  EXPECT_EQ(SignRequest(&req, AwsCredentials{}, p).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace cloudlite

// ---- VerifySignature: the server's side ------------------------------------------------------

namespace cloudlite {
namespace {

constexpr char kDdbKeyId[] = "AKIDWIRETEST";
constexpr char kDdbSecret[] = "wire/secret+key";
constexpr char kDdbBody[] = R"({"TableName":"music","Key":{"artist":{"S":"Bach"}}})";

// The headers of a request as a server receives them, host included.
struct Received {
  std::string method = "POST", path = "/", query, body = kDdbBody;
  std::vector<std::pair<std::string, std::string>> headers;

  ReceivedRequest View() const {
    ReceivedRequest r{method, path, query, {}, body};
    for (const auto& [k, v] : headers) r.headers.emplace_back(k, v);
    return r;
  }
};

CredentialsLookup OneKey(std::string id = kDdbKeyId, std::string secret = kDdbSecret,
                         std::string token = "") {
  return [=](std::string_view key) -> std::optional<AwsCredentials> {
    if (key != id) return std::nullopt;
    return AwsCredentials{id, secret, token};
  };
}

SigV4VerifyParams AtTime(std::chrono::system_clock::time_point now) {
  SigV4VerifyParams p;
  p.service = "dynamodb";
  p.now = now;
  return p;
}

// A request signed by our own SignRequest at `when`, as the server would receive it.
Received SignedByUs(std::chrono::system_clock::time_point when, std::string token = "") {
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:8000/";
  req.body = kDdbBody;
  req.SetHeader("Content-Type", "application/x-amz-json-1.0");
  req.SetHeader("X-Amz-Target", "DynamoDB_20120810.GetItem");
  SigV4Params p;
  p.service = "dynamodb";
  p.region = "us-east-1";
  p.time = when;
  EXPECT_TRUE(SignRequest(&req, AwsCredentials{kDdbKeyId, kDdbSecret, token}, p).ok());
  Received r;
  r.headers.emplace_back("host", "127.0.0.1:8000");
  for (const auto& [k, v] : req.headers) r.headers.emplace_back(k, v);
  return r;
}

void SetHeader(Received* r, const std::string& name, const std::string& value) {
  for (auto& [k, v] : r->headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) v = value;
  }
}

TEST(SigV4Verify, AcceptsWhatSignRequestSigns) {
  const auto t = Utc(2026, 12, 2, 8, 0, 0);
  SigV4Verdict v = VerifySignature(SignedByUs(t).View(), OneKey(), AtTime(t));
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.access_key_id, kDdbKeyId);
  // Within 15 minutes either way.
  EXPECT_TRUE(
      VerifySignature(SignedByUs(t).View(), OneKey(), AtTime(t + std::chrono::minutes(15))).ok);
  EXPECT_TRUE(
      VerifySignature(SignedByUs(t).View(), OneKey(), AtTime(t - std::chrono::minutes(15))).ok);
}

// Signed by botocore 1.43 (python3-boto3's SigV4Auth for dynamodb, eu-west-1): its header
// choice (user-agent unsigned) and its canonical form, checked against ours.
TEST(SigV4Verify, AcceptsABotocoreSignature) {
  Received r;
  r.headers = {{"host", "127.0.0.1:8000"},
               {"content-type", "application/x-amz-json-1.0"},
               {"x-amz-target", "DynamoDB_20120810.GetItem"},
               {"user-agent", "Boto3/1.0 test"},
               {"x-amz-date", "20261202T080510Z"},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDWIRETEST/20261202/eu-west-1/dynamodb/"
                "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                "Signature=54b56c783f28a3ef1cc916a2796a296ba35a758a6ae4e7c8a48017ce239ba7d7"}};
  const auto t = Utc(2026, 12, 2, 8, 5, 10);
  SigV4Verdict v = VerifySignature(r.View(), OneKey(), AtTime(t));
  EXPECT_TRUE(v.ok) << v.message;
  // An unsigned header may change; a signed one may not, nor the body.
  SetHeader(&r, "user-agent", "something else");
  EXPECT_TRUE(VerifySignature(r.View(), OneKey(), AtTime(t)).ok);
  Received body = r;
  body.body = R"({"TableName":"music","Key":{"artist":{"S":"Bac"}}})";
  EXPECT_EQ(VerifySignature(body.View(), OneKey(), AtTime(t)).refusal,
            SigV4Refusal::kInvalidSignature);
  SetHeader(&r, "x-amz-target", "DynamoDB_20120810.DeleteItem");
  SigV4Verdict bad = VerifySignature(r.View(), OneKey(), AtTime(t));
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.refusal, SigV4Refusal::kInvalidSignature);
  EXPECT_EQ(bad.message.rfind("The request signature we calculated does not match the signature "
                              "you provided. Check your AWS Secret Access Key and signing method. "
                              "Consult the service documentation for details.",
                              0),
            0u)
      << bad.message;
}

TEST(SigV4Verify, RefusesWithAwsNamesAndMessages) {
  const auto t = Utc(2026, 12, 2, 8, 0, 0);
  auto verdict = [&](const Received& r, const CredentialsLookup& lookup = OneKey()) {
    return VerifySignature(r.View(), lookup, AtTime(t));
  };
  // No Authorization, or not an AWS4 one.
  Received none = SignedByUs(t);
  std::erase_if(none.headers, [](const auto& h) { return h.first == "Authorization"; });
  EXPECT_EQ(verdict(none).refusal, SigV4Refusal::kMissingAuthenticationToken);
  EXPECT_EQ(verdict(none).message, "Request is missing Authentication Token");
  Received basic = SignedByUs(t);
  SetHeader(&basic, "authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(verdict(basic).refusal, SigV4Refusal::kMissingAuthenticationToken);

  // Unknown key.
  SigV4Verdict unknown = verdict(SignedByUs(t), OneKey("AKIDOTHER"));
  EXPECT_EQ(unknown.refusal, SigV4Refusal::kUnrecognizedClient);
  EXPECT_EQ(unknown.message, "The security token included in the request is invalid.");
  EXPECT_EQ(RefusalName(unknown.refusal), "UnrecognizedClientException");

  // Wrong secret.
  SigV4Verdict wrong = verdict(SignedByUs(t), OneKey(kDdbKeyId, "not the secret"));
  EXPECT_EQ(wrong.refusal, SigV4Refusal::kInvalidSignature);
  EXPECT_NE(wrong.message.find("The Canonical String for this request should have been"),
            std::string::npos);
  EXPECT_EQ(wrong.message.find("not the secret"), std::string::npos);

  // Skewed clocks, both ways, with AWS's wording.
  SigV4Verdict old = verdict(SignedByUs(t - std::chrono::minutes(16)));
  EXPECT_EQ(old.refusal, SigV4Refusal::kInvalidSignature);
  EXPECT_EQ(old.message,
            "Signature expired: 20261202T074400Z is now earlier than 20261202T074500Z "
            "(20261202T080000Z - 15 min.)");
  SigV4Verdict future = verdict(SignedByUs(t + std::chrono::minutes(16)));
  EXPECT_EQ(future.message,
            "Signature not yet current: 20261202T081600Z is still later than 20261202T081500Z "
            "(20261202T080000Z + 15 min.)");

  // Incomplete header, bad date, scope.
  Received partial = SignedByUs(t);
  SetHeader(&partial, "authorization", "AWS4-HMAC-SHA256 Signature=abc");
  SigV4Verdict incomplete = verdict(partial);
  EXPECT_EQ(incomplete.refusal, SigV4Refusal::kIncompleteSignature);
  EXPECT_EQ(incomplete.message.rfind("Authorization header requires 'Credential' parameter. "
                                     "Authorization header requires 'SignedHeaders' parameter. ",
                                     0),
            0u);
  Received bad_date = SignedByUs(t);
  SetHeader(&bad_date, "x-amz-date", "201");
  EXPECT_EQ(verdict(bad_date).message,
            "Date must be in ISO-8601 'basic format'. Got '201'. See "
            "http://en.wikipedia.org/wiki/ISO_8601");
  // Years a clock cannot hold are malformed dates, not arithmetic overflows (found by the
  // dynamodb_wire fuzz target).
  for (std::string year : {"1013", "9999", "1969"}) {
    SetHeader(&bad_date, "x-amz-date", year + "0601T080000Z");
    EXPECT_EQ(verdict(bad_date).refusal, SigV4Refusal::kIncompleteSignature) << year;
  }
  Received s3 = SignedByUs(t);
  for (auto& [k, v] : s3.headers) {
    if (k == "Authorization") v.replace(v.find("/dynamodb/"), 10, "/s3/");
  }
  EXPECT_EQ(verdict(s3).message, "Credential should be scoped to correct service: 'dynamodb'.");
  Received no_host = SignedByUs(t);
  for (auto& [k, v] : no_host.headers) {
    if (k == "Authorization")
      v.replace(v.find("SignedHeaders=content-type;host"), 31, "SignedHeaders=content-type");
  }
  EXPECT_EQ(verdict(no_host).message, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST(SigV4Verify, SessionTokensMustMatch) {
  const auto t = Utc(2026, 12, 2, 8, 0, 0);
  EXPECT_TRUE(
      VerifySignature(SignedByUs(t, "tok").View(), OneKey(kDdbKeyId, kDdbSecret, "tok"), AtTime(t))
          .ok);
  EXPECT_EQ(VerifySignature(SignedByUs(t, "tok").View(), OneKey(), AtTime(t)).refusal,
            SigV4Refusal::kUnrecognizedClient);
  EXPECT_EQ(VerifySignature(SignedByUs(t).View(), OneKey(kDdbKeyId, kDdbSecret, "tok"), AtTime(t))
                .refusal,
            SigV4Refusal::kUnrecognizedClient);
}

}  // namespace
}  // namespace cloudlite
