// SafeServerText: what a server says, made printable, bounded and free of credentials.
#include "net/server_text.h"

#include <gtest/gtest.h>

namespace cloudlite {
namespace {

bool HasControlBytes(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

TEST(SafeServerText, PlainTextIsKept) {
  EXPECT_EQ(SafeServerText("The specified key does not exist."),
            "The specified key does not exist.");
  EXPECT_EQ(SafeServerText("région: « ok » ✓"), "région: « ok » ✓");
  EXPECT_EQ(SafeServerText(""), "");
}

TEST(SafeServerText, ControlCharactersAreEscapedAndLinesJoined) {
  EXPECT_EQ(SafeServerText("a\nb\r\nc\td"), "a b  c d");
  EXPECT_EQ(SafeServerText("\x1b]0;pwned\x07\x1b[2J"), "\\x1b]0;pwned\\x07\\x1b[2J");
  EXPECT_EQ(SafeServerText(std::string_view("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
  // C1 controls, as UTF-8 (U+009B is CSI) and as raw bytes, and bytes that are not UTF-8.
  EXPECT_EQ(SafeServerText("\xc2\x9b"
                           "31m"),
            "\\xc2\\x9b31m");
  EXPECT_EQ(SafeServerText("\x9b"
                           "31m \xff \xc0\xaf \xed\xa0\x80"),
            "\\x9b31m \\xff \\xc0\\xaf \\xed\\xa0\\x80");
}

TEST(SafeServerText, LongTextIsCutAtACharacterBoundary) {
  const std::string out = SafeServerText(std::string(100 * 1024, 'x'));
  EXPECT_EQ(out, std::string(kMaxServerText, 'x') + "…");
  std::string accents;
  for (int i = 0; i < 400; i++) accents += "é";  // 2 bytes each
  const std::string cut = SafeServerText(accents, {}, 11);
  EXPECT_EQ(cut, "ééééé…");
  // An escape is never cut in half either.
  EXPECT_EQ(SafeServerText("ab\x1b", {}, 4), "ab…");
}

TEST(SafeServerText, AnEscapeNeverCompletesASecret) {
  // "\xff" then "uzzSECRET...": the escape's last letter would start the secret (fuzz/s3_xml).
  const std::string secret = "fuzzSECRETkey0123456789";
  const std::string text = "a\xff" + secret.substr(1) + " b";
  EXPECT_EQ(SafeServerText(text, {secret}), R"(a\xf[redacted] b)");
  // Cut right inside it: no 8-byte start of it is left either.
  const std::string cut = SafeServerText(text, {secret}, 12);
  EXPECT_EQ(cut.find(secret.substr(0, 8)), std::string::npos) << cut;
}

TEST(SafeServerText, KnownSecretsAreRedactedEvenWhereTheCutFalls) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const std::string token = "FwoGZXIvYXdzEBYaDHqa0AP1/token+value==";
  EXPECT_EQ(SafeServerText("key " + secret + " and " + token + ".", {secret, token}),
            "key [redacted] and [redacted].");
  // The secret begins before the cut and ends after it: no prefix of it survives.
  const std::string text = std::string(290, '.') + secret;
  const std::string out = SafeServerText(text, {secret});
  EXPECT_EQ(out.find("wJalr"), std::string::npos) << out;
  // Short values would redact ordinary words; they are left alone.
  EXPECT_EQ(SafeServerText("a b c", {"b"}), "a b c");
}

TEST(SafeServerText, CredentialsNamedInTheTextAreRedacted) {
  EXPECT_EQ(SafeServerText("Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/"
                           "s3/aws4_request, SignedHeaders=host, Signature=abc123\nnext line"),
            "Authorization: [redacted] next line");
  EXPECT_EQ(SafeServerText("x-amz-security-token:IQoJb3JpZ2luX2VjE\nhost:h"),
            "x-amz-security-token:[redacted] host:h");
  EXPECT_EQ(SafeServerText("GET /k?X-Amz-Security-Token=tok%2B&X-Amz-Signature=0a1b HTTP/1.1"),
            "GET /k?X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted] HTTP/1.1");
  EXPECT_EQ(SafeServerText("<SignatureProvided>0a1b2c</SignatureProvided><X>1</X>"),
            "<SignatureProvided>[redacted]</SignatureProvided><X>1</X>");
  EXPECT_EQ(SafeServerText(R"({"SessionToken": "abc", "SecretAccessKey":"def"})"),
            R"({"SessionToken": "[redacted]", "SecretAccessKey":"[redacted]"})");
  EXPECT_EQ(SafeServerText("aws_secret_access_key = s3cr3t"), "aws_secret_access_key = [redacted]");
  // The same words in a sentence are not settings.
  for (std::string_view sentence :
       {"The request signature we calculated does not match the signature you provided.",
        "Signature expired: 20240101T000000Z is now earlier than 20240102T000000Z",
        "The authorization header is malformed; the region 'us-east-1' is wrong",
        "SignatureDoesNotMatch", "</Signature> closes <Error>"}) {
    EXPECT_EQ(SafeServerText(sentence), sentence);
  }
}

TEST(SafeServerText, OutputIsAlwaysOneBoundedPrintableLine) {
  std::string all;
  for (int i = 0; i < 256; i++) all.push_back(static_cast<char>(i));
  for (size_t max : {0u, 1u, 5u, 300u}) {
    const std::string out = SafeServerText(all + all, {}, max);
    EXPECT_FALSE(HasControlBytes(out)) << out;
    EXPECT_LE(out.size(), max + std::string_view("…").size());
  }
}

TEST(SafeServerText, SecretsOfCredentials) {
  AwsCredentials c{"AKIDEXAMPLE", "secret-key-value", ""};
  EXPECT_EQ(SecretsOf(c), std::vector<std::string_view>{"secret-key-value"});
  c.session_token = "session-token-value";
  EXPECT_EQ(SecretsOf(c).size(), 2u);
}

}  // namespace
}  // namespace cloudlite
