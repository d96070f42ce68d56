#include "connector/core/sync_decisions.hpp"

#include <gtest/gtest.h>

namespace synchub::connector {
namespace {

TEST(DecideInbound, AppliesNewerAndEqualStatesSkipsOlderOnes) {
  KeyState key{.applied_etag = 5, .local_pending = false, .held_etag = 0};
  EXPECT_EQ(DecideInbound(key, 6), InboundAction::kApply);
  EXPECT_EQ(DecideInbound(key, 5), InboundAction::kApply);  // a re-sent state restores the copy
  EXPECT_EQ(DecideInbound(key, 4), InboundAction::kSkipOlder);
  EXPECT_EQ(DecideInbound(KeyState{}, 1), InboundAction::kApply);
}

TEST(DecideInbound, HoldsWhileALocalChangeIsPending) {
  KeyState key{.applied_etag = 5, .local_pending = true, .held_etag = 0};
  EXPECT_EQ(DecideInbound(key, 6), InboundAction::kHold);
  EXPECT_EQ(DecideInbound(key, 4), InboundAction::kSkipOlder);
}

TEST(StateToApplyOnAnswer, TheNewestOfTheHeldAndTheAnswerOnceNothingIsPending) {
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 0}, 7), 7);
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 9}, 7), 9);  // held after the answer's state
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 6}, 7), 7);
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 0}, 5), 5);  // same state: restores the copy
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 0}, 3), 0);  // a duplicate's older answer
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 0}, 0), 0);  // no state in the answer
  EXPECT_EQ(StateToApplyOnAnswer({5, false, 8}, 0), 8);  // rejected: the held state applies
  EXPECT_EQ(StateToApplyOnAnswer({5, true, 8}, 9), 0);   // another local change in flight
}

TEST(ParkAnyFailure, AfterFiveFailedAttempts) {
  EXPECT_FALSE(ParkAnyFailure(4));
  EXPECT_TRUE(ParkAnyFailure(5));
}

}  // namespace
}  // namespace synchub::connector
