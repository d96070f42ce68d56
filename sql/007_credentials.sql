-- synchub hub schema, version 7: identities and roles (issue 15, docs/security.md).
--
-- A credential is one identity: a role, and how it proves itself: a bearer token for HTTP
-- (only its SHA-256 is kept; the token is shown once, when it is made) and/or a CURVE public
-- key for ZeroMQ (the ZAP handler of every service maps a client's key to its credential).
-- Roles: 'operator' (everything an operator does, credentials included; never submits as a
-- source), 'reader' (reads everything), 'source' (submits as `source` only, reads records),
-- 'service' (the hub's own processes: the gateway forwarding to the resolver, outbound).
-- A revoked credential is kept (revoked_at set): the log still names it.
CREATE TABLE credential (
  id                bigserial PRIMARY KEY,
  role              text NOT NULL CHECK (role IN ('operator', 'reader', 'source', 'service')),
  source            text COLLATE "C",  -- role 'source': the source it submits as
  name              text NOT NULL DEFAULT '',
  token_sha256      bytea,             -- SHA-256 of the token's secret part; NULL: no token
  curve_public_key  text COLLATE "C",  -- Z85, 40 characters; NULL: no ZeroMQ access
  created_at        timestamptz NOT NULL DEFAULT now(),
  created_by        bigint REFERENCES credential (id),
  revoked_at        timestamptz,
  CHECK ((role = 'source') = (source IS NOT NULL)),
  CHECK (token_sha256 IS NULL OR octet_length(token_sha256) = 32),
  CHECK (curve_public_key IS NULL OR length(curve_public_key) = 40)
);
CREATE UNIQUE INDEX credential_curve_key ON credential (curve_public_key)
  WHERE curve_public_key IS NOT NULL AND revoked_at IS NULL;

-- Who did what: the credential behind every logged event (the source's own, or the
-- operator's for operator events), every deferral, conflict resolution and dead-letter
-- replay or discard. NULL: written without authentication (--insecure) or before version 7.
ALTER TABLE resolution_log ADD COLUMN credential_id bigint;
ALTER TABLE deferred_event ADD COLUMN credential_id bigint;
ALTER TABLE conflict_log ADD COLUMN resolved_by bigint;
ALTER TABLE dead_letter ADD COLUMN handled_by bigint;
