// Retention rule objects (format::DecodeRetention): what a retain/<epoch> object holds.
#include "format/format.h"
#include "fuzz_util.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::Split(data, size);
  const std::string bytes = in.sealed ? fuzz::Sealed(in.rest) : std::string(in.rest);
  const std::string key = "db/retain/00000000000000000002";
  Result<format::Retention> r = format::DecodeRetention(bytes, key);
  if (!r.ok()) {
    fuzz::CheckDecodeError(r.status(), key);
    return 0;
  }
  const std::string once = format::EncodeRetention(*r);
  Result<format::Retention> again = format::DecodeRetention(once, key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->epoch == r->epoch && again->time_micros == r->time_micros &&
             again->retain_micros == r->retain_micros &&
             again->retain_versions == r->retain_versions &&
             again->grace_micros == r->grace_micros);
  FUZZ_CHECK(format::EncodeRetention(*again) == once);
  return 0;
}
