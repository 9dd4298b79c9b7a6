// A store that passes every call to another one: a base for wrappers that change one or two
// operations (a test's hook, a shared store under an owning wrapper, the fault and adversary
// stores).
#pragma once

#include <memory>
#include <utility>

#include "store/object_store.h"

namespace cloudlite {

class ForwardingStore : public ObjectStore {
 public:
  // Keeps `inner` alive.
  explicit ForwardingStore(std::shared_ptr<ObjectStore> inner)
      : owned_(std::move(inner)), inner_(owned_.get()) {}
  // `inner` must outlive this store.
  explicit ForwardingStore(ObjectStore& inner) : inner_(&inner) {}

  Result<std::string> Get(std::string_view key) override { return inner_->Get(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Result<ObjectInfo> Head(std::string_view key) override { return inner_->Head(key); }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    return inner_->PutIfAbsent(key, data);
  }
  Status Put(std::string_view key, std::string_view data) override {
    return inner_->Put(key, data);
  }
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    return inner_->List(prefix, start_after, limit);
  }
  Status Delete(std::span<const std::string> keys) override { return inner_->Delete(keys); }
  Result<bool> CheckAccess() override { return inner_->CheckAccess(); }
  std::string Describe() const override { return inner_->Describe(); }
  bool ListsCheaply() const override { return inner_->ListsCheaply(); }
  bool BillsWritesByKiB() const override { return inner_->BillsWritesByKiB(); }
  bool IsLocal() const override { return inner_->IsLocal(); }
  bool ListChecksAccess() const override { return inner_->ListChecksAccess(); }

 protected:
  // The wrapped store, for a wrapper that acts on it besides forwarding (the adversary).
  ObjectStore& inner() const { return *inner_; }

 private:
  std::shared_ptr<ObjectStore> owned_;
  ObjectStore* inner_;
};

}  // namespace cloudlite
