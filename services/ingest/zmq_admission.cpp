#include "ingest/zmq_admission.hpp"

#include "common/core/json.hpp"

namespace synchub {

std::optional<Refusal> AdmitZmqRequest(const Identity& sender, v1::ResolverRequest* request) {
  switch (request->body_case()) {
    case v1::ResolverRequest::kSubmit:
      for (v1::Event& event : *request->mutable_submit()->mutable_events()) {
        if (auto refused = Refuse(sender, Action::kSubmitAs, event.source())) return refused;
      }
      for (v1::Event& event : *request->mutable_submit()->mutable_events()) {
        event.set_credential_id(sender.credential_id);
      }
      return std::nullopt;
    case v1::ResolverRequest::kReport: {
      const Json event = TryParseStoredJson(request->report().event_json());
      const std::string source =
          event.is_object() && event.contains("source") && event["source"].is_string()
              ? event["source"].get<std::string>()
              : std::string();
      return Refuse(sender, Action::kSubmitAs, source);
    }
    case v1::ResolverRequest::kPing:
      return std::nullopt;
    case v1::ResolverRequest::kOperatorWrite:
      if (IsInsecure(sender)) return std::nullopt;
      return Refusal{"body", "operators write through the HTTP API (PATCH, resolve), not ZeroMQ"};
    case v1::ResolverRequest::BODY_NOT_SET:
      break;
  }
  return Refusal{"body", "not a synchub.v1.ResolverRequest"};
}

}  // namespace synchub
