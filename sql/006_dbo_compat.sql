-- synchub hub schema, version 6: the seed's Azure SQL names on the hub (issue 14, item 5).
--
-- Schema dbo holds views over the hub's tables with the seed's table and column names, so the
-- seed's own statements run verbatim on the hub:
--   SELECT ExternalId, LastSource, Resolution FROM dbo.CanonicalRecords;
--   UPDATE dbo.SourcePriority SET Priority = 2 WHERE Source = 'LocalDB';
-- Every name is lower case and unquoted: PostgreSQL folds the seed's unquoted identifiers to
-- lower case, so dbo.CanonicalRecords is dbo.canonicalrecords and LastSource is lastsource.
-- (A quoted "LastSource" does not match; the seed never quotes.) Flags are integers 0/1, as
-- SQL Server's bit, so the seed's `Sent = 0` runs as written.
--
-- Only dbo.sourcepriority is writable (UPDATE of Priority, INSERT, DELETE): it writes
-- source_priority, which every service reloads every 500 ms (SPEC section 7). Every other view
-- refuses every write, even one that matches no row, with an error that says what to use
-- instead: canonical records have a single writer, the resolver.
--
-- Each view and column, and what it maps to: docs/operations.md, "The seed's SQL on the hub
-- (dbo schema)". A later migration that changes a column these views read must drop and
-- recreate the view (PostgreSQL refuses to change a column a view depends on).

CREATE SCHEMA dbo;
COMMENT ON SCHEMA dbo IS
  'The seed''s Azure SQL tables as views over the hub (sql/006_dbo_compat.sql). Read-only '
  'except dbo.SourcePriority.';

-- ---------------------------------------------------------------------------------------------
-- dbo.SourcePriority: the one table the seed's operators write.
CREATE VIEW dbo.sourcepriority AS
SELECT source,
       priority,
       updated_at AS updatedat
  FROM source_priority;
COMMENT ON VIEW dbo.sourcepriority IS
  'source_priority (Source, Priority; lower wins). Writable: UPDATE Priority, INSERT, DELETE, '
  'in effect within a second.';

-- Writes through dbo.sourcepriority go to source_priority, as plain SQL does: the services
-- reload that table every 500 ms, so a change through the view takes effect just the same.
CREATE FUNCTION dbo.sourcepriority_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM source_priority WHERE source = OLD.source;
    IF NOT FOUND THEN
      RETURN NULL;  -- removed meanwhile: nothing deleted, as with plain SQL
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' AND NEW.updatedat IS NOT NULL
     OR TG_OP = 'UPDATE' AND NEW.updatedat IS DISTINCT FROM OLD.updatedat THEN
    RAISE EXCEPTION USING
      ERRCODE = 'feature_not_supported',
      MESSAGE = 'dbo.SourcePriority.UpdatedAt is set by the hub on every change; '
                'set Source and Priority only';
  END IF;
  IF NEW.source = 'operator' THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation',
      MESSAGE = '"operator" is reserved for people''s edits and ranks above every source; '
                'it cannot be registered';
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO source_priority (source, priority) VALUES (NEW.source, NEW.priority)
    RETURNING updated_at INTO NEW.updatedat;
    RETURN NEW;
  END IF;
  IF NEW.source IS DISTINCT FROM OLD.source THEN
    RAISE EXCEPTION USING
      ERRCODE = 'feature_not_supported',
      MESSAGE = format('dbo.SourcePriority: a source cannot be renamed (%s to %s): the name '
                       'is how its events, connector and outbound position are known',
                       OLD.source, NEW.source),
      HINT = 'Register the new name with INSERT INTO dbo.SourcePriority (Source, Priority) '
             'and point its connector at it, then DELETE the old one.';
  END IF;
  UPDATE source_priority SET priority = NEW.priority, updated_at = now()
   WHERE source = OLD.source
  RETURNING updated_at INTO NEW.updatedat;
  IF NOT FOUND THEN
    RETURN NULL;  -- removed meanwhile: nothing updated, as with plain SQL
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER sourcepriority_write INSTEAD OF INSERT OR UPDATE OR DELETE ON dbo.sourcepriority
  FOR EACH ROW EXECUTE FUNCTION dbo.sourcepriority_write();

-- ---------------------------------------------------------------------------------------------
-- dbo.CanonicalRecords: the canonical records, with the outcome of each record's last event.
CREATE VIEW dbo.canonicalrecords AS
SELECT c.entity,
       c.external_id AS externalid,
       c.fields ->> 'fullName' AS fullname,  -- the seed's two client fields, as text
       c.fields ->> 'email' AS email,
       c.fields - '_deleted' AS fields,      -- every field (jsonb), exact numbers
       c.version,
       c.last_source AS lastsource,
       c.row_version AS rowversion,          -- the etag (If-Match of PATCH /api/records/...)
       last_event.outcome AS resolution,     -- NULL only when the log rows were pruned
       c.deleted::integer AS deleted,
       c.provenance,
       c.created_at AS createdat,
       c.updated_at AS updatedat
  FROM canonical_record c
  LEFT JOIN LATERAL (
        SELECT r.outcome
          FROM resolution_log r  -- index resolution_log_record, read backwards: one row
         WHERE r.entity = c.entity AND r.external_id = c.external_id
         ORDER BY r.seq DESC
         LIMIT 1) AS last_event ON true;
COMMENT ON VIEW dbo.canonicalrecords IS
  'canonical_record with Resolution, the outcome of the record''s last event. Read-only.';

-- ---------------------------------------------------------------------------------------------
-- dbo.ConflictLog: the manual review queue (MANUAL outcomes).
CREATE VIEW dbo.conflictlog AS
SELECT k.id,
       k.entity,
       k.external_id AS externalid,
       k.source,                                           -- the conflicting event's source
       (k.event ->> 'version')::bigint AS version,         -- ... and its version
       k.event_id AS eventid,
       (SELECT string_agg(f ->> 'field', ',' ORDER BY f ->> 'field')
          FROM jsonb_array_elements(k.conflicting_fields) AS f) AS fieldnames,
       k.conflicting_fields AS conflictingfields,  -- [{field, incoming, canonical, canonicalSource}]
       k.event AS incoming,                        -- the event (canonical JSON form)
       k.canonical,                                -- the canonical record at the time
       k.status,                                   -- open | resolved
       k.resolution,                               -- incoming | canonical | merged
       k.created_at AS createdat,
       k.resolved_at AS resolvedat
  FROM conflict_log k;
COMMENT ON VIEW dbo.conflictlog IS
  'conflict_log, the MANUAL outcomes waiting for a person. Read-only: resolve with '
  'POST /api/conflicts/{id}/resolve.';

-- ---------------------------------------------------------------------------------------------
-- dbo.OutboundChanges: one row per (change, target source), as the view outbound_change.
-- Sent = 1 once the target's connector acknowledged a position at or beyond the change
-- (outbound_cursor, compared as source_lag does). A change superseded by a newer one of the
-- same record counts as sent once the newer one is: the outbound stream sends the newest.
CREATE VIEW dbo.outboundchanges AS
SELECT r.seq AS id,
       t.target_source AS targetsource,
       r.entity,
       r.external_id AS externalid,
       (r.record_after ->> 'version')::bigint AS version,
       ((r.record_after ->> 'deleted')::boolean)::integer AS deleted,
       r.etag_after AS rowversion,
       r.source AS changesource,  -- the source of the event that made the change
       r.outcome,
       r.record_after AS payload,  -- the canonical record sent (json)
       r.resolved_at AS createdat,
       ((r.xid, r.seq) <= (coalesce(c.xid, '0'::xid8), coalesce(c.seq, 0)))::integer AS sent
  FROM resolution_log r
 CROSS JOIN LATERAL unnest(r.targets) AS t(target_source)
  LEFT JOIN outbound_cursor c ON c.target_source = t.target_source
 WHERE r.targets <> '{}';
COMMENT ON VIEW dbo.outboundchanges IS
  'One row per (change, target source) of resolution_log; Sent = 1 once the target''s '
  'connector acknowledged it (outbound_cursor). Read-only.';

-- ---------------------------------------------------------------------------------------------
-- dbo.SourceRecords: the inbound events the hub holds, each where it ended: decided (the
-- resolution log, Outcome = the ladder's outcome), DEFERRED (waiting for a dependency) or
-- DEAD_LETTER (not decided; Detail = the reason). Events refused with a 400 are not stored.
CREATE VIEW dbo.sourcerecords AS
SELECT r.seq AS logseq,
       r.source,
       r.event_id AS eventid,
       r.entity,
       r.external_id AS externalid,
       r.version,
       r.event -> 'fields' ->> 'fullName' AS fullname,
       r.event -> 'fields' ->> 'email' AS email,
       r.event AS payload,
       r.outcome,
       r.changed::integer AS changed,
       NULL::text AS detail,
       r.resolved_at AS recordedat
  FROM resolution_log r
UNION ALL
SELECT NULL,
       d.source,
       d.event_id,
       d.entity COLLATE "C",
       d.external_id COLLATE "C",
       (d.event ->> 'version')::bigint,
       d.event -> 'fields' ->> 'fullName',
       d.event -> 'fields' ->> 'email',
       d.event::json,
       'DEFERRED',
       0,
       format('waiting for %s %s (attempt %s, next at %s)', d.wait_entity, d.wait_external_id,
              d.attempts, d.next_attempt_at),
       d.first_seen
  FROM deferred_event d
UNION ALL
SELECT NULL,
       l.source,
       l.event_id,
       (l.event ->> 'entity') COLLATE "C",
       (l.event ->> 'externalId') COLLATE "C",
       (l.event ->> 'version')::bigint,
       l.event -> 'fields' ->> 'fullName',
       l.event -> 'fields' ->> 'email',
       coalesce(l.event::json, to_json(l.raw)),
       'DEAD_LETTER',
       0,
       concat_ws(': ', l.reason, nullif(l.detail, '')),
       l.first_seen
  FROM dead_letter l
 WHERE l.status = 'dead';
COMMENT ON VIEW dbo.sourcerecords IS
  'Every inbound event the hub holds: resolution_log (decided), deferred_event (DEFERRED), '
  'dead_letter (DEAD_LETTER). Read-only.';

-- ---------------------------------------------------------------------------------------------
-- The read-only views refuse every write. The row-level INSTEAD OF trigger lets PostgreSQL
-- accept the statement at all (and refuses each row); the statement-level BEFORE trigger fires
-- even when the statement matches no row, so no write is ever silently accepted.
CREATE FUNCTION dbo.refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  seed_name text;
  instead text;
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'canonicalrecords' THEN
      seed_name := 'CanonicalRecords';
      instead := 'Submit a change as a source (POST /api/sync), edit a record as an operator '
                 '(PATCH /api/records/{entity}/{externalId} with If-Match: <RowVersion>), or '
                 'decide a conflict (POST /api/conflicts/{id}/resolve).';
    WHEN 'conflictlog' THEN
      seed_name := 'ConflictLog';
      instead := 'The resolver opens a conflict and closes it with the decision, which it '
                 'writes to the canonical record in the same transaction: use '
                 'POST /api/conflicts/{id}/resolve ({"take":"incoming"|"canonical"} or '
                 '{"take":"merged","fields":{...}}) or syncctl conflicts resolve ID --take '
                 'incoming|canonical.';
    WHEN 'outboundchanges' THEN
      seed_name := 'OutboundChanges';
      instead := 'The resolver queues an outbound change with each change of a canonical '
                 'record; it is marked sent when the target''s connector acknowledges it. To '
                 'send other values, change the record: POST /api/sync, or '
                 'PATCH /api/records/{entity}/{externalId}.';
    ELSE
      seed_name := 'SourceRecords';
      instead := 'The resolver records each inbound event as it decides it: submit one with '
                 'POST /api/sync (or a connector); replay a dead letter with '
                 'POST /api/dead-letters/{id}/replay.';
  END CASE;
  RAISE EXCEPTION USING
    ERRCODE = 'feature_not_supported',  -- what PostgreSQL answers for a non-updatable view
    MESSAGE = format('dbo.%s is read-only: canonical records have a single writer, the '
                     'resolver. %s', seed_name, instead),
    HINT = 'Only dbo.SourcePriority is writable. See docs/operations.md, "The seed''s SQL on '
           'the hub (dbo schema)".';
END
$$;

CREATE TRIGGER refuse_write INSTEAD OF INSERT OR UPDATE OR DELETE ON dbo.canonicalrecords
  FOR EACH ROW EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write_statement BEFORE INSERT OR UPDATE OR DELETE ON dbo.canonicalrecords
  FOR EACH STATEMENT EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write INSTEAD OF INSERT OR UPDATE OR DELETE ON dbo.conflictlog
  FOR EACH ROW EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write_statement BEFORE INSERT OR UPDATE OR DELETE ON dbo.conflictlog
  FOR EACH STATEMENT EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write INSTEAD OF INSERT OR UPDATE OR DELETE ON dbo.outboundchanges
  FOR EACH ROW EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write_statement BEFORE INSERT OR UPDATE OR DELETE ON dbo.outboundchanges
  FOR EACH STATEMENT EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write INSTEAD OF INSERT OR UPDATE OR DELETE ON dbo.sourcerecords
  FOR EACH ROW EXECUTE FUNCTION dbo.refuse_write();
CREATE TRIGGER refuse_write_statement BEFORE INSERT OR UPDATE OR DELETE ON dbo.sourcerecords
  FOR EACH STATEMENT EXECUTE FUNCTION dbo.refuse_write();
