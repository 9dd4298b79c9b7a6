#include "engine/frame_cache.h"

namespace cloudlite::engine {

std::string FrameCache::Key(std::string_view store, std::string_view object, uint64_t offset) {
  std::string key;
  key.reserve(store.size() + object.size() + 22);
  key.append(store).push_back('\0');
  key.append(object).push_back('@');
  key.append(std::to_string(offset));
  return key;
}

std::string FrameCache::RecordKey(std::string_view scope, std::string_view key) {
  // Frame keys end in '@' and an offset after the object; object names hold no '\0'.
  std::string entry;
  entry.reserve(scope.size() + key.size() + 2);
  entry.append(scope).push_back('\0');
  entry.append(key).push_back('\0');
  return entry;
}

template <class T>
std::shared_ptr<const T> FrameCache::FindLocked(LruOf<T>& lru, IndexOf<T>& index,
                                                const std::string& key) {
  auto it = index.find(key);
  if (it == index.end()) return nullptr;
  lru.splice(lru.begin(), lru, it->second);
  return it->second->second;
}

std::shared_ptr<const std::string> FrameCache::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto frame = FindLocked(lru_, index_, key);
  (frame ? hits_ : misses_)++;
  return frame;
}

std::shared_ptr<const LogRecord> FrameCache::GetRecord(const std::string& key) {
  std::lock_guard lock(mu_);
  auto record = FindLocked(records_, record_index_, key);
  if (record) record_hits_++;
  return record;
}

void FrameCache::Put(const std::string& key, std::shared_ptr<const std::string> frame) {
  std::lock_guard lock(mu_);
  if (FindLocked(lru_, index_, key)) return;  // same immutable content
  bytes_ += frame->size();
  lru_.emplace_front(key, std::move(frame));
  index_[key] = lru_.begin();
  EvictLocked();
}

bool FrameCache::Touch(const std::string& key) {
  std::lock_guard lock(mu_);
  return FindLocked(lru_, index_, key) != nullptr;
}

void FrameCache::PutRecord(const std::string& key, std::shared_ptr<const LogRecord> record) {
  std::lock_guard lock(mu_);
  if (FindLocked(records_, record_index_, key)) return;
  record_bytes_ += record->bytes.size();
  records_.emplace_front(key, std::move(record));
  record_index_[key] = records_.begin();
  while (record_bytes_ > capacity_ / 16 && records_.size() > 1) {
    record_bytes_ -= records_.back().second->bytes.size();
    record_index_.erase(records_.back().first);
    records_.pop_back();
  }
  EvictLocked();
}

void FrameCache::Reserve(size_t capacity_bytes) {
  std::lock_guard lock(mu_);
  if (capacity_bytes > capacity_) capacity_ = capacity_bytes;
}

FrameCache::Stats FrameCache::stats() const {
  std::lock_guard lock(mu_);
  return {hits_, misses_, record_hits_};
}

size_t FrameCache::capacity() const {
  std::lock_guard lock(mu_);
  return capacity_;
}

size_t FrameCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_ + record_bytes_;
}

void FrameCache::EvictLocked() {
  while (bytes_ + record_bytes_ > capacity_ && lru_.size() > 1) {
    bytes_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

}  // namespace cloudlite::engine
