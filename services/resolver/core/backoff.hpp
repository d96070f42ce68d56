// The retry schedule of DEFERRED events (SPEC section 3, rung 0). Pure.
#pragma once

#include <chrono>
#include <optional>

namespace synchub {

struct DeferralPolicy {
  std::chrono::milliseconds initial_delay{1000};  // before the 2nd attempt
  std::chrono::milliseconds max_delay{60000};     // the doubling stops here
  int max_attempts = 10;                          // attempts in all, the first included
};

// After `attempts` attempts (>= 1) that all came out DEFERRED: the delay before the next
// one (initial_delay * 2^(attempts-1), capped at max_delay), or nullopt when the attempts
// are used up and the event becomes a dead letter (DEPENDENCY_UNMET).
std::optional<std::chrono::milliseconds> NextDeferralDelay(int attempts,
                                                           const DeferralPolicy& policy);

}  // namespace synchub
