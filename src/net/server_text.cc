#include "net/server_text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace cloudlite {
namespace {

constexpr std::string_view kRedacted = "[redacted]";
constexpr size_t kMinSecret = 8;

// Names whose value is a credential, lowercase. "authorization" values run to the end of the
// line ("AWS4-HMAC-SHA256 Credential=..., Signature=..."); the others end at a space.
constexpr std::array<std::string_view, 9> kCredentialNames = {
    "authorization",    "x-amz-security-token", "x-amz-signature", "signatureprovided",
    "signature",        "sessiontoken",         "secretaccesskey", "aws_secret_access_key",
    "aws_session_token"};

bool StartsWithIgnoreCase(std::string_view s, size_t at, std::string_view lower) {
  if (s.size() - at < lower.size()) return false;
  for (size_t i = 0; i < lower.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != lower[i]) return false;
  }
  return true;
}

bool IsQuoteOrBlank(char c) { return c == ' ' || c == '\t' || c == '"' || c == '\''; }

bool EndsValue(char c, bool to_end_of_line) {
  if (c == '\r' || c == '\n' || c == '<' || c == '"' || c == '\'') return true;
  return !to_end_of_line && (c == ' ' || c == '\t' || c == '&' || c == ',' || c == ';');
}

// Where the value of a credential name at `at` starts and ends, or {0, 0} when the name is
// not followed by a separator (so it is a word in a sentence, not a setting).
std::pair<size_t, size_t> ValueAfter(std::string_view s, size_t at, std::string_view name) {
  size_t i = at + name.size();
  if (i < s.size() && s[i] == '>') {
    // An XML element: only its start tag, never "</Signature> some words".
    if (at == 0 || s[at - 1] != '<') return {0, 0};
    i++;
  } else {
    while (i < s.size() && IsQuoteOrBlank(s[i])) i++;
    if (i >= s.size() || (s[i] != ':' && s[i] != '=')) return {0, 0};
    i++;
    while (i < s.size() && IsQuoteOrBlank(s[i])) i++;
  }
  const bool to_end_of_line = name == "authorization";
  size_t end = i;
  while (end < s.size() && !EndsValue(s[end], to_end_of_line)) end++;
  while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t')) end--;
  return {i, end};
}

void RedactValues(std::string* s, const std::vector<std::string_view>& secrets) {
  for (std::string_view secret : secrets) {
    if (secret.size() < kMinSecret) continue;
    for (size_t at = s->find(secret); at != std::string::npos;
         at = s->find(secret, at + kRedacted.size())) {
      s->replace(at, secret.size(), kRedacted);
    }
  }
}

void RedactNamed(std::string* s) {
  for (size_t at = 0; at < s->size(); at++) {
    for (std::string_view name : kCredentialNames) {
      if (!StartsWithIgnoreCase(*s, at, name)) continue;
      auto [begin, end] = ValueAfter(*s, at, name);
      if (begin < end) {
        s->replace(begin, end - begin, kRedacted);
        at = begin + kRedacted.size() - 1;
      } else {
        at += name.size() - 1;
      }
      break;
    }
  }
}

// Length of the well-formed UTF-8 sequence at s[at], or 0 (overlongs, surrogates and code
// points past U+10FFFF are not well-formed).
size_t Utf8Length(std::string_view s, size_t at, uint32_t* cp) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[at + i]); };
  const uint8_t lead = b(0);
  size_t n;
  uint32_t min;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2, min = 0x80, *cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3, min = 0x800, *cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4, min = 0x10000, *cp = lead & 0x07;
  } else {
    return 0;
  }
  if (s.size() - at < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b(i) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

void AppendEscaped(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : bytes) {
    const auto u = static_cast<uint8_t>(c);
    *out += "\\x";
    *out += kHex[u >> 4];
    *out += kHex[u & 0xF];
  }
}

// An escape can end in the first letters of a secret: "\\xff" followed by "uzzSECRET..." reads
// "fuzzSECRET...". Redacts such secrets in the escaped text, and a start of one (kMinSecret bytes
// or more) that a cut left at its end.
void RedactEscaped(std::string* out, const std::vector<std::string_view>& secrets) {
  RedactValues(out, secrets);
  for (std::string_view secret : secrets) {
    if (secret.size() < kMinSecret) continue;
    for (size_t k = std::min(secret.size() - 1, out->size()); k >= kMinSecret; k--) {
      if (std::string_view(*out).substr(out->size() - k) == secret.substr(0, k)) {
        out->replace(out->size() - k, k, kRedacted);
        break;
      }
    }
  }
}

// Cuts `out` to at most `max_bytes`, at a character boundary.
void CutTo(std::string* out, size_t max_bytes) {
  if (out->size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<uint8_t>((*out)[cut]) & 0xC0) == 0x80) cut--;
  out->resize(cut);
}

}  // namespace

std::string SafeServerText(std::string_view text, const std::vector<std::string_view>& secrets,
                           size_t max_bytes) {
  std::string redacted(text);
  RedactValues(&redacted, secrets);
  RedactNamed(&redacted);

  std::string out;
  std::string piece;
  for (size_t at = 0; at < redacted.size();) {
    const auto c = static_cast<uint8_t>(redacted[at]);
    size_t n = 1;
    piece.clear();
    if (c == '\n' || c == '\r' || c == '\t') {
      piece = " ";
    } else if (c < 0x20 || c == 0x7F) {
      AppendEscaped(&piece, redacted.substr(at, 1));
    } else if (c < 0x80) {
      piece.push_back(static_cast<char>(c));
    } else {
      uint32_t cp = 0;
      n = Utf8Length(redacted, at, &cp);
      if (n == 0) {
        n = 1;
        AppendEscaped(&piece, redacted.substr(at, 1));
      } else if (cp <= 0x9F) {  // C1 controls: CSI (U+009B) starts escape sequences too
        AppendEscaped(&piece, redacted.substr(at, n));
      } else {
        piece = redacted.substr(at, n);
      }
    }
    if (out.size() + piece.size() > max_bytes) {
      RedactEscaped(&out, secrets);
      CutTo(&out, max_bytes);
      out += "…";
      return out;
    }
    out += piece;
    at += n;
  }
  RedactEscaped(&out, secrets);
  if (out.size() > max_bytes) {  // "[redacted]" is longer than the 8 bytes it may stand for
    CutTo(&out, max_bytes);
    out += "…";
  }
  return out;
}

std::vector<std::string_view> SecretsOf(const AwsCredentials& credentials) {
  std::vector<std::string_view> out;
  if (!credentials.secret_access_key.empty()) out.push_back(credentials.secret_access_key);
  if (!credentials.session_token.empty()) out.push_back(credentials.session_token);
  return out;
}

}  // namespace cloudlite
