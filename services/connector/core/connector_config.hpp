// The connector's configuration file (JSON) and the SQL it derives from it. Pure.
//
//   {"source": "LocalDB",
//    "database": "host=127.0.0.1 port=5432 dbname=localdb",
//    "submit": "tcp://127.0.0.1:5570",          // the ingest gateway's ZeroMQ entrance
//    "outbound": "tcp://127.0.0.1:5580",        // synchub-outbound
//    "api": "http://127.0.0.1:8080",            // the gateway's HTTP API (reconcile; optional)
//    "token": "synchub_7_...",                  // the source's bearer token for "api"
//                                               // (docs/security.md; optional)
//    "curve": {"secret_key_file": "crm.key",      // the source's CURVE key pair (0600)
//              "submit_server_key_file": "ingest.pub",    // the entrance's public key
//              "outbound_server_key_file": "outbound.pub"},  // outbound's public key
//                                               // (optional: without it, plain ZeroMQ)
//    "entities": [{"entity": "client", "table": "local_records", "key": "external_id",
//                  "version": "version", "fields": {"full_name": "fullName", "email": "email"}}],
//    "push_backoff_ms": 1000}                   // optional
// Thread safety: none needed (no state); a parsed ConnectorConfig is read-only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/status.hpp"

namespace synchub {

struct EntityMapping {
  std::string entity;
  std::string table;
  std::string key_column;
  std::string version_column;
  std::map<std::string, std::string> columns_to_fields;  // column -> field
};

struct ConnectorConfig {
  std::string source;
  std::string database;
  std::string submit_endpoint;
  std::string outbound_endpoint;
  std::string api_url;    // "" when not configured: reconcile is not available
  std::string api_token;  // "" when not configured: no Authorization header
  // CURVE key files ("" when "curve" is not configured: plain ZeroMQ).
  std::string curve_secret_key_file;
  std::string curve_submit_server_key_file;
  std::string curve_outbound_server_key_file;
  std::vector<EntityMapping> entities;
  int push_backoff_ms = 1000;  // first delay after a rejected push, doubling to 60 s

  // The mapping of `entity`, or nullptr.
  const EntityMapping* ForEntity(const std::string& entity) const;
};

// Parses the file's text. kInvalidArgument naming the key that is missing or malformed;
// table and column names must be plain identifiers ([A-Za-z_][A-Za-z0-9_]*), field names
// valid synchub field names.
StatusOr<ConnectorConfig> ParseConnectorConfig(const std::string& text);

// What `setup` says about a mapped column of PostgreSQL type `type` (format_type's text, for
// example "numeric(12,2)" or "double precision"): "" when every JSON value the hub can hold
// round-trips through it, else a warning naming the column and what happens to values it
// cannot hold (an inbound change holding one is parked, never rounded: SPEC section 1).
std::string ColumnTypeWarning(const std::string& table, const std::string& column,
                              const std::string& type);

// True when a mapped column of this type cannot be synced at all (json has no equality
// operator, which the capture trigger needs to see what an update changed: use jsonb).
bool ColumnTypeUnsupported(const std::string& type);

// The SQL below lives in connector_sql.cpp.

// The idempotent set-up SQL: the outbox and state tables (synchub_outbox, synchub_applied,
// synchub_connector, synchub_tombstone, synchub_inbound_parked), and per entity the triggers
// that capture every local change unless the transaction is marked inbound
// (SET LOCAL synchub.inbound = 'on'), as docs/connectors.md states:
//   - an insert sends every mapped column at a version above the key's last tombstone;
//   - an update sends the mapped columns it changed (nothing when it changed none), at a
//     version above the old one;
//   - a delete sends a delete at the row's version + 1 and remembers it as the tombstone;
//   - an update of the key column is a delete of the old key and an insert of the new one;
//   - TRUNCATE sends a delete for every row it removes.
std::string SetupSql(const ConnectorConfig& config);

// The DDL guard (event triggers, so only for a superuser): refuses DROP TABLE of a synced table,
// DROP COLUMN, a type change or a rename of a synced column, which would change or remove
// synced rows without any row trigger. `SET synchub.allow_ddl = on` bypasses it.
std::string DdlGuardSql(const ConnectorConfig& config);

// Upserts records into the entity's table from a JSON array of {column: value} objects ($1).
// Returns one row per record: the key as text, and the mapped columns as stored, as a jsonb
// object text {column: value}, so that the caller can check that every value was kept exactly.
// REQUIRES: each key at most once in the array.
std::string UpsertSql(const EntityMapping& mapping);

// The SQL expression of a row state's event id, "<source>-row-" + the first 40 hex digits of
// SHA-256 over entity, key, op, version and the fields' jsonb text (each argument an SQL
// expression; `prefix_sql` evaluates to "<source>-row-"): the same state always gets the same
// id, so the hub answers a resend as a duplicate (snapshot, reconcile, a first update).
std::string RowEventIdSql(const std::string& prefix_sql, const std::string& entity,
                          const std::string& key_sql, const std::string& op_sql,
                          const std::string& version_sql, const std::string& fields_sql);

// Deletes the rows whose keys are in the JSON array of strings $1.
std::string DeleteSql(const EntityMapping& mapping);

// Remembers tombstones from a JSON array of {entity, external_id, version} ($1), keeping the
// highest version per key.
std::string SaveTombstonesSql();

}  // namespace synchub
