#include "server/http/worker_pool.h"

namespace cloudlite::server {

WorkerPool::WorkerPool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) threads_.emplace_back([this, w = w.get()] { Run(*w); });
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::Submit(std::function<void()> task) {
  Worker* woken = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      if (idle_.empty()) {
        tasks_.push_back(std::move(task));
        return true;
      }
      woken = idle_.back();
      idle_.pop_back();
      woken->task = std::move(task);
    }
  }
  if (!woken) {
    task = nullptr;  // destroyed outside the lock: it may own what calls Submit
    return false;
  }
  woken->wake.notify_one();
  return true;
}

void WorkerPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(tasks_);
  }
  for (auto& w : workers_) w->wake.notify_one();
  dropped.clear();
  for (std::thread& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
}

size_t WorkerPool::Idle() {
  std::lock_guard lock(mu_);
  return idle_.size();
}

void WorkerPool::Run(Worker& me) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      if (tasks_.empty() && !stopping_) {
        idle_.push_back(&me);
        me.wake.wait(lock, [&] { return me.task || stopping_; });
      }
      if (stopping_) {
        task = std::move(me.task);  // handed over but not begun: dropped like a queued one
        me.task = nullptr;
        lock.unlock();
        return;  // `task` is destroyed outside the lock
      }
      if (me.task) {
        task = std::move(me.task);
        me.task = nullptr;
      } else {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
    }
    task();
  }
}

}  // namespace cloudlite::server
