#include "ingest/routes/events_routes.hpp"

#include "common/codec/proto_codec.hpp"
#include "common/core/event_parse.hpp"
#include "common/zmq/resolver_client.hpp"

namespace synchub {

HttpAnswer HandleSubmitEvent(const RouteRequest& request, RouteDeps& deps) {
  if (auto refused = RequireJson(request, "send the event as application/json")) return *refused;
  EventLimits limits;
  limits.json.max_body_bytes = request.max_body_bytes;
  auto event = ParseEvent(request.body, *deps.CurrentCatalog(), limits);
  if (!event.ok()) return ProblemFromStatus(event.status());
  if (auto refused = Authorize(request, event->source)) return *refused;
  event->credential_id = request.identity.credential_id;
  return SubmitEvent(*event, deps);
}

HttpAnswer SubmitEvent(const Event& event, RouteDeps& deps) {
  auto reply = deps.Resolver().Submit({EventToProto(event)});
  if (!reply.ok()) {
    return Problem(503, "unavailable",
                   "the event could not be made durable in time; resend it with the same "
                   "eventId (" +
                       reply.status().message() + ")");
  }
  const v1::ResolutionResult& result = reply->results(0);
  HttpAnswer answer = AnswerForResult(result);
  if (result.outcome() != v1::OUTCOME_UNSPECIFIED) {
    deps.Metrics().Outcome(WireOutcomeName(result.outcome()));
  }
  return answer;
}

}  // namespace synchub
