// PgLogMaintenance: keeps the partitioned resolution log (sql/008_log_retention.sql) writable
// and bounded: creates partitions ahead of the log's sequence, and carries out the retention
// policy (resolver/core/log_retention.hpp): checkpoints the records whose events go, marks
// sources past the lag cap for a reverse load, optionally archives the rows (COPY text
// format), then detaches and drops the partition, all in one transaction per partition.
// docs/design.md, "Log retention".
//
// Run by the resolver's maintenance thread and by synchub-maintain. Every transaction takes
// one advisory lock, so any number of resolvers may run it at once. DDL waits at most
// `lock_timeout_ms` for its lock (a partition's drop needs the log's table lock for an
// instant; a long reader makes it wait); past it the step fails with kUnavailable and the
// next run tries again.
//
// Thread safety: one instance per connection, used from one thread.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/status.hpp"
#include "resolver/core/log_retention.hpp"

namespace synchub {

struct LogMaintenanceOptions {
  // Events per partition: at most log-retention-age / partition-fill-time partitions exist.
  std::int64_t partition_events = 1'000'000;
  // EnsurePartitions keeps at least this many seqs ahead of the sequence, in as many
  // partitions as it takes (the resolver: what its workers can write in a few batches), so a
  // batch never finds the log full between two checks.
  std::int64_t min_room_events = 0;
  RetentionPolicy retention;
  // Directory to write each dropped partition's rows to, before the drop, as
  // DIR/<partition>.copy in COPY's text format (restore: COPY resolution_log FROM 'FILE');
  // empty: no archive.
  std::string archive_dir;
  int lock_timeout_ms = 2000;
};

struct DroppedPartition {
  std::string name;
  std::int64_t seq_from = 0;
  std::int64_t seq_to = 0;
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  std::int64_t checkpoints = 0;  // records whose checkpoint it moved
  std::string reason;            // "age" or "size"
  std::vector<std::string> reloaded;
  std::string archived_to;  // "" when not archived
};

struct RetentionReport {
  std::vector<DroppedPartition> dropped;
  std::vector<PartitionDrop> planned;  // a dry run: what would be dropped
  std::string kept_because;            // RetentionPlan::kept_because
  int partitions = 0;                  // after the run
  std::int64_t log_bytes = 0;          // after the run
};

class PgLogMaintenance {
 public:
  PgLogMaintenance(pqxx::connection& connection, LogMaintenanceOptions options)
      : connection_(connection), options_(std::move(options)) {}

  // Creates partitions until at least one whole partition, and min_room_events, lie ahead of
  // the next seq. Returns
  // the partitions created (none when there was room), or kUnavailable (database away, lock
  // timeout) / kInternal.
  StatusOr<std::vector<std::string>> EnsurePartitions();

  // Applies the retention policy, oldest partition first. `dry_run`: plans only (the report's
  // `planned`). Returns the report, or kUnavailable / kInternal; partitions dropped before a
  // failure stay dropped (each drop is its own transaction).
  StatusOr<RetentionReport> ApplyRetention(bool dry_run = false);

 private:
  pqxx::connection& connection_;
  LogMaintenanceOptions options_;
};

}  // namespace synchub
