#include "engine/shared_probe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "store/mem/mem_store.h"
#include "testing/status_matchers.h"

namespace cloudlite::engine {
namespace {

// Waits (bounded) until `done` holds; false if it never did.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 60'000; i++) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST(SharedProbe, ALoneCallerFetchesItself) {
  SharedProbe probe;
  int calls = 0;
  auto got = probe.Get("k", [&]() -> Result<std::string> {
    calls++;
    return std::string("bytes");
  });
  ASSERT_OK(got);
  EXPECT_EQ(*got, "bytes");
  auto missing = probe.Get("k", [&]() -> Result<std::string> {
    calls++;
    return Status::NotFound("no k");
  });
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(calls, 2);  // one after the other: nothing to share
  EXPECT_EQ(probe.stats().fetches, 2u);
  EXPECT_EQ(probe.stats().shared, 0u);
}

// The heart of it: callers that arrive while a GET is under way never take its answer (it may
// predate them), they share the next one, which starts after all of them arrived.
TEST(SharedProbe, CallersArrivingDuringAFetchShareTheNextOneNotIt) {
  SharedProbe probe;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> exists{false};  // the object the probes look for
  std::atomic<int> fetches_started{0};
  auto fetch = [&]() -> Result<std::string> {
    const bool seen = exists.load();  // the store answers as of the start of the GET
    if (fetches_started.fetch_add(1) == 0) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
    }
    if (!seen) return Status::NotFound("absent");
    return std::string("record");
  };
  Result<std::string> first = Status::Internal("not run");
  std::thread a([&] { first = probe.Get("log/2", fetch); });
  ASSERT_TRUE(Eventually([&] { return fetches_started.load() == 1; }));
  exists = true;  // a commit acknowledged after the first GET began, before the others ask
  constexpr int kLate = 3;
  std::vector<Result<std::string>> late(kLate, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kLate; i++) {
    threads.emplace_back([&, i] { late[i] = probe.Get("log/2", fetch); });
  }
  ASSERT_TRUE(Eventually([&] { return probe.stats().waiting == kLate; }));
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
  for (auto& t : threads) t.join();
  EXPECT_TRUE(first.status().IsNotFound());  // its GET started before the commit
  for (const auto& r : late) {
    ASSERT_OK(r);  // never the first GET's stale answer
    EXPECT_EQ(*r, "record");
  }
  EXPECT_EQ(fetches_started.load(), 2);  // the first, and one for the three late callers
  EXPECT_EQ(probe.stats().shared, 2u);
  EXPECT_EQ(probe.stats().waiting, 0u);
}

TEST(SharedProbe, KeysAreProbedIndependently) {
  SharedProbe probe;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0};
  std::thread a([&] {
    (void)probe.Get("a", [&]() -> Result<std::string> {
      started++;
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      return std::string("a");
    });
  });
  ASSERT_TRUE(Eventually([&] { return started.load() == 1; }));
  // Key "b" does not wait for the GET of "a".
  auto b = probe.Get("b", []() -> Result<std::string> { return std::string("b"); });
  ASSERT_OK(b);
  EXPECT_EQ(*b, "b");
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
}

// A store whose GETs are quicker than a wake-up (a local file) is not worth waiting for: once
// its GETs have proved fast, a caller makes its own even while another's GET is under way.
TEST(SharedProbe, CallersOfAFastStoreDoNotWait) {
  SharedProbe probe;
  auto fast = []() -> Result<std::string> { return Status::NotFound("absent"); };
  for (int i = 0; i < 64; i++) ASSERT_TRUE(probe.Get("k", fast).status().IsNotFound());
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> started{false};
  std::thread stuck([&] {
    (void)probe.Get("k", [&]() -> Result<std::string> {
      started = true;
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      return Status::NotFound("absent");
    });
  });
  ASSERT_TRUE(Eventually([&] { return started.load(); }));
  EXPECT_TRUE(probe.Get("k", fast).status().IsNotFound());  // did not wait for `stuck`
  EXPECT_EQ(probe.stats().shared, 0u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stuck.join();
  EXPECT_EQ(probe.stats().fetches, 66u);
}

TEST(SharedProbe, AnErrorReachesEveryCallerOfItsFetch) {
  SharedProbe probe;
  auto r = probe.Get("k", []() -> Result<std::string> { return Status::Unavailable("down"); });
  EXPECT_TRUE(r.status().IsRetryable());
}

constexpr uint32_t kPageSize = 4096;

std::string Page(uint32_t pgno, uint64_t n) {
  std::string p(kPageSize, '\0');
  std::memcpy(p.data(), &pgno, sizeof pgno);
  std::memcpy(p.data() + 8, &n, sizeof n);
  return p;
}

// Engines sharing one probe, reading while another commits: a read that starts after a commit
// was acknowledged always sees it (linearizable reads at the default max_staleness of 0).
TEST(SharedProbe, ConcurrentReadersAlwaysSeeWhatWasCommittedBeforeTheyStarted) {
  auto store = std::make_shared<MemStore>();
  auto cache = std::make_shared<FrameCache>(8 << 20);
  auto probe = std::make_shared<SharedProbe>();
  EngineOptions options;
  options.probe = probe;
  auto writer = Engine::Open(store, "db", options, cache, /*create=*/true);
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->Refresh(true));
  ASSERT_OK((*writer)->Commit({{1, Page(1, 0)}}, kPageSize, 1));
  const uint64_t first = (*writer)->version();  // page 1 holds n at version first + n
  std::atomic<uint64_t> acknowledged{first};
  constexpr int kReaders = 6;
  constexpr int kCommits = 150;
  std::atomic<bool> writing{true};
  std::atomic<int> stale{0};
  std::atomic<int> errors{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; i++) {
    readers.emplace_back([&] {
      auto e = Engine::Open(store, "db", options, cache, /*create=*/false);
      if (!e.ok()) {
        errors++;
        return;
      }
      while (writing.load()) {
        const uint64_t before = acknowledged.load();  // committed before this read starts
        if (!(*e)->Refresh().ok()) {
          errors++;
          continue;
        }
        std::string page(kPageSize, '\0');
        if (!(*e)->ReadPage(1, page.data()).ok()) errors++;
        uint64_t n;
        std::memcpy(&n, page.data() + 8, sizeof n);
        if ((*e)->version() < before || first + n < before) stale++;
        reads++;
      }
    });
  }
  for (uint64_t n = 1; n <= kCommits; n++) {
    ASSERT_OK((*writer)->Commit({{1, Page(1, n)}}, kPageSize, 1));
    acknowledged = (*writer)->version();
  }
  writing = false;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(probe->stats().fetches, 0u);
}

}  // namespace
}  // namespace cloudlite::engine
