#include "vfs/options.h"

#include <charconv>
#include <cstdlib>
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

Status SetLeaseWait(std::string_view value, Options& o) {
  CL_ASSIGN_OR_RETURN(uint64_t ms, WholeNumber(value, kMaxMillis, "milliseconds"));
  o.lease_wait = std::chrono::milliseconds(ms);
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
    {"max_staleness_ms", "", SetMaxStaleness},
    {"isolation", "CLOUDLITE_ISOLATION", SetIsolation},
    {"lease", "CLOUDLITE_LEASE", SetLease, /*vfs_only=*/true},
    {"lease_wait_ms", "", SetLeaseWait, /*vfs_only=*/true},
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
