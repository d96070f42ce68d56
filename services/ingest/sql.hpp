// The ingest gateway's SQL, as named constants (reads for the API and operator actions).
#pragma once

#include <string>

namespace synchub::ingest_sql {

inline constexpr const char* kPing = "SELECT 1";

// A record is read with PgHubTransaction::ReadRecords (resolver/pg), as the resolver reads it.

inline constexpr const char* kHistory = R"sql(
SELECT seq, event_id, source, version, outcome, changed, etag_before, etag_after,
       to_char(resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       event::text, record_after::text
  FROM resolution_log WHERE entity = $1 AND external_id = $2 ORDER BY seq)sql";

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
UPDATE dead_letter SET status = $2, last_seen = now()
 WHERE id = $1 AND status = 'dead'
RETURNING event::text, raw, event_id)sql";

inline constexpr const char* kRestoreDeadLetter =
    "UPDATE dead_letter SET status = 'dead' WHERE id = $1 AND status = 'replayed'";

// Each source with its lag (view source_lag, sql/003_source_lag.sql).
inline constexpr const char* kSources = R"sql(
SELECT p.source, p.priority, l.unacknowledged_records, l.oldest_unacknowledged_seconds
  FROM source_priority p JOIN source_lag l USING (source)
 ORDER BY p.priority, p.source)sql";

inline constexpr const char* kSource = R"sql(
SELECT p.source, p.priority, l.unacknowledged_records, l.oldest_unacknowledged_seconds
  FROM source_priority p JOIN source_lag l USING (source)
 WHERE p.source = $1)sql";

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
