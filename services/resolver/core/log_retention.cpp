#include "resolver/core/log_retention.hpp"

namespace synchub {

RetentionPlan PlanRetention(const std::vector<LogPartition>& partitions, std::int64_t next_seq,
                            const RetentionPolicy& policy) {
  RetentionPlan plan;
  std::int64_t total_bytes = 0;
  for (const auto& partition : partitions) total_bytes += partition.bytes;
  for (const auto& partition : partitions) {
    if (partition.seq_to > next_seq) {
      plan.kept_because = partition.name + ": still being written";
      break;
    }
    if (!partition.empty && partition.newest_age < kSettleTime) {
      plan.kept_because = partition.name + ": its newest event is younger than " +
                          std::to_string(kSettleTime.count()) + " s";
      break;
    }
    const bool old = partition.empty || partition.newest_age > policy.max_age;
    const bool over_size = policy.max_bytes > 0 && total_bytes > policy.max_bytes;
    if (!old && !over_size) {
      plan.kept_because = partition.name + ": within the retention age";
      break;
    }
    const bool past_lag_cap = partition.newest_age > policy.lag_cap;
    if (!partition.unacknowledged_by.empty() && !past_lag_cap) {
      std::string sources;
      for (const auto& source : partition.unacknowledged_by) {
        sources += (sources.empty() ? "" : ", ") + source;
      }
      plan.kept_because =
          partition.name + ": not acknowledged by " + sources + " (within the lag cap)";
      break;
    }
    plan.drops.push_back({partition.name, old ? "age" : "size",
                          past_lag_cap ? partition.unacknowledged_by : std::vector<std::string>{}});
    total_bytes -= partition.bytes;
  }
  return plan;
}

}  // namespace synchub
