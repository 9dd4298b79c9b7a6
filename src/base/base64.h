// RFC 4648 base64: the one codec for S3's Content-MD5, DynamoDB's B values, Hrana blobs and
// batons, Lambda bodies and JWT segments.
#pragma once

#include <string>
#include <string_view>

namespace cloudlite {

enum class Base64Alphabet {
  kStandard,  // §4: '+' and '/'
  kUrl,       // §5: '-' and '_' (JWTs, Ed25519 key lines)
};

enum class Base64Padding {
  kPadded,    // encode: '=' fills the last group of four; decode: '=' allowed there, not required
  kUnpadded,  // encode: no '='; decode: '=' refused
};

std::string Base64Encode(std::string_view bytes,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard,
                         Base64Padding padding = Base64Padding::kPadded);

// False (and `out` unspecified) unless `text` is base64 in `alphabet`: digits only, padding as
// `padding` allows and only where it completes the last group, and zero bits left over in the
// last digit, so that each byte string has one accepted spelling with and one without padding.
bool Base64Decode(std::string_view text, std::string* out,
                  Base64Alphabet alphabet = Base64Alphabet::kStandard,
                  Base64Padding padding = Base64Padding::kPadded);

}  // namespace cloudlite
