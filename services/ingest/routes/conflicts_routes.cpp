#include "ingest/routes/conflicts_routes.hpp"

#include <string>

#include "ingest/core/api_json.hpp"

namespace synchub {

HttpAnswer HandleListConflicts(const RouteRequest& request, RouteDeps& deps) {
  auto status = StatusFilter(request, "open", {"open", "resolved", "all"});
  if (!status.ok()) return ProblemFromStatus(status.status());
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.ListConflicts(*status), ConflictListJson);
  });
}

HttpAnswer HandleGetConflict(const RouteRequest& request, RouteDeps& deps) {
  auto id = ParseId(request.path[0]);
  if (!id) return Problem(404, "not_found", "no such conflict", "id");
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.GetConflict(*id), ConflictDetailJson);
  });
}

HttpAnswer HandleResolveConflict(const RouteRequest& request, RouteDeps& deps) {
  auto id = ParseId(request.path[0]);
  if (!id) return Problem(404, "not_found", "no such conflict", "id");
  if (auto refused = RequireJson(request, "send application/json")) return *refused;
  auto body = ObjectBody(request);
  if (!body.ok()) return ProblemFromStatus(body.status());
  const Json take = body->value("take", Json());
  if (take != "incoming" && take != "canonical") {
    return Problem(400, "invalid_take", "take is \"incoming\" or \"canonical\"", "take");
  }
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.ResolveConflict(*id, take.get<std::string>(), *deps.CurrentCatalog()),
                    ConflictResolutionJson);
  });
}

}  // namespace synchub
