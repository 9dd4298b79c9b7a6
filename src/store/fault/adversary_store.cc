#include "store/fault/adversary_store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

namespace cloudlite {
namespace {

constexpr size_t kVersionsPerName = 4;
constexpr uint64_t kMemoryBytes = 64ull << 20;

std::string_view KindName(Strike::Kind kind) {
  switch (kind) {
    case Strike::Kind::kDelete:
      return "delete";
    case Strike::Kind::kTruncate:
      return "truncate";
    case Strike::Kind::kReplay:
      return "replay";
    case Strike::Kind::kSwap:
      return "swap";
  }
  return "?";
}

}  // namespace

std::string Strike::ToString() const {
  std::string out = "#" + std::to_string(seq) + " " + std::string(KindName(kind)) + " " +
                    (cache ? "cache file " : "") + name;
  if (kind == Kind::kReplay) out += other == name ? " (an older version)" : " with " + other;
  if (kind == Kind::kSwap) out += " and " + other;
  return out;
}

Result<std::optional<AdversaryOptions>> TakeAdversaryParams(Uri& uri) {
  bool has_rate = uri.params.contains("adversary");
  bool has_seed = uri.params.contains("adversary_seed");
  bool has_dir = uri.params.contains("adversary_cache_dir");
  std::string rate_text = uri.TakeParam("adversary");
  std::string seed_text = uri.TakeParam("adversary_seed");
  AdversaryOptions options;
  options.cache_dir = uri.TakeParam("adversary_cache_dir");
  if (!has_rate) {
    if (has_seed || has_dir) {
      return Status::InvalidArgument(
          "adversary_seed or adversary_cache_dir without adversary: add adversary=P, e.g. "
          "adversary=0.02");
    }
    return std::optional<AdversaryOptions>();
  }
  auto [rate_end, rate_ec] =
      std::from_chars(rate_text.data(), rate_text.data() + rate_text.size(), options.rate);
  if (rate_ec != std::errc() || rate_end != rate_text.data() + rate_text.size() ||
      !(options.rate > 0 && options.rate <= 1)) {
    return Status::InvalidArgument("adversary=" + rate_text +
                                   ": use a probability per call, above 0 and at most 1");
  }
  if (has_seed) {
    auto [end, ec] =
        std::from_chars(seed_text.data(), seed_text.data() + seed_text.size(), options.seed);
    if (ec != std::errc() || end != seed_text.data() + seed_text.size()) {
      return Status::InvalidArgument("adversary_seed \"" + seed_text +
                                     "\" is not a number from 0 to 18446744073709551615");
    }
  }
  return std::optional<AdversaryOptions>(std::move(options));
}

// ---- targets --------------------------------------------------------------------------------

class StoreAdversary::Target {
 public:
  virtual ~Target() = default;
  virtual bool cache() const = 0;
  // The names a victim is picked from.
  virtual std::vector<std::string> Names() = 0;
  // The current bytes, or nullopt when the victim does not exist (or cannot be read).
  virtual std::optional<std::string> Read(const std::string& name) = 0;
  virtual void Write(const std::string& name, const std::string& bytes) = 0;
  virtual void Remove(const std::string& name) = 0;
};

class StoreAdversary::StoreTarget final : public Target {
 public:
  StoreTarget(ObjectStore& store, const std::vector<std::string>& keys)
      : store_(store), keys_(keys) {}
  bool cache() const override { return false; }
  std::vector<std::string> Names() override { return keys_; }
  std::optional<std::string> Read(const std::string& name) override {
    Result<std::string> bytes = store_.Get(name);
    if (!bytes.ok()) return std::nullopt;
    return std::move(bytes).value();
  }
  // Failures are ignored: a strike that did not land is a strike that did less harm.
  void Write(const std::string& name, const std::string& bytes) override {
    (void)store_.Put(name, bytes);
  }
  void Remove(const std::string& name) override {
    (void)store_.Delete(std::vector<std::string>{name});
  }

 private:
  ObjectStore& store_;
  const std::vector<std::string>& keys_;
};

class StoreAdversary::CacheTarget final : public Target {
 public:
  explicit CacheTarget(std::string dir) : dir_(std::move(dir)) {}
  bool cache() const override { return true; }
  // Entries, not the temporary files a cache writes before renaming them into place.
  std::vector<std::string> Names() override {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(".") || !entry.is_regular_file(ec)) continue;
      names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());  // directory order varies; the PRNG's draws must not
    return names;
  }
  std::optional<std::string> Read(const std::string& name) override {
    std::ifstream in(Path(name), std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // In place, as an editor or a second, buggy writer would: no temporary file.
  void Write(const std::string& name, const std::string& bytes) override {
    std::ofstream(Path(name), std::ios::binary | std::ios::trunc) << bytes;
  }
  void Remove(const std::string& name) override {
    std::error_code ec;
    std::filesystem::remove(Path(name), ec);
  }

 private:
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

// ---- StoreAdversary -------------------------------------------------------------------------

StoreAdversary::StoreAdversary(AdversaryOptions options)
    : options_(std::move(options)), rng_(options_.seed) {}

void StoreAdversary::Observe(std::string_view key, const std::string* bytes) {
  std::lock_guard lock(mu_);
  std::string name(key);
  auto [it, inserted] = contents_.try_emplace(name);
  if (inserted) keys_.push_back(name);
  if (bytes) RememberLocked(name, *bytes);
}

void StoreAdversary::RememberLocked(const std::string& name, const std::string& bytes) {
  std::vector<std::string>& versions = contents_[name];
  if (versions.size() >= kVersionsPerName || remembered_bytes_ + bytes.size() > kMemoryBytes) {
    return;
  }
  for (const std::string& v : versions) {
    if (v == bytes) return;
  }
  versions.push_back(bytes);
  remembered_bytes_ += bytes.size();
}

void StoreAdversary::Pause(bool paused) {
  std::lock_guard lock(mu_);
  paused_ = paused;
}

std::vector<Strike> StoreAdversary::journal() const {
  std::lock_guard lock(mu_);
  return journal_;
}

uint64_t StoreAdversary::clock() const {
  std::lock_guard lock(mu_);
  return journal_.size();
}

void StoreAdversary::MaybeStrike(ObjectStore& store) {
  std::lock_guard lock(mu_);
  if (paused_) return;
  if (std::uniform_real_distribution<double>(0, 1)(rng_) >= options_.rate) return;
  bool cache = !options_.cache_dir.empty() && (rng_() & 1) != 0;
  if (cache) {
    CacheTarget target(options_.cache_dir);
    StrikeLocked(target);
  } else {
    StoreTarget target(store, keys_);
    StrikeLocked(target);
  }
}

std::optional<Strike> StoreAdversary::StrikeOnce(ObjectStore& store) {
  std::lock_guard lock(mu_);
  StoreTarget target(store, keys_);
  return StrikeLocked(target);
}

std::optional<std::string> StoreAdversary::PickLocked(const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  // u^3 piles up near 0: the newest names (a database's latest records) are struck most.
  double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  size_t back = static_cast<size_t>(static_cast<double>(names.size()) * u * u * u);
  return names[names.size() - 1 - std::min(back, names.size() - 1)];
}

const std::string* StoreAdversary::ReplacementLocked(const std::string& name,
                                                     const std::string* current,
                                                     std::string* source) {
  auto differs = [&](const std::string& v) { return current == nullptr || v != *current; };
  auto own = contents_.find(name);
  if (own != contents_.end()) {
    std::vector<const std::string*> older;
    for (const std::string& v : own->second) {
      if (differs(v)) older.push_back(&v);
    }
    if (!older.empty()) {
      *source = name;
      return older[rng_() % older.size()];
    }
  }
  // Another name's bytes: of the same kind (a cache file for a cache file, a key for a key).
  const bool cache = name.find('/') == std::string::npos;
  std::vector<std::pair<const std::string*, const std::string*>> others;
  for (const auto& [other, versions] : contents_) {
    if (other == name || (other.find('/') == std::string::npos) != cache) continue;
    for (const std::string& v : versions) {
      if (differs(v)) others.emplace_back(&other, &v);
    }
  }
  if (others.empty()) return nullptr;
  auto [other, bytes] = others[rng_() % others.size()];
  *source = *other;
  return bytes;
}

std::optional<Strike> StoreAdversary::StrikeLocked(Target& target) {
  std::vector<std::string> names = target.Names();
  std::optional<std::string> victim = PickLocked(names);
  if (!victim) return std::nullopt;
  std::optional<std::string> current = target.Read(*victim);
  if (current && target.cache()) {  // cache files are not observed through a store: read them
    RememberLocked(*victim, *current);
  }
  Strike strike;
  strike.cache = target.cache();
  strike.name = *victim;
  strike.kind = static_cast<Strike::Kind>(rng_() % 4);
  // What cannot be done to a missing victim is a replay: the adversary resurrects it.
  if (!current) strike.kind = Strike::Kind::kReplay;
  switch (strike.kind) {
    case Strike::Kind::kDelete:
      target.Remove(*victim);
      break;
    case Strike::Kind::kTruncate:
      if (current->empty()) {
        strike.kind = Strike::Kind::kDelete;
        target.Remove(*victim);
        break;
      }
      target.Write(*victim, current->substr(0, rng_() % current->size()));
      break;
    case Strike::Kind::kReplay: {
      const std::string* bytes =
          ReplacementLocked(*victim, current ? &*current : nullptr, &strike.other);
      if (bytes == nullptr) return std::nullopt;
      target.Write(*victim, *bytes);
      break;
    }
    case Strike::Kind::kSwap: {
      std::optional<std::string> partner = PickLocked(names);
      std::optional<std::string> partner_bytes;
      if (partner && *partner != *victim) partner_bytes = target.Read(*partner);
      if (!partner_bytes || *partner_bytes == *current) {
        strike.kind = Strike::Kind::kDelete;  // no partner to swap with
        target.Remove(*victim);
        break;
      }
      if (target.cache()) RememberLocked(*partner, *partner_bytes);
      strike.other = *partner;
      target.Write(*victim, *partner_bytes);
      target.Write(*partner, *current);
      break;
    }
  }
  strike.seq = journal_.size() + 1;
  journal_.push_back(strike);
  return strike;
}

// ---- AdversaryStore -------------------------------------------------------------------------

Result<std::string> AdversaryStore::Get(std::string_view key) {
  adversary_->MaybeStrike(inner());
  Result<std::string> r = ForwardingStore::Get(key);
  adversary_->Observe(key, r.ok() ? &*r : nullptr);
  return r;
}

Result<std::string> AdversaryStore::GetRange(std::string_view key, uint64_t offset,
                                             uint64_t length) {
  adversary_->MaybeStrike(inner());
  Result<std::string> r = ForwardingStore::GetRange(key, offset, length);
  adversary_->Observe(key, nullptr);
  return r;
}

Result<ObjectInfo> AdversaryStore::Head(std::string_view key) {
  adversary_->MaybeStrike(inner());
  return ForwardingStore::Head(key);
}

Status AdversaryStore::PutIfAbsent(std::string_view key, std::string_view data) {
  adversary_->MaybeStrike(inner());
  Status s = ForwardingStore::PutIfAbsent(key, data);
  if (s.ok()) {
    std::string bytes(data);
    adversary_->Observe(key, &bytes);
  }
  return s;
}

Status AdversaryStore::Put(std::string_view key, std::string_view data) {
  adversary_->MaybeStrike(inner());
  Status s = ForwardingStore::Put(key, data);
  if (s.ok()) {
    std::string bytes(data);
    adversary_->Observe(key, &bytes);
  }
  return s;
}

Result<ListPage> AdversaryStore::List(std::string_view prefix, std::string_view start_after,
                                      size_t limit) {
  adversary_->MaybeStrike(inner());
  Result<ListPage> r = ForwardingStore::List(prefix, start_after, limit);
  if (r.ok()) {
    for (const std::string& key : r->keys) adversary_->Observe(key, nullptr);
  }
  return r;
}

Status AdversaryStore::Delete(std::span<const std::string> keys) {
  adversary_->MaybeStrike(inner());
  return ForwardingStore::Delete(keys);
}

std::shared_ptr<StoreAdversary> ProcessAdversary(std::string_view store,
                                                 const AdversaryOptions& options) {
  // Intentionally leaked, like mem:// stores: a static destructor could run while another
  // thread still strikes.
  static auto* mu = new std::mutex;
  static auto* adversaries = new std::map<std::string, std::shared_ptr<StoreAdversary>>;
  std::string id =
      std::string(store) + "\n" + std::to_string(options.seed) + "\n" + options.cache_dir;
  std::lock_guard lock(*mu);
  auto [it, inserted] = adversaries->try_emplace(id);
  if (inserted) it->second = std::make_shared<StoreAdversary>(options);
  return it->second;
}

std::unique_ptr<ObjectStore> InjectAdversary(std::unique_ptr<ObjectStore> inner,
                                             const AdversaryOptions& options) {
  std::shared_ptr<StoreAdversary> adversary = ProcessAdversary(inner->Describe(), options);
  return std::make_unique<AdversaryStore>(std::move(inner), std::move(adversary));
}

}  // namespace cloudlite
