// The resolver's SQL, as named constants. Batches travel as one jsonb array parameter
// expanded with jsonb_to_recordset, so a batch costs one round trip per statement.
#pragma once

namespace synchub::resolver_sql {

// What the hub knows of events by idempotency key (source, event id): the digest kept with
// the key ('key' rows), and the recorded answer of those already decided: logged (with the
// conflict of a MANUAL outcome), a MANUAL outcome whose log row retention dropped (its
// conflict, which is kept, and so is its key), pending as deferred (except re-runs, $2), or
// dead letters.
// The log is read only for keys the hub keeps (a resend within the idempotency window): the
// log is partitioned (sql/008_log_retention.sql) and a lookup by key probes every partition,
// so fresh events, the common case, cost one probe of idempotency_key each.
// Every lookup is an index probe per key, whatever the tables' statistics say: the LATERAL
// and EXISTS subqueries carry OFFSET 0, which keeps PostgreSQL from flattening them into joins
// (with a grown log it chose merge and hash joins that read the whole log, 2.7 s a batch;
// docs/benchmarks.md "A plan that read the whole log"). The log's source column has the
// database's default collation, idempotency_key's has "C": a comparison between the two uses
// the log's index on (source, event_id) only when the collation is said (COLLATE "default");
// without it every probe read the index end to end.
inline constexpr const char* kFindDecided = R"sql(
WITH ids AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS k(source text, event_id text)),
     reruns AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS k(source text, event_id text)),
     kept AS MATERIALIZED (SELECT k.source, k.event_id, k.digest
                             FROM ids CROSS JOIN LATERAL (
                                  SELECT * FROM idempotency_key x
                                   WHERE x.source = ids.source AND x.event_id = ids.event_id
                                  OFFSET 0) k)
SELECT 'key' AS kind, k.source, k.event_id, NULL, NULL::boolean, NULL::bigint, NULL,
       NULL::bigint, NULL::bigint, NULL, encode(k.digest, 'hex')
  FROM kept k
UNION ALL
SELECT 'log', r.source, r.event_id, r.outcome, r.changed, r.etag_after, r.record_after::text,
       r.seq, c.id, c.conflicting_fields::text, r.event::text
  FROM kept k
 CROSS JOIN LATERAL (SELECT * FROM resolution_log l
                      WHERE l.source = (k.source COLLATE "default")
                        AND l.event_id = k.event_id OFFSET 0) r
  LEFT JOIN conflict_log c ON c.source = r.source AND c.event_id = r.event_id
UNION ALL
SELECT 'conflict', c.source, c.event_id, 'MANUAL', false, NULL::bigint, c.canonical::text,
       0::bigint, c.id, c.conflicting_fields::text, c.event::text
  FROM kept k
  JOIN conflict_log c ON c.source = k.source AND c.event_id = k.event_id
 WHERE NOT EXISTS (SELECT 1 FROM resolution_log l
                    WHERE l.source = (k.source COLLATE "default")
                      AND l.event_id = k.event_id OFFSET 0)
UNION ALL
SELECT 'deferred', d.source, d.event_id, 'DEFERRED', false, NULL, NULL, 0, NULL, NULL,
       d.event::text
  FROM deferred_event d JOIN ids USING (source, event_id)
 WHERE NOT EXISTS (SELECT 1 FROM reruns x WHERE x.source = d.source AND x.event_id = d.event_id)
UNION ALL
SELECT 'dead', l.source, l.event_id, l.reason, false, NULL, NULL, 0, l.id, NULL, l.event::text
  FROM dead_letter l JOIN ids USING (source, event_id) WHERE l.status = 'dead')sql";

// Idempotency keys of newly decided events with their digests (hex). A key kept already (a
// replayed dead letter, or one decided by a concurrent transaction) keeps its first digest and
// first_seen; the statement's row count says how many were new.
inline constexpr const char* kInsertKeys = R"sql(
INSERT INTO idempotency_key (source, event_id, digest)
SELECT source, event_id, decode(digest, 'hex')
  FROM jsonb_to_recordset($1::jsonb) AS k(source text, event_id text, digest text)
ON CONFLICT (source, event_id) DO NOTHING)sql";

// A refused reuse of an idempotency key: $1 source, $2 event id, $3 event, $4/$5 digests (hex).
inline constexpr const char* kInsertReuse = R"sql(
INSERT INTO event_id_reuse (source, event_id, event, first_digest, digest)
VALUES ($1, $2, $3::jsonb, decode($4, 'hex'), decode($5, 'hex')))sql";

// Forgets idempotency keys first seen more than $1 seconds ago, at most $2 of them. The key of
// a MANUAL event is kept with its conflict: a resend is answered with the conflict, never
// resolved into a second one.
inline constexpr const char* kPruneKeys = R"sql(
DELETE FROM idempotency_key
 WHERE ctid = ANY (ARRAY(SELECT k.ctid FROM idempotency_key k
                          WHERE k.first_seen < now() - $1 * interval '1 second'
                            AND NOT EXISTS (SELECT 1 FROM conflict_log c
                                             WHERE c.source = k.source AND c.event_id = k.event_id)
                          ORDER BY k.first_seen LIMIT $2)))sql";

inline constexpr const char* kClaimDueDeferred = R"sql(
SELECT event_id, event::text, attempts, coalesce(credential_id, 0) FROM deferred_event
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
                            changed, etag_before, etag_after, record_after, targets,
                            credential_id)
SELECT event_id, entity, external_id, source, version, event, outcome, changed, etag_before,
       etag_after, record_after, ARRAY(SELECT json_array_elements_text(targets)),
       nullif(credential_id, 0)
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::json[],
              $7::text[], $8::boolean[], $9::bigint[], $10::bigint[], $11::json[], $12::json[],
              $13::bigint[])
       WITH ORDINALITY AS r(event_id, entity, external_id, source, version, event, outcome,
                            changed, etag_before, etag_after, record_after, targets,
                            credential_id, ord)
 ORDER BY ord
RETURNING source, event_id, seq)sql";

inline constexpr const char* kInsertConflicts = R"sql(
INSERT INTO conflict_log (source, event_id, entity, external_id, event, canonical,
                          conflicting_fields)
SELECT source, event_id, entity, external_id, event, canonical, conflicting_fields
  FROM jsonb_to_recordset($1::jsonb) AS r(source text, event_id text, entity text,
       external_id text, event jsonb, canonical jsonb, conflicting_fields jsonb)
RETURNING source, event_id, id)sql";

inline constexpr const char* kUpsertDeferred = R"sql(
INSERT INTO deferred_event (source, event_id, entity, external_id, event, wait_entity,
                            wait_external_id, attempts, next_attempt_at, credential_id)
SELECT source, event_id, entity, external_id, event, wait_entity, wait_external_id, attempts,
       now() + delay_ms * interval '1 millisecond', nullif(credential_id, 0)
  FROM jsonb_to_recordset($1::jsonb) AS d(source text, event_id text, entity text,
       external_id text, event jsonb, wait_entity text, wait_external_id text, attempts integer,
       delay_ms bigint, credential_id bigint)
ON CONFLICT (source, event_id) DO UPDATE
   SET attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,
       wait_entity = EXCLUDED.wait_entity, wait_external_id = EXCLUDED.wait_external_id,
       last_seen = now())sql";

inline constexpr const char* kDeleteDeferred = R"sql(
DELETE FROM deferred_event d
 USING jsonb_to_recordset($1::jsonb) AS k(source text, event_id text)
 WHERE d.source = k.source AND d.event_id = k.event_id)sql";

// Records written: events waiting for them are due now.
inline constexpr const char* kWakeDeferred = R"sql(
UPDATE deferred_event d SET next_attempt_at = now()
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text)
 WHERE d.wait_entity = k.entity AND d.wait_external_id = k.external_id
   AND d.next_attempt_at > now())sql";

inline constexpr const char* kInsertDeadLetter = R"sql(
INSERT INTO dead_letter (source, event_id, event, raw, reason, detail, attempts)
VALUES ($7, $1, NULLIF($2, '')::jsonb, NULLIF($3, ''), $4, $5, $6)
ON CONFLICT (source, event_id) WHERE status = 'dead' DO UPDATE
   SET attempts = dead_letter.attempts + EXCLUDED.attempts, last_seen = now(),
       detail = EXCLUDED.detail
RETURNING id, attempts)sql";

inline constexpr const char* kResolveConflict = R"sql(
UPDATE conflict_log SET status = 'resolved', resolution = $2, resolved_at = now(),
       resolved_by = nullif($3::bigint, 0)
 WHERE id = $1 AND status = 'open')sql";

inline constexpr const char* kNotifyDeferred = "SELECT pg_notify('synchub_deferred', '')";
inline constexpr const char* kNotifyOutbound = "SELECT pg_notify('synchub_outbound', '')";

}  // namespace synchub::resolver_sql
