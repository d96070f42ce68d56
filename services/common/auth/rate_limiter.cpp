#include "common/auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace synchub {

RateLimiter::RateLimiter(RateLimit limit) : limit_(limit) {}

int RateLimiter::Take(std::int64_t credential_id, TimePoint now) {
  if (limit_.per_second <= 0) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [found, inserted] = buckets_.try_emplace(credential_id, Bucket{limit_.burst, now});
  Bucket& bucket = found->second;
  if (!inserted && now > bucket.refilled) {
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
    bucket.refilled = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return 0;
  }
  const double wait = (1 - bucket.tokens) / limit_.per_second;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

}  // namespace synchub
