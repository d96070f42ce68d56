// The local state of a snapshot (synchub_snapshot: per entity, the run and the last key queued)
// and of any batch of queued rows (synchub_outbox.batch: what the hub answered). Used by
// app/snapshot_command.cpp and app/reconcile_command.cpp.
// Errors: kUnavailable (connection lost), kInternal (pg_errors.hpp). Thread safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/status.hpp"
#include "connector/core/connector_config.hpp"

namespace synchub {

struct SnapshotEntity {
  std::string entity;
  std::string after_key;  // the last key queued ("" before the first chunk)
  std::int64_t rows_read = 0;
  std::int64_t rows_skipped = 0;  // read but not sent: from the hub, unchanged here since
  std::int64_t total_rows = 0;    // the table's row count when the run began
  bool finished = false;
};

struct SnapshotRun {
  std::string id;        // the batch of its outbox rows
  bool resumed = false;  // an unfinished run continues
  std::vector<SnapshotEntity> entities;
};

// Takes this session's snapshot lock: one snapshot of a database at a time (two would queue the
// same chunks twice). False when another session holds it; the lock ends with the session.
StatusOr<bool> TryLockSnapshot(pqxx::connection& connection);

// Continues the unfinished run (unless `restart`), or begins a new one for every configured
// entity (counting each table's rows). A run whose entities all finished is never resumed.
StatusOr<SnapshotRun> BeginSnapshot(pqxx::connection& connection, const ConnectorConfig& config,
                                    bool restart);
// Every row of `entity` is queued.
Status FinishSnapshotEntity(pqxx::connection& connection, const std::string& entity);

// What became of a batch's rows so far.
struct BatchCounts {
  std::int64_t queued = 0;
  std::int64_t pending = 0;                      // not yet answered
  std::int64_t parked = 0;                       // the hub kept rejecting them: dead letters
  std::int64_t duplicates = 0;                   // answered as already decided (a re-run)
  std::int64_t changed = 0;                      // answered rows that changed the canonical record
  std::map<std::string, std::int64_t> outcomes;  // answered rows by outcome
  std::int64_t answered() const { return queued - pending - parked; }
};
StatusOr<BatchCounts> CountBatch(pqxx::connection& connection, const std::string& run);
// How many of the batch's rows wait for the hub's answer (cheap: reads pending rows only).
StatusOr<std::int64_t> PendingInBatch(pqxx::connection& connection, const std::string& run);

}  // namespace synchub
