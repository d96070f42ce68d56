// Mapping between the pure core's types and the Protobuf contract (proto/synchub/v1).
// Pure: no I/O, no logging, no clock.
#pragma once

#include "common/core/catalog.hpp"
#include "common/core/entity_tags.hpp"
#include "common/core/event.hpp"
#include "common/core/event_parse.hpp"
#include "common/core/status.hpp"
#include "synchub/v1/event.pb.h"
#include "synchub/v1/resolver.pb.h"
#include "synchub/v1/status.pb.h"

namespace synchub {

// The wire form of a validated event; `fields_json` is the compact JSON of its fields.
v1::Event EventToProto(const Event& event);

// Decodes and validates a wire event with the rules of SPEC section 2 (EventFromJson).
// An empty entity reads as "client", OP_UNSPECIFIED as upsert, empty fields_json as {}.
// Returns the event, or kInvalidArgument naming the offending key ("fields" when
// fields_json is not a JSON object within the limits).
StatusOr<Event> EventFromProto(const v1::Event& wire, const Catalog& catalog,
                               const EventLimits& limits = {});

// "NEW_RECORD", ... "DEAD_LETTER" for a wire outcome; "" for none.
std::string WireOutcomeName(v1::Outcome outcome);

// Status <-> v1::Status (an OK status maps to code STATUS_CODE_OK and back).
v1::Status StatusToProto(const Status& status);

// RFC 9110 preconditions on the wire (RecordPatch.if_match / if_none_match; an absent message
// is an absent header), both ways.
void PreconditionsToProto(const Preconditions& preconditions, v1::RecordPatch* patch);
Preconditions PreconditionsFromProto(const v1::RecordPatch& patch);
Status StatusFromProto(const v1::Status& wire);

}  // namespace synchub
