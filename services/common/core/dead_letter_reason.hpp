// DeadLetterReason: why an event became a dead letter, one enumeration for every service
// (SPEC section 4: "every event ends in exactly one place"; the reason is stored in
// dead_letter.reason, labels the synchub_*_dead_letters_total metrics and travels in
// DeadLetterReport.reason). Pure.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace synchub {

enum class DeadLetterReason {
  kDependencyUnmet,       // a DEFERRED event's dependency never appeared (SPEC section 3, rung 0)
  kEtagRetriesExhausted,  // the optimistic etag check kept failing, also alone
  kDatabaseRejected,      // PostgreSQL refused the event's data (a poison event)
  kInternalError,         // a bug: the event could not be handled
  kConnectorPushFailed,   // a connector gave up pushing a local change to the hub
  kConnectorApplyFailed,  // a connector cannot apply a hub change exactly (parked)
};

// The stored name: "DEPENDENCY_UNMET", "ETAG_RETRIES_EXHAUSTED", "DATABASE_REJECTED",
// "INTERNAL_ERROR", "CONNECTOR_PUSH_FAILED", "CONNECTOR_APPLY_FAILED". The view lives forever.
std::string_view DeadLetterReasonName(DeadLetterReason reason);

// Every reason above, in declaration order (e.g. to give each metric series a 0 sample at
// start: a counter born at 1 shows no increase to Prometheus's increase()).
std::vector<DeadLetterReason> AllDeadLetterReasons();

// The reason a stored name stands for; nullopt for a name that is none of the above.
std::optional<DeadLetterReason> ParseDeadLetterReason(std::string_view name);

}  // namespace synchub
