#include "lambda/runtime.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "lambda/lambda.h"

namespace cloudlite::lambda {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

HttpResponse NextResponse(std::string id, std::string deadline = "1700000001000") {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"lambda-runtime-aws-request-id", std::move(id)},
               {"lambda-runtime-deadline-ms", std::move(deadline)},
               {"lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:1:function:f"},
               {"lambda-runtime-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}};
  return r;
}

TEST(LambdaRuntimeTest, ReadsTheInvocationContext) {
  Result<InvocationContext> c = ContextFromHeaders(NextResponse("8476a536-e9f4-11e8-9739"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->request_id, "8476a536-e9f4-11e8-9739");
  EXPECT_EQ(c->deadline_ms, 1700000001000);
  EXPECT_EQ(c->function_arn, "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_EQ(c->trace_id, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");

  HttpResponse no_deadline = NextResponse("id");
  no_deadline.headers.erase(no_deadline.headers.begin() + 1);
  c = ContextFromHeaders(no_deadline);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->deadline_ms, 0);
}

TEST(LambdaRuntimeTest, RefusesAnUnusableContext) {
  for (const char* id : {"", "../next", "a/b", "a b", "id?x"}) {
    EXPECT_EQ(ContextFromHeaders(NextResponse(id)).status().code(), Status::Code::kInvalidArgument)
        << id;
  }
  for (const char* deadline : {"soon", "-5", "99999999999999999999", "12a"}) {
    EXPECT_EQ(ContextFromHeaders(NextResponse("id", deadline)).status().code(),
              Status::Code::kInvalidArgument)
        << deadline;
  }
}

TEST(LambdaRuntimeTest, SteadyDeadlineKeepsTheMargin) {
  const SteadyTime steady_now{std::chrono::seconds(1000)};
  InvocationContext c;
  EXPECT_EQ(c.SteadyDeadline(milliseconds(200), 5000, steady_now), SteadyTime::max());
  c.deadline_ms = 5000 + 3000;  // 3 s left
  EXPECT_EQ(c.SteadyDeadline(milliseconds(200), 5000, steady_now), steady_now + milliseconds(2800));
  c.deadline_ms = 5000 + 100;  // less left than the margin: due now
  EXPECT_EQ(c.SteadyDeadline(milliseconds(200), 5000, steady_now), steady_now);
  c.deadline_ms = 4000;  // already past
  EXPECT_EQ(c.SteadyDeadline(milliseconds(200), 5000, steady_now), steady_now);
}

TEST(LambdaRuntimeTest, EncodesTheErrorBodyLambdaExpects) {
  boost::system::error_code ec;
  json::value v =
      json::parse(EncodeFunctionError({"Function.InvalidEvent", "bad \"event\"\n"}), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(v.at("errorType"), "Function.InvalidEvent");
  EXPECT_EQ(v.at("errorMessage"), "bad \"event\"\n");
  EXPECT_EQ(v.at("stackTrace"), json::array());
}

TEST(LambdaRuntimeTest, ServeEventDecodesCallsAndEncodes) {
  Invocation invocation;
  invocation.context.request_id = "req-1";
  invocation.context.deadline_ms = 1;  // long past: the request is due at once
  invocation.event = R"({"httpMethod":"GET","path":"/x","queryStringParameters":{"a":"b c"}})";
  const InvocationContext* seen = nullptr;
  SteadyTime deadline;
  auto handler = [&](const server::Request& r) {
    seen = CurrentInvocation();
    deadline = r.deadline;
    return server::Response::Text(200, r.method + " " + r.path + "?" + r.query);
  };
  const SteadyTime before = std::chrono::steady_clock::now();
  Reply reply = ServeEvent(handler, invocation, {});
  ASSERT_FALSE(reply.error);
  EXPECT_EQ(seen, &invocation.context);
  EXPECT_EQ(CurrentInvocation(), nullptr);
  EXPECT_GE(deadline, before);
  EXPECT_LE(deadline, std::chrono::steady_clock::now());
  boost::system::error_code ec;
  json::value v = json::parse(reply.payload, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(v.at("body"), "GET /x?a=b%20c");
}

TEST(LambdaRuntimeTest, ServeEventReportsAnUndecodableEvent) {
  Invocation invocation;
  invocation.event = "{not json";
  bool called = false;
  Reply reply = ServeEvent(
      [&](const server::Request&) {
        called = true;
        return server::Response();
      },
      invocation, {});
  EXPECT_FALSE(called);
  ASSERT_TRUE(reply.error);
  EXPECT_EQ(reply.error->type, "Function.InvalidEvent");
  EXPECT_NE(reply.error->message.find("not JSON"), std::string::npos);
}

TEST(LambdaRuntimeTest, InitErrorTypes) {
  EXPECT_EQ(InitErrorType(Status::InvalidArgument("x")), "Runtime.ConfigInvalid");
  EXPECT_EQ(InitErrorType(Status::NotFound("x")), "Runtime.ConfigInvalid");
  EXPECT_EQ(InitErrorType(Status::Unavailable("x")), "Runtime.Unavailable");
  EXPECT_EQ(InitErrorType(Status::Corruption("x")), "Runtime.InitError");
}

TEST(LambdaRuntimeTest, NotUnderLambdaWithoutTheRuntimeApi) {
  unsetenv("AWS_LAMBDA_RUNTIME_API");
  EXPECT_EQ(RuntimeClient::FromEnvironment().status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(lambda::Run([](const server::Request&) { return server::Response(); }), 2);
}

}  // namespace
}  // namespace cloudlite::lambda
