// Engine::Commit: a commit's frames, its record with the RECENT section, and publishing it in
// the next log slot (docs/format.md, "Committing and holes"); and EndIncarnation, the END
// record that removes a database.
#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "base/random.h"
#include "engine/commit_writer.h"
#include "engine/deleter.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "format/format.h"

namespace cloudlite::engine {
namespace {

// Starts a GET on another thread (on this one, when no thread is to be had).
std::future<Result<std::string>> StartGet(ObjectStore& store, std::string key) {
  auto get = [&store, key = std::move(key)] { return store.Get(key); };
  try {
    return std::async(std::launch::async, get);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, get);
  }
}

}  // namespace

format::Recent Engine::DescribeRecent() const {
  // Bounded so that a commit stays about as small as its pages: 192 bytes describe 6-14 small
  // commits. Where writes are billed by the request and requests are round trips, up to 2 KiB
  // to reach back to the newest checkpoint (about the 64 versions of an interval), so that an
  // opening reads the newest record and the checkpoint only (docs/format.md, "RECENT section").
  // Not on a local store: describing 2 KiB was a tenth of a busy server's instructions there,
  // to save an opening a few reads of local files.
  constexpr size_t kSmallBytes = 192, kToCheckpointBytes = 2048;
  const bool to_checkpoint = !store_->BillsWritesByKiB() && !store_->IsLocal();
  format::Recent recent;
  recent.db_pages = map_.db_pages();
  std::vector<format::RecentVersion> newest_first;
  std::set<uint32_t> seen;  // pages a newer described version changed
  size_t bytes = 0;
  // The newest versions whose changes this engine knows, down from version_ without a gap.
  uint64_t expect = version_;
  for (auto it = history_.rbegin(); it != history_.rend() && it->first == expect &&
                                    newest_first.size() < options_.recent_versions;
       ++it, --expect) {
    format::RecentVersion entry;
    entry.changed = it->second.pages;  // ascending and distinct (ApplyDecoded, ApplyRecent)
    entry.tag = it->second.tag;
    std::vector<uint32_t> last;  // the pages this version changed last
    for (uint32_t p : entry.changed) {
      if (!seen.count(p)) last.push_back(p);
    }
    entry.map = map_.Export(db_, last, it->second.record_key);
    bytes += format::EncodedSize(entry);
    const bool reaching = to_checkpoint && it->first >= checkpoint_version_;
    if (bytes > (reaching ? kToCheckpointBytes : kSmallBytes)) break;
    seen.insert(last.begin(), last.end());
    newest_first.push_back(std::move(entry));
  }
  recent.versions.assign(std::make_move_iterator(newest_first.rbegin()),
                         std::make_move_iterator(newest_first.rend()));
  return recent;
}

void Engine::WarmCache(const format::Record& published, std::vector<CommitFrames::Warm> warm) {
  // The record's frames moved by the length of what precedes them in it: the offsets written
  // are relative to the first one. Each is checked against the record's own map (object "",
  // that offset, that many pages): a frame cached under another's address would be served for it.
  std::map<uint64_t, uint32_t> in_record;  // absolute offset -> pages
  for (const auto& f : published.map.frames) {
    if (published.map.objects[f.object].empty()) in_record.emplace(f.offset, f.page_count);
  }
  const uint64_t base = in_record.empty() ? 0 : in_record.begin()->first;
  const std::string self = RecordName(published.version, published);
  for (CommitFrames::Warm& w : warm) {
    if (!w.key.empty()) {
      cache_->Put(FrameCache::Key(cache_scope_, w.key, w.offset), std::move(w.pages));
      continue;
    }
    auto it = in_record.find(base + w.offset);
    if (it == in_record.end() || uint64_t{it->second} * published.page_size != w.pages->size()) {
      continue;  // not where the map says: left to ApplyDecoded
    }
    cache_->Put(FrameCache::Key(cache_scope_, self, it->first), std::move(w.pages));
  }
}

Status Engine::PutSegment(const std::string& key, const std::string& bytes) {
  Status s = store_->Put(key, bytes);
  if (s.code() == Status::Code::kAmbiguous) {
    // A segment commits nothing by itself (only a record that references it does), so an
    // unknown outcome here is a plain failure: at worst the segment is garbage.
    return Status::Unavailable(s.message() + " (writing " + key + "; nothing was committed)");
  }
  return s;
}

bool Engine::NextSlotKnownEmpty(std::chrono::steady_clock::time_point now) const {
  return own_head_ != 0 && own_head_ == version_ &&
         now - next_slot_empty_at_ < options_.relist_after;
}

Status Engine::Publish(uint64_t version, const std::string& bytes, const std::string& nonce) {
  const auto now = std::chrono::steady_clock::now();
  if (version == version_ + 1 && NextSlotKnownEmpty(now)) {
    // A hole here would need a record younger than that GET deleted by hand, which nothing
    // that deletes records does (kLogDeleteGrace): the PutIfAbsent alone settles the slot.
    Status s = PublishRecord(version, bytes, nonce);
    if (s.ok()) own_head_ = version;
    return s;
  }
  // The next slot is read beside the PutIfAbsent: a record there that does not follow this one
  // means the slot was a hole below an existing record (docs/format.md, "Committing and holes").
  auto next = StartGet(*store_, format::LogKey(db_, version + 1));
  Status s = PublishRecord(version, bytes, nonce);
  Result<std::string> found = next.get();
  if (!s.ok()) return s;
  const bool empty = found.status().IsNotFound();
  CL_RETURN_IF_ERROR(CheckNotBelowExisting(version, nonce, std::move(found)));
  own_head_ = empty ? version : 0;
  if (empty) next_slot_empty_at_ = now;
  return Status::Ok();
}

Status Engine::CheckNotBelowExisting(uint64_t version, const std::string& nonce,
                                     Result<std::string> next) {
  const std::string next_key = format::LogKey(db_, version + 1);
  if (!next.ok() && !next.status().IsNotFound()) next = store_->Get(next_key);  // once more
  if (next.status().IsNotFound()) return Status::Ok();
  // The commit landed; a check that cannot be made does not undo it.
  if (!next.ok()) return Status::Ok();
  Result<format::Record> rec = format::DecodeRecord(*next, next_key);
  if (rec.ok() && rec->db_id == db_id_ && rec->prev == nonce) return Status::Ok();  // later commit
  const std::string key = format::LogKey(db_, version);
  (void)DeleteObjects(*store_, std::vector<std::string>{key});
  synced_ = false;
  return Status::Corruption(key + " was missing while " + next_key +
                            " exists (a hole in the log); this commit filled it and was withdrawn, "
                            "so nothing was committed. The database needs repair: restore the "
                            "missing record or copy the data out with cloudlite pull");
}

Status Engine::PublishRecord(uint64_t version, const std::string& bytes, const std::string& nonce) {
  std::string key = format::LogKey(db_, version);
  bool uncertain = false;  // an earlier attempt may have landed
  for (int attempt = 0; attempt <= options_.ambiguous_retries; attempt++) {
    Status s = store_->PutIfAbsent(key, bytes);
    if (s.ok()) return s;
    if (s.IsAlreadyExists()) {
      if (!uncertain) {
        behind_ = true;
        return Status::Busy("version " + std::to_string(version) + " of '" + db_ +
                            "' was committed by another writer first");
      }
      // Someone's record is there: ours if it carries our nonce.
      Result<std::string> existing = store_->Get(key);
      if (!existing.ok()) {
        if (existing.status().IsRetryable()) continue;
        return existing.status();
      }
      CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*existing, key));
      if (rec.nonce == nonce) return Status::Ok();
      behind_ = true;
      return Status::Busy("version " + std::to_string(version) + " of '" + db_ +
                          "' was committed by another writer first");
    }
    if (s.code() == Status::Code::kAmbiguous || (uncertain && s.IsRetryable())) {
      uncertain = true;
      continue;  // re-sending the same bytes settles it: ours lands once or theirs is there
    }
    return s;
  }
  return Status::Ambiguous("could not learn whether version " + std::to_string(version) + " of '" +
                           db_ + "' was committed (the store did not answer); it may have been");
}

Result<CommitFrames> Engine::WriteFrames(const DirtyPages& dirty,
                                         const std::vector<uint32_t>& pgnos, uint32_t page_size,
                                         uint64_t version) {
  CommitWriterOptions o;
  o.db = db_;
  o.db_id = db_id_;
  o.version = version;
  o.page_size = page_size;
  o.frame_pages = FramePages(options_.pages_per_frame, page_size);
  // Small commits at the fast level unless the store bills written bytes (EngineOptions).
  const bool small = uint64_t{page_size} * pgnos.size() <= options_.inline_limit;
  o.zstd_level =
      small && !store_->BillsWritesByKiB() ? options_.fast_zstd_level : options_.zstd_level;
  o.inline_limit = options_.inline_limit;
  o.segment_bytes = options_.segment_bytes;
  o.uploads_in_flight = options_.transfer_parallel;
  o.warm_bytes = cache_->capacity();
  return WriteCommitFrames(dirty, pgnos, o, [this](const std::string& key, const std::string& b) {
    return PutSegment(key, b);
  });
}

Status Engine::Commit(const DirtyPages& dirty, uint32_t page_size, uint32_t db_pages,
                      std::string_view changeset,
                      const std::function<void(uint64_t version)>* on_durable) {
  if (removed_) return RemovedError();
  (void)AdoptCheckpoint(/*wait=*/false);  // its failure cost the commit nothing
  (void)AdoptCollection(/*wait=*/false);  // best effort: what is left goes next time
  if (exists_ && db_id_ == format::Format1DbId()) {
    return Status::NotSupported("'" + db_ + "' in " + store_name_ +
                                " is in storage format 1, which this cloudlite reads but does not "
                                "write; upgrade it once with: cloudlite migrate URI");
  }
  if (head_nonce_.size() != format::kNonceSize) {
    return Status::Internal("committing without knowing the record of version " +
                            std::to_string(version_));
  }
  if (!format::IsValidPageSize(page_size)) {
    return Status::InvalidArgument("invalid page size " + std::to_string(page_size));
  }
  std::vector<uint32_t> pgnos = dirty.PageNumbers();
  if (map_.page_size() != 0 && map_.page_size() != page_size) {
    // Every page 1..db_pages rewritten: dirty's keys are distinct, so count and range tell.
    bool complete = !pgnos.empty() && pgnos.front() == 1 && pgnos.back() == db_pages &&
                    pgnos.size() == db_pages;
    if (!complete) {
      return Status::NotSupported("changing the page size needs every page rewritten (VACUUM)");
    }
  }
  if (!dirty.empty() && dirty.page_size() != page_size) {
    return Status::Internal("dirty pages have the wrong size");
  }
  if (!pgnos.empty() && pgnos.front() == 0) return Status::Internal("dirty page 0");
  pgnos.erase(std::upper_bound(pgnos.begin(), pgnos.end(), db_pages), pgnos.end());

  uint64_t version = version_ + 1;
  format::Record rec;
  rec.version = version;
  rec.time_micros = Now();
  rec.db_id = db_id_;
  rec.base = base_;
  rec.prev = version == base_ ? format::ZeroNonce() : head_nonce_;
  rec.writer_id = writer_id_;
  rec.nonce = RandomBytes(16);
  rec.page_size = page_size;
  rec.db_pages = db_pages;
  rec.changeset.assign(changeset);
  rec.recent = DescribeRecent();
  CL_ASSIGN_OR_RETURN(CommitFrames frames, WriteFrames(dirty, pgnos, page_size, version));
  rec.map = std::move(frames.map);
  const std::string& inline_frames = frames.inline_frames;
  std::string key = format::LogKey(db_, version);
  uint64_t frames_at = 0;
  std::string bytes = format::EncodeRecord(rec, inline_frames, &frames_at);
  Status published = Publish(version, bytes, rec.nonce);
  if (!published.ok()) {
    // A lost race proves this snapshot stale, and after an error it may be: whatever
    // max_staleness allows, the next transaction must look for newer versions.
    synced_ = false;
    return published;
  }
  if (on_durable && *on_durable) {
    // Its owner may answer a client now. A failure there is its own: the commit stands.
    try {
      (*on_durable)(version);
    } catch (...) {
    }
  }

  // Committed. Adopt it, warming the cache with what we wrote, the record included: the
  // process's other engines of this database then catch up without fetching it, and no engine
  // decompresses the record's frames again (ApplyDecoded skips those cached).
  // The record as a reader decodes it, without decoding it (format_test checks they agree).
  format::PlaceInlineFrames(&rec.map, frames_at);
  auto adopted = std::make_shared<const LogRecord>(LogRecord{std::move(bytes), std::move(rec)});
  WarmCache(adopted->rec, std::move(frames.warm));
  CL_RETURN_IF_ERROR(Apply(key, *adopted));
  RememberRecord(key, std::move(adopted));
  // The committer of every checkpoint_interval-th version checkpoints: one checkpoint per
  // interval however many writers there are (counting from the checkpoint each writer last knew
  // would make one per writer: they do not see each other's). After the acknowledgement, in the
  // background: the commit is in the log already, and the checkpoint only shortens what opening
  // reads. Best effort: a failed checkpoint waits for the next interval. One that ended an
  // interval or more behind is followed at once, so that the lag stays bounded.
  const uint64_t interval = options_.checkpoint_interval;
  if (interval == 0 || version_ % interval == 0 || checkpoint_due_) StartCheckpoint();
  // Garbage collection too, on its own thread and trigger: it never holds up a checkpoint.
  const uint64_t gc_interval = options_.gc_interval;
  if (gc_interval > 0 && version_ % gc_interval == 0) StartCollection();
  return Status::Ok();
}

Result<uint64_t> EndIncarnation(ObjectStore& store, const std::string& db, uint64_t newest,
                                bool newest_is_checkpoint) {
  // Writers that keep committing win some of the races for the next slot; each lost one jumps
  // to the newest record listed, so the END needs one won race, not a run of them.
  for (int attempt = 0; attempt < 1000; attempt++) {
    format::Record end;
    end.end = true;
    end.version = newest + 1;
    end.time_micros = WallMicros();
    end.writer_id = RandomBytes(16);
    end.nonce = RandomBytes(format::kNonceSize);
    end.db_id = RandomBytes(format::kDbIdSize);  // unless the newest record names its own
    end.base = end.version;
    end.prev = format::ZeroNonce();
    if (newest > 0 && !newest_is_checkpoint) {
      std::string key = format::LogKey(db, newest);
      CL_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
      Result<format::Record> head = format::DecodeRecord(bytes, key);
      if (head.ok() && head->end) return uint64_t{0};
      if (head.ok() && head->format >= 2) {  // damaged or format 1: END of an id of its own
        end.db_id = head->db_id;
        end.base = head->base;
        end.prev = head->nonce;
      }
    }
    Status s = store.PutIfAbsent(format::LogKey(db, end.version), format::EncodeRecord(end, {}));
    if (s.ok()) return end.version;
    if (!s.IsAlreadyExists()) return s;
    // A commit landed first: it is removed with the rest.
    const std::string prefix = format::LogPrefix(db);
    CL_ASSIGN_OR_RETURN(ListPage page, store.List(prefix, format::LogKey(db, newest), 1000));
    newest = std::max(newest + 1, format::NewestVersion(page.keys, prefix));
    newest_is_checkpoint = false;
  }
  return Status::Busy("could not end '" + db + "': commits kept landing; stop the writers first");
}

}  // namespace cloudlite::engine
