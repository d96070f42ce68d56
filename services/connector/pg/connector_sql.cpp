// The SQL a connector runs in its local database: the set-up (state tables and capture
// triggers) and the inbound statements. What the triggers capture is the contract of SPEC
// section 5 and docs/connectors.md ("What a connector captures").
#include <string>
#include <vector>

#include "connector/core/connector_config.hpp"

namespace synchub {
namespace {

constexpr const char* kStateTables = R"sql(
CREATE TABLE IF NOT EXISTS synchub_outbox (
  id              bigserial PRIMARY KEY,
  entity          text NOT NULL,
  external_id     text NOT NULL,
  op              text NOT NULL CHECK (op IN ('upsert', 'delete')),
  version         bigint NOT NULL,
  fields          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  retry_count     integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  parked          boolean NOT NULL DEFAULT false,
  reported_at     timestamptz,  -- a parked row reported to the hub as a dead letter
  last_error      text
);
-- Rows queued by a snapshot or a reconcile (`batch`: its run) carry an event id derived from
-- the row's key, version and content, so that a re-run sends duplicates, not new events;
-- `outcome` keeps what the hub answered (for the run's summary).
ALTER TABLE synchub_outbox ADD COLUMN IF NOT EXISTS event_id text;
ALTER TABLE synchub_outbox ADD COLUMN IF NOT EXISTS batch text;
ALTER TABLE synchub_outbox ADD COLUMN IF NOT EXISTS outcome text;
ALTER TABLE synchub_outbox ADD COLUMN IF NOT EXISTS duplicate boolean;
CREATE INDEX IF NOT EXISTS synchub_outbox_batch ON synchub_outbox (batch) WHERE batch IS NOT NULL;
-- A snapshot's progress per entity: resumed after the last chunk it queued (`after_key`).
CREATE TABLE IF NOT EXISTS synchub_snapshot (
  entity      text PRIMARY KEY,
  run         text NOT NULL,
  after_key   text COLLATE "C" NOT NULL DEFAULT '',
  rows_read   bigint NOT NULL DEFAULT 0,
  total_rows  bigint NOT NULL DEFAULT 0,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
ALTER TABLE synchub_snapshot ADD COLUMN IF NOT EXISTS rows_skipped bigint NOT NULL DEFAULT 0;
ALTER TABLE synchub_outbox ADD COLUMN IF NOT EXISTS changed boolean;
CREATE INDEX IF NOT EXISTS synchub_outbox_pending ON synchub_outbox (id)
  WHERE sent_at IS NULL AND NOT parked;
CREATE INDEX IF NOT EXISTS synchub_outbox_pending_key ON synchub_outbox (entity, external_id)
  WHERE sent_at IS NULL AND NOT parked;
-- Parked rows, counted by the metrics refresh (pg/outbox_stats.cpp) without reading the outbox.
CREATE INDEX IF NOT EXISTS synchub_outbox_parked ON synchub_outbox (id) WHERE parked;
-- Whether a key was ever captured or queued here (an update of a key never sent goes whole).
CREATE INDEX IF NOT EXISTS synchub_outbox_key ON synchub_outbox (entity, external_id);
-- Canonical states held back while a local change of the key was pending (an inbound change
-- never overwrites a local change the hub has not answered); applied once it is answered.
CREATE TABLE IF NOT EXISTS synchub_held (
  entity      text NOT NULL,
  external_id text NOT NULL,
  etag        bigint NOT NULL,
  record      jsonb NOT NULL,
  PRIMARY KEY (entity, external_id)
);
CREATE TABLE IF NOT EXISTS synchub_applied (
  entity      text NOT NULL,
  external_id text NOT NULL,
  etag        bigint NOT NULL,
  PRIMARY KEY (entity, external_id)
);
CREATE TABLE IF NOT EXISTS synchub_connector (
  installation text PRIMARY KEY DEFAULT md5(random()::text || clock_timestamp()::text),
  last_seq     bigint NOT NULL DEFAULT 0
);
INSERT INTO synchub_connector (last_seq) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM synchub_connector);
-- The change applied last (the one at last_seq): the hub checks that its log still holds it,
-- and reloads this source when not (its database was restored from an older backup).
ALTER TABLE synchub_connector ADD COLUMN IF NOT EXISTS last_entity text;
ALTER TABLE synchub_connector ADD COLUMN IF NOT EXISTS last_external_id text;
ALTER TABLE synchub_connector ADD COLUMN IF NOT EXISTS last_etag bigint;
-- The last version of every deleted key (local or inbound deletes): a key re-inserted later
-- gets a version above it, so a source's version of a key never goes backwards.
CREATE TABLE IF NOT EXISTS synchub_tombstone (
  entity      text NOT NULL,
  external_id text NOT NULL,
  version     bigint NOT NULL,
  PRIMARY KEY (entity, external_id)
);
-- Inbound changes this database could not hold exactly (or at all): never half-applied,
-- never rounded; listed by `status` and reported to the hub as dead letters.
CREATE TABLE IF NOT EXISTS synchub_inbound_parked (
  id          bigserial PRIMARY KEY,
  entity      text NOT NULL,
  external_id text NOT NULL,
  etag        bigint NOT NULL,
  record      jsonb NOT NULL,
  error       text NOT NULL,
  parked_at   timestamptz NOT NULL DEFAULT now(),
  reported_at timestamptz
);
CREATE OR REPLACE FUNCTION synchub_remember_tombstone(p_entity text, p_key text, p_version bigint)
RETURNS void AS $f$
  INSERT INTO synchub_tombstone (entity, external_id, version) VALUES (p_entity, p_key, p_version)
  ON CONFLICT (entity, external_id)
  DO UPDATE SET version = greatest(synchub_tombstone.version, EXCLUDED.version);
$f$ LANGUAGE sql;
CREATE OR REPLACE FUNCTION synchub_tombstone_version(p_entity text, p_key text)
RETURNS bigint AS $f$
  SELECT version FROM synchub_tombstone WHERE entity = p_entity AND external_id = p_key;
$f$ LANGUAGE sql STABLE;
)sql";

// `text` with each ' doubled, for a string literal.
std::string SqlQuoted(const std::string& text) {
  std::string quoted;
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += c;
  }
  return quoted;
}

// Replaces every "{name}" in `text`.
std::string Fill(std::string text, const std::vector<std::pair<std::string, std::string>>& with) {
  for (const auto& [name, value] : with) {
    const std::string placeholder = "{" + name + "}";
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

// Per table: the version rule (BEFORE row), the capture (AFTER row) and the TRUNCATE capture
// (BEFORE statement). Inbound writes (synchub.inbound = 'on') are neither versioned nor
// captured: their version is the canonical one, and they must not echo.
constexpr const char* kTableTriggers = R"sql(
CREATE OR REPLACE FUNCTION synchub_bump_{table}() RETURNS trigger AS $f$
DECLARE
  tombstone bigint;
BEGIN
  IF current_setting('synchub.inbound', true) = 'on' THEN RETURN NEW; END IF;
  -- The key's lock, which an inbound apply takes too: it then sees this change as pending
  -- (even a new key, which no row lock covers) and holds its inbound state back.
  PERFORM pg_advisory_xact_lock(hashtextextended('{entity}:' || NEW.{key}::text, 7365));
  IF TG_OP = 'UPDATE' AND NEW.{key} IS DISTINCT FROM OLD.{key} THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('{entity}:' || OLD.{key}::text, 7365));
  END IF;
  IF TG_OP = 'INSERT' OR NEW.{key} IS DISTINCT FROM OLD.{key} THEN
    -- A new key here (an insert, or the new key of a key change): above its last tombstone.
    tombstone := synchub_tombstone_version('{entity}', NEW.{key}::text);
    IF TG_OP = 'INSERT' THEN
      NEW.{version} := greatest(coalesce(NEW.{version}, 1), coalesce(tombstone + 1, 1));
    ELSE
      NEW.{version} := coalesce(tombstone + 1, 1);
    END IF;
  ELSIF ({new_columns}) IS DISTINCT FROM ({old_columns}) THEN
    -- A change of synced columns: a new version, never lower than the old one + 1.
    -- (A row without a version counts as version 1: that is how it is sent.)
    IF NEW.{version} IS NULL OR NEW.{version} <= greatest(coalesce(OLD.{version}, 0), 1) THEN
      NEW.{version} := greatest(coalesce(OLD.{version}, 0), 1) + 1;
    END IF;
  ELSE
    -- No synced column changed: nothing to send, and the version stays.
    NEW.{version} := OLD.{version};
  END IF;
  RETURN NEW;
END $f$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER synchub_bump BEFORE INSERT OR UPDATE ON {table}
  FOR EACH ROW EXECUTE FUNCTION synchub_bump_{table}();

CREATE OR REPLACE FUNCTION synchub_capture_{table}() RETURNS trigger AS $f$
DECLARE
  changed jsonb := '{}';
  old_version bigint;
  old_fields jsonb;
BEGIN
  IF current_setting('synchub.inbound', true) = 'on' THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('{entity}:' || OLD.{key}::text, 7365));
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.{key} IS DISTINCT FROM OLD.{key}) THEN
    -- A delete, or the old key of a key change: a tombstone above the row's version.
    INSERT INTO synchub_outbox (entity, external_id, op, version, fields)
    VALUES ('{entity}', OLD.{key}::text, 'delete', greatest(coalesce(OLD.{version}, 0), 1) + 1, '{}');
    PERFORM synchub_remember_tombstone('{entity}', OLD.{key}::text,
                                       greatest(coalesce(OLD.{version}, 0), 1) + 1);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.{key} IS DISTINCT FROM OLD.{key}) THEN
    -- An insert (or the new key of a key change) sends every synced column.
    INSERT INTO synchub_outbox (entity, external_id, op, version, fields)
    VALUES ('{entity}', NEW.{key}::text, 'upsert', NEW.{version}, jsonb_build_object({all_fields}));
  ELSIF TG_OP = 'UPDATE' THEN
    -- An update sends the columns it changed, and nothing when it changed none.
{changed_fields}
    IF changed = '{}' THEN RETURN NULL; END IF;
    -- A row the hub never heard of from here and never sent here (it was in the table before
    -- setup, and no snapshot has queued it yet): its old state goes first, whole, at its old
    -- version, under the event id a snapshot gives that state (a later snapshot of it is a
    -- duplicate); then the update as always. The ladder judges the old state at its own
    -- version, and the hub never creates the record from a partial update (whose answer,
    -- applied back, would empty the other columns here).
    IF NOT EXISTS (SELECT 1 FROM synchub_outbox
                    WHERE entity = '{entity}' AND external_id = OLD.{key}::text)
       AND NOT EXISTS (SELECT 1 FROM synchub_applied
                        WHERE entity = '{entity}' AND external_id = OLD.{key}::text)
       AND NOT EXISTS (SELECT 1 FROM synchub_held
                        WHERE entity = '{entity}' AND external_id = OLD.{key}::text) THEN
      old_version := greatest(coalesce(OLD.{version}, 0), 1);
      old_fields := jsonb_build_object({old_fields});
      INSERT INTO synchub_outbox (entity, external_id, op, version, fields, event_id)
      VALUES ('{entity}', OLD.{key}::text, 'upsert', old_version, old_fields, {old_event_id});
    END IF;
    INSERT INTO synchub_outbox (entity, external_id, op, version, fields)
    VALUES ('{entity}', NEW.{key}::text, 'upsert', NEW.{version}, changed);
  END IF;
  PERFORM pg_notify('synchub_outbox', '');
  RETURN NULL;
END $f$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER synchub_capture AFTER INSERT OR UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION synchub_capture_{table}();

-- The hub's key order (bytes), which snapshots and reconciliation read the table in.
CREATE INDEX IF NOT EXISTS synchub_{table}_key_order ON {table} (({key}::text) COLLATE "C");

-- TRUNCATE removes every row without row triggers: each row becomes a captured delete.
CREATE OR REPLACE FUNCTION synchub_truncate_{table}() RETURNS trigger AS $f$
BEGIN
  IF current_setting('synchub.inbound', true) = 'on' THEN RETURN NULL; END IF;
  INSERT INTO synchub_outbox (entity, external_id, op, version, fields)
  SELECT '{entity}', {key}::text, 'delete', greatest(coalesce({version}, 0), 1) + 1, '{}'
    FROM {table} ORDER BY {key};
  PERFORM synchub_remember_tombstone('{entity}', {key}::text, greatest(coalesce({version}, 0), 1) + 1)
     FROM {table};
  PERFORM pg_notify('synchub_outbox', '');
  RETURN NULL;
END $f$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER synchub_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION synchub_truncate_{table}();
)sql";

// Refuses DDL that would change or remove synced rows without any row trigger: DROP TABLE,
// DROP COLUMN, a column type change (ALTER ... TYPE ... USING rewrites every value), a rename
// (the capture triggers would stop working). Event triggers: installed only by a superuser.
constexpr const char* kDdlGuard = R"sql(
-- In a schema of its own, so that DROP SCHEMA public CASCADE cannot take the guard along.
CREATE SCHEMA IF NOT EXISTS synchub_guard;
CREATE TABLE IF NOT EXISTS synchub_guard.synced_column (
  table_name  text NOT NULL,
  column_name text NOT NULL,
  column_type text NOT NULL,
  PRIMARY KEY (table_name, column_name)
);
DELETE FROM synchub_guard.synced_column;
CREATE OR REPLACE FUNCTION synchub_guard.on_drop() RETURNS event_trigger AS $f$
DECLARE
  dropped record;
BEGIN
  IF current_setting('synchub.allow_ddl', true) = 'on' THEN RETURN; END IF;
  -- The connector's own state first: DROP SCHEMA ... CASCADE takes it along with the tables.
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF dropped.object_type = 'table' AND dropped.object_name LIKE 'synchub\_%' THEN
      RAISE EXCEPTION 'synchub: % holds the connector''s state: dropping it would lose captured changes', dropped.object_identity
        USING HINT = 'SET synchub.allow_ddl = on to bypass the guard on purpose';
    END IF;
  END LOOP;
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF dropped.object_type = 'table' AND EXISTS (
         SELECT 1 FROM synchub_guard.synced_column WHERE table_name = dropped.object_name) THEN
      RAISE EXCEPTION 'synchub: % is synced: dropping it would remove its rows without telling the hub', dropped.object_identity
        USING HINT = 'DELETE its rows first (captured), or SET synchub.allow_ddl = on to bypass the guard';
    END IF;
    IF dropped.object_type = 'table column' AND EXISTS (
         SELECT 1 FROM synchub_guard.synced_column
          WHERE table_name = dropped.address_names[2] AND column_name = dropped.address_names[3]) THEN
      RAISE EXCEPTION 'synchub: % is synced: dropping it would remove its values without telling the hub', dropped.object_identity
        USING HINT = 'remove it from the connector configuration and run setup first, or SET synchub.allow_ddl = on';
    END IF;
  END LOOP;
END $f$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION synchub_guard.on_alter() RETURNS event_trigger AS $f$
DECLARE
  changed record;
BEGIN
  IF current_setting('synchub.allow_ddl', true) = 'on' THEN RETURN; END IF;
  SELECT s.table_name, s.column_name, s.column_type,
         format_type(a.atttypid, a.atttypmod) AS now_type
    INTO changed
    FROM synchub_guard.synced_column s
    LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(s.table_name)
                            AND a.attname = s.column_name AND NOT a.attisdropped
   WHERE a.attname IS NULL OR format_type(a.atttypid, a.atttypmod) <> s.column_type
   LIMIT 1;
  IF FOUND AND changed.now_type IS NULL THEN
    RAISE EXCEPTION 'synchub: %.% is synced: renaming it would stop its capture', changed.table_name, changed.column_name
      USING HINT = 'change the connector configuration and run setup, or SET synchub.allow_ddl = on';
  ELSIF FOUND THEN
    RAISE EXCEPTION 'synchub: %.% is synced: changing its type from % to % rewrites its values without telling the hub', changed.table_name, changed.column_name, changed.column_type, changed.now_type
      USING HINT = 'SET synchub.allow_ddl = on, change it, run setup again, and re-send the table';
  END IF;
END $f$ LANGUAGE plpgsql;
-- ALTER TABLE that rewrites a synced table (ALTER COLUMN ... TYPE ... USING, even to the
-- same type) can change every value without a row trigger.
CREATE OR REPLACE FUNCTION synchub_guard.on_rewrite() RETURNS event_trigger AS $f$
DECLARE
  rewritten text;
BEGIN
  IF current_setting('synchub.allow_ddl', true) = 'on' THEN RETURN; END IF;
  SELECT relname INTO rewritten FROM pg_class WHERE oid = pg_event_trigger_table_rewrite_oid();
  IF EXISTS (SELECT 1 FROM synchub_guard.synced_column WHERE table_name = rewritten) THEN
    RAISE EXCEPTION 'synchub: % is synced: this ALTER TABLE rewrites its rows without telling the hub', rewritten
      USING HINT = 'change values with UPDATE (captured), or SET synchub.allow_ddl = on to bypass the guard';
  END IF;
END $f$ LANGUAGE plpgsql;
DROP EVENT TRIGGER IF EXISTS synchub_guard_rewrite;
CREATE EVENT TRIGGER synchub_guard_rewrite ON table_rewrite EXECUTE FUNCTION synchub_guard.on_rewrite();
DROP EVENT TRIGGER IF EXISTS synchub_guard_drop;
CREATE EVENT TRIGGER synchub_guard_drop ON sql_drop EXECUTE FUNCTION synchub_guard.on_drop();
DROP EVENT TRIGGER IF EXISTS synchub_guard_alter;
CREATE EVENT TRIGGER synchub_guard_alter ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION synchub_guard.on_alter();
)sql";

}  // namespace

std::string DdlGuardSql(const ConnectorConfig& config) {
  std::string sql = kDdlGuard;
  for (const auto& mapping : config.entities) {
    std::vector<std::string> columns = {mapping.key_column, mapping.version_column};
    for (const auto& [column, field] : mapping.columns_to_fields) columns.push_back(column);
    for (const auto& column : columns) {
      sql += "INSERT INTO synchub_guard.synced_column SELECT '" + mapping.table + "', '" + column +
             "', format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = '" +
             mapping.table + "'::regclass AND a.attname = '" + column +
             "' ON CONFLICT DO NOTHING;\n";
    }
  }
  return sql;
}

std::string SetupSql(const ConnectorConfig& config) {
  std::string sql = kStateTables;
  for (const auto& mapping : config.entities) {
    std::string new_columns;
    std::string old_columns;
    std::string all_fields;
    std::string changed_fields;
    std::string old_fields;
    for (const auto& [column, field] : mapping.columns_to_fields) {
      const std::string separator = new_columns.empty() ? "" : ", ";
      new_columns += separator + "NEW." + column;
      old_columns += separator + "OLD." + column;
      all_fields += separator + "'" + field + "', NEW." + column;
      old_fields += separator + "'" + field + "', OLD." + column;
      changed_fields += "    IF NEW." + column + " IS DISTINCT FROM OLD." + column +
                        " THEN changed := changed || jsonb_build_object('" + field + "', NEW." +
                        column + "); END IF;\n";
    }
    // A one-column row constructor needs ROW() to stay a row.
    sql +=
        Fill(kTableTriggers,
             {{"new_columns", "ROW(" + new_columns + ")"},
              {"old_columns", "ROW(" + old_columns + ")"},
              {"all_fields", all_fields},
              {"changed_fields", changed_fields},
              {"old_fields", old_fields},
              {"old_event_id", RowEventIdSql("'" + SqlQuoted(config.source) + "-row-'",
                                             mapping.entity, "OLD." + mapping.key_column + "::text",
                                             "'upsert'", "old_version", "old_fields")},
              {"table", mapping.table},
              {"key", mapping.key_column},
              {"version", mapping.version_column},
              {"entity", mapping.entity}});
  }
  return sql;
}

std::string UpsertSql(const EntityMapping& mapping) {
  std::string columns = mapping.key_column + ", " + mapping.version_column;
  std::string updates = mapping.version_column + " = EXCLUDED." + mapping.version_column;
  std::string readback;
  for (const auto& [column, field] : mapping.columns_to_fields) {
    columns += ", " + column;
    updates += ", " + column + " = EXCLUDED." + column;
    readback += std::string(readback.empty() ? "" : ", ") + "'" + column + "', " + mapping.table +
                "." + column;
  }
  return "INSERT INTO " + mapping.table + " (" + columns + ") SELECT " + columns +
         " FROM jsonb_populate_recordset(NULL::" + mapping.table + ", $1::jsonb) ON CONFLICT (" +
         mapping.key_column + ") DO UPDATE SET " + updates + " RETURNING " + mapping.table + "." +
         mapping.key_column + "::text, jsonb_build_object(" + readback + ")::text";
}

std::string RowEventIdSql(const std::string& prefix_sql, const std::string& entity,
                          const std::string& key_sql, const std::string& op_sql,
                          const std::string& version_sql, const std::string& fields_sql) {
  return prefix_sql + " || left(encode(sha256(convert_to('" + entity + "' || E'\\x1f' || " +
         key_sql + " || E'\\x1f' || " + op_sql + " || E'\\x1f' || (" + version_sql +
         ")::text || E'\\x1f' || (" + fields_sql + ")::text, 'UTF8')), 'hex'), 40)";
}

std::string DeleteSql(const EntityMapping& mapping) {
  return "DELETE FROM " + mapping.table + " WHERE " + mapping.key_column +
         "::text IN (SELECT jsonb_array_elements_text($1::jsonb))";
}

std::string SaveTombstonesSql() {
  return "SELECT synchub_remember_tombstone(t.entity, t.external_id, t.version) FROM "
         "jsonb_to_recordset($1::jsonb) AS t(entity text, external_id text, version bigint)";
}

}  // namespace synchub
