// Where AWS clients get credentials, region, endpoint and retry settings: the same sources, in
// the same order, as the AWS CLI and SDKs, so users configure cloudlite the way they already do.
//
// Precedence, first found wins:
//  credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//               > profile in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
//                 default ~/.aws/credentials) > the same profile in the config file
//  profile      AWS_PROFILE, else "default"; `[name]` in credentials, `[profile name]` (or
//               `[default]`) in config (AWS_CONFIG_FILE, default ~/.aws/config)
//  region       AWS_REGION > AWS_DEFAULT_REGION > profile `region` > "us-east-1"
//  endpoint     AWS_ENDPOINT_URL_<SERVICE> (e.g. _S3, _DYNAMODB) > AWS_ENDPOINT_URL
//               > profile `services` section's `<service> = \n  endpoint_url = ...`
//               > profile `endpoint_url` > none (the AWS default endpoint);
//               AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true disables all of these
//  max attempts AWS_MAX_ATTEMPTS > profile `max_attempts` > 5
// A profile named explicitly (AWS_PROFILE) that exists in neither file is an error; the
// implicit "default" may be absent. Profiles that get credentials some other way (role_arn,
// credential_process, sso_*) are NotSupported, by name, rather than silently anonymous.
//
// Secrets (secret access key, session token) never appear in any Status message, in
// Describe(), or in logs. Messages name files, profiles and variables instead.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/retry.h"  // RetryPolicy, which the AWS clients take
#include "cloudlite/status.h"
#include "net/sigv4.h"

namespace cloudlite {

// Reads an environment variable; std::nullopt when unset. Injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnv();

struct AwsConfig {
  AwsCredentials credentials;
  std::string region;
  std::string endpoint_url;  // empty = the service's AWS endpoint
  int max_attempts = 5;
  std::string ca_bundle;  // AWS_CA_BUNDLE / profile ca_bundle; empty = system default
  // Where things came from, for messages: "environment", "profile dev in /root/.aws/...".
  std::string credentials_source;
  std::string region_source;
  std::string endpoint_source;

  // "region us-east-1 (AWS_REGION), credentials from environment" — never a secret.
  std::string Describe() const;
};

// Loads the configuration for `service`, the lowercase AWS service id ("s3", "dynamodb"):
// it selects AWS_ENDPOINT_URL_<SERVICE> and the `services` sub-section. Missing credentials
// are PermissionDenied with a hint naming what to set; an unreadable or malformed file is
// InvalidArgument naming the file and line.
Result<AwsConfig> LoadAwsConfig(std::string_view service, const EnvLookup& env = ProcessEnv());

}  // namespace cloudlite
