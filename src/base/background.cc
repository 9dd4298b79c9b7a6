#include "base/background.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace cloudlite {
namespace {

constexpr std::chrono::seconds kIdleLife{60};

struct Job {
  std::function<void()> run;
  std::promise<void> ended;
};

struct Threads {
  std::mutex mu;
  std::condition_variable wake;
  std::deque<Job> jobs;  // not yet taken
  size_t idle = 0;       // threads waiting for a job
};

// Never destroyed: idle threads may still wait on it while the process exits.
Threads* kept = nullptr;

Threads& Kept() {
  static std::once_flag once;
  std::call_once(once, [] {
    kept = new Threads();
    // A forked child has none of the parent's threads: it starts again with none kept, and
    // leaves the parent's state (counting threads it does not have, perhaps locked) behind.
    pthread_atfork(nullptr, nullptr, [] { kept = new Threads(); });
  });
  return *kept;
}

void Serve(Threads* t) {
  // Batch scheduling: a job woken on a busy core waits for its turn instead of preempting the
  // thread that started it (the commit that starts a checkpoint lost about 40 us to it).
  sched_param batch{};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
  std::unique_lock lock(t->mu);
  for (;;) {
    t->idle++;
    const bool woken = t->wake.wait_for(lock, kIdleLife, [&] { return !t->jobs.empty(); });
    t->idle--;
    if (!woken) return;  // idle a minute: the thread ends
    Job job = std::move(t->jobs.front());
    t->jobs.pop_front();
    lock.unlock();
    job.run();
    // What it captured goes before its end is told, as it would with a thread joined: a waiter
    // may then tear down what those captures reference.
    job.run = nullptr;
    job.ended.set_value();
    lock.lock();
  }
}

}  // namespace

std::future<void> RunInBackground(std::function<void()> job) {
  Threads& t = Kept();
  Job task{std::move(job), {}};
  std::future<void> done = task.ended.get_future();
  std::unique_lock lock(t.mu);
  t.jobs.push_back(std::move(task));
  if (t.jobs.size() > t.idle) {  // every idle thread has a job waiting already
    try {
      std::thread(Serve, &t).detach();
    } catch (const std::system_error&) {
      t.jobs.pop_back();
      throw;
    }
  }
  lock.unlock();
  t.wake.notify_one();
  return done;
}

size_t IdleBackgroundThreads() {
  Threads& t = Kept();
  std::lock_guard lock(t.mu);
  return t.idle;
}

}  // namespace cloudlite
