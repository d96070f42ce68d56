#include "common/core/duration.hpp"

namespace synchub {

std::optional<std::chrono::seconds> ParseDuration(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  const long long value = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  long long seconds = 0;
  if (unit.empty() || unit == "s") {
    seconds = value;
  } else if (unit == "m") {
    seconds = value * 60;
  } else if (unit == "h") {
    seconds = value * 3600;
  } else if (unit == "d") {
    seconds = value * 86400;
  } else {
    return std::nullopt;
  }
  if (seconds < 1) return std::nullopt;
  return std::chrono::seconds(seconds);
}

}  // namespace synchub
