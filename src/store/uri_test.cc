#include "store/uri.h"

#include <gtest/gtest.h>

namespace cloudlite {
namespace {

Uri ParseOk(std::string_view text) {
  Result<Uri> uri = Uri::Parse(text);
  EXPECT_TRUE(uri.ok()) << text << ": " << uri.status().ToString();
  return uri.ok() ? *uri : Uri{};
}

// The error message for `text`, which must not parse.
std::string ParseError(std::string_view text) {
  Result<Uri> uri = Uri::Parse(text);
  EXPECT_FALSE(uri.ok()) << text << " parsed";
  if (uri.ok()) return {};
  EXPECT_EQ(uri.status().code(), Status::Code::kInvalidArgument) << text;
  return uri.status().message();
}

TEST(UriTest, FileForms) {
  for (std::string_view text : {"file:///var/db", "file:/var/db", "FILE:///var/db/",
                                "file://localhost/var/db", "file:///var//db", "file:////var/db"}) {
    Uri uri = ParseOk(text);
    EXPECT_EQ(uri.scheme, "file") << text;
    EXPECT_EQ(uri.authority, "") << text;
    EXPECT_EQ(uri.path, "var/db") << text;
    EXPECT_TRUE(uri.params.empty()) << text;
    EXPECT_EQ(uri.ToString(), "file:///var/db") << text;
  }
  Uri root = ParseOk("file:///");
  EXPECT_EQ(root.path, "");
  EXPECT_EQ(root.ToString(), "file:///");
}

TEST(UriTest, OtherSchemes) {
  Uri mem = ParseOk("mem://scratch");
  EXPECT_EQ(mem.scheme, "mem");
  EXPECT_EQ(mem.authority, "scratch");
  EXPECT_EQ(mem.path, "");
  EXPECT_EQ(mem.ToString(), "mem://scratch");

  Uri s3 = ParseOk("s3://my-bucket/some/prefix/?region=eu-west-1");
  EXPECT_EQ(s3.scheme, "s3");
  EXPECT_EQ(s3.authority, "my-bucket");
  EXPECT_EQ(s3.path, "some/prefix");
  EXPECT_EQ(s3.params.at("region"), "eu-west-1");
  EXPECT_EQ(s3.ToString(), "s3://my-bucket/some/prefix?region=eu-west-1");

  Uri ddb = ParseOk("DynamoDB://table");
  EXPECT_EQ(ddb.scheme, "dynamodb");
  EXPECT_EQ(ddb.authority, "table");
}

TEST(UriTest, QueryValuesArePercentDecoded) {
  Uri uri = ParseOk(
      "s3://b?endpoint=http%3A%2F%2Flocalhost%3A9000&key=a%20b%2Bc%26d%3De&plus=1+2&flag&&");
  EXPECT_EQ(uri.params.at("endpoint"), "http://localhost:9000");
  EXPECT_EQ(uri.params.at("key"), "a b+c&d=e");
  EXPECT_EQ(uri.params.at("plus"), "1+2");  // '+' is a plus, not a space: this is no form
  EXPECT_EQ(uri.params.at("flag"), "");
  EXPECT_EQ(uri.params.size(), 4u);
  // Canonical form: sorted, encoded where needed; and it parses back to the same thing.
  std::string text = uri.ToString();
  EXPECT_EQ(text, "s3://b?endpoint=http://localhost:9000&flag=&key=a%20b%2Bc%26d%3De&plus=1%2B2");
  EXPECT_EQ(ParseOk(text).params, uri.params);
}

TEST(UriTest, PathIsPercentDecoded) {
  Uri uri = ParseOk("file:///srv/my%20dbs/%C3%A9t%C3%A9");
  EXPECT_EQ(uri.path, "srv/my dbs/\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(uri.ToString(), "file:///srv/my%20dbs/%C3%A9t%C3%A9");
  Uri odd = ParseOk("file:///a%3Fb/c%23d/e%25f");
  EXPECT_EQ(odd.path, "a?b/c#d/e%f");
  EXPECT_EQ(ParseOk(odd.ToString()).path, odd.path);
}

TEST(UriTest, RoundTrips) {
  for (std::string_view text :
       {"file:///var/lib/cloudlite", "mem://x/y", "s3://bucket/a/b?endpoint=http://h:9000&r=1",
        "dynamodb://t?region=us-east-1", "file:///", "s3://b?k=%26%3D%3F%23"}) {
    Uri uri = ParseOk(text);
    EXPECT_EQ(uri.ToString(), text);
    Uri again = ParseOk(uri.ToString());
    EXPECT_EQ(again.scheme, uri.scheme);
    EXPECT_EQ(again.authority, uri.authority);
    EXPECT_EQ(again.path, uri.path);
    EXPECT_EQ(again.params, uri.params);
  }
}

TEST(UriTest, TakeParam) {
  Uri uri = ParseOk("s3://b?region=x&cache=10");
  EXPECT_EQ(uri.TakeParam("region"), "x");
  EXPECT_EQ(uri.TakeParam("region", "fallback"), "fallback");  // taken: gone
  EXPECT_EQ(uri.TakeParam("missing"), "");
  EXPECT_EQ(uri.TakeParam("missing", "dflt"), "dflt");
  EXPECT_EQ(uri.params.size(), 1u);
  EXPECT_EQ(uri.ToString(), "s3://b?cache=10");
}

TEST(UriTest, ErrorsSayWhatToDo) {
  auto contains = [](const std::string& message, std::string_view part) {
    return message.find(part) != std::string::npos;
  };
  std::string m = ParseError("");
  EXPECT_TRUE(contains(m, "file:///")) << m;
  m = ParseError("/var/db");
  EXPECT_TRUE(contains(m, "file:///var/db")) << m;
  m = ParseError("data/orders");
  EXPECT_TRUE(contains(m, "relative")) << m;
  m = ParseError("gs://bucket");
  EXPECT_TRUE(contains(m, "\"gs\"")) << m;
  EXPECT_TRUE(contains(m, "file, mem, s3, dynamodb")) << m;
  m = ParseError("://x");
  EXPECT_TRUE(contains(m, "file, mem, s3, dynamodb")) << m;
  m = ParseError("file://data/db");
  EXPECT_TRUE(contains(m, "three slashes")) << m;
  m = ParseError("file:data/db");
  EXPECT_TRUE(contains(m, "absolute")) << m;
  m = ParseError("file:");
  EXPECT_TRUE(contains(m, "absolute")) << m;
  m = ParseError("s3://");
  EXPECT_TRUE(contains(m, "bucket")) << m;
  m = ParseError("s3:bucket");
  EXPECT_TRUE(contains(m, "s3://")) << m;
  m = ParseError("mem://");
  EXPECT_TRUE(contains(m, "name")) << m;
  m = ParseError("dynamodb:///x");
  EXPECT_TRUE(contains(m, "table")) << m;
  m = ParseError("s3://b?x=%zz");
  EXPECT_TRUE(contains(m, "%25")) << m;
  m = ParseError("s3://b?x=%4");
  EXPECT_TRUE(contains(m, "two hex digits")) << m;
  m = ParseError("s3://b?x=%00");
  EXPECT_TRUE(contains(m, "NUL")) << m;
  // Raw NUL bytes too (fuzz_uri found them accepted, while the canonical form, %00, was not):
  // file:///tmp/a<NUL>b would have opened /tmp/a.
  using namespace std::string_literals;
  for (const std::string& text : {"s3://buck\0et/p"s, "file:///tmp/a\0b"s, "mem://m?x=\0"s}) {
    m = ParseError(text);
    EXPECT_TRUE(contains(m, "NUL")) << m;
  }
  m = ParseError("s3://b?x=1&x=2");
  EXPECT_TRUE(contains(m, "twice")) << m;
  m = ParseError("s3://b?=1");
  EXPECT_TRUE(contains(m, "no name")) << m;
  m = ParseError("file:///var/../etc");
  EXPECT_TRUE(contains(m, "'..'")) << m;
  m = ParseError("s3://b/./p");
  EXPECT_TRUE(contains(m, "'.'")) << m;
  m = ParseError("file:///a#b");
  EXPECT_TRUE(contains(m, "%23")) << m;
  // Every message quotes the input.
  EXPECT_TRUE(contains(ParseError("gs://bucket"), "gs://bucket"));
}

TEST(DatabaseUriTest, SplitsStoreAndName) {
  struct Case {
    std::string_view text, store, name;
  };
  const Case cases[] = {
      {"file:///var/dbs/orders", "file:///var/dbs", "orders"},
      {"file:///orders", "file:///", "orders"},
      {"mem://scratch/todo", "mem://scratch", "todo"},
      {"s3://bucket/team/prod/orders.v2?region=x", "s3://bucket/team/prod?region=x", "orders.v2"},
      {"dynamodb://table/A_b-9", "dynamodb://table", "A_b-9"},
  };
  for (const Case& c : cases) {
    Result<DatabaseUri> db = DatabaseUri::Parse(c.text);
    ASSERT_TRUE(db.ok()) << c.text << ": " << db.status().ToString();
    EXPECT_EQ(db->store.ToString(), c.store) << c.text;
    EXPECT_EQ(db->name, c.name) << c.text;
    EXPECT_EQ(db->ToString(), c.text) << c.text;
  }
}

TEST(DatabaseUriTest, Errors) {
  for (std::string_view text : {"file:///", "s3://bucket", "mem://x", "file:///var/dbs/bad%20name",
                                "s3://b/a+b", "gs://b/x", "file:///var/dbs/.."}) {
    Result<DatabaseUri> db = DatabaseUri::Parse(text);
    EXPECT_EQ(db.status().code(), Status::Code::kInvalidArgument) << text;
  }
  EXPECT_NE(DatabaseUri::Parse("s3://bucket").status().message().find("database name"),
            std::string::npos);
  std::string long_name(129, 'n');
  EXPECT_FALSE(DatabaseUri::Parse("file:///d/" + long_name).ok());
  EXPECT_TRUE(DatabaseUri::Parse("file:///d/" + long_name.substr(1)).ok());
}

}  // namespace
}  // namespace cloudlite
