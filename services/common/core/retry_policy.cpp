#include "common/core/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace synchub {

std::optional<std::chrono::milliseconds> RetryDelay(const RetryPolicy& policy, int attempts,
                                                    double unit_random) {
  if (policy.max_attempts > 0 && attempts >= policy.max_attempts) return std::nullopt;
  const double initial =
      static_cast<double>(std::max<std::int64_t>(0, policy.initial_delay.count()));
  const double cap = static_cast<double>(std::max<std::int64_t>(0, policy.max_delay.count()));
  const double multiplier = std::max(1.0, policy.multiplier);
  double nominal = initial;
  for (int i = 1; i < attempts && nominal < cap; ++i) nominal *= multiplier;
  nominal = std::min(nominal, cap);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double draw = std::clamp(unit_random, 0.0, 1.0);
  const double delay = nominal * (1.0 - jitter * draw);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(delay)));
}

}  // namespace synchub
