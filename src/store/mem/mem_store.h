// MemStore: objects in this process's memory, for tests, examples and scratch databases.
//
// mem://NAME names a store shared by the whole process: every open of mem://x sees the same
// objects until the process exits (stores are never freed; they are meant to be small). The
// URI's path is part of the name, so mem://x/a and mem://x/b are two unrelated stores. A
// default-constructed MemStore is private to its owner and freed with it.
//
// It keeps the whole ObjectStore contract, in the strongest form: every operation is atomic and
// immediately visible to all threads. Nothing is durable beyond the process.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

class MemStore final : public ObjectStore {
 public:
  // A private, empty store.
  MemStore();

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status Put(std::string_view key, std::string_view data) override;
  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override;
  Status Delete(std::span<const std::string> keys) override;
  std::string Describe() const override;

 private:
  struct Objects;  // the map and its lock; shared by every MemStore opened on one name

  MemStore(std::shared_ptr<Objects> objects, std::string description);
  friend Result<std::unique_ptr<ObjectStore>> OpenMemStore(Uri& uri, bool create);

  Status NotFound(std::string_view key) const;

  std::shared_ptr<Objects> objects_;
  std::string description_;
};

// The registry's factory for mem://: the process-wide store named by the URI's authority and
// path. Without `create`, a name that was never opened with create is NotFound.
Result<std::unique_ptr<ObjectStore>> OpenMemStore(Uri& uri, bool create);

}  // namespace cloudlite
