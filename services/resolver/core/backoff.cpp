#include "resolver/core/backoff.hpp"

namespace synchub {

std::optional<std::chrono::milliseconds> NextDeferralDelay(int attempts,
                                                           const DeferralPolicy& policy) {
  if (attempts >= policy.max_attempts) return std::nullopt;
  std::chrono::milliseconds delay = policy.initial_delay;
  for (int i = 1; i < attempts && delay < policy.max_delay; ++i) delay *= 2;
  return delay < policy.max_delay ? delay : policy.max_delay;
}

}  // namespace synchub
