// Event ids made where an event has none: unique, and ordered by creation time (like
// UUIDv7), so the resolution log's unique index on event_id grows at its right edge
// instead of taking random page splits. Reads the clock and a random source.
//
// Thread safety: safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace synchub {

// "<prefix>-" + 12 hex digits of Unix milliseconds + 4 of a per-process counter + 16 random,
// e.g. "cli-018f3a2b4c5d0007a1b2c3d4e5f60718".
std::string NewEventId(std::string_view prefix);

}  // namespace synchub
