#include "connector/core/push_decisions.hpp"

namespace synchub::connector {

RetryPolicy PushRejectionPolicy(int first_delay_ms) {
  return RetryPolicy{std::chrono::milliseconds(first_delay_ms), std::chrono::milliseconds(60000),
                     2.0, 0.2, kMaxPushAttempts};
}

PushStep DecidePush(PushAnswer answer, int failures_before, const RetryPolicy& rejection_policy,
                    double unit_random) {
  switch (answer) {
    case PushAnswer::kDecided:
      return {PushStep::Kind::kSent, std::chrono::milliseconds(0), false};
    case PushAnswer::kDeferred:
      return {PushStep::Kind::kRetryLater, kAskAgainDelay, false};
    case PushAnswer::kNotDecided:
      return {PushStep::Kind::kRetryLater, kNotDecidedDelay, false};
    case PushAnswer::kRejected:
      break;
  }
  auto delay = RetryDelay(rejection_policy, failures_before + 1, unit_random);
  if (!delay) return {PushStep::Kind::kPark, std::chrono::milliseconds(0), true};
  return {PushStep::Kind::kRetryLater, *delay, true};
}

bool AnswerEqualsSent(const Json& sent_fields, std::int64_t sent_version, bool sent_upsert,
                      const std::vector<std::string>& mapped_fields, const Json& record) {
  if (!sent_upsert || !sent_fields.is_object() || !record.is_object()) return false;
  if (record.value("deleted", false) || !record.contains("version") ||
      !record["version"].is_number_integer() ||
      record["version"].get<std::int64_t>() != sent_version) {
    return false;
  }
  const Json fields = record.value("fields", Json::object());
  if (!fields.is_object()) return false;
  for (const auto& name : mapped_fields) {
    auto sent = sent_fields.find(name);
    if (sent == sent_fields.end()) return false;  // a partial update: the row holds more
    auto held = fields.find(name);
    if (!JsonEqual(*sent, held == fields.end() ? Json() : *held)) return false;
  }
  return true;
}

}  // namespace synchub::connector
