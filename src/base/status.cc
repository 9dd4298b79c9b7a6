#include "cloudlite/status.h"

namespace cloudlite {

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kAlreadyExists:
      return "already exists";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kPermissionDenied:
      return "permission denied";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kBusy:
      return "busy";
    case Status::Code::kAmbiguous:
      return "ambiguous outcome";
    case Status::Code::kNotSupported:
      return "not supported";
    case Status::Code::kIOError:
      return "I/O error";
    case Status::Code::kInternal:
      return "internal error";
    case Status::Code::kDeadlineExceeded:
      return "deadline exceeded";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

}  // namespace cloudlite
