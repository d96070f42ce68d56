// The ingest gateway's SQL, as named constants (reads for the API and operator actions).
#pragma once

#include <string>

#include "common/pg/record_row.hpp"

namespace synchub::ingest_sql {

inline constexpr const char* kPing = "SELECT 1";

// A record is read with PgHubTransaction::ReadRecords (resolver/pg), as the resolver reads it.

// One page of an entity's records, tombstones included, in byte order of external_id (the
// column is COLLATE "C"; the primary key index gives the order): $1 entity, $2 the key to list
// after, $3 how many. The columns of kCanonicalRecordColumns (common/pg/record_row.hpp).
inline const std::string kRecordPage = std::string("SELECT ") + kCanonicalRecordColumns + R"sql(
  FROM canonical_record c
 WHERE c.entity = $1 AND c.external_id > $2
 ORDER BY c.external_id
 LIMIT $3)sql";

// The checksum of each key range over the live records of entity $1; $2 is a jsonb array of
// {"after": text, "upTo": text | null}. One row per range, in array order, with the columns of
// `checksum_select` (RangeChecksumSelectSql over rows `c` of canonical_record). Each range is
// one index range scan of the primary key: the bounded and the open-ended case are two
// branches, the one that does not apply cut off by a one-time filter.
inline std::string RangeChecksums(const std::string& checksum_select) {
  return R"sql(
SELECT s.* FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(range, ord)
CROSS JOIN LATERAL (
  SELECT )sql" +
         checksum_select + R"sql(
    FROM (SELECT c.external_id, c.version, c.fields FROM canonical_record c
           WHERE c.entity = $1 AND NOT c.deleted
             AND c.external_id > (r.range->>'after') AND c.external_id <= (r.range->>'upTo')
          UNION ALL
          SELECT c.external_id, c.version, c.fields FROM canonical_record c
           WHERE r.range->'upTo' = 'null'::jsonb AND c.entity = $1 AND NOT c.deleted
             AND c.external_id > (r.range->>'after')) c) s
 ORDER BY r.ord)sql";
}

// A statement over many ranges is estimated far above jit_above_cost, and compiling it takes
// longer than running it (~300 ms against ~150 ms for 100,000 records): no JIT for it.
inline constexpr const char* kNoJit = "SET LOCAL jit = off";

inline constexpr const char* kHistory = R"sql(
SELECT seq, event_id, source, version, outcome, changed, etag_before, etag_after,
       to_char(resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       event::text, record_after::text, credential_id,
       (SELECT CASE WHEN c.role = 'source' THEN 'source:' || c.source ELSE c.role END ||
               CASE WHEN c.name <> '' THEN ' (' || c.name || ')' ELSE '' END
          FROM credential c WHERE c.id = resolution_log.credential_id)
  FROM resolution_log WHERE entity = $1 AND external_id = $2 ORDER BY seq)sql";

// Where retention cut a record's log (sql/008_log_retention.sql): the last dropped event and
// the record after it.
inline constexpr const char* kHistoryCheckpoint = R"sql(
SELECT seq, to_char(resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       record::text
  FROM record_checkpoint WHERE entity = $1 AND external_id = $2)sql";

// The columns ConflictFromRow reads, in order.
inline constexpr const char* kConflictColumns = R"sql(
SELECT id, event_id, entity, external_id, status, resolution,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       to_char(resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       conflicting_fields::text, event::text, canonical::text
  FROM conflict_log)sql";

inline const std::string kConflicts = std::string(kConflictColumns) + R"sql(
 WHERE ($1 = 'all' OR status = $1)
 ORDER BY id
 LIMIT 1000)sql";

inline const std::string kConflict = std::string(kConflictColumns) + " WHERE id = $1";

// The columns DeadLetterFromRow reads, in order.
inline constexpr const char* kDeadLetterColumns = R"sql(
SELECT id, event_id, reason, detail, attempts, status,
       to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       event::text, raw
  FROM dead_letter)sql";

inline const std::string kDeadLetters = std::string(kDeadLetterColumns) + R"sql(
 WHERE ($1 = 'all' OR status = $1)
 ORDER BY id
 LIMIT 1000)sql";

inline const std::string kDeadLetter = std::string(kDeadLetterColumns) + " WHERE id = $1";

// Moves a dead letter out of 'dead' (to replayed or discarded); no row when it is not dead.
inline constexpr const char* kSetDeadLetterStatus = R"sql(
UPDATE dead_letter SET status = $2, last_seen = now(), handled_by = nullif($3::bigint, 0)
 WHERE id = $1 AND status = 'dead'
RETURNING event::text, raw, event_id)sql";

inline constexpr const char* kRestoreDeadLetter =
    "UPDATE dead_letter SET status = 'dead' WHERE id = $1 AND status = 'replayed'";

// Marks a registered source for a reverse load (synchub-outbound reads reload_requested);
// no row when the source is not registered.
inline constexpr const char* kRequestReload = R"sql(
INSERT INTO outbound_cursor (target_source, reload_requested)
SELECT source, true FROM source_priority WHERE source = $1
ON CONFLICT (target_source) DO UPDATE SET reload_requested = true
RETURNING target_source)sql";

// Each source with its lag (view source_lag, sql/003_source_lag.sql), its delivery position
// (outbound_cursor) and its parked rows: the dead letters its connector reported and nobody
// handled yet. Both kinds are reported under the source's own name, a parked inbound change
// with a detail that starts "<source>: " (services/connector/pg/connector_sync.cpp; before
// issue 17 it was reported under the record's lastSource: the prefix still finds those).
// Open dead letters are few: no log is scanned.
inline constexpr const char* kSourceColumns = R"sql(
SELECT p.source, p.priority, l.unacknowledged_records, l.oldest_unacknowledged_seconds,
       CASE WHEN c.xid <> '0'::xid8 OR c.seq <> 0 THEN
         to_char(c.acked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
       coalesce(c.load_xid IS NOT NULL, false), coalesce(c.reload_requested, false),
       (SELECT count(*) FROM dead_letter d
         WHERE d.status = 'dead'
           AND ((d.reason = 'CONNECTOR_PUSH_FAILED' AND d.source = p.source)
             OR (d.reason = 'CONNECTOR_APPLY_FAILED'
                 AND left(d.detail, length(p.source) + 2) = p.source || ': ')))
  FROM source_priority p JOIN source_lag l USING (source)
  LEFT JOIN outbound_cursor c ON c.target_source = p.source)sql";

inline const std::string kSources = std::string(kSourceColumns) + " ORDER BY p.priority, p.source";

inline const std::string kSource = std::string(kSourceColumns) + " WHERE p.source = $1";

inline constexpr const char* kUpsertSource = R"sql(
INSERT INTO source_priority (source, priority) VALUES ($1, $2)
ON CONFLICT (source) DO UPDATE SET priority = EXCLUDED.priority, updated_at = now()
RETURNING source, priority)sql";

inline constexpr const char* kStats = R"sql(
SELECT (SELECT count(*) FROM canonical_record),
       (SELECT count(*) FROM conflict_log WHERE status = 'open'),
       (SELECT count(*) FROM dead_letter WHERE status = 'dead'),
       (SELECT count(*) FROM deferred_event),
       (SELECT count(*) FROM resolution_log))sql";

inline constexpr const char* kOutcomeCounts =
    "SELECT outcome, count(*) FROM resolution_log GROUP BY outcome ORDER BY outcome";

}  // namespace synchub::ingest_sql
