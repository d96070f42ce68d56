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

}  // namespace synchub::connector
