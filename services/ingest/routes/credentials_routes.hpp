// Handlers for credentials (docs/security.md): operators make, list and revoke them.
// Every route here needs the operator role (Action::kManageCredentials).
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// POST /api/credentials with {"role": "operator"|"reader"|"service"|"source:NAME",
// "name"?: string (at most 200 bytes), "curvePublicKey"?: Z85 text of 40 characters,
// "token"?: boolean (default true)}.
// 201 with CredentialJson plus "token" (the bearer token, shown only in this answer).
// Failures, in this order: 415 not JSON, 400/413 invalid body, 400 invalid_role (key role),
// 400 wrong_type/too_long (key name), 400 invalid_curve_key (key curvePublicKey),
// 400 nothing_to_prove (neither a token nor a key), 403 not an operator, 409 curve_key_taken,
// 503.
// Not idempotent: each call makes a new credential.
HttpAnswer HandleCreateCredential(const RouteRequest& request, RouteDeps& deps);

// GET /api/credentials[?all=true]: the active credentials (all=true: revoked ones too),
// newest first, never a secret. 200 {"credentials": [CredentialJson...]}. Failures: 403, 503.
HttpAnswer HandleListCredentials(const RouteRequest& request, RouteDeps& deps);

// POST /api/credentials/{id}/revoke: the credential stops working within a second on every
// HTTP route and ZeroMQ socket. 200 with CredentialJson. Failures: 404 no such credential, 403,
// 503. Idempotent: revoking again keeps the first revocation time.
HttpAnswer HandleRevokeCredential(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
