#include "resolver/core/log_replay.hpp"

#include "resolver/core/ladder.hpp"

namespace synchub {
namespace {

class EverythingLive final : public DependencyOracle {
 public:
  bool IsLive(std::string_view, std::string_view) const override { return true; }
};

}  // namespace

RecordReplay ReplayRecordLog(const std::vector<LoggedResolution>& log, const Catalog& catalog,
                             std::optional<CanonicalRecord> start) {
  RecordReplay replay;
  replay.final_record = std::move(start);
  EverythingLive live;
  for (const auto& logged : log) {
    const CanonicalRecord* current = replay.final_record ? &*replay.final_record : nullptr;
    Decision decision = Resolve(logged.event, current, catalog, live);
    if (decision.changed) replay.final_record = *decision.record;
    const std::string where = logged.event.external_id + " seq " + std::to_string(logged.seq);
    if (OutcomeName(decision.outcome) != logged.outcome) {
      replay.mismatches.push_back(where + ": logged " + logged.outcome + ", replay gives " +
                                  std::string(OutcomeName(decision.outcome)));
    }
    Json replayed = replay.final_record ? RecordToJson(*replay.final_record) : Json();
    if (replayed != logged.record_after) {
      replay.mismatches.push_back(where + ": the logged record differs from the replayed one");
    }
  }
  return replay;
}

}  // namespace synchub
