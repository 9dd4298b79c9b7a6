#include "base/parallel.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <thread>
#include <vector>

namespace cloudlite {
namespace {

TEST(ForEachInParallelTest, RunsEveryJobOnce) {
  for (int threads : {1, 3, 16}) {
    std::vector<std::atomic<int>> runs(50);
    Status s = ForEachInParallel(runs.size(), threads, nullptr, [&](size_t i) {
      runs[i]++;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (auto& r : runs) EXPECT_EQ(r.load(), 1);
  }
  EXPECT_TRUE(ForEachInParallel(0, 4, nullptr, [](size_t) {
                return Status::Internal("no job should run");
              }).ok());
}

TEST(ForEachInParallelTest, TheFirstErrorStopsNewJobsAndIsReturned) {
  std::atomic<bool> failed{false};
  std::atomic<int> started{0};
  // One thread: jobs start in order, so exactly jobs 0..3 run.
  Status s = ForEachInParallel(100, 1, &failed, [&](size_t i) {
    started++;
    return i == 3 ? Status::Unavailable("job 3") : Status::Ok();
  });
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_EQ(s.message(), "job 3");
  EXPECT_TRUE(failed.load());
  EXPECT_EQ(started.load(), 4);
}

// Leaves the process `headroom` bytes of address space more than it uses now: a new thread's
// stack (8 MiB by default) no longer fits.
void LimitAddressSpace(size_t headroom) {
  unsigned long pages = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr || std::fscanf(f, "%lu", &pages) != 1) std::_Exit(10);
  std::fclose(f);
  rlim_t limit = pages * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + headroom;
  rlimit rl{limit, limit};
  if (setrlimit(RLIMIT_AS, &rl) != 0) std::_Exit(11);
}

// The DynamoDB store's own copy called std::terminate when the system refused its second
// thread (the vector of threads was destroyed with the first still joinable).
TEST(ForEachInParallelDeathTest, RefusedThreadsMeanFewerWorkersNotACrash) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "an address-space limit and a sanitizer's shadow memory do not mix";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        LimitAddressSpace(size_t{2} << 20);
        try {
          std::thread probe([] {});
          probe.join();
          std::_Exit(12);  // threads can still be made: the test would prove nothing
        } catch (const std::system_error&) {
        }
        std::atomic<int> ran{0};
        Status s = ForEachInParallel(8, 8, nullptr, [&](size_t) {
          ran++;
          return Status::Ok();
        });
        std::_Exit(s.ok() && ran.load() == 8 ? 0 : 13);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace cloudlite
