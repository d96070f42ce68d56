#include "ingest/routes/dead_letters_routes.hpp"

#include <string>

#include "common/core/event_parse.hpp"
#include "ingest/core/api_json.hpp"
#include "ingest/routes/events_routes.hpp"

namespace synchub {
namespace {

// The problem for a failed take or discard: 409 not_dead when it is no longer dead.
HttpAnswer NotDeadOrProblem(const Status& status) {
  if (status.code() == StatusCode::kAlreadyExists) {
    return Problem(409, "not_dead", status.message());
  }
  if (status.code() == StatusCode::kFailedPrecondition) {
    return Problem(409, "not_replayable", status.message());
  }
  return ProblemFromStatus(status);
}

}  // namespace

HttpAnswer HandleListDeadLetters(const RouteRequest& request, RouteDeps& deps) {
  auto status = StatusFilter(request, "dead", {"dead", "replayed", "discarded", "all"});
  if (!status.ok()) return ProblemFromStatus(status.status());
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.ListDeadLetters(*status), DeadLetterListJson);
  });
}

HttpAnswer HandleReplayDeadLetter(const RouteRequest& request, RouteDeps& deps) {
  auto id = ParseId(request.path[0]);
  if (!id) return Problem(404, "not_found", "no such dead letter", "id");
  return WithStore(deps, [&](PgIngestStore& store) {
    auto event_json = store.TakeDeadLetterForReplay(*id, request.identity.credential_id);
    if (!event_json.ok()) return NotDeadOrProblem(event_json.status());
    auto event = EventFromJson(*event_json, *deps.CurrentCatalog());
    if (!event.ok()) {
      (void)store.RestoreDeadLetter(*id);
      return ProblemFromStatus(event.status());
    }
    event->credential_id = request.identity.credential_id;  // the operator who replayed it
    HttpAnswer answer = SubmitEvent(*event, deps);
    if (answer.status == 503) (void)store.RestoreDeadLetter(*id);
    return answer;
  });
}

HttpAnswer HandleDiscardDeadLetter(const RouteRequest& request, RouteDeps& deps) {
  auto id = ParseId(request.path[0]);
  if (!id) return Problem(404, "not_found", "no such dead letter", "id");
  return WithStore(deps, [&](PgIngestStore& store) {
    if (Status discarded = store.DiscardDeadLetter(*id, request.identity.credential_id);
        !discarded.ok()) {
      return NotDeadOrProblem(discarded);
    }
    return JsonAnswer(DiscardedDeadLetterJson(*id));
  });
}

}  // namespace synchub
