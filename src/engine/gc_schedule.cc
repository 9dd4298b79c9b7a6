// When inline garbage collection runs: the committer of every gc_interval-th version starts one
// after its commit is acknowledged, on a thread of its own, apart from checkpoints (which a
// collection listing a long log held up for thousands of versions when it ran after them on the
// checkpoint's thread: docs/design.md, "Garbage collection"). The work itself is
// CollectGarbage (gc.cc), which needs only the store, the database's name and what the last
// collection learned (GcMemo), so that it costs what changed since.
#include <system_error>
#include <thread>
#include <utility>

#include "engine/engine.h"

namespace cloudlite::engine {

struct Engine::BackgroundCollection {
  std::thread thread;
  std::atomic<bool> done{false};
  GcMemo memo;                                            // the engine's, while it runs
  Result<GcReport> report = Status::Internal("not run");  // written by `thread` before `done`

  ~BackgroundCollection() {
    if (thread.joinable()) thread.join();  // a closing connection finishes what it started
  }
};

void Engine::StartCollection() {
  if (collection_ && !collection_->done.load(std::memory_order_acquire)) return;
  (void)AdoptCollection(/*wait=*/true);
  auto job = std::make_shared<BackgroundCollection>();
  job->memo = std::move(gc_memo_);
  GcOptions gc;
  gc.clock = options_.clock;
  try {
    job->thread = std::thread([raw = job.get(), store = store_, db = db_, gc]() mutable {
      gc.memo = &raw->memo;
      raw->report = CollectGarbage(*store, db, gc);
      raw->done.store(true, std::memory_order_release);
    });
  } catch (const std::system_error&) {
    gc_memo_ = std::move(job->memo);  // no thread to be had: the next multiple tries again
    return;
  }
  collection_ = std::move(job);
}

Status Engine::AdoptCollection(bool wait) {
  if (!collection_) return Status::Ok();
  if (!wait && !collection_->done.load(std::memory_order_acquire)) return Status::Ok();
  std::shared_ptr<BackgroundCollection> job = std::move(collection_);
  job->thread.join();
  gc_memo_ = std::move(job->memo);
  gc_runs_++;
  if (job->report.ok()) gc_requests_ += job->report->requests;
  return job->report.status();
}

Status Engine::FinishCollection() { return AdoptCollection(/*wait=*/true); }

}  // namespace cloudlite::engine
