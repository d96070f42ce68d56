#include "common/core/dead_letter_reason.hpp"

#include <array>
#include <utility>

namespace synchub {
namespace {

constexpr std::array<std::pair<DeadLetterReason, std::string_view>, 6> kNames = {{
    {DeadLetterReason::kDependencyUnmet, "DEPENDENCY_UNMET"},
    {DeadLetterReason::kEtagRetriesExhausted, "ETAG_RETRIES_EXHAUSTED"},
    {DeadLetterReason::kDatabaseRejected, "DATABASE_REJECTED"},
    {DeadLetterReason::kInternalError, "INTERNAL_ERROR"},
    {DeadLetterReason::kConnectorPushFailed, "CONNECTOR_PUSH_FAILED"},
    {DeadLetterReason::kConnectorApplyFailed, "CONNECTOR_APPLY_FAILED"},
}};

}  // namespace

std::string_view DeadLetterReasonName(DeadLetterReason reason) {
  for (const auto& [value, name] : kNames) {
    if (value == reason) return name;
  }
  return "INTERNAL_ERROR";
}

std::vector<DeadLetterReason> AllDeadLetterReasons() {
  std::vector<DeadLetterReason> reasons;
  for (const auto& [value, name] : kNames) reasons.push_back(value);
  return reasons;
}

std::optional<DeadLetterReason> ParseDeadLetterReason(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

}  // namespace synchub
