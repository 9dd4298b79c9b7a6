#include "vfs/options.h"

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <utility>

#include "base/random.h"

namespace cloudlite {
namespace vfs {
namespace {

constexpr uint64_t kMaxCacheBytes = uint64_t{1} << 40;  // 1 TiB: more is a typo
constexpr uint64_t kMaxMillis = 86'400'000;             // a day

Result<uint64_t> WholeNumber(std::string_view value, uint64_t max, std::string_view unit) {
  uint64_t n = 0;
  const char* end = value.data() + value.size();
  auto [stop, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || stop != end || n > max) {
    return Status::InvalidArgument("expected a whole number of " + std::string(unit) +
                                   " from 0 to " + std::to_string(max));
  }
  return n;
}

Status SetCacheDir(std::string_view value, Options& o) {
  if (value.empty()) return Status::InvalidArgument("expected a directory");
  o.cache_dir = value;
  return Status::Ok();
}

Status SetCacheSize(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(uint64_t bytes, WholeNumber(value, kMaxCacheBytes, "bytes"));
  o.cache_bytes = static_cast<size_t>(bytes);
  return Status::Ok();
}

Status SetCacheMaxBytes(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(o.cache_max_bytes, WholeNumber(value, kMaxCacheBytes, "bytes"));
  return Status::Ok();
}

Status SetWriteMemory(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(o.write_memory, WholeNumber(value, kMaxCacheBytes, "bytes"));
  return Status::Ok();
}

Status SetMaxStaleness(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(uint64_t ms, WholeNumber(value, kMaxMillis, "milliseconds"));
  o.max_staleness = std::chrono::milliseconds(ms);
  return Status::Ok();
}

Status SetIsolation(std::string_view value, Options& o) {
  if (value == "serializable") {
    o.isolation = Isolation::kSerializable;
  } else if (value == "snapshot") {
    o.isolation = Isolation::kSnapshot;
  } else {
    return Status::InvalidArgument("use serializable (the default) or snapshot");
  }
  return Status::Ok();
}

Status SetLease(std::string_view value, Options& o) {
  if (value != "on" && value != "off")
    return Status::InvalidArgument("use on (the default) or off");
  o.writer_lease = value == "on";
  return Status::Ok();
}

Status SetChangeFeed(std::string_view value, Options& o) {
  if (value != "on" && value != "off")
    return Status::InvalidArgument("use on (the default) or off");
  o.change_feed = value == "on";
  return Status::Ok();
}

Status SetLeaseWait(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(uint64_t ms, WholeNumber(value, kMaxMillis, "milliseconds"));
  o.lease_wait = std::chrono::milliseconds(ms);
  return Status::Ok();
}

Status SetAt(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(o.at, ParsePointInTime(value));
  return Status::Ok();
}

// Every option a URI parameter or an environment variable can set: the one place that knows
// their names and checks their values.
struct Spec {
  std::string_view param;
  std::string_view env;  // "" when only the URI sets it
  Status (*apply)(std::string_view value, Options& o);
  bool vfs_only = false;  // the writer lease: Database::Update never takes it
};
constexpr Spec kSpecs[] = {
    {"cache_dir", "CLOUDLITE_CACHE_DIR", SetCacheDir},
    {"cache_size", "CLOUDLITE_CACHE_SIZE", SetCacheSize},
    {"cache_max_bytes", "CLOUDLITE_CACHE_MAX_BYTES", SetCacheMaxBytes},
    {"write_memory", "CLOUDLITE_WRITE_MEMORY", SetWriteMemory},
    {"max_staleness_ms", "CLOUDLITE_MAX_STALENESS_MS", SetMaxStaleness},
    {"isolation", "CLOUDLITE_ISOLATION", SetIsolation},
    {"lease", "CLOUDLITE_LEASE", SetLease, /*vfs_only=*/true},
    {"lease_wait_ms", "", SetLeaseWait, /*vfs_only=*/true},
    {"at", "", SetAt},
    {"change_feed", "", SetChangeFeed, /*vfs_only=*/true},  // Database::Open has the field
};

bool Takes(Reader reader, const Spec& spec) { return reader == Reader::kVfs || !spec.vfs_only; }

Status Apply(const Spec& spec, std::string_view where, std::string_view value, Options& o) {
  Status s = spec.apply(value, o);
  if (s.ok()) return s;
  return Status::InvalidArgument(std::string(where) + "=" + std::string(value) + ": " +
                                 s.message());
}

struct Registry {
  std::mutex mu;
  std::map<std::string, OpenRequest, std::less<>> pending;
};

Registry& Pending() {
  static auto* registry = new Registry();  // never destroyed: opens may run during exit
  return *registry;
}

}  // namespace

std::string OptionParamNames(Reader reader) {
  std::string out;
  for (const Spec& spec : kSpecs) {
    if (!Takes(reader, spec)) continue;
    if (!out.empty()) out += ", ";
    out += spec.param;
  }
  return out;
}

Status TakeOptionParams(Params& params, Options& options, Reader reader) {
  for (const Spec& spec : kSpecs) {
    auto it = params.find(spec.param);
    if (it == params.end()) continue;
    if (!Takes(reader, spec)) {
      return Status::InvalidArgument(
          std::string(spec.param) +
          ": a database opened by the library (or the CLI) never takes the writer lease; its "
          "Update settles lost races itself (docs/concurrency.md)");
    }
    CL_RETURN_IF_ERROR(Apply(spec, spec.param, it->second, options));
    params.erase(it);
  }
  return Status::Ok();
}

PendingOpen::PendingOpen(OpenRequest request) : token_(RandomHex(16)) {
  Registry& r = Pending();
  std::lock_guard lock(r.mu);
  r.pending.emplace(token_, std::move(request));
}

PendingOpen::~PendingOpen() {
  Registry& r = Pending();
  std::lock_guard lock(r.mu);
  r.pending.erase(token_);
}

std::optional<OpenRequest> TakePendingOpen(std::string_view token) {
  Registry& r = Pending();
  std::lock_guard lock(r.mu);
  auto it = r.pending.find(token);
  if (it == r.pending.end()) return std::nullopt;
  OpenRequest request = std::move(it->second);
  r.pending.erase(it);
  return request;
}

}  // namespace vfs

Result<PointInTime> ParsePointInTime(std::string_view text) {
  const Status bad = Status::InvalidArgument(
      "expected a version number (42) or a UTC time (2024-05-01T12:00:00Z, "
      "2024-05-01T12:00:00.25Z)");
  PointInTime at;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), at.version);
    if (ec != std::errc() || stop != text.data() + text.size() || at.version == 0) {
      return Status::InvalidArgument("expected a version from 1 (versions start at 1)");
    }
    return at;
  }
  // YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z]
  std::string_view t = text;
  if (t.ends_with('Z') || t.ends_with('z')) t.remove_suffix(1);
  auto number = [&](size_t at_pos, size_t digits, int* out) {
    if (t.size() < at_pos + digits) return false;
    std::string_view part = t.substr(at_pos, digits);
    if (part.find_first_not_of("0123456789") != std::string_view::npos) return false;
    std::from_chars(part.data(), part.data() + part.size(), *out);
    return true;
  };
  std::tm tm{};
  int year = 0, month = 0, day = 0;
  if (t.size() < 19 || !number(0, 4, &year) || t[4] != '-' || !number(5, 2, &month) ||
      t[7] != '-' || !number(8, 2, &day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !number(11, 2, &tm.tm_hour) || t[13] != ':' || !number(14, 2, &tm.tm_min) || t[16] != ':' ||
      !number(17, 2, &tm.tm_sec)) {
    return bad;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return bad;
  }
  int64_t micros = 0;
  if (t.size() > 19) {
    std::string_view fraction = t.substr(20);
    if (t[19] != '.' || fraction.empty() || fraction.size() > 6 ||
        fraction.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad;
    }
    for (size_t i = 0; i < 6; i++)
      micros = micros * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  const std::time_t seconds = timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1) || tm.tm_mday != day) return bad;  // 2024-02-31
  at.time_micros = static_cast<int64_t>(seconds) * 1'000'000 + micros;
  if (at.time_micros == 0) at.time_micros = 1;  // 0 means "no time"; 1 µs later reads the same
  return at;
}

Result<Options> OptionsFromEnvironment(Options base) {
  for (const vfs::Spec& spec : vfs::kSpecs) {
    if (spec.env.empty()) continue;
    const char* value = std::getenv(std::string(spec.env).c_str());
    if (value == nullptr || *value == '\0') continue;  // VAR= counts as unset, as in shells
    CL_RETURN_IF_ERROR(vfs::Apply(spec, spec.env, value, base));
  }
  return base;
}

}  // namespace cloudlite
