#include "lambda_function/config.h"

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

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<FunctionConfig> ConfigFromEnvironment(
    const EnvLookup& env, Options base,
    const std::function<bool(const std::string&)>& file_exists) {
  FunctionConfig config;
  std::optional<std::string> store = NonEmpty(env, "CLOUDLITE_STORE");
  if (!store) {
    return Status::InvalidArgument(
        "CLOUDLITE_STORE is not set: give the function the store holding its databases "
        "(s3://bucket/prefix, dynamodb://table, file:///dir)");
  }
  config.store = std::move(*store);
  CL_ASSIGN_OR_RETURN(config.create, Flag(env, "CLOUDLITE_CREATE", false));
  CL_ASSIGN_OR_RETURN(config.log_requests, Flag(env, "CLOUDLITE_LOG", true));
  if (std::optional<std::string> db = NonEmpty(env, "CLOUDLITE_DEFAULT_DATABASE")) {
    config.default_database = std::move(*db);
  }
  if (std::optional<std::string> margin = NonEmpty(env, "CLOUDLITE_DEADLINE_MARGIN_MS")) {
    int64_t ms = 0;
    const char* end = margin->data() + margin->size();
    auto [stop, ec] = std::from_chars(margin->data(), end, ms);
    if (ec != std::errc() || stop != end || ms < 0 || ms > 60'000) {
      return Status::InvalidArgument("CLOUDLITE_DEADLINE_MARGIN_MS=" + *margin +
                                     ": expected milliseconds from 0 to 60000");
    }
    config.deadline_margin = std::chrono::milliseconds(ms);
  }
  config.options = std::move(base);
  if (config.options.cache_dir.empty()) config.options.cache_dir = kDefaultCacheDir;
  if (!NonEmpty(env, "AWS_CA_BUNDLE") && file_exists(std::string(kAmazonLinuxCaBundle))) {
    config.ca_bundle = kAmazonLinuxCaBundle;
  }
  return config;
}

}  // namespace cloudlite::lambda_function
