// What the connector's metrics report (app/connector_metrics.hpp), as pure values and
// decisions: the local database's outbox figures, the `outcome` label of a pushed row and
// elapsed time from an injected clock. Thread-safe (no state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/core/clock.hpp"
#include "connector/core/push_decisions.hpp"

namespace synchub::connector {

// The local database's outbox and parked rows at one moment (pg/outbox_stats.hpp reads them).
struct OutboxStats {
  std::int64_t pending = 0;           // outbox rows not sent and not parked
  std::int64_t parked_outbound = 0;   // outbox rows the hub kept rejecting (parked)
  std::int64_t parked_inbound = 0;    // inbound changes this database could not hold
  double oldest_pending_seconds = 0;  // age of the oldest pending row; 0 when none is pending
};

// The `outcome` label of synchub_connector_pushed_total for one pushed row: the hub's outcome
// (`hub_outcome`, WireOutcomeName: "NEW_RECORD", "DEAD_LETTER", ...) when it was decided, else
// "DEFERRED", "REJECTED" (refused as it is; counts towards parking) or "NOT_DECIDED" (no
// answer, or the hub could not make it durable; pushed again). An empty `hub_outcome` of a
// decided row gives "DECIDED".
std::string PushedOutcomeLabel(PushAnswer answer, const std::string& hub_outcome);

// Seconds from `since` to `now`; 0 when `now` is not later.
double SecondsBetween(Clock::TimePoint since, Clock::TimePoint now);

}  // namespace synchub::connector
