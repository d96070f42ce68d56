#include "common/pg/migrations.hpp"

#include <cstdint>
#include <cstdio>
#include <map>

namespace synchub {
namespace {

// Any fixed number: the key of the advisory lock that serializes migration runners.
constexpr std::int64_t kMigrationLockKey = 0x73796e6368756231;  // "synchub1"

constexpr const char* kCreateMigrationTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migration (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

constexpr const char* kSelectApplied = "SELECT version, checksum FROM schema_migration";
constexpr const char* kInsertApplied =
    "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)";
constexpr const char* kMigrationTableExists = "SELECT to_regclass('schema_migration') IS NOT NULL";

std::map<int, std::string> LoadApplied(pqxx::transaction_base& tx) {
  std::map<int, std::string> applied;
  for (const auto& row : tx.exec(kSelectApplied)) {
    applied.emplace(row[0].as<int>(), row[1].as<std::string>());
  }
  return applied;
}

Status CheckKnown(const std::map<int, std::string>& applied,
                  const std::vector<Migration>& migrations) {
  std::map<int, const Migration*> known;
  for (const auto& migration : migrations) known.emplace(migration.version, &migration);
  for (const auto& [version, checksum] : applied) {
    auto it = known.find(version);
    if (it == known.end()) {
      return Status::FailedPrecondition("the database has schema version " +
                                        std::to_string(version) +
                                        ", which this build does not know; upgrade synchub");
    }
    if (MigrationChecksum(it->second->sql) != checksum) {
      return Status::FailedPrecondition("migration " + it->second->name +
                                        " changed after it was applied; restore its text and "
                                        "add a new migration instead");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string MigrationChecksum(const std::string& sql) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : sql) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

StatusOr<MigrationReport> ApplyMigrations(pqxx::connection& connection,
                                          const std::vector<Migration>& migrations) {
  MigrationReport report;
  try {
    for (const auto& migration : migrations) {
      pqxx::work tx(connection);
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
      tx.exec(kCreateMigrationTable);
      auto applied = LoadApplied(tx);
      if (Status known = CheckKnown(applied, migrations); !known.ok()) return known;
      if (applied.count(migration.version) != 0) continue;
      try {
        tx.exec(migration.sql);
      } catch (const pqxx::sql_error& error) {
        return Status::InvalidArgument("", "migration_failed",
                                       "migration " + migration.name + " failed: " + error.what());
      }
      tx.exec_params(kInsertApplied, migration.version, migration.name,
                     MigrationChecksum(migration.sql));
      tx.commit();
      report.applied.push_back(migration.version);
    }
    pqxx::read_transaction tx(connection);
    auto applied = LoadApplied(tx);
    report.schema_version = applied.empty() ? 0 : applied.rbegin()->first;
    return report;
  } catch (const pqxx::broken_connection& error) {
    return Status::Unavailable(std::string("database unreachable: ") + error.what());
  } catch (const pqxx::sql_error& error) {
    return Status::Internal(std::string("migration bookkeeping failed: ") + error.what());
  }
}

Status CheckSchemaCurrent(pqxx::connection& connection, const std::vector<Migration>& migrations) {
  try {
    pqxx::read_transaction tx(connection);
    if (!tx.exec1(kMigrationTableExists)[0].as<bool>()) {
      return Status::FailedPrecondition("the database has no synchub schema; run synchub-migrate");
    }
    auto applied = LoadApplied(tx);
    if (Status known = CheckKnown(applied, migrations); !known.ok()) return known;
    for (const auto& migration : migrations) {
      if (applied.count(migration.version) == 0) {
        return Status::FailedPrecondition("migration " + migration.name +
                                          " is not applied; run synchub-migrate");
      }
    }
    return Status::Ok();
  } catch (const pqxx::broken_connection& error) {
    return Status::Unavailable(std::string("database unreachable: ") + error.what());
  } catch (const pqxx::sql_error& error) {
    return Status::Internal(std::string("schema check failed: ") + error.what());
  }
}

}  // namespace synchub
