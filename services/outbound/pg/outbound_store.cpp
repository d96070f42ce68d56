#include "outbound/pg/outbound_store.hpp"

#include <map>
#include <set>

#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

constexpr const char* kLoadCursor =
    "SELECT xid::text, seq FROM outbound_cursor WHERE target_source = $1";

constexpr const char* kSaveCursor = R"sql(
INSERT INTO outbound_cursor (target_source, xid, seq) VALUES ($1, $2::xid8, $3)
ON CONFLICT (target_source) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq,
       acked_at = now()
 WHERE (outbound_cursor.xid, outbound_cursor.seq) < (EXCLUDED.xid, EXCLUDED.seq))sql";

constexpr const char* kReadAfter = R"sql(
SELECT xid::text, seq, entity, external_id, etag_after, record_after::text
  FROM resolution_log
 WHERE targets <> '{}' AND $1 = ANY (targets)
   AND (xid, seq) > ($2::xid8, $3)
   AND xid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY xid, seq
 LIMIT $4)sql";

}  // namespace

StatusOr<OutboundPosition> PgOutboundStore::LoadCursor(const std::string& target) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(kLoadCursor, target);
    if (rows.empty()) return OutboundPosition{};
    return OutboundPosition{std::stoull(rows[0][0].as<std::string>()),
                            rows[0][1].as<std::int64_t>()};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "loading a cursor");
  }
}

Status PgOutboundStore::SaveCursor(const std::string& target, const OutboundPosition& position) {
  try {
    pqxx::work tx(connection_);
    tx.exec_params(kSaveCursor, target, std::to_string(position.xid), position.seq);
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "saving a cursor");
  }
}

StatusOr<std::vector<QueuedChange>> PgOutboundStore::ReadAfter(const std::string& target,
                                                               const OutboundPosition& after,
                                                               int limit) {
  try {
    pqxx::read_transaction tx(connection_);
    std::vector<QueuedChange> changes;
    for (const auto& row :
         tx.exec_params(kReadAfter, target, std::to_string(after.xid), after.seq, limit)) {
      QueuedChange change;
      change.position = {std::stoull(row[0].as<std::string>()), row[1].as<std::int64_t>()};
      change.entity = row[2].as<std::string>();
      change.external_id = row[3].as<std::string>();
      change.etag = row[4].is_null() ? 0 : row[4].as<std::int64_t>();
      change.record_json = row[5].is_null() ? "" : row[5].as<std::string>();
      changes.push_back(std::move(change));
    }
    return changes;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading the outbound queue");
  }
}

StatusOr<std::vector<PgOutboundStore::SourceLag>> PgOutboundStore::Lag() {
  try {
    pqxx::read_transaction tx(connection_);
    std::vector<SourceLag> lags;
    for (const auto& row : tx.exec("SELECT source, unacknowledged_records, "
                                   "oldest_unacknowledged_seconds FROM source_lag")) {
      lags.push_back({row[0].as<std::string>(), row[1].as<std::int64_t>(), row[2].as<double>()});
    }
    return lags;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading the sources' lag");
  }
}

}  // namespace synchub
