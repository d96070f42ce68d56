// The resolver's SQL, as named constants. Batches travel as one jsonb array parameter
// expanded with jsonb_to_recordset, so a batch costs one round trip per statement.
#pragma once

namespace synchub::resolver_sql {

inline constexpr const char* kFindDecided = R"sql(
WITH ids AS (SELECT jsonb_array_elements_text($1::jsonb) AS event_id)
SELECT 'log' AS kind, r.event_id, r.outcome, r.changed, r.etag_after, r.record_after::text,
       r.seq, c.id, c.conflicting_fields::text
  FROM resolution_log r JOIN ids USING (event_id) LEFT JOIN conflict_log c USING (event_id)
UNION ALL
SELECT 'deferred', d.event_id, 'DEFERRED', false, NULL, NULL, 0, NULL, NULL
  FROM deferred_event d JOIN ids USING (event_id)
 WHERE NOT (d.event_id IN (SELECT jsonb_array_elements_text($2::jsonb)))
UNION ALL
SELECT 'dead', l.event_id, l.reason, false, NULL, NULL, 0, l.id, NULL
  FROM dead_letter l JOIN ids USING (event_id) WHERE l.status = 'dead')sql";

inline constexpr const char* kClaimDueDeferred = R"sql(
SELECT event_id, event::text, attempts FROM deferred_event
 WHERE next_attempt_at <= now()
 ORDER BY next_attempt_at, event_id
 LIMIT $1
 FOR UPDATE SKIP LOCKED)sql";

inline constexpr const char* kSelectRecords = R"sql(
SELECT c.entity, c.external_id, c.fields::text, c.provenance::text, c.version, c.last_source,
       c.row_version, c.field_versions::text
  FROM canonical_record c
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id))sql";

inline constexpr const char* kSelectRecordsForUpdate = R"sql(
SELECT c.entity, c.external_id, c.fields::text, c.provenance::text, c.version, c.last_source,
       c.row_version, c.field_versions::text
  FROM canonical_record c
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id)
 ORDER BY c.entity, c.external_id
   FOR NO KEY UPDATE OF c)sql";

// Locks the records a plan read, in key order (batches queue instead of deadlocking),
// returning the row version each has now. NO KEY UPDATE: the key never changes.
inline constexpr const char* kLockRecords = R"sql(
SELECT c.entity, c.external_id, c.row_version
  FROM canonical_record c
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id)
 ORDER BY c.entity, c.external_id
   FOR NO KEY UPDATE OF c)sql";

inline constexpr const char* kUpdateRecords = R"sql(
UPDATE canonical_record c
   SET fields = u.fields, provenance = u.provenance, field_versions = u.field_versions,
       version = u.version,
       last_source = u.last_source, deleted = u.deleted, row_version = u.new_etag,
       updated_at = now()
  FROM jsonb_to_recordset($1::jsonb) AS u(entity text, external_id text, fields jsonb,
       provenance jsonb, field_versions jsonb, version bigint, last_source text,
       deleted boolean, expected_etag bigint, new_etag bigint)
 WHERE c.entity = u.entity AND c.external_id = u.external_id
   AND c.row_version = u.expected_etag)sql";

inline constexpr const char* kInsertRecords = R"sql(
INSERT INTO canonical_record (entity, external_id, fields, provenance, field_versions, version,
                              last_source, deleted, row_version)
SELECT entity, external_id, fields, provenance, field_versions, version, last_source, deleted,
       new_etag
  FROM jsonb_to_recordset($1::jsonb) AS u(entity text, external_id text, fields jsonb,
       provenance jsonb, field_versions jsonb, version bigint, last_source text,
       deleted boolean, new_etag bigint)
 ORDER BY entity, external_id
ON CONFLICT (entity, external_id) DO NOTHING)sql";

// One array parameter per column (PgArrayText), expanded in order.
inline constexpr const char* kInsertLog = R"sql(
INSERT INTO resolution_log (event_id, entity, external_id, source, version, event, outcome,
                            changed, etag_before, etag_after, record_after, targets)
SELECT event_id, entity, external_id, source, version, event, outcome, changed, etag_before,
       etag_after, record_after, ARRAY(SELECT json_array_elements_text(targets))
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::json[],
              $7::text[], $8::boolean[], $9::bigint[], $10::bigint[], $11::json[], $12::json[])
       WITH ORDINALITY AS r(event_id, entity, external_id, source, version, event, outcome,
                            changed, etag_before, etag_after, record_after, targets, ord)
 ORDER BY ord
RETURNING event_id, seq)sql";

inline constexpr const char* kInsertConflicts = R"sql(
INSERT INTO conflict_log (event_id, entity, external_id, event, canonical, conflicting_fields)
SELECT event_id, entity, external_id, event, canonical, conflicting_fields
  FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, entity text, external_id text,
       event jsonb, canonical jsonb, conflicting_fields jsonb)
RETURNING event_id, id)sql";

inline constexpr const char* kUpsertDeferred = R"sql(
INSERT INTO deferred_event (event_id, entity, external_id, event, wait_entity, wait_external_id,
                            attempts, next_attempt_at)
SELECT event_id, entity, external_id, event, wait_entity, wait_external_id, attempts,
       now() + delay_ms * interval '1 millisecond'
  FROM jsonb_to_recordset($1::jsonb) AS d(event_id text, entity text, external_id text,
       event jsonb, wait_entity text, wait_external_id text, attempts integer, delay_ms bigint)
ON CONFLICT (event_id) DO UPDATE
   SET attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,
       wait_entity = EXCLUDED.wait_entity, wait_external_id = EXCLUDED.wait_external_id,
       last_seen = now())sql";

inline constexpr const char* kDeleteDeferred = R"sql(
DELETE FROM deferred_event WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)))sql";

// Records written: events waiting for them are due now.
inline constexpr const char* kWakeDeferred = R"sql(
UPDATE deferred_event d SET next_attempt_at = now()
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text)
 WHERE d.wait_entity = k.entity AND d.wait_external_id = k.external_id
   AND d.next_attempt_at > now())sql";

inline constexpr const char* kInsertDeadLetter = R"sql(
INSERT INTO dead_letter (event_id, event, raw, reason, detail, attempts)
VALUES ($1, NULLIF($2, '')::jsonb, NULLIF($3, ''), $4, $5, $6)
ON CONFLICT (event_id) WHERE status = 'dead' DO UPDATE
   SET attempts = dead_letter.attempts + EXCLUDED.attempts, last_seen = now(),
       detail = EXCLUDED.detail
RETURNING id, attempts)sql";

inline constexpr const char* kResolveConflict = R"sql(
UPDATE conflict_log SET status = 'resolved', resolution = $2, resolved_at = now()
 WHERE id = $1 AND status = 'open')sql";

inline constexpr const char* kNotifyDeferred = "SELECT pg_notify('synchub_deferred', '')";
inline constexpr const char* kNotifyOutbound = "SELECT pg_notify('synchub_outbound', '')";

}  // namespace synchub::resolver_sql
