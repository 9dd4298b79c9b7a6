// What the ready function, cloudlite-lambda, reads from its environment (docs/lambda.md, "The
// ready function"): the store, how to open databases, and the Lambda-specific defaults (the
// disk cache in /tmp, Amazon Linux's CA bundle).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/options.h"
#include "cloudlite/status.h"

namespace cloudlite::lambda_function {

// The value of an environment variable, nullopt if unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnvironment();

// Where the disk cache goes when CLOUDLITE_CACHE_DIR does not say: Lambda's only writable
// directory, kept across invocations (and across a crash: the cache checks every entry).
inline constexpr std::string_view kDefaultCacheDir = "/tmp/cloudlite";
// Amazon Linux's CA bundle. The zip's libcurl is built with no default bundle (Debian's path
// does not exist there), so the function names this one unless AWS_CA_BUNDLE is set.
inline constexpr std::string_view kAmazonLinuxCaBundle = "/etc/pki/tls/certs/ca-bundle.crt";

struct FunctionConfig {
  std::string store;                         // CLOUDLITE_STORE (required)
  bool create = false;                       // CLOUDLITE_CREATE=1: missing databases are created
  std::string default_database = "default";  // CLOUDLITE_DEFAULT_DATABASE
  bool log_requests = true;                  // CLOUDLITE_LOG=off: no per-request JSON line
  std::chrono::milliseconds deadline_margin{200};  // CLOUDLITE_DEADLINE_MARGIN_MS
  Options options;  // the CLOUDLITE_CACHE_*/ISOLATION/WRITE_MEMORY settings, cache_dir defaulted
  std::string ca_bundle;  // "" = keep AWS_CA_BUNDLE (or libcurl's default)
};

// Reads the configuration; a missing or malformed setting is InvalidArgument naming the variable.
// `base` holds the library's own CLOUDLITE_* options (OptionsFromEnvironment()). `file_exists`
// says whether the CA bundle is there (tests pass their own).
Result<FunctionConfig> ConfigFromEnvironment(
    const EnvLookup& env, Options base, const std::function<bool(const std::string&)>& file_exists);

}  // namespace cloudlite::lambda_function
