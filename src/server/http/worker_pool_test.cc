#include "server/http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

namespace cloudlite::server {
namespace {

TEST(WorkerPool, RunsEveryTaskSubmittedFromManyThreads) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(4);
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.Submit([&] { ran++; }));
      });
    }
    for (auto& s : submitters) s.join();
    while (ran < 4000) std::this_thread::yield();
  }
  EXPECT_EQ(ran, 4000);
}

TEST(WorkerPool, OneTaskAtATimeRunsOnTheWorkerIdleLast) {
  // What keeps a lightly loaded server's caches warm: a condition variable would hand each of
  // these to the worker idle longest, in turn.
  WorkerPool pool(8);
  std::set<std::thread::id> threads;
  for (int i = 0; i < 50; ++i) {
    while (pool.Idle() < 8) std::this_thread::yield();  // the last one's worker is back
    std::promise<std::thread::id> ran;
    ASSERT_TRUE(pool.Submit([&] { ran.set_value(std::this_thread::get_id()); }));
    threads.insert(ran.get_future().get());
  }
  EXPECT_EQ(threads.size(), 1u);
}

TEST(WorkerPool, TasksBeyondTheIdleWorkersQueueAndAllRun) {
  WorkerPool pool(2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.Submit([&, gate] {
      gate.wait();
      ran++;
    }));
  }
  release.set_value();
  while (ran < 10) std::this_thread::yield();
  EXPECT_EQ(ran, 10);
}

TEST(WorkerPool, StopFinishesRunningTasksDropsQueuedOnesAndRefusesNewOnes) {
  WorkerPool pool(1);
  std::promise<void> started, release;
  std::atomic<bool> finished{false}, queued_ran{false};
  auto dropped = std::make_shared<int>(0);
  ASSERT_TRUE(pool.Submit([&] {
    started.set_value();
    release.get_future().wait();
    finished = true;
  }));
  started.get_future().wait();
  ASSERT_TRUE(pool.Submit([&, dropped] { queued_ran = true; }));
  std::thread stopper([&] { pool.Stop(); });
  while (pool.Submit([] {})) std::this_thread::yield();  // until Stop has begun
  release.set_value();
  stopper.join();
  EXPECT_TRUE(finished);
  EXPECT_FALSE(queued_ran);
  EXPECT_EQ(dropped.use_count(), 1);  // the queued task was destroyed
  EXPECT_FALSE(pool.Submit([] {}));
}

}  // namespace
}  // namespace cloudlite::server
