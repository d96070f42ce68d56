// synchub-migrate: applies the bundled schema migrations (sql/) to a database.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "common/pg/connection.hpp"
#include "common/pg/migrations.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Applies synchub's schema migrations (sql/NNN_*.sql) that are not applied yet."};
  std::string db;
  bool check_only = false;
  app.add_option("--db", db, "libpq connection string (default: $SYNCHUB_DB)");
  app.add_flag("--check", check_only, "only check that the schema is current (exit 3 if not)");
  CLI11_PARSE(app, argc, argv);

  auto connection = synchub::ConnectPg(synchub::PgConninfoFrom(db));
  if (!connection.ok()) {
    std::fprintf(stderr, "synchub-migrate: %s\n", connection.status().message().c_str());
    return 2;
  }
  if (check_only) {
    synchub::Status status =
        synchub::CheckSchemaCurrent(**connection, synchub::BundledMigrations());
    std::printf("%s\n", status.ok() ? "schema is current" : status.message().c_str());
    return status.ok() ? 0 : 3;
  }
  auto report = synchub::ApplyMigrations(**connection, synchub::BundledMigrations());
  if (!report.ok()) {
    std::fprintf(stderr, "synchub-migrate: %s\n", report.status().ToString().c_str());
    return 3;
  }
  for (int version : report->applied) std::printf("applied migration %03d\n", version);
  std::printf("schema version %d%s\n", report->schema_version,
              report->applied.empty() ? " (already current)" : "");
  return 0;
}
