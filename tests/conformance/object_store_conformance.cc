// Every ObjectStore backend against the contract in src/store/object_store.h.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <latch>
#include <random>
#include <thread>
#include <vector>

#include "base/random.h"
#include "conformance/conformance.h"
#include "store/file/file_store.h"
#include "store/mem/mem_store.h"
#include "store/registry.h"
#include "store/uri.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite::conformance {

ConformanceBackend BackendFromEnv(std::string name, std::string env_var, std::string example) {
  return {std::move(name), [env_var, example](std::string* skip) -> Result<OpenedStore> {
            const char* text = std::getenv(env_var.c_str());
            if (text == nullptr || *text == '\0') {
              *skip = "set " + env_var + "=" + example + " to run against this backend";
              return OpenedStore{};
            }
            CL_ASSIGN_OR_RETURN(Uri uri, Uri::Parse(text));
            CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, OpenStore(uri, true));
            return OpenedStore{std::move(store), nullptr};
          }};
}

void PrintTo(const ConformanceBackend& backend, std::ostream* os) { *os << backend.name; }

namespace {

Result<OpenedStore> OpenPrivateMem(std::string*) {
  return OpenedStore{std::make_unique<MemStore>(), nullptr};
}

Result<OpenedStore> OpenTempFileStore(std::string*) {
  std::string dir = test::MakeTempDir("cl-conformance");
  if (dir.empty()) return Status::IOError("no temporary directory");
  CL_ASSIGN_OR_RETURN(std::unique_ptr<FileStore> store, FileStore::Open(dir + "/store", true));
  return OpenedStore{std::move(store), [dir] { test::RemoveTree(dir); }};
}

// The backends. One line each.
const ConformanceBackend kBackends[] = {
    {"Mem", OpenPrivateMem},
    {"File", OpenTempFileStore},
    BackendFromEnv("S3", "CLOUDLITE_TEST_S3_URI", "s3://bucket/prefix?endpoint=..."),
    BackendFromEnv("DynamoDB", "CLOUDLITE_TEST_DYNAMODB_URI", "dynamodb://table?endpoint=..."),
};

class ObjectStoreConformance : public ::testing::TestWithParam<ConformanceBackend> {
 protected:
  void SetUp() override {
    std::string skip;
    Result<OpenedStore> opened = GetParam().open(&skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    ASSERT_OK(opened);
    store_ = std::move(opened->store);
    cleanup_ = std::move(opened->cleanup);
    ASSERT_NE(store_, nullptr);
    // Unique per test, so that tests sharing a real bucket or table never see each other.
    prefix_ = "conformance-" + RandomHex(8) + "/";
  }

  void TearDown() override {
    if (store_ != nullptr) {
      Result<std::vector<std::string>> keys = ListAll(*store_, prefix_);
      if (keys.ok() && !keys->empty()) {
        EXPECT_TRUE(store_->Delete(*keys).ok());
      }
      store_.reset();
    }
    if (cleanup_) cleanup_();
  }

  std::string K(std::string_view key) const { return prefix_ + std::string(key); }

  std::vector<std::string> WithPrefix(std::vector<std::string> keys) const {
    for (std::string& key : keys) key = prefix_ + key;
    return keys;
  }

  void PutAll(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) ASSERT_TRUE(store_->Put(key, "v:" + key).ok()) << key;
  }

  std::vector<std::string> ListAllOk(std::string_view prefix, std::string_view start_after = {}) {
    Result<std::vector<std::string>> keys = ListAll(*store_, prefix, start_after);
    EXPECT_OK(keys);
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  std::unique_ptr<ObjectStore> store_;
  std::function<void()> cleanup_;
  std::string prefix_;
};

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; i++) s.push_back(static_cast<char>(i));
  return s;
}

std::string Pseudorandom(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_P(ObjectStoreConformance, PutGetRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"small", "hello"},
      {"empty", ""},
      {"binary", AllBytes() + AllBytes()},
      {"large", Pseudorandom(5 << 20, 7)},
  };
  for (const auto& [name, data] : cases) {
    ASSERT_TRUE(store_->Put(K(name), data).ok()) << name;
    Result<std::string> got = store_->Get(K(name));
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(got->size(), data.size()) << name;
    EXPECT_TRUE(*got == data) << name << ": contents differ";
  }
}

TEST_P(ObjectStoreConformance, GetRange) {
  const std::string data = AllBytes();
  ASSERT_TRUE(store_->Put(K("r"), data).ok());
  struct Case {
    uint64_t offset, length;
    std::string want;
  };
  const Case cases[] = {
      {0, 256, data},
      {10, 20, data.substr(10, 20)},  // middle
      {250, 100, data.substr(250)},   // runs past the end
      {0, UINT64_MAX, data},          // "everything from here"
      {256, 10, ""},                  // offset at the end
      {1000, 10, ""},                 // offset past the end
      {5, 0, ""},                     // length 0
      {255, 1, data.substr(255)},     // the last byte
  };
  for (const Case& c : cases) {
    Result<std::string> got = store_->GetRange(K("r"), c.offset, c.length);
    ASSERT_TRUE(got.ok()) << c.offset << "+" << c.length << ": " << got.status().ToString();
    EXPECT_TRUE(*got == c.want) << c.offset << "+" << c.length << ": got " << got->size()
                                << " bytes, want " << c.want.size();
  }
  ASSERT_TRUE(store_->Put(K("empty"), "").ok());
  Result<std::string> got = store_->GetRange(K("empty"), 0, 10);
  ASSERT_OK(got);
  EXPECT_EQ(*got, "");
}

TEST_P(ObjectStoreConformance, HeadSize) {
  ASSERT_TRUE(store_->Put(K("h"), std::string(12345, 'x')).ok());
  ASSERT_TRUE(store_->Put(K("empty"), "").ok());
  Result<ObjectInfo> info = store_->Head(K("h"));
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 12345u);
  info = store_->Head(K("empty"));
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 0u);
}

TEST_P(ObjectStoreConformance, MissingKeyIsNotFound) {
  ASSERT_TRUE(store_->Put(K("dir/present"), "x").ok());
  for (const std::string& key : {K("missing"), K("dir/missing"), K("nodir/missing")}) {
    EXPECT_EQ(store_->Get(key).status().code(), Status::Code::kNotFound) << key;
    EXPECT_EQ(store_->GetRange(key, 0, 10).status().code(), Status::Code::kNotFound) << key;
    EXPECT_EQ(store_->Head(key).status().code(), Status::Code::kNotFound) << key;
  }
  // A "directory" is not an object.
  EXPECT_EQ(store_->Get(K("dir")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Head(K("dir")).status().code(), Status::Code::kNotFound);
}

TEST_P(ObjectStoreConformance, PutIfAbsentOnce) {
  ASSERT_TRUE(store_->PutIfAbsent(K("once"), "first").ok());
  Status second = store_->PutIfAbsent(K("once"), "second");
  EXPECT_EQ(second.code(), Status::Code::kAlreadyExists) << second.ToString();
  Result<std::string> got = store_->Get(K("once"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "first");
  // Put creates too, and PutIfAbsent respects what Put made.
  ASSERT_TRUE(store_->Put(K("put"), "p").ok());
  EXPECT_EQ(store_->PutIfAbsent(K("put"), "q").code(), Status::Code::kAlreadyExists);
  // After a Delete the key is free again.
  const std::vector<std::string> victims = {K("once")};
  ASSERT_TRUE(store_->Delete(victims).ok());
  EXPECT_TRUE(store_->PutIfAbsent(K("once"), "again").ok());
  EXPECT_EQ(*store_->Get(K("once")), "again");
}

TEST_P(ObjectStoreConformance, PutIfAbsentRaceHasOneWinner) {
  constexpr int kThreads = 16;
  std::latch start(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&, i] {
      // Different sizes too, so that a mix of two writes could not pass for one.
      std::string data = "writer " + std::to_string(i) + std::string(1000 * i, 'a' + i);
      start.arrive_and_wait();
      results[i] = store_->PutIfAbsent(K("race/log/1"), data);
    });
  }
  for (std::thread& t : threads) t.join();
  int winner = -1;
  for (int i = 0; i < kThreads; i++) {
    if (results[i].ok()) {
      EXPECT_EQ(winner, -1) << "two winners: " << winner << " and " << i;
      winner = i;
    } else {
      EXPECT_EQ(results[i].code(), Status::Code::kAlreadyExists) << results[i].ToString();
    }
  }
  ASSERT_NE(winner, -1) << "no winner";
  Result<std::string> got = store_->Get(K("race/log/1"));
  ASSERT_OK(got);
  EXPECT_TRUE(*got == "writer " + std::to_string(winner) +
                          std::string(1000 * winner, static_cast<char>('a' + winner)));
}

TEST_P(ObjectStoreConformance, PutOverwrites) {
  ASSERT_TRUE(store_->Put(K("o"), "one").ok());
  ASSERT_TRUE(store_->Put(K("o"), "two, longer").ok());
  EXPECT_EQ(*store_->Get(K("o")), "two, longer");
  EXPECT_EQ(store_->Head(K("o"))->size, 11u);
  ASSERT_TRUE(store_->Put(K("o"), "3").ok());
  EXPECT_EQ(*store_->Get(K("o")), "3");
  EXPECT_EQ(ListAllOk(prefix_), WithPrefix({"o"}));
}

// Keys where walking a directory tree in name order gives the wrong order: '-' < '/' < '0'.
const std::vector<std::string> kTricky = {"a/b", "a-c", "a/b/c", "a0", "ab"};

TEST_P(ObjectStoreConformance, ListIsBytewiseOrdered) {
  PutAll(WithPrefix({"ab", "a/b/c", "a0", "a-c", "a/b"}));
  std::vector<std::string> want = WithPrefix(kTricky);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(want, WithPrefix({"a-c", "a/b", "a/b/c", "a0", "ab"}));
  EXPECT_EQ(ListAllOk(prefix_), want);
  // The same order one key per page.
  std::vector<std::string> paged;
  std::string after;
  for (int i = 0; i < 20; i++) {
    Result<ListPage> page = store_->List(prefix_, after, 1);
    ASSERT_OK(page);
    ASSERT_LE(page->keys.size(), 1u);
    paged.insert(paged.end(), page->keys.begin(), page->keys.end());
    if (!page->more) break;
    ASSERT_FALSE(page->keys.empty());
    after = page->keys.back();
  }
  EXPECT_EQ(paged, want);
}

TEST_P(ObjectStoreConformance, ListPrefix) {
  PutAll(WithPrefix(kTricky));
  PutAll(WithPrefix({"b/x", "bb"}));
  EXPECT_EQ(ListAllOk(K("a/")), WithPrefix({"a/b", "a/b/c"}));
  EXPECT_EQ(ListAllOk(K("a/b")), WithPrefix({"a/b", "a/b/c"}));
  EXPECT_EQ(ListAllOk(K("a/b/")), WithPrefix({"a/b/c"}));
  EXPECT_EQ(ListAllOk(K("a")), WithPrefix({"a-c", "a/b", "a/b/c", "a0", "ab"}));
  EXPECT_EQ(ListAllOk(K("a-")), WithPrefix({"a-c"}));
  EXPECT_EQ(ListAllOk(K("b")), WithPrefix({"b/x", "bb"}));
  EXPECT_EQ(ListAllOk(K("b/")), WithPrefix({"b/x"}));
  EXPECT_EQ(ListAllOk(K("a/b/c")), WithPrefix({"a/b/c"}));
  EXPECT_TRUE(ListAllOk(K("a/b/c/")).empty());
  EXPECT_TRUE(ListAllOk(K("zzz")).empty());
  EXPECT_TRUE(ListAllOk(K("nodir/")).empty());
  EXPECT_TRUE(ListAllOk(K("a//")).empty());
}

TEST_P(ObjectStoreConformance, ListStartAfter) {
  PutAll(WithPrefix(kTricky));
  // A key that exists, one that does not, one that is a "directory", one before everything.
  EXPECT_EQ(ListAllOk(prefix_, K("a/b")), WithPrefix({"a/b/c", "a0", "ab"}));
  EXPECT_EQ(ListAllOk(prefix_, K("a/a")), WithPrefix({"a/b", "a/b/c", "a0", "ab"}));
  EXPECT_EQ(ListAllOk(prefix_, K("a/b/")), WithPrefix({"a/b/c", "a0", "ab"}));
  EXPECT_EQ(ListAllOk(prefix_, K("a/b/c")), WithPrefix({"a0", "ab"}));
  EXPECT_EQ(ListAllOk(prefix_, K("a-c")), WithPrefix({"a/b", "a/b/c", "a0", "ab"}));
  EXPECT_EQ(ListAllOk(prefix_, K("")), WithPrefix({"a-c", "a/b", "a/b/c", "a0", "ab"}));
  EXPECT_TRUE(ListAllOk(prefix_, K("ab")).empty());
  EXPECT_TRUE(ListAllOk(prefix_, K("b")).empty());
  // start_after before the prefix is the same as none; after it, nothing.
  EXPECT_EQ(ListAllOk(K("a/"), "0"), WithPrefix({"a/b", "a/b/c"}));
  EXPECT_TRUE(ListAllOk(K("a/"), K("b")).empty());
}

TEST_P(ObjectStoreConformance, ListPagination) {
  std::vector<std::string> all;
  for (int i = 0; i < 25; i++) {
    // A mix of depths so that pages end inside and between directories.
    std::string n = std::to_string(100 + i);
    all.push_back(K(i % 3 == 0 ? "p/" + n : i % 3 == 1 ? "p/d" + n + "/x" : "p-" + n));
  }
  PutAll(all);
  std::sort(all.begin(), all.end());
  for (size_t limit = 1; limit <= 3; limit++) {
    std::vector<std::string> got;
    std::string after;
    bool ended = false;
    for (int pages = 0; pages < 100 && !ended; pages++) {
      Result<ListPage> page = store_->List(prefix_, after, limit);
      ASSERT_OK(page);
      ASSERT_LE(page->keys.size(), limit);
      got.insert(got.end(), page->keys.begin(), page->keys.end());
      ended = !page->more;
      if (!ended) {
        ASSERT_FALSE(page->keys.empty()) << "more without keys";
        after = page->keys.back();
      }
    }
    EXPECT_TRUE(ended) << "limit " << limit << ": more never became false";
    EXPECT_EQ(got, all) << "limit " << limit;
  }
  // A page that holds everything.
  Result<ListPage> page = store_->List(prefix_, "", 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->keys, all);
  EXPECT_FALSE(page->more);
}

TEST_P(ObjectStoreConformance, DeleteBatch) {
  PutAll(WithPrefix({"d/1", "d/2", "d/3", "e/1"}));
  const std::vector<std::string> victims =
      WithPrefix({"d/1", "d/missing", "d/3", "nodir/missing", "e/1"});
  ASSERT_TRUE(store_->Delete(victims).ok());
  EXPECT_EQ(ListAllOk(prefix_), WithPrefix({"d/2"}));
  EXPECT_EQ(store_->Get(K("d/1")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Head(K("e/1")).status().code(), Status::Code::kNotFound);
  // Deleting again, and deleting nothing, are Ok.
  EXPECT_TRUE(store_->Delete(victims).ok());
  EXPECT_TRUE(store_->Delete({}).ok());
  EXPECT_EQ(*store_->Get(K("d/2")), "v:" + K("d/2"));
}

TEST_P(ObjectStoreConformance, InvalidKeysAreRejected) {
  const std::string bad[] = {
      "../x",        "/abs",  "a//b",  "",         std::string("a\0b", 3),
      "a/./b",       "a/",    "a/..",  ".",        "..",
      "x/../../etc", "a\x01", "tab\t", "\xc3\xa9", std::string(1025, 'k'),
  };
  const std::vector<std::string> one_good_one_bad = {K("good"), "../x"};
  ASSERT_TRUE(store_->Put(K("good"), "g").ok());
  for (const std::string& key : bad) {
    std::string shown = key.size() > 40 ? key.substr(0, 40) + "..." : key;
    EXPECT_EQ(store_->Get(key).status().code(), Status::Code::kInvalidArgument) << shown;
    EXPECT_EQ(store_->GetRange(key, 0, 1).status().code(), Status::Code::kInvalidArgument) << shown;
    EXPECT_EQ(store_->Head(key).status().code(), Status::Code::kInvalidArgument) << shown;
    EXPECT_EQ(store_->Put(key, "x").code(), Status::Code::kInvalidArgument) << shown;
    EXPECT_EQ(store_->PutIfAbsent(key, "x").code(), Status::Code::kInvalidArgument) << shown;
    const std::vector<std::string> keys = {key};
    EXPECT_EQ(store_->Delete(keys).code(), Status::Code::kInvalidArgument) << shown;
  }
  // A batch with a bad key deletes nothing.
  EXPECT_EQ(store_->Delete(one_good_one_bad).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(store_->Get(K("good")).ok());
}

TEST_P(ObjectStoreConformance, LongKeys) {
  // Exactly 1024 bytes, in segments short enough for any file system.
  std::string key = prefix_;
  while (key.size() < 1024) {
    key += std::string(std::min<size_t>(60, 1024 - key.size()), 'k');
    if (key.size() < 1023) key += "/";
  }
  ASSERT_EQ(key.size(), 1024u);
  ASSERT_TRUE(store_->Put(key, "long").ok());
  EXPECT_EQ(*store_->Get(key), "long");
  EXPECT_EQ(ListAllOk(prefix_), std::vector<std::string>{key});
  EXPECT_EQ(store_->Put(key + "k", "x").code(), Status::Code::kInvalidArgument);
}

TEST_P(ObjectStoreConformance, UnusualCharacters) {
  std::string printable;  // every byte a key may hold, except '/'
  for (char c = 0x20; c < 0x7f; c++) {
    if (c != '/') printable.push_back(c);
  }
  std::vector<std::string> keys = WithPrefix({
      "%",
      "%25",
      "%2F",
      "a%2Fb/c",
      ".hidden",
      ".hidden/x",
      ".cl-tmp-0123456789abcdef",
      "..x",
      "x.",
      "...",
      " space ",
      "~",
      "!$&'()*+,;=:@",
      "#?[]",
      "\\",
      printable,
      printable + "/z",
  });
  PutAll(keys);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(ListAllOk(prefix_), keys);
  for (const std::string& key : keys) {
    Result<std::string> got = store_->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, "v:" + key);
  }
  EXPECT_EQ(ListAllOk(K(".")),
            WithPrefix({"...", "..x", ".cl-tmp-0123456789abcdef", ".hidden", ".hidden/x"}));
  EXPECT_EQ(ListAllOk(K("%")), WithPrefix({"%", "%25", "%2F"}));
}

TEST_P(ObjectStoreConformance, ReadAfterWrite) {
  for (int i = 0; i < 20; i++) {
    std::string key = K("raw/" + std::to_string(i));
    ASSERT_TRUE(store_->PutIfAbsent(key, "v" + std::to_string(i)).ok());
    Result<ObjectInfo> info = store_->Head(key);
    ASSERT_OK(info);
    EXPECT_EQ(*store_->Get(key), "v" + std::to_string(i));
    std::vector<std::string> listed = ListAllOk(K("raw/"));
    EXPECT_NE(std::find(listed.begin(), listed.end(), key), listed.end()) << key;
    EXPECT_EQ(listed.size(), static_cast<size_t>(i + 1));
  }
  const std::vector<std::string> victims = {K("raw/3")};
  ASSERT_TRUE(store_->Delete(victims).ok());
  EXPECT_EQ(store_->Get(K("raw/3")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ListAllOk(K("raw/")).size(), 19u);
}

TEST_P(ObjectStoreConformance, ConcurrentReadersAndWriters) {
  // Readers see an object whole or not at all while others write and overwrite around it.
  constexpr int kThreads = 8;
  const std::string big_a(256 << 10, 'a'), big_b(256 << 10, 'b');
  ASSERT_TRUE(store_->Put(K("shared"), big_a).ok());
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; i++) {
        if (t % 2 == 0) {
          (void)store_->Put(K("shared"), i % 2 ? big_a : big_b);
          (void)store_->Put(K("t" + std::to_string(t) + "/" + std::to_string(i)), "x");
        } else {
          Result<std::string> got = store_->Get(K("shared"));
          if (!got.ok() || (*got != big_a && *got != big_b)) torn++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(ListAllOk(prefix_).size(), 1u + 4 * 20);
}

// PrefixWatch's contract, for a store that offers one: no two calls return one number across a
// write or a delete directly under the prefix. (Stores that cannot watch return null.)
TEST_P(ObjectStoreConformance, AWatchChangesAcrossEveryWriteAndDelete) {
  ASSERT_TRUE(store_->Put(K("w/0"), "x").ok());
  std::shared_ptr<PrefixWatch> watch = store_->Watch(K("w/"));
  if (watch == nullptr) GTEST_SKIP() << "this store offers no watch";
  const std::vector<std::string> one = {K("w/1")};
  const std::vector<std::function<Status()>> changes = {
      [&] { return store_->PutIfAbsent(K("w/1"), "a"); },
      [&] { return store_->Put(K("w/1"), "b"); },
      [&] { return store_->Delete(one); },
  };
  for (size_t i = 0; i < changes.size(); i++) {
    const uint64_t before = watch->Generation();
    ASSERT_OK(changes[i]());
    EXPECT_NE(watch->Generation(), before) << "change " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ObjectStoreConformance, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<ConformanceBackend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace cloudlite::conformance
