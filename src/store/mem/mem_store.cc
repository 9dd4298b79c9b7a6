#include "store/mem/mem_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

namespace cloudlite {

// Values are shared immutable strings so that a Get copies the bytes outside the lock: a 5 MiB
// read does not stall writers.
struct MemStore::Objects {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> map;  // guarded by mu
};

MemStore::MemStore() : MemStore(std::make_shared<Objects>(), "mem://(private)") {}

MemStore::MemStore(std::shared_ptr<Objects> objects, std::string description)
    : objects_(std::move(objects)), description_(std::move(description)) {}

Status MemStore::NotFound(std::string_view key) const {
  return Status::NotFound("no object \"" + std::string(key) + "\" in " + description_);
}

Result<std::string> MemStore::Get(std::string_view key) {
  CL_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_ptr<const std::string> value;
  {
    std::lock_guard lock(objects_->mu);
    auto it = objects_->map.find(key);
    if (it == objects_->map.end()) return NotFound(key);
    value = it->second;
  }
  return *value;
}

Result<std::string> MemStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  CL_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_ptr<const std::string> value;
  {
    std::lock_guard lock(objects_->mu);
    auto it = objects_->map.find(key);
    if (it == objects_->map.end()) return NotFound(key);
    value = it->second;
  }
  if (offset >= value->size()) return std::string();
  return value->substr(offset, std::min<uint64_t>(length, value->size() - offset));
}

Result<ObjectInfo> MemStore::Head(std::string_view key) {
  CL_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(objects_->mu);
  auto it = objects_->map.find(key);
  if (it == objects_->map.end()) return NotFound(key);
  return ObjectInfo{.size = it->second->size()};
}

Status MemStore::PutIfAbsent(std::string_view key, std::string_view data) {
  CL_RETURN_IF_ERROR(ValidateKey(key));
  auto value = std::make_shared<const std::string>(data);
  std::lock_guard lock(objects_->mu);
  auto [it, inserted] = objects_->map.try_emplace(std::string(key), std::move(value));
  if (!inserted) {
    return Status::AlreadyExists("object \"" + std::string(key) + "\" already exists in " +
                                 description_);
  }
  return Status::Ok();
}

Status MemStore::Put(std::string_view key, std::string_view data) {
  CL_RETURN_IF_ERROR(ValidateKey(key));
  auto value = std::make_shared<const std::string>(data);
  std::shared_ptr<const std::string> old;  // freed after the lock is released
  std::lock_guard lock(objects_->mu);
  auto [it, inserted] = objects_->map.try_emplace(std::string(key), value);
  if (!inserted) old = std::exchange(it->second, std::move(value));
  return Status::Ok();
}

Result<ListPage> MemStore::List(std::string_view prefix, std::string_view start_after,
                                size_t limit) {
  ListPage page;
  std::lock_guard lock(objects_->mu);
  auto it = start_after < prefix ? objects_->map.lower_bound(prefix)
                                 : objects_->map.upper_bound(start_after);
  for (; it != objects_->map.end() && it->first.starts_with(prefix); ++it) {
    if (page.keys.size() == limit) {
      page.more = true;
      break;
    }
    page.keys.push_back(it->first);
  }
  return page;
}

Status MemStore::Delete(std::span<const std::string> keys) {
  for (const std::string& key : keys) CL_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(objects_->mu);
  for (const std::string& key : keys) objects_->map.erase(key);
  return Status::Ok();
}

std::string MemStore::Describe() const { return description_; }

Result<std::unique_ptr<ObjectStore>> OpenMemStore(Uri& uri, bool create) {
  // Every mem:// store of the process, by name. Intentionally leaked: stores live as long as
  // the process, and a static destructor could run while another thread still uses one.
  static auto* mu = new std::mutex;
  static auto* stores = new std::map<std::string, std::shared_ptr<MemStore::Objects>, std::less<>>;

  std::string name = uri.path.empty() ? uri.authority : uri.authority + "/" + uri.path;
  std::string description = "mem://" + name;
  std::lock_guard lock(*mu);
  auto it = stores->find(name);
  if (it == stores->end()) {
    if (!create) {
      return Status::NotFound("no in-memory store " + description +
                              " in this process: it is created by the first open with create");
    }
    it = stores->emplace(name, std::make_shared<MemStore::Objects>()).first;
  }
  return std::unique_ptr<ObjectStore>(new MemStore(it->second, std::move(description)));
}

}  // namespace cloudlite
