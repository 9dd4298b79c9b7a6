#include "store/fault/fault_store.h"

#include <charconv>
#include <cmath>
#include <thread>
#include <utility>
#include <vector>

namespace cloudlite {
namespace {

constexpr uint32_t Bit(StoreOp op) { return 1u << static_cast<uint32_t>(op); }

constexpr uint32_t kReads =
    Bit(StoreOp::kGet) | Bit(StoreOp::kGetRange) | Bit(StoreOp::kHead) | Bit(StoreOp::kList);
constexpr uint32_t kWrites =
    Bit(StoreOp::kPutIfAbsent) | Bit(StoreOp::kPut) | Bit(StoreOp::kDelete);
constexpr uint32_t kAll = kReads | kWrites;

struct OpName {
  std::string_view name;
  uint32_t ops;
};

constexpr OpName kOpNames[] = {
    {"get", Bit(StoreOp::kGet)},
    {"get_range", Bit(StoreOp::kGetRange)},
    {"head", Bit(StoreOp::kHead)},
    {"list", Bit(StoreOp::kList)},
    {"put_if_absent", Bit(StoreOp::kPutIfAbsent)},
    {"put", Bit(StoreOp::kPut)},
    {"delete", Bit(StoreOp::kDelete)},
    {"read", kReads},
    {"write", kWrites},
};

std::string_view Name(StoreOp op) { return kOpNames[static_cast<size_t>(op)].name; }

// The operations each kind can apply to, and what it sets.
struct KindInfo {
  std::string_view name;
  uint32_t applies_to;
  double OpFaults::*rate;  // nullptr: latency
};

constexpr KindInfo kKinds[] = {
    {"error", kAll, &OpFaults::error},
    {"ambiguous", Bit(StoreOp::kPutIfAbsent) | Bit(StoreOp::kPut), &OpFaults::ambiguous},
    {"phantom", kWrites, &OpFaults::phantom},
    {"lost", kReads, &OpFaults::lost},
    {"latency", kAll, nullptr},
};

Status Invalid(std::string_view entry, const std::string& why) {
  return Status::InvalidArgument("faults entry \"" + std::string(entry) + "\": " + why +
                                 " (expected KIND[@OPS]:VALUE, e.g. error:0.15, phantom@put:0.3, "
                                 "latency:1-5ms; kinds: error, ambiguous, phantom, lost, "
                                 "latency)");
}

std::optional<double> ParseNumber(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// "2ms" -> 2000 µs. `default_unit` is used when the text has none (the low end of "1-5ms").
std::optional<std::chrono::microseconds> ParseDuration(std::string_view text,
                                                       std::string_view default_unit,
                                                       std::string_view* unit_out) {
  size_t digits = text.find_first_not_of("0123456789.");
  std::string_view number = text.substr(0, digits);
  std::string_view unit = digits == std::string_view::npos ? "" : text.substr(digits);
  if (unit.empty()) unit = default_unit;
  double scale = 0;
  if (unit == "us") scale = 1;
  if (unit == "ms") scale = 1e3;
  if (unit == "s") scale = 1e6;
  std::optional<double> v = ParseNumber(number);
  if (scale == 0 || !v || *v < 0 || *v * scale > 3.6e9) return std::nullopt;  // at most 1 hour
  if (unit_out) *unit_out = unit;
  return std::chrono::microseconds(std::llround(*v * scale));
}

}  // namespace

Result<FaultOptions> ParseFaultSpec(std::string_view spec, uint64_t seed) {
  FaultOptions options;
  options.seed = seed;
  if (spec.empty()) return Status::InvalidArgument("faults is empty: name at least one fault");
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view entry = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    size_t colon = entry.find(':');
    if (colon == std::string_view::npos) return Invalid(entry, "no ':' before the value");
    std::string_view head = entry.substr(0, colon);
    std::string_view value = entry.substr(colon + 1);
    size_t at = head.find('@');
    std::string_view kind_name = head.substr(0, at);

    const KindInfo* kind = nullptr;
    for (const KindInfo& k : kKinds) {
      if (k.name == kind_name) kind = &k;
    }
    if (kind == nullptr) {
      return Invalid(entry, "\"" + std::string(kind_name) + "\" is not a kind of fault");
    }
    uint32_t ops = kind->applies_to;
    if (at != std::string_view::npos) {
      ops = 0;
      std::string_view list = head.substr(at + 1);
      while (true) {
        size_t plus = list.find('+');
        std::string_view name = list.substr(0, plus);
        uint32_t named = 0;
        for (const OpName& o : kOpNames) {
          if (o.name == name) named = o.ops;
        }
        if (named == 0) {
          return Invalid(entry, "\"" + std::string(name) +
                                    "\" is not an operation (get, get_range, head, list, "
                                    "put_if_absent, put, delete, read, write)");
        }
        if ((named & ~kind->applies_to) != 0) {
          return Invalid(
              entry, std::string(kind->name) + " does not apply to \"" + std::string(name) + "\"");
        }
        ops |= named;
        if (plus == std::string_view::npos) break;
        list = list.substr(plus + 1);
      }
    }

    OpFaults parsed;
    if (kind->rate != nullptr) {
      std::optional<double> p = ParseNumber(value);
      if (!p || *p < 0 || *p > 1) {
        return Invalid(entry, "\"" + std::string(value) + "\" is not a probability from 0 to 1");
      }
      parsed.*(kind->rate) = *p;
    } else {
      size_t dash = value.find('-');
      std::string_view unit;
      auto high =
          ParseDuration(value.substr(dash == std::string_view::npos ? 0 : dash + 1), "", &unit);
      auto low = dash == std::string_view::npos
                     ? high
                     : ParseDuration(value.substr(0, dash), unit, nullptr);
      if (!low || !high || *low > *high) {
        return Invalid(entry, "\"" + std::string(value) +
                                  "\" is not a latency: a duration with a unit (us, ms, s), or "
                                  "a range LOW-HIGH such as 1-5ms");
      }
      parsed.latency_min = *low;
      parsed.latency_max = *high;
    }
    for (size_t i = 0; i < kStoreOpCount; i++) {
      if ((ops & (1u << i)) == 0) continue;
      OpFaults& target = options.ops[i];
      if (kind->rate != nullptr) {
        target.*(kind->rate) = parsed.*(kind->rate);
      } else {
        target.latency_min = parsed.latency_min;
        target.latency_max = parsed.latency_max;
      }
    }
  }
  return options;
}

Result<std::optional<FaultOptions>> TakeFaultParams(Uri& uri) {
  bool has_faults = uri.params.contains("faults");
  bool has_seed = uri.params.contains("fault_seed");
  std::string spec = uri.TakeParam("faults");
  std::string seed_text = uri.TakeParam("fault_seed");
  if (!has_faults) {
    if (has_seed) {
      return Status::InvalidArgument("fault_seed=" + seed_text +
                                     " without faults: add faults=..., e.g. faults=error:0.1");
    }
    return std::optional<FaultOptions>();
  }
  uint64_t seed = 1;
  if (has_seed) {
    auto [end, ec] = std::from_chars(seed_text.data(), seed_text.data() + seed_text.size(), seed);
    if (ec != std::errc() || end != seed_text.data() + seed_text.size()) {
      return Status::InvalidArgument("fault_seed \"" + seed_text +
                                     "\" is not a number from 0 to 18446744073709551615");
    }
  }
  CL_ASSIGN_OR_RETURN(FaultOptions options, ParseFaultSpec(spec, seed));
  return std::optional<FaultOptions>(std::move(options));
}

std::string FaultCounts::ToJson() const {
  auto field = [](std::string_view name, const std::atomic<uint64_t>& v) {
    return "\"" + std::string(name) + "\":" + std::to_string(v.load(std::memory_order_relaxed));
  };
  return "{" + field("calls", calls) + "," + field("error", error) + "," +
         field("ambiguous", ambiguous) + "," + field("phantom", phantom) + "," +
         field("lost", lost) + "," + field("delayed", delayed) + "}";
}

FaultStore::FaultStore(std::unique_ptr<ObjectStore> inner, FaultOptions options,
                       FaultCounts* counts)
    : ForwardingStore(std::shared_ptr<ObjectStore>(std::move(inner))),
      options_(options),
      also_(counts),
      rng_(options.seed) {}

void FaultStore::Count(std::atomic<uint64_t> FaultCounts::*field) {
  (counts_.*field).fetch_add(1, std::memory_order_relaxed);
  if (also_) (also_->*field).fetch_add(1, std::memory_order_relaxed);
}

bool FaultStore::Draw(StoreOp op, Kind kind) {
  const OpFaults& f = options_.of(op);
  double rate = kind == Kind::kError       ? f.error
                : kind == Kind::kAmbiguous ? f.ambiguous
                : kind == Kind::kPhantom   ? f.phantom
                                           : f.lost;
  if (rate <= 0) return false;  // no draw: a zero rate leaves the other kinds' sequence alone
  std::lock_guard lock(mu_);
  // 53 random bits as a double in [0, 1): the same on every platform, unlike the distributions.
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return u < rate;
}

Status FaultStore::Before(StoreOp op, std::string_view key) {
  Count(&FaultCounts::calls);
  const OpFaults& f = options_.of(op);
  if (f.latency_max.count() > 0) {
    std::chrono::microseconds delay = f.latency_min;
    if (f.latency_max > f.latency_min) {
      uint64_t span = static_cast<uint64_t>((f.latency_max - f.latency_min).count()) + 1;
      std::lock_guard lock(mu_);
      delay += std::chrono::microseconds(rng_() % span);
    }
    Count(&FaultCounts::delayed);
    std::this_thread::sleep_for(delay);
  }
  std::string what = std::string(Name(op)) + " \"" + std::string(key) + "\" in " + Describe();
  if (Draw(op, Kind::kError)) {
    Count(&FaultCounts::error);
    return Status::Unavailable("injected fault (error): " + what +
                               " failed before reaching the store; nothing happened");
  }
  if (Draw(op, Kind::kAmbiguous)) {
    Count(&FaultCounts::ambiguous);
    return Status::Ambiguous("injected fault (ambiguous): " + what +
                             " timed out; its outcome is unknown (it did not happen)");
  }
  return Status::Ok();
}

template <typename T>
Result<T> FaultStore::AfterRead(StoreOp op, std::string_view key, Result<T> result) {
  if (!Draw(op, Kind::kLost)) return result;
  Count(&FaultCounts::lost);
  return Status::Unavailable("injected fault (lost): the answer to " + std::string(Name(op)) +
                             " \"" + std::string(key) + "\" in " + Describe() +
                             " was lost after the store served it");
}

Status FaultStore::AfterWrite(StoreOp op, std::string_view key, Status status) {
  // Only a write that really happened becomes a phantom: the point is "it landed, the caller
  // saw an error".
  if (!status.ok() || !Draw(op, Kind::kPhantom)) return status;
  Count(&FaultCounts::phantom);
  std::string what = std::string(Name(op)) + " \"" + std::string(key) + "\" in " + Describe();
  if (op == StoreOp::kDelete) {
    return Status::Unavailable("injected fault (phantom): " + what +
                               " happened, but its answer was lost");
  }
  return Status::Ambiguous("injected fault (phantom): " + what +
                           " landed, but its answer was lost; the outcome is unknown");
}

Result<std::string> FaultStore::Get(std::string_view key) {
  CL_RETURN_IF_ERROR(Before(StoreOp::kGet, key));
  return AfterRead(StoreOp::kGet, key, ForwardingStore::Get(key));
}

Result<std::string> FaultStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  CL_RETURN_IF_ERROR(Before(StoreOp::kGetRange, key));
  return AfterRead(StoreOp::kGetRange, key, ForwardingStore::GetRange(key, offset, length));
}

Result<ObjectInfo> FaultStore::Head(std::string_view key) {
  CL_RETURN_IF_ERROR(Before(StoreOp::kHead, key));
  return AfterRead(StoreOp::kHead, key, ForwardingStore::Head(key));
}

Status FaultStore::PutIfAbsent(std::string_view key, std::string_view data) {
  CL_RETURN_IF_ERROR(Before(StoreOp::kPutIfAbsent, key));
  return AfterWrite(StoreOp::kPutIfAbsent, key, ForwardingStore::PutIfAbsent(key, data));
}

Status FaultStore::Put(std::string_view key, std::string_view data) {
  CL_RETURN_IF_ERROR(Before(StoreOp::kPut, key));
  return AfterWrite(StoreOp::kPut, key, ForwardingStore::Put(key, data));
}

Result<ListPage> FaultStore::List(std::string_view prefix, std::string_view start_after,
                                  size_t limit) {
  CL_RETURN_IF_ERROR(Before(StoreOp::kList, prefix));
  return AfterRead(StoreOp::kList, prefix, ForwardingStore::List(prefix, start_after, limit));
}

Status FaultStore::Delete(std::span<const std::string> keys) {
  std::string what = keys.size() == 1 ? keys[0] : std::to_string(keys.size()) + " keys";
  CL_RETURN_IF_ERROR(Before(StoreOp::kDelete, what));
  return AfterWrite(StoreOp::kDelete, what, ForwardingStore::Delete(keys));
}

std::unique_ptr<ObjectStore> InjectFaults(std::unique_ptr<ObjectStore> inner,
                                          FaultOptions options) {
  static std::atomic<uint64_t> opened{0};
  // Odd multiplier (2^64 / golden ratio): consecutive opens get far-apart seeds.
  options.seed += opened.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ull;
  return std::make_unique<FaultStore>(std::move(inner), std::move(options), &ProcessFaultCounts());
}

FaultCounts& ProcessFaultCounts() {
  static FaultCounts counts;  // trivially destructible atomics: safe to use during exit
  return counts;
}

}  // namespace cloudlite
