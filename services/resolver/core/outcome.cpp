#include "resolver/core/outcome.hpp"

#include <array>
#include <utility>

namespace synchub {
namespace {

constexpr std::array<std::pair<Outcome, std::string_view>, 7> kNames = {{
    {Outcome::kNewRecord, "NEW_RECORD"},
    {Outcome::kVersionWin, "VERSION_WIN"},
    {Outcome::kStaleSkip, "STALE_SKIP"},
    {Outcome::kFieldMerge, "FIELD_MERGE"},
    {Outcome::kPriorityWin, "PRIORITY_WIN"},
    {Outcome::kManual, "MANUAL"},
    {Outcome::kDeferred, "DEFERRED"},
}};

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  for (const auto& [value, name] : kNames) {
    if (value == outcome) return name;
  }
  return "UNKNOWN";
}

std::optional<Outcome> OutcomeFromName(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

}  // namespace synchub
