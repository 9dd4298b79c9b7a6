// AWS config and credentials files (LoadAwsConfig): the input is split at the first NUL byte
// into a config file and a credentials file, written to a private directory and read with an
// environment that names them; the byte after the split picks the profile.
#include <unistd.h>

#include <fstream>

#include "fuzz_util.h"
#include "net/aws_config.h"

using namespace cloudlite;

namespace {

std::string Directory() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/cloudlite-fuzz-aws-XXXXXX";
    const char* made = mkdtemp(tmpl);
    FUZZ_CHECK(made != nullptr);
    return std::string(made);
  }();
  return dir;
}

void Write(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::Bytes(data, size);
  const size_t split = text.find('\0');
  const std::string_view config = text.substr(0, split);
  std::string_view credentials =
      split == std::string_view::npos ? std::string_view() : text.substr(split + 1);
  const char* profiles[] = {nullptr, "dev", "default", "prod"};
  const char* profile = nullptr;
  if (!credentials.empty()) {
    profile = profiles[static_cast<unsigned char>(credentials[0]) % 4];
    credentials.remove_prefix(1);
  }
  const std::string dir = Directory();
  Write(dir + "/config", config);
  Write(dir + "/credentials", credentials);
  const EnvLookup env = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_CONFIG_FILE") return dir + "/config";
    if (name == "AWS_SHARED_CREDENTIALS_FILE") return dir + "/credentials";
    if (name == "AWS_PROFILE" && profile != nullptr) return std::string(profile);
    if (name == "HOME") return dir;
    return std::nullopt;
  };
  for (const char* service : {"s3", "dynamodb"}) {
    Result<AwsConfig> cfg = LoadAwsConfig(service, env);
    if (!cfg.ok()) {
      FUZZ_CHECK(cfg.status().code() == Status::Code::kInvalidArgument ||
                 cfg.status().code() == Status::Code::kPermissionDenied ||
                 cfg.status().code() == Status::Code::kNotSupported);
      continue;
    }
    FUZZ_CHECK(!cfg->credentials.empty());
    FUZZ_CHECK(cfg->max_attempts >= 1);
    (void)cfg->Describe();
  }
  return 0;
}
