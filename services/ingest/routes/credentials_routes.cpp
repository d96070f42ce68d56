#include "ingest/routes/credentials_routes.hpp"

#include "common/pg/credential_store.hpp"

namespace synchub {
namespace {

bool IsZ85Key(const std::string& text) {
  static const std::string kAlphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  if (text.size() != 40) return false;
  for (char c : text) {
    if (kAlphabet.find(c) == std::string::npos) return false;
  }
  return true;
}

Json CredentialJson(const CredentialRow& row) {
  return Json{
      {"id", row.identity.credential_id},
      {"role", RoleText(row.identity)},
      {"name", row.identity.name},
      {"hasToken", !row.token_sha256.empty()},
      {"curvePublicKey", row.curve_public_key.empty() ? Json() : Json(row.curve_public_key)},
      {"createdAt", row.created_at},
      {"createdBy", row.created_by > 0 ? Json(row.created_by) : Json()},
      {"revokedAt", row.revoked_at.empty() ? Json() : Json(row.revoked_at)}};
}

}  // namespace

HttpAnswer HandleCreateCredential(const RouteRequest& request, RouteDeps& deps) {
  if (auto refused = RequireJson(request, "send application/json")) return *refused;
  auto body = ObjectBody(request);
  if (!body.ok()) return ProblemFromStatus(body.status());
  for (auto it = body->begin(); it != body->end(); ++it) {
    if (it.key() != "role" && it.key() != "name" && it.key() != "curvePublicKey" &&
        it.key() != "token") {
      return Problem(400, "unknown_key", "a credential has role, name, curvePublicKey and token",
                     it.key());
    }
  }
  const Json role_json = body->value("role", Json());
  if (!role_json.is_string()) {
    return Problem(400, role_json.is_null() ? "missing" : "wrong_type",
                   "role is operator, reader, service or source:<name>", "role");
  }
  auto role = ParseRole(role_json.get<std::string>());
  if (!role.ok()) return ProblemFromStatus(role.status());
  const Json name = body->value("name", Json(""));
  if (!name.is_string()) return Problem(400, "wrong_type", "name is a string", "name");
  if (name.get<std::string>().size() > 200) {
    return Problem(400, "too_long", "name is at most 200 bytes", "name");
  }
  const Json key = body->value("curvePublicKey", Json(""));
  if (!key.is_string() || (!key.get<std::string>().empty() && !IsZ85Key(key))) {
    return Problem(400, "invalid_curve_key",
                   "curvePublicKey is a CURVE public key in Z85: 40 characters (synchub-keygen "
                   "writes one into its .pub file)",
                   "curvePublicKey");
  }
  const Json token = body->value("token", Json(true));
  if (!token.is_boolean()) return Problem(400, "wrong_type", "token is true or false", "token");
  if (!token.get<bool>() && key.get<std::string>().empty()) {
    return Problem(400, "nothing_to_prove", "a credential needs a token, a curvePublicKey, or both",
                   "token");
  }
  if (auto refused = Authorize(request)) return *refused;
  return WithStore(deps, [&](PgIngestStore& store) {
    auto made = PgCredentialStore(store.connection())
                    .Create(*role, name.get<std::string>(), token.get<bool>(),
                            key.get<std::string>(), request.identity.credential_id);
    if (!made.ok()) {
      if (made.status().code() == StatusCode::kAlreadyExists) {
        return Problem(409, made.status().reason(), made.status().message(), made.status().key());
      }
      return ProblemFromStatus(made.status());
    }
    Json answer = CredentialJson(made->row);
    if (!made->token.empty()) answer["token"] = made->token;
    HttpAnswer created = JsonAnswer(std::move(answer));
    created.status = 201;
    return created;
  });
}

HttpAnswer HandleListCredentials(const RouteRequest& request, RouteDeps& deps) {
  auto all = request.query.find("all");
  const bool include_revoked = all != request.query.end() && all->second == "true";
  return WithStore(deps, [&](PgIngestStore& store) {
    auto list = PgCredentialStore(store.connection()).List(include_revoked);
    if (!list.ok()) return ProblemFromStatus(list.status());
    Json credentials = Json::array();
    for (const CredentialRow& row : *list) credentials.push_back(CredentialJson(row));
    return JsonAnswer(Json{{"credentials", std::move(credentials)}});
  });
}

HttpAnswer HandleRevokeCredential(const RouteRequest& request, RouteDeps& deps) {
  auto id = ParseId(request.path[0]);
  if (!id) return Problem(404, "not_found", "no such credential", "id");
  return WithStore(deps, [&](PgIngestStore& store) {
    auto revoked = PgCredentialStore(store.connection()).Revoke(*id);
    if (!revoked.ok()) {
      if (revoked.status().code() == StatusCode::kNotFound) {
        return Problem(404, "not_found", revoked.status().message(), "id");
      }
      return ProblemFromStatus(revoked.status());
    }
    return JsonAnswer(CredentialJson(*revoked));
  });
}

}  // namespace synchub
