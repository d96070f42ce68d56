#include "common/core/exact_number.hpp"

#include <algorithm>
#include <cstdint>

namespace synchub {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A number as sign, integer-part digits, fraction digits and a decimal exponent, split from
// its JSON text without any arithmetic on the value.
struct NumberParts {
  bool negative = false;
  std::string_view integer_digits;
  std::string_view fraction_digits;
  std::int64_t exponent = 0;  // saturated at +-10^15: far past any storable number
};

bool SplitNumber(std::string_view text, NumberParts* parts) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    parts->negative = true;
    ++i;
  }
  const std::size_t integer_start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  if (i == integer_start) return false;
  if (text[integer_start] == '0' && i - integer_start > 1) return false;
  parts->integer_digits = text.substr(integer_start, i - integer_start);
  if (i < text.size() && text[i] == '.') {
    const std::size_t fraction_start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == fraction_start) return false;
    parts->fraction_digits = text.substr(fraction_start, i - fraction_start);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative_exponent = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative_exponent = text[i++] == '-';
    const std::size_t exponent_start = i;
    std::int64_t exponent = 0;
    constexpr std::int64_t kSaturation = 1'000'000'000'000'000;
    while (i < text.size() && IsDigit(text[i])) {
      exponent = std::min(kSaturation, exponent * 10 + (text[i] - '0'));
      ++i;
    }
    if (i == exponent_start) return false;
    parts->exponent = negative_exponent ? -exponent : exponent;
  }
  return i == text.size();
}

// The significant digits (no leading or trailing zeros) and the power of ten of the last one:
// value = digits x 10^power. Zero has empty digits.
struct Significand {
  bool negative = false;
  std::string digits;
  std::int64_t power = 0;
};

Significand SignificandOf(std::string_view text) {
  NumberParts parts;
  Significand out;
  if (!SplitNumber(text, &parts)) return out;
  std::string all(parts.integer_digits);
  all.append(parts.fraction_digits);
  std::int64_t power = parts.exponent - static_cast<std::int64_t>(parts.fraction_digits.size());
  const std::size_t first = all.find_first_not_of('0');
  if (first == std::string::npos) return out;  // zero: no sign
  std::size_t last = all.find_last_not_of('0');
  power += static_cast<std::int64_t>(all.size() - 1 - last);
  out.negative = parts.negative;
  out.digits = all.substr(first, last - first + 1);
  out.power = power;
  return out;
}

}  // namespace

StatusOr<std::string> NormalizeNumberText(std::string_view text) {
  NumberParts parts;
  if (!SplitNumber(text, &parts)) {
    return Status::InvalidArgument("", "invalid_number", "not a JSON number");
  }
  // value = mantissa x 10^shift, mantissa = integer digits followed by fraction digits.
  std::string mantissa(parts.integer_digits);
  mantissa.append(parts.fraction_digits);
  const std::int64_t shift =
      parts.exponent - static_cast<std::int64_t>(parts.fraction_digits.size());
  if (shift < -static_cast<std::int64_t>(kMaxNumberScale)) {
    return Status::InvalidArgument(
        "", "number_not_storable",
        "has more than " + std::to_string(kMaxNumberScale) + " digits after the decimal point");
  }
  std::string integer_part;
  std::string fraction_part;
  if (shift >= 0) {
    const std::size_t first = mantissa.find_first_not_of('0');
    if (first == std::string::npos) {
      integer_part = "0";
    } else {
      if (static_cast<std::int64_t>(mantissa.size() - first) + shift >
          static_cast<std::int64_t>(kMaxNumberIntegerDigits)) {
        return Status::InvalidArgument("", "number_not_storable",
                                       "has more than " + std::to_string(kMaxNumberIntegerDigits) +
                                           " digits before the decimal point");
      }
      integer_part = mantissa.substr(first);
      integer_part.append(static_cast<std::size_t>(shift), '0');
    }
  } else {
    const auto scale = static_cast<std::size_t>(-shift);
    if (mantissa.size() <= scale) mantissa.insert(0, scale - mantissa.size() + 1, '0');
    integer_part = mantissa.substr(0, mantissa.size() - scale);
    fraction_part = mantissa.substr(mantissa.size() - scale);
    const std::size_t first = integer_part.find_first_not_of('0');
    integer_part = first == std::string::npos ? "0" : integer_part.substr(first);
  }
  const bool zero =
      integer_part == "0" && fraction_part.find_first_not_of('0') == std::string::npos;
  std::string normal;
  normal.reserve(integer_part.size() + fraction_part.size() + 2);
  if (parts.negative && !zero) normal.push_back('-');
  normal.append(integer_part);
  if (!fraction_part.empty()) {
    normal.push_back('.');
    normal.append(fraction_part);
  }
  return normal;
}

int CompareNumberTexts(std::string_view a, std::string_view b) {
  const Significand x = SignificandOf(a);
  const Significand y = SignificandOf(b);
  const bool x_zero = x.digits.empty();
  const bool y_zero = y.digits.empty();
  auto sign = [](const Significand& s, bool zero) { return zero ? 0 : (s.negative ? -1 : 1); };
  const int sx = sign(x, x_zero);
  const int sy = sign(y, y_zero);
  if (sx != sy) return sx < sy ? -1 : 1;
  if (sx == 0) return 0;
  // Same sign: compare magnitudes. The magnitude's order is the position of the leading digit.
  const std::int64_t x_lead = x.power + static_cast<std::int64_t>(x.digits.size());
  const std::int64_t y_lead = y.power + static_cast<std::int64_t>(y.digits.size());
  int magnitude = 0;
  if (x_lead != y_lead) {
    magnitude = x_lead < y_lead ? -1 : 1;
  } else {
    // Same leading position: compare digit strings left-aligned (missing digits are zeros).
    const std::size_t n = std::max(x.digits.size(), y.digits.size());
    for (std::size_t i = 0; i < n && magnitude == 0; ++i) {
      const char cx = i < x.digits.size() ? x.digits[i] : '0';
      const char cy = i < y.digits.size() ? y.digits[i] : '0';
      if (cx != cy) magnitude = cx < cy ? -1 : 1;
    }
  }
  return sx > 0 ? magnitude : -magnitude;
}

std::optional<std::string> IntegerText(std::string_view normal) {
  const std::size_t point = normal.find('.');
  if (point == std::string_view::npos) return std::string(normal);
  if (normal.find_first_not_of('0', point + 1) != std::string_view::npos) return std::nullopt;
  const std::string integer(normal.substr(0, point));
  return integer == "-0" ? "0" : integer;
}

bool IsMachineInteger(std::string_view normal) {
  if (normal.find('.') != std::string_view::npos) return false;
  const bool negative = !normal.empty() && normal[0] == '-';
  const std::string_view digits = negative ? normal.substr(1) : normal;
  if (digits.empty() || digits.size() > 20) return false;
  for (char c : digits) {
    if (!IsDigit(c)) return false;
  }
  if (negative) return CompareNumberTexts(normal, "-9223372036854775808") >= 0;
  return CompareNumberTexts(normal, "18446744073709551615") <= 0;
}

}  // namespace synchub
