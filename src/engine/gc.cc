#include "engine/gc.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <utility>
#include <vector>

#include "engine/deleter.h"
#include "engine/engine.h"
#include "format/format.h"
#include "store/forwarding_store.h"

namespace cloudlite::engine {
namespace {

// How far back a record's RECENT section may reach (docs/format.md): records that far below the
// horizon stay, so that a reader catching up from the horizon checkpoint finds what it names.
constexpr uint64_t kRecentReach = 64;

// Counts the requests a collection makes.
class CountingStore : public ForwardingStore {
 public:
  explicit CountingStore(ObjectStore& inner) : ForwardingStore(inner) {}
  Result<std::string> Get(std::string_view key) override {
    requests_++;
    return ForwardingStore::Get(key);
  }
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    requests_++;
    return ForwardingStore::List(prefix, start_after, limit);
  }
  uint64_t requests() const { return requests_; }

 private:
  std::atomic<uint64_t> requests_{0};
};

// The version in a segment key "D/seg/<20 digits>-<id>", or false when it is not one.
bool SegmentVersion(const std::string& key, const std::string& prefix, uint64_t* version) {
  if (key.size() < prefix.size() + 21 || key[prefix.size() + 20] != '-') return false;
  return format::ParseVersionKey(key.substr(0, prefix.size() + 20), prefix, version);
}

// The facts of checkpoint `c`: from the memo, else read. NotFound when it is gone.
Result<CheckpointFacts> ReadFacts(ObjectStore& store, const std::string& db, uint64_t c,
                                  GcMemo* memo) {
  if (memo) {
    auto it = memo->checkpoints.find(c);
    if (it != memo->checkpoints.end()) return it->second;
  }
  const std::string key = format::CheckpointKey(db, c);
  CL_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
  CL_ASSIGN_OR_RETURN(format::Checkpoint cp, format::DecodeCheckpoint(bytes, key));
  if (cp.version != c) return Status::Corruption(key + ": holds another version");
  CheckpointFacts facts{cp.time_micros, cp.db_id, cp.base, {}};
  for (const auto& object : cp.map.objects) {
    if (object.rfind("seg/", 0) == 0) facts.segments.push_back(object);
  }
  if (memo) memo->checkpoints[c] = facts;
  return facts;
}

// How many of records[0, n) were committed at or before `cutoff`: they form a prefix, commit
// times growing with versions (up to clock skew, which the 5-minute grace covers), so a binary
// search reads about log2(n) records. A record gone meanwhile counts as not old enough, and
// sets `*gone`.
Result<size_t> CountCommittedBy(ObjectStore& store, const std::string& db,
                                const std::vector<uint64_t>& records, size_t n, int64_t cutoff,
                                bool* gone) {
  size_t low = 0, high = n;  // records[0, low) are old enough, records[high, n) are not
  while (low < high) {
    size_t mid = low + (high - low) / 2;
    const std::string key = format::LogKey(db, records[mid]);
    Result<std::string> bytes = store.Get(key);
    if (bytes.status().IsNotFound()) {
      *gone = true;
      return low;
    }
    CL_RETURN_IF_ERROR(bytes.status());
    CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*bytes, key));
    if (rec.time_micros <= cutoff) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

// The horizon rule (docs/design.md): may checkpoint `c` of time `t` be the horizon?
bool MayBeHorizon(const RetentionRule& rule, uint64_t c, int64_t t, uint64_t newest, int64_t now) {
  if (rule.retain_versions > 0 && c + rule.retain_versions > newest + 1) return false;
  if (rule.retain.count() > 0 && t > now - rule.retain.count()) return false;
  return t <= now - rule.grace.count();
}

}  // namespace

Result<GcReport> CollectGarbage(ObjectStore& base_store, const std::string& db,
                                const GcOptions& options) {
  CountingStore store(base_store);
  const Clock& clock = options.clock ? *options.clock : WallClock();
  const int64_t now = clock.NowMicros();
  GcReport report;
  auto finish = [&](std::string why) -> Result<GcReport> {
    report.nothing_because = std::move(why);
    report.requests = store.requests();
    return report;
  };
  if (options.rule) {
    report.rule = *options.rule;
  } else {
    Result<RetentionRule> stored = ReadRetention(store, db);
    if (!stored.ok()) {
      // A damaged rule never deletes history.
      return Status(stored.status().code(),
                    stored.status().message() + " (the retention rule; nothing was collected)");
    }
    report.rule = *stored;
  }
  if (report.rule.KeepsEverything()) return finish("the retention rule keeps all history");

  const std::string ckpt_prefix = format::CheckpointPrefix(db);
  const std::string log_prefix = format::LogPrefix(db);
  CL_ASSIGN_OR_RETURN(auto ckpt_keys, ListAll(store, ckpt_prefix));
  const std::vector<uint64_t> checkpoints = format::SortedVersions(ckpt_keys, ckpt_prefix);
  // The records the last run left, and the log listed after them: log keys sort by version
  // (docs/format.md), so a run lists the records committed since the last one, not the log's
  // whole length. Taken out of the memo: a run that fails leaves the next one to list it all.
  std::vector<uint64_t> records;
  if (options.memo) records = std::exchange(options.memo->records, {});
  const std::string log_after = records.empty() ? "" : format::LogKey(db, records.back());
  CL_ASSIGN_OR_RETURN(auto log_keys, ListAll(store, log_prefix, log_after));
  for (uint64_t v : format::SortedVersions(log_keys, log_prefix)) {
    if (records.empty() || v > records.back()) records.push_back(v);
  }
  // What the next run starts from when this one deletes none of `records[0, kept_from)`.
  auto remember = [&](size_t kept_from) {
    if (options.memo) options.memo->records.assign(records.begin() + kept_from, records.end());
  };
  if (records.empty()) return finish("the database has no records");
  report.newest = records.back();
  const std::string newest_key = format::LogKey(db, report.newest);
  Result<std::string> newest_bytes = store.Get(newest_key);
  if (newest_bytes.status().IsNotFound()) return finish("the log changed while it was read");
  CL_RETURN_IF_ERROR(newest_bytes.status());
  CL_ASSIGN_OR_RETURN(format::Record head, format::DecodeRecord(*newest_bytes, newest_key));
  if (head.end) {
    report.removed = true;
    return finish("the database was removed (rm deletes the rest)");
  }

  // From the newest checkpoint of the head's incarnation down to the horizon: every segment
  // they reference stays.
  std::set<std::string> referenced;
  int64_t horizon_time = 0;
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    const uint64_t c = *it;
    if (c > report.newest) continue;  // its record is not listed yet: a newer collector's job
    Result<CheckpointFacts> facts = ReadFacts(store, db, c, options.memo);
    if (facts.status().IsNotFound()) continue;  // deleted meanwhile by another collector
    if (!facts.ok()) {
      return Status(facts.status().code(), facts.status().message() + " (nothing was collected)");
    }
    if (facts->db_id != head.db_id || c < head.base) continue;  // another incarnation's
    referenced.insert(facts->segments.begin(), facts->segments.end());
    if (MayBeHorizon(report.rule, c, facts->time_micros, report.newest, now)) {
      report.horizon = c;
      horizon_time = facts->time_micros;
      break;
    }
  }
  if (report.horizon == 0) {
    remember(0);
    return finish("no checkpoint is older than the retention window yet");
  }
  if (options.memo) {
    auto& read = options.memo->checkpoints;
    read.erase(read.begin(), read.lower_bound(report.horizon));
  }

  for (uint64_t c : checkpoints) {
    if (c < report.horizon) report.checkpoints.push_back(format::CheckpointKey(db, c));
  }
  // Records also wait until no writer that synced recently may still commit after one
  // (docs/format.md, "Deleting log records"): those at or below the horizon's RECENT reach that
  // were committed 5 minutes ago go.
  const int64_t log_cutoff =
      now - std::chrono::duration_cast<std::chrono::microseconds>(kLogDeleteGrace).count();
  size_t below = 0;  // records[0, below) are at or below the reach
  while (below < records.size() && records[below] + kRecentReach <= report.horizon) below++;
  size_t old = below;
  bool gone = false;  // a record listed (now or by an earlier run) is no longer there
  if (below > 0 && horizon_time > log_cutoff) {
    CL_ASSIGN_OR_RETURN(old, CountCommittedBy(store, db, records, below, log_cutoff, &gone));
  }
  for (size_t i = 0; i < old; i++) report.records.push_back(format::LogKey(db, records[i]));
  const std::string seg_prefix = format::SegmentPrefix(db);
  CL_ASSIGN_OR_RETURN(auto seg_keys, ListAll(store, seg_prefix));
  for (const auto& key : seg_keys) {
    uint64_t s;
    if (!SegmentVersion(key, seg_prefix, &s) || s >= report.horizon) continue;
    if (!referenced.count(std::string(format::ObjectName(db, key)))) {
      report.segments.push_back(key);
    }
  }
  const std::string rule_prefix = format::RetentionPrefix(db);
  CL_ASSIGN_OR_RETURN(auto rule_keys, ListAll(store, rule_prefix));
  const uint64_t newest_rule = format::NewestVersion(rule_keys, rule_prefix);
  for (uint64_t e : format::SortedVersions(rule_keys, rule_prefix)) {
    if (e < newest_rule) report.rules.push_back(format::RetentionKey(db, e));
  }

  if (!options.dry_run) {
    DeleteStats stats;
    for (const auto* keys :
         {&report.checkpoints, &report.records, &report.segments, &report.rules}) {
      Status s = DeleteObjects(base_store, *keys, &stats);
      if (!s.ok()) {
        report.requests = store.requests() + stats.requests;
        return s;
      }
    }
    report.requests = store.requests() + stats.requests;
    if (!gone) remember(old);
    return report;
  }
  report.requests = store.requests();
  if (!gone) remember(0);
  return report;
}

}  // namespace cloudlite::engine
