// cloudlite-lambda: the ready AWS Lambda function serving SQL over HTTP or the DynamoDB API
// (docs/lambda.md, "The ready function"). Packaged as the `bootstrap` of a provided.al2023 zip by
// scripts/lambda-zip.sh; configured by environment variables (CLOUDLITE_STORE, ...).
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "cloudlite/admin.h"
#include "cloudlite/options.h"
#include "lambda/lambda.h"
#include "lambda_function/config.h"
#include "lambda_function/function.h"

namespace {

using cloudlite::Result;
namespace fn = cloudlite::lambda_function;

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<cloudlite::server::Handler> Init(const fn::FunctionConfig& config) {
  // The store clients read AWS_CA_BUNDLE when they are made, at the first open below.
  if (!config.ca_bundle.empty()) ::setenv("AWS_CA_BUNDLE", config.ca_bundle.c_str(), 1);
  CL_ASSIGN_OR_RETURN(std::shared_ptr<fn::Function> function, fn::Function::Open(config));
  return cloudlite::server::Handler(
      [function](const cloudlite::server::Request& r) { return function->Handle(r); });
}

}  // namespace

int main() {
  cloudlite::ConfigureSqliteForServers();
  fn::FunctionConfig config;
  cloudlite::Status config_status = cloudlite::Status::Ok();
  const fn::EnvLookup env = fn::ProcessEnvironment();
  Result<cloudlite::Options> options = cloudlite::OptionsFromEnvironment(fn::DefaultOptions(env));
  if (options.ok()) {
    Result<fn::FunctionConfig> read = fn::ConfigFromEnvironment(env, *options, FileExists);
    if (read.ok()) {
      config = std::move(*read);
    } else {
      config_status = read.status();
    }
  } else {
    config_status = options.status();
  }
  cloudlite::lambda::RunOptions run;
  run.direct_path = std::string(fn::kDirectPath);
  run.deadline_margin = config.deadline_margin;
  // A bad setting is an init error too: Lambda shows it, and no event is taken.
  return cloudlite::lambda::Run(
      [&]() -> Result<cloudlite::server::Handler> {
        if (!config_status.ok()) return config_status;
        return Init(config);
      },
      run);
}
