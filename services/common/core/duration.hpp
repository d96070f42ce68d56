// Durations on command lines: "90" or "90s" (seconds), "10m", "2h", "7d". Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace synchub {

// Returns the duration, or nullopt for anything else, zero, or more than 12 characters.
std::optional<std::chrono::seconds> ParseDuration(const std::string& text);

}  // namespace synchub
