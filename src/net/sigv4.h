// AWS Signature Version 4 for HTTP requests sent in the Authorization header.
//
// SignRequest() adds x-amz-date, x-amz-security-token (with a session token),
// x-amz-content-sha256 (when asked; S3 requires it) and Authorization to a request, signing
// the host and every header the request carries. It follows the published algorithm:
//   canonical request = method \n canonical URI \n canonical query \n canonical headers \n
//                       signed headers \n payload hash
//   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n hex(sha256(canonical request))
//   signing key       = HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request"
// The request URL must already be percent-encoded (RFC 3986 unreserved characters left as is).
// S3 signs that path as is; every other service encodes each path segment once more, as the
// protocol requires. Query parameters are decoded, re-encoded canonically and sorted.
// Secrets never leave this module except inside the HMAC.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "cloudlite/status.h"
#include "net/http_client.h"

namespace cloudlite {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct SigV4Params {
  std::string_view service;  // "s3", "dynamodb", ...
  std::string_view region;   // "us-east-1"
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  // Hex SHA-256 of the body, or kUnsignedPayload; empty = computed from request->body.
  std::string_view payload_hash;
  // Adds x-amz-content-sha256 carrying the payload hash (and signs it). S3 requires it.
  bool content_sha256_header = false;
};

// The intermediate values, for tests and for debugging a SignatureDoesNotMatch (the server
// echoes its canonical request in the error body; compare it with ours).
struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // the full header value
};

// Signs in place. InvalidArgument when the URL cannot be parsed or credentials are empty.
Result<SigV4Result> SignRequest(HttpRequest* request, const AwsCredentials& credentials,
                                const SigV4Params& params);

// "20130524T000000Z" for a time point (UTC).
std::string AmzDate(std::chrono::system_clock::time_point time);

// RFC 3986 percent-encoding as AWS wants it: A-Z a-z 0-9 - _ . ~ kept, everything else %XX
// (uppercase hex). '/' is kept when !encode_slash (for object key paths).
std::string AwsUriEncode(std::string_view s, bool encode_slash);

// Decodes %XX escapes ('+' is left alone: AWS never form-encodes). Malformed escapes are kept.
std::string PercentDecode(std::string_view s);

}  // namespace cloudlite
