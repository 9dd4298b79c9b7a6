// AWS configuration: profiles from temporary files, environment precedence, and the rule that
// secrets never reach a message.
#include "net/aws_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace cloudlite {
namespace {

constexpr char kSecret[] = "sEcReT/K7MDENG+bPxRfiCYzzzzzzzzzzzzzzzz";
constexpr char kToken[] = "ToKeN-FwoGZXIvYXdzEXAMPLE";

class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("CLOUDLITE_TEST_TMP");
    std::filesystem::path root = base ? base : std::filesystem::temp_directory_path();
    dir_ = root / ("aws_config_test." + std::to_string(getpid()) + "." +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / ".aws");
    env_["HOME"] = dir_.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  EnvLookup Env() {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  Result<AwsConfig> Load(std::string_view service = "s3") { return LoadAwsConfig(service, Env()); }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

void ExpectNoSecrets(const std::string& text) {
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kToken), std::string::npos) << text;
}

TEST_F(AwsConfigTest, EnvironmentOnly) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  env_["AWS_SESSION_TOKEN"] = kToken;
  env_["AWS_DEFAULT_REGION"] = "eu-west-1";
  env_["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000/";
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(c->credentials.secret_access_key, kSecret);
  EXPECT_EQ(c->credentials.session_token, kToken);
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_EQ(c->endpoint_url, "http://127.0.0.1:9000");  // trailing '/' dropped
  EXPECT_EQ(c->max_attempts, 5);
  ExpectNoSecrets(c->Describe());
  EXPECT_NE(c->Describe().find("AWS_DEFAULT_REGION"), std::string::npos);
}

TEST_F(AwsConfigTest, DefaultProfileFromFiles) {
  Write(".aws/credentials",
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = " + std::string(kSecret) +
            "\n\n[other]\naws_access_key_id=X\n"
            "aws_secret_access_key=Y\n");
  Write(".aws/config", "# comment\n[default]\nregion = ap-south-1\nmax_attempts = 7\n");
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDFILE");
  EXPECT_EQ(c->credentials.secret_access_key, kSecret);
  EXPECT_TRUE(c->credentials.session_token.empty());
  EXPECT_EQ(c->region, "ap-south-1");
  EXPECT_EQ(c->max_attempts, 7);
  EXPECT_TRUE(c->endpoint_url.empty());
  EXPECT_NE(c->credentials_source.find("credentials"), std::string::npos);
  ExpectNoSecrets(c->Describe());
}

TEST_F(AwsConfigTest, NamedProfileFromConfigFileWithCustomPaths) {
  std::filesystem::create_directories(dir_ / "elsewhere");
  Write("elsewhere/creds", "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = " +
                               std::string(kSecret) + "\naws_session_token = " + kToken + "\n");
  Write("elsewhere/cfg",
        "[profile dev]\nregion = us-west-2\nendpoint_url = http://localhost:7480\n"
        "[dev]\nregion = wrong-section\n");
  env_["AWS_PROFILE"] = "dev";
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "elsewhere/creds").string();
  env_["AWS_CONFIG_FILE"] = "~/elsewhere/cfg";  // '~' expands to HOME
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDDEV");
  EXPECT_EQ(c->credentials.session_token, kToken);
  EXPECT_EQ(c->region, "us-west-2");
  EXPECT_EQ(c->endpoint_url, "http://localhost:7480");
  EXPECT_NE(c->endpoint_source.find("dev"), std::string::npos);
}

TEST_F(AwsConfigTest, CredentialsInConfigFileOnly) {
  Write(".aws/config",
        "[profile cfgonly]\naws_access_key_id = AKIDCFG\n"
        "aws_secret_access_key = " +
            std::string(kSecret) + "\n");
  env_["AWS_PROFILE"] = "cfgonly";
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDCFG");
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_EQ(c->region_source, "default");
}

TEST_F(AwsConfigTest, EnvironmentBeatsProfile) {
  Write(".aws/credentials", "[p]\naws_access_key_id = AKIDFILE\naws_secret_access_key = x\n");
  Write(".aws/config", "[profile p]\nregion = eu-central-1\nendpoint_url = http://cfg:1\n");
  env_["AWS_PROFILE"] = "p";
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  env_["AWS_REGION"] = "sa-east-1";
  env_["AWS_DEFAULT_REGION"] = "ignored-1";
  env_["AWS_ENDPOINT_URL"] = "http://general:2";
  env_["AWS_ENDPOINT_URL_S3"] = "http://s3specific:3";
  auto c = Load("s3");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(c->region, "sa-east-1");
  EXPECT_EQ(c->endpoint_url, "http://s3specific:3");
  // DynamoDB does not see the S3-specific endpoint.
  auto d = Load("dynamodb");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->endpoint_url, "http://general:2");
  env_["AWS_ENDPOINT_URL_DYNAMODB"] = "http://ddb:4";
  EXPECT_EQ(Load("dynamodb")->endpoint_url, "http://ddb:4");
  env_["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  EXPECT_EQ(Load("dynamodb")->endpoint_url, "");
}

TEST_F(AwsConfigTest, ServicesSection) {
  Write(".aws/credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
  Write(".aws/config",
        "[default]\nservices = local\nendpoint_url = http://global:1\n\n"
        "[services local]\ns3 =\n  endpoint_url = http://s3local:7480\n"
        "dynamodb =\n  endpoint_url = http://ddblocal:8000\n");
  EXPECT_EQ(Load("s3")->endpoint_url, "http://s3local:7480");
  EXPECT_EQ(Load("dynamodb")->endpoint_url, "http://ddblocal:8000");
  EXPECT_EQ(Load("sqs")->endpoint_url, "http://global:1");
}

TEST_F(AwsConfigTest, MissingNamedProfileIsAnError) {
  Write(".aws/credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
  env_["AWS_PROFILE"] = "nope";
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("'nope'"), std::string::npos);
}

TEST_F(AwsConfigTest, NoCredentialsAtAll) {
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(c.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST_F(AwsConfigTest, HalfSetEnvironmentIsAnErrorWithoutTheSecret) {
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  ExpectNoSecrets(c.status().message());
}

TEST_F(AwsConfigTest, HalfSetProfileIsAnErrorWithoutTheSecret) {
  Write(".aws/credentials", "[default]\naws_secret_access_key = " + std::string(kSecret) + "\n");
  auto c = Load();
  ASSERT_FALSE(c.ok());
  ExpectNoSecrets(c.status().message());
  EXPECT_NE(c.status().message().find("aws_access_key_id"), std::string::npos);
}

TEST_F(AwsConfigTest, MalformedFileNamesLineNotContent) {
  Write(".aws/credentials", "[default]\naws_access_key_id = A\n" + std::string(kSecret) + "\n");
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("credentials:3"), std::string::npos) << c.status().message();
  ExpectNoSecrets(c.status().message());
}

TEST_F(AwsConfigTest, UnsupportedCredentialSourcesAreNamed) {
  Write(".aws/config", "[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = b\n");
  env_["AWS_PROFILE"] = "role";
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(c.status().message().find("role_arn"), std::string::npos);
}

TEST_F(AwsConfigTest, MaxAttemptsValidated) {
  env_["AWS_ACCESS_KEY_ID"] = "A";
  env_["AWS_SECRET_ACCESS_KEY"] = "B";
  env_["AWS_MAX_ATTEMPTS"] = "3";
  EXPECT_EQ(Load()->max_attempts, 3);
  env_["AWS_MAX_ATTEMPTS"] = "zero";
  EXPECT_EQ(Load().status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace cloudlite
