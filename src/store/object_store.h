// ObjectStore: the only thing cloudlite needs from the storage someone else runs.
//
// Contract every backend gives (tests/conformance/ proves it for each one):
//  - Keys are non-empty byte strings of printable ASCII without NUL, at most 1024 bytes, made
//    of '/'-separated segments that are neither empty, "." nor "..". A backend rejects other
//    keys with InvalidArgument before touching storage.
//  - Objects are immutable once written by cloudlite (Put is used only for unique names), so
//    readers never see a partially written object: Get returns all of one write or NotFound.
//  - PutIfAbsent is atomic: of N concurrent callers (threads, processes, machines) for one key,
//    exactly one gets Ok and the others AlreadyExists. After Ok the object is durable.
//  - A write that returned Ok is visible to every later Get, Head and List (read-after-write).
//  - List returns keys that start with `prefix`, are greater than `start_after`, in bytewise
//    order, at most `limit` of them; `more` tells whether another page may follow.
//  - Delete of a missing key is Ok.
//  - Errors are values: NotFound, AlreadyExists, Unavailable (transient, retryable),
//    PermissionDenied, InvalidArgument, Corruption, and Ambiguous for a conditional write whose
//    outcome is unknown (e.g. a timeout after the body was sent); it is never guessed. A write
//    that landed but may not be durable (a local directory whose fsync failed) is not
//    Ambiguous, whose callers send the same bytes again and take the object they then find
//    for theirs and durable: it is another error (IOError).
// Thread-safety: all methods may be called concurrently from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"

namespace cloudlite {

struct ObjectInfo {
  uint64_t size = 0;
};

struct ListPage {
  std::vector<std::string> keys;  // ascending, bytewise
  bool more = false;              // another page may follow: continue after keys.back()
};

// Tells a reader, without a request, whether the objects directly under one prefix may have
// changed: for a store that hears of changes as they are made (a local directory, inotify(7)).
// Thread-safe.
class PrefixWatch {
 public:
  virtual ~PrefixWatch() = default;
  // A number that two calls return alike only if no object directly under the prefix was
  // created, replaced or removed, by this process or any other, after the first call returned
  // and before the second began. A watch that cannot tell (it lost track of the directory, or
  // the directory does not exist yet) returns a new number every time.
  virtual uint64_t Generation() = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The whole object.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Bytes [offset, offset+length) of the object, fewer if it ends sooner. An offset at or past
  // the end yields an empty string.
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;
  virtual Result<ObjectInfo> Head(std::string_view key) = 0;
  // Creates the object only if no object has that key: Ok or AlreadyExists (or an error).
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;
  // Creates or replaces the object. cloudlite uses it only for keys no one else writes.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  virtual Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                                size_t limit) = 0;
  virtual Status Delete(std::span<const std::string> keys) = 0;

  // A short description for messages, without secrets: "file:///var/db", "s3://bucket/p".
  virtual std::string Describe() const = 0;

  // Fails, with one request, unless the store can be used: S3's bucket exists and the
  // credentials can list it, DynamoDB's table exists with the right key schema. Returns whether
  // it made a request (the others have nothing to check). OpenStore calls it through the
  // request counter, so that --stats counts it (as a GET) even when it is the only request.
  virtual Result<bool> CheckAccess() { return false; }

  // Whether any List that succeeds proves what CheckAccess checks (S3: the bucket exists and the
  // credentials can list it). OpenStore then checks at the first request instead of at open: a
  // first List is the check, and only a failed one is followed by CheckAccess for its error.
  virtual bool ListChecksAccess() const { return false; }

  // Whether a List of the few keys after `start_after` costs about what a Get does (true for
  // S3, DynamoDB and memory; a directory is read whole). The engine lists to catch up only then.
  virtual bool ListsCheaply() const { return true; }

  // Whether a write costs by the KiB rather than by the request (DynamoDB's write units): the
  // engine then keeps its records' optional bytes few (docs/format.md, "RECENT section").
  virtual bool BillsWritesByKiB() const { return false; }

  // Whether the store is on this machine (a directory), so that a request costs microseconds
  // rather than a round trip: the engine then keeps its records' RECENT sections short, since an
  // opening that reads a few more records costs little there (docs/format.md, "RECENT section").
  virtual bool IsLocal() const { return false; }
  // A watch over the objects directly under `prefix` (a key prefix ending in '/'), or null
  // where the store cannot tell changes without a request (S3, DynamoDB, a network file
  // system). The engine skips a freshness probe while its log's watch saw nothing change
  // (docs/design.md, "Watching a local log").
  virtual std::shared_ptr<PrefixWatch> Watch(std::string_view prefix) { return nullptr; }
};

// Validates a key against the contract above. Backends call it first.
Status ValidateKey(std::string_view key);

// Every key under `prefix`, following pages. For tools and tests; engines page themselves.
Result<std::vector<std::string>> ListAll(ObjectStore& store, std::string_view prefix,
                                         std::string_view start_after = {});

}  // namespace cloudlite
