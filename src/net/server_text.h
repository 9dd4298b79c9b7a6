// Server text made fit for a message. What an S3 or DynamoDB server (or anything that answers
// HTTP) sends back is untrusted: it can hold terminal escape sequences, run to megabytes on one
// line, and echo the request, credentials included (SignatureDoesNotMatch answers quote the
// canonical request; a proxy may quote the Authorization header). Every error message that
// carries text from a server passes it through SafeServerText first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "net/sigv4.h"

namespace cloudlite {

inline constexpr size_t kMaxServerText = 300;  // bytes kept, before the "…"

// `text` as one printable line:
//  - credentials redacted: every occurrence of a value in `secrets` (8 bytes or more; shorter
//    ones would redact ordinary words), and the value after any credential-bearing name
//    (Authorization, X-Amz-Security-Token, X-Amz-Signature, Signature, SignatureProvided,
//    SessionToken, SecretAccessKey, aws_secret_access_key, aws_session_token) followed by ':',
//    '=' or '>', become "[redacted]";
//  - newlines and tabs become spaces; other control characters (C0, DEL, C1) and bytes that are
//    not UTF-8 become \xNN, so no escape sequence reaches a terminal;
//  - cut to at most `max_bytes` (at a character boundary), with "…" appended when cut.
// Redaction happens before the cut, so a secret straddling the cut leaks no prefix.
std::string SafeServerText(std::string_view text, const std::vector<std::string_view>& secrets = {},
                           size_t max_bytes = kMaxServerText);

// The values of `credentials` that must never be printed: the secret key and session token.
std::vector<std::string_view> SecretsOf(const AwsCredentials& credentials);

}  // namespace cloudlite
