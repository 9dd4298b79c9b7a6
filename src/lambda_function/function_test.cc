#include "lambda_function/function.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <string>

#include "cloudlite/admin.h"
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
  EXPECT_EQ(c->options.cache_dir, kDefaultCacheDir);
  EXPECT_EQ(c->deadline_margin.count(), 200);
  EXPECT_EQ(c->ca_bundle, "");
}

TEST(LambdaFunctionConfigTest, ReadsEverySetting) {
  Options base;
  base.cache_dir = "/tmp/elsewhere";  // CLOUDLITE_CACHE_DIR, read by OptionsFromEnvironment
  Result<FunctionConfig> c = ConfigFromEnvironment(
      Env({{"CLOUDLITE_STORE", "file:///x"},
           {"CLOUDLITE_CREATE", "1"},
           {"CLOUDLITE_LOG", "off"},
           {"CLOUDLITE_DEFAULT_DATABASE", "main"},
           {"CLOUDLITE_DEADLINE_MARGIN_MS", "350"}}),
      base, [](const std::string& path) { return path == kAmazonLinuxCaBundle; });
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
  for (auto [name, value] : std::map<std::string, std::string>{
           {"CLOUDLITE_CREATE", "yes please"},
           {"CLOUDLITE_LOG", "2"},
           {"CLOUDLITE_DEADLINE_MARGIN_MS", "-1"},
           {"CLOUDLITE_DEADLINE_MARGIN_MS", "10s"},
       }) {
    Result<FunctionConfig> c =
        ConfigFromEnvironment(Env({{"CLOUDLITE_STORE", "file:///x"}, {name, value}}), {}, NoFile);
    ASSERT_FALSE(c.ok()) << name << "=" << value;
    EXPECT_NE(c.status().message().find(name + "=" + value), std::string::npos);
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
}

class SqlFunctionTest : public ::testing::Test {
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

TEST_F(SqlFunctionTest, InitFailsOnAStoreThatIsNotThere) {
  FunctionConfig c = Config();
  c.create = false;
  Result<std::unique_ptr<SqlFunction>> f = SqlFunction::Open(c);
  EXPECT_FALSE(f.ok());
}

TEST_F(SqlFunctionTest, ServesHttpAndDirectRequestsAndStaysWarm) {
  Result<std::unique_ptr<SqlFunction>> f = SqlFunction::Open(Config());
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

}  // namespace
}  // namespace cloudlite::lambda_function
