#include "dynamo/number.h"

#include <algorithm>

namespace cloudlite::dynamo {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Exponents past this are out of range whatever the digits (a parse never overflows int64).
constexpr int64_t kExponentCap = 1'000'000'000;

// `digits` with `zeros` zeros appended.
std::string Padded(const std::string& digits, int64_t zeros) {
  std::string out = digits;
  out.append(static_cast<size_t>(zeros), '0');
  return out;
}

// Sum of two non-negative integers written in decimal (any leading zeros).
std::string AddDigits(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0 || j > 0 || carry) {
    int d = carry;
    if (i > 0) d += a[--i] - '0';
    if (j > 0) d += b[--j] - '0';
    out.push_back(static_cast<char>('0' + d % 10));
    carry = d / 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// a - b for decimal integers with a >= b.
std::string SubtractDigits(const std::string& a, const std::string& b) {
  std::string out;
  int borrow = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0) {
    int d = (a[--i] - '0') - borrow - (j > 0 ? b[--j] - '0' : 0);
    borrow = d < 0;
    out.push_back(static_cast<char>('0' + (d + 10) % 10));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Compares decimal integers (any leading zeros).
int CompareDigits(std::string_view a, std::string_view b) {
  while (!a.empty() && a[0] == '0') a.remove_prefix(1);
  while (!b.empty() && b[0] == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

}  // namespace

Result<Number> Number::Make(bool negative, std::string digits, int64_t exponent) {
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == '0') lead++;
  digits.erase(0, lead);
  exponent -= static_cast<int64_t>(lead);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  Number n;
  if (digits.empty()) return n;  // zero, whatever its sign or exponent
  if (digits.size() > kMaxDigits) return Status::InvalidArgument(std::string(kNumberPrecision));
  if (exponent > kMaxExponent) return Status::InvalidArgument(std::string(kNumberOverflow));
  if (exponent < kMinExponent) return Status::InvalidArgument(std::string(kNumberUnderflow));
  n.negative_ = negative;
  n.digits_ = std::move(digits);
  n.exponent_ = static_cast<int>(exponent);
  return n;
}

Result<Number> Number::Parse(std::string_view text) {
  const Status bad = Status::InvalidArgument(std::string(kNotANumber));
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::string digits;  // every mantissa digit, the point left out
  int64_t point = 0;   // how many of them come before the point
  bool seen_point = false;
  for (; i < text.size(); i++) {
    char c = text[i];
    if (IsDigit(c)) {
      digits.push_back(c);
      if (!seen_point) point++;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  size_t mantissa_digits = digits.size();
  if (mantissa_digits == 0) return bad;
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    i++;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    size_t exp_digits = 0;
    for (; i < text.size() && IsDigit(text[i]); i++, exp_digits++) {
      exponent = std::min<int64_t>(exponent * 10 + (text[i] - '0'), kExponentCap);
    }
    if (exp_digits == 0) return bad;
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return bad;
  // The value is 0.<digits> x 10^(point + exponent).
  return Make(negative, std::move(digits), point + exponent);
}

Number Number::FromInt(int64_t v) {
  bool negative = v < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits = std::to_string(magnitude);
  auto exponent = static_cast<int64_t>(digits.size());
  return std::move(Make(negative, std::move(digits), exponent)).value();
}

int Number::Compare(const Number& a, const Number& b) {
  int sign_a = a.is_zero() ? 0 : (a.negative_ ? -1 : 1);
  int sign_b = b.is_zero() ? 0 : (b.negative_ ? -1 : 1);
  if (sign_a != sign_b) return sign_a < sign_b ? -1 : 1;
  if (sign_a == 0) return 0;
  int magnitude;
  if (a.exponent_ != b.exponent_) {
    magnitude = a.exponent_ < b.exponent_ ? -1 : 1;
  } else {
    int c = a.digits_.compare(b.digits_);
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return sign_a * magnitude;
}

Result<Number> Number::Add(const Number& a, const Number& b) {
  if (a.is_zero()) return b;
  if (b.is_zero()) return a;
  // As integers scaled by 10^scale: value = coefficient x 10^scale.
  int64_t scale_a = a.exponent_ - static_cast<int64_t>(a.digits_.size());
  int64_t scale_b = b.exponent_ - static_cast<int64_t>(b.digits_.size());
  int64_t scale = std::min(scale_a, scale_b);
  std::string ca = Padded(a.digits_, scale_a - scale);
  std::string cb = Padded(b.digits_, scale_b - scale);
  std::string sum;
  bool negative;
  if (a.negative_ == b.negative_) {
    sum = AddDigits(ca, cb);
    negative = a.negative_;
  } else if (CompareDigits(ca, cb) >= 0) {
    sum = SubtractDigits(ca, cb);
    negative = a.negative_;
  } else {
    sum = SubtractDigits(cb, ca);
    negative = b.negative_;
  }
  auto exponent = static_cast<int64_t>(sum.size()) + scale;
  return Make(negative, std::move(sum), exponent);
}

Result<Number> Number::Subtract(const Number& a, const Number& b) {
  Number minus_b = b;
  if (!minus_b.is_zero()) minus_b.negative_ = !minus_b.negative_;
  return Add(a, minus_b);
}

std::string Number::ToString() const {
  if (is_zero()) return "0";
  std::string out = negative_ ? "-" : "";
  auto n = static_cast<int>(digits_.size());
  if (exponent_ >= n) {
    out += digits_;
    out.append(static_cast<size_t>(exponent_ - n), '0');
  } else if (exponent_ > 0) {
    out += digits_.substr(0, static_cast<size_t>(exponent_));
    out += '.';
    out += digits_.substr(static_cast<size_t>(exponent_));
  } else {
    out += "0.";
    out.append(static_cast<size_t>(-exponent_), '0');
    out += digits_;
  }
  return out;
}

std::string Number::EncodeKey() const {
  if (is_zero()) return std::string(1, '\x01');
  std::string out;
  if (!negative_) {
    out.push_back('\x02');
    out.push_back(static_cast<char>(exponent_ - kMinExponent));
    out += digits_;
  } else {
    out.push_back('\x00');
    out.push_back(static_cast<char>(kMaxExponent - exponent_));
    for (char d : digits_) out.push_back(static_cast<char>('0' + ('9' - d)));
    out.push_back('\xff');
  }
  return out;
}

Result<Number> Number::DecodeKey(std::string_view bytes) {
  const Status bad = Status::Corruption("not an encoded DynamoDB number key");
  if (bytes.empty()) return bad;
  auto tag = static_cast<uint8_t>(bytes[0]);
  if (tag == 0x01) {
    if (bytes.size() != 1) return bad;
    return Number();
  }
  if (tag > 0x02 || bytes.size() < 3) return bad;
  bool negative = tag == 0x00;
  auto exponent_byte = static_cast<uint8_t>(bytes[1]);
  std::string_view body = bytes.substr(2);
  if (negative) {
    if (static_cast<uint8_t>(body.back()) != 0xff) return bad;
    body.remove_suffix(1);
  }
  std::string digits;
  for (char c : body) {
    if (!IsDigit(c)) return bad;
    digits.push_back(negative ? static_cast<char>('0' + ('9' - c)) : c);
  }
  if (digits.empty() || digits.front() == '0' || digits.back() == '0') return bad;
  int exponent = negative ? kMaxExponent - exponent_byte : exponent_byte + kMinExponent;
  auto n = Make(negative, digits, exponent);
  if (!n.ok()) return bad;
  return n;
}

size_t Number::Size() const {
  if (is_zero()) return 1;
  // Base-100 digits aligned on the decimal point: digit i has place value 10^(E-1-i), and
  // pairs group places by floor(place / 2).
  auto floor_half = [](int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
  int64_t first = floor_half(exponent_ - 1);
  int64_t last = floor_half(exponent_ - static_cast<int64_t>(digits_.size()));
  return static_cast<size_t>(1 + (first - last + 1) + (negative_ ? 1 : 0));
}

}  // namespace cloudlite::dynamo
