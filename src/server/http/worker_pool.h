// A fixed set of threads running tasks. Handlers block (on the store, on backoff), so they run
// here and never on the listener's I/O threads. A task goes to the worker that went idle last
// (its stack, its allocator's caches and the data it touched are the likeliest still in the CPU's
// caches: a condition variable would wake the one idle longest, so that at a low rate every
// request ran on a cold thread); when none is idle it queues, and workers take the queue in order
// of arrival. The queue has no bound of its own: the listener admits at most `max_in_flight`
// requests and each has at most one task queued, which bounds it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cloudlite::server {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Hands `task` to a worker or queues it; false (and the task destroyed unrun) once Stop has
  // begun.
  bool Submit(std::function<void()> task);
  // Lets the running tasks finish, drops the queued ones unrun, and joins the threads.
  void Stop();
  // How many workers wait for a task now.
  size_t Idle();

 private:
  // One per thread, owned by the pool so that Submit may wake it after letting go of mu_.
  struct Worker {
    std::condition_variable wake;
    std::function<void()> task;  // handed to it while idle
  };
  void Run(Worker& me);

  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;  // only while no worker is idle
  std::vector<Worker*> idle_;                // the one idle last at the back
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace cloudlite::server
