// Replaying a record's resolution log through the ladder (SPEC section 4, "serializable per
// record"). Pure: the caller reads the log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/event.hpp"
#include "common/core/record.hpp"

namespace synchub {

// One row of resolution_log.
struct LoggedResolution {
  std::int64_t seq = 0;
  Event event;
  std::string outcome;  // as logged, e.g. "PRIORITY_WIN"
  Json record_after;    // the logged record after the event (API form), or null
};

struct RecordReplay {
  // One line per logged outcome or record that the replay does not reproduce.
  std::vector<std::string> mismatches;
  // The record the replay ends with; nullopt when no event created it.
  std::optional<CanonicalRecord> final_record;
};

// Replays `log` (one record's rows, in seq order) one event at a time through the ladder with
// `catalog`, starting from `start` (the record's checkpoint where retention cut its log,
// record_checkpoint; nullopt: no record, the log is whole), and compares each outcome and
// record with the log. Dependencies count as met (the log holds only events that passed rung 0).
RecordReplay ReplayRecordLog(const std::vector<LoggedResolution>& log, const Catalog& catalog,
                             std::optional<CanonicalRecord> start = std::nullopt);

}  // namespace synchub
