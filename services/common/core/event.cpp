#include "common/core/event.hpp"

namespace synchub {

std::string_view OpName(Op op) { return op == Op::kDelete ? "delete" : "upsert"; }

std::optional<std::string> ReferencedId(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (IsExactNumber(value)) {  // an integer beyond 64 bits, in decimal; fractions are no ids
    std::string text = NumberText(value);
    if (text.find('.') == std::string::npos) return text;
  }
  return std::nullopt;
}

}  // namespace synchub
