// Writer lease objects (format::DecodeLease): what a lease/<epoch> object holds.
#include "format/format.h"
#include "fuzz_util.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::Split(data, size);
  const std::string bytes = in.sealed ? fuzz::Sealed(in.rest) : std::string(in.rest);
  const std::string key = "db/lease/00000000000000000003";
  Result<format::Lease> l = format::DecodeLease(bytes, key);
  if (!l.ok()) {
    fuzz::CheckDecodeError(l.status(), key);
    return 0;
  }
  FUZZ_CHECK(l->owner.size() == format::kLeaseOwnerSize);
  const std::string once = format::EncodeLease(*l);
  Result<format::Lease> again = format::DecodeLease(once, key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->epoch == l->epoch && again->owner == l->owner &&
             again->granted_micros == l->granted_micros &&
             again->expiry_micros == l->expiry_micros);
  FUZZ_CHECK(format::EncodeLease(*again) == once);
  return 0;
}
