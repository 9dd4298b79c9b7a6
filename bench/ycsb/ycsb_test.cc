// cloudlite_ycsb's pieces against YCSB's own values: the keys it inserts, its value bytes, the
// shape of its key choosers, the workload files, and the requests the DynamoDB binding sends
// (checked against a scripted server on 127.0.0.1).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <deque>
#include <map>
#include <thread>

#include "base/json_text.h"
#include "dynamodb_client.h"
#include "generators.h"
#include "histogram.h"
#include "workload.h"

namespace cloudlite::ycsb {
namespace {

TEST(YcsbKeys, AreTheKeysYcsbInserts) {
  // The first three keys of every YCSB load with insertorder=hashed.
  EXPECT_EQ(KeyName(0), "user6284781860667377211");
  EXPECT_EQ(KeyName(1), "user8517097267634966620");
  EXPECT_EQ(KeyName(2), "user1820151046732198393");
  EXPECT_GE(FnvHash64(-1), 0);
}

TEST(YcsbValues, ArePrintableCharactersDrawnAsRandomByteIteratorDraws) {
  Random random(7);
  const std::string v = RandomValue(random, 100);
  ASSERT_EQ(v.size(), 100u);
  for (size_t i = 0; i < v.size(); i++) {
    const int c = static_cast<unsigned char>(v[i]);
    const int mask[6] = {31, 63, 95, 31, 63, 95};
    EXPECT_GE(c, ' ');
    EXPECT_LE(c, ' ' + mask[i % 6]) << "byte " << i;
  }
  EXPECT_NE(RandomValue(random, 100), v);
}

TEST(YcsbRandom, UniformStaysWithinInclusiveBounds) {
  Random random(1);
  std::map<int64_t, int> seen;
  for (int i = 0; i < 10000; i++) seen[random.Uniform(3, 7)]++;
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen.begin()->first, 3);
  EXPECT_EQ(seen.rbegin()->first, 7);
}

TEST(YcsbZipfian, FavoursTheFirstItemsAsZipfDoes) {
  Random random(42);
  Zipfian zipfian(0, 999);
  std::vector<int> counts(1000);
  const int draws = 200000;
  for (int i = 0; i < draws; i++) {
    const int64_t v = zipfian.Next(random);
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 999);
    counts[static_cast<size_t>(v)]++;
  }
  // P(0) = 1 / zeta(1000, 0.99), about 13.3%; P(1) = P(0) / 2^0.99.
  const double zeta = Zipfian::Zeta(0, 1000, 0.99, 0);
  EXPECT_NEAR(counts[0] / static_cast<double>(draws), 1 / zeta, 0.01);
  EXPECT_NEAR(counts[1] / static_cast<double>(draws), 1 / zeta / std::pow(2, 0.99), 0.01);
  EXPECT_GT(counts[1], counts[10]);
  EXPECT_GT(counts[10], counts[500]);
}

TEST(YcsbZipfian, ScrambledSpreadsThePopularKeysOverTheRange) {
  Random random(3);
  ScrambledZipfian chooser(0, 9999);
  std::map<int64_t, int> counts;
  for (int i = 0; i < 100000; i++) {
    const int64_t v = chooser.Next(random);
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 10000);
    counts[v]++;
  }
  // The most popular key is fnvhash64(0) mod 10000, not 0.
  const int64_t hottest = FnvHash64(0) % 10000;
  for (const auto& [key, n] : counts) EXPECT_LE(n, counts[hottest]) << key;
  EXPECT_GT(counts[hottest], 100000 / 40);  // about 1 / zeta(10^10) = 3.8% of the draws
}

TEST(YcsbCounter, ReportsOnlyContiguousAcknowledgedInserts) {
  AcknowledgedCounter counter(100);
  EXPECT_EQ(counter.Last(), 99);
  const int64_t a = counter.NextValue(), b = counter.NextValue(), c = counter.NextValue();
  EXPECT_EQ(a, 100);
  counter.Acknowledge(c);
  EXPECT_EQ(counter.Last(), 99);  // 100 and 101 are still in flight
  counter.Acknowledge(a);
  EXPECT_EQ(counter.Last(), 100);
  counter.Acknowledge(b);
  EXPECT_EQ(counter.Last(), 102);
}

TEST(YcsbLatest, FavoursTheLastAcknowledgedInsert) {
  AcknowledgedCounter counter(1000);
  SkewedLatest latest(&counter);
  Random random(5);
  std::map<int64_t, int> counts;
  for (int i = 0; i < 50000; i++) {
    const int64_t v = latest.Next(random);
    ASSERT_LE(v, 999);
    ASSERT_GE(v, 0);
    counts[v]++;
  }
  for (const auto& [key, n] : counts) EXPECT_LE(n, counts[999]) << key;
  const int64_t next = counter.NextValue();
  counter.Acknowledge(next);
  int newest = 0;
  for (int i = 0; i < 1000; i++) newest += latest.Next(random) == 1000;
  EXPECT_GT(newest, 50);  // the new record is now the hottest
}

TEST(YcsbWorkloads, HaveTheProportionsAndDistributionsOfYcsbsFiles) {
  const auto read = static_cast<size_t>(Op::kRead), update = static_cast<size_t>(Op::kUpdate),
             insert = static_cast<size_t>(Op::kInsert), scan = static_cast<size_t>(Op::kScan),
             rmw = static_cast<size_t>(Op::kReadModifyWrite);
  EXPECT_EQ(CoreWorkload("a")->proportion[update], 0.5);
  EXPECT_EQ(CoreWorkload("b")->proportion[read], 0.95);
  EXPECT_EQ(CoreWorkload("c")->proportion[read], 1);
  EXPECT_EQ(CoreWorkload("d")->proportion[insert], 0.05);
  EXPECT_EQ(CoreWorkload("d")->distribution, Distribution::kLatest);
  EXPECT_EQ(CoreWorkload("e")->proportion[scan], 0.95);
  EXPECT_EQ(CoreWorkload("e")->max_scan_length, 100);
  EXPECT_EQ(CoreWorkload("f")->proportion[rmw], 0.5);
  for (const char* w : {"a", "b", "c", "e", "f"}) {
    EXPECT_EQ(CoreWorkload(w)->distribution, Distribution::kZipfian) << w;
  }
  EXPECT_FALSE(CoreWorkload("g"));
}

TEST(YcsbWorkloads, OperationChooserFollowsTheProportions) {
  Random random(11);
  const Discrete chooser = OperationChooser(*CoreWorkload("b"));
  int updates = 0;
  for (int i = 0; i < 100000; i++) updates += chooser.Next(random) == static_cast<int>(Op::kUpdate);
  EXPECT_NEAR(updates / 100000.0, 0.05, 0.005);
}

TEST(YcsbKeyChooser, NeverPicksAKeyNotYetInserted) {
  for (const char* w : {"a", "d"}) {
    WorkloadSpec spec = *CoreWorkload(w);
    spec.record_count = 100;
    spec.operation_count = 100000;  // zipfian: keyspace 100 + 2 * 5000 expected inserts (d)
    AcknowledgedCounter counter(spec.record_count);
    KeyChooser keys(spec, &counter);
    Random random(9);
    for (int i = 0; i < 20000; i++) {
      const int64_t k = keys.NextKeynum(random);
      ASSERT_GE(k, 0);
      ASSERT_LT(k, 100) << w;
    }
  }
}

TEST(YcsbHistogram, QuantilesAreWithinABucketOfTheTruth) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1000ull, 123456789ull, 1ull << 40}) {
    const size_t b = Histogram::BucketOf(v);
    EXPECT_GE(Histogram::BucketHighest(b), v);
    if (b > 0) {
      EXPECT_LT(Histogram::BucketHighest(b - 1), v);
    }
    EXPECT_LE(Histogram::BucketHighest(b), v + v / 64 + 1);
  }
  Histogram h;
  for (uint64_t i = 1; i <= 10000; i++) h.Record(i * 1000);  // 1 us .. 10 ms
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.5)), 5e6, 5e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.99)), 9.9e6, 9.9e6 / 64);
  EXPECT_EQ(h.Quantile(1.0), 10'000'000u);
  EXPECT_EQ(h.count(), 10000u);
  Histogram other;
  other.Record(50'000'000);
  h.Merge(other);
  EXPECT_EQ(h.max(), 50'000'000u);
  EXPECT_EQ(h.count(), 10001u);
}

TEST(YcsbEndpoint, AcceptsOnlyPlainHttpToAnAddress) {
  auto e = ParseEndpoint("http://127.0.0.1:8000/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8000);
  EXPECT_EQ(e->url, "http://127.0.0.1:8000");
  EXPECT_TRUE(ParseEndpoint("http://[::1]:9"));
  EXPECT_FALSE(ParseEndpoint("https://127.0.0.1:8000"));
  EXPECT_FALSE(ParseEndpoint("http://localhost:8000"));
  EXPECT_FALSE(ParseEndpoint("http://127.0.0.1"));
  EXPECT_FALSE(ParseEndpoint("http://127.0.0.1:99999"));
}

TEST(YcsbJson, EscapesQuotesAndBackslashes) {
  std::string out;
  AppendJsonString("a\"b\\c\x01", &out);  // base/json_text.h, as the client writes them
  EXPECT_EQ(out, R"("a\"b\\c\u0001")");
}

// A server on 127.0.0.1 that answers each request with the next scripted body and records what
// it was sent, closing the connection after `close_after` answers (0: never).
class ScriptedServer {
 public:
  struct Seen {
    std::string target, authorization;
    boost::json::value body;
  };

  ScriptedServer(std::deque<std::pair<int, std::string>> answers, int close_after = 0)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        answers_(std::move(answers)),
        close_after_(close_after) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() { thread_.join(); }

  ClientConfig Config() const {
    ClientConfig c;
    c.endpoint =
        *ParseEndpoint("http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()));
    return c;
  }
  const std::vector<Seen>& seen() const { return seen_; }

 private:
  void Serve() {
    namespace http = boost::beast::http;
    while (!answers_.empty()) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) return;
      boost::beast::flat_buffer buffer;
      for (int served = 0; !answers_.empty(); served++) {
        if (close_after_ && served == close_after_) break;
        http::request<http::string_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) break;
        Seen s;
        s.target = std::string(request["X-Amz-Target"]);
        s.authorization = std::string(request["Authorization"]);
        s.body = boost::json::parse(request.body());
        seen_.push_back(std::move(s));
        auto [status, body] = answers_.front();
        answers_.pop_front();
        http::response<http::string_body> response(static_cast<http::status>(status), 11);
        response.set(http::field::content_type, "application/x-amz-json-1.0");
        response.body() = body;
        response.keep_alive(true);
        response.prepare_payload();
        http::write(socket, response, ec);
        if (ec) break;
      }
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::deque<std::pair<int, std::string>> answers_;
  int close_after_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

TEST(YcsbRequests, AreTheBindingsGetItemUpdateItemAndPutItem) {
  std::vector<ScriptedServer::Seen> seen;
  {
    ScriptedServer server(
        {{200, R"({"Item":{"firstname":{"S":"user1"}}})"}, {200, "{}"}, {200, "{}"}});
    boost::asio::io_context io;
    DynamoDbClient client(io.get_executor(), server.Config());
    const Reply read = Sync(io, client.GetItem("user1"));
    EXPECT_TRUE(read.ok);
    EXPECT_TRUE(read.found);
    EXPECT_TRUE(Sync(io, client.UpdateItem("user1", {{"field3", "v\"3"}})).ok);
    EXPECT_TRUE(Sync(io, client.PutItem("user2", {{"field0", "a"}, {"field1", "b"}})).ok);
    seen = server.seen();
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].target, "DynamoDB_20120810.GetItem");
  EXPECT_EQ(seen[0].authorization.rfind("AWS4-HMAC-SHA256 Credential=ycsb/", 0), 0u);
  EXPECT_EQ(seen[0].body, boost::json::parse(R"({"TableName":"usertable",
      "Key":{"firstname":{"S":"user1"}},"ConsistentRead":false})"));
  EXPECT_EQ(seen[1].target, "DynamoDB_20120810.UpdateItem");
  EXPECT_EQ(seen[1].body, boost::json::parse(R"({"TableName":"usertable",
      "Key":{"firstname":{"S":"user1"}},
      "AttributeUpdates":{"field3":{"Value":{"S":"v\"3"},"Action":"PUT"}}})"));
  EXPECT_EQ(seen[2].target, "DynamoDB_20120810.PutItem");
  EXPECT_EQ(seen[2].body, boost::json::parse(R"({"TableName":"usertable",
      "Item":{"field0":{"S":"a"},"field1":{"S":"b"},"firstname":{"S":"user2"}}})"));
}

TEST(YcsbRequests, HashAndRangePutsEveryItemInOnePartition) {
  std::vector<ScriptedServer::Seen> seen;
  {
    ScriptedServer server({{200, "{}"}, {200, "{}"}});
    ClientConfig config = server.Config();
    config.hash_key_name = "pk";
    boost::asio::io_context io;
    DynamoDbClient client(io.get_executor(), config);
    EXPECT_TRUE(Sync(io, client.PutItem("user2", {{"field0", "a"}})).ok);
    EXPECT_TRUE(Sync(io, client.GetItem("user2")).ok);
    seen = server.seen();
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body, boost::json::parse(R"({"TableName":"usertable",
      "Item":{"field0":{"S":"a"},"pk":{"S":"YCSB_0"},"firstname":{"S":"user2"}}})"));
  EXPECT_EQ(seen[1].body.at("Key"),
            boost::json::parse(R"({"pk":{"S":"YCSB_0"},"firstname":{"S":"user2"}})"));
}

TEST(YcsbRequests, ScanReadsTheStartKeyThenPagesFromIt) {
  std::vector<ScriptedServer::Seen> seen;
  Reply scan;
  {
    ScriptedServer server({
        {200, R"({"Item":{"firstname":{"S":"user5"}}})"},
        {200, R"({"Items":[{},{}],"Count":2,"LastEvaluatedKey":{"firstname":{"S":"user7"}}})"},
        {200, R"({"Items":[{}],"Count":1,"LastEvaluatedKey":{"firstname":{"S":"user8"}}})"},
    });
    boost::asio::io_context io;
    DynamoDbClient client(io.get_executor(), server.Config());
    scan = Sync(io, client.ScanFrom("user5", 4));
    seen = server.seen();
  }
  EXPECT_TRUE(scan.ok);
  EXPECT_EQ(scan.items, 4);
  EXPECT_EQ(scan.requests, 3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].target, "DynamoDB_20120810.GetItem");
  EXPECT_FALSE(seen[0].body.as_object().contains("ConsistentRead"));
  EXPECT_EQ(seen[1].target, "DynamoDB_20120810.Scan");
  EXPECT_EQ(seen[1].body, boost::json::parse(R"({"TableName":"usertable","Limit":3,
      "ExclusiveStartKey":{"firstname":{"S":"user5"}}})"));
  EXPECT_EQ(seen[2].body, boost::json::parse(R"({"TableName":"usertable","Limit":1,
      "ExclusiveStartKey":{"firstname":{"S":"user7"}}})"));
}

TEST(YcsbRequests, ScanCarriesACompositeLastEvaluatedKeyOverExactly) {
  std::vector<ScriptedServer::Seen> seen;
  Reply scan;
  {
    ScriptedServer server({
        {200, "{}"},
        // Items with nested values and arrays before the key; the key has two attributes and an
        // escaped quote; ScannedCount must not be taken for Count.
        {200, R"({"ScannedCount":9,"Items":[{"l":{"L":[{"N":"1"},{"BOOL":true}]}}],"Count":1,
                 "LastEvaluatedKey":{"pk":{"S":"YCSB_0"},"firstname":{"S":"us\"er7"}}})"},
        // A key with a value ScanPage does not read (not DynamoDB's shape): parsed whole instead.
        {200, R"({"Items":[{}],"Count":1,"LastEvaluatedKey":{"firstname":{"N":5}}})"},
        {200, R"({"Items":[{}],"Count":1})"},
    });
    boost::asio::io_context io;
    DynamoDbClient client(io.get_executor(), server.Config());
    scan = Sync(io, client.ScanFrom("user5", 4));
    seen = server.seen();
  }
  EXPECT_TRUE(scan.ok);
  EXPECT_EQ(scan.items, 3);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[2].body.at("ExclusiveStartKey"),
            boost::json::parse(R"({"pk":{"S":"YCSB_0"},"firstname":{"S":"us\"er7"}})"));
  EXPECT_EQ(seen[2].body.at("Limit"), 2);
  EXPECT_EQ(seen[3].body.at("ExclusiveStartKey"), boost::json::parse(R"({"firstname":{"N":5}})"));
}

TEST(YcsbRequests, ScanPastTheEndStartsOverThenStopsOnAnEmptyLastPage) {
  Reply scan;
  std::vector<ScriptedServer::Seen> seen;
  {
    ScriptedServer server(
        {{200, "{}"}, {200, R"({"Items":[{}],"Count":1})"}, {200, R"({"Items":[],"Count":0})"}});
    boost::asio::io_context io;
    DynamoDbClient client(io.get_executor(), server.Config());
    scan = Sync(io, client.ScanFrom("user5", 10));
    seen = server.seen();
  }
  EXPECT_TRUE(scan.ok);
  EXPECT_EQ(scan.items, 1);  // the start key was missing; one item after it
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[2].body.as_object().contains("ExclusiveStartKey"));
}

TEST(YcsbRequests, ErrorsCarryDynamoDbsTypeName) {
  ScriptedServer server(
      {{400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no"})"}});
  boost::asio::io_context io;
  DynamoDbClient client(io.get_executor(), server.Config());
  const Reply r = Sync(io, client.GetItem("user1"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error, "ResourceNotFoundException");
}

TEST(YcsbRequests, AClosedKeepAliveConnectionIsReopenedOnce) {
  ScriptedServer server({{200, "{}"}, {200, "{}"}}, /*close_after=*/1);
  boost::asio::io_context io;
  DynamoDbClient client(io.get_executor(), server.Config());
  EXPECT_TRUE(Sync(io, client.GetItem("user1")).ok);
  EXPECT_TRUE(Sync(io, client.GetItem("user1")).ok);
  EXPECT_EQ(client.reconnects(), 1);
}

TEST(YcsbRequests, NoServerIsAnErrorNotAHang) {
  ClientConfig config;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    config.endpoint =
        *ParseEndpoint("http://127.0.0.1:" + std::to_string(probe.local_endpoint().port()));
  }  // closed: nothing listens there now
  boost::asio::io_context io;
  DynamoDbClient client(io.get_executor(), config);
  const Reply r = Sync(io, client.GetItem("user1"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("connect"), std::string::npos);
}

}  // namespace
}  // namespace cloudlite::ycsb
