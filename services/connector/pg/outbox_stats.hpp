// ReadOutboxStats: the outbox figures of the connector's metrics (pending rows, the oldest
// one's age, parked rows in both directions), read from the local database with index-only
// counts (the partial indexes synchub_outbox_pending and synchub_outbox_parked of SetupSql;
// synchub_inbound_parked is small by nature: an operator empties it).
// Thread safety: none; one connection per thread.
#pragma once

#include <pqxx/pqxx>

#include "common/core/status.hpp"
#include "connector/core/connector_stats.hpp"

namespace synchub {

// Returns the figures, read in one read-only transaction; kUnavailable when the database is
// away (retry later), kInternal when the connector's tables are missing (run setup).
StatusOr<connector::OutboxStats> ReadOutboxStats(pqxx::connection& connection);

}  // namespace synchub
