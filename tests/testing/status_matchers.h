// Test assertions for Status and Result<T>, so a failure prints the status instead of "false":
//   ASSERT_OK(store->Put(key, bytes));       EXPECT_OK(db->View(fn));
//   EXPECT_THAT(Open(bad), StatusIs(Status::Code::kInvalidArgument, "unknown parameter"));
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>

#include "cloudlite/status.h"

namespace cloudlite::test {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// For ASSERT_PRED_FORMAT1: Ok, or a failure naming the expression and its status.
template <typename T>
::testing::AssertionResult IsOk(const char* expression, const T& value) {
  const Status& s = StatusOf(value);
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expression << " is " << s.ToString();
}

// Matches a Status or Result<T> whose code is `code` and whose message contains `substring`.
class StatusIsMatcher {
 public:
  StatusIsMatcher(Status::Code code, std::string substring)
      : code_(code), substring_(std::move(substring)) {}

  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const Status& s = StatusOf(value);
    *listener << "which is " << s.ToString();
    return s.code() == code_ && s.message().find(substring_) != std::string::npos;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "is " << CodeName(code_);
    if (!substring_.empty()) *os << " with a message containing \"" << substring_ << "\"";
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not ";
    DescribeTo(os);
  }

 private:
  Status::Code code_;
  std::string substring_;
};

inline ::testing::PolymorphicMatcher<StatusIsMatcher> StatusIs(Status::Code code,
                                                               std::string substring = "") {
  return ::testing::MakePolymorphicMatcher(StatusIsMatcher(code, std::move(substring)));
}

}  // namespace cloudlite::test

#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::cloudlite::test::IsOk, expr)
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::cloudlite::test::IsOk, expr)
