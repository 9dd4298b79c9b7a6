#include "server/http/auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "base/base64.h"

namespace cloudlite::server {
namespace {

std::string Base64Url(std::string_view bytes) {
  return Base64Encode(bytes, Base64Alphabet::kUrl, Base64Padding::kUnpadded);
}

// An Ed25519 key pair made by OpenSSL for the test.
struct KeyPair {
  KeyPair() {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_keygen(ctx, &pkey);
    EVP_PKEY_CTX_free(ctx);
  }
  ~KeyPair() { EVP_PKEY_free(pkey); }

  std::string PublicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey);
    char* data;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string PrivatePem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string PublicRaw(Base64Alphabet alphabet = Base64Alphabet::kUrl,
                        Base64Padding padding = Base64Padding::kUnpadded) const {
    unsigned char raw[32];
    size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(pkey, raw, &len);
    return Base64Encode(std::string_view(reinterpret_cast<char*>(raw), len), alphabet, padding);
  }
  // A JWT with this header and these claims, signed with this key.
  std::string Sign(std::string_view claims,
                   std::string_view header = R"({"alg":"EdDSA","typ":"JWT"})") const {
    const std::string input = Base64Url(header) + "." + Base64Url(claims);
    unsigned char sig[64];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey);
    EVP_DigestSign(ctx, sig, &sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
    return input + "." + Base64Url(std::string_view(reinterpret_cast<char*>(sig), sig_len));
  }

  EVP_PKEY* pkey = nullptr;
};

constexpr int64_t kNow = 1'700'000'000;
const FakeClock kClock(kNow * 1'000'000);

Authenticator AuthFor(const KeyPair& key) {
  auto keys = PublicKeys::Parse(key.PublicPem());
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return Authenticator(std::move(keys).value(), kClock);
}

std::string CodeOf(const Status& s) { return s.message().substr(0, s.message().find(':')); }

TEST(Auth, TokenWithoutClaimsGrantsEverything) {
  KeyPair key;
  auto a = AuthFor(key).Authenticate("Bearer " + key.Sign("{}"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->CanWrite("any"));
  EXPECT_TRUE(a->CanRead("other"));
  auto lower = AuthFor(key).Authenticate("bearer   " + key.Sign("{}") + " ");
  EXPECT_TRUE(lower.ok());
}

TEST(Auth, ReadOnlyAndDatabaseClaims) {
  KeyPair key;
  Authenticator auth = AuthFor(key);
  auto ro_all = auth.VerifyToken(key.Sign(R"({"a":"ro"})"));
  ASSERT_TRUE(ro_all.ok());
  EXPECT_TRUE(ro_all->CanRead("x"));
  EXPECT_FALSE(ro_all->CanWrite("x"));

  auto rw_one = auth.VerifyToken(key.Sign(R"({"id":"orders"})"));
  ASSERT_TRUE(rw_one.ok());
  EXPECT_TRUE(rw_one->CanWrite("orders"));
  EXPECT_FALSE(rw_one->CanRead("users"));

  auto ro_one = auth.VerifyToken(key.Sign(R"({"id":"orders","a":"ro","exp":1700000001})"));
  ASSERT_TRUE(ro_one.ok());
  EXPECT_TRUE(ro_one->CanRead("orders"));
  EXPECT_FALSE(ro_one->CanWrite("orders"));
  EXPECT_FALSE(ro_one->CanRead("orders2"));

  EXPECT_FALSE(auth.VerifyToken(key.Sign(R"({"a":"admin"})")).ok());
  EXPECT_FALSE(auth.VerifyToken(key.Sign(R"({"id":7})")).ok());
}

TEST(Auth, PerDatabaseScopes) {
  KeyPair key;
  auto a = AuthFor(key).VerifyToken(
      key.Sign(R"({"p":{"rw":{"ns":["foo"]},"roa":{"ns":["bar"]},"ro":{"ns":["baz"]},"zz":1}})"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->CanWrite("foo"));
  EXPECT_TRUE(a->CanRead("foo"));
  EXPECT_TRUE(a->CanRead("bar"));
  EXPECT_FALSE(a->CanWrite("bar"));
  EXPECT_TRUE(a->CanRead("baz"));
  EXPECT_FALSE(a->CanRead("qux"));
  EXPECT_FALSE(a->CanWrite("qux"));
  // p together with id/a: both apply.
  auto both = AuthFor(key).VerifyToken(key.Sign(R"({"id":"x","a":"ro","p":{"rw":{"ns":["y"]}}})"));
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->CanRead("x"));
  EXPECT_FALSE(both->CanWrite("x"));
  EXPECT_TRUE(both->CanWrite("y"));
  for (const char* bad : {R"({"p":[]})", R"({"p":{"rw":{"ns":"foo"}}})",
                          R"({"p":{"rw":{"ns":[1]}}})", R"({"p":{"ro":7}})"}) {
    auto r = AuthFor(key).VerifyToken(key.Sign(bad));
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(CodeOf(r.status()), "AUTH_JWT_INVALID") << bad;
  }
}

TEST(Auth, ExpiryAndNotBefore) {
  KeyPair key;
  Authenticator auth = AuthFor(key);
  EXPECT_EQ(CodeOf(auth.VerifyToken(key.Sign(R"({"exp":1700000000})")).status()),
            "AUTH_JWT_EXPIRED");
  EXPECT_TRUE(auth.VerifyToken(key.Sign(R"({"exp":1700000000.5})")).ok());
  EXPECT_EQ(CodeOf(auth.VerifyToken(key.Sign(R"({"nbf":1700000001})")).status()),
            "AUTH_JWT_IMMATURE");
  EXPECT_TRUE(auth.VerifyToken(key.Sign(R"({"nbf":1700000000,"exp":null})")).ok());
  EXPECT_EQ(CodeOf(auth.VerifyToken(key.Sign(R"({"exp":"tomorrow"})")).status()),
            "AUTH_JWT_INVALID");
}

TEST(Auth, ForgedOrMalformedTokensAreRefused) {
  KeyPair key, other;
  Authenticator auth = AuthFor(key);
  const std::string good = key.Sign(R"({"a":"ro"})");
  EXPECT_EQ(CodeOf(auth.VerifyToken(other.Sign(R"({"a":"ro"})")).status()), "AUTH_JWT_INVALID");
  // A payload swapped under a valid signature.
  const size_t d1 = good.find('.'), d2 = good.rfind('.');
  const std::string swapped = good.substr(0, d1 + 1) + Base64Url(R"({"a":"rw"})") + good.substr(d2);
  EXPECT_FALSE(auth.VerifyToken(swapped).ok());
  EXPECT_FALSE(auth.VerifyToken(good + "x").ok());
  EXPECT_FALSE(auth.VerifyToken(good.substr(0, d2)).ok());
  EXPECT_FALSE(auth.VerifyToken(good + ".x").ok());
  EXPECT_FALSE(auth.VerifyToken(key.Sign("{}", R"({"alg":"none"})")).ok());
  EXPECT_FALSE(auth.VerifyToken(key.Sign("{}", R"({"alg":"HS256"})")).ok());
  EXPECT_FALSE(auth.VerifyToken(key.Sign("{}", R"({"alg":"EdDSA","crit":["x"]})")).ok());
  EXPECT_FALSE(auth.VerifyToken(key.Sign("not json")).ok());
  EXPECT_FALSE(auth.VerifyToken(key.Sign("[]")).ok());
  EXPECT_FALSE(auth.VerifyToken(std::string(Authenticator::kMaxTokenBytes + 1, 'a')).ok());
  EXPECT_EQ(CodeOf(auth.Authenticate("").status()), "AUTH_HEADER_NOT_FOUND");
  EXPECT_EQ(CodeOf(auth.Authenticate("Basic abc").status()), "AUTH_HEADER_MALFORMED");
  EXPECT_EQ(CodeOf(auth.Authenticate(good).status()), "AUTH_HEADER_MALFORMED");
}

TEST(Auth, ErrorsNeverQuoteTheToken) {
  KeyPair key, other;
  Authenticator auth = AuthFor(key);
  for (const std::string& token : {other.Sign(R"({"a":"ro"})"), key.Sign(R"({"exp":1})"),
                                   key.Sign(R"({"a":"zzz"})"), std::string("abc.def.ghi")}) {
    auto r = auth.Authenticate("Bearer " + token);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().find(token), std::string::npos);
    EXPECT_EQ(r.status().message().find(token.substr(0, token.find('.'))), std::string::npos);
  }
}

TEST(Auth, SeveralKeysForRotationInPemAndRawForms) {
  KeyPair old_key, new_key, stranger;
  const std::string text =
      "# rotation: old, then new\n" + old_key.PublicPem() + "\n" + new_key.PublicRaw() + "\n\n";
  auto keys = PublicKeys::Parse(text);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->size(), 2u);
  Authenticator auth(std::move(keys).value(), kClock);
  EXPECT_TRUE(auth.VerifyToken(old_key.Sign("{}")).ok());
  EXPECT_TRUE(auth.VerifyToken(new_key.Sign("{}")).ok());
  EXPECT_FALSE(auth.VerifyToken(stranger.Sign("{}")).ok());
}

TEST(Auth, KeyFilesThatAreWrongAreClearErrors) {
  KeyPair key;
  EXPECT_NE(PublicKeys::Parse(key.PrivatePem()).status().message().find("private key"),
            std::string::npos);
  EXPECT_FALSE(PublicKeys::Parse("").ok());
  EXPECT_FALSE(PublicKeys::Parse("# only a comment\n").ok());
  EXPECT_FALSE(PublicKeys::Parse("c2hvcnQ\n").ok());  // base64url, but not 32 bytes
  EXPECT_FALSE(PublicKeys::Parse("-----BEGIN PUBLIC KEY-----\nAAAA\n").ok());
  EXPECT_FALSE(
      PublicKeys::Parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").ok());
  // An RSA public key is not an EdDSA key.
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, rsa);
  char* data;
  const long n = BIO_get_mem_data(bio, &data);
  auto r = PublicKeys::Parse(std::string(data, static_cast<size_t>(n)));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  EXPECT_NE(r.status().message().find("Ed25519"), std::string::npos) << r.status().ToString();
  EXPECT_FALSE(PublicKeys::LoadFile("/nonexistent/keys.pem").ok());
}

TEST(Auth, KeyLinesTakeEitherAlphabetButTokensOnlyUnpaddedBase64Url) {
  KeyPair key;
  for (const std::string& line :
       {key.PublicRaw(), key.PublicRaw(Base64Alphabet::kStandard, Base64Padding::kPadded)}) {
    auto keys = PublicKeys::Parse(line + "\n");
    ASSERT_TRUE(keys.ok()) << line << ": " << keys.status().ToString();
    Authenticator auth(std::move(keys).value(), kClock);
    EXPECT_TRUE(auth.VerifyToken(key.Sign("{}")).ok());
  }
  // The same token with its 64-byte signature padded ("==" after 86 digits): not a JWT's spelling.
  EXPECT_FALSE(AuthFor(key).VerifyToken(key.Sign("{}") + "==").ok());
}

}  // namespace
}  // namespace cloudlite::server
