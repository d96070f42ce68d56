// EventResult: what the resolver answers for one event once its effect is durable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/core/dead_letter_reason.hpp"
#include "common/core/event.hpp"
#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "resolver/core/outcome.hpp"

namespace synchub {

// The idempotency key of an event (SPEC section 4): (source, event id). Event ids are chosen
// by each source: the same id from two sources names two events.
using EventKey = std::pair<std::string, std::string>;

inline EventKey KeyOf(const Event& event) { return {event.source, event.event_id}; }

// An event to resolve, with the attempts it already had as a DEFERRED event (0 when new).
struct WorkItem {
  Event event;
  int prior_attempts = 0;
};

struct EventResult {
  std::string event_id;
  // The ladder's outcome; nullopt when the event ended as a dead letter or was rejected.
  std::optional<Outcome> outcome;
  bool changed = false;
  std::string record_json;  // the canonical record afterwards (API form), or empty
  std::int64_t etag = 0;    // its row version; 0 when there is no record
  std::vector<std::string> conflicting_fields;
  std::int64_t conflict_id = 0;  // MANUAL: the conflict_log row
  std::int64_t log_seq = 0;      // the resolution_log row; 0 when not logged
  bool duplicate = false;        // decided before; this is the recorded answer
  // Dead letters: why (set exactly when the event ended as a dead letter).
  std::optional<DeadLetterReason> dead_letter_reason;
  std::int64_t dead_letter_id = 0;
  Status error;  // not OK when the event was rejected (kInvalidArgument) or not decided
};

}  // namespace synchub
