#include "common/core/event.hpp"

namespace synchub {

std::string_view OpName(Op op) { return op == Op::kDelete ? "delete" : "upsert"; }

std::optional<std::string> ReferencedId(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (IsExactNumber(value)) {  // an integer beyond 64 bits, or 5.0 (JSON equality: 5)
    const std::string text = NumberText(value);
    const std::size_t point = text.find('.');
    if (point == std::string::npos) return text;
    if (text.find_first_not_of('0', point + 1) == std::string::npos) {
      const std::string integer = text.substr(0, point);
      return integer == "-0" ? "0" : integer;
    }
  }
  return std::nullopt;
}

}  // namespace synchub
