// DynamoDbStore on a scripted fake server (retries, throttling, unprocessed batch items, lost
// answers), and, when CLOUDLITE_TEST_DYNAMODB_URI is set (scripts/dynamodb-start.sh prints it),
// against DynamoDB Local: races, big objects and ranged reads, missing tables, bad endpoints.
// The shared ObjectStore conformance suite runs on DynamoDB too (tests/conformance/).
#include "store/dynamodb/dynamodb_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "base/random.h"
#include "cloudlite/database.h"
#include "store/dynamodb/dynamodb_client.h"
#include "store/registry.h"
#include "testing/loopback.h"

namespace cloudlite {
namespace {

using ddb::Json;
using ddb::Serialize;

// A scripted HTTP/1.1 server on 127.0.0.1: each request (read whole) gets the next action: a
// response body for a 200, "!<status> <body>" for another status, or "" to close the
// connection without answering.
class FakeDynamoDb {
 public:
  explicit FakeDynamoDb(std::vector<std::string> actions)
      : actions_(actions.begin(), actions.end()) {
    fd_ = test::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDynamoDb() {
    // A client may still hold a kept-alive connection: end it too, or Serve() never returns.
    shutdown(client_.load(), SHUT_RDWR);
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> targets() {
    std::lock_guard lock(mu_);
    return targets_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  void Serve() {
    for (;;) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      client_ = c;
      while (ServeOne(c)) {
      }
      client_ = -1;
      close(c);
    }
  }
  bool ServeOne(int c) {
    std::string in;
    char buf[65536];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    std::string head = in.substr(0, head_end);
    size_t length = 0;
    for (std::string name : {"Content-Length: ", "content-length: "}) {
      if (size_t at = head.find(name); at != std::string::npos) {
        length = std::stoul(head.substr(at + name.size()));
      }
    }
    while (in.size() < head_end + 4 + length) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    std::string target;
    if (size_t at = head.find("DynamoDB_20120810."); at != std::string::npos) {
      target = head.substr(at + 18, head.find("\r\n", at) - at - 18);
    }
    std::string action;
    {
      std::lock_guard lock(mu_);
      targets_.push_back(target);
      bodies_.push_back(in.substr(head_end + 4, length));
      if (actions_.empty()) return false;
      action = actions_.front();
      actions_.pop_front();
    }
    if (action.empty()) return false;  // drop the connection: the answer is lost
    int status = 200;
    std::string body = action;
    if (action[0] == '!') {
      status = std::stoi(action.substr(1, 3));
      body = action.substr(5);
    }
    std::string out = "HTTP/1.1 " + std::to_string(status) +
                      " X\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    return write(c, out.data(), out.size()) == static_cast<ssize_t>(out.size());
  }

  int fd_ = -1;
  std::atomic<int> client_{-1};
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<std::string> actions_;
  std::vector<std::string> targets_, bodies_;
};

std::string Err(std::string_view type) {
  return "!400 " +
         Serialize(Json{{"__type", "com.amazonaws.dynamodb.v20120810#" + std::string(type)},
                        {"message", "scripted"}});
}

DynamoDbStoreOptions FakeOptions(const FakeDynamoDb& server) {
  DynamoDbStoreOptions o;
  o.table = "tbl";
  o.aws.credentials = {"AKIDTEST", "not-a-real-secret", ""};
  o.aws.region = "us-east-1";
  o.aws.endpoint_url = server.endpoint();
  o.check_table = false;
  o.retry.max_attempts = 4;
  o.retry.sleep = [](std::chrono::milliseconds) {};
  o.http.request_timeout = std::chrono::milliseconds(3000);
  return o;
}

// Keys under a fresh directory, so that every test starts with no remembered entries.
std::string FreshKey(std::string_view leaf) {
  return "fake-" + RandomHex(6) + "/" + std::string(leaf);
}

TEST(DynamoDbFake, PutIfAbsentWritesEntriesOnceThenOneItem) {
  FakeDynamoDb server({"{}", "{}", "{}"});
  auto store = OpenDynamoDbStoreWithOptions(FakeOptions(server));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string dir = "fake-" + RandomHex(6) + "/log/";
  ASSERT_TRUE((*store)->PutIfAbsent(dir + "00000000000000000001", "rec").ok());
  ASSERT_TRUE((*store)->PutIfAbsent(dir + "00000000000000000002", "rec").ok());
  EXPECT_EQ(server.targets(), (std::vector<std::string>{"BatchWriteItem", "PutItem", "PutItem"}));
  Json put = boost::json::parse(server.bodies()[1]);
  EXPECT_EQ(put.at_pointer("/ConditionExpression"), "attribute_not_exists(#h) OR #w = :w");
  EXPECT_EQ(put.at_pointer("/Item/t/S"), "o");
  EXPECT_EQ(put.at_pointer("/Item/d/B"), "cmVj");  // base64("rec")
}

TEST(DynamoDbFake, ConditionFailedIsAlreadyExists) {
  FakeDynamoDb server({"{}", Err("ConditionalCheckFailedException")});
  auto store = OpenDynamoDbStoreWithOptions(FakeOptions(server));
  Status s = (*store)->PutIfAbsent(FreshKey("k"), "x");
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists) << s.ToString();
}

TEST(DynamoDbFake, ThrottlingIsRetriedThenUnavailable) {
  FakeDynamoDb ok(
      {"{}", Err("ProvisionedThroughputExceededException"), Err("ThrottlingException"), "{}"});
  auto store = OpenDynamoDbStoreWithOptions(FakeOptions(ok));
  EXPECT_TRUE((*store)->PutIfAbsent(FreshKey("k"), "x").ok());
  FakeDynamoDb busy({Err("RequestLimitExceeded"), Err("RequestLimitExceeded"),
                     Err("RequestLimitExceeded"), Err("RequestLimitExceeded")});
  store = OpenDynamoDbStoreWithOptions(FakeOptions(busy));
  Result<std::string> got = (*store)->Get("k");
  EXPECT_EQ(got.status().code(), Status::Code::kUnavailable) << got.status().ToString();
  EXPECT_EQ(busy.targets().size(), 4u);
}

TEST(DynamoDbFake, LostAnswerThenRetryIsOkOrAmbiguous) {
  // The retry carries the same nonce, so its success is conclusive either way.
  FakeDynamoDb server({"{}", "", "{}"});
  auto store = OpenDynamoDbStoreWithOptions(FakeOptions(server));
  EXPECT_TRUE((*store)->PutIfAbsent(FreshKey("k"), "x").ok());
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(boost::json::parse(bodies[1]).at_pointer("/Item/w"),
            boost::json::parse(bodies[2]).at_pointer("/Item/w"));
  // Every answer lost: nobody knows.
  FakeDynamoDb lost({"{}", "", "", "", ""});
  store = OpenDynamoDbStoreWithOptions(FakeOptions(lost));
  Status s = (*store)->PutIfAbsent(FreshKey("k"), "x");
  EXPECT_EQ(s.code(), Status::Code::kAmbiguous) << s.ToString();
  // A lost answer, then the item is someone else's: AlreadyExists is still certain.
  FakeDynamoDb theirs({"{}", "", Err("ConditionalCheckFailedException")});
  store = OpenDynamoDbStoreWithOptions(FakeOptions(theirs));
  EXPECT_EQ((*store)->PutIfAbsent(FreshKey("k"), "x").code(), Status::Code::kAlreadyExists);
}

TEST(DynamoDbFake, UnprocessedItemsAndKeysAreSentAgain) {
  const Json unprocessed_put = {
      {"PutRequest",
       {{"Item", {{"hash_key", {{"S", "cloudlite/b/x/2"}}}, {"range_key", {{"N", "0"}}}}}}}};
  const Json head = {{"hash_key", {{"S", "n"}}}, {"range_key", {{"N", "1"}}}, {"t", {{"S", "o"}}},
                     {"k", {{"S", "k"}}},        {"z", {{"N", "3"}}},         {"g", {{"S", "g1"}}},
                     {"c", {{"N", "1"}}}};
  auto chunk = [](int i, const char* b64) {
    return Json{{"hash_key", {{"S", "cloudlite/b/g1/" + std::to_string(i)}}},
                {"range_key", {{"N", "0"}}},
                {"d", {{"B", b64}}}};
  };
  FakeDynamoDb server({
      Serialize(Json{{"UnprocessedItems", {{"tbl", {unprocessed_put}}}}}),  // entries + 3 chunks
      "{}",                                                                 // the resend
      "{}",                                                                 // the head
      Serialize(Json{{"Item", head}}),                                      // Get: the head
      Serialize(Json{
          {"Responses", {{"tbl", {chunk(0, "YQ=="), chunk(1, "Yg==")}}}},
          {"UnprocessedKeys",
           {{"tbl",
             {{"Keys", {{{"hash_key", {{"S", "cloudlite/b/g1/2"}}}, {"range_key", {{"N", "0"}}}}}},
              {"ConsistentRead", true}}}}}}),
      Serialize(Json{{"Responses", {{"tbl", {chunk(2, "Yw==")}}}}}),
  });
  DynamoDbStoreOptions o = FakeOptions(server);
  o.chunk_size = 1;
  auto store = OpenDynamoDbStoreWithOptions(o);
  ASSERT_TRUE((*store)->Put("k", "abc").ok());
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(boost::json::parse(bodies[1]).at_pointer("/RequestItems/tbl"),
            Json(ddb::JsonArray{unprocessed_put}));
  Result<std::string> got = (*store)->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "abc");
  EXPECT_EQ(server.targets(),
            (std::vector<std::string>{"BatchWriteItem", "BatchWriteItem", "PutItem", "GetItem",
                                      "BatchGetItem", "BatchGetItem"}));
}

TEST(DynamoDbFake, MalformedBatchAnswersAreErrorsNotDroppedItems) {
  // Unprocessed items that are not a list: the writes may not have happened, so the head that
  // would name them is not written.
  FakeDynamoDb server({R"({"UnprocessedItems":{"tbl":{"PutRequest":{}}}})"});
  auto store = OpenDynamoDbStoreWithOptions(FakeOptions(server));
  Status s = (*store)->Put(FreshKey("k"), "x");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("malformed UnprocessedItems"), std::string::npos) << s.ToString();
  EXPECT_EQ(server.targets(), (std::vector<std::string>{"BatchWriteItem"}));
  // Found items that are not a list: no guess at which objects have chunks.
  FakeDynamoDb reads({R"({"Responses":{"tbl":"x"}})"});
  store = OpenDynamoDbStoreWithOptions(FakeOptions(reads));
  const std::vector<std::string> keys = {FreshKey("a"), FreshKey("b")};
  s = (*store)->Delete(keys);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("malformed Responses"), std::string::npos) << s.ToString();
  EXPECT_EQ(reads.targets(), (std::vector<std::string>{"BatchGetItem"}));
}

TEST(DynamoDbFake, MissingTableIsNotFoundWithTheHint) {
  FakeDynamoDb server({Err("ResourceNotFoundException")});
  DynamoDbStoreOptions o = FakeOptions(server);
  o.check_table = true;
  auto store = OpenDynamoDbStoreWithOptions(o);
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store.status().message(),
            "table tbl does not exist; create it with: cloudlite dynamodb create-table tbl");
}

TEST(DynamoDbFake, WrongKeySchemaIsInvalidArgument) {
  FakeDynamoDb server({R"({"Table":{"TableStatus":"ACTIVE",)"
                       R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
                       R"("AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}})"});
  DynamoDbStoreOptions o = FakeOptions(server);
  o.check_table = true;
  auto store = OpenDynamoDbStoreWithOptions(o);
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(store.status().message().find("hash_key"), std::string::npos);
}

TEST(DynamoDbFake, BadOptionsFailBeforeAnyRequest) {
  FakeDynamoDb server({});
  DynamoDbStoreOptions o = FakeOptions(server);
  o.aws.credentials = {};
  EXPECT_EQ(OpenDynamoDbStoreWithOptions(o).status().code(), Status::Code::kPermissionDenied);
  o = FakeOptions(server);
  o.table = "ab";  // DynamoDB wants at least 3 characters
  EXPECT_EQ(OpenDynamoDbStoreWithOptions(o).status().code(), Status::Code::kInvalidArgument);
  o = FakeOptions(server);
  o.prefix = "a//b";
  EXPECT_EQ(OpenDynamoDbStoreWithOptions(o).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(server.targets().empty());
}

TEST(DynamoDbFake, DescribeHasNoSecrets) {
  FakeDynamoDb server({});
  DynamoDbStoreOptions o = FakeOptions(server);
  o.prefix = "p/q";
  auto store = OpenDynamoDbStoreWithOptions(o);
  EXPECT_EQ((*store)->Describe(), "dynamodb://tbl/p/q");
}

// ---------------------------------------------------------------------------------------------
// Against DynamoDB Local (or DynamoDB): CLOUDLITE_TEST_DYNAMODB_URI=dynamodb://table/prefix.

class DynamoDbLive : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* text = std::getenv("CLOUDLITE_TEST_DYNAMODB_URI");
    if (text == nullptr || *text == '\0') {
      GTEST_SKIP() << "set CLOUDLITE_TEST_DYNAMODB_URI (eval \"$(scripts/dynamodb-start.sh)\")";
    }
    Result<Uri> uri = Uri::Parse(text);
    ASSERT_TRUE(uri.ok());
    uri_ = *uri;
    Uri copy = uri_;
    auto store = OpenStore(copy, true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    prefix_ = "live-" + RandomHex(6) + "/";
  }
  void TearDown() override {
    if (store_ == nullptr) return;
    auto keys = ListAll(*store_, prefix_);
    if (keys.ok() && !keys->empty()) {
      EXPECT_TRUE(store_->Delete(*keys).ok());
    }
  }
  Result<std::unique_ptr<ObjectStore>> OpenWith(std::function<void(DynamoDbStoreOptions*)> edit) {
    DynamoDbStoreOptions o;
    o.table = uri_.authority;
    o.prefix = uri_.path;
    o.aws = *LoadAwsConfig("dynamodb");
    edit(&o);
    return OpenDynamoDbStoreWithOptions(std::move(o));
  }

  Uri uri_;
  std::unique_ptr<ObjectStore> store_;
  std::string prefix_;
};

std::string Pseudorandom(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_F(DynamoDbLive, EightThreadsRacePutIfAbsentOneWins) {
  for (size_t size : {size_t{100}, size_t{200} << 10}) {  // inline and chunked
    const std::string key = prefix_ + "race-" + std::to_string(size) + "/log/00000000000000000001";
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    std::vector<Status> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++) {
      threads.emplace_back([&, i] {
        std::string data = Pseudorandom(size + i, i);
        start.arrive_and_wait();
        results[i] = store_->PutIfAbsent(key, data);
      });
    }
    for (std::thread& t : threads) t.join();
    int winners = 0, winner = -1;
    for (int i = 0; i < kThreads; i++) {
      if (results[i].ok()) {
        winners++;
        winner = i;
      } else {
        EXPECT_EQ(results[i].code(), Status::Code::kAlreadyExists) << results[i].ToString();
      }
    }
    ASSERT_EQ(winners, 1);
    Result<std::string> got = store_->Get(key);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got == Pseudorandom(size + winner, winner));
  }
}

TEST_F(DynamoDbLive, FiveMiBRoundTripAndRangesFetchOnlyTheirChunks) {
  const std::string key = prefix_ + "seg/big";
  const std::string data = Pseudorandom(5 << 20, 11);
  auto& counts = ddb::ProcessDynamoDbRequestCounts();
  ASSERT_TRUE(store_->Put(key, data).ok());
  Result<std::string> got = store_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  // A 100-byte slice in the middle: the head and the one chunk that holds it (two requests
  // the first time, one once the head is known).
  const uint64_t offset = (5 << 20) / 2 + 1000;
  counts.Reset();
  Result<std::string> mid = store_->GetRange(key, offset, 100);
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  EXPECT_TRUE(*mid == data.substr(offset, 100));
  EXPECT_EQ(counts.get_item.load(), 1u);
  EXPECT_EQ(counts.batch_get.load(), 1u);
  EXPECT_LT(counts.bytes_in.load(), 2 * (64u << 10));  // one 64 KiB chunk (base64), not 5 MiB
  counts.Reset();
  // Spanning a chunk boundary: two chunks, one request.
  const uint64_t boundary = 40 * (64 << 10);
  mid = store_->GetRange(key, boundary - 10, 20);
  ASSERT_TRUE(mid.ok());
  EXPECT_TRUE(*mid == data.substr(boundary - 10, 20));
  EXPECT_EQ(counts.Total(), 1u);
  EXPECT_LT(counts.bytes_in.load(), 3 * (64u << 10));
  // The tail, past the end, and after a replacement (the cached head is checked).
  EXPECT_TRUE(*store_->GetRange(key, data.size() - 5, 100) == data.substr(data.size() - 5));
  EXPECT_EQ(*store_->GetRange(key, data.size() + 5, 100), "");
  const std::string other = Pseudorandom(3 << 20, 12);
  ASSERT_TRUE(store_->Put(key, other).ok());
  EXPECT_TRUE(*store_->GetRange(key, 1 << 20, 50) == other.substr(1 << 20, 50));
  EXPECT_EQ(store_->Head(key)->size, other.size());
}

// What a transaction costs in DynamoDB requests, through the whole engine (printed, and bounded:
// a small commit is at most two write requests, an up-to-date read one GetItem that consumes
// one read capacity unit: a strongly consistent read of a missing item).
TEST_F(DynamoDbLive, RequestsPerTransaction) {
  const std::string name = "costs-" + RandomHex(4);
  const std::string uri = uri_.ToString() + "/" + name;
  auto db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)
                  ->Update([](Connection& c) {
                    return c.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
                  })
                  .ok());
  auto& counts = ddb::ProcessDynamoDbRequestCounts();
  for (int i = 0; i < 5; i++) {
    counts.Reset();
    ASSERT_TRUE((*db)
                    ->Update([](Connection& c) {
                      return c.Exec("INSERT INTO t (v) VALUES ('small write')");
                    })
                    .ok());
    const std::string write = counts.ToJson();
    EXPECT_LE(counts.put_item + counts.batch_write, 2u) << write;
    counts.Reset();
    ASSERT_TRUE(
        (*db)
            ->View([](Connection& c) { return c.Query("SELECT v FROM t WHERE id = 1").status(); })
            .ok());
    const std::string read = counts.ToJson();
    EXPECT_EQ(counts.Total(), 1u) << read;
    EXPECT_EQ(counts.read_capacity_milli.load(), 1000u) << read;
    EXPECT_EQ(counts.write_capacity_milli.load(), 0u) << read;
    if (i == 4)
      std::cout << "small write transaction: " << write << "\nup-to-date read transaction: " << read
                << "\n";
  }
  db->reset();
  auto keys = ListAll(*store_, name + "/");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(store_->Delete(*keys).ok());
}

TEST_F(DynamoDbLive, MissingTableIsNotFoundWithTheHint) {
  auto store =
      OpenWith([](DynamoDbStoreOptions* o) { o->table = "no-such-table-" + RandomHex(4); });
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_NE(
      store.status().message().find("create it with: cloudlite dynamodb create-table no-such"),
      std::string::npos)
      << store.status().message();
}

TEST_F(DynamoDbLive, BadEndpointIsUnavailableQuickly) {
  const auto start = std::chrono::steady_clock::now();
  auto store = OpenWith([](DynamoDbStoreOptions* o) {
    o->aws.endpoint_url = "http://127.0.0.1:1";  // nothing listens there
  });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(DynamoDbLive, ListsAcrossDirectoriesAndLongNames) {
  std::vector<std::string> keys = {"a",
                                   "a-b",
                                   "a/b",
                                   "a/b/c",
                                   "a0",
                                   std::string(200, 'x'),
                                   std::string(200, 'x') + "/y",
                                   std::string(199, 'x') + "z"};
  for (int v = 1; v <= 30; v++) {
    char name[32];
    std::snprintf(name, sizeof(name), "db/log/%020d", v);
    keys.push_back(name);
  }
  std::sort(keys.begin(), keys.end());
  for (const std::string& k : keys) ASSERT_TRUE(store_->Put(prefix_ + k, k).ok()) << k;
  std::vector<std::string> want;
  for (const std::string& k : keys) want.push_back(prefix_ + k);
  EXPECT_EQ(*ListAll(*store_, prefix_), want);
  // The engine's question: records after version 25, one Query.
  auto& counts = ddb::ProcessDynamoDbRequestCounts();
  counts.Reset();
  Result<ListPage> page =
      store_->List(prefix_ + "db/log/", prefix_ + "db/log/00000000000000000025", 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->keys.size(), 5u);
  EXPECT_FALSE(page->more);
  EXPECT_EQ(counts.query.load(), 1u);
}

}  // namespace
}  // namespace cloudlite
