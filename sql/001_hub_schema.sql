-- synchub hub schema, version 1. Applied once by synchub-migrate (services/common/pg).
-- Every table the resolver, the ingest gateway and the outbound fan-out share.
-- Key columns (entity, external_id, event ids) compare bytewise (COLLATE "C"): they are
-- identifiers, not prose, and byte order keeps the hot indexes cheap.

-- Registered sources; a lower number is a higher priority. Ties are allowed.
-- Plain SQL changes take effect within one second (SPEC section 7).
CREATE TABLE source_priority (
  source     text PRIMARY KEY CHECK (source <> ''),
  priority   integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO source_priority (source, priority)
VALUES ('CRM', 1), ('ERP', 2), ('Portal', 3), ('LocalDB', 4);

-- Known entities. An event for an entity not listed here is rejected.
CREATE TABLE entity_type (
  entity text PRIMARY KEY CHECK (entity ~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$')
);
INSERT INTO entity_type (entity) VALUES ('client'), ('order');

-- entity.field refers to a record of target_entity whose externalId is the field's value.
CREATE TABLE entity_dependency (
  entity        text NOT NULL REFERENCES entity_type (entity),
  field         text NOT NULL,
  target_entity text NOT NULL REFERENCES entity_type (entity),
  PRIMARY KEY (entity, field)
);
INSERT INTO entity_dependency (entity, field, target_entity) VALUES ('order', 'clientId', 'client');

-- The canonical record: the hub's source of truth. `row_version` is the etag; every write
-- is conditional on it (WHERE row_version = $etag) and increments it.
CREATE TABLE canonical_record (
  entity      text COLLATE "C" NOT NULL,
  external_id text COLLATE "C" NOT NULL,
  fields      jsonb NOT NULL,  -- every field including "_deleted"
  provenance  jsonb NOT NULL,  -- field -> source that set it
  version     bigint NOT NULL CHECK (version >= 1),
  last_source text NOT NULL,
  deleted     boolean NOT NULL,
  row_version bigint NOT NULL CHECK (row_version >= 1),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entity, external_id)
) WITH (fillfactor = 80);  -- room on the page for HOT updates

-- The resolution log: one row per decided event (every outcome but DEFERRED, which lives in
-- deferred_event until it is decided). `seq` is the commit order per record: a row is
-- written after the record's row lock is held, so seq order equals commit order per key.
CREATE TABLE resolution_log (
  seq          bigserial PRIMARY KEY,
  event_id     text COLLATE "C" NOT NULL UNIQUE,
  entity       text COLLATE "C" NOT NULL,
  external_id  text COLLATE "C" NOT NULL,
  source       text NOT NULL,
  version      bigint NOT NULL,
  event        json NOT NULL,    -- the event, canonical JSON form (json: written once, cheap)
  outcome      text NOT NULL CHECK (outcome IN ('NEW_RECORD', 'VERSION_WIN', 'STALE_SKIP',
                                                'FIELD_MERGE', 'PRIORITY_WIN', 'MANUAL')),
  changed      boolean NOT NULL,
  etag_before  bigint,           -- NULL when no record existed
  etag_after   bigint,           -- NULL when no record exists afterwards
  record_after json,             -- the canonical record after this event (API form)
  targets      text[] COLLATE "C" NOT NULL DEFAULT '{}',  -- sources to send record_after to
  xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),  -- the writing transaction
  resolved_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resolution_log_record ON resolution_log (entity, external_id, seq);
-- The outbound readers' position: (xid, seq). Rows are delivered only once every transaction
-- with a smaller xid has ended (xid < pg_snapshot_xmin), in (xid, seq) order, so a late
-- commit can never fall behind a position already delivered.
CREATE INDEX resolution_log_outbound ON resolution_log (xid, seq) WHERE targets <> '{}';

-- Per target source: the position up to which its connector acknowledged every change.
CREATE TABLE outbound_cursor (
  target_source text COLLATE "C" PRIMARY KEY,
  xid           xid8 NOT NULL DEFAULT '0',
  seq           bigint NOT NULL DEFAULT 0,
  acked_at      timestamptz NOT NULL DEFAULT now()
);

-- MANUAL outcomes wait here for an operator.
CREATE TABLE conflict_log (
  id                  bigserial PRIMARY KEY,
  event_id            text COLLATE "C" NOT NULL UNIQUE,
  entity              text COLLATE "C" NOT NULL,
  external_id         text COLLATE "C" NOT NULL,
  event               jsonb NOT NULL,
  canonical           jsonb NOT NULL,  -- the canonical record at the time (API form)
  conflicting_fields  jsonb NOT NULL,  -- [{field, incoming, canonical, canonicalSource}]
  status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution          text CHECK (resolution IN ('incoming', 'canonical')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  resolved_at         timestamptz
);
CREATE INDEX conflict_log_open ON conflict_log (created_at) WHERE status = 'open';

-- DEFERRED events (rung 0): kept durably and re-run at next_attempt_at, or at once when the
-- record they wait for is written.
CREATE TABLE deferred_event (
  event_id         text COLLATE "C" PRIMARY KEY,
  entity           text NOT NULL,
  external_id      text NOT NULL,
  event            jsonb NOT NULL,
  wait_entity      text COLLATE "C" NOT NULL,
  wait_external_id text COLLATE "C" NOT NULL,
  attempts         integer NOT NULL DEFAULT 1,
  next_attempt_at  timestamptz NOT NULL,
  first_seen       timestamptz NOT NULL DEFAULT now(),
  last_seen        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deferred_event_due ON deferred_event (next_attempt_at);
CREATE INDEX deferred_event_waits ON deferred_event (wait_entity, wait_external_id);

-- Events that cannot be decided: persisted with the decision, listed, replayed or discarded
-- by operators.
CREATE TABLE dead_letter (
  id          bigserial PRIMARY KEY,
  event_id    text COLLATE "C" NOT NULL,
  event       jsonb,        -- the event (canonical JSON form) when it could be decoded
  raw         text,         -- the raw payload when it could not
  reason      text NOT NULL,
  detail      text NOT NULL DEFAULT '',
  attempts    integer NOT NULL DEFAULT 1,
  status      text NOT NULL DEFAULT 'dead' CHECK (status IN ('dead', 'replayed', 'discarded')),
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dead_letter_live_event ON dead_letter (event_id) WHERE status = 'dead';

-- The outbound queue. A change to fan out is a resolution-log row with targets: written in
-- the same transaction as the record, append-only, read by position (seq) per target, and
-- holding the record once for all targets. The view names one row per (change, target).
CREATE VIEW outbound_change AS
SELECT r.seq AS id, t.target_source, r.entity, r.external_id,
       (r.record_after->>'version')::bigint AS version,
       (r.record_after->>'deleted')::boolean AS deleted,
       r.etag_after AS etag, r.seq AS log_seq, r.record_after AS record, r.resolved_at
  FROM resolution_log r
 CROSS JOIN LATERAL unnest(r.targets) AS t(target_source)
 WHERE r.targets <> '{}';
