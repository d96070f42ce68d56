// synchub-migrate: applies the bundled schema migrations (sql/) to a database, and makes
// credentials with database access alone: the first operator's (--bootstrap-operator), and
// those a deployment script makes before the HTTP API is up (--create-credential).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "common/auth/token.hpp"
#include "common/core/json.hpp"
#include "common/pg/connection.hpp"
#include "common/pg/credential_store.hpp"
#include "common/pg/migrations.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Applies synchub's schema migrations (sql/NNN_*.sql) that are not applied yet."};
  std::string db;
  bool check_only = false;
  app.add_option("--db", db, "libpq connection string (default: $SYNCHUB_DB)");
  app.add_flag("--check", check_only, "only check that the schema is current (exit 3 if not)");
  bool bootstrap_operator = false;
  std::string create_role;
  std::string name;
  std::string curve_public_key;
  bool no_token = false;
  bool json = false;
  app.add_flag("--bootstrap-operator", bootstrap_operator,
               "after migrating, make an operator credential and print its token (once)");
  app.add_option("--create-credential", create_role,
                 "after migrating, make a credential of this role (operator, reader, service, "
                 "source:NAME) and print its token (once)");
  app.add_option("--name", name, "the new credential's label");
  app.add_option("--curve-public-key", curve_public_key,
                 "the new credential's ZeroMQ CURVE public key (Z85, 40 characters)");
  app.add_flag("--no-token", no_token, "the new credential has no bearer token (ZeroMQ only)");
  app.add_flag("--json", json, "print the new credential as JSON {id, role, token}");
  CLI11_PARSE(app, argc, argv);
  if (bootstrap_operator) create_role = "operator";
  std::optional<synchub::Identity> role;
  if (!create_role.empty()) {
    auto parsed = synchub::ParseRole(create_role);
    if (!parsed.ok()) {
      std::fprintf(stderr, "synchub-migrate: --create-credential: %s\n",
                   parsed.status().message().c_str());
      return 2;
    }
    if (!curve_public_key.empty() && curve_public_key.size() != 40) {
      std::fprintf(stderr, "synchub-migrate: --curve-public-key: 40 Z85 characters expected\n");
      return 2;
    }
    if (!synchub::InitCrypto()) {
      std::fprintf(stderr, "synchub-migrate: libsodium could not be initialized\n");
      return 2;
    }
    role = *parsed;
  }

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
  // With a credential to make, stdout holds only the credential (scripts read it).
  std::FILE* info = role ? stderr : stdout;
  for (int version : report->applied) std::fprintf(info, "applied migration %03d\n", version);
  std::fprintf(info, "schema version %d%s\n", report->schema_version,
               report->applied.empty() ? " (already current)" : "");
  if (!role) return 0;
  auto made = synchub::PgCredentialStore(**connection)
                  .Create(*role, name, !no_token, curve_public_key, /*created_by=*/0);
  if (!made.ok()) {
    std::fprintf(stderr, "synchub-migrate: %s\n", made.status().ToString().c_str());
    return 3;
  }
  if (json) {
    synchub::Json out = {{"id", made->row.identity.credential_id},
                         {"role", synchub::RoleText(made->row.identity)}};
    if (!made->token.empty()) out["token"] = made->token;
    std::printf("%s\n", synchub::JsonText(out).c_str());
  } else {
    std::fprintf(stderr, "credential %lld (%s) made; its token is shown only now:\n",
                 static_cast<long long>(made->row.identity.credential_id),
                 synchub::RoleText(made->row.identity).c_str());
    std::printf("%s\n", made->token.c_str());
  }
  return 0;
}
