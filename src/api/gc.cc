// CollectGarbage on a URI (include/cloudlite/gc.h): the stored rule, overridden by the caller's
// settings, applied by engine/gc.h.
#include "cloudlite/gc.h"

#include <charconv>
#include <limits>
#include <memory>

#include "engine/gc.h"
#include "engine/retention.h"
#include "format/format.h"
#include "store/registry.h"
#include "store/uri.h"

namespace cloudlite {

Result<std::chrono::microseconds> ParseDuration(std::string_view text) {
  const Status bad = Status::InvalidArgument("invalid duration '" + std::string(text) +
                                             "': use a number and a unit, e.g. 90s, 10m, 2h, 7d");
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return bad;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  uint64_t micros_per = 0;
  if (unit == "ms") micros_per = 1000;
  if (unit == "s") micros_per = 1000'000;
  if (unit == "m") micros_per = 60'000'000;
  if (unit == "h") micros_per = 3600'000'000;
  if (unit == "d") micros_per = 86400'000'000;
  if (micros_per == 0) return bad;
  if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / micros_per) return bad;
  return std::chrono::microseconds(static_cast<int64_t>(n * micros_per));
}

Result<GcResult> CollectGarbage(std::string_view uri, const GcSettings& settings) {
  if ((settings.retain && settings.retain->count() < 0) ||
      (settings.grace && settings.grace->count() < 0)) {
    return Status::InvalidArgument("retention durations must not be negative");
  }
  if (settings.retain_versions && *settings.retain_versions == 0) {
    return Status::InvalidArgument("a count of versions to retain must be at least 1");
  }
  CL_ASSIGN_OR_RETURN(DatabaseUri location, DatabaseUri::Parse(uri));
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store,
                      OpenStore(location.store, /*create=*/false));
  const std::string& db = location.name;
  CL_ASSIGN_OR_RETURN(ListPage any, store->List(format::LogPrefix(db), "", 1));
  if (any.keys.empty()) {
    return Status::NotFound("database '" + db + "' does not exist in " + store->Describe());
  }
  CL_ASSIGN_OR_RETURN(engine::RetentionRule rule, engine::ReadRetention(*store, db));
  if (settings.retain || settings.retain_versions) {
    rule.retain = settings.retain.value_or(std::chrono::microseconds(0));
    rule.retain_versions = settings.retain_versions.value_or(0);
  }
  if (settings.grace) rule.grace = *settings.grace;
  if (settings.save && !settings.dry_run) {
    CL_RETURN_IF_ERROR(engine::WriteRetention(*store, db, rule));
  }
  engine::GcOptions options;
  options.rule = rule;
  options.dry_run = settings.dry_run;
  CL_ASSIGN_OR_RETURN(engine::GcReport report, engine::CollectGarbage(*store, db, options));
  if (report.removed) {
    return Status::NotFound("database '" + db + "' does not exist in " + store->Describe() +
                            " (it was removed)");
  }
  GcResult result;
  result.retain = report.rule.retain;
  result.retain_versions = report.rule.retain_versions;
  result.grace = report.rule.grace;
  result.newest = report.newest;
  result.horizon = report.horizon;
  result.nothing_because = std::move(report.nothing_because);
  result.checkpoints = std::move(report.checkpoints);
  result.records = std::move(report.records);
  result.segments = std::move(report.segments);
  result.rules = std::move(report.rules);
  result.requests = report.requests;
  result.dry_run = settings.dry_run;
  return result;
}

}  // namespace cloudlite
