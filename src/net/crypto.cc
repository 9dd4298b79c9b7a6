#include "net/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>
#include <cstdlib>

#include "base/base64.h"

namespace cloudlite {
namespace {

// OpenSSL 3's one-shot SHA256() and HMAC() look their algorithm up in the provider store on
// every call, under a lock: most of a 12 us request signature. The algorithms are fetched once
// here, and an HMAC starts from a context that already names its digest.
struct Algorithms {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* hmac_sha256 = nullptr;  // copied, then keyed, for each HMAC

  Algorithms() {
    if (sha256 == nullptr || hmac == nullptr) std::abort();
    hmac_sha256 = EVP_MAC_CTX_new(hmac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    // Keyed once with a placeholder: OpenSSL 3.0 copies only a context that has been started.
    const unsigned char placeholder = 0;
    if (hmac_sha256 == nullptr || EVP_MAC_CTX_set_params(hmac_sha256, params) != 1 ||
        EVP_MAC_init(hmac_sha256, &placeholder, 1, nullptr) != 1) {
      std::abort();
    }
  }
};

const Algorithms& Get() {
  static const Algorithms* algorithms = new Algorithms;  // never freed: used until exit
  return *algorithms;
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Cannot fail for in-memory input with a fetched algorithm but for lack of memory.
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string Sha256(std::string_view data) { return Digest(Get().sha256, data); }

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  const auto* data_bytes = reinterpret_cast<const unsigned char*>(data.data());
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(Get().hmac_sha256);
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  const bool ok = ctx != nullptr && EVP_MAC_init(ctx, key_bytes, key.size(), nullptr) == 1 &&
                  EVP_MAC_update(ctx, data_bytes, data.size()) == 1 &&
                  EVP_MAC_final(ctx, out, &len, sizeof(out)) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) std::abort();  // as above: only out of memory
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Md5Base64(std::string_view data) {
  // EVP rather than MD5(): the latter is deprecated in OpenSSL 3 (and -Werror is on). Fetched on
  // its own: a FIPS provider has no MD5, and that must not stop the rest.
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md5 == nullptr ? std::string() : Base64Encode(Digest(md5, data));
}

}  // namespace cloudlite
