#include "lambda_function/function.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/base64.h"
#include "cloudlite/admin.h"
#include "lambda/lambda.h"
#include "net/sigv4.h"
#include "testing/env.h"
#include "testing/temp_dir.h"

namespace cloudlite::lambda_function {
namespace {
namespace json = boost::json;

EnvLookup Env(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

bool NoFile(const std::string&) { return false; }

TEST(LambdaFunctionConfigTest, NeedsAStore) {
  Result<FunctionConfig> c = ConfigFromEnvironment(Env({}), {}, NoFile);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("CLOUDLITE_STORE"), std::string::npos);
  // VAR= is unset, as in shells.
  EXPECT_FALSE(ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", ""}}), {}, NoFile).ok());
}

TEST(LambdaFunctionConfigTest, DefaultsForLambda) {
  Result<FunctionConfig> c =
      ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", "s3://b/p"}}), {}, NoFile);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->store, "s3://b/p");
  EXPECT_FALSE(c->create);
  EXPECT_TRUE(c->log_requests);
  EXPECT_EQ(c->default_database, "default");
  EXPECT_EQ(c->deadline_margin.count(), 200);
  EXPECT_EQ(c->ca_bundle, "");
}

TEST(LambdaFunctionConfigTest, SizesTheFrameCacheFromTheFunctionsMemory) {
  auto cache = [](std::string memory_mb) {
    return DefaultOptions(Env({{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb}})).cache_bytes;
  };
  EXPECT_EQ(cache("1024"), size_t{256} << 20);
  EXPECT_EQ(cache("10240"), size_t{2560} << 20);
  EXPECT_EQ(cache("128"), kDefaultCacheBytes);  // the floor
  EXPECT_EQ(cache("lots"), kDefaultCacheBytes);
  EXPECT_EQ(cache(""), kDefaultCacheBytes);
  EXPECT_EQ(DefaultOptions(Env({})).cache_dir, kDefaultCacheDir);
  // The variables win, as main() applies them.
  test::ScopedEnv vars({{"CLOUDLITE_CACHE_SIZE", "1048576"}, {"CLOUDLITE_CACHE_DIR", "/tmp/x"}});
  Result<Options> options =
      OptionsFromEnvironment(DefaultOptions(Env({{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"}})));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->cache_bytes, size_t{1} << 20);
  EXPECT_EQ(options->cache_dir, "/tmp/x");
}

TEST(LambdaFunctionConfigTest, ReadsEverySetting) {
  Options options;
  options.cache_dir = "/tmp/elsewhere";
  Result<FunctionConfig> c = ConfigFromEnvironment(
      Env({{"CLOUDLITE_STORE", "file:///x"},
           {"CLOUDLITE_CREATE", "1"},
           {"CLOUDLITE_LOG", "off"},
           {"CLOUDLITE_DEFAULT_DATABASE", "main"},
           {"CLOUDLITE_DEADLINE_MARGIN_MS", "350"}}),
      options, [](const std::string& path) { return path == kAmazonLinuxCaBundle; });
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->create);
  EXPECT_FALSE(c->log_requests);
  EXPECT_EQ(c->default_database, "main");
  EXPECT_EQ(c->deadline_margin.count(), 350);
  EXPECT_EQ(c->options.cache_dir, "/tmp/elsewhere");
  EXPECT_EQ(c->ca_bundle, kAmazonLinuxCaBundle);
}

TEST(LambdaFunctionConfigTest, AnExplicitCaBundleWins) {
  Result<FunctionConfig> c = ConfigFromEnvironment(
      Env({{"CLOUDLITE_STORE", "file:///x"}, {"AWS_CA_BUNDLE", "/my/ca.pem"}}), {},
      [](const std::string&) { return true; });
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ca_bundle, "");  // AWS_CA_BUNDLE stays as the user set it
}

TEST(LambdaFunctionConfigTest, RefusesMalformedSettingsNamingThem) {
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"CLOUDLITE_CREATE", "yes please"},
           {"CLOUDLITE_LOG", "2"},
           {"CLOUDLITE_DEADLINE_MARGIN_MS", "-1"},
           {"CLOUDLITE_DEADLINE_MARGIN_MS", "10s"},
           {"CLOUDLITE_DYNAMODB_PARTITIONS", "0"},
           {"CLOUDLITE_DYNAMODB_PARTITIONS", "257"},
           {"CLOUDLITE_DYNAMODB_EVENTUAL_STALENESS_MS", "1s"},
           {"CLOUDLITE_DYNAMODB_MAX_OPEN_PARTITIONS", "0"},
       }) {
    Result<FunctionConfig> c =
        ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", "file:///x"}, {name, value}}), {}, NoFile);
    ASSERT_FALSE(c.ok()) << name << "=" << value;
    EXPECT_NE(c.status().message().find(name + "=" + value), std::string::npos);
  }
}

TEST(LambdaFunctionConfigTest, ReadsTheDynamoDbSettingsForThatApiOnly) {
  std::map<std::string, std::string, std::less<>> env{{"CLOUDLITE_STORE", "file:///x"},
                                                      {"CLOUDLITE_API", "dynamodb"},
                                                      {"CLOUDLITE_INSECURE_NO_AUTH", "1"}};
  Result<FunctionConfig> c = ConfigFromEnvironment(Env(env), {}, NoFile);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->dynamodb_partitions);  // the table service's defaults
  EXPECT_FALSE(c->dynamodb_eventual_staleness);
  EXPECT_FALSE(c->dynamodb_max_open_partitions);
  env["CLOUDLITE_DYNAMODB_PARTITIONS"] = "1";
  env["CLOUDLITE_DYNAMODB_EVENTUAL_STALENESS_MS"] = "0";
  env["CLOUDLITE_DYNAMODB_MAX_OPEN_PARTITIONS"] = "16";
  c = ConfigFromEnvironment(Env(env), {}, NoFile);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->dynamodb_partitions, 1);
  EXPECT_EQ(c->dynamodb_eventual_staleness, std::chrono::milliseconds(0));
  EXPECT_EQ(c->dynamodb_max_open_partitions, 16u);
  // Given to the SQL API: a mistake said at init.
  c = ConfigFromEnvironment(
      Env({{"CLOUDLITE_STORE", "file:///x"}, {"CLOUDLITE_DYNAMODB_PARTITIONS", "1"}}), {}, NoFile);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("CLOUDLITE_API=dynamodb"), std::string::npos);
}

TEST(LambdaFunctionConfigTest, ChoosesTheApiAndItsAuth) {
  Result<FunctionConfig> c = ConfigFromEnvironment(
      Env({{"CLOUDLITE_STORE", "file:///x"}, {"CLOUDLITE_AUTH_JWT_KEY", "KEY"}}), {}, NoFile);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api, Api::kSql);
  EXPECT_EQ(c->jwt_keys.text, "KEY");
  EXPECT_EQ(c->region, "us-east-1");

  c = ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", "file:///x"},
                                 {"CLOUDLITE_API", "dynamodb"},
                                 {"CLOUDLITE_DYNAMODB_CREDENTIALS_FILE", "/opt/keys"},
                                 {"AWS_REGION", "eu-west-1"}}),
                            {}, NoFile);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api, Api::kDynamoDb);
  EXPECT_EQ(c->dynamodb_credentials.file, "/opt/keys");
  EXPECT_EQ(c->region, "eu-west-1");

  // The DynamoDB API is not served open unless asked for in so many words.
  c = ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", "file:///x"}, {"CLOUDLITE_API", "dynamodb"}}),
                            {}, NoFile);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("CLOUDLITE_DYNAMODB_CREDENTIALS"), std::string::npos);
  c = ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", "file:///x"},
                                 {"CLOUDLITE_API", "dynamodb"},
                                 {"CLOUDLITE_INSECURE_NO_AUTH", "1"}}),
                            {}, NoFile);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->insecure_no_auth);
}

TEST(LambdaFunctionConfigTest, RefusesAuthSettingsThatCannotApply) {
  for (const std::map<std::string, std::string, std::less<>>& vars :
       std::vector<std::map<std::string, std::string, std::less<>>>{
           {{"CLOUDLITE_API", "graphql"}},
           {{"CLOUDLITE_AUTH_JWT_KEY", "K"}, {"CLOUDLITE_AUTH_JWT_KEY_FILE", "/k"}},
           {{"CLOUDLITE_DYNAMODB_CREDENTIALS", "A S"}},  // the SQL API checks JWTs
           {{"CLOUDLITE_API", "dynamodb"},
            {"CLOUDLITE_DYNAMODB_CREDENTIALS", "A S"},
            {"CLOUDLITE_AUTH_JWT_KEY", "K"}},
       }) {
    std::map<std::string, std::string, std::less<>> env = vars;
    env["CLOUDLITE_STORE"] = "file:///x";
    EXPECT_FALSE(ConfigFromEnvironment(Env(env), {}, NoFile).ok()) << vars.begin()->first;
  }
}

server::Request Direct(std::string body) {
  server::Request r;
  r.method = "POST";
  r.path = std::string(kDirectPath);
  r.body = std::move(body);
  return r;
}

TEST(LambdaFunctionDirectTest, RoutesByPayloadShape) {
  Result<server::Request> r = RouteDirectInvocation(Direct(R"({"requests": []})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/v2/pipeline");
  EXPECT_EQ(r->body, R"({"requests": []})");  // untouched
  r = RouteDirectInvocation(Direct(R"({"sql_statement": "SELECT 1"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/");
  r = RouteDirectInvocation(Direct(R"({"database": "bank", "sql_statement": "SELECT 1"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/bank");
  EXPECT_EQ(r->body, R"({"sql_statement":"SELECT 1"})");
  r = RouteDirectInvocation(Direct(R"({"database": "bank", "requests": []})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/bank/v2/pipeline");
}

TEST(LambdaFunctionDirectTest, RefusesWhatNamesNoSql) {
  for (const char* body : {"[1]", "not json", "{}", R"({"database": 5, "requests": []})",
                           R"({"database": "../x", "requests": []})",
                           R"({"database": "a/v2/pipeline", "sql_statement": "SELECT 1"})"}) {
    EXPECT_FALSE(RouteDirectInvocation(Direct(body)).ok()) << body;
  }
}

TEST(LambdaFunctionLogTest, OneJsonLineWithTheStoreRequestsOfTheRequest) {
  server::Request request;
  request.method = "POST";
  request.path = "/v2/pipeline";
  server::Response response = server::Response::Text(200, "");
  response.route = "v2/pipeline";
  std::string line =
      RequestLogLine("rid-1", request, response, 1.23456, R"({"get":3,"put":1,"bytes_in":10})",
                     R"({"get":5,"put":1,"bytes_in":25,"list":1})");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json::object o = json::parse(line).as_object();
  EXPECT_EQ(o["request_id"].as_string(), "rid-1");
  EXPECT_FALSE(o.contains("route"));
  EXPECT_EQ(o["status"].as_int64(), 200);
  EXPECT_DOUBLE_EQ(o["ms"].as_double(), 1.234);
  json::object store = o["store"].as_object();
  EXPECT_EQ(store["get"].as_int64(), 2);
  EXPECT_EQ(store["put"].as_int64(), 0);
  EXPECT_EQ(store["bytes_in"].as_int64(), 15);
  EXPECT_EQ(store["list"].as_int64(), 1);

  // The handler's log fields (the DynamoDB API's operation and table) join the line; the Lambda
  // request id stays the line's own.
  response.log_fields = {{"operation", "PutItem"}, {"table", "t"}, {"request_id", "wire-id"}};
  o = json::parse(RequestLogLine("rid-1", request, response, 1, "{}", "{}")).as_object();
  EXPECT_EQ(o["operation"].as_string(), "PutItem");
  EXPECT_EQ(o["table"].as_string(), "t");
  EXPECT_EQ(o["request_id"].as_string(), "rid-1");
}

class FunctionTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("lambda-fn"); }
  void TearDown() override { test::RemoveTree(dir_); }

  FunctionConfig Config() {
    FunctionConfig c;
    c.store = "file://" + dir_ + "/store";
    c.create = true;
    c.log_requests = false;
    c.options.cache_dir = dir_ + "/tmp-cache";
    return c;
  }
  std::string dir_;
};

int64_t StoreRequests() {
  json::object o = json::parse(ProcessStoreStatsJson()).as_object();
  return o["get"].to_number<int64_t>() + o["put"].to_number<int64_t>() +
         o["list"].to_number<int64_t>() + o["delete"].to_number<int64_t>();
}

TEST_F(FunctionTest, InitFailsOnAStoreThatIsNotThere) {
  FunctionConfig c = Config();
  c.create = false;
  Result<std::unique_ptr<Function>> f = Function::Open(c);
  EXPECT_FALSE(f.ok());
}

TEST_F(FunctionTest, ServesHttpAndDirectRequestsAndStaysWarm) {
  Result<std::unique_ptr<Function>> f = Function::Open(Config());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  server::Request create;
  create.method = "POST";
  create.path = "/bank";
  create.body = R"j({"sql_statement": "CREATE TABLE t (x INTEGER)"})j";
  ASSERT_EQ((*f)->Handle(create).status, 200);

  auto read = [&] {
    server::Request r = Direct(
        R"j({"database": "bank", "requests": [)j"
        R"j({"type": "execute", "stmt": {"sql": "SELECT count(*) FROM t"}}, {"type": "close"}]})j");
    int64_t before = StoreRequests();
    server::Response out = (*f)->Handle(r);
    EXPECT_EQ(out.status, 200) << out.body;
    return StoreRequests() - before;
  };
  int64_t first = read();
  int64_t second = read();
  // The database stays open between invocations: an up-to-date read asks the store only
  // whether anything newer was committed.
  EXPECT_EQ(second, 1);
  EXPECT_LE(second, first);

  server::Response bad = (*f)->Handle(Direct("{}"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("INVALID_DIRECT_INVOCATION"), std::string::npos);
}

// A test key pair's public half (base64url, as sqld's key files hold it) and two tokens it signed
// (no exp): {"a":"ro"} and {"a":"rw"}.
constexpr std::string_view kJwtKey = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg";
constexpr std::string_view kReadOnlyToken =
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhIjoicm8ifQ.pqLAwyr4fAwiHPn8QEIHJu8-Nt-khqamFtASm5bknT"
    "uqKtTjGL1UvtQ6fchZc_jNWJjCcaGF6qdY2azVBSMxBg";
constexpr std::string_view kReadWriteToken =
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhIjoicncifQ.oCS2gXQE8TTiIxl5Val3WT2-6y-bDSPoNG2ozfPq8p"
    "Jj0SwdIm1YdgjOOJUI4yjG0aECIZ5RY26aBDG-578TBQ";

TEST_F(FunctionTest, ChecksJwtsAsServeDoes) {
  FunctionConfig c = Config();
  c.jwt_keys.text = std::string(kJwtKey);
  Result<std::unique_ptr<Function>> f = Function::Open(c);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto run = [&](std::string_view token, const std::string& sql) {
    server::Request r;
    r.method = "POST";
    r.path = "/jwt/v2/pipeline";
    r.body = R"({"requests": [{"type": "execute", "stmt": {"sql": ")" + sql +
             R"("}}, {"type": "close"}]})";
    if (!token.empty()) r.headers.push_back({"authorization", "Bearer " + std::string(token)});
    return (*f)->Handle(r);
  };
  server::Response out = run(kReadWriteToken, "CREATE TABLE t (x)");
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(out.body.find("\"error\""), std::string::npos) << out.body;
  // Read-only: reads, and a write is refused by SQLite's authorizer, in the pipeline's result.
  out = run(kReadOnlyToken, "SELECT count(*) FROM t");
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(out.body.find("\"error\""), std::string::npos) << out.body;
  out = run(kReadOnlyToken, "INSERT INTO t VALUES (1)");
  EXPECT_NE(out.body.find("\"error\""), std::string::npos) << out.body;
  out = run(kReadWriteToken, "SELECT count(*) FROM t");
  EXPECT_NE(out.body.find("\"value\":\"0\""), std::string::npos) << out.body;  // nothing written
  // No token, a token not signed by the key, a tampered one: 401.
  std::string forged(kReadWriteToken);
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  for (std::string_view token :
       {std::string_view(), std::string_view("not.a.token"), std::string_view(forged)}) {
    out = run(token, "SELECT 1");
    EXPECT_EQ(out.status, 401) << token << " " << out.body;
  }
}

TEST_F(FunctionTest, RefusesJwtKeysThatDoNotParse) {
  FunctionConfig c = Config();
  c.jwt_keys.text = "not a key";
  EXPECT_FALSE(Function::Open(c).ok());
}

// The DynamoDB API behind a function URL: the events as Lambda delivers them (payload 2.0, the
// body base64-encoded), signed by net/sigv4 as cloudlite's own DynamoDB client signs.
class DynamoDbFunctionTest : public FunctionTest {
 protected:
  static constexpr std::string_view kHost = "abcdefg.lambda-url.us-east-1.on.aws";

  FunctionConfig DynamoConfig() {
    FunctionConfig c = Config();
    c.api = Api::kDynamoDb;
    c.dynamodb_credentials.text = "AKIDLAMBDA lambda-secret\n";
    return c;
  }

  static std::string Event(const std::string& target, const std::string& body,
                           const std::string& secret) {
    HttpRequest req;
    req.method = "POST";
    req.url = "https://" + std::string(kHost) + "/";
    req.body = body;
    req.SetHeader("Content-Type", "application/x-amz-json-1.0");
    req.SetHeader("X-Amz-Target", "DynamoDB_20120810." + target);
    SigV4Params p;
    p.service = "dynamodb";
    p.region = "us-east-1";
    EXPECT_TRUE(SignRequest(&req, AwsCredentials{"AKIDLAMBDA", secret, ""}, p).ok());
    json::object headers;
    headers["host"] = kHost;
    headers["x-forwarded-proto"] = "https";
    for (const auto& [k, v] : req.headers) {
      std::string name = k;
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      headers[name] = v;
    }
    json::object event;
    event["version"] = "2.0";
    event["routeKey"] = "$default";
    event["rawPath"] = "/";
    event["rawQueryString"] = "";
    event["headers"] = std::move(headers);
    event["requestContext"] = {
        {"domainName", kHost},
        {"http", {{"method", "POST"}, {"path", "/"}, {"sourceIp", "203.0.113.7"}}}};
    event["body"] = Base64Encode(body);
    event["isBase64Encoded"] = true;
    return json::serialize(event);
  }

  // The function's answer to one event: the status and the decoded body.
  // `deadline_ms`: Lambda's deadline (Unix ms), 0 for none.
  static std::pair<int64_t, json::object> Call(Function& f, const std::string& event,
                                               int64_t deadline_ms = 0) {
    lambda::Invocation invocation;
    invocation.context.request_id = "rid";
    invocation.context.deadline_ms = deadline_ms;
    invocation.event = event;
    lambda::Reply reply =
        lambda::ServeEvent([&f](const server::Request& r) { return f.Handle(r); }, invocation, {});
    EXPECT_FALSE(reply.error);
    json::object answer = json::parse(reply.payload).as_object();
    std::string body(answer["body"].as_string());
    if (answer["isBase64Encoded"].as_bool()) {
      std::string decoded;
      EXPECT_TRUE(Base64Decode(body, &decoded));
      body = std::move(decoded);
    }
    return {answer["statusCode"].as_int64(), json::parse(body).as_object()};
  }
};

TEST_F(DynamoDbFunctionTest, ServesSignedRequestsFromFunctionUrlEventsAndStaysWarm) {
  Result<std::unique_ptr<Function>> f = Function::Open(DynamoConfig());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto [status, body] = Call(**f, Event("CreateTable", R"({"TableName": "orders",
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
      "BillingMode": "PAY_PER_REQUEST"})",
                                        "lambda-secret"));
  ASSERT_EQ(status, 200) << json::serialize(body);
  std::tie(status, body) =
      Call(**f, Event("PutItem",
                      R"({"TableName": "orders", "Item": {"id": {"S": "a"}, "n": {"N": "7"}}})",
                      "lambda-secret"));
  ASSERT_EQ(status, 200) << json::serialize(body);
  auto get = [&] {
    int64_t before = StoreRequests();
    auto [s, b] = Call(**f, Event("GetItem",
                                  R"({"TableName": "orders", "Key": {"id": {"S": "a"}},
                                      "ConsistentRead": true})",
                                  "lambda-secret"));
    EXPECT_EQ(s, 200) << json::serialize(b);
    EXPECT_EQ(json::serialize(b), R"({"Item":{"id":{"S":"a"},"n":{"N":"7"}}})");
    return StoreRequests() - before;
  };
  get();
  // The partition stays open between invocations: a consistent read asks the store only
  // whether anything newer was committed, and on file:// not even that while the log's
  // directory is unchanged (docs/design.md, "Watching a local log").
  EXPECT_EQ(get(), 0);

  // A wrong secret: DynamoDB's error, nothing served.
  std::tie(status, body) = Call(
      **f,
      Event("GetItem", R"({"TableName": "orders", "Key": {"id": {"S": "a"}}})", "not-the-secret"));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"].as_string(),
            "com.amazonaws.dynamodb.v20120810#InvalidSignatureException");
  // No signature at all.
  json::object unsigned_event = json::parse(Event("ListTables", "{}", "lambda-secret")).as_object();
  unsigned_event["headers"].as_object().erase("authorization");
  std::tie(status, body) = Call(**f, json::serialize(unsigned_event));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"].as_string(),
            "com.amazonaws.dynamodb.v20120810#MissingAuthenticationTokenException");

  // A direct invocation carries nothing to sign: refused, saying why.
  server::Response direct = (*f)->Handle(Direct(R"({"TableName": "orders"})"));
  EXPECT_EQ(direct.status, 400);
  EXPECT_NE(direct.body.find("INVALID_DIRECT_INVOCATION"), std::string::npos);
}

TEST_F(DynamoDbFunctionTest, ARequestWithinTheMarginOfLambdasDeadlineIsAnsweredAndRunsNothing) {
  Result<std::unique_ptr<Function>> f = Function::Open(DynamoConfig());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto [status, body] = Call(**f, Event("CreateTable", R"({"TableName": "late",
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
      "BillingMode": "PAY_PER_REQUEST"})",
                                        "lambda-secret"));
  ASSERT_EQ(status, 200) << json::serialize(body);
  // Lambda's deadline 100 ms away, inside the 200 ms margin: too late to start.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::tie(status, body) = Call(
      **f,
      Event("PutItem", R"({"TableName": "late", "Item": {"id": {"S": "a"}}})", "lambda-secret"),
      now_ms + 100);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(body["__type"].as_string(), "com.amazonaws.dynamodb.v20120810#RequestTimeoutException");
  std::tie(status, body) =
      Call(**f, Event("Scan", R"({"TableName": "late", "ConsistentRead": true})", "lambda-secret"));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["Count"], 0);
}

TEST_F(DynamoDbFunctionTest, TablesGetThePartitionCountOfTheEnvironment) {
  // Four items: in one partition database with one per table, in more than one with 8.
  const std::string transaction = R"({"TransactItems": [
      {"Put": {"TableName": "one", "Item": {"id": {"S": "a"}}}},
      {"Put": {"TableName": "one", "Item": {"id": {"S": "b"}}}},
      {"Put": {"TableName": "one", "Item": {"id": {"S": "c"}}}},
      {"Put": {"TableName": "one", "Item": {"id": {"S": "d"}}}}]})";
  const std::string create = R"({"TableName": "one",
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
      "BillingMode": "PAY_PER_REQUEST"})";
  for (std::optional<int> partitions : {std::optional<int>(), std::optional<int>(1)}) {
    test::RemoveTree(dir_ + "/store");
    FunctionConfig c = DynamoConfig();
    c.dynamodb_partitions = partitions;
    Result<std::unique_ptr<Function>> f = Function::Open(c);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    auto [status, body] = Call(**f, Event("CreateTable", create, "lambda-secret"));
    ASSERT_EQ(status, 200) << json::serialize(body);
    std::tie(status, body) = Call(**f, Event("TransactWriteItems", transaction, "lambda-secret"));
    EXPECT_EQ(status, 200) << json::serialize(body);
    size_t databases = 0;  // the table's partition databases: "t.<id>.<pp>"
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/store")) {
      if (entry.path().filename().string().rfind("t.", 0) == 0) databases++;
    }
    if (partitions) {
      EXPECT_EQ(databases, 1u);
    } else {
      EXPECT_GT(databases, 1u);
    }
  }
}

TEST_F(DynamoDbFunctionTest, InitFailsOnCredentialsThatDoNotParse) {
  FunctionConfig c = DynamoConfig();
  c.dynamodb_credentials.text = "AKIDWITHOUTSECRET\n";
  EXPECT_FALSE(Function::Open(c).ok());
  c.dynamodb_credentials = {"", dir_ + "/no-such-file"};
  EXPECT_FALSE(Function::Open(c).ok());
}

}  // namespace
}  // namespace cloudlite::lambda_function
