#include "common/codec/proto_codec.hpp"

#include <string>

namespace synchub {

v1::Event EventToProto(const Event& event) {
  v1::Event wire;
  wire.set_event_id(event.event_id);
  wire.set_entity(event.entity);
  wire.set_external_id(event.external_id);
  wire.set_source(event.source);
  wire.set_version(event.version);
  wire.set_op(event.op == Op::kDelete ? v1::OP_DELETE : v1::OP_UPSERT);
  Json fields = Json::object();
  for (const auto& [name, value] : event.fields) fields[name] = value;
  wire.set_fields_json(JsonText(fields));
  wire.set_credential_id(event.credential_id);
  return wire;
}

StatusOr<Event> EventFromProto(const v1::Event& wire, const Catalog& catalog,
                               const EventLimits& limits) {
  Json fields = Json::object();
  if (!wire.fields_json().empty()) {
    auto parsed = ParseJsonStrict(wire.fields_json(), limits.json);
    if (!parsed.ok()) {
      // Value errors name the field (the key inside fields_json); others name "fields".
      Status error = parsed.status();
      if (!error.key().empty()) return error;
      return Status::InvalidArgument("fields", error.reason(), "fields: " + error.message());
    }
    fields = std::move(parsed).value();
  }
  Json body = Json::object();
  if (!wire.event_id().empty()) body["eventId"] = wire.event_id();
  body["entity"] = wire.entity().empty() ? std::string("client") : wire.entity();
  body["externalId"] = wire.external_id();
  body["source"] = wire.source();
  body["version"] = wire.version();
  switch (wire.op()) {
    case v1::OP_UNSPECIFIED:
    case v1::OP_UPSERT:
      body["op"] = "upsert";
      break;
    case v1::OP_DELETE:
      body["op"] = "delete";
      break;
    default:
      return Status::InvalidArgument("op", "invalid_op", "op: must be upsert or delete");
  }
  body["fields"] = std::move(fields);
  auto event = EventFromJson(body, catalog, limits);
  if (event.ok()) event->credential_id = wire.credential_id();
  return event;
}

v1::Status StatusToProto(const Status& status) {
  v1::Status wire;
  wire.set_code(static_cast<v1::StatusCode>(static_cast<int>(status.code())));
  wire.set_key(status.key());
  wire.set_reason(status.reason());
  wire.set_message(status.message());
  return wire;
}

Status StatusFromProto(const v1::Status& wire) {
  switch (wire.code()) {
    case v1::STATUS_CODE_OK:
      return Status::Ok();
    case v1::STATUS_CODE_INVALID_ARGUMENT:
      return Status::InvalidArgument(wire.key(), wire.reason(), wire.message());
    case v1::STATUS_CODE_NOT_FOUND:
      return Status::NotFound(wire.message());
    case v1::STATUS_CODE_ALREADY_EXISTS:
      // event_id_reused (SPEC section 4) names its key; other refusals carry none.
      if (!wire.key().empty()) {
        return Status::AlreadyExists(wire.key(), wire.reason(), wire.message());
      }
      return Status::AlreadyExists(wire.message());
    case v1::STATUS_CODE_ABORTED:
      return Status::Aborted(wire.message());
    case v1::STATUS_CODE_UNAVAILABLE:
      return Status::Unavailable(wire.message());
    case v1::STATUS_CODE_FAILED_PRECONDITION:
      if (!wire.reason().empty()) {
        return Status::FailedPrecondition(wire.key(), wire.reason(), wire.message());
      }
      return Status::FailedPrecondition(wire.message());
    default:
      return Status::Internal(wire.message());
  }
}

std::string WireOutcomeName(v1::Outcome outcome) {
  switch (outcome) {
    case v1::OUTCOME_NEW_RECORD:
      return "NEW_RECORD";
    case v1::OUTCOME_VERSION_WIN:
      return "VERSION_WIN";
    case v1::OUTCOME_STALE_SKIP:
      return "STALE_SKIP";
    case v1::OUTCOME_FIELD_MERGE:
      return "FIELD_MERGE";
    case v1::OUTCOME_PRIORITY_WIN:
      return "PRIORITY_WIN";
    case v1::OUTCOME_MANUAL:
      return "MANUAL";
    case v1::OUTCOME_DEFERRED:
      return "DEFERRED";
    case v1::OUTCOME_DEAD_LETTER:
      return "DEAD_LETTER";
    default:
      return "";
  }
}

namespace {

v1::EntityTagList TagListToProto(const EntityTagList& list) {
  v1::EntityTagList wire;
  wire.set_any(list.any);
  for (const EntityTag& tag : list.tags) {
    v1::EntityTag* out = wire.add_tags();
    out->set_opaque(tag.opaque);
    out->set_weak(tag.weak);
  }
  return wire;
}

EntityTagList TagListFromProto(const v1::EntityTagList& wire) {
  EntityTagList list;
  list.any = wire.any();
  for (const auto& tag : wire.tags()) list.tags.push_back(EntityTag{tag.opaque(), tag.weak()});
  return list;
}

}  // namespace

void PreconditionsToProto(const Preconditions& preconditions, v1::RecordPatch* patch) {
  if (preconditions.if_match) *patch->mutable_if_match() = TagListToProto(*preconditions.if_match);
  if (preconditions.if_none_match) {
    *patch->mutable_if_none_match() = TagListToProto(*preconditions.if_none_match);
  }
}

Preconditions PreconditionsFromProto(const v1::RecordPatch& patch) {
  Preconditions preconditions;
  if (patch.has_if_match()) preconditions.if_match = TagListFromProto(patch.if_match());
  if (patch.has_if_none_match()) {
    preconditions.if_none_match = TagListFromProto(patch.if_none_match());
  }
  return preconditions;
}

}  // namespace synchub
