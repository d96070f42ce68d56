-- synchub hub schema, version 4: idempotency keys (SPEC section 4, issue 13).
--
-- The key of an event is (source, eventId): event ids are chosen by each source, so two
-- sources may use the same id for different events and both are applied. With each key the
-- hub keeps a digest of the event's normalized content (resolver/core/event_digest.hpp): a
-- resend with the same content gets the first answer again; a reuse of the key with other
-- content is refused (409 event_id_reused) and recorded in event_id_reuse, nothing applied.
-- The keys live in a table of their own, not in the resolution log (which a later issue
-- prunes), and are kept for the resolver's --idempotency-window (default 7 days).

CREATE TABLE idempotency_key (
  source     text COLLATE "C" NOT NULL,
  event_id   text COLLATE "C" NOT NULL,
  digest     bytea NOT NULL CHECK (length(digest) = 32),  -- SHA-256 of the normal form
  first_seen timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);
CREATE INDEX idempotency_key_age ON idempotency_key (first_seen);

-- Refused reuses of a key: what was sent, and the digest it was compared with.
CREATE TABLE event_id_reuse (
  id           bigserial PRIMARY KEY,
  source       text COLLATE "C" NOT NULL,
  event_id     text COLLATE "C" NOT NULL,
  event        jsonb NOT NULL,   -- the refused event (canonical JSON form)
  first_digest bytea NOT NULL,   -- the digest kept with the key
  digest       bytea NOT NULL,   -- the refused event's digest
  seen_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_id_reuse_key ON event_id_reuse (source, event_id);

-- Every table that holds an event's fate is unique per (source, event id), not per event id.
ALTER TABLE resolution_log DROP CONSTRAINT resolution_log_event_id_key;
CREATE UNIQUE INDEX resolution_log_source_event ON resolution_log (source, event_id);

ALTER TABLE conflict_log ADD COLUMN source text COLLATE "C";
UPDATE conflict_log SET source = event->>'source';
ALTER TABLE conflict_log ALTER COLUMN source SET NOT NULL;
ALTER TABLE conflict_log DROP CONSTRAINT conflict_log_event_id_key;
CREATE UNIQUE INDEX conflict_log_source_event ON conflict_log (source, event_id);

ALTER TABLE deferred_event ADD COLUMN source text COLLATE "C";
UPDATE deferred_event SET source = event->>'source';
ALTER TABLE deferred_event ALTER COLUMN source SET NOT NULL;
ALTER TABLE deferred_event DROP CONSTRAINT deferred_event_pkey;
ALTER TABLE deferred_event ADD PRIMARY KEY (source, event_id);

-- A dead letter whose event could not be decoded has no source: ''.
ALTER TABLE dead_letter ADD COLUMN source text COLLATE "C" NOT NULL DEFAULT '';
UPDATE dead_letter SET source = coalesce(event->>'source', '');
DROP INDEX dead_letter_live_event;
CREATE UNIQUE INDEX dead_letter_live_event ON dead_letter (source, event_id)
  WHERE status = 'dead';

-- SPEC section 8: a conflict may be resolved with values a person chose ("merged").
ALTER TABLE conflict_log DROP CONSTRAINT conflict_log_resolution_check;
ALTER TABLE conflict_log ADD CONSTRAINT conflict_log_resolution_check
  CHECK (resolution IN ('incoming', 'canonical', 'merged'));
