#include "store/registry.h"

#include <array>
#include <atomic>
#include <memory>
#include <utility>

#include "store/dynamodb/dynamodb_store.h"
#include "store/fault/adversary_store.h"
#include "store/fault/fault_store.h"
#include "store/file/file_store.h"
#include "store/forwarding_store.h"
#include "store/mem/mem_store.h"
#include "store/s3/s3_store.h"

namespace cloudlite {
namespace {

using OpenFn = Result<std::unique_ptr<ObjectStore>> (*)(Uri& uri, bool create);

struct Backend {
  std::string_view scheme;
  OpenFn open;  // nullptr: a scheme cloudlite knows but this build does not have yet
  // The query parameters its open function takes (besides the test-only kEveryStoreParams,
  // every store takes).
  std::string_view params;
};

// Every backend, by URI scheme. A new backend declares its Open function in its own header
// (store/<name>/<name>_store.h), is included above, and replaces its row here.
constexpr std::array kBackends = {
    Backend{"file", &OpenFileStore, ""},
    Backend{"mem", &OpenMemStore, ""},
    Backend{"s3", &OpenS3Store, "endpoint, region, path_style"},
    Backend{"dynamodb", &OpenDynamoDbStore, "endpoint, region"},
};

std::string SupportedSchemes() {
  std::string out;
  for (const Backend& backend : kBackends) {
    if (!out.empty()) out += ", ";
    out += backend.scheme;
  }
  return out;
}

class CountingStore final : public ObjectStore {
 public:
  CountingStore(std::unique_ptr<ObjectStore> inner, StoreStats* stats)
      : inner_(std::move(inner)), stats_(stats) {}

  Result<std::string> Get(std::string_view key) override {
    stats_->get.fetch_add(1, std::memory_order_relaxed);
    return CountIn(inner_->Get(key));
  }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    stats_->get.fetch_add(1, std::memory_order_relaxed);
    return CountIn(inner_->GetRange(key, offset, length));
  }
  Result<ObjectInfo> Head(std::string_view key) override {
    stats_->get.fetch_add(1, std::memory_order_relaxed);
    return inner_->Head(key);
  }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    CountOut(data);
    return inner_->PutIfAbsent(key, data);
  }
  Status Put(std::string_view key, std::string_view data) override {
    CountOut(data);
    return inner_->Put(key, data);
  }
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    stats_->list.fetch_add(1, std::memory_order_relaxed);
    return inner_->List(prefix, start_after, limit);
  }
  Status Delete(std::span<const std::string> keys) override {
    stats_->del.fetch_add(1, std::memory_order_relaxed);
    return inner_->Delete(keys);
  }
  Result<bool> CheckAccess() override {
    Result<bool> checked = inner_->CheckAccess();
    if (!checked.ok() || *checked) stats_->get.fetch_add(1, std::memory_order_relaxed);
    return checked;
  }
  std::string Describe() const override { return inner_->Describe(); }
  bool ListsCheaply() const override { return inner_->ListsCheaply(); }
  bool BillsWritesByKiB() const override { return inner_->BillsWritesByKiB(); }
  bool IsLocal() const override { return inner_->IsLocal(); }
  bool ListChecksAccess() const override { return inner_->ListChecksAccess(); }
  // Not a request: nothing to count.
  std::shared_ptr<PrefixWatch> Watch(std::string_view prefix) override {
    return inner_->Watch(prefix);
  }

 private:
  Result<std::string> CountIn(Result<std::string> result) {
    if (result.ok()) stats_->bytes_in.fetch_add(result->size(), std::memory_order_relaxed);
    return result;
  }
  // Counted whatever the outcome: the bytes were sent either way.
  void CountOut(std::string_view data) {
    stats_->put.fetch_add(1, std::memory_order_relaxed);
    stats_->bytes_out.fetch_add(data.size(), std::memory_order_relaxed);
  }

  std::unique_ptr<ObjectStore> inner_;
  StoreStats* stats_;
};

// Checks access at the first request rather than at open, for stores where a List that succeeds
// proves it (ObjectStore::ListChecksAccess): an opening's first request is a List, so the check
// costs nothing more. A List that fails is followed by the check, whose error (no such bucket,
// wrong credentials) is the one reported, as at open before; any other first request is preceded
// by the check, as at open.
class FirstUseCheckedStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::string> Get(std::string_view key) override {
    CL_RETURN_IF_ERROR(Check());
    return ForwardingStore::Get(key);
  }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    CL_RETURN_IF_ERROR(Check());
    return ForwardingStore::GetRange(key, offset, length);
  }
  Result<ObjectInfo> Head(std::string_view key) override {
    CL_RETURN_IF_ERROR(Check());
    return ForwardingStore::Head(key);
  }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    CL_RETURN_IF_ERROR(Check());
    return ForwardingStore::PutIfAbsent(key, data);
  }
  Status Put(std::string_view key, std::string_view data) override {
    CL_RETURN_IF_ERROR(Check());
    return ForwardingStore::Put(key, data);
  }
  Status Delete(std::span<const std::string> keys) override {
    CL_RETURN_IF_ERROR(Check());
    return ForwardingStore::Delete(keys);
  }
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    Result<ListPage> page = ForwardingStore::List(prefix, start_after, limit);
    if (page.ok()) {
      checked_.store(true, std::memory_order_release);
    } else {
      CL_RETURN_IF_ERROR(Check());
    }
    return page;
  }
  Result<bool> CheckAccess() override {
    if (checked_.load(std::memory_order_acquire)) return false;
    Result<bool> made = ForwardingStore::CheckAccess();
    if (made.ok()) checked_.store(true, std::memory_order_release);
    return made;
  }

 private:
  Status Check() { return CheckAccess().status(); }

  std::atomic<bool> checked_{false};
};

}  // namespace

std::string StoreStats::ToJson() const {
  auto field = [](std::string_view name, const std::atomic<uint64_t>& v) {
    return "\"" + std::string(name) + "\":" + std::to_string(v.load(std::memory_order_relaxed));
  };
  return "{" + field("get", get) + "," + field("put", put) + "," + field("list", list) + "," +
         field("delete", del) + "," + field("bytes_in", bytes_in) + "," +
         field("bytes_out", bytes_out) + "}";
}

std::unique_ptr<ObjectStore> CountRequests(std::unique_ptr<ObjectStore> inner, StoreStats* stats) {
  return std::make_unique<CountingStore>(std::move(inner), stats);
}

StoreStats& ProcessStoreStats() {
  static StoreStats stats;  // trivially destructible atomics: safe to use during exit
  return stats;
}

// Parameters every store takes: injected faults and the store adversary, for tests.
constexpr std::string_view kEveryStoreParams =
    "faults, fault_seed, adversary, adversary_seed, adversary_cache_dir";

bool Lists(std::string_view list, std::string_view name) {
  for (size_t start = 0; start < list.size();) {
    size_t comma = list.find(", ", start);
    if (comma == std::string_view::npos) comma = list.size();
    if (list.substr(start, comma - start) == name) return true;
    start = comma + 2;
  }
  return false;
}

Status CheckStoreParams(const Uri& uri) {
  for (const Backend& backend : kBackends) {
    if (backend.scheme != uri.scheme) continue;
    std::string takes(backend.params);
    takes += std::string(takes.empty() ? "" : ", ") + std::string(kEveryStoreParams);
    for (const auto& [name, value] : uri.params) {
      bool known = Lists(kEveryStoreParams, name) || Lists(backend.params, name);
      if (!known) {
        return Status::InvalidArgument("unknown parameter \"" + name + "\" for a " + uri.scheme +
                                       ":// store (it takes " + takes + ")");
      }
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<ObjectStore>> OpenStore(Uri& uri, bool create) {
  for (const Backend& backend : kBackends) {
    if (backend.scheme != uri.scheme) continue;
    CL_RETURN_IF_ERROR(CheckStoreParams(uri));
    if (backend.open == nullptr) {
      return Status::NotSupported("the " + uri.scheme +
                                  " backend is not built yet: use file:// or mem:// for now");
    }
    // Parsed before the backend opens, so that a typo fails before anything is created.
    CL_ASSIGN_OR_RETURN(std::optional<FaultOptions> faults, TakeFaultParams(uri));
    CL_ASSIGN_OR_RETURN(std::optional<AdversaryOptions> adversary, TakeAdversaryParams(uri));
    CL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, backend.open(uri, create));
    // The adversary damages the stored objects themselves; faults then hit the requests.
    if (adversary) store = InjectAdversary(std::move(store), *adversary);
    if (faults) store = InjectFaults(std::move(store), std::move(*faults));
    store = CountRequests(std::move(store), &ProcessStoreStats());
    if (store->ListChecksAccess()) {
      return std::unique_ptr<ObjectStore>(
          std::make_unique<FirstUseCheckedStore>(std::shared_ptr<ObjectStore>(std::move(store))));
    }
    CL_RETURN_IF_ERROR(store->CheckAccess().status());
    return store;
  }
  return Status::InvalidArgument("unsupported store scheme \"" + uri.scheme +
                                 "\": supported schemes are " + SupportedSchemes());
}

}  // namespace cloudlite
