// Options (cloudlite/options.h) from URI parameters and the environment, validated in one place,
// and the hand-off of typed Options from Database::Open to the VFS's xOpen.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "store/object_store.h"

namespace cloudlite::vfs {

using Params = std::map<std::string, std::string, std::less<>>;

// Who reads the parameters: the VFS for a SQLite file name, or Database::Open for a database URI
// (which takes no writer-lease parameters: Update never takes the lease).
enum class Reader { kVfs, kDatabase };

// The option parameters `reader` takes, for messages: "cache_dir, cache_size, ...".
std::string OptionParamNames(Reader reader);

// Moves every option parameter out of `params` into `options`, checking its value.
// InvalidArgument names the parameter, its value and the valid range. Other names stay in
// `params` for the store (endpoint, region, ...) or the caller to judge.
Status TakeOptionParams(Params& params, Options& options, Reader reader);

// What Database::Open hands to the VFS for one open: the store it opened, the database name
// and the typed options. Registered under a random token that the SQLite file name carries
// (`file:NAME?vfs=cloudlite&options=TOKEN`); xOpen takes it out. SQLite gives a VFS nothing
// but the file name, and a random token (not a pointer) cannot be forged by a URI in SQL
// (ATTACH) to reach memory or another open's store.
struct OpenRequest {
  std::shared_ptr<ObjectStore> store;
  std::string name;
  Options options;
};

inline constexpr char kOptionsParam[] = "options";

// Registers a request for the lifetime of this object (one sqlite3_open_v2).
class PendingOpen {
 public:
  explicit PendingOpen(OpenRequest request);
  ~PendingOpen();
  PendingOpen(const PendingOpen&) = delete;
  PendingOpen& operator=(const PendingOpen&) = delete;
  const std::string& token() const { return token_; }

 private:
  std::string token_;
};

// The request registered under `token`, removed from the table (each is used once); nullopt if
// none (an expired or made-up token).
std::optional<OpenRequest> TakePendingOpen(std::string_view token);

}  // namespace cloudlite::vfs
