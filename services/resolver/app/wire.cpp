#include "resolver/app/wire.hpp"

namespace synchub {

v1::ResolutionResult ResultToProto(const EventResult& result) {
  v1::ResolutionResult wire;
  wire.set_event_id(result.event_id);
  if (!result.error.ok()) {
    *wire.mutable_error() = StatusToProto(result.error);
    return wire;
  }
  if (result.dead_letter_reason) {
    wire.set_outcome(v1::OUTCOME_DEAD_LETTER);
    wire.set_dead_letter_reason(std::string(DeadLetterReasonName(*result.dead_letter_reason)));
  } else if (result.outcome) {
    wire.set_outcome(static_cast<v1::Outcome>(static_cast<int>(*result.outcome) + 1));
  }
  wire.set_changed(result.changed);
  wire.set_record_json(result.record_json);
  wire.set_etag(result.etag);
  for (const auto& field : result.conflicting_fields) wire.add_conflicting_fields(field);
  wire.set_conflict_id(result.conflict_id);
  wire.set_duplicate(result.duplicate);
  wire.set_log_seq(result.log_seq);
  return wire;
}

EventResult ErrorResult(const std::string& event_id, Status error) {
  EventResult result;
  result.event_id = event_id;
  result.error = std::move(error);
  return result;
}

}  // namespace synchub
