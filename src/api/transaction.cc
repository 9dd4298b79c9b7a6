#include "api/transaction.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "api/replay.h"
#include "api/sql.h"
#include "vfs/vfs.h"

namespace cloudlite {
namespace {

// How many bytes of row changes are recorded for a replay: a quarter of write_memory, since the
// changeset holds each changed row about twice (docs/vfs.md, "Memory").
uint64_t ReplayMemory(sqlite3* db) {
  Result<vfs::WriteMemoryStats> memory = vfs::WriteMemory(db);
  return memory.ok() ? memory->limit / 4 : uint64_t{16} << 20;
}

}  // namespace

Transaction::Transaction(Connection connection, TransactionOptions options)
    : connection_(connection),
      options_(options),
      own_schema_(options.schema ? nullptr : std::make_unique<SchemaFacts>(db())),
      schema_(options.schema ? options.schema : own_schema_.get()),
      control_(vfs::WriteControlOf(db())),
      replay_memory_(ReplayMemory(db())) {}

// What may move after a lost race, in one place:
//  - pages: the VFS moves them within the COMMIT itself (vfs/main_file.h) when nothing the
//    transaction depends on changed and it neither allocated nor freed a page. It must: once
//    SQLite sees SQLITE_BUSY it rolls the pages back. It learns what changed from the engine's
//    history of recent versions (Engine::ChangedPagesSince).
//  - rows: replayed here (replay.h) when neither the schema nor page 1 changed on either side,
//    and, under kSerializable, nothing the transaction read changed either (the replay then
//    inherits that read set, so that it commits only if that still holds). Under kSnapshot only
//    the rows themselves must not conflict: the changeset refuses to apply then.
//  - anything else: the body runs again.
bool Transaction::MayReplay(const vfs::LostRace& race) const {
  if (race.header_changed || race.schema_changed) return false;
  return options_.isolation == Isolation::kSnapshot || !race.pages_changed;
}

Status Transaction::Attempt(const std::function<Status()>& work) {
  vfs::NextWrite next = std::exchange(next_, {});
  if (attempts_++ > 0 && std::exchange(back_off_, true)) {
    // Back off, then look for newer versions: after a sleep, going straight to the commit would
    // lose again.
    vfs::Contention contention = control_ ? control_->Outcome().contention : vfs::Contention{};
    std::this_thread::sleep_for(contention.Backoff(attempts_ - 1));
  } else {
    next.skip_probe = true;  // no sleep since the last look at the store
  }
  vfs::RaceCounts before;
  if (control_) {
    control_->PrepareWrite(next);
    before = control_->Outcome().races;
  }
  CL_RETURN_IF_ERROR(connection_.Exec("BEGIN IMMEDIATE"));
  if (control_ && options_.on_durable) control_->SetDurableHook(options_.on_durable);
  Status s = work();
  if (s.ok()) s = connection_.Exec("COMMIT");
  RollbackIfOpen(db());
  if (control_) {
    vfs::WriteOutcome outcome = control_->Outcome();
    stats_.lost_races += outcome.races.lost - before.lost;
    stats_.rebases += outcome.races.moved - before.moved;
    lost_ = outcome.lost;
  }
  return s;
}

Status Transaction::WithRowChanges(const std::function<Status()>& work,
                                   const RecordedChanges* changes) {
  if (!control_ || !options_.change_feed) return work();
  CL_ASSIGN_OR_RETURN(int64_t schema_before, schema_->Version());
  std::unique_ptr<ChangeRecorder> recorder;
  if (!changes) {
    CL_ASSIGN_OR_RETURN(recorder, ChangeRecorder::Start(db(), *schema_, replay_memory_));
  }
  CL_RETURN_IF_ERROR(work());
  RecordedChanges replayed;
  if (recorder) {
    CL_ASSIGN_OR_RETURN(replayed, recorder->Finish());
    changes = &replayed;
  }
  CL_ASSIGN_OR_RETURN(int64_t schema_after, schema_->Version());
  CL_ASSIGN_OR_RETURN(std::string section,
                      RowChangesSection(*schema_, *changes, schema_after != schema_before));
  control_->SetRowChanges(std::move(section));
  return Status::Ok();
}

Status Transaction::RunBody(const Body& body, RecordedChanges* changes, bool* body_failed) {
  CL_ASSIGN_OR_RETURN(auto recorder, ChangeRecorder::Start(db(), *schema_, replay_memory_));
  stats_.runs++;
  return WithRowChanges(
      [&]() -> Status {
        Status s = body();
        if (!s.ok()) {
          *body_failed = true;
          return s;
        }
        CL_ASSIGN_OR_RETURN(*changes, recorder->Finish());
        return Status::Ok();
      },
      changes);
}

Status Transaction::Rebase(const RecordedChanges& changes, Status lost) {
  const int attempts = std::max(1, options_.max_attempts);
  while (!changes.changeset.empty() && attempts_ < attempts && MayReplay(lost_)) {
    next_.inherit_reads = options_.isolation == Isolation::kSerializable;
    bool conflict = false;
    lost = Attempt([&]() -> Status {
      // What the replay wrote on the new version, recorded afresh for its commit record.
      return WithRowChanges(
          [&]() -> Status {
            CL_ASSIGN_OR_RETURN(bool applied, ApplyChangeset(db(), *schema_, changes));
            if (applied) return Status::Ok();
            conflict = true;
            return Status::Busy(
                "the transaction's row changes cannot be replayed on the new version");
          },
          nullptr);
    });
    if (lost.ok()) {
      stats_.rebases++;
      stats_.commits++;
      return lost;
    }
    if (conflict) {  // no race was lost: this try costs neither an attempt nor a backoff
      attempts_--;
      back_off_ = false;
      break;
    }
    if (!lost.IsBusy()) break;
  }
  return lost;
}

Status Transaction::Run(const Body& body) {
  const int attempts = std::max(1, options_.max_attempts);
  Status last;
  while (attempts_ < attempts) {
    RecordedChanges changes;
    bool body_failed = false;
    last = Attempt([&] { return RunBody(body, &changes, &body_failed); });
    if (body_failed) return last;
    if (last.ok()) {
      // A transaction that only read skipped the freshness probe: it must still have read the
      // latest version, or run again.
      bool current = true;
      if (control_) {
        CL_ASSIGN_OR_RETURN(current, control_->ConfirmReads());
      }
      if (!current) continue;
      stats_.commits++;
      return last;
    }
    if (!last.IsBusy()) return last;
    last = Rebase(changes, std::move(last));
    if (last.ok() || !last.IsBusy()) return last;
  }
  return Status::Busy("gave up after " + std::to_string(attempts) +
                      " attempts: other writers kept committing first (" + last.message() + ")");
}

}  // namespace cloudlite
