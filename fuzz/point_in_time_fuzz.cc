// Points in history as users write them (ParsePointInTime: `--at`, the URI's `at=`): an
// accepted text names exactly one of a version and a time, and a time printed back in the
// canonical ISO form parses to the same microsecond.
#include <ctime>
#include <string>

#include "cloudlite/options.h"
#include "fuzz_util.h"

using namespace cloudlite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  Result<PointInTime> at = ParsePointInTime(text);
  if (!at.ok()) {
    FUZZ_CHECK(at.status().code() == Status::Code::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(!at->empty());
  FUZZ_CHECK((at->version == 0) != (at->time_micros == 0));
  if (at->time_micros == 0) return 0;
  FUZZ_CHECK(at->time_micros > 0);
  const std::time_t seconds = static_cast<std::time_t>(at->time_micros / 1'000'000);
  std::tm tm{};
  FUZZ_CHECK(gmtime_r(&seconds, &tm) != nullptr);
  char canonical[64];
  std::snprintf(canonical, sizeof canonical, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(at->time_micros % 1'000'000));
  Result<PointInTime> again = ParsePointInTime(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->time_micros == at->time_micros && again->version == 0);
  return 0;
}
