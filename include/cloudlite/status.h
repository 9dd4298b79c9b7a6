// Status and Result<T>: errors are values in cloudlite. No exception crosses a module boundary.
//
// A Status is Ok or carries a Code and a message meant for people ("what happened, and what
// to do"). Result<T> holds either a T or a non-Ok Status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cloudlite {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,          // the object, database or key does not exist
    kAlreadyExists,     // PutIfAbsent lost: the key exists
    kUnavailable,       // transient: the store could not be reached; retrying may help
    kCorruption,        // stored bytes fail verification; the message names the key
    kPermissionDenied,  // the store refused us (credentials, file permissions)
    kInvalidArgument,   // the caller's input is wrong (bad URI, not a SQLite file, ...)
    kBusy,              // a conflicting commit won; retries ran out
    kAmbiguous,         // a conditional write may or may not have happened
    kNotSupported,      // e.g. a newer format version, WAL mode
    kIOError,           // local I/O failed
    kInternal,          // a bug in cloudlite
    // The caller's deadline passed before the work was run: nothing of it was done. Not
    // IsRetryable (no retry fits in a deadline that has passed); the caller may send it again.
    kDeadlineExceeded,
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status Ambiguous(std::string m) { return {Code::kAmbiguous, std::move(m)}; }
  static Status NotSupported(std::string m) { return {Code::kNotSupported, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  // Transient failures that a retry with backoff may cure.
  bool IsRetryable() const { return code_ == Code::kUnavailable; }

  // "not found: <message>"; "ok" for Ok.
  std::string ToString() const;
  // Same code, message prefixed with context: "opening db: <message>".
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an Ok status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cloudlite

// Propagate a non-Ok Status from an expression returning Status.
#define CL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::cloudlite::Status cl_status_ = (expr); \
    if (!cl_status_.ok()) return cl_status_; \
  } while (0)

#define CL_CONCAT_INNER(a, b) a##b
#define CL_CONCAT(a, b) CL_CONCAT_INNER(a, b)
// `CL_ASSIGN_OR_RETURN(auto x, ResultExpr());` binds x or returns the error.
#define CL_ASSIGN_OR_RETURN(decl, expr) \
  CL_ASSIGN_OR_RETURN_IMPL(CL_CONCAT(cl_r_, __LINE__), decl, expr)
#define CL_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  decl = std::move(tmp).value()
