// The resolution log's retention policy (issue 16; docs/design.md, "Log retention"): which
// partitions of the log may be dropped, and which subscribed sources lose changes they have
// not acknowledged (they are reloaded). Pure: the caller reads the partitions and the sources'
// positions, and carries the plan out. No I/O; thread-safe (no state).
//
// The rules, in order (oldest partition first; the log is only ever cut at its oldest end, so
// everything below one seq is gone and everything from it on is kept):
//   1. Never the partition that holds, or is ahead of, the next seq to be assigned, nor one
//      whose newest event is younger than kSettleTime (a transaction may still be writing it).
//   2. A partition is a candidate when its newest event is older than `max_age`, or while the
//      log is larger than `max_bytes` (0: no size cap), oldest first.
//   3. A candidate that holds a change a subscribed source has not acknowledged is dropped only
//      when that change is older than `lag_cap` (the source is then marked for a reverse load,
//      as PostgreSQL invalidates a replication slot past max_slot_wal_keep_size); otherwise the
//      candidate and every newer partition are kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace synchub {

struct RetentionPolicy {
  std::chrono::seconds max_age{std::chrono::hours(24 * 7)};
  std::int64_t max_bytes = 0;  // 0: no size cap
  std::chrono::seconds lag_cap{std::chrono::hours(24 * 14)};
};

// A partition must be this old (its newest event) before it may be dropped at all.
inline constexpr std::chrono::seconds kSettleTime{60};

// One partition of resolution_log, as the caller read it.
struct LogPartition {
  std::string name;
  std::int64_t seq_from = 0;  // [seq_from, seq_to)
  std::int64_t seq_to = 0;
  std::int64_t bytes = 0;  // table and indexes
  bool empty = true;
  // Age of its newest event (by seq); meaningless when empty.
  std::chrono::seconds newest_age{0};
  // Subscribed sources with a change in it after their acknowledged position.
  std::vector<std::string> unacknowledged_by;
};

struct PartitionDrop {
  std::string name;
  std::string reason;               // "age" or "size"
  std::vector<std::string> reload;  // sources past the lag cap that lose changes in it
};

struct RetentionPlan {
  std::vector<PartitionDrop> drops;  // oldest first
  // Why the oldest kept partition is kept ("" when nothing is left to consider), e.g.
  // "resolution_log_1000001: not acknowledged by ERP (within the lag cap)".
  std::string kept_because;
};

// `partitions`: every partition, oldest (lowest seq) first. `next_seq`: the next seq the log's
// sequence will assign.
RetentionPlan PlanRetention(const std::vector<LogPartition>& partitions, std::int64_t next_seq,
                            const RetentionPolicy& policy);

}  // namespace synchub
