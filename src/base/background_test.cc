#include "base/background.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace cloudlite {
namespace {

using std::chrono::seconds;

// Threads of this process.
size_t ProcessThreads() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) n++;
  return n;
}

// Waits up to 10 s for `done`.
template <typename Pred>
bool WaitFor(Pred done) {
  for (int i = 0; i < 1000 && !done(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

TEST(BackgroundTest, RunsTheJobOnAnotherThreadAndTellsItsEnd) {
  std::atomic<bool> ran{false};
  std::thread::id where;
  std::future<void> end = RunInBackground([&] {
    where = std::this_thread::get_id();
    ran = true;
  });
  ASSERT_EQ(end.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_TRUE(ran);
  EXPECT_NE(where, std::this_thread::get_id());
}

// Jobs never wait for one another: four that each wait until all four run finish only if each
// got a thread of its own when none was idle.
TEST(BackgroundTest, JobsRunAtOnceWhenNoThreadIsIdle) {
  constexpr int kJobs = 4;
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  std::atomic<int> met{0};
  std::vector<std::future<void>> ends;
  for (int i = 0; i < kJobs; i++) {
    ends.push_back(RunInBackground([&] {
      std::unique_lock lock(mu);
      running++;
      cv.notify_all();
      if (cv.wait_for(lock, seconds(10), [&] { return running == kJobs; })) met++;
    }));
  }
  for (auto& end : ends) ASSERT_EQ(end.wait_for(seconds(20)), std::future_status::ready);
  EXPECT_EQ(met, kJobs);
}

// A job that finds a thread idle runs on it: no thread is created for it.
TEST(BackgroundTest, AnIdleThreadIsKeptForTheNextJob) {
  RunInBackground([] {}).wait();
  ASSERT_TRUE(WaitFor([] { return IdleBackgroundThreads() >= 1; }));
  const size_t before = ProcessThreads();
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, release = false;
  std::future<void> end = RunInBackground([&] {
    std::unique_lock lock(mu);
    started = true;
    cv.notify_all();
    cv.wait_for(lock, seconds(10), [&] { return release; });
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return started; }));
  }
  EXPECT_EQ(ProcessThreads(), before);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_EQ(end.wait_for(seconds(10)), std::future_status::ready);
}

// A forked child (the torture tests' writers, crash tests) has none of its parent's threads:
// its jobs run on threads of its own instead of waiting for the parent's idle ones.
TEST(BackgroundTest, AForkedChildRunsItsJobsOnThreadsOfItsOwn) {
  RunInBackground([] {}).wait();
  ASSERT_TRUE(WaitFor([] { return IdleBackgroundThreads() >= 1; }));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::future<void> end = RunInBackground([] {});
    _exit(end.wait_for(seconds(10)) == std::future_status::ready ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace cloudlite
