// A bounded, thread-safe LRU cache of decompressed frames, and of the log records the process's
// engines committed or fetched. Records get a sixteenth of the budget, in an LRU of their own:
// every commit passes its record through, and in one LRU with frames they pushed the database's
// frames out (20,000 updates to a 20 MB database with the default 32 MiB: 0.39 GETs per commit,
// 0.33 with the records apart; docs/benchmarks.md).
//
// Frames are immutable (their objects are never rewritten), so entries never need
// invalidation; keys name the store, the object and the offset. A record is immutable within
// its incarnation, which its key names (Engine::KnownRecord says why that suffices). Shared by
// every Engine of a process on any store.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "format/format.h"

namespace cloudlite::engine {

// A log record as stored and as decoded (its map's inline frames address `bytes`): what the
// engines of a process share, so that each of them neither copies nor decodes it again.
struct LogRecord {
  std::string bytes;
  format::Record rec;
};

class FrameCache {
 public:
  explicit FrameCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  static std::string Key(std::string_view store, std::string_view object, uint64_t offset);
  // The entry of log record `key` (its store key) in `scope` (store and incarnation): never a
  // frame's key.
  static std::string RecordKey(std::string_view scope, std::string_view key);

  std::shared_ptr<const std::string> Get(const std::string& key);
  // Get of a RecordKey, counted apart from frames.
  std::shared_ptr<const LogRecord> GetRecord(const std::string& key);
  void Put(const std::string& key, std::shared_ptr<const std::string> frame);
  // Whether frame `key` is cached, made the most recent as a Get would, without counting a hit
  // or a miss: for a caller that would otherwise make the frame to Put it.
  bool Touch(const std::string& key);
  // Put of a RecordKey: evicts only records, the least recently used first.
  // A record counts as its stored bytes.
  void PutRecord(const std::string& key, std::shared_ptr<const LogRecord> record);
  // Raises the capacity (never lowers it: other databases may rely on it).
  void Reserve(size_t capacity_bytes);
  size_t bytes() const;
  size_t capacity() const;
  struct Stats {
    uint64_t hits = 0;         // Gets that found their frame
    uint64_t misses = 0;       // Gets that did not (the caller then reads the disk cache or store)
    uint64_t record_hits = 0;  // GetRecords that found their record
  };
  Stats stats() const;

 private:
  template <class T>
  using LruOf = std::list<std::pair<std::string, std::shared_ptr<const T>>>;  // front: newest
  template <class T>
  using IndexOf = std::unordered_map<std::string, typename LruOf<T>::iterator>;
  using Lru = LruOf<std::string>;
  using Index = IndexOf<std::string>;
  void EvictLocked();
  template <class T>
  static std::shared_ptr<const T> FindLocked(LruOf<T>& lru, IndexOf<T>& index,
                                             const std::string& key);

  mutable std::mutex mu_;
  size_t capacity_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t record_hits_ = 0;
  Lru lru_;  // frames
  Index index_;
  size_t record_bytes_ = 0;
  LruOf<LogRecord> records_;
  IndexOf<LogRecord> record_index_;
};

}  // namespace cloudlite::engine
