// Verify (verify.h): read everything the retained versions need, report what is wrong.
#include "engine/verify.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "base/parallel.h"
#include "engine/page_map.h"
#include "format/format.h"

namespace cloudlite::engine {
namespace {

// A frame some retained record or checkpoint maps: where, and in which page size.
struct FrameUse {
  uint64_t stored_length;
  uint32_t page_count;
  uint32_t page_size;
};

struct ReadRecord {
  uint64_t size = 0;
  std::optional<format::Record> rec;  // nullopt: damaged (reported)
};

class Verifier {
 public:
  Verifier(ObjectStore& store, std::string db, int parallel)
      : store_(store), db_(std::move(db)), parallel_(std::max(1, parallel)) {}

  Result<VerifyReport> Run();

 private:
  void Report(const std::string& key, std::string what) {
    std::lock_guard lock(mu_);
    damaged_.insert(key);
    report_.damage.push_back({key, std::move(what)});
  }
  // Reads `key`; nullopt (reported) when it is gone.
  Result<std::optional<std::string>> Fetch(const std::string& key);
  Status ReadRecords();
  Status ReadCheckpoints();
  // The incarnation, from the newest readable record or checkpoint.
  Status FindIncarnation();
  void CheckContinuity();
  void CheckRecord(uint64_t v, const format::Record& rec);
  void CheckCheckpoint(uint64_t c, const format::Checkpoint& cp);
  // Notes the objects `map` names (resolving "" to `self`), reporting missing ones.
  void UseMap(const format::PageMapData& map, const std::string& self, uint32_t page_size,
              const std::string& by);
  Status CheckSegments();
  void FindDamagedVersions();

  ObjectStore& store_;
  const std::string db_;
  const int parallel_;
  std::mutex mu_;
  VerifyReport report_;
  std::set<std::string> damaged_;  // store keys
  std::set<std::string> listed_segments_;
  std::map<uint64_t, ReadRecord> records_;  // every listed record
  std::map<uint64_t, std::optional<format::Checkpoint>> checkpoints_;
  std::string db_id_;
  uint64_t base_ = 1;
  // Segment key -> offset -> use.
  std::map<std::string, std::map<uint64_t, FrameUse>> segment_frames_;
};

Result<std::optional<std::string>> Verifier::Fetch(const std::string& key) {
  Result<std::string> bytes = store_.Get(key);
  if (bytes.status().IsNotFound()) {
    Report(key, "missing: listed, but gone when read");
    return std::optional<std::string>();
  }
  CL_RETURN_IF_ERROR(bytes.status());
  std::lock_guard lock(mu_);
  report_.bytes += bytes->size();
  return std::optional<std::string>(std::move(*bytes));
}

Status Verifier::ReadRecords() {
  std::vector<uint64_t> versions;
  for (const auto& [v, unused] : records_) versions.push_back(v);
  return ForEachInParallel(versions.size(), parallel_, nullptr, [&](size_t i) -> Status {
    const uint64_t v = versions[i];
    const std::string key = format::LogKey(db_, v);
    CL_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Fetch(key));
    if (!bytes) return Status::Ok();
    Result<format::Record> rec = format::DecodeRecord(*bytes, key);
    if (!rec.ok()) {
      Report(key, rec.status().message());
      return Status::Ok();
    }
    if (rec->version != v) {
      Report(key, "holds version " + std::to_string(rec->version));
      return Status::Ok();
    }
    // Inline frames, each against the checksum seeded with where it is.
    const std::string self = rec->format >= 2
                                 ? format::RecordObject(v, format::RecordTag(rec->nonce))
                                 : std::string(format::ObjectName(db_, key));
    uint64_t frames = 0;
    for (const auto& f : rec->map.frames) {
      if (!rec->map.objects[f.object].empty()) continue;
      Result<std::string> pages =
          format::DecodeFrame(std::string_view(*bytes).substr(
                                  std::min<uint64_t>(f.offset, bytes->size()), f.stored_length),
                              f.page_count, rec->page_size,
                              format::FrameSeed(rec->db_id, self, f.offset), key, f.offset);
      frames++;
      if (!pages.ok()) {
        Report(key, pages.status().message());
        return Status::Ok();
      }
    }
    std::lock_guard lock(mu_);
    report_.frames += frames;
    records_[v].size = bytes->size();
    records_[v].rec = std::move(*rec);
    return Status::Ok();
  });
}

Status Verifier::ReadCheckpoints() {
  for (auto& [c, slot] : checkpoints_) {
    const std::string key = format::CheckpointKey(db_, c);
    CL_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Fetch(key));
    if (!bytes) continue;
    Result<format::Checkpoint> cp = format::DecodeCheckpoint(*bytes, key);
    if (!cp.ok()) {
      Report(key, cp.status().message());
    } else if (cp->version != c) {
      Report(key, "holds version " + std::to_string(cp->version));
    } else {
      slot = std::move(*cp);
    }
  }
  return Status::Ok();
}

Status Verifier::FindIncarnation() {
  // The newest readable record or checkpoint, whichever is newer, names the incarnation.
  const format::Record* newest_record = nullptr;
  for (auto it = records_.rbegin(); it != records_.rend() && !newest_record; ++it) {
    if (it->second.rec) newest_record = &*it->second.rec;
  }
  const format::Checkpoint* newest_checkpoint = nullptr;
  for (auto it = checkpoints_.rbegin(); it != checkpoints_.rend() && !newest_checkpoint; ++it) {
    if (it->second) newest_checkpoint = &*it->second;
  }
  if (newest_record &&
      (!newest_checkpoint || newest_record->version >= newest_checkpoint->version)) {
    if (newest_record->end && newest_record->version == records_.rbegin()->first) {
      return Status::NotFound("database '" + db_ + "' does not exist in " + store_.Describe() +
                              " (it was removed)");
    }
    db_id_ = newest_record->db_id;
    base_ = newest_record->base;
  } else if (newest_checkpoint) {
    db_id_ = newest_checkpoint->db_id;
    base_ = newest_checkpoint->base;
  } else if (records_.empty() && checkpoints_.empty()) {
    return Status::NotFound("database '" + db_ + "' does not exist in " + store_.Describe());
  } else {
    return Status::Ok();  // nothing readable: every object is already reported
  }
  report_.base = base_;
  return Status::Ok();
}

void Verifier::CheckContinuity() {
  uint64_t newest = 0, newest_checkpoint = 0, lowest_record = 0;
  for (const auto& [c, cp] : checkpoints_) {
    if (c >= base_ && cp && cp->db_id == db_id_) newest_checkpoint = c;
  }
  for (const auto& [v, unused] : records_) {
    if (v < base_) continue;
    if (lowest_record == 0) lowest_record = v;
    newest = v;
  }
  newest = std::max(newest, newest_checkpoint);
  // What the newest version needs: every record after the newest checkpoint (or the genesis).
  const uint64_t needed_from = newest_checkpoint > 0 ? newest_checkpoint + 1 : base_;
  const uint64_t first = lowest_record == 0 ? needed_from : std::min(lowest_record, needed_from);
  for (uint64_t u = first; u <= newest; u++) {
    if (records_.count(u)) continue;
    if (u >= needed_from) {
      Report(format::LogKey(db_, u),
             "missing: version " + std::to_string(newest) + " needs it (a hole in the log)");
    } else if (u > lowest_record) {
      Report(format::LogKey(db_, u),
             "missing: a hole in the log (records before and after it are retained)");
    }
  }
  report_.newest = newest;
  // The oldest retained version: the genesis when its record is there, else the oldest
  // checkpoint from which the records listed go on (a hole above it is damage, reported above).
  report_.oldest = newest;
  if (lowest_record == base_) {
    report_.oldest = base_;
  } else {
    for (const auto& [c, cp] : checkpoints_) {
      if (c >= base_ && (lowest_record == 0 || c + 1 >= lowest_record)) {
        report_.oldest = c;
        break;
      }
    }
  }
}

void Verifier::UseMap(const format::PageMapData& map, const std::string& self, uint32_t page_size,
                      const std::string& by) {
  for (const auto& f : map.frames) {
    const std::string& object = map.objects[f.object];
    if (object.empty()) continue;  // the object holding the map: checked with it
    const std::string key = format::ObjectKey(db_, format::StoreKey(object));
    if (object.rfind("seg/", 0) == 0) {
      if (!listed_segments_.count(key)) {
        Report(key, "missing, but " + by + " references it");
        continue;
      }
      segment_frames_[key].try_emplace(f.offset,
                                       FrameUse{f.stored_length, f.page_count, page_size});
    } else if (object.rfind("log/", 0) == 0) {
      uint64_t u;
      if (!format::ParseVersionKey(key, format::LogPrefix(db_), &u)) {
        Report(by.empty() ? self : by, "names an object that is no record: " + object);
        continue;
      }
      auto it = records_.find(u);
      if (it == records_.end() || !it->second.rec) continue;  // reported as missing or damaged
      const format::Record& rec = *it->second.rec;
      if (rec.format >= 2 && object != format::RecordObject(u, format::RecordTag(rec.nonce))) {
        Report(key, "is another record than the " + object + " that " + by + " references");
      } else if (f.offset + f.stored_length > it->second.size) {
        Report(key, "too short for the frame at offset " + std::to_string(f.offset) + " that " +
                        by + " references");
      }
    } else {
      Report(by, "names an object that is neither a segment nor a record: " + object);
    }
  }
}

void Verifier::CheckRecord(uint64_t v, const format::Record& rec) {
  const std::string key = format::LogKey(db_, v);
  if (rec.db_id != db_id_ || rec.base != base_) {
    Report(key, "belongs to another incarnation than the newest record's");
    return;
  }
  if (rec.end) {
    Report(key, "an END record below newer records");
    return;
  }
  if (v > base_ && rec.format >= 2) {
    auto prev = records_.find(v - 1);
    if (prev != records_.end() && prev->second.rec && prev->second.rec->nonce != rec.prev) {
      Report(key, "does not follow log/" + std::to_string(v - 1) +
                      " (one of them was replaced, or the slot written again)");
    }
  }
  const std::string self = format::RecordObject(v, format::RecordTag(rec.nonce));
  UseMap(rec.map, self, rec.page_size, key);
  for (const format::RecentVersion& entry : rec.recent.versions) {
    UseMap(entry.map, self, rec.page_size, key + " (RECENT)");
  }
}

void Verifier::CheckCheckpoint(uint64_t c, const format::Checkpoint& cp) {
  const std::string key = format::CheckpointKey(db_, c);
  if (cp.db_id != db_id_ || cp.base != base_) {
    Report(key, "belongs to another incarnation than the newest record's");
    return;
  }
  auto rec = records_.find(c);
  if (cp.format >= 2 && rec != records_.end() && rec->second.rec &&
      rec->second.rec->nonce != cp.head) {
    Report(key, "follows another record than log/" + std::to_string(c));
  }
  UseMap(cp.map, key, cp.page_size, key);
}

Status Verifier::CheckSegments() {
  std::vector<std::string> keys;
  for (const auto& [key, unused] : segment_frames_) keys.push_back(key);
  for (const std::string& key : listed_segments_) {
    if (!segment_frames_.count(key)) report_.unreferenced.push_back(key);
  }
  return ForEachInParallel(keys.size(), parallel_, nullptr, [&](size_t i) -> Status {
    const std::string& key = keys[i];
    CL_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Fetch(key));
    if (!bytes) return Status::Ok();
    Result<format::SegmentIndex> index = format::DecodeSegmentIndex(*bytes, key);
    if (!index.ok()) {
      Report(key, index.status().message());
      return Status::Ok();
    }
    if (index->db_id != db_id_) {
      Report(key, "belongs to another incarnation than the records that reference it");
      return Status::Ok();
    }
    const std::string object(format::ObjectName(db_, key));
    // Every frame its index lists, then every frame a version maps that the index does not.
    std::map<uint64_t, FrameUse> frames = segment_frames_.at(key);
    std::map<uint64_t, FrameUse> all;
    for (const auto& f : index->frames) {
      all[f.offset] = {f.stored_length, f.page_count, index->page_size};
    }
    for (const auto& [offset, use] : frames) all.try_emplace(offset, use);
    uint64_t checked = 0;
    for (const auto& [offset, use] : all) {
      auto mapped = frames.find(offset);
      if (mapped != frames.end() && mapped->second.stored_length != use.stored_length) {
        Report(key, "the frame at offset " + std::to_string(offset) +
                        " is mapped with another length than its index says");
        return Status::Ok();
      }
      if (offset + use.stored_length > bytes->size()) {
        Report(key, "truncated (frame at offset " + std::to_string(offset) + " is cut short)");
        return Status::Ok();
      }
      Result<std::string> pages = format::DecodeFrame(
          std::string_view(*bytes).substr(offset, use.stored_length), use.page_count, use.page_size,
          format::FrameSeed(db_id_, object, offset), key, offset);
      checked++;
      if (!pages.ok()) {
        Report(key, pages.status().message());
        return Status::Ok();
      }
    }
    std::lock_guard lock(mu_);
    report_.frames += checked;
    report_.segments++;
    return Status::Ok();
  });
}

void Verifier::FindDamagedVersions() {
  if (damaged_.empty() || report_.newest == 0) return;
  PageMap map;
  bool readable = false;
  auto mark = [&](uint64_t v) {
    auto& ranges = report_.damaged_versions;
    if (!ranges.empty() && ranges.back().second + 1 == v) {
      ranges.back().second = v;
    } else {
      ranges.emplace_back(v, v);
    }
  };
  for (uint64_t v = report_.oldest; v <= report_.newest; v++) {
    const std::string ckpt_key = format::CheckpointKey(db_, v);
    auto cp = checkpoints_.find(v);
    auto rec = records_.find(v);
    const bool rec_ok =
        rec != records_.end() && rec->second.rec && !damaged_.count(format::LogKey(db_, v));
    if (cp != checkpoints_.end()) {
      // Readers of this version and the next ones start from the checkpoint, as Engine does.
      readable = cp->second && !damaged_.count(ckpt_key);
      if (readable) {
        map.Apply(cp->second->map, db_, ckpt_key, cp->second->page_size, cp->second->db_pages,
                  /*replace=*/true);
      }
    } else if (rec_ok && (readable || v == base_)) {
      const format::Record& r = *rec->second.rec;
      const bool replace = v == base_ || map.page_size() != r.page_size;
      map.Apply(r.map, db_,
                format::ObjectKey(db_, format::RecordObject(v, format::RecordTag(r.nonce))),
                r.page_size, r.db_pages, replace);
      readable = true;
    } else {
      readable = false;
    }
    bool ok = readable;
    if (ok) {
      for (const std::string& object : map.Export(db_).objects) {
        if (damaged_.count(format::ObjectKey(db_, format::StoreKey(object)))) {
          ok = false;
          break;
        }
      }
    }
    if (!ok) mark(v);
  }
}

Result<VerifyReport> Verifier::Run() {
  if (!format::IsValidDatabaseName(db_)) {
    return Status::InvalidArgument("invalid database name '" + db_ +
                                   "': use 1-128 characters from A-Z a-z 0-9 . _ -");
  }
  CL_ASSIGN_OR_RETURN(auto keys, ListAll(store_, format::DatabasePrefix(db_)));
  const std::string log_prefix = format::LogPrefix(db_);
  const std::string ckpt_prefix = format::CheckpointPrefix(db_);
  const std::string seg_prefix = format::SegmentPrefix(db_);
  for (const std::string& key : keys) {
    uint64_t v;
    if (format::ParseVersionKey(key, log_prefix, &v)) {
      records_[v];
    } else if (format::ParseVersionKey(key, ckpt_prefix, &v)) {
      checkpoints_[v];
    } else if (key.rfind(seg_prefix, 0) == 0) {
      listed_segments_.insert(key);
    }
  }
  CL_RETURN_IF_ERROR(ReadRecords());
  CL_RETURN_IF_ERROR(ReadCheckpoints());
  CL_RETURN_IF_ERROR(FindIncarnation());
  CheckContinuity();
  for (const auto& [v, read] : records_) {
    if (v < base_ || !read.rec) continue;
    report_.records++;
    CheckRecord(v, *read.rec);
  }
  for (const auto& [c, cp] : checkpoints_) {
    if (c < base_ || !cp) continue;
    report_.checkpoints++;
    CheckCheckpoint(c, *cp);
  }
  CL_RETURN_IF_ERROR(CheckSegments());
  FindDamagedVersions();
  std::sort(report_.damage.begin(), report_.damage.end(),
            [](const Damage& a, const Damage& b) { return a.key < b.key; });
  return std::move(report_);
}

}  // namespace

Result<VerifyReport> Verify(ObjectStore& store, const std::string& db, int parallel) {
  return Verifier(store, db, parallel).Run();
}

}  // namespace cloudlite::engine
