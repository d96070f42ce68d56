#include "common/pg/credential_store.hpp"

#include "common/auth/token.hpp"
#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

constexpr const char* kColumns =
    "id, role, source, name, token_sha256, curve_public_key, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "coalesce(created_by, 0), "
    "coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";

std::optional<CredentialRow> RowFrom(const pqxx::row& row) {
  auto role = RoleFromColumn(row[1].as<std::string>());
  if (!role) return std::nullopt;
  CredentialRow credential;
  credential.identity.credential_id = row[0].as<std::int64_t>();
  credential.identity.role = *role;
  credential.identity.source = row[2].is_null() ? "" : row[2].as<std::string>();
  credential.identity.name = row[3].as<std::string>();
  if (!row[4].is_null()) {
    const pqxx::binarystring hash(row[4]);
    credential.token_sha256 = hash.str();
  }
  credential.curve_public_key = row[5].is_null() ? "" : row[5].as<std::string>();
  credential.created_at = row[6].as<std::string>();
  credential.created_by = row[7].as<std::int64_t>();
  credential.revoked_at = row[8].as<std::string>();
  return credential;
}

}  // namespace

StatusOr<NewCredential> PgCredentialStore::Create(const Identity& role, const std::string& name,
                                                  bool with_token,
                                                  const std::string& curve_public_key,
                                                  std::int64_t created_by) {
  try {
    pqxx::work tx(connection_);
    if (!curve_public_key.empty() &&
        !tx.exec_params("SELECT 1 FROM credential WHERE curve_public_key = $1 AND "
                        "revoked_at IS NULL",
                        curve_public_key)
             .empty()) {
      return Status::AlreadyExists("curvePublicKey", "curve_key_taken",
                                   "an active credential already has this CURVE public key");
    }
    const pqxx::row inserted = tx.exec_params1(
        std::string("INSERT INTO credential (role, source, name, curve_public_key, created_by) "
                    "VALUES ($1, $2, $3, $4, $5) RETURNING ") +
            kColumns,
        std::string(RoleColumn(role.role)),
        role.role == Role::kSource ? std::optional<std::string>(role.source) : std::nullopt, name,
        curve_public_key.empty() ? std::nullopt : std::optional<std::string>(curve_public_key),
        created_by > 0 ? std::optional<std::int64_t>(created_by) : std::nullopt);
    auto row = RowFrom(inserted);
    if (!row) return Status::Internal("credential: unknown role written");
    NewCredential made{*row, ""};
    if (with_token) {
      const std::string secret = NewTokenSecret();
      made.row.token_sha256 = SecretSha256(secret);
      const pqxx::binarystring hash(made.row.token_sha256);
      tx.exec_params("UPDATE credential SET token_sha256 = $2 WHERE id = $1",
                     made.row.identity.credential_id, hash);
      made.token = FormatToken(made.row.identity.credential_id, secret);
    }
    tx.commit();
    return made;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "credential create");
  }
}

StatusOr<std::vector<CredentialRow>> PgCredentialStore::List(bool include_revoked) {
  try {
    pqxx::read_transaction tx(connection_);
    const pqxx::result rows =
        tx.exec(std::string("SELECT ") + kColumns + " FROM credential" +
                (include_revoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY id DESC");
    std::vector<CredentialRow> list;
    for (const pqxx::row& row : rows) {
      if (auto credential = RowFrom(row)) list.push_back(std::move(*credential));
    }
    return list;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "credential list");
  }
}

StatusOr<CredentialRow> PgCredentialStore::Revoke(std::int64_t id) {
  try {
    pqxx::work tx(connection_);
    const pqxx::result rows = tx.exec_params(
        std::string("UPDATE credential SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 "
                    "RETURNING ") +
            kColumns,
        id);
    tx.commit();
    if (rows.empty()) return Status::NotFound("no credential " + std::to_string(id));
    auto row = RowFrom(rows[0]);
    if (!row) return Status::Internal("credential: unknown role stored");
    return *row;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "credential revoke");
  }
}

StatusOr<bool> PgCredentialStore::HasOperator() {
  try {
    pqxx::read_transaction tx(connection_);
    return tx
        .exec1(
            "SELECT EXISTS (SELECT 1 FROM credential WHERE role = 'operator' AND "
            "revoked_at IS NULL)")[0]
        .as<bool>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "credential check");
  }
}

}  // namespace synchub
