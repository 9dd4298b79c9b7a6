// Lowercase hexadecimal: the one encoder for names, signatures, cache scopes and blobs as text.
#pragma once

#include <string>
#include <string_view>

namespace cloudlite {

// Two lowercase hex digits per byte: "\x01\xab" -> "01ab".
std::string HexEncode(std::string_view bytes);
// Appends the two lowercase hex digits of `byte` to `out`.
void AppendHex(unsigned char byte, std::string* out);

}  // namespace cloudlite
