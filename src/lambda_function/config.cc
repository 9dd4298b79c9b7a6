#include "lambda_function/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace cloudlite::lambda_function {
namespace {

std::optional<std::string> NonEmpty(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (value && value->empty()) return std::nullopt;  // VAR= counts as unset, as in shells
  return value;
}

Result<bool> Flag(const EnvLookup& env, std::string_view name, bool fallback) {
  std::optional<std::string> value = NonEmpty(env, name);
  if (!value) return fallback;
  if (*value == "1" || *value == "true" || *value == "on") return true;
  if (*value == "0" || *value == "false" || *value == "off") return false;
  return Status::InvalidArgument(std::string(name) + "=" + *value + ": use 1 or 0 (on/off)");
}

// NAME (the keys themselves) or NAME_FILE (a path to them), not both.
Result<KeySource> Keys(const EnvLookup& env, const std::string& name) {
  KeySource out;
  out.text = NonEmpty(env, name).value_or("");
  out.file = NonEmpty(env, name + "_FILE").value_or("");
  if (!out.text.empty() && !out.file.empty()) {
    return Status::InvalidArgument(name + " and " + name + "_FILE are both set: give one");
  }
  return out;
}

// An integer setting from `min` to `max` (`what` names its unit); nullopt when unset.
Result<std::optional<int64_t>> Integer(const EnvLookup& env, std::string_view name, int64_t min,
                                       int64_t max, std::string_view what) {
  std::optional<std::string> value = NonEmpty(env, name);
  if (!value) return std::optional<int64_t>();
  int64_t n = 0;
  const char* end = value->data() + value->size();
  auto [stop, ec] = std::from_chars(value->data(), end, n);
  if (ec != std::errc() || stop != end || n < min || n > max) {
    return Status::InvalidArgument(std::string(name) + "=" + *value + ": expected " +
                                   std::string(what) + " from " + std::to_string(min) + " to " +
                                   std::to_string(max));
  }
  return std::optional<int64_t>(n);
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Options DefaultOptions(const EnvLookup& env) {
  const std::optional<std::string> memory_mb = NonEmpty(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  uint64_t mb = 0;
  if (memory_mb) {
    const char* end = memory_mb->data() + memory_mb->size();
    auto [ptr, ec] = std::from_chars(memory_mb->data(), end, mb);
    // Lambda sets it; a value it never gives (or none: a test) keeps the library's default.
    if (ec != std::errc() || ptr != end || mb > (uint64_t{1} << 20)) mb = 0;
  }
  Options options;
  options.cache_dir = kDefaultCacheDir;
  options.cache_bytes = std::max<size_t>(kDefaultCacheBytes, static_cast<size_t>(mb << 20) / 4);
  return options;
}

Result<FunctionConfig> ConfigFromEnvironment(
    const EnvLookup& env, Options options,
    const std::function<bool(const std::string&)>& file_exists) {
  FunctionConfig config;
  std::optional<std::string> store = NonEmpty(env, "CLOUDLITE_STORE");
  if (!store) {
    return Status::InvalidArgument(
        "CLOUDLITE_STORE is not set: give the function the store holding its databases "
        "(s3://bucket/prefix, dynamodb://table, file:///dir)");
  }
  config.store = std::move(*store);
  if (std::optional<std::string> api = NonEmpty(env, "CLOUDLITE_API")) {
    if (*api == "sql") {
      config.api = Api::kSql;
    } else if (*api == "dynamodb") {
      config.api = Api::kDynamoDb;
    } else {
      return Status::InvalidArgument("CLOUDLITE_API=" + *api + ": use sql or dynamodb");
    }
  }
  CL_ASSIGN_OR_RETURN(config.jwt_keys, Keys(env, "CLOUDLITE_AUTH_JWT_KEY"));
  CL_ASSIGN_OR_RETURN(config.dynamodb_credentials, Keys(env, "CLOUDLITE_DYNAMODB_CREDENTIALS"));
  CL_ASSIGN_OR_RETURN(config.insecure_no_auth, Flag(env, "CLOUDLITE_INSECURE_NO_AUTH", false));
  // Each API's own auth: a setting for the other one is a mistake worth saying at init.
  if (config.api == Api::kSql && !config.dynamodb_credentials.empty()) {
    return Status::InvalidArgument(
        "CLOUDLITE_DYNAMODB_CREDENTIALS is for CLOUDLITE_API=dynamodb; the SQL API checks "
        "JWTs (CLOUDLITE_AUTH_JWT_KEY)");
  }
  if (config.api == Api::kDynamoDb) {
    if (!config.jwt_keys.empty()) {
      return Status::InvalidArgument(
          "CLOUDLITE_AUTH_JWT_KEY is for the SQL API; the DynamoDB API checks SigV4 signatures "
          "(CLOUDLITE_DYNAMODB_CREDENTIALS)");
    }
    if (config.dynamodb_credentials.empty() && !config.insecure_no_auth) {
      return Status::InvalidArgument(
          "CLOUDLITE_API=dynamodb needs the access keys callers sign with: set "
          "CLOUDLITE_DYNAMODB_CREDENTIALS (lines 'ACCESS_KEY_ID SECRET_ACCESS_KEY') or "
          "CLOUDLITE_DYNAMODB_CREDENTIALS_FILE, or CLOUDLITE_INSECURE_NO_AUTH=1 if the front "
          "door checks who may call");
    }
  }
  if (std::optional<std::string> region = NonEmpty(env, "AWS_REGION")) {
    config.region = std::move(*region);
  }
  CL_ASSIGN_OR_RETURN(config.create, Flag(env, "CLOUDLITE_CREATE", false));
  CL_ASSIGN_OR_RETURN(config.log_requests, Flag(env, "CLOUDLITE_LOG", true));
  if (std::optional<std::string> db = NonEmpty(env, "CLOUDLITE_DEFAULT_DATABASE")) {
    config.default_database = std::move(*db);
  }
  CL_ASSIGN_OR_RETURN(std::optional<int64_t> margin,
                      Integer(env, "CLOUDLITE_DEADLINE_MARGIN_MS", 0, 60'000, "milliseconds"));
  if (margin) config.deadline_margin = std::chrono::milliseconds(*margin);
  // The DynamoDB API's table service, in the ranges `cloudlite dynamodb serve` takes.
  CL_ASSIGN_OR_RETURN(std::optional<int64_t> partitions,
                      Integer(env, "CLOUDLITE_DYNAMODB_PARTITIONS", 1, 256, "a partition count"));
  CL_ASSIGN_OR_RETURN(
      std::optional<int64_t> staleness,
      Integer(env, "CLOUDLITE_DYNAMODB_EVENTUAL_STALENESS_MS", 0, 3'600'000, "milliseconds"));
  CL_ASSIGN_OR_RETURN(std::optional<int64_t> max_open,
                      Integer(env, "CLOUDLITE_DYNAMODB_MAX_OPEN_PARTITIONS", 1, int64_t{1} << 20,
                              "a partition count"));
  if ((partitions || staleness || max_open) && config.api != Api::kDynamoDb) {
    return Status::InvalidArgument(
        "CLOUDLITE_DYNAMODB_PARTITIONS, _EVENTUAL_STALENESS_MS and _MAX_OPEN_PARTITIONS are for "
        "CLOUDLITE_API=dynamodb");
  }
  if (partitions) config.dynamodb_partitions = static_cast<int>(*partitions);
  if (staleness) config.dynamodb_eventual_staleness = std::chrono::milliseconds(*staleness);
  if (max_open) config.dynamodb_max_open_partitions = static_cast<size_t>(*max_open);
  config.options = std::move(options);
  if (!NonEmpty(env, "AWS_CA_BUNDLE") && file_exists(std::string(kAmazonLinuxCaBundle))) {
    config.ca_bundle = kAmazonLinuxCaBundle;
  }
  return config;
}

}  // namespace cloudlite::lambda_function
