// Parsing and validating events (SPEC section 2). Pure: no I/O, no clock.
//
// Two JSON forms are accepted:
//   canonical: {"eventId"?, "entity"?, "externalId", "source", "version", "op"?, "fields": {...}}
//   flat (the seed's): every top-level key that is not reserved is a field:
//              {"externalId":"CUST-004","source":"CRM","version":6,"fullName":"David Brown"}
// Reserved keys: eventId, entity, externalId, source, version, op, fields. Mixing the forms
// (a "fields" object plus other non-reserved keys) is rejected, naming the stray key.
#pragma once

#include <string_view>

#include "common/core/catalog.hpp"
#include "common/core/event.hpp"
#include "common/core/json.hpp"
#include "common/core/status.hpp"

namespace synchub {

struct EventLimits {
  JsonLimits json;  // body size and nesting depth
  std::size_t max_external_id_bytes = 256;
  std::size_t max_event_id_bytes = 256;
  std::size_t max_fields = 256;
};

// Returns true when `name` is a valid user field name: [A-Za-z][A-Za-z0-9_]{0,63}.
bool IsValidFieldName(std::string_view name);

// True for the keys of an event that are not fields in the flat form (SPEC section 1):
// eventId, entity, externalId, source, version, op, fields.
bool IsReservedEventKey(std::string_view key);

// Parses and validates one event body against `catalog`.
// On success returns the event, `entity` defaulted to "client", `op` to upsert.
// On failure returns kInvalidArgument whose key() names the offending key and whose reason()
// is one of: body_too_large, invalid_json, too_deep, duplicate_key, not_object, missing,
// wrong_type, empty, too_long, not_integer, out_of_range, unknown_source, unknown_entity,
// invalid_op, invalid_field_name, reserved_field, too_many_fields, mixed_forms,
// invalid_reference.
StatusOr<Event> ParseEvent(std::string_view body, const Catalog& catalog,
                           const EventLimits& limits = {});

// The same checks on an already-parsed JSON value (depth is not re-checked).
StatusOr<Event> EventFromJson(const Json& value, const Catalog& catalog,
                              const EventLimits& limits = {});

// Validates an event that arrived already structured (e.g. decoded from Protobuf):
// the same rules as EventFromJson. Returns OK or kInvalidArgument as above.
Status ValidateEvent(const Event& event, const Catalog& catalog, const EventLimits& limits = {});

// The canonical JSON form of `event` (always with "fields"; "eventId" only when set).
Json EventToJson(const Event& event);

// Decodes an event the hub stored itself (EventToJson's form) without validating it again:
// the catalog may have changed since it was accepted. Missing keys take their defaults.
Event EventFromStoredJson(const Json& body);

// EventToJson(event).dump(), written directly (the same value; faster on hot paths).
std::string EventJsonText(const Event& event);

}  // namespace synchub
