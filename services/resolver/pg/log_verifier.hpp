// Verifies the hub against its resolution log: every acknowledged event logged exactly once,
// and each record's log replayed through the ladder gives its logged outcomes and today's
// canonical record. Used by tests and by syncload --verify.
#pragma once

#include <cstddef>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/status.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub {

struct LogVerification {
  std::size_t acknowledged = 0;      // ids checked
  std::vector<std::string> missing;  // acknowledged but not decided anywhere
  std::size_t records_checked = 0;
  std::size_t events_replayed = 0;
  std::vector<std::string> mismatches;  // replay or canonical-record differences

  bool ok() const { return missing.empty() && mismatches.empty(); }
};

// Checks that each of `acknowledged` ids is in resolution_log, dead_letter or deferred_event,
// then replays the log of every record in `keys` (every logged record when `keys` is empty)
// with `catalog` (REQUIRES: the priorities in force during the run), from the record's
// checkpoint where retention cut its log (record_checkpoint). An event whose log row
// retention dropped counts as missing: check acknowledged ids within the retention age. Returns the
// report, or kUnavailable / kInternal when the database cannot be read.
StatusOr<LogVerification> VerifyResolutionLog(pqxx::connection& connection, const Catalog& catalog,
                                              const std::vector<std::string>& acknowledged,
                                              const std::vector<RecordKey>& keys);

}  // namespace synchub
