#include "store/registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/random.h"
#include "store/forwarding_store.h"
#include "store/mem/mem_store.h"
#include "testing/env.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

Uri ParseOk(std::string_view text) {
  Result<Uri> uri = Uri::Parse(text);
  EXPECT_OK(uri);
  return uri.ok() ? *uri : Uri{};
}

TEST(StoreStatsTest, JsonFormat) {
  StoreStats stats;
  EXPECT_EQ(stats.ToJson(), R"({"get":0,"put":0,"list":0,"delete":0,"bytes_in":0,"bytes_out":0})");
  stats.get = 1;
  stats.put = 22;
  stats.list = 333;
  stats.del = 4444;
  stats.bytes_in = 18446744073709551615u;
  stats.bytes_out = 6;
  EXPECT_EQ(stats.ToJson(),
            R"({"get":1,"put":22,"list":333,"delete":4444,"bytes_in":18446744073709551615,)"
            R"("bytes_out":6})");
}

// Issue 11, item 16: an S3 store's access check is one request (made at the first request
// since session 11, folded into it when it is a List); when it fails, --stats still counts it.
TEST(StoreStatsTest, AFailedAccessCheckIsCounted) {
  const uint64_t gets = ProcessStoreStats().get.load();
  const uint64_t lists = ProcessStoreStats().list.load();
  Status get, list;
  {
    test::ScopedEnv env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                         {"AWS_SECRET_ACCESS_KEY", "secret"},
                         {"AWS_REGION", "us-east-1"},
                         {"AWS_MAX_ATTEMPTS", "1"}});
    // Port 1 on loopback: nothing listens there, so every request fails at once.
    Uri uri = ParseOk("s3://bucket/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A1");
    auto store = OpenStore(uri, /*create=*/false);
    ASSERT_TRUE(store.ok()) << store.status().ToString();  // no request yet
    EXPECT_EQ(ProcessStoreStats().get.load(), gets);
    get = (*store)->Get("k").status();          // the check first, which fails: no GET of k
    list = (*store)->List("", "", 1).status();  // fails, then the check says why
  }
  EXPECT_FALSE(get.ok());
  EXPECT_FALSE(list.ok());
  EXPECT_EQ(ProcessStoreStats().get.load() - gets, 2u) << get.ToString();
  EXPECT_EQ(ProcessStoreStats().list.load() - lists, 1u) << list.ToString();
  // A file store makes no request to open: nothing is counted.
  std::string dir = ::testing::TempDir() + "/stats-" + RandomHex(6);
  Uri file = ParseOk("file://" + dir);
  const uint64_t after = ProcessStoreStats().get.load();
  ASSERT_TRUE(OpenStore(file, /*create=*/true).ok());
  EXPECT_EQ(ProcessStoreStats().get.load(), after);
}

// Against a real S3 (CLOUDLITE_TEST_S3_URI, the AWS_* environment): opening a store and listing
// is one request, the List (before session 11, the access check came first: one request more
// for every cold open). A missing bucket and a wrong secret still fail that first request with
// the check's errors.
TEST(OpenStoreTest, S3ChecksAccessWithTheFirstList) {
  const char* text = std::getenv("CLOUDLITE_TEST_S3_URI");
  if (text == nullptr || *text == '\0') GTEST_SKIP() << "set CLOUDLITE_TEST_S3_URI to run";
  const uint64_t gets = ProcessStoreStats().get.load();
  const uint64_t lists = ProcessStoreStats().list.load();
  Uri uri = ParseOk(text);
  auto store = OpenStore(uri, /*create=*/false);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->List("registry-test-" + RandomHex(6) + "/", "", 10).ok());
  EXPECT_EQ(ProcessStoreStats().get.load() - gets, 0u);
  EXPECT_EQ(ProcessStoreStats().list.load() - lists, 1u);

  Uri missing = ParseOk(text);
  const std::string bucket = "cloudlite-missing-" + RandomHex(6);
  missing.authority = bucket;
  store = OpenStore(missing, /*create=*/false);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status s = (*store)->List("", "", 10).status();
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("bucket " + bucket + " does not exist"), std::string::npos)
      << s.ToString();

  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  test::ScopedEnv env({{"AWS_SECRET_ACCESS_KEY", std::string("wrong-") + (secret ? secret : "")},
                       {"AWS_MAX_ATTEMPTS", "1"}});
  Uri wrong = ParseOk(text);
  store = OpenStore(wrong, /*create=*/false);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  s = (*store)->List("", "", 10).status();
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << s.ToString();
  s = (*store)->Get("k").status();  // a first request that is no List is checked first
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
}

TEST(StoreStatsTest, CountRequestsCountsEveryCall) {
  StoreStats stats;
  std::unique_ptr<ObjectStore> store = CountRequests(std::make_unique<MemStore>(), &stats);
  ASSERT_TRUE(store->Put("a", "hello").ok());
  ASSERT_TRUE(store->PutIfAbsent("b", "ab").ok());
  EXPECT_FALSE(store->PutIfAbsent("b", "xyz").ok());  // a lost race is still a request
  ASSERT_TRUE(store->Get("a").ok());
  ASSERT_TRUE(store->GetRange("a", 1, 2).ok());
  EXPECT_FALSE(store->Get("missing").ok());
  ASSERT_TRUE(store->Head("a").ok());
  ASSERT_TRUE(store->List("", "", 10).ok());
  const std::vector<std::string> keys = {"a", "b"};
  ASSERT_TRUE(store->Delete(keys).ok());
  EXPECT_EQ(stats.ToJson(), R"({"get":4,"put":3,"list":1,"delete":1,"bytes_in":7,"bytes_out":10})");
  EXPECT_EQ(store->Describe(), "mem://(private)");
}

// The engine sizes its records' RECENT sections by how the store bills writes (docs/format.md):
// the counter and the forwarding wrappers pass the inner store's answer on.
TEST(StoreStatsTest, WrappersForwardHowWritesAreBilled) {
  class BilledByKiB : public ForwardingStore {
   public:
    using ForwardingStore::ForwardingStore;
    bool BillsWritesByKiB() const override { return true; }
  };
  MemStore mem;
  BilledByKiB billed(mem);
  ObjectStore& dynamo_like = billed;  // (a ForwardingStore& would pick the copy constructor)
  StoreStats stats;
  EXPECT_FALSE(CountRequests(std::make_unique<ForwardingStore>(mem), &stats)->BillsWritesByKiB());
  EXPECT_TRUE(
      CountRequests(std::make_unique<ForwardingStore>(dynamo_like), &stats)->BillsWritesByKiB());
}

TEST(OpenStoreTest, MemIsSharedByNameAndCounted) {
  std::string name = "registry-test-" + RandomHex(6);
  Uri uri = ParseOk("mem://" + name);
  EXPECT_EQ(OpenStore(uri, /*create=*/false).status().code(), Status::Code::kNotFound);
  Result<std::unique_ptr<ObjectStore>> a = OpenStore(uri, /*create=*/true);
  ASSERT_OK(a);
  Result<std::unique_ptr<ObjectStore>> b = OpenStore(uri, /*create=*/false);
  ASSERT_OK(b);
  EXPECT_EQ((*a)->Describe(), "mem://" + name);

  uint64_t gets = ProcessStoreStats().get.load();
  ASSERT_TRUE((*a)->Put("k", "v").ok());
  Result<std::string> got = (*b)->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "v");
  EXPECT_GE(ProcessStoreStats().get.load(), gets + 1);
}

TEST(OpenStoreTest, File) {
  std::string dir = test::MakeTempDir("cl-registry");
  Uri uri = ParseOk("file://" + dir + "/store");
  Result<std::unique_ptr<ObjectStore>> missing = OpenStore(uri, /*create=*/false);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "store directory " + dir + "/store does not exist");
  Result<std::unique_ptr<ObjectStore>> store = OpenStore(uri, /*create=*/true);
  ASSERT_OK(store);
  EXPECT_EQ((*store)->Describe(), "file://" + dir + "/store");
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/store"));
  test::RemoveTree(dir);
}

TEST(OpenStoreTest, UnknownSchemeListsSupportedOnes) {
  Uri uri;
  uri.scheme = "gs";
  uri.authority = "bucket";
  Result<std::unique_ptr<ObjectStore>> store = OpenStore(uri, true);
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(store.status().message().find("file, mem, s3, dynamodb"), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace cloudlite
