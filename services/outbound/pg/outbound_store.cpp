#include "outbound/pg/outbound_store.hpp"

#include <map>
#include <set>

#include "common/core/json.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/pg/record_row.hpp"

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

constexpr const char* kCursorState = R"sql(
SELECT xid::text, seq, load_xid IS NOT NULL, coalesce(load_xid::text, '0'),
       coalesce(load_after_entity, ''), coalesce(load_after_key, ''), coalesce(load_reason, ''),
       reload_requested
  FROM outbound_cursor WHERE target_source = $1)sql";

// A change below the log's oldest partition was dropped by retention (sql/008_log_retention.sql)
// after every source within the lag cap acknowledged it: the log held it.
constexpr const char* kLogHolds = R"sql(
SELECT EXISTS (SELECT 1 FROM resolution_log
                WHERE seq = $1 AND entity = $2 AND external_id = $3
                  AND coalesce(etag_after, 0) = $4)
    OR $1 < (SELECT coalesce(min(seq_from), 0) FROM log_partition))sql";

constexpr const char* kStartLoad = R"sql(
INSERT INTO outbound_cursor (target_source, load_xid, load_after_entity, load_after_key,
                             load_started_at, reload_requested, load_reason)
VALUES ($1, pg_snapshot_xmin(pg_current_snapshot()), '', '', now(), false, $2)
ON CONFLICT (target_source) DO UPDATE
   SET load_xid = EXCLUDED.load_xid, load_after_entity = '', load_after_key = '',
       load_started_at = now(), reload_requested = false, load_reason = EXCLUDED.load_reason
RETURNING load_xid::text)sql";

constexpr const char* kSaveLoadProgress = R"sql(
UPDATE outbound_cursor SET load_after_entity = $2, load_after_key = $3
 WHERE target_source = $1 AND load_xid IS NOT NULL)sql";

constexpr const char* kFinishLoad = R"sql(
UPDATE outbound_cursor
   SET xid = load_xid, seq = 0, acked_at = now(), loaded_at = now(), load_xid = NULL,
       load_after_entity = NULL, load_after_key = NULL
 WHERE target_source = $1 AND load_xid IS NOT NULL
RETURNING xid::text, seq)sql";

constexpr const char* kReloadsRequested =
    "SELECT target_source FROM outbound_cursor WHERE reload_requested AND load_xid IS NULL";

}  // namespace

StatusOr<CursorState> PgOutboundStore::LoadCursorState(const std::string& target) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(kCursorState, target);
    CursorState state;
    if (rows.empty()) return state;
    const pqxx::row row = rows[0];
    state.exists = true;
    state.position = {std::stoull(row[0].as<std::string>()), row[1].as<std::int64_t>()};
    state.load_in_progress = row[2].as<bool>();
    state.load_xid = std::stoull(row[3].as<std::string>());
    state.load_after_entity = row[4].as<std::string>();
    state.load_after_key = row[5].as<std::string>();
    state.load_reason = row[6].as<std::string>();
    state.reload_requested = row[7].as<bool>();
    return state;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "loading a cursor");
  }
}

StatusOr<bool> PgOutboundStore::LogHolds(std::int64_t seq, const std::string& entity,
                                         const std::string& external_id, std::int64_t etag) {
  try {
    pqxx::read_transaction tx(connection_);
    return tx.exec_params1(kLogHolds, seq, entity, external_id, etag)[0].as<bool>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "looking a change up in the log");
  }
}

StatusOr<std::uint64_t> PgOutboundStore::StartLoad(const std::string& target,
                                                   const std::string& reason) {
  try {
    pqxx::work tx(connection_);
    const std::string xid = tx.exec_params1(kStartLoad, target, reason)[0].as<std::string>();
    tx.commit();
    return std::stoull(xid);
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "starting a reverse load");
  }
}

StatusOr<std::vector<QueuedChange>> PgOutboundStore::ReadLoadPage(
    const std::vector<std::string>& entities, const std::string& after_entity,
    const std::string& after_key, int limit) {
  try {
    pqxx::read_transaction tx(connection_);
    Json names = Json::array();
    for (const auto& entity : entities) names.push_back(entity);
    const std::string sql = std::string("SELECT ") + kCanonicalRecordColumns +
                            " FROM canonical_record c"
                            " WHERE (jsonb_array_length($1::jsonb) = 0"
                            "        OR c.entity IN (SELECT jsonb_array_elements_text($1::jsonb)))"
                            "   AND (c.entity, c.external_id) > ($2, $3)"
                            " ORDER BY c.entity, c.external_id LIMIT $4";
    std::vector<QueuedChange> page;
    for (const auto& row : tx.exec_params(sql, JsonText(names), after_entity, after_key, limit)) {
      QueuedChange change;
      const CanonicalRecord record = CanonicalRecordFromRow(row, &change.etag);
      change.entity = record.entity;
      change.external_id = record.external_id;
      change.version = record.version;
      change.deleted = record.deleted();
      change.record_json = RecordJsonText(record);
      page.push_back(std::move(change));
    }
    return page;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading canonical records for a reverse load");
  }
}

Status PgOutboundStore::SaveLoadProgress(const std::string& target, const std::string& after_entity,
                                         const std::string& after_key) {
  try {
    pqxx::work tx(connection_);
    tx.exec_params(kSaveLoadProgress, target, after_entity, after_key);
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "saving a reverse load's progress");
  }
}

StatusOr<OutboundPosition> PgOutboundStore::FinishLoad(const std::string& target) {
  try {
    pqxx::work tx(connection_);
    auto rows = tx.exec_params(kFinishLoad, target);
    tx.commit();
    if (rows.empty()) return Status::FailedPrecondition("no reverse load of " + target + " runs");
    return OutboundPosition{std::stoull(rows[0][0].as<std::string>()),
                            rows[0][1].as<std::int64_t>()};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "ending a reverse load");
  }
}

StatusOr<std::vector<std::string>> PgOutboundStore::ReloadsRequested() {
  try {
    pqxx::read_transaction tx(connection_);
    std::vector<std::string> sources;
    for (const auto& row : tx.exec(kReloadsRequested)) sources.push_back(row[0].as<std::string>());
    return sources;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading requested reloads");
  }
}

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
