// What an S3 server answers (src/store/s3/s3_protocol.h): the XML parser, ListObjectsV2 and
// DeleteObjects results, and error responses mapped to a Status. The first byte picks the HTTP
// status of the error response.
#include "fuzz_util.h"
#include "store/s3/s3_protocol.h"

using namespace cloudlite;

namespace {

constexpr std::string_view kSecret = "fuzzSECRETkey0123456789";
constexpr int kStatuses[] = {200, 301, 400, 403, 404, 409, 412, 416, 429, 500, 503};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  const std::string_view body = fuzz::Bytes(data + 1, size - 1);

  Result<s3::XmlElement> root = s3::ParseXml(body);
  if (!root.ok()) FUZZ_CHECK(root.status().code() == Status::Code::kUnavailable);
  Result<s3::ListObjectsResult> list = s3::ParseListObjectsV2(body);
  if (!list.ok()) FUZZ_CHECK(fuzz::IsOneSafeLine(list.status().message()));
  Result<std::vector<s3::DeleteError>> deleted = s3::ParseDeleteObjectsResult(body);
  if (!deleted.ok()) FUZZ_CHECK(fuzz::IsOneSafeLine(deleted.status().message()));

  // An error response: one bounded printable line without the secret, and 403 is always
  // PermissionDenied.
  HttpResponse response;
  response.status = status;
  response.body = std::string(body);
  response.headers.emplace_back("x-amz-bucket-region", std::string(body.substr(0, 40)));
  Status s = s3::ErrorStatus(response, "GET s3://b/k", "b", "us-east-1", {kSecret});
  FUZZ_CHECK(!s.ok());
  FUZZ_CHECK(fuzz::IsOneSafeLine(s.message()));
  FUZZ_CHECK(s.message().size() < 2000);
  FUZZ_CHECK(s.message().find(kSecret) == std::string::npos);
  if (status == 403) FUZZ_CHECK(s.code() == Status::Code::kPermissionDenied);

  // Any text survives XmlEscape and the parser unchanged.
  Result<s3::XmlElement> escaped = s3::ParseXml("<Key>" + s3::XmlEscape(body) + "</Key>");
  FUZZ_CHECK(escaped.ok() && escaped->text == body);
  return 0;
}
