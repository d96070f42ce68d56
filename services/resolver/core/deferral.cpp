#include "resolver/core/deferral.hpp"

namespace synchub {

std::vector<DeferralStep> DecideDeferrals(const BatchPlan& plan,
                                          const std::vector<int>& prior_attempts,
                                          const RetryPolicy& policy,
                                          const std::function<double()>& unit_random) {
  std::vector<DeferralStep> steps(plan.events.size());
  for (std::size_t i = 0; i < plan.events.size(); ++i) {
    if (plan.events[i].decision.outcome != Outcome::kDeferred) continue;
    DeferralStep& step = steps[i];
    step.attempts = (prior_attempts.empty() ? 0 : prior_attempts[i]) + 1;
    auto delay = RetryDelay(policy, step.attempts, unit_random());
    step.kind = delay ? DeferralStep::Kind::kRequeue : DeferralStep::Kind::kDeadLetter;
    if (delay) step.delay = *delay;
  }
  return steps;
}

}  // namespace synchub
