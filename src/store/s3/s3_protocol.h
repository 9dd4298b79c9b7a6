// The S3 wire format cloudlite needs, as pure functions: a small XML parser, ListObjectsV2 and
// DeleteObjects bodies, and the mapping from S3 error responses to Status. No I/O here, so all
// of it is unit-tested on canned bodies (s3_store_test.cc).
//
// The XML parser accepts the subset S3-compatible servers emit: a prolog, comments, processing
// instructions, elements with (ignored) attributes and namespace prefixes, character data with
// the five predefined entities and numeric character references, and CDATA. It rejects DTDs
// (no entity expansion games), mismatched tags and nesting deeper than 64.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/status.h"
#include "net/http_client.h"

namespace cloudlite::s3 {

struct XmlElement {
  std::string name;  // local name: "ns:Key" is "Key"
  std::string text;  // unescaped character data directly inside this element
  std::vector<XmlElement> children;

  const XmlElement* Child(std::string_view name) const;  // first child so named
  std::string ChildText(std::string_view name) const;    // its text, or ""
};

// The document's root element. Malformed input is Unavailable (a garbled response is worth a
// retry); the message says where parsing stopped.
Result<XmlElement> ParseXml(std::string_view doc);

// Escapes &, <, >, " and ' for element text.
std::string XmlEscape(std::string_view text);

struct ListObjectsResult {
  std::vector<std::string> keys;  // as listed (full keys, bucket prefix included)
  bool truncated = false;
  std::string next_continuation_token;
};
Result<ListObjectsResult> ParseListObjectsV2(std::string_view xml);

// <Delete><Quiet>true</Quiet><Object><Key>...</Key></Object>...</Delete>
std::string BuildDeleteObjectsBody(const std::vector<std::string>& keys);

struct DeleteError {
  std::string key, code, message;
};
// The <Error> entries of a DeleteResult (empty when every key was deleted).
Result<std::vector<DeleteError>> ParseDeleteObjectsResult(std::string_view xml);

struct S3Error {
  std::string code;      // "NoSuchKey"; empty when the body was not an S3 error document
  std::string message;   // the server's message
  std::string region;    // <Region>, sent with AuthorizationHeaderMalformed
  std::string endpoint;  // <Endpoint>, sent with PermanentRedirect
};
S3Error ParseError(std::string_view body);

// What an error response means for cloudlite. `what` names the request for the message
// ("GET s3://bucket/key"); `bucket` and `region` feed the hints.
//   NoSuchKey                         -> NotFound
//   NoSuchBucket                      -> NotFound("bucket X does not exist")
//   AccessDenied, InvalidAccessKeyId,
//   SignatureDoesNotMatch, tokens,
//   any other HTTP 403                -> PermissionDenied + credentials hint
//   RequestTimeTooSkewed              -> PermissionDenied + "fix the clock"
//   wrong region / PermanentRedirect  -> InvalidArgument naming the right region or endpoint
//   SlowDown, InternalError, 5xx,
//   RequestTimeout                    -> Unavailable (retryable)
//   other 4xx                         -> InvalidArgument with the server's code and message
// The server's text in the message goes through SafeServerText (net/server_text.h) with
// `secrets`, the request's credentials.
Status ErrorStatus(const HttpResponse& response, std::string_view what, std::string_view bucket,
                   std::string_view region, const std::vector<std::string_view>& secrets = {});

inline constexpr std::string_view kCredentialsHint =
    "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE";

}  // namespace cloudlite::s3
