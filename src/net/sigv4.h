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
//
// VerifySignature() is the server's side (a DynamoDB-compatible API): it rebuilds the canonical
// request from what arrived with the same code, looks the access key up, and compares. Its
// refusals carry the error names and messages AWS answers with (docs/dynamodb.md, "Auth").
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  std::string signature;       // lowercase hex
  std::string authorization;   // the full header value (SignRequest only)
  std::string scope;           // date/region/service/aws4_request
  std::string signed_headers;  // "host;x-amz-date"
};

// Signs in place. InvalidArgument when the URL cannot be parsed or credentials are empty.
Result<SigV4Result> SignRequest(HttpRequest* request, const AwsCredentials& credentials,
                                const SigV4Params& params);

// ---- verification (the server's side) -------------------------------------------------------

// A request as a server received it. Header names in any case; a repeated header is joined with
// ',' as SigV4 wants. `path` and `query` as sent (still percent-encoded).
struct ReceivedRequest {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

// The credentials of an access key id, or nullopt for a key the server does not know.
// `session_token` set: the request must carry exactly that x-amz-security-token; empty: it must
// carry none.
using CredentialsLookup = std::function<std::optional<AwsCredentials>(std::string_view key_id)>;

struct SigV4VerifyParams {
  std::string_view service;  // the scope's service must be this ("dynamodb")
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds max_skew{15 * 60};  // AWS's: the request's date within now +- 15 min
};

// Why a request was refused, by the name AWS gives it.
enum class SigV4Refusal {
  kMissingAuthenticationToken,  // no Authorization header, or not an AWS4 one
  kIncompleteSignature,         // a part missing or malformed (Credential, date, algorithm)
  kUnrecognizedClient,          // an access key (or session token) the server does not know
  kInvalidSignature,            // a wrong signature, scope or clock
};

struct SigV4Verdict {
  bool ok = false;
  SigV4Refusal refusal = SigV4Refusal::kMissingAuthenticationToken;  // when !ok
  std::string message;        // AWS's message for the refusal
  std::string access_key_id;  // who signed, when ok
};

// The exception name of a refusal: "MissingAuthenticationTokenException", ...
std::string_view RefusalName(SigV4Refusal refusal);

// Checks a request signed in the Authorization header (AWS4-HMAC-SHA256), in AWS's order:
// header present and complete, date well formed and within max_skew of now ("Signature
// expired: ..."), host signed, algorithm, credential scope (service, terminator, date), the key,
// then the signature (compared in constant time). The payload hash is computed from the body.
SigV4Verdict VerifySignature(const ReceivedRequest& request, const CredentialsLookup& lookup,
                             const SigV4VerifyParams& params);

// "20130524T000000Z" for a time point (UTC).
std::string AmzDate(std::chrono::system_clock::time_point time);

// RFC 3986 percent-encoding as AWS wants it: A-Z a-z 0-9 - _ . ~ kept, everything else %XX
// (uppercase hex). '/' is kept when !encode_slash (for object key paths).
std::string AwsUriEncode(std::string_view s, bool encode_slash);

// Decodes %XX escapes ('+' is left alone: AWS never form-encodes). Malformed escapes are kept.
std::string PercentDecode(std::string_view s);

}  // namespace cloudlite
