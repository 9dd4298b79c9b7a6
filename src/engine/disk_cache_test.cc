#include "engine/disk_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace cloudlite::engine {
namespace {

namespace fs = std::filesystem;

// An entry's bytes follow from its name, so any reader can tell a wrong or partial one.
std::string Content(const std::string& name, size_t size) {
  std::string out;
  while (out.size() < size) out += name + ";";
  out.resize(size);
  return out;
}

std::string Entry(int owner, int i) { return std::to_string(owner) + "-" + std::to_string(i); }

size_t SizeOf(int i) { return 500 + static_cast<size_t>(i % 7) * 300; }  // 500..2300

TEST(DiskCacheTest, TheBoundHoldsAfterManyInserts) {
  std::string dir = test::MakeTempDir("disk-cache-bound");
  constexpr uint64_t kMax = 64 << 10;
  DiskCache cache(dir, kMax);
  for (int i = 0; i < 300; i++) {
    cache.Put(Entry(0, i), Content(Entry(0, i), SizeOf(i)));
    ASSERT_LE(cache.HeldBytes(), kMax) << "after insert " << i;
  }
  EXPECT_GT(cache.HeldBytes(), kMax / 2) << "eviction stops at 7/8 of the bound, not at 0";
  // The newest entry is there and whole.
  EXPECT_EQ(cache.Get(Entry(0, 299)), Content(Entry(0, 299), SizeOf(299)));
}

TEST(DiskCacheTest, TheLeastRecentlyUsedGoFirstAndAGetCountsAsAUse) {
  std::string dir = test::MakeTempDir("disk-cache-lru");
  DiskCache cache(dir, 10'000);
  for (const char* name : {"a", "b", "c", "d"}) cache.Put(name, std::string(2000, *name));
  ASSERT_TRUE(cache.Get("a"));             // a is now the most recently used
  cache.Put("e", std::string(2000, 'e'));  // 10,000 bytes: at the bound, nothing goes
  EXPECT_EQ(cache.HeldBytes(), 10'000u);
  // Over the bound: the oldest uses go until 7/8 of it holds the new entry (b, then c).
  cache.Put("f", std::string(2000, 'f'));
  EXPECT_FALSE(cache.Get("b"));
  EXPECT_FALSE(cache.Get("c"));
  for (const char* name : {"a", "d", "e", "f"}) {
    EXPECT_EQ(cache.Get(name), std::string(2000, *name)) << name;
  }
  EXPECT_EQ(cache.HeldBytes(), 8'000u);
}

TEST(DiskCacheTest, AnEntryLargerThanTheBoundIsNotKept) {
  std::string dir = test::MakeTempDir("disk-cache-large");
  DiskCache cache(dir, 1000);
  cache.Put("small", std::string(600, 's'));
  cache.Put("big", std::string(1001, 'b'));
  EXPECT_FALSE(cache.Get("big"));
  EXPECT_TRUE(cache.Get("small")) << "nothing was evicted for it";
}

TEST(DiskCacheTest, TheDefaultBoundIsAtMostOneGibibyte) {
  std::string dir = test::MakeTempDir("disk-cache-default");
  DiskCache cache(dir);
  EXPECT_GT(cache.max_bytes(), 0u);
  EXPECT_LE(cache.max_bytes(), kDefaultDiskCacheBytes);
  EXPECT_EQ(DiskCache(dir, 12345).max_bytes(), 12345u);
}

TEST(DiskCacheTest, AScanDeletesTemporaryFilesOfDeadWritersOnly) {
  std::string dir = test::MakeTempDir("disk-cache-tmp");
  std::ofstream(dir + "/.tmp-old") << "left by a killed writer";
  std::ofstream(dir + "/.tmp-new") << "being written now";
  struct timespec old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir + "/.tmp-old").c_str(), old, 0), 0);
  DiskCache cache(dir, 1 << 20);
  cache.Put("x", "y");  // the first Put scans
  EXPECT_FALSE(fs::exists(dir + "/.tmp-old"));
  EXPECT_TRUE(fs::exists(dir + "/.tmp-new"));
  EXPECT_EQ(cache.HeldBytes(), 1u) << "temporary files are not entries";
}

// Puts and Gets of one owner's entries and the other's, checking every hit is whole and right.
// Returns the number of wrong hits.
int Churn(DiskCache& cache, int owner, int iterations, uint32_t seed) {
  std::mt19937 rng(seed);
  int wrong = 0;
  for (int i = 0; i < iterations; i++) {
    cache.Put(Entry(owner, i), Content(Entry(owner, i), SizeOf(i)));
    int other = static_cast<int>(rng() % 2);
    int j = static_cast<int>(rng() % static_cast<uint32_t>(i + 1));
    if (auto got = cache.Get(Entry(other, j))) {
      if (*got != Content(Entry(other, j), SizeOf(j))) wrong++;
    }
  }
  return wrong;
}

constexpr uint64_t kSharedMax = 128 << 10;
constexpr uint64_t kLargestEntry = 2300;

TEST(DiskCacheTest, TwoInstancesShareADirectoryOnThreads) {
  std::string dir = test::MakeTempDir("disk-cache-threads");
  DiskCache a(dir, kSharedMax), b(dir, kSharedMax);
  std::atomic<int> wrong{0};
  std::thread ta([&] { wrong += Churn(a, 0, 600, 1); });
  std::thread tb([&] { wrong += Churn(b, 1, 600, 2); });
  ta.join();
  tb.join();
  EXPECT_EQ(wrong.load(), 0) << "a reader saw a partial or wrong entry";
  // Each instance counts only its own writes between scans: together they may overshoot by an
  // eighth of the bound (plus an entry each) until the next scan, which restores it.
  EXPECT_LE(a.HeldBytes(), kSharedMax + kSharedMax / 8 + 2 * kLargestEntry);
  DiskCache c(dir, kSharedMax);
  c.Put("last", "x");
  EXPECT_LE(c.HeldBytes(), kSharedMax);
}

TEST(DiskCacheTest, TwoProcessesShareADirectory) {
  std::string dir = test::MakeTempDir("disk-cache-processes");
  std::vector<pid_t> children;
  for (int owner = 0; owner < 2; owner++) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      DiskCache cache(dir, kSharedMax);
      ::_exit(Churn(cache, owner, 600, static_cast<uint32_t>(owner + 7)) == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "a reader saw a partial or wrong entry (status " << status << ")";
  }
  DiskCache cache(dir, kSharedMax);
  EXPECT_LE(cache.HeldBytes(), kSharedMax + kSharedMax / 8 + 2 * kLargestEntry);
  cache.Put("last", "x");
  EXPECT_LE(cache.HeldBytes(), kSharedMax);
}

TEST(DiskCacheTest, ForDirectorySharesOneInstancePerDirectoryAndBound) {
  std::string dir = test::MakeTempDir("disk-cache-shared");
  auto a = DiskCache::ForDirectory(dir, 1000);
  EXPECT_EQ(DiskCache::ForDirectory(dir, 1000), a);
  EXPECT_NE(DiskCache::ForDirectory(dir, 2000), a);
}

}  // namespace
}  // namespace cloudlite::engine
