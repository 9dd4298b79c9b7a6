// Bearer tokens (src/server/http/auth.h). The first byte picks what the rest is:
//   0: an Authorization header value, checked against a fixed key: it must never be accepted
//      (nobody can sign without the private key) and no error message quotes the token;
//   1: a token's claims, signed here with that key so the claims parser is reached: whatever it
//      grants is consistent (write implies read);
//   2: a key file's text for PublicKeys::Parse.
#include <openssl/evp.h>

#include <string>

#include "base/base64.h"
#include "fuzz_util.h"
#include "server/http/auth.h"

using namespace cloudlite;
using namespace cloudlite::server;

namespace {

EVP_PKEY* FixedKey() {
  static EVP_PKEY* key = [] {
    unsigned char seed[32];
    for (int i = 0; i < 32; ++i) seed[i] = static_cast<unsigned char>(i * 7 + 1);
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, sizeof seed);
  }();
  return key;
}

std::string Base64Url(std::string_view bytes) {
  return Base64Encode(bytes, Base64Alphabet::kUrl, Base64Padding::kUnpadded);
}

std::string Sign(std::string_view claims) {
  const std::string input = Base64Url(R"({"alg":"EdDSA"})") + "." + Base64Url(claims);
  unsigned char sig[64];
  size_t len = sizeof sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, FixedKey());
  EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  EVP_MD_CTX_free(ctx);
  return input + "." + Base64Url(std::string_view(reinterpret_cast<char*>(sig), len));
}

const Authenticator& Auth() {
  static const Authenticator* auth = [] {
    unsigned char raw[32];
    size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(FixedKey(), raw, &len);
    auto keys = PublicKeys::Parse(Base64Url(std::string_view(reinterpret_cast<char*>(raw), len)));
    FUZZ_CHECK(keys.ok());
    static const FakeClock clock(int64_t{1'700'000'000} * 1'000'000);
    return new Authenticator(std::move(keys).value(), clock);
  }();
  return *auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(fuzz::Bytes(data + 1, size - 1));
  switch (data[0] % 3) {
    case 0: {
      auto r = Auth().Authenticate(rest);
      FUZZ_CHECK(!r.ok());
      FUZZ_CHECK(r.status().code() == Status::Code::kPermissionDenied);
      const size_t space = rest.find(' ');
      const std::string token = space == std::string::npos ? "" : rest.substr(space + 1);
      // Every real token has dots and none of the fixed messages has one, so a dotted token
      // found in the message was quoted.
      if (token.size() >= 12 && token.find('.') != std::string::npos) {
        FUZZ_CHECK(r.status().message().find(token) == std::string::npos);
      }
      break;
    }
    case 1: {
      auto r = Auth().Authenticate("Bearer " + Sign(rest));
      if (r.ok()) {
        for (const char* db : {"", "default", "db", "x"}) {
          if (r->CanWrite(db)) FUZZ_CHECK(r->CanRead(db));
        }
      } else {
        FUZZ_CHECK(r.status().code() == Status::Code::kPermissionDenied);
      }
      break;
    }
    default: {
      auto keys = PublicKeys::Parse(rest);
      if (keys.ok()) FUZZ_CHECK(keys->size() > 0);
      break;
    }
  }
  return 0;
}
