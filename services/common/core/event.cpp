#include "common/core/event.hpp"

#include "common/core/exact_number.hpp"

namespace synchub {

std::string_view OpName(Op op) { return op == Op::kDelete ? "delete" : "upsert"; }

std::optional<std::string> ReferencedId(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  // An integer beyond 64 bits, or 5.0 (JSON equality: 5).
  if (IsExactNumber(value)) return IntegerText(NumberText(value));
  return std::nullopt;
}

}  // namespace synchub
