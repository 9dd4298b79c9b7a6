// DynamoDB numbers: decimals of up to 38 significant digits in magnitude 1E-130 ..
// 9.9999999999999999999999999999999999999E+125, with exact arithmetic (never binary floating
// point), DynamoDB's normal form and the order-preserving key encoding of docs/dynamodb.md.
//
// Errors are InvalidArgument with DynamoDB's own ValidationException message (verified against
// DynamoDB Local): "A value provided cannot be converted into a number", "Number overflow. ...",
// "Number underflow. ...", "DynamoDB only supports precision up to 38 digits".
// Thread-safety: a value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::dynamo {

class Number {
 public:
  static constexpr int kMaxDigits = 38;
  static constexpr int kMinExponent = -129;  // 0.1E-129 = 1E-130
  static constexpr int kMaxExponent = 126;   // 0.99..9E+126 = 9.99..9E+125

  Number() = default;  // zero

  // DynamoDB's number syntax: [+-] digits [. digits] [(e|E) [+-] digits], a digit on at least
  // one side of the point. Leading and trailing zeros are not significant.
  static Result<Number> Parse(std::string_view text);
  // A whole number (for sizes and counts).
  static Number FromInt(int64_t v);

  // Exact; the result must itself be a valid DynamoDB number.
  static Result<Number> Add(const Number& a, const Number& b);
  static Result<Number> Subtract(const Number& a, const Number& b);
  // <0, 0, >0 as a is less than, equal to, greater than b.
  static int Compare(const Number& a, const Number& b);

  // How DynamoDB prints it back: plain notation, no exponent, no trailing zeros after the
  // point, no leading zeros, "-" only for negatives ("1.50" -> "1.5", "1E+2" -> "100").
  std::string ToString() const;
  // The order-preserving bytes of docs/dynamodb.md ("Number encoding"): memcmp order is
  // numeric order.
  std::string EncodeKey() const;
  static Result<Number> DecodeKey(std::string_view bytes);
  // DynamoDB's size in bytes (docs/dynamodb.md, "Item size").
  size_t Size() const;

  bool is_zero() const { return digits_.empty(); }
  bool negative() const { return negative_; }
  // The significant digits, d1 != 0, no trailing zero; empty for zero.
  const std::string& digits() const { return digits_; }
  // The value is 0.d1d2...dn x 10^exponent().
  int exponent() const { return exponent_; }

  friend bool operator==(const Number& a, const Number& b) { return Compare(a, b) == 0; }

 private:
  // From a digit string and the exponent of its first digit position, any zeros: normalizes
  // and checks precision and range.
  static Result<Number> Make(bool negative, std::string digits, int64_t exponent);

  bool negative_ = false;
  std::string digits_;
  int exponent_ = 0;
};

// The messages, for callers that check the same rules elsewhere.
inline constexpr std::string_view kNotANumber =
    "A value provided cannot be converted into a number";
inline constexpr std::string_view kNumberOverflow =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
inline constexpr std::string_view kNumberUnderflow =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
inline constexpr std::string_view kNumberPrecision =
    "DynamoDB only supports precision up to 38 digits";

}  // namespace cloudlite::dynamo
