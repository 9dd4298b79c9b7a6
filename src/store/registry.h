// Opening stores from URIs, and counting the requests made to them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

// Request counters, as printed by the CLI's --stats:
// {"get":N,"put":N,"list":N,"delete":N,"bytes_in":N,"bytes_out":N}.
// get counts Get, GetRange and Head; put counts Put and PutIfAbsent; delete counts Delete calls.
// bytes_in is payload read from the store, bytes_out payload written to it.
struct StoreStats {
  std::atomic<uint64_t> get{0}, put{0}, list{0}, del{0}, bytes_in{0}, bytes_out{0};
  std::string ToJson() const;
};

// Wraps a store and counts every request into `stats` (which must outlive it).
std::unique_ptr<ObjectStore> CountRequests(std::unique_ptr<ObjectStore> inner, StoreStats* stats);

// Opens the backend named by uri.scheme, consuming the query parameters it understands.
// Unknown scheme: InvalidArgument naming the supported ones; a parameter the store does not
// take: CheckStoreParams's error, before anything is opened or created. file:// creates the
// directory if `create` is set, else a missing directory is NotFound. Access is checked
// (ObjectStore::CheckAccess) at open, or, where a List proves it (S3), at the first request:
// an opening's first List is then the check, and a missing bucket or wrong credentials fail
// that request with the check's error.
Result<std::unique_ptr<ObjectStore>> OpenStore(Uri& uri, bool create);

// InvalidArgument naming the first query parameter of `uri` that its store does not take.
Status CheckStoreParams(const Uri& uri);

// Every store opened through OpenStore counts into this process-wide total (CLI --stats).
StoreStats& ProcessStoreStats();

}  // namespace cloudlite
