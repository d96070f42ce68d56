// PgCredentialStore: the credential table (sql/007_credentials.sql; docs/security.md).
//
// Thread safety: none; one store per connection and thread.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/auth/identity.hpp"
#include "common/core/status.hpp"

namespace synchub {

struct CredentialRow {
  Identity identity;             // credential_id, role, source, name
  std::string token_sha256;      // 32 raw bytes; empty when it has no token
  std::string curve_public_key;  // Z85; empty when it has no ZeroMQ key
  std::string created_at;        // ISO 8601 (UTC)
  std::int64_t created_by = 0;   // 0: made by a bootstrap step
  std::string revoked_at;        // "" while active
};

struct NewCredential {
  CredentialRow row;
  std::string token;  // the bearer token, shown once; "" when none was asked for
};

class PgCredentialStore {
 public:
  // REQUIRES: `connection` outlives the store.
  explicit PgCredentialStore(pqxx::connection& connection) : connection_(connection) {}

  // Makes a credential for `role` (from ParseRole) named `name`, with a new token when
  // `with_token`, and the ZeroMQ public key `curve_public_key` when not empty (REQUIRES:
  // valid Z85 of 40 characters). `created_by`: the operator's credential id, 0 for a bootstrap.
  // Returns it with its token, kAlreadyExists (key "curvePublicKey") when an active credential
  // already has that key, kUnavailable when the database cannot be reached.
  StatusOr<NewCredential> Create(const Identity& role, const std::string& name, bool with_token,
                                 const std::string& curve_public_key, std::int64_t created_by);

  // Every credential, newest first; revoked ones only when `include_revoked`.
  StatusOr<std::vector<CredentialRow>> List(bool include_revoked);

  // Revokes credential `id` (idempotent). Returns the row, or kNotFound.
  StatusOr<CredentialRow> Revoke(std::int64_t id);

  // True when an active operator credential exists.
  StatusOr<bool> HasOperator();

 private:
  pqxx::connection& connection_;
};

}  // namespace synchub
