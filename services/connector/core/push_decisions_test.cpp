#include "connector/core/push_decisions.hpp"

#include <gtest/gtest.h>

namespace synchub::connector {
namespace {

using std::chrono::milliseconds;

TEST(DecidePush, DecidedChangesAreSentAndUndecidedOnesAskedAgain) {
  const RetryPolicy policy = PushRejectionPolicy(1000);
  EXPECT_EQ(DecidePush(PushAnswer::kDecided, 3, policy, 0).kind, PushStep::Kind::kSent);
  PushStep deferred = DecidePush(PushAnswer::kDeferred, 0, policy, 0);
  EXPECT_EQ(deferred.kind, PushStep::Kind::kRetryLater);
  EXPECT_EQ(deferred.delay, milliseconds(2000));
  EXPECT_FALSE(deferred.counts_as_failure);
  PushStep away = DecidePush(PushAnswer::kNotDecided, 4, policy, 0);
  EXPECT_EQ(away.kind, PushStep::Kind::kRetryLater);  // never parked for the hub's absence
  EXPECT_EQ(away.delay, milliseconds(1000));
  EXPECT_FALSE(away.counts_as_failure);
}

TEST(DecidePush, RejectionsBackOffAndTheFifthParks) {
  const RetryPolicy policy = PushRejectionPolicy(1000);
  for (int before = 0; before < 4; ++before) {
    PushStep step = DecidePush(PushAnswer::kRejected, before, policy, 0);
    EXPECT_EQ(step.kind, PushStep::Kind::kRetryLater) << before;
    EXPECT_EQ(step.delay, milliseconds(1000 << before)) << before;
    EXPECT_TRUE(step.counts_as_failure);
  }
  PushStep fifth = DecidePush(PushAnswer::kRejected, 4, policy, 0);
  EXPECT_EQ(fifth.kind, PushStep::Kind::kPark);
  EXPECT_TRUE(fifth.counts_as_failure);
}

}  // namespace
}  // namespace synchub::connector
