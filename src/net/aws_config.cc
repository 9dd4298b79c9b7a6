#include "net/aws_config.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace cloudlite {
namespace {

// One INI file as the AWS CLI reads it: sections of lowercase keys. An indented line under a key
// continues it; "sub = value" continuation lines become "key.sub" (how `services` sections and
// nested `s3 =` settings are written).
using Section = std::map<std::string, std::string, std::less<>>;
using IniFile = std::map<std::string, Section, std::less<>>;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = c == '-' || c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Missing file: empty (like the AWS CLI). Unreadable or malformed: InvalidArgument. Messages
// quote line numbers, never line contents, which may hold secrets.
Result<IniFile> ParseIni(const std::string& path, bool* exists) {
  IniFile ini;
  *exists = false;
  if (access(path.c_str(), F_OK) != 0) return ini;
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read AWS config file " + path);
  *exists = true;
  std::string line;
  std::string section;
  std::string last_key;
  bool in_section = false;
  for (int lineno = 1; std::getline(in, line); lineno++) {
    std::string_view raw(line);
    std::string_view t = Trim(raw);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    const bool indented = std::isspace(static_cast<unsigned char>(raw.front()));
    auto bad = [&](std::string_view why) {
      return Status::InvalidArgument(path + ":" + std::to_string(lineno) + ": " + std::string(why));
    };
    if (!indented && t.front() == '[') {
      if (t.back() != ']') return bad("unterminated section header");
      section = std::string(Trim(t.substr(1, t.size() - 2)));
      ini[section];  // an empty section still names a profile
      in_section = true;
      last_key.clear();
      continue;
    }
    if (!in_section) return bad("setting outside of any [section]");
    size_t eq = t.find('=');
    if (indented && !last_key.empty()) {
      if (eq == std::string_view::npos) return bad("expected 'name = value'");
      std::string sub = Lower(Trim(t.substr(0, eq)));
      ini[section][last_key + "." + sub] = std::string(Trim(t.substr(eq + 1)));
      continue;
    }
    if (eq == std::string_view::npos) return bad("expected 'name = value'");
    std::string key = Lower(Trim(t.substr(0, eq)));
    if (key.empty()) return bad("empty setting name");
    ini[section][key] = std::string(Trim(t.substr(eq + 1)));
    last_key = key;
  }
  return ini;
}

std::string HomeDir(const EnvLookup& env) {
  if (auto home = env("HOME"); home && !home->empty()) return *home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "";
}

std::string ExpandHome(const std::string& path, const EnvLookup& env) {
  if (path == "~" || path.starts_with("~/")) return HomeDir(env) + path.substr(1);
  return path;
}

std::optional<std::string> NonEmpty(const EnvLookup& env, std::string_view name) {
  auto v = env(name);
  if (v && !v->empty()) return v;
  return std::nullopt;
}

const std::string* Get(const Section* s, std::string_view key) {
  if (s == nullptr) return nullptr;
  auto it = s->find(key);
  return it == s->end() || it->second.empty() ? nullptr : &it->second;
}

bool IsTrue(std::string_view v) { return Lower(Trim(v)) == "true"; }

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string AwsConfig::Describe() const {
  std::string out = "region " + region + " (" + region_source + ")";
  if (!endpoint_url.empty()) out += ", endpoint " + endpoint_url + " (" + endpoint_source + ")";
  out += ", credentials from " + credentials_source;
  return out;
}

Result<AwsConfig> LoadAwsConfig(std::string_view service, const EnvLookup& env) {
  AwsConfig cfg;

  const auto env_profile = NonEmpty(env, "AWS_PROFILE");
  const std::string profile = env_profile.value_or("default");
  const std::string cred_path =
      ExpandHome(NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  const std::string config_path =
      ExpandHome(NonEmpty(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"), env);

  bool cred_exists = false, config_exists = false;
  CL_ASSIGN_OR_RETURN(IniFile cred_ini, ParseIni(cred_path, &cred_exists));
  CL_ASSIGN_OR_RETURN(IniFile config_ini, ParseIni(config_path, &config_exists));

  const Section* cred_section = nullptr;
  if (auto it = cred_ini.find(profile); it != cred_ini.end()) cred_section = &it->second;
  const Section* config_section = nullptr;
  {
    auto it = config_ini.find("profile " + profile);
    if (it == config_ini.end() && profile == "default") it = config_ini.find("default");
    if (it != config_ini.end()) config_section = &it->second;
  }
  if (env_profile && cred_section == nullptr && config_section == nullptr) {
    return Status::InvalidArgument("AWS_PROFILE names profile '" + profile +
                                   "', which is in neither " + cred_path + " nor " + config_path);
  }

  // Credentials.
  const auto env_key = NonEmpty(env, "AWS_ACCESS_KEY_ID");
  const auto env_secret = NonEmpty(env, "AWS_SECRET_ACCESS_KEY");
  if (env_key || env_secret) {
    if (!env_key || !env_secret) {
      return Status::InvalidArgument(
          std::string(env_key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") + " is set but " +
          (env_key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") + " is not");
    }
    cfg.credentials.access_key_id = *env_key;
    cfg.credentials.secret_access_key = *env_secret;
    cfg.credentials.session_token = NonEmpty(env, "AWS_SESSION_TOKEN").value_or("");
    cfg.credentials_source = "environment (AWS_ACCESS_KEY_ID)";
  } else {
    for (auto [section, path] :
         {std::pair{cred_section, &cred_path}, std::pair{config_section, &config_path}}) {
      const std::string* key = Get(section, "aws_access_key_id");
      const std::string* secret = Get(section, "aws_secret_access_key");
      if (key == nullptr && secret == nullptr) continue;
      if (key == nullptr || secret == nullptr) {
        return Status::InvalidArgument("profile '" + profile + "' in " + *path + " has " +
                                       (key ? "aws_access_key_id" : "aws_secret_access_key") +
                                       " but not " +
                                       (key ? "aws_secret_access_key" : "aws_access_key_id"));
      }
      cfg.credentials.access_key_id = *key;
      cfg.credentials.secret_access_key = *secret;
      if (const std::string* token = Get(section, "aws_session_token")) {
        cfg.credentials.session_token = *token;
      }
      cfg.credentials_source = "profile '" + profile + "' in " + *path;
      break;
    }
    if (cfg.credentials.empty()) {
      for (const char* unsupported : {"role_arn", "credential_process", "sso_session",
                                      "sso_start_url", "web_identity_token_file"}) {
        if (Get(config_section, unsupported) != nullptr || Get(cred_section, unsupported)) {
          return Status::NotSupported(
              "profile '" + profile + "' gets credentials via " + unsupported +
              ", which cloudlite does not support; export static keys instead (for example "
              "`eval $(aws configure export-credentials --profile " +
              profile + " --format env)`)");
        }
      }
      return Status::PermissionDenied(
          "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
          "AWS_PROFILE naming a profile with keys in " +
          cred_path);
    }
  }

  // Region.
  if (auto r = NonEmpty(env, "AWS_REGION")) {
    cfg.region = *r;
    cfg.region_source = "AWS_REGION";
  } else if (auto r = NonEmpty(env, "AWS_DEFAULT_REGION")) {
    cfg.region = *r;
    cfg.region_source = "AWS_DEFAULT_REGION";
  } else if (const std::string* r = Get(config_section, "region")) {
    cfg.region = *r;
    cfg.region_source = "profile '" + profile + "' in " + config_path;
  } else {
    cfg.region = "us-east-1";
    cfg.region_source = "default";
  }

  // Endpoint.
  const bool ignore_endpoints =
      IsTrue(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").value_or("")) ||
      (Get(config_section, "ignore_configured_endpoint_urls") != nullptr &&
       IsTrue(*Get(config_section, "ignore_configured_endpoint_urls")));
  if (!ignore_endpoints) {
    const std::string service_var = "AWS_ENDPOINT_URL_" + Upper(service);
    const std::string service_key = Lower(service) + ".endpoint_url";
    const Section* services = nullptr;
    if (const std::string* name = Get(config_section, "services")) {
      auto it = config_ini.find("services " + *name);
      if (it == config_ini.end()) {
        return Status::InvalidArgument("profile '" + profile + "' in " + config_path +
                                       " refers to missing section [services " + *name + "]");
      }
      services = &it->second;
    }
    if (auto e = NonEmpty(env, service_var)) {
      cfg.endpoint_url = *e;
      cfg.endpoint_source = service_var;
    } else if (auto e = NonEmpty(env, "AWS_ENDPOINT_URL")) {
      cfg.endpoint_url = *e;
      cfg.endpoint_source = "AWS_ENDPOINT_URL";
    } else if (const std::string* e = Get(services, service_key)) {
      cfg.endpoint_url = *e;
      cfg.endpoint_source = "services section of profile '" + profile + "' in " + config_path;
    } else if (const std::string* e = Get(config_section, "endpoint_url")) {
      cfg.endpoint_url = *e;
      cfg.endpoint_source = "profile '" + profile + "' in " + config_path;
    }
    while (cfg.endpoint_url.ends_with('/')) cfg.endpoint_url.pop_back();
  }

  // Retries.
  std::string attempts_source = "AWS_MAX_ATTEMPTS";
  std::optional<std::string> attempts = NonEmpty(env, "AWS_MAX_ATTEMPTS");
  if (!attempts) {
    if (const std::string* a = Get(config_section, "max_attempts")) {
      attempts = *a;
      attempts_source = "max_attempts in profile '" + profile + "'";
    }
  }
  if (attempts) {
    char* end = nullptr;
    long n = std::strtol(attempts->c_str(), &end, 10);
    if (end == attempts->c_str() || *end != '\0' || n < 1 || n > 100) {
      return Status::InvalidArgument(attempts_source + " must be an integer in [1, 100], not '" +
                                     *attempts + "'");
    }
    cfg.max_attempts = static_cast<int>(n);
  }

  if (auto ca = NonEmpty(env, "AWS_CA_BUNDLE")) {
    cfg.ca_bundle = ExpandHome(*ca, env);
  } else if (const std::string* ca = Get(config_section, "ca_bundle")) {
    cfg.ca_bundle = ExpandHome(*ca, env);
  }
  return cfg;
}

}  // namespace cloudlite
