// `synchub-connector --config F reconcile [--repair] [--json]` (docs/operations.md, "Reading a
// reconcile report"; docs/design.md, "Reconciliation"): compares each configured table with the
// hub's canonical records. Range checksums first (the same SQL on both sides,
// common/core/range_checksum.hpp), descending only into ranges that differ (split at the local
// table's key quantiles) until a range holds few enough rows to compare one by one
// (connector/core/reconcile.hpp). With repair: local rows that differ or are missing are set to
// the canonical record (inbound writes: no echo), local states the hub lacks or holds older are
// queued and pushed as events; then everything is compared again.
// Thread safety: none; one per thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/core/status.hpp"
#include "connector/app/hub_reader.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/core/reconcile.hpp"

namespace synchub {

struct ReconcileOptions {
  bool repair = false;
  bool json = false;
  std::int64_t leaf_rows = 256;  // a differing range with at most this many rows is read
  int fanout = 16;               // a larger one is split into this many ranges
};

// What comparing one table found.
struct EntityReconcile {
  std::string entity;
  std::int64_t compared = 0;  // keys compared (live rows of either side)
  std::int64_t missing_locally = 0;
  std::int64_t missing_at_hub = 0;
  std::int64_t differing = 0;
  std::int64_t ranges_checksummed = 0;
  std::int64_t hub_rows_read = 0;  // records the hub sent for row comparison
  std::vector<connector::RowDifference> differences;
  std::map<std::string, connector::HubRow> canonical;  // by key: the records read
  std::int64_t equal() const { return compared - missing_locally - missing_at_hub - differing; }
};

// Compares every configured table. Errors: the local database's or the hub's (HubReader).
StatusOr<std::vector<EntityReconcile>> CompareWithHub(pqxx::connection& connection,
                                                      const ConnectorConfig& config, HubReader& hub,
                                                      const ReconcileOptions& options);

// Runs the command. Returns the exit code: 0 every table equals the hub, 1 differences remain,
// 2 the database, the hub or the configuration is not usable, 3 stopped.
int RunReconcile(const ConnectorConfig& config, const ReconcileOptions& options,
                 zmq::context_t& context, const std::atomic<bool>& stop);

}  // namespace synchub
