// The DynamoDB wire alone, over a fake Operations: target parsing, every error shape, the CRC32
// and request id headers, SigV4 (signed by net/sigv4's SignRequest), the body limit, metrics and
// the access log fields.
#include "server/dynamodb/handler.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/offline.h"
#include "net/aws/dynamodb_wire.h"
#include "net/sigv4.h"
#include "server/dynamodb/deadline.h"

namespace cloudlite::server::dynamodb {
namespace {
namespace json = boost::json;

// Answers every operation with `answer`, remembering what it was asked.
class FakeOperations : public Operations {
 public:
  OperationResult Run(std::string_view operation, const json::object& request,
                      const CallContext& context) override {
    std::lock_guard lock(mu_);
    calls.push_back({std::string(operation), request, context.request_id, context.deadline});
    if (throw_) throw std::runtime_error("bug");
    if (takes.count() > 0) std::this_thread::sleep_for(takes);
    // As a store behind the network does on a thread that may not wait for it (base/offline.h).
    if (needs_network && OfflineScope::Active()) {
      OfflineScope::NoteRefused();
      return ApiError{"InternalServerError", "refused", 500, {}};
    }
    return answer;
  }

  struct Call {
    std::string operation;
    json::object request;
    std::string request_id;
    std::chrono::steady_clock::time_point deadline;
  };
  std::mutex mu_;
  std::vector<Call> calls;
  OperationResult answer = json::object{{"TableNames", json::array{"cloudlite-test"}}};
  bool throw_ = false;
  bool needs_network = false;
  std::chrono::milliseconds takes{0};
};

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const Header& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

std::string LogField(const Response& r, std::string_view key) {
  for (const auto& [k, v] : r.log_fields) {
    if (k == key) return v;
  }
  return "";
}

Request Post(std::string target, std::string body,
             std::string content_type = "application/x-amz-json-1.0") {
  Request r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"host", "127.0.0.1:8000"}};
  if (!content_type.empty()) r.headers.push_back({"content-type", std::move(content_type)});
  if (!target.empty()) r.headers.push_back({"x-amz-target", std::move(target)});
  r.body = std::move(body);
  return r;
}

json::object BodyOf(const Response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  return v.is_object() ? v.as_object() : json::object{};
}

std::string TypeOf(const Response& r) {
  json::object body = BodyOf(r);
  return body.contains("__type") ? std::string(body["__type"].as_string()) : "";
}

class WireTest : public ::testing::Test {
 protected:
  WireHandler Make(HandlerOptions options = {}) { return WireHandler(ops_, std::move(options)); }
  FakeOperations ops_;
};

TEST_F(WireTest, RunsTheTargetOperationOnTheParsedBody) {
  WireHandler wire = Make();
  Response r = wire.Handle(Post("DynamoDB_20120810.ListTables", R"({"Limit": 3})"));
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(ops_.calls.size(), 1u);
  EXPECT_EQ(ops_.calls[0].operation, "ListTables");
  EXPECT_EQ(ops_.calls[0].request.at("Limit").as_int64(), 3);
  EXPECT_EQ(r.body, R"({"TableNames":["cloudlite-test"]})");
  EXPECT_EQ(HeaderOf(r, "content-type"), "application/x-amz-json-1.0");
  EXPECT_EQ(r.route, "ListTables");
  // DynamoDB Local answered this very body with x-amz-crc32: 1287151751.
  EXPECT_EQ(HeaderOf(r, "x-amz-crc32"), "1287151751");
  EXPECT_EQ(HeaderOf(r, "x-amzn-requestid"), ops_.calls[0].request_id);
}

TEST_F(WireTest, AcceptsJson11AndAnyPathAndAnswersInKind) {
  WireHandler wire = Make();
  Request req = Post("DynamoDB_20120810.ListTables", "{}", "application/x-amz-json-1.1");
  req.path = "/some/path";
  Response r = wire.Handle(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "content-type"), "application/x-amz-json-1.1");
  Response charset = wire.Handle(
      Post("DynamoDB_20120810.ListTables", "{}", "application/x-amz-json-1.0; charset=utf-8"));
  EXPECT_EQ(charset.status, 200);
}

TEST_F(WireTest, UnknownOrMissingTargetsAreUnknownOperationException) {
  WireHandler wire = Make();
  for (std::string target :
       {"", "DynamoDB_20120810.Nope", "DynamoDB_20111205.ListTables", "ListTables",
        "DynamoDB_20120810.", "dynamodb_20120810.ListTables", "DynamoDB_20120810.ListTables.x"}) {
    Response r = wire.Handle(Post(target, "{}"));
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(TypeOf(r), "com.amazonaws.dynamodb.v20120810#UnknownOperationException") << target;
    EXPECT_EQ(BodyOf(r).at("message").as_string(), "An unknown operation was requested.");
  }
  EXPECT_TRUE(ops_.calls.empty());
}

TEST_F(WireTest, MalformedJsonOrANonObjectIsSerializationException) {
  WireHandler wire = Make();
  for (std::string body : {"{x", "[]", "1", "\"s\"", "{\"a\":1}}", "{\"a\":", "null"}) {
    Response r = wire.Handle(Post("DynamoDB_20120810.PutItem", body));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(TypeOf(r), "com.amazonaws.dynamodb.v20120810#SerializationException") << body;
    // DynamoDB's deserializer says "Message", not "message".
    EXPECT_TRUE(BodyOf(r).contains("Message")) << r.body;
    EXPECT_FALSE(HeaderOf(r, "x-amz-crc32").empty());
  }
  Response empty = wire.Handle(Post("DynamoDB_20120810.PutItem", ""));
  EXPECT_EQ(TypeOf(empty), "com.amazonaws.dynamodb.v20120810#SerializationException");
  EXPECT_TRUE(ops_.calls.empty());
}

TEST_F(WireTest, NotAPostOfJsonIsA404AsDynamoDbAnswers) {
  WireHandler wire = Make();
  Request get = Post("DynamoDB_20120810.ListTables", "");
  get.method = "GET";
  Request text = Post("DynamoDB_20120810.ListTables", "{}", "text/plain");
  Request none = Post("DynamoDB_20120810.ListTables", "{}", "");
  for (const Request& req : {get, text, none}) {
    Response r = wire.Handle(req);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, "<UnknownOperationException/>\n");
    EXPECT_EQ(HeaderOf(r, "x-amz-crc32"), std::to_string(ddb::Crc32(r.body)));
    EXPECT_FALSE(HeaderOf(r, "x-amzn-requestid").empty());
  }
  EXPECT_TRUE(ops_.calls.empty());
}

TEST_F(WireTest, OperationErrorsKeepTheirTypeStatusAndMembers) {
  WireHandler wire = Make();
  ops_.answer = ApiError{"ConditionalCheckFailedException",
                         "The conditional request failed",
                         400,
                         {{"Item", json::object{{"k", json::object{{"S", "v"}}}}}}};
  Response r = wire.Handle(Post("DynamoDB_20120810.PutItem", R"({"TableName":"t1"})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
            R"("message":"The conditional request failed","Item":{"k":{"S":"v"}}})");
  EXPECT_EQ(HeaderOf(r, "x-amz-crc32"), std::to_string(ddb::Crc32(r.body)));
  EXPECT_EQ(LogField(r, "error"), "ConditionalCheckFailedException");

  ops_.answer = ErrorFromStatus(Status::Unavailable("the store is down"));
  Response down = wire.Handle(Post("DynamoDB_20120810.GetItem", "{}"));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(TypeOf(down), "com.amazonaws.dynamodb.v20120810#ServiceUnavailable");

  // The request's deadline reaches the operation; what it did not run in time is an error SDKs
  // retry.
  Request late = Post("DynamoDB_20120810.PutItem", R"({"TableName":"t1"})");
  late.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  ops_.answer = ErrorFromStatus(NotRunInTime());
  Response timed_out = wire.Handle(late);
  EXPECT_EQ(ops_.calls.back().deadline, late.deadline);
  EXPECT_EQ(timed_out.status, 500);
  EXPECT_EQ(TypeOf(timed_out), "com.amazonaws.dynamodb.v20120810#RequestTimeoutException");
  EXPECT_EQ(LogField(timed_out, "error"), "RequestTimeoutException");
  // Known by its code, not its words: a layer that adds context keeps it a timeout.
  ApiError wrapped = ErrorFromStatus(NotRunInTime().WithContext("partition 3 of t1"));
  EXPECT_EQ(wrapped.type, "RequestTimeoutException");
  EXPECT_FALSE(NotRunInTime().IsRetryable());  // no retry fits in a deadline that has passed
}

TEST_F(WireTest, AnOperationThatThrowsIsAnInternalServerError) {
  WireHandler wire = Make();
  ops_.throw_ = true;
  Response r = wire.Handle(Post("DynamoDB_20120810.GetItem", "{}"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(TypeOf(r), "com.amazonaws.dynamodb.v20120810#InternalServerError");
}

TEST_F(WireTest, RequestIdsAreUniqueAndShapedLikeDynamoDbs) {
  WireHandler wire = Make();
  WireHandler other = Make();
  std::set<std::string> ids;
  for (int i = 0; i < 500; i++) {
    for (WireHandler* w : {&wire, &other}) {
      std::string id =
          HeaderOf(w->Handle(Post("DynamoDB_20120810.ListTables", "{}")), "x-amzn-requestid");
      EXPECT_EQ(id.size(), 52u);
      for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) << id;
      ids.insert(id);
    }
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST_F(WireTest, BodiesOverTheLimitAre413) {
  HandlerOptions o;
  o.max_body_bytes = 16;  // {"Limit": 1234} is 15 bytes, {"Limit": 123456} 17
  WireHandler wire = Make(std::move(o));
  EXPECT_EQ(wire.Handle(Post("DynamoDB_20120810.ListTables", R"({"Limit": 1234})")).status, 200);
  Response r = wire.Handle(Post("DynamoDB_20120810.ListTables", R"({"Limit": 123456})"));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(TypeOf(r), "com.amazonaws.dynamodb.v20120810#RequestEntityTooLarge");
  EXPECT_EQ(ops_.calls.size(), 1u);
}

TEST_F(WireTest, AccessLogFieldsNameOperationTableAndRequest) {
  WireHandler wire = Make();
  Response r = wire.Handle(Post("DynamoDB_20120810.GetItem", R"({"TableName":"music"})"));
  EXPECT_EQ(LogField(r, "operation"), "GetItem");
  EXPECT_EQ(LogField(r, "table"), "music");
  EXPECT_EQ(LogField(r, "request_id"), HeaderOf(r, "x-amzn-requestid"));
  Response batch =
      wire.Handle(Post("DynamoDB_20120810.BatchGetItem", R"({"RequestItems":{"a":{},"b":{}}})"));
  EXPECT_EQ(LogField(batch, "table"), "a,b");
}

TEST_F(WireTest, MetricsCountOperationsByResult) {
  MetricsRegistry metrics;
  int refreshed = 0;
  HandlerOptions o;
  o.metrics = &metrics;
  o.refresh_metrics = [&refreshed] { refreshed++; };
  WireHandler wire = Make(std::move(o));
  wire.Handle(Post("DynamoDB_20120810.PutItem", "{}"));
  wire.Handle(Post("DynamoDB_20120810.PutItem", "{}"));
  ops_.answer = ApiError{"ValidationException", "bad", 400, {}};
  wire.Handle(Post("DynamoDB_20120810.PutItem", "{}"));
  Request get;
  get.method = "GET";
  get.path = "/metrics";
  Response m = wire.Handle(get);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.route, "metrics");
  EXPECT_EQ(refreshed, 1);
  EXPECT_NE(m.body.find(R"(cloudlite_dynamodb_requests_total{operation="PutItem",result="ok"} 2)"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find(R"(cloudlite_dynamodb_requests_total{operation="PutItem",)"
                        R"(result="ValidationException"} 1)"),
            std::string::npos);
  EXPECT_NE(m.body.find(R"(cloudlite_dynamodb_operation_duration_seconds_count{)"
                        R"(operation="PutItem"} 3)"),
            std::string::npos);
}

TEST_F(WireTest, ReadyzAsksTheProbe) {
  Status state = Status::Ok();
  HandlerOptions o;
  o.ready = [&state] { return state; };
  WireHandler wire = Make(std::move(o));
  Request get;
  get.method = "GET";
  get.path = "/readyz";
  EXPECT_EQ(wire.Handle(get).status, 200);
  state = Status::Unavailable("no store");
  EXPECT_EQ(wire.Handle(get).status, 503);
  // Without a registry, /metrics is no route of ours: DynamoDB's 404.
  get.path = "/metrics";
  EXPECT_EQ(wire.Handle(get).status, 404);
}

TEST_F(WireTest, TheFastPathAnswersReadsThatNeedNoStoreAndLeavesTheRestToTheWorkers) {
  MetricsRegistry metrics;
  HandlerOptions o;
  o.metrics = &metrics;
  o.inline_budget = std::chrono::seconds(10);
  WireHandler wire = Make(std::move(o));
  const Request get_item = Post("DynamoDB_20120810.GetItem", R"({"TableName": "t"})");
  std::optional<Response> fast = wire.TryInline(get_item);
  ASSERT_TRUE(fast);
  Response slow = wire.Handle(get_item);
  EXPECT_EQ(fast->status, 200);
  EXPECT_EQ(fast->body, slow.body);
  EXPECT_EQ(fast->route, "GetItem");
  EXPECT_EQ(HeaderOf(*fast, "x-amz-crc32"), HeaderOf(slow, "x-amz-crc32"));
  EXPECT_EQ(LogField(*fast, "table"), "t");
  EXPECT_TRUE(wire.TryInline(Post("DynamoDB_20120810.Query", "{}")));
  EXPECT_TRUE(wire.TryInline(Post("DynamoDB_20120810.BatchGetItem", "{}")));
  // Writes, scans and what is not an operation are the workers'.
  const size_t ran = ops_.calls.size();
  EXPECT_FALSE(wire.TryInline(Post("DynamoDB_20120810.PutItem", "{}")));
  EXPECT_FALSE(wire.TryInline(Post("DynamoDB_20120810.Scan", "{}")));
  EXPECT_FALSE(wire.TryInline(Post("DynamoDB_20120810.NoSuchThing", "{}")));
  Request metrics_get;
  metrics_get.method = "GET";
  metrics_get.path = "/metrics";
  EXPECT_FALSE(wire.TryInline(metrics_get));
  // So are strongly consistent reads (unless inline_consistent_reads: a local store).
  EXPECT_FALSE(wire.TryInline(
      Post("DynamoDB_20120810.GetItem", R"({"TableName": "t", "ConsistentRead": true})")));
  EXPECT_FALSE(wire.TryInline(Post("DynamoDB_20120810.BatchGetItem",
                                   R"({"RequestItems": {"a": {"Keys": []},
                                       "b": {"Keys": [], "ConsistentRead": true}}})")));
  EXPECT_EQ(ops_.calls.size(), ran);
  // A read that needed the store: refused the network, its answer thrown away and not counted.
  ops_.needs_network = true;
  EXPECT_FALSE(wire.TryInline(get_item));
  EXPECT_EQ(ops_.calls.size(), ran + 1);
  Response m = wire.Handle(metrics_get);
  EXPECT_NE(m.body.find(R"(cloudlite_dynamodb_requests_total{operation="GetItem",result="ok"} 2)"),
            std::string::npos)
      << m.body;
  EXPECT_EQ(m.body.find(R"(result="InternalServerError")"), std::string::npos) << m.body;
}

TEST_F(WireTest, TheFastPathTriesConsistentReadsWhenToldAndGivesUpPastItsBudget) {
  // Budgets far from the work's time either way, so that a loaded machine cannot tip them.
  const auto budget = std::chrono::seconds(10);
  HandlerOptions o;
  o.inline_budget = budget;
  o.inline_consistent_reads = true;
  WireHandler wire = Make(std::move(o));
  const Request read =
      Post("DynamoDB_20120810.GetItem", R"({"TableName": "t", "ConsistentRead": true})");
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(wire.TryInline(read));
  // The operation is told the fast path's end as its deadline.
  EXPECT_LE(ops_.calls.back().deadline, std::chrono::steady_clock::now() + budget);
  EXPECT_GE(ops_.calls.back().deadline, before + budget);
  HandlerOptions tight;
  tight.inline_budget = std::chrono::milliseconds(1);
  tight.inline_consistent_reads = true;
  WireHandler hurried = Make(std::move(tight));
  ops_.takes = std::chrono::milliseconds(50);
  EXPECT_FALSE(hurried.TryInline(read));
  // Without a budget there is no fast path.
  WireHandler off = Make();
  ops_.takes = std::chrono::milliseconds(0);
  EXPECT_FALSE(off.TryInline(read));
}

// ---- SigV4 ------------------------------------------------------------------------------------

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

// A request signed by net/sigv4's SignRequest (what cloudlite's own DynamoDB client sends), as
// the listener hands it over: lower-case names, the host header.
Request Signed(const std::string& key_id, const std::string& secret,
               std::chrono::system_clock::time_point when, std::string body = "{}") {
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:8000/";
  req.body = body;
  req.SetHeader("Content-Type", "application/x-amz-json-1.0");
  req.SetHeader("X-Amz-Target", "DynamoDB_20120810.ListTables");
  SigV4Params p;
  p.service = "dynamodb";
  p.region = "us-east-1";
  p.time = when;
  EXPECT_TRUE(SignRequest(&req, AwsCredentials{key_id, secret, ""}, p).ok());
  Request r;
  r.method = "POST";
  r.path = "/";
  r.body = std::move(body);
  r.headers.push_back({"host", "127.0.0.1:8000"});
  for (const auto& [k, v] : req.headers) {
    std::string name = k;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.push_back({name, v});
  }
  return r;
}

class WireAuthTest : public WireTest {
 protected:
  void SetUp() override {
    Result<AccessKeys> keys = AccessKeys::Parse("# test keys\nAKIDONE secret-one\n");
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    keys_ = std::move(keys).value();
  }
  WireHandler MakeAuth() {
    HandlerOptions o;
    o.access_keys = &keys_;
    o.now = [this] { return now_; };
    return Make(std::move(o));
  }
  AccessKeys keys_;
  std::chrono::system_clock::time_point now_ = Utc(2026, 12, 2, 8, 0, 0);
};

TEST_F(WireAuthTest, AcceptsAGoodSignature) {
  WireHandler wire = MakeAuth();
  Response r = wire.Handle(Signed("AKIDONE", "secret-one", now_));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ops_.calls.size(), 1u);
}

TEST_F(WireAuthTest, RefusesWithDynamoDbsErrors) {
  WireHandler wire = MakeAuth();
  auto expect = [&](const Request& req, const std::string& type, const std::string& prefix) {
    Response r = wire.Handle(req);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(TypeOf(r), "com.amazonaws.dynamodb.v20120810#" + type);
    std::string message(BodyOf(r).at("message").as_string());
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    EXPECT_EQ(HeaderOf(r, "x-amz-crc32"), std::to_string(ddb::Crc32(r.body)));
  };
  expect(Post("DynamoDB_20120810.ListTables", "{}"), "MissingAuthenticationTokenException",
         "Request is missing Authentication Token");
  expect(Signed("AKIDTWO", "secret-one", now_), "UnrecognizedClientException",
         "The security token included in the request is invalid.");
  expect(Signed("AKIDONE", "secret-two", now_), "InvalidSignatureException",
         "The request signature we calculated does not match the signature you provided.");
  expect(Signed("AKIDONE", "secret-one", now_ - std::chrono::minutes(20)),
         "InvalidSignatureException",
         "Signature expired: 20261202T074000Z is now earlier than 20261202T074500Z "
         "(20261202T080000Z - 15 min.)");
  Request tampered = Signed("AKIDONE", "secret-one", now_, R"({"Limit":1})");
  tampered.body = R"({"Limit":2})";
  expect(tampered, "InvalidSignatureException", "The request signature we calculated");
  EXPECT_TRUE(ops_.calls.empty());
}

// Messages quote what the client sent; the body stays valid JSON (UTF-8) whatever it was.
// (Found by the dynamodb_wire fuzz target.)
TEST_F(WireAuthTest, MessagesQuotingClientBytesStayUtf8) {
  WireHandler wire = MakeAuth();
  Request req = Post("DynamoDB_20120810.ListTables", "{}");
  req.headers.push_back({"authorization", "AWS4-HMAC-SHA256 Credential=\xff\xc0\x80\xed\xa0\x80"});
  req.headers.push_back({"x-amz-date", "20261202T080000Z"});
  Response r = wire.Handle(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(TypeOf(r), "com.amazonaws.dynamodb.v20120810#IncompleteSignatureException");
  std::string message(BodyOf(r).at("message").as_string());
  EXPECT_NE(message.find("Credential=\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos) << message;
  EXPECT_EQ(message.find('\xff'), std::string::npos);
}

TEST_F(WireAuthTest, WithoutKeysAnySignatureOrNoneIsAccepted) {
  WireHandler wire = Make();
  EXPECT_EQ(wire.Handle(Signed("ANYONE", "anything", now_ - std::chrono::hours(24))).status, 200);
  EXPECT_EQ(wire.Handle(Post("DynamoDB_20120810.ListTables", "{}")).status, 200);
}

TEST(AccessKeysTest, ParsesLinesAndTheAwsIniForm) {
  Result<AccessKeys> lines = AccessKeys::Parse("# comment\n\nAKID1 s1\n  AKID2\ts2 token2  \n");
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_EQ(lines->size(), 2u);
  EXPECT_EQ(lines->Find("AKID1")->secret, "s1");
  EXPECT_EQ(lines->Find("AKID2")->session_token, "token2");
  EXPECT_EQ(lines->Find("AKID3"), nullptr);

  Result<AccessKeys> ini = AccessKeys::Parse(
      "[default]\naws_access_key_id = AKIDA\naws_secret_access_key = sa\nregion = us-east-1\n"
      "; other\n[ci]\naws_access_key_id=AKIDB\naws_secret_access_key=sb\naws_session_token=tb\n");
  ASSERT_TRUE(ini.ok()) << ini.status().ToString();
  EXPECT_EQ(ini->size(), 2u);
  EXPECT_EQ(ini->Find("AKIDA")->secret, "sa");
  EXPECT_EQ(ini->Find("AKIDB")->session_token, "tb");
}

TEST(AccessKeysTest, RefusesFilesItCannotUseWithoutQuotingSecrets) {
  for (std::string text : {"", "# nothing\n", "AKID1\n", "AKID1 s1 t1 extra\n",
                           "AKID1 s1\nAKID1 other-secret\n", "[p]\naws_access_key_id = A\n"}) {
    Result<AccessKeys> keys = AccessKeys::Parse(text);
    EXPECT_EQ(keys.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_EQ(keys.status().message().find("other-secret"), std::string::npos);
  }
  EXPECT_EQ(AccessKeys::LoadFile("/nonexistent/credentials").status().code(),
            Status::Code::kNotFound);
}

}  // namespace
}  // namespace cloudlite::server::dynamodb
