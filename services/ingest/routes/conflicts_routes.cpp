#include "ingest/routes/conflicts_routes.hpp"

#include <string>

#include "common/core/event_parse.hpp"
#include "common/core/record.hpp"
#include "common/zmq/resolver_client.hpp"
#include "ingest/core/api_json.hpp"
#include "ingest/routes/records_routes.hpp"

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
  if (take != "incoming" && take != "canonical" && take != "merged") {
    return Problem(400, "invalid_take", "take is \"incoming\", \"canonical\" or \"merged\"",
                   "take");
  }
  // The resolver makes the write (one writer: resolver/pg/operator_writes.hpp).
  v1::OperatorWrite write;
  write.mutable_resolve()->set_conflict_id(*id);
  write.mutable_resolve()->set_take(take.get<std::string>());
  if (take == "merged") {
    // SPEC section 8: {"take":"merged","fields":{...}}, the values a person chose.
    const Json fields = body->value("fields", Json());
    if (!fields.is_object()) {
      return Problem(400, fields.is_null() ? "missing" : "wrong_type",
                     "take \"merged\" needs \"fields\": an object of the values chosen", "fields");
    }
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (!IsValidFieldName(it.key())) {
        return Problem(400, it.key().rfind('_', 0) == 0 ? "reserved_field" : "invalid_field_name",
                       "field names match [A-Za-z][A-Za-z0-9_]{0,63}", it.key());
      }
    }
    write.mutable_resolve()->set_fields_json(JsonText(fields));
  } else if (body->contains("fields")) {
    return Problem(400, "unexpected_fields", "\"fields\" goes with take \"merged\" only", "fields");
  }
  if (auto refused = Authorize(request)) return *refused;
  write.set_credential_id(request.identity.credential_id);
  auto reply = deps.Resolver().WriteAsOperator(std::move(write));
  HttpAnswer written = OperatorWriteAnswer(reply);
  if (written.status != 200) return written;
  auto record = RecordFromJson(TryParseStoredJson(reply->record_json()));
  if (!record.ok()) return ProblemFromStatus(record.status());
  StoredRecord stored{std::move(record).value(), reply->etag()};
  return WithStore(deps, [&](PgIngestStore& store) {
    auto conflict = store.GetConflict(*id);
    if (!conflict.ok()) return ProblemFromStatus(conflict.status());
    return JsonAnswer(ConflictResolutionJson(ConflictResolution{*conflict, stored}));
  });
}

}  // namespace synchub
