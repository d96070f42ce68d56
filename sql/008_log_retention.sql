-- synchub hub schema, version 8: a bounded resolution log (issue 16; docs/design.md,
-- "Log retention").
--
-- resolution_log becomes a table partitioned by seq range. Partitions are created ahead of
-- the sequence by the resolver's maintenance (and synchub-maintain) and dropped whole by the
-- retention policy, which never drops a change a subscribed source has not acknowledged
-- unless that source is past its lag cap (it is then marked for a reverse load first). Before
-- a partition is dropped, every record it holds events of gets a checkpoint: its state after
-- the last dropped event, from which history and replay verification start.
--
-- The existing rows stay where they are: the old table becomes the first partition, covering
-- every seq assigned so far. Views that read the log are re-pointed at the partitioned table
-- (CREATE OR REPLACE keeps their triggers, comments and grants).

-- The old table first loses what a partition may not have: a unique index without the
-- partition key. Uniqueness of (source, event id) is kept by idempotency_key (one row per key,
-- written in the same transaction as the log row; the resolver treats a key it could not
-- insert as a concurrent decision and retries).
DROP INDEX resolution_log_source_event;
ALTER TABLE resolution_log RENAME TO resolution_log_0;
ALTER INDEX resolution_log_pkey RENAME TO resolution_log_0_pkey;
ALTER INDEX resolution_log_record RENAME TO resolution_log_0_record;
ALTER INDEX resolution_log_outbound RENAME TO resolution_log_0_outbound;

CREATE TABLE resolution_log (
  seq           bigint NOT NULL DEFAULT nextval('resolution_log_seq_seq'),
  event_id      text COLLATE "C" NOT NULL,
  entity        text COLLATE "C" NOT NULL,
  external_id   text COLLATE "C" NOT NULL,
  source        text NOT NULL,
  version       bigint NOT NULL,
  event         json NOT NULL,
  outcome       text NOT NULL CONSTRAINT resolution_log_outcome_check
                CHECK (outcome IN ('NEW_RECORD', 'VERSION_WIN', 'STALE_SKIP', 'FIELD_MERGE',
                                   'PRIORITY_WIN', 'MANUAL')),
  changed       boolean NOT NULL,
  etag_before   bigint,
  etag_after    bigint,
  record_after  json,
  targets       text[] COLLATE "C" NOT NULL DEFAULT '{}',
  xid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
  resolved_at   timestamptz NOT NULL DEFAULT now(),
  credential_id bigint,
  PRIMARY KEY (seq)
) PARTITION BY RANGE (seq);
ALTER SEQUENCE resolution_log_seq_seq OWNED BY resolution_log.seq;
CREATE INDEX resolution_log_source_event ON resolution_log (source, event_id);
CREATE INDEX resolution_log_record ON resolution_log (entity, external_id, seq);
CREATE INDEX resolution_log_outbound ON resolution_log (xid, seq) WHERE targets <> '{}';

-- The partitions, as the maintenance made them: [seq_from, seq_to). The first one (the old
-- table) starts at 0 (seq starts at 1).
CREATE TABLE log_partition (
  name       text PRIMARY KEY,
  seq_from   bigint NOT NULL,
  seq_to     bigint NOT NULL CHECK (seq_to > seq_from),
  created_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE
  bound bigint;
  v record;
BEGIN
  SELECT greatest(coalesce(max(seq), 0),
                  (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
                     FROM resolution_log_seq_seq)) + 1
    INTO bound FROM resolution_log_0;
  EXECUTE format('ALTER TABLE resolution_log ATTACH PARTITION resolution_log_0 '
                 'FOR VALUES FROM (MINVALUE) TO (%s)', bound);
  INSERT INTO log_partition (name, seq_from, seq_to) VALUES ('resolution_log_0', 0, bound);
  -- Views that read the old table directly now read the partitioned one.
  FOR v IN
    SELECT DISTINCT c.oid::regclass AS view
      FROM pg_depend d
      JOIN pg_rewrite w ON w.oid = d.objid
      JOIN pg_class c ON c.oid = w.ev_class
     WHERE d.refobjid = 'resolution_log_0'::regclass AND c.relkind = 'v'
  LOOP
    EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', v.view,
                   regexp_replace(pg_get_viewdef(v.view), '\mresolution_log_0\M',
                                  'resolution_log', 'g'));
  END LOOP;
  -- The next partitions are made by the resolver as it starts (--log-partition-events).
END $$;

-- A record's state after the last of its events that retention dropped (API form, as
-- resolution_log.record_after; NULL when no record existed then). History and replay
-- verification start here.
CREATE TABLE record_checkpoint (
  entity      text COLLATE "C" NOT NULL,
  external_id text COLLATE "C" NOT NULL,
  seq         bigint NOT NULL,  -- the last dropped event of the record
  record      json,
  resolved_at timestamptz NOT NULL,  -- when that event was resolved
  PRIMARY KEY (entity, external_id)
);

-- Every drop the retention made: which seq range, how many events, why, and where the rows
-- were archived (NULL: not archived).
CREATE TABLE log_truncation (
  id          bigserial PRIMARY KEY,
  partition   text NOT NULL,
  seq_from    bigint NOT NULL,
  seq_to      bigint NOT NULL,
  events      bigint NOT NULL,
  bytes       bigint NOT NULL,
  reason      text NOT NULL,
  reloaded    text[] NOT NULL DEFAULT '{}',  -- sources marked for a reload by this drop
  archived_to text,
  dropped_at  timestamptz NOT NULL DEFAULT now()
);

-- Room on each page for several versions of a record: 26 % of canonical-record updates were HOT
-- (no index entry, no page change) at fillfactor 80, 56-78 % at 50 in a trial (issue 16,
-- docs/benchmarks.md "Where the resolver's time goes"). Applies to pages written from now on.
ALTER TABLE canonical_record SET (fillfactor = 50);
