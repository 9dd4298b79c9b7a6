#include "engine/retention.h"

#include "format/format.h"

namespace cloudlite::engine {

bool RetentionRule::Retains(uint64_t v, int64_t commit_micros, uint64_t newest,
                            int64_t now_micros) const {
  if (KeepsEverything()) return true;
  if (retain_versions > 0 && v + retain_versions > newest) return true;
  return retain.count() > 0 && commit_micros >= now_micros - retain.count();
}

Result<RetentionRule> ReadRetention(ObjectStore& store, const std::string& db) {
  const std::string prefix = format::RetentionPrefix(db);
  CL_ASSIGN_OR_RETURN(auto keys, ListAll(store, prefix));
  const uint64_t newest = format::NewestVersion(keys, prefix);
  if (newest == 0) return DefaultRetention();
  const std::string key = format::RetentionKey(db, newest);
  CL_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
  CL_ASSIGN_OR_RETURN(format::Retention stored, format::DecodeRetention(bytes, key));
  if (stored.epoch != newest) return Status::Corruption(key + ": holds another epoch");
  RetentionRule rule;
  rule.retain = std::chrono::microseconds(static_cast<int64_t>(stored.retain_micros));
  rule.retain_versions = stored.retain_versions;
  rule.grace = std::chrono::microseconds(static_cast<int64_t>(stored.grace_micros));
  if (rule.retain.count() < 0 || rule.grace.count() < 0) {
    return Status::Corruption(key + ": a duration out of range");
  }
  return rule;
}

Status WriteRetention(ObjectStore& store, const std::string& db, const RetentionRule& rule,
                      const Clock& clock) {
  if (rule.retain.count() < 0 || rule.grace.count() < 0) {
    return Status::InvalidArgument("retention durations must not be negative");
  }
  const std::string prefix = format::RetentionPrefix(db);
  for (int attempt = 0; attempt < 8; attempt++) {
    CL_ASSIGN_OR_RETURN(auto keys, ListAll(store, prefix));
    format::Retention stored;
    stored.epoch = format::NewestVersion(keys, prefix) + 1;
    stored.time_micros = clock.NowMicros();
    stored.retain_micros = static_cast<uint64_t>(rule.retain.count());
    stored.retain_versions = rule.retain_versions;
    stored.grace_micros = static_cast<uint64_t>(rule.grace.count());
    Status s =
        store.PutIfAbsent(format::RetentionKey(db, stored.epoch), format::EncodeRetention(stored));
    if (!s.IsAlreadyExists()) return s;
  }
  return Status::Busy("the retention rule of '" + db + "' kept changing; try again");
}

}  // namespace cloudlite::engine
