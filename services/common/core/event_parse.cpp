#include "common/core/event_parse.hpp"

#include <array>
#include <string>

#include "common/core/exact_number.hpp"
#include "common/core/json_writer.hpp"

namespace synchub {
namespace {

constexpr std::array<std::string_view, 7> kReservedKeys = {
    "eventId", "entity", "externalId", "source", "version", "op", "fields"};

}  // namespace

bool IsReservedEventKey(std::string_view key) {
  for (auto reserved : kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

namespace {

bool IsReservedKey(std::string_view key) { return IsReservedEventKey(key); }

Status Invalid(std::string_view key, std::string reason, const std::string& message) {
  return Status::InvalidArgument(std::string(key), std::move(reason),
                                 std::string(key) + ": " + message);
}

// Reads a required string member. Sets *out on success.
Status RequireString(const Json& object, std::string_view key, std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) return Invalid(key, "missing", "is required");
  if (!it->is_string()) return Invalid(key, "wrong_type", "must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

// Reads an optional string member; leaves *out unchanged when absent.
Status OptionalString(const Json& object, std::string_view key, std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_string()) return Invalid(key, "wrong_type", "must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReadVersion(const Json& object, std::int64_t* out) {
  auto it = object.find("version");
  if (it == object.end()) return Invalid("version", "missing", "is required");
  const std::string range = "must be between 1 and 2^53 (9007199254740992)";
  if (it->is_number_unsigned()) {
    auto value = it->get<std::uint64_t>();
    if (value < 1 || value > static_cast<std::uint64_t>(kMaxVersion)) {
      return Invalid("version", "out_of_range", range);
    }
    *out = static_cast<std::int64_t>(value);
    return Status::Ok();
  }
  if (it->is_number_integer()) {  // signed: parsed negatives, or values built in code
    auto value = it->get<std::int64_t>();
    if (value < 1 || value > kMaxVersion) return Invalid("version", "out_of_range", range);
    *out = value;
    return Status::Ok();
  }
  if (IsExactNumber(*it) || it->is_number_float()) {
    // JSON equality makes 6.0 the integer 6; 6.5 is not an integer.
    const std::optional<std::string> whole = IntegerText(NumberText(*it));
    if (!whole) return Invalid("version", "not_integer", "must be an integer");
    const std::string& integer = *whole;
    if (CompareNumberTexts(integer, "1") < 0 ||
        CompareNumberTexts(integer, std::to_string(kMaxVersion)) > 0) {
      return Invalid("version", "out_of_range", range);
    }
    *out = std::stoll(integer);
    return Status::Ok();
  }
  return Invalid("version", "wrong_type", "must be an integer");
}

Status ReadOp(const Json& object, Op* out) {
  auto it = object.find("op");
  if (it == object.end()) return Status::Ok();
  if (!it->is_string()) return Invalid("op", "wrong_type", "must be \"upsert\" or \"delete\"");
  const auto& text = it->get_ref<const std::string&>();
  if (text == "upsert") {
    *out = Op::kUpsert;
  } else if (text == "delete") {
    *out = Op::kDelete;
  } else {
    return Invalid("op", "invalid_op", "must be \"upsert\" or \"delete\", not \"" + text + "\"");
  }
  return Status::Ok();
}

Status ReadFields(const Json& object, FieldMap* out) {
  auto fields = object.find("fields");
  if (fields != object.end()) {
    if (!fields->is_object()) return Invalid("fields", "wrong_type", "must be a JSON object");
    for (const auto& [key, value] : object.items()) {
      if (!IsReservedKey(key)) {
        return Invalid(key, "mixed_forms",
                       "unexpected top-level key; with \"fields\" given, every field goes "
                       "inside it");
      }
    }
    for (const auto& [key, value] : fields->items()) out->emplace(key, value);
    return Status::Ok();
  }
  for (const auto& [key, value] : object.items()) {
    if (!IsReservedKey(key)) out->emplace(key, value);
  }
  return Status::Ok();
}

}  // namespace

bool IsValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!alpha(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!alpha(c) && !digit(c) && c != '_') return false;
  }
  return true;
}

StatusOr<Event> ParseEvent(std::string_view body, const Catalog& catalog,
                           const EventLimits& limits) {
  auto parsed = ParseJsonStrict(body, limits.json);
  if (!parsed.ok()) return parsed.status();
  return EventFromJson(*parsed, catalog, limits);
}

StatusOr<Event> EventFromJson(const Json& value, const Catalog& catalog,
                              const EventLimits& limits) {
  if (!value.is_object()) {
    return Status::InvalidArgument("", "not_object", "the event must be a JSON object");
  }
  Event event;
  Status status = RequireString(value, "externalId", &event.external_id);
  if (status.ok()) status = RequireString(value, "source", &event.source);
  if (status.ok()) status = ReadVersion(value, &event.version);
  if (status.ok()) status = OptionalString(value, "entity", &event.entity);
  if (status.ok()) status = ReadOp(value, &event.op);
  if (status.ok()) status = OptionalString(value, "eventId", &event.event_id);
  if (status.ok()) status = ReadFields(value, &event.fields);
  if (status.ok()) status = ValidateEvent(event, catalog, limits);
  if (!status.ok()) return status;
  return event;
}

Status ValidateEvent(const Event& event, const Catalog& catalog, const EventLimits& limits) {
  if (event.external_id.empty()) return Invalid("externalId", "empty", "must not be empty");
  if (event.external_id.size() > limits.max_external_id_bytes) {
    return Invalid("externalId", "too_long",
                   "is " + std::to_string(event.external_id.size()) + " bytes; the limit is " +
                       std::to_string(limits.max_external_id_bytes));
  }
  if (event.source.empty()) return Invalid("source", "empty", "must not be empty");
  if (event.source == kOperatorSource) {
    return Invalid("source", "reserved_source",
                   "\"operator\" is reserved for people's edits: use PATCH or conflict resolution");
  }
  if (!catalog.HasSource(event.source)) {
    return Invalid("source", "unknown_source",
                   "\"" + event.source + "\" is not a registered source (source_priority)");
  }
  if (event.version < 1 || event.version > kMaxVersion) {
    return Invalid("version", "out_of_range", "must be between 1 and 2^53 (9007199254740992)");
  }
  if (event.entity.empty()) return Invalid("entity", "empty", "must not be empty");
  if (!catalog.HasEntity(event.entity)) {
    return Invalid("entity", "unknown_entity", "\"" + event.entity + "\" is not a known entity");
  }
  if (event.event_id.size() > limits.max_event_id_bytes) {
    return Invalid("eventId", "too_long",
                   "is " + std::to_string(event.event_id.size()) + " bytes; the limit is " +
                       std::to_string(limits.max_event_id_bytes));
  }
  if (event.fields.size() > limits.max_fields) {
    return Invalid("fields", "too_many_fields",
                   "has " + std::to_string(event.fields.size()) + " fields; the limit is " +
                       std::to_string(limits.max_fields));
  }
  for (const auto& [name, value] : event.fields) {
    if (!name.empty() && name[0] == '_') {
      return Invalid(name, "reserved_field", "field names starting with '_' are reserved");
    }
    if (!IsValidFieldName(name)) {
      return Invalid(name, "invalid_field_name",
                     "field names must match [A-Za-z_][A-Za-z0-9_]{0,63}");
    }
  }
  for (const auto& dependency : catalog.dependencies()) {
    if (dependency.entity != event.entity) continue;
    auto it = event.fields.find(dependency.field);
    if (it == event.fields.end() || it->second.is_null()) continue;
    auto id = ReferencedId(it->second);
    if (!id || id->empty()) {
      return Invalid(dependency.field, "invalid_reference",
                     "refers to a " + dependency.target_entity +
                         " and must be its externalId (a non-empty string or an integer)");
    }
  }
  return Status::Ok();
}

Json EventToJson(const Event& event) {
  Json fields = Json::object();
  for (const auto& [name, value] : event.fields) fields[name] = value;
  Json out = {{"entity", event.entity}, {"externalId", event.external_id},
              {"source", event.source}, {"version", event.version},
              {"op", OpName(event.op)}, {"fields", std::move(fields)}};
  if (!event.event_id.empty()) out["eventId"] = event.event_id;
  return out;
}

std::string EventJsonText(const Event& event) {
  JsonWriter writer;
  writer.BeginObject();
  if (!event.event_id.empty()) writer.Key("eventId").String(event.event_id);
  writer.Key("entity").String(event.entity);
  writer.Key("externalId").String(event.external_id);
  writer.Key("source").String(event.source);
  writer.Key("version").Int(event.version);
  writer.Key("op").String(OpName(event.op));
  writer.Key("fields").BeginObject();
  for (const auto& [name, value] : event.fields) writer.Key(name).Value(value);
  writer.EndObject();
  writer.EndObject();
  return writer.Take();
}

Event EventFromStoredJson(const Json& body) {
  Event event;
  event.event_id = body.value("eventId", "");
  event.entity = body.value("entity", "client");
  event.external_id = body.value("externalId", "");
  event.source = body.value("source", "");
  event.version = body.value("version", std::int64_t{0});
  event.op = body.value("op", "upsert") == "delete" ? Op::kDelete : Op::kUpsert;
  const Json fields = body.value("fields", Json::object());
  for (auto it = fields.begin(); it != fields.end(); ++it) event.fields.emplace(it.key(), *it);
  return event;
}

}  // namespace synchub
