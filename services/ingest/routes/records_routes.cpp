#include "ingest/routes/records_routes.hpp"

#include <string>

#include "common/core/event_parse.hpp"
#include "ingest/core/api_json.hpp"

namespace synchub {
namespace {

// 200 with the record and its ETag header, or the problem for the failed status.
HttpAnswer RecordAnswer(const StatusOr<StoredRecord>& record) {
  HttpAnswer answer = AnswerOr(record, RecordJson);
  if (record.ok()) answer.headers.emplace_back("ETag", "\"" + std::to_string(record->etag) + "\"");
  return answer;
}

}  // namespace

HttpAnswer HandleGetRecord(const RouteRequest& request, RouteDeps& deps) {
  return WithStore(deps, [&](PgIngestStore& store) {
    return RecordAnswer(store.GetRecord(request.path[0], request.path[1]));
  });
}

HttpAnswer HandlePatchRecord(const RouteRequest& request, RouteDeps& deps) {
  if (!request.if_match) {
    return Problem(428, "if_match_required", "send If-Match with the record's current etag",
                   "If-Match");
  }
  auto etag = ParseEtag(*request.if_match);
  if (!etag) return Problem(400, "invalid_etag", "If-Match is not an etag", "If-Match");
  if (auto refused = RequireJson(request, "send the patch as application/json")) return *refused;
  auto body = ObjectBody(request);
  if (!body.ok()) return ProblemFromStatus(body.status());
  const Json& patch = body->contains("fields") ? (*body)["fields"] : *body;
  if (!patch.is_object()) {
    return Problem(400, "wrong_type", "fields must be a JSON object", "fields");
  }
  FieldMap fields;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (!IsValidFieldName(it.key())) {
      return Problem(400, it.key().rfind('_', 0) == 0 ? "reserved_field" : "invalid_field_name",
                     "field names match [A-Za-z][A-Za-z0-9_]{0,63}", it.key());
    }
    fields.insert_or_assign(it.key(), *it);
  }
  return WithStore(deps, [&](PgIngestStore& store) {
    return RecordAnswer(
        store.PatchRecord(request.path[0], request.path[1], *etag, fields, *deps.CurrentCatalog()));
  });
}

HttpAnswer HandleGetHistory(const RouteRequest& request, RouteDeps& deps) {
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.GetHistory(request.path[0], request.path[1]), HistoryJson);
  });
}

}  // namespace synchub
