// `synchub-connector --config F snapshot`: sends every row of each configured table to the hub
// (docs/connectors.md, "Attaching a table that already holds rows"; docs/design.md, "Snapshot").
// Rows are read in key order in chunks, each chunk queued in the outbox in one transaction with
// the rows share-locked (so a concurrent edit of a row is queued after the row's snapshot event,
// or before it and then read by it: the outbox holds a key's events in the order they happened)
// and pushed like captured changes. Resumable (a restart continues after the last queued chunk;
// queued rows stay queued) and idempotent (event ids derived from key, version and content).
// Shows progress on stderr and ends with a summary on stdout.
#pragma once

#include <atomic>
#include <zmq.hpp>

#include "connector/core/connector_config.hpp"

namespace synchub {

struct SnapshotOptions {
  int chunk_rows = 1000;  // rows per chunk (one local transaction)
  bool restart = false;   // begin a new run even when one is unfinished
};

// Returns the exit code: 0 every row answered by the hub (whatever the outcome), 1 some rows
// ended as dead letters (parked after the hub kept rejecting them), 2 the database or the
// configuration is not usable, 3 stopped before the end (run it again to resume).
int RunSnapshot(const ConnectorConfig& config, const SnapshotOptions& options,
                zmq::context_t& context, const std::atomic<bool>& stop);

}  // namespace synchub
