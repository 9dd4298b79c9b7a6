// The ObjectStore conformance suite (object_store_conformance.cc) runs every test against every
// backend listed there. A backend joins with one line in that list:
//   - an in-process backend gives a function that opens a fresh, empty store;
//   - a backend that needs a server is opened from a URI in an environment variable (see
//     BackendFromEnv), and its tests are skipped, saying which variable to set, when it is unset.
// Tests share a store only through unique random key prefixes, so a real bucket or table can be
// reused between runs and by concurrent runs; each test deletes its keys when it ends.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "store/object_store.h"

namespace cloudlite::conformance {

struct OpenedStore {
  std::unique_ptr<ObjectStore> store;
  std::function<void()> cleanup;  // run after the store is closed; may be empty
};

struct ConformanceBackend {
  std::string name;  // the test-name suffix: "Mem", "File", "S3"
  // Opens a store for one test. Returns nullptr-free OpenedStore, an error (the test fails),
  // or sets *skip to why the backend cannot run here (the test is skipped).
  std::function<Result<OpenedStore>(std::string* skip)> open;
};

// Names the backend in test output (gtest would dump its bytes).
void PrintTo(const ConformanceBackend& backend, std::ostream* os);

// A backend opened with OpenStore(uri, create=true) from the URI in `env_var`.
ConformanceBackend BackendFromEnv(std::string name, std::string env_var, std::string example);

}  // namespace cloudlite::conformance
