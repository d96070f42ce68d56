// The deferral schedule of DEFERRED events (SPEC section 3, rung 0): what happens next to an
// event whose dependency is missing. Pure; decided in the app layer (BatchResolver), carried
// out by the pg adapter (PgHubTransaction::WritePlan).
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "common/core/retry_policy.hpp"
#include "resolver/core/batch_plan.hpp"

namespace synchub {

// SPEC section 3's defaults: 1 s doubling to 60 s, 10 attempts in all, no jitter (the
// re-run is woken early anyway when the dependency is written).
inline RetryPolicy DefaultDeferralPolicy() {
  return RetryPolicy{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000), 2.0, 0.0,
                     10};
}

struct DeferralStep {
  enum class Kind {
    kNone,        // the event was decided (not DEFERRED)
    kRequeue,     // keep it durably; re-run after `delay` or when its dependency is written
    kDeadLetter,  // out of attempts: dead letter DEPENDENCY_UNMET
  };
  Kind kind = Kind::kNone;
  int attempts = 0;  // attempts so far, this one included
  std::chrono::milliseconds delay{0};
};

// One step per plan event, in order: kNone unless the ladder deferred it. `prior_attempts[i]`
// (empty: all 0) is plan.events[i]'s attempts before this one; `unit_random` is called once
// per deferred event for its jitter (RetryDelay: a value in [0, 1)).
// Thread safety: none needed (pure).
std::vector<DeferralStep> DecideDeferrals(const BatchPlan& plan,
                                          const std::vector<int>& prior_attempts,
                                          const RetryPolicy& policy,
                                          const std::function<double()>& unit_random);

}  // namespace synchub
