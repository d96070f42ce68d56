// RateLimiter: a token bucket per credential, as Dataverse's service-protection limits
// answer 429 with Retry-After (RFC 6585 section 4, RFC 9110 section 10.2.3).
//
// Each credential may make `burst` requests at once and `per_second` a second on average.
// The clock is injected (`now`, any monotonic time point): no clock reads here.
//
// Thread safety: Take() may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace synchub {

struct RateLimit {
  double per_second = 0;  // 0: no limit
  double burst = 0;       // bucket size; REQUIRES burst >= 1 when per_second > 0
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit RateLimiter(RateLimit limit);

  // Takes one request from `credential_id`'s bucket. Returns 0 when it may go on, else the
  // whole seconds (>= 1) after which a request will be allowed (the Retry-After value).
  int Take(std::int64_t credential_id, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint refilled;
  };
  const RateLimit limit_;
  std::mutex mutex_;
  std::unordered_map<std::int64_t, Bucket> buckets_;
};

}  // namespace synchub
