#include "lambda/events.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <sstream>

#include "base/base64.h"

namespace cloudlite::lambda {
namespace {

namespace json = boost::json;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(CLOUDLITE_SOURCE_DIR) + "/tests/data/lambda/" + name);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_FALSE(s.str().empty()) << name;
  return s.str();
}

DecodedEvent Decode(const std::string& payload, const DecodeOptions& options = {}) {
  Result<DecodedEvent> d = DecodeEvent(payload, options);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(d).value() : DecodedEvent{};
}

// Every value of header `name`, in order.
std::vector<std::string> Values(const server::Request& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : r.headers) {
    if (h.name == name) out.push_back(h.value);
  }
  return out;
}

json::object Parse(const std::string& payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  EXPECT_FALSE(ec) << payload.substr(0, 200);
  return v.is_object() ? v.get_object() : json::object();
}

TEST(LambdaEventsTest, DecodesHttpApiV2) {
  DecodedEvent d = Decode(Fixture("http_api_v2.json"));
  EXPECT_EQ(d.shape.source, EventSource::kHttpApiV2);
  EXPECT_EQ(d.request.method, "POST");
  EXPECT_EQ(d.request.path, "/my/path");
  EXPECT_EQ(d.request.query, "parameter1=value1&parameter1=value2&parameter2=a%20b");
  EXPECT_EQ(d.request.header("header1"), "value1");
  EXPECT_EQ(Values(d.request, "header1"), std::vector<std::string>{"value1"});  // lower-cased
  EXPECT_EQ(d.request.header("header2"), "value1,value2");
  EXPECT_EQ(d.request.header("cookie"), "cookie1=one; cookie2=two");
  EXPECT_EQ(d.request.body, "Hello from Lambda");
  EXPECT_EQ(d.request.remote, "192.0.2.1");
  EXPECT_EQ(d.request.deadline, std::chrono::steady_clock::time_point::max());
}

TEST(LambdaEventsTest, DecodesFunctionUrlWithBase64Body) {
  DecodedEvent d = Decode(Fixture("function_url.json"));
  EXPECT_EQ(d.shape.source, EventSource::kFunctionUrl);
  EXPECT_EQ(d.request.method, "POST");
  EXPECT_EQ(d.request.path, "/v2/pipeline");
  EXPECT_EQ(d.request.query, "");
  EXPECT_EQ(d.request.body, R"({"requests":[{"type":"close"}]})");
  EXPECT_EQ(d.request.header("content-type"), "application/json");
}

TEST(LambdaEventsTest, DecodesRestApiV1MultiValueHeadersAndQuery) {
  DecodedEvent d = Decode(Fixture("rest_api_v1.json"));
  EXPECT_EQ(d.shape.source, EventSource::kRestApiV1);
  EXPECT_EQ(d.request.method, "GET");
  EXPECT_EQ(d.request.path, "/my/path");
  // multiValueHeaders wins over headers (it holds every value), names lower-cased.
  EXPECT_EQ(Values(d.request, "header2"), (std::vector<std::string>{"value1", "value2"}));
  EXPECT_EQ(d.request.header("cookie"), "a=1; b=2");
  // API Gateway decoded the parameters: the raw query is encoded again.
  EXPECT_EQ(d.request.query, "parameter1=value1&parameter1=value2&q=a%20b%26c");
  EXPECT_EQ(d.request.body, "");  // "body": null
  EXPECT_EQ(d.request.remote, "192.0.2.1");
}

TEST(LambdaEventsTest, DecodesAlbWithItsQueryAsSent) {
  DecodedEvent d = Decode(Fixture("alb.json"));
  EXPECT_EQ(d.shape.source, EventSource::kAlb);
  EXPECT_FALSE(d.shape.multi_value_headers);
  EXPECT_EQ(d.request.path, "/lambda");
  EXPECT_EQ(d.request.query, "query=1234ABCD&name=a%20b");  // ALB does not decode them
  EXPECT_EQ(d.request.header("host"), "lambda-alb-123578498.us-east-1.elb.amazonaws.com");
  EXPECT_EQ(d.request.remote, "72.12.164.125");
}

TEST(LambdaEventsTest, DecodesAlbMultiValue) {
  DecodedEvent d = Decode(Fixture("alb_multi_value.json"));
  EXPECT_EQ(d.shape.source, EventSource::kAlb);
  EXPECT_TRUE(d.shape.multi_value_headers);
  EXPECT_EQ(d.request.query, "myKey=val1&myKey=val2");
  EXPECT_EQ(Values(d.request, "cookie").size(), 2u);
  EXPECT_EQ(d.request.body, std::string("\x00\x01\x02\xff", 4));
}

TEST(LambdaEventsTest, AnyOtherJsonIsADirectInvocation) {
  const std::string payload = Fixture("direct.json");
  DecodedEvent d = Decode(payload, {"/v2/pipeline"});
  EXPECT_EQ(d.shape.source, EventSource::kDirect);
  EXPECT_EQ(d.request.method, "POST");
  EXPECT_EQ(d.request.path, "/v2/pipeline");
  EXPECT_EQ(d.request.header("content-type"), "application/json");
  EXPECT_EQ(d.request.body, payload);
  for (const char* other : {"[1, 2]", "\"text\"", "42", "null", "{\"version\": \"1.0\"}"}) {
    EXPECT_EQ(Decode(other).shape.source, EventSource::kDirect) << other;
  }
}

TEST(LambdaEventsTest, RefusesWhatIsNotAnEvent) {
  struct Case {
    std::string payload;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"not json", "not JSON"},
      {"{\"a\": \"\xff\"}", "not JSON"},
      {R"({"version":"2.0","requestContext":{"http":{"method":7}}})",
       "event.requestContext.http.method is not a string"},
      {R"({"version":"2.0","rawPath":"/"})", "method is missing"},
      {R"({"version":"2.0","requestContext":{"http":{"method":"GET"}},"cookies":"a=b"})",
       "event.cookies is not an array"},
      {R"({"version":"2.0","requestContext":{"http":{"method":"GET"}},"body":"!!","isBase64Encoded":true})",
       "not valid base64"},
      {R"({"httpMethod":"GET","headers":{"a":1}})", "event.headers.a is not a string"},
      {R"({"httpMethod":"GET","multiValueHeaders":{"a":"b"}})", "an array of strings"},
      {R"({"httpMethod":"GET","isBase64Encoded":"yes"})", "isBase64Encoded is not true or false"},
      {R"({"httpMethod":"","path":"/"})", "httpMethod is empty"},
      {R"({"requestContext":{"elb":{}},"httpMethod":"GET","body":5})", "ALB event"},
  };
  for (const Case& c : cases) {
    Result<DecodedEvent> d = DecodeEvent(c.payload);
    ASSERT_FALSE(d.ok()) << c.payload;
    EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(d.status().message().find(c.message), std::string::npos)
        << c.payload << " -> " << d.status().message();
  }
}

server::Response TextWithCookies() {
  server::Response r = server::Response::Json(201, R"({"ok":true})");
  r.headers.push_back({"set-cookie", "a=1; Path=/"});
  r.headers.push_back({"Set-Cookie", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"});
  r.headers.push_back({"x-many", "1"});
  r.headers.push_back({"X-Many", "2"});
  return r;
}

TEST(LambdaEventsTest, EncodesHttpApiV2WithCookies) {
  for (EventSource source : {EventSource::kHttpApiV2, EventSource::kFunctionUrl}) {
    json::object out = Parse(EncodeResponse({source}, TextWithCookies()));
    EXPECT_EQ(out.at("statusCode"), 201);
    EXPECT_EQ(out.at("body"), R"({"ok":true})");
    EXPECT_EQ(out.at("isBase64Encoded"), false);
    EXPECT_EQ(out.at("cookies"),
              (json::array{"a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"}));
    const json::object& headers = out.at("headers").get_object();
    EXPECT_EQ(headers.at("content-type"), "application/json");
    EXPECT_EQ(headers.at("x-many"), "1, 2");
    EXPECT_FALSE(headers.contains("set-cookie"));
    EXPECT_FALSE(out.contains("multiValueHeaders"));
  }
}

TEST(LambdaEventsTest, EncodesRestApiV1WithMultiValueHeaders) {
  json::object out = Parse(EncodeResponse({EventSource::kRestApiV1}, TextWithCookies()));
  EXPECT_EQ(out.at("statusCode"), 201);
  EXPECT_FALSE(out.contains("cookies"));
  const json::object& headers = out.at("headers").get_object();
  EXPECT_EQ(headers.at("content-type"), "application/json");
  EXPECT_FALSE(headers.contains("set-cookie"));  // only in multiValueHeaders: never both
  const json::object& multi = out.at("multiValueHeaders").get_object();
  EXPECT_EQ(multi.at("set-cookie"),
            (json::array{"a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"}));
  EXPECT_EQ(multi.at("x-many"), (json::array{"1", "2"}));
}

TEST(LambdaEventsTest, EncodesAlbInTheModeOfItsEvent) {
  json::object single = Parse(EncodeResponse({EventSource::kAlb, false}, TextWithCookies()));
  EXPECT_EQ(single.at("statusDescription"), "201 Created");
  EXPECT_EQ(single.at("headers").at("set-cookie"), "a=1; Path=/");  // one cookie only
  EXPECT_EQ(single.at("headers").at("x-many"), "1, 2");
  EXPECT_FALSE(single.contains("multiValueHeaders"));

  json::object multi = Parse(EncodeResponse({EventSource::kAlb, true}, TextWithCookies()));
  EXPECT_FALSE(multi.contains("headers"));
  EXPECT_EQ(multi.at("multiValueHeaders").at("set-cookie").as_array().size(), 2u);
  EXPECT_EQ(multi.at("multiValueHeaders").at("content-type"), (json::array{"application/json"}));
}

TEST(LambdaEventsTest, Base64EncodesBinaryBodies) {
  const std::string bytes("\x89PNG\r\n\x1a\n\x00\xff", 10);
  server::Response binary;
  binary.body = bytes;  // no content type, not UTF-8
  json::object out = Parse(EncodeResponse({EventSource::kHttpApiV2}, binary));
  EXPECT_EQ(out.at("isBase64Encoded"), true);
  std::string decoded;
  ASSERT_TRUE(Base64Decode(out.at("body").as_string(), &decoded));
  EXPECT_EQ(decoded, bytes);

  server::Response png;  // valid UTF-8, but a binary type
  png.body = "abc";
  png.set_header("Content-Type", "image/png");
  out = Parse(EncodeResponse({EventSource::kRestApiV1}, png));
  EXPECT_EQ(out.at("isBase64Encoded"), true);
  EXPECT_EQ(out.at("body"), "YWJj");

  server::Response text = server::Response::Text(200, "Zoë ☃ 😀");
  out = Parse(EncodeResponse({EventSource::kAlb}, text));
  EXPECT_EQ(out.at("isBase64Encoded"), false);
  EXPECT_EQ(out.at("body"), "Zoë ☃ 😀");
}

TEST(LambdaEventsTest, DirectInvocationGetsTheBodyItself) {
  server::Response r = server::Response::Json(404, R"({"message":"no"})");
  EXPECT_EQ(EncodeResponse({EventSource::kDirect}, r), R"({"message":"no"})");
}

TEST(LambdaEventsTest, StreamedBodiesAreConcatenated) {
  server::Response r = server::Response::Text(200, "head;");
  int calls = 0;
  r.next_chunk = [&](std::string* chunk) {
    if (++calls > 3) return false;
    *chunk = "chunk" + std::to_string(calls) + ";";
    return true;
  };
  json::object out = Parse(EncodeResponse({EventSource::kHttpApiV2}, r));
  EXPECT_EQ(out.at("body"), "head;chunk1;chunk2;chunk3;");
}

TEST(LambdaEventsTest, OversizeResponseBecomesAReadableError) {
  constexpr size_t kMax = 64 * 1024;
  for (EventSource source : {EventSource::kHttpApiV2, EventSource::kRestApiV1, EventSource::kAlb,
                             EventSource::kDirect}) {
    std::string payload =
        EncodeResponse({source}, server::Response::Text(200, std::string(kMax + 1, 'x')), kMax);
    EXPECT_LE(payload.size(), kMax);
    json::object error = Parse(payload);
    if (source != EventSource::kDirect) {
      EXPECT_EQ(error.at("statusCode"), 500);
      error = Parse(std::string(error.at("body").as_string()));
    }
    EXPECT_EQ(error.at("code"), "RESPONSE_TOO_LARGE");
    EXPECT_NE(std::string(error.at("message").as_string()).find("65536"), std::string::npos);
  }
  // Fits as bytes, not once base64-encoded.
  server::Response binary;
  binary.body = std::string(kMax - 1000, '\xff');
  json::object out = Parse(EncodeResponse({EventSource::kHttpApiV2}, binary, kMax));
  EXPECT_EQ(out.at("statusCode"), 500);
  // The full 6 MiB limit by default.
  std::string big = EncodeResponse(
      {EventSource::kHttpApiV2}, server::Response::Text(200, std::string(kMaxResponseBytes, 'y')));
  EXPECT_LE(big.size(), kMaxResponseBytes);
  EXPECT_EQ(Parse(big).at("statusCode"), 500);
}

TEST(LambdaEventsTest, OversizeStreamStopsPulling) {
  constexpr size_t kMax = 1000;
  server::Response r;
  int calls = 0;
  r.next_chunk = [&](std::string* chunk) {
    ++calls;
    *chunk = std::string(100, 'z');
    return true;  // never ends on its own
  };
  json::object out = Parse(EncodeResponse({EventSource::kHttpApiV2}, r, kMax));
  EXPECT_EQ(out.at("statusCode"), 500);
  EXPECT_EQ(calls, 11);

  server::Response empty;
  empty.next_chunk = [](std::string*) { return true; };  // nothing, forever
  out = Parse(EncodeResponse({EventSource::kHttpApiV2}, empty, kMax));
  EXPECT_EQ(out.at("statusCode"), 500);
  EXPECT_NE(std::string(out.at("body").as_string()).find("STREAM_NOT_ENDING"), std::string::npos);
}

TEST(LambdaEventsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE2\x98\x83\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("a\x80"));             // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(LambdaEventsTest, TextContentTypes) {
  for (const char* t : {"", "text/html", "application/json", "application/problem+json",
                        "application/x-ndjson", "application/xml", "application/javascript",
                        "application/octet-stream; charset=utf-8", "TEXT/PLAIN"}) {
    EXPECT_TRUE(IsTextContentType(t)) << t;
  }
  for (const char* t :
       {"application/octet-stream", "image/png", "application/zip", "application/vnd.sqlite3"}) {
    EXPECT_FALSE(IsTextContentType(t)) << t;
  }
}

}  // namespace
}  // namespace cloudlite::lambda
