// Hashes and encodings the AWS protocols need, over OpenSSL's libcrypto.
//
// All functions are pure and thread-safe. Digests are returned as raw bytes in a std::string
// unless the name says Hex or Base64.
#pragma once

#include <string>
#include <string_view>

#include "base/hex.h"  // HexEncode

namespace cloudlite {

std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);  // lowercase hex, 64 digits
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Md5Base64(std::string_view data);  // what S3's Content-MD5 header wants; empty without
                                               // MD5 (a FIPS provider)

}  // namespace cloudlite
