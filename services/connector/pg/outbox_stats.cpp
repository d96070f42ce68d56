#include "connector/pg/outbox_stats.hpp"

#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

// One round trip; each part uses a partial index (the oldest pending row is the first by id).
constexpr const char* kOutboxStats = R"sql(
SELECT (SELECT count(*) FROM synchub_outbox WHERE sent_at IS NULL AND NOT parked),
       (SELECT count(*) FROM synchub_outbox WHERE parked),
       (SELECT count(*) FROM synchub_inbound_parked),
       coalesce((SELECT greatest(extract(epoch FROM now() - created_at), 0)::float8
                   FROM synchub_outbox WHERE sent_at IS NULL AND NOT parked
                  ORDER BY id LIMIT 1), 0))sql";

}  // namespace

StatusOr<connector::OutboxStats> ReadOutboxStats(pqxx::connection& connection) {
  try {
    pqxx::read_transaction tx(connection);
    const auto row = tx.exec1(kOutboxStats);
    connector::OutboxStats stats;
    stats.pending = row[0].as<std::int64_t>();
    stats.parked_outbound = row[1].as<std::int64_t>();
    stats.parked_inbound = row[2].as<std::int64_t>();
    stats.oldest_pending_seconds = row[3].as<double>();
    return stats;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading the outbox figures");
  }
}

}  // namespace synchub
