#include "store/fault/adversary_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/random.h"
#include "store/mem/mem_store.h"
#include "store/registry.h"

namespace cloudlite {
namespace {

TEST(AdversaryParamsTest, ParsesAndRefusesBadValues) {
  Uri uri =
      Uri::Parse("mem://a/b?adversary=0.25&adversary_seed=9&adversary_cache_dir=/tmp/c").value();
  auto options = TakeAdversaryParams(uri);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  ASSERT_TRUE(options->has_value());
  EXPECT_EQ((*options)->rate, 0.25);
  EXPECT_EQ((*options)->seed, 9u);
  EXPECT_EQ((*options)->cache_dir, "/tmp/c");
  EXPECT_TRUE(uri.params.empty()) << "consumed";

  Uri none = Uri::Parse("mem://a/b").value();
  EXPECT_FALSE(TakeAdversaryParams(none)->has_value());
  for (const char* bad : {"mem://a?adversary=0", "mem://a?adversary=2", "mem://a?adversary=x",
                          "mem://a?adversary=0.5&adversary_seed=-1", "mem://a?adversary_seed=3",
                          "mem://a?adversary_cache_dir=/tmp"}) {
    Uri u = Uri::Parse(bad).value();
    EXPECT_EQ(TakeAdversaryParams(u).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

// Every strike does what its journal entry says, to what the adversary saw.
TEST(StoreAdversaryTest, EachStrikeDoesWhatTheJournalSays) {
  auto inner = std::make_unique<MemStore>();
  MemStore& raw = *inner;
  AdversaryOptions options;
  options.rate = 1e-9;  // strikes only when asked
  options.seed = 42;
  auto adversary = std::make_shared<StoreAdversary>(options);
  AdversaryStore store(std::move(inner), adversary);
  std::map<std::string, std::set<std::string>> written;  // every version of each key
  for (int i = 0; i < 12; i++) {
    std::string key = "d/log/" + std::to_string(i);
    std::string bytes = "record " + std::to_string(i) + std::string(i * 10, 'x');
    ASSERT_TRUE(store.PutIfAbsent(key, bytes).ok());
    written[key].insert(bytes);
  }
  std::set<Strike::Kind> kinds;
  for (int n = 0; n < 200; n++) {
    std::map<std::string, std::string> before;
    for (const auto& [key, versions] : written) {
      if (auto r = raw.Get(key); r.ok()) before[key] = *r;
    }
    std::optional<Strike> strike = adversary->StrikeOnce(raw);
    if (!strike) continue;
    kinds.insert(strike->kind);
    EXPECT_EQ(strike->seq, adversary->clock());
    Result<std::string> now = raw.Get(strike->name);
    switch (strike->kind) {
      case Strike::Kind::kDelete:
        EXPECT_TRUE(now.status().IsNotFound()) << strike->ToString();
        break;
      case Strike::Kind::kTruncate:
        ASSERT_TRUE(now.ok());
        EXPECT_LT(now->size(), before[strike->name].size());
        EXPECT_EQ(before[strike->name].substr(0, now->size()), *now);
        break;
      case Strike::Kind::kReplay:
        ASSERT_TRUE(now.ok());
        EXPECT_TRUE(written[strike->other].contains(*now)) << strike->ToString();
        if (strike->other != strike->name) break;
        EXPECT_NE(before.count(strike->name) ? before[strike->name] : "", *now);
        break;
      case Strike::Kind::kSwap:
        ASSERT_TRUE(now.ok());
        EXPECT_EQ(*now, before[strike->other]);
        EXPECT_EQ(*raw.Get(strike->other), before[strike->name]);
        break;
    }
    // What a client writes now (a slot written again) is remembered as another version.
    if (now.status().IsNotFound()) {
      std::string again = "again " + std::to_string(n);
      ASSERT_TRUE(store.PutIfAbsent(strike->name, again).ok());
      written[strike->name].insert(again);
    }
  }
  EXPECT_EQ(kinds.size(), 4u) << "every kind of strike happened";
  EXPECT_EQ(adversary->journal().size(), adversary->clock());
}

TEST(StoreAdversaryTest, TheSameSeedStrikesTheSameWay) {
  auto run = [](uint64_t seed) {
    auto inner = std::make_unique<MemStore>();
    MemStore& raw = *inner;
    AdversaryOptions options;
    options.rate = 0.3;
    options.seed = seed;
    AdversaryStore store(std::move(inner), std::make_shared<StoreAdversary>(options));
    for (int i = 0; i < 50; i++) {
      (void)store.PutIfAbsent("d/log/" + std::to_string(i % 7), "v" + std::to_string(i));
      (void)store.Get("d/log/" + std::to_string(i % 5));
    }
    std::string state;
    std::vector<std::string> keys = ListAll(raw, "").value();
    for (const std::string& key : keys) state += key + "=" + *raw.Get(key) + ";";
    return state;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(StoreAdversaryTest, StrikesTheFilesOfACacheDirectory) {
  const char* base = std::getenv("CLOUDLITE_TEST_TMP");
  std::string dir = std::string(base ? base : ::testing::TempDir()) + "/adv-cache-" + RandomHex(6);
  std::filesystem::create_directories(dir);
  std::map<std::string, std::string> files;
  for (int i = 0; i < 6; i++) {
    std::string name = RandomHex(16);
    files[name] = "frame " + std::to_string(i) + std::string(100, static_cast<char>('a' + i));
    std::ofstream(dir + "/" + name, std::ios::binary) << files[name];
  }
  std::ofstream(dir + "/.tmp-123", std::ios::binary) << "being written";
  AdversaryOptions options;
  options.rate = 1;
  options.cache_dir = dir;
  auto adversary = std::make_shared<StoreAdversary>(options);
  AdversaryStore store(std::make_unique<MemStore>(), adversary);
  for (int i = 0; i < 40; i++) (void)store.Get("d/log/1");  // NotFound; strikes all the same
  std::vector<Strike> journal = adversary->journal();
  int on_cache = 0;
  for (const Strike& s : journal) {
    if (!s.cache) continue;
    on_cache++;
    EXPECT_TRUE(files.contains(s.name)) << s.ToString();
  }
  EXPECT_GT(on_cache, 5);
  std::ifstream tmp(dir + "/.tmp-123");
  std::stringstream text;
  text << tmp.rdbuf();
  EXPECT_EQ(text.str(), "being written") << "temporary files are left alone";
  std::filesystem::remove_all(dir);
}

TEST(StoreAdversaryTest, OpenStoreSharesOneAdversaryPerStoreAndSeed) {
  std::string name = "mem://adversary-" + RandomHex(6);
  Uri a = Uri::Parse(name + "?adversary=1&adversary_seed=3").value();
  Uri b = Uri::Parse(name + "?adversary=1&adversary_seed=3").value();
  auto store_a = OpenStore(a, true);
  auto store_b = OpenStore(b, true);
  ASSERT_TRUE(store_a.ok() && store_b.ok());
  ASSERT_TRUE((*store_a)->PutIfAbsent("d/log/1", "one").ok());
  AdversaryOptions options;
  options.rate = 1;
  options.seed = 3;
  auto adversary = ProcessAdversary((*store_a)->Describe(), options);
  uint64_t before = adversary->clock();
  (void)(*store_b)->Get("d/log/1");  // b's adversary knows the key a wrote, and strikes it
  EXPECT_EQ(adversary->clock(), before + 1);
  EXPECT_EQ(adversary->journal().back().name, "d/log/1");
}

}  // namespace
}  // namespace cloudlite
