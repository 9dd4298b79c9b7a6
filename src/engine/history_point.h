// A point in a database's history, as time-travel reads and restore name it.
#pragma once

#include <cstdint>

namespace cloudlite::engine {

struct HistoryPoint {
  uint64_t version = 0;     // a version number; used when time_micros is 0
  int64_t time_micros = 0;  // else: the newest version committed at or before this time
};

}  // namespace cloudlite::engine
