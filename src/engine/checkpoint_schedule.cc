// When checkpoints are written: the committer of every checkpoint_interval-th version starts
// one after its commit is acknowledged, on a thread of its own, so that the commit's latency is
// the record's PUT alone (docs/design.md, "Checkpoints reference only segments"). The work
// itself is Engine::Checkpoint (checkpoint.cc), run on a copy of the engine at the committed
// version: the copy shares only what is thread-safe (the store, the frame cache, the disk cache).
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "engine/engine.h"

namespace cloudlite::engine {

struct Engine::BackgroundCheckpoint {
  std::unique_ptr<Engine> engine;  // the copy it checkpoints, at the version committed
  std::thread thread;
  std::atomic<bool> done{false};
  Status status;  // written by `thread` before `done`

  ~BackgroundCheckpoint() {
    if (thread.joinable()) thread.join();  // a closing connection finishes what it started
  }
};

// Moves an engine's history, collection memo and running collection out for its lifetime, and
// back when it ends (also when copying the engine throws).
struct Engine::SetAside {
  explicit SetAside(Engine& e)
      : engine(e),
        history(std::exchange(e.history_, {})),
        memo(std::exchange(e.gc_memo_, {})),
        collection(std::move(e.collection_)) {}
  ~SetAside() {
    engine.history_ = std::move(history);
    engine.gc_memo_ = std::move(memo);
    engine.collection_ = std::move(collection);
  }
  SetAside(const SetAside&) = delete;
  SetAside& operator=(const SetAside&) = delete;

  Engine& engine;
  std::map<uint64_t, Change> history;
  GcMemo memo;
  std::shared_ptr<BackgroundCollection> collection;
};

void Engine::StartCheckpoint() {
  // One at a time: an interval that comes while the last one still runs is skipped, and the
  // next checkpoint covers it (at once, when the last ended behind: AdoptCheckpoint).
  if (background_ && !background_->done.load(std::memory_order_acquire)) return;
  (void)AdoptCheckpoint(/*wait=*/true);
  checkpoint_due_ = false;
  auto job = std::make_shared<BackgroundCheckpoint>();
  {
    // A checkpoint needs the map, not what recent versions changed nor what collections
    // learned, and the collection is this engine's to adopt. Set aside while the engine is
    // copied, not copied and then dropped: copying up to 1,024 versions' changes was most of
    // what starting a checkpoint cost the commit that starts it (docs/benchmarks.md, "Where a
    // 1-client write's time goes now").
    SetAside aside(*this);
    job->engine.reset(new Engine(*this));
  }
  job->engine->background_.reset();
  try {
    job->thread = std::thread([raw = job.get()] {
      raw->status = raw->engine->Checkpoint();
      raw->done.store(true, std::memory_order_release);
    });
  } catch (const std::system_error&) {
    (void)Checkpoint();  // no thread to be had: as before, in the commit
    return;
  }
  background_ = std::move(job);
  checkpointing_version_ = version_;
}

Status Engine::AdoptCheckpoint(bool wait) {
  if (!background_) return Status::Ok();
  if (!wait && !background_->done.load(std::memory_order_acquire)) return Status::Ok();
  std::shared_ptr<BackgroundCheckpoint> job = std::move(background_);
  job->thread.join();
  checkpointing_version_ = 0;
  Engine& copy = *job->engine;
  // It found a checkpoint newer than the map's basis (another engine's), and so made none: this
  // engine re-syncs at its next transaction, even a write's, or it would never checkpoint again.
  if (copy.resync_due()) basis_checked_ = {};
  // Intervals were skipped while it ran (one at a time): the next commit checkpoints again.
  const uint64_t interval = options_.checkpoint_interval;
  checkpoint_due_ = interval > 0 && version_ >= copy.version_ + interval;
  // What compaction learned of segment sizes carries over (nothing else touches them while a
  // job runs).
  segment_sizes_ = std::move(copy.segment_sizes_);
  // This engine may have moved on since, or reloaded another incarnation: it learns of the
  // checkpoint only if it still applies, and takes its map (pages moved into the checkpoint's
  // segment) only at the very version checkpointed.
  if (job->status.ok() && copy.db_id_ == db_id_ && copy.checkpoint_version_ > checkpoint_version_ &&
      copy.checkpoint_version_ <= version_) {
    checkpoint_version_ = copy.checkpoint_version_;
    // The map takes the checkpoint's (pages moved into its segment) and so rests on it, which
    // is what a collector keeps objects for. An engine that moved on since takes it with the
    // pages its later versions changed laid over it. Without those changes (a page-size change,
    // history trimmed) it keeps its own map and basis, and the periodic basis check
    // (relist_after) reloads from the newest checkpoint (docs/format.md, "Re-syncing").
    std::optional<std::set<uint32_t>> changed = ChangedPagesSince(copy.version_);
    if (copy.version_ == version_) {
      if (copy.head_nonce_ == head_nonce_) {
        map_ = std::move(copy.map_);
        basis_version_ = copy.basis_version_;
      }
    } else if (changed && copy.map_.page_size() == map_.page_size()) {
      copy.map_.Overlay(map_, *changed, db_);
      map_ = std::move(copy.map_);
      basis_version_ = copy.basis_version_;
    }
  }
  return job->status;
}

Status Engine::FinishCheckpoint() { return AdoptCheckpoint(/*wait=*/true); }

}  // namespace cloudlite::engine
