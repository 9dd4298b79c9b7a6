// SafeServerText (src/net/server_text.h) on any bytes: one printable line, bounded, and never
// the secret it was given, wherever the secret sits in the input.
#include "fuzz_util.h"
#include "net/server_text.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max = data[0];
  std::string text(fuzz::Bytes(data + 1, size - 1));
  const bool had_prefix = text.find("Secret/K") != std::string::npos;
  const std::string secret = "Secret/Key+0123456789";
  // Plant the secret at a position the input chooses, to test redaction wherever the cut falls.
  if (size > 2) text.insert(data[1] * text.size() / 256, secret);
  const std::string out = SafeServerText(text, {secret}, max);
  FUZZ_CHECK(fuzz::IsOneSafeLine(out));
  FUZZ_CHECK(out.size() <= max + std::string_view("…").size());
  FUZZ_CHECK(out.find(secret) == std::string::npos);
  if (!had_prefix) FUZZ_CHECK(out.find("Secret/K") == std::string::npos);  // nor a prefix of it
  return 0;
}
