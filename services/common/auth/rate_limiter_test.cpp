#include "common/auth/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiter, AllowsTheBurstThenAsksToWait) {
  RateLimiter limiter({/*per_second=*/2, /*burst=*/3});
  const auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take(1, start), 0) << i;
  EXPECT_EQ(limiter.Take(1, start), 1);
  // Another credential has its own bucket.
  EXPECT_EQ(limiter.Take(2, start), 0);
  // 500 ms later one token is back (2 a second).
  EXPECT_EQ(limiter.Take(1, start + milliseconds(500)), 0);
  EXPECT_EQ(limiter.Take(1, start + milliseconds(500)), 1);
  // Never more than the burst after a long pause.
  const auto later = start + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take(1, later), 0) << i;
  EXPECT_EQ(limiter.Take(1, later), 1);
}

TEST(RateLimiter, RetryAfterCoversTheWait) {
  RateLimiter limiter({/*per_second=*/0.25, /*burst=*/1});
  const auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(limiter.Take(1, start), 0);
  EXPECT_EQ(limiter.Take(1, start), 4);
  EXPECT_EQ(limiter.Take(1, start + std::chrono::seconds(4)), 0);
}

TEST(RateLimiter, ZeroMeansNoLimit) {
  RateLimiter limiter({0, 0});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Take(1, {}), 0);
}

}  // namespace
}  // namespace synchub
