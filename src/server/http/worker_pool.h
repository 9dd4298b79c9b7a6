// A fixed set of threads running tasks in order of arrival. Handlers block (on the store, on
// backoff), so they run here and never on the listener's I/O threads. The queue has no bound of
// its own: the listener admits at most `max_in_flight` requests and each has at most one task
// queued, which bounds it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
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

  // Queues `task`; false (and the task destroyed unrun) once Stop has begun.
  bool Submit(std::function<void()> task);
  // Lets the running tasks finish, drops the queued ones unrun, and joins the threads.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cloudlite::server
