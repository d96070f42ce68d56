#include "common/core/retry_policy.hpp"

#include <gtest/gtest.h>

#include "common/core/dead_letter_reason.hpp"

namespace synchub {
namespace {

using std::chrono::milliseconds;

TEST(RetryDelay, DoublesFromTheInitialDelayUpToTheCap) {
  RetryPolicy policy{milliseconds(100), milliseconds(1000), 2.0, 0.0, 0};
  EXPECT_EQ(RetryDelay(policy, 1, 0.5), milliseconds(100));
  EXPECT_EQ(RetryDelay(policy, 2, 0.5), milliseconds(200));
  EXPECT_EQ(RetryDelay(policy, 4, 0.5), milliseconds(800));
  EXPECT_EQ(RetryDelay(policy, 5, 0.5), milliseconds(1000));
  EXPECT_EQ(RetryDelay(policy, 1000, 0.5), milliseconds(1000));
}

TEST(RetryDelay, JitterOnlyShortensAndStaysWithinItsShare) {
  RetryPolicy policy{milliseconds(1000), milliseconds(8000), 2.0, 0.25, 0};
  EXPECT_EQ(RetryDelay(policy, 2, 0.0), milliseconds(2000));
  EXPECT_EQ(RetryDelay(policy, 2, 0.5), milliseconds(1750));
  for (double draw = 0; draw < 1; draw += 0.01) {
    auto delay = RetryDelay(policy, 3, draw);
    ASSERT_TRUE(delay);
    EXPECT_LE(*delay, milliseconds(4000));
    EXPECT_GE(*delay, milliseconds(3000));
  }
}

TEST(RetryDelay, GivesUpAfterMaxAttempts) {
  RetryPolicy policy{milliseconds(10), milliseconds(100), 2.0, 0.0, 3};
  EXPECT_TRUE(RetryDelay(policy, 2, 0.0));
  EXPECT_FALSE(RetryDelay(policy, 3, 0.0));
  EXPECT_FALSE(RetryDelay(policy, 4, 0.0));
}

TEST(RetryDelay, ClampsNonsense) {
  RetryPolicy policy{milliseconds(100), milliseconds(10), 0.5, 7.0, 0};
  // The cap wins over a larger initial delay; a shrinking multiplier and jitter over 1 are
  // clamped.
  EXPECT_EQ(RetryDelay(policy, 1, 0.0), milliseconds(10));
  EXPECT_EQ(RetryDelay(policy, 3, 0.0), milliseconds(10));
  EXPECT_EQ(RetryDelay(policy, 3, 2.0), milliseconds(0));
}

TEST(Backoff, CountsFailuresAndStartsOverAfterASuccess) {
  Backoff backoff(RetryPolicy{milliseconds(10), milliseconds(1000), 2.0, 0.0, 0});
  EXPECT_EQ(backoff.Failed(0), milliseconds(10));
  EXPECT_EQ(backoff.Failed(0), milliseconds(20));
  EXPECT_EQ(backoff.failures(), 2);
  backoff.Succeeded();
  EXPECT_EQ(backoff.Failed(0), milliseconds(10));
}

TEST(DeadLetterReason, NamesRoundTrip) {
  for (auto reason :
       {DeadLetterReason::kDependencyUnmet, DeadLetterReason::kEtagRetriesExhausted,
        DeadLetterReason::kDatabaseRejected, DeadLetterReason::kInternalError,
        DeadLetterReason::kConnectorPushFailed, DeadLetterReason::kConnectorApplyFailed}) {
    EXPECT_EQ(ParseDeadLetterReason(DeadLetterReasonName(reason)), reason);
  }
  EXPECT_EQ(DeadLetterReasonName(DeadLetterReason::kDependencyUnmet), "DEPENDENCY_UNMET");
  EXPECT_FALSE(ParseDeadLetterReason("dependency_unmet"));
  EXPECT_FALSE(ParseDeadLetterReason(""));
}

}  // namespace
}  // namespace synchub
