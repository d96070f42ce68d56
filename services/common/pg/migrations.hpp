// Schema migrations: the numbered files of sql/, compiled into the binaries, applied once
// each and recorded in table schema_migration.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/status.hpp"

namespace synchub {

struct Migration {
  int version;       // from the file name: 001_hub_schema.sql -> 1
  std::string name;  // the file name without .sql
  std::string sql;
};

// Every migration under sql/ at build time, by version. Generated (embed_migrations.cmake).
const std::vector<Migration>& BundledMigrations();

// A stable 64-bit FNV-1a checksum of a migration's text, as hex.
std::string MigrationChecksum(const std::string& sql);

struct MigrationReport {
  std::vector<int> applied;  // versions applied by this call, ascending
  int schema_version = 0;    // the highest applied version afterwards
};

// Applies each migration of `migrations` not yet recorded, each in its own transaction
// together with its schema_migration row. Safe to run from several processes at once (a
// transaction-scoped advisory lock serializes them) and to re-run (a no-op).
// Returns the report; kFailedPrecondition when an applied migration's text has changed
// since (checksum mismatch) or the database has a version this build does not know;
// kInvalidArgument when a migration's SQL fails (nothing of it is applied);
// kUnavailable when the database cannot be reached.
StatusOr<MigrationReport> ApplyMigrations(pqxx::connection& connection,
                                          const std::vector<Migration>& migrations);

// Returns OK when every migration of `migrations` is applied, kFailedPrecondition (saying
// to run `synchub-migrate`) when some are not, kUnavailable on a connection failure.
// Services call this at start-up.
Status CheckSchemaCurrent(pqxx::connection& connection, const std::vector<Migration>& migrations);

}  // namespace synchub
