// What the ready function, cloudlite-lambda, reads from its environment (docs/lambda.md, "The
// ready function"): which API it serves, the store, how to open databases, who may call it, and
// the Lambda-specific defaults (the disk cache in /tmp, Amazon Linux's CA bundle).
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

// The API the function serves (CLOUDLITE_API): one per function, so a store holds either SQL
// databases or DynamoDB tables, and each API's auth is the only one it answers to.
enum class Api { kSql, kDynamoDb };

// Keys given inline (the variable's value) or as a file (the *_FILE variable): one of the two.
struct KeySource {
  std::string text;
  std::string file;
  bool empty() const { return text.empty() && file.empty(); }
};

struct FunctionConfig {
  Api api = Api::kSql;                       // CLOUDLITE_API=sql|dynamodb
  std::string store;                         // CLOUDLITE_STORE (required)
  bool create = false;                       // CLOUDLITE_CREATE=1: missing databases are created
  std::string default_database = "default";  // CLOUDLITE_DEFAULT_DATABASE
  bool log_requests = true;                  // CLOUDLITE_LOG=off: no per-request JSON line
  std::chrono::milliseconds deadline_margin{200};  // CLOUDLITE_DEADLINE_MARGIN_MS
  Options options;  // the CLOUDLITE_CACHE_*/ISOLATION/WRITE_MEMORY settings, cache_dir defaulted
  std::string ca_bundle;  // "" = keep AWS_CA_BUNDLE (or libcurl's default)
  // SQL: Ed25519 keys of accepted Bearer JWTs (CLOUDLITE_AUTH_JWT_KEY[_FILE], as `cloudlite
  // serve --auth-jwt-key-file` takes them); empty: no JWT check (the front door's auth only).
  KeySource jwt_keys;
  // DynamoDB: the access keys whose SigV4 signatures are accepted
  // (CLOUDLITE_DYNAMODB_CREDENTIALS[_FILE], as `cloudlite dynamodb serve --credentials` takes
  // them). Required unless insecure_no_auth.
  KeySource dynamodb_credentials;
  bool insecure_no_auth = false;     // CLOUDLITE_INSECURE_NO_AUTH=1: DynamoDB without SigV4
  std::string region = "us-east-1";  // AWS_REGION: in the DynamoDB API's table ARNs
  // DynamoDB: `cloudlite dynamodb serve`'s --partitions, --eventual-staleness-ms and
  // --max-open-partitions; unset: its defaults (TableServiceOptions).
  std::optional<int> dynamodb_partitions;  // CLOUDLITE_DYNAMODB_PARTITIONS, 1 .. 256
  // CLOUDLITE_DYNAMODB_EVENTUAL_STALENESS_MS, 0 .. 3600000
  std::optional<std::chrono::milliseconds> dynamodb_eventual_staleness;
  std::optional<size_t> dynamodb_max_open_partitions;  // CLOUDLITE_DYNAMODB_MAX_OPEN_PARTITIONS
};

// The library's options where the function's CLOUDLITE_* variables do not say
// (OptionsFromEnvironment(DefaultOptions(env)) applies them): the cache directory
// kDefaultCacheDir, and a frame cache of a quarter of the function's memory
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, megabytes; the rest is SQLite's own caches, the requests and
// the runtime), at least the library's 32 MiB; a server re-fetches pages and records from the
// store when it is short of them (docs/benchmarks.md, "The frame cache of a server").
Options DefaultOptions(const EnvLookup& env);

// Reads the configuration; a missing or malformed setting is InvalidArgument naming the variable.
// `options` are the library's own options, OptionsFromEnvironment(DefaultOptions(env)).
// `file_exists` says whether the CA bundle is there (tests pass their own).
Result<FunctionConfig> ConfigFromEnvironment(
    const EnvLookup& env, Options options,
    const std::function<bool(const std::string&)>& file_exists);

}  // namespace cloudlite::lambda_function
