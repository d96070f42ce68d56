#include "ingest/routes/records_routes.hpp"

#include <string>

#include "common/codec/proto_codec.hpp"
#include "common/core/entity_tags.hpp"
#include "common/core/event_parse.hpp"
#include "common/core/record.hpp"
#include "common/zmq/resolver_client.hpp"
#include "ingest/core/api_json.hpp"

namespace synchub {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

constexpr const char* kIfMatch = "If-Match";
constexpr const char* kIfNoneMatch = "If-None-Match";

std::string TagOf(const StoredRecord& record) {
  return FormatEntityTag(RecordEntityTag(record.etag));
}

// `status` with the record and its ETag header, or the problem for the failed status.
HttpAnswer RecordAnswer(const StatusOr<StoredRecord>& record, int status = 200) {
  HttpAnswer answer = AnswerOr(record, RecordJson);
  if (record.ok()) {
    answer.status = status;
    answer.headers.emplace_back("ETag", TagOf(*record));
  }
  return answer;
}

// The request's If-Match and If-None-Match, parsed; kInvalidArgument (invalid_etag, the
// header's name as key) for the first that is malformed.
StatusOr<Preconditions> ParsePreconditions(const RouteRequest& request) {
  Preconditions preconditions;
  if (request.if_match) {
    auto list = ParseEntityTagList(*request.if_match, kIfMatch);
    if (!list.ok()) return list.status();
    preconditions.if_match = std::move(list).value();
  }
  if (request.if_none_match) {
    auto list = ParseEntityTagList(*request.if_none_match, kIfNoneMatch);
    if (!list.ok()) return list.status();
    preconditions.if_none_match = std::move(list).value();
  }
  return preconditions;
}

// 412 naming the header whose condition failed, with the record's current ETag when there is
// a record.
HttpAnswer PreconditionFailed(PreconditionOutcome failed, const std::optional<StoredRecord>& now) {
  const bool if_match = failed == PreconditionOutcome::kIfMatchFailed;
  std::string detail;
  if (!now) {
    detail = "there is no such record, so If-Match is false";
  } else if (if_match) {
    detail = "If-Match does not list the record's current etag " + TagOf(*now) +
             " (a weak tag never matches); nothing was changed";
  } else {
    detail = "the record exists (etag " + TagOf(*now) +
             "), so If-None-Match is false; nothing was changed";
  }
  HttpAnswer answer =
      Problem(412, "precondition_failed", detail, if_match ? kIfMatch : kIfNoneMatch);
  if (now) answer.headers.emplace_back("ETag", TagOf(*now));
  return answer;
}

// 304: the client's copy is current. No body; the ETag header (RFC 9110 section 15.4.5).
HttpAnswer NotModified(const StoredRecord& record) {
  HttpAnswer answer;
  answer.status = 304;
  answer.headers.emplace_back("ETag", TagOf(record));
  return answer;
}

// True when `text` can be compared with a key column: valid UTF-8 without U+0000 (libpq would
// cut the value there). The JSON writer is the UTF-8 check: it throws on invalid UTF-8.
bool IsKeyText(const std::string& text) {
  if (text.find('\0') != std::string::npos) return false;
  try {
    (void)Json(text).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

}  // namespace

HttpAnswer HandleListRecords(const RouteRequest& request, RouteDeps& deps) {
  auto limit = LimitParameter(request, kDefaultPageSize, kMaxPageSize);
  if (!limit.ok()) return ProblemFromStatus(limit.status());
  auto found = request.query.find("after");
  const std::string after = found == request.query.end() ? "" : found->second;
  if (!IsKeyText(after)) {
    return Problem(400, "invalid_after", "after is an externalId: UTF-8 without U+0000", "after");
  }
  const std::string& entity = request.path[0];
  if (auto unknown = RequireKnownEntity(entity, deps)) return *unknown;
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.ListRecords(entity, after, *limit), RecordPageJson);
  });
}

HttpAnswer OperatorWriteAnswer(const StatusOr<v1::OperatorWriteReply>& reply) {
  if (!reply.ok()) return ProblemFromStatus(reply.status());
  if (reply->has_error() && reply->error().code() != v1::STATUS_CODE_OK) {
    return ProblemFromStatus(StatusFromProto(reply->error()));
  }
  std::optional<StoredRecord> record;
  if (!reply->record_json().empty()) {
    auto parsed = RecordFromJson(TryParseStoredJson(reply->record_json()));
    if (!parsed.ok())
      return ProblemFromStatus(Status::Internal("undecodable record from the resolver"));
    record = StoredRecord{std::move(parsed).value(), reply->etag()};
  }
  switch (reply->precondition()) {
    case v1::OperatorWriteReply::PRECONDITION_IF_MATCH_FAILED:
      return PreconditionFailed(PreconditionOutcome::kIfMatchFailed, record);
    case v1::OperatorWriteReply::PRECONDITION_IF_NONE_MATCH_FAILED:
      return PreconditionFailed(PreconditionOutcome::kIfNoneMatchFailed, record);
    default:
      break;
  }
  if (!record) return ProblemFromStatus(Status::Internal("the resolver wrote no record"));
  return RecordAnswer(*record, reply->created() ? 201 : 200);
}

HttpAnswer HandleGetRecord(const RouteRequest& request, RouteDeps& deps) {
  auto preconditions = ParsePreconditions(request);
  if (!preconditions.ok()) return ProblemFromStatus(preconditions.status());
  return WithStore(deps, [&](PgIngestStore& store) {
    auto record = store.GetRecord(request.path[0], request.path[1]);
    // A 404 stays a 404 whatever the conditions (RFC 9110 section 13.2.1).
    if (!record.ok()) return ProblemFromStatus(record.status());
    switch (EvaluatePreconditions(*preconditions, RecordEntityTag(record->etag))) {
      case PreconditionOutcome::kIfMatchFailed:
        return PreconditionFailed(PreconditionOutcome::kIfMatchFailed, *record);
      case PreconditionOutcome::kIfNoneMatchFailed:
        return NotModified(*record);
      case PreconditionOutcome::kProceed:
        break;
    }
    return RecordAnswer(record);
  });
}

HttpAnswer HandlePatchRecord(const RouteRequest& request, RouteDeps& deps) {
  if (!request.if_match && !request.if_none_match) {
    return Problem(428, "if_match_required",
                   "send If-Match with the record's current etag, or If-None-Match: * to create "
                   "the record",
                   kIfMatch);
  }
  auto preconditions = ParsePreconditions(request);
  if (!preconditions.ok()) return ProblemFromStatus(preconditions.status());
  if (auto refused = RequireJson(request, "send the patch as application/json")) return *refused;
  auto body = ObjectBody(request);
  if (!body.ok()) return ProblemFromStatus(body.status());
  // Either {"fields": {...}} alone, or the fields themselves (the flat form). Nothing is
  // dropped silently: a key beside "fields", or an event's key in the flat form (an edit
  // carries no version, source or op: PATCH writes fields), is refused naming it.
  const bool wrapped = body->contains("fields");
  for (auto it = body->begin(); it != body->end(); ++it) {
    if (wrapped && it.key() != "fields") {
      return Problem(400, "mixed_forms",
                     "send the fields inside \"fields\" or all at the top level, not both",
                     it.key());
    }
    if (!wrapped && IsReservedEventKey(it.key())) {
      return Problem(400, "reserved_key",
                     "\"" + it.key() +
                         "\" is an event's key, not a field: a PATCH writes fields only (the "
                         "version, source and op are the operator's)",
                     it.key());
    }
  }
  const Json& patch = wrapped ? (*body)["fields"] : *body;
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
  if (auto refused = Authorize(request)) return *refused;
  // Only If-None-Match: * asks for a record that does not exist yet.
  const bool if_absent_create = preconditions->if_none_match && preconditions->if_none_match->any;
  // The resolver makes the write (one writer: resolver/pg/operator_writes.hpp).
  v1::OperatorWrite write;
  v1::RecordPatch* patch_wire = write.mutable_patch();
  patch_wire->set_entity(request.path[0]);
  patch_wire->set_external_id(request.path[1]);
  patch_wire->set_fields_json(JsonText(patch));
  PreconditionsToProto(*preconditions, patch_wire);
  patch_wire->set_create_if_absent(if_absent_create);
  write.set_credential_id(request.identity.credential_id);
  return OperatorWriteAnswer(deps.Resolver().WriteAsOperator(std::move(write)));
}

HttpAnswer HandleGetHistory(const RouteRequest& request, RouteDeps& deps) {
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.GetHistory(request.path[0], request.path[1]), HistoryJson);
  });
}

}  // namespace synchub
