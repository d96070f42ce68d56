#include "ingest/routes/sources_routes.hpp"

#include <optional>
#include <string>

#include "common/auth/identity.hpp"
#include "common/core/event.hpp"
#include "common/core/exact_number.hpp"
#include "ingest/core/api_json.hpp"

namespace synchub {

HttpAnswer HandleListSources(const RouteRequest&, RouteDeps& deps) {
  return WithStore(
      deps, [](PgIngestStore& store) { return AnswerOr(store.ListSources(), SourceListJson); });
}

HttpAnswer HandleGetSource(const RouteRequest& request, RouteDeps& deps) {
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.GetSource(request.path[0]), SourceJson);
  });
}

HttpAnswer HandlePutSource(const RouteRequest& request, RouteDeps& deps) {
  const std::string& name = request.path[0];
  if (name.size() > 64) return Problem(400, "too_long", "at most 64 bytes", "name");
  if (name == kOperatorSource) {
    return Problem(400, "reserved_source",
                   "\"operator\" is reserved for people's edits and ranks above every "
                   "source; it cannot be registered",
                   "name");
  }
  // A name no credential could be made for (ParseRole: 1 to 64 of [A-Za-z0-9_.-]) would be a
  // source that can never connect, with changes queued for it forever ("CRM " for "CRM").
  if (!ParseRole("source:" + name).ok()) {
    return Problem(400, "invalid_source_name",
                   "a source name is 1 to 64 characters of A-Z, a-z, 0-9, _, . and -", "name");
  }
  if (auto refused = RequireJson(request, "send application/json")) return *refused;
  auto body = ObjectBody(request);
  if (!body.ok()) return ProblemFromStatus(body.status());
  // An integer by JSON equality (SPEC section 1), as an event's version: 2.0 and 2e0 are 2.
  const Json priority = body->value("priority", Json());
  const std::optional<std::string> whole =
      IsJsonNumber(priority) ? IntegerText(NumberText(priority)) : std::nullopt;
  if (!whole || CompareNumberTexts(*whole, "-1000000") < 0 ||
      CompareNumberTexts(*whole, "1000000") > 0) {
    return Problem(400, "invalid_priority",
                   "priority is an integer from -1000000 to 1000000 (lower is higher priority)",
                   "priority");
  }
  if (auto refused = Authorize(request)) return *refused;
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.SetPriority(name, std::stoi(*whole)), SourcePriorityJson);
  });
}

HttpAnswer HandleReloadSource(const RouteRequest& request, RouteDeps& deps) {
  const std::string& name = request.path[0];
  return WithStore(deps, [&](PgIngestStore& store) -> HttpAnswer {
    Status requested = store.RequestReload(name);
    if (!requested.ok()) return ProblemFromStatus(requested);
    HttpAnswer answer = JsonAnswer(Json{{"source", name}, {"reloadRequested", true}});
    answer.status = 202;
    return answer;
  });
}

}  // namespace synchub
