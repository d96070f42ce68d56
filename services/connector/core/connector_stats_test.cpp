#include "connector/core/connector_stats.hpp"

#include <gtest/gtest.h>

namespace synchub::connector {
namespace {

TEST(PushedOutcomeLabelTest, DecidedRowsCarryTheHubsOutcome) {
  EXPECT_EQ(PushedOutcomeLabel(PushAnswer::kDecided, "NEW_RECORD"), "NEW_RECORD");
  EXPECT_EQ(PushedOutcomeLabel(PushAnswer::kDecided, "DEAD_LETTER"), "DEAD_LETTER");
  EXPECT_EQ(PushedOutcomeLabel(PushAnswer::kDecided, ""), "DECIDED");
}

TEST(PushedOutcomeLabelTest, UndecidedRowsSayWhy) {
  // The hub's outcome is ignored unless the row was decided.
  EXPECT_EQ(PushedOutcomeLabel(PushAnswer::kDeferred, "DEFERRED"), "DEFERRED");
  EXPECT_EQ(PushedOutcomeLabel(PushAnswer::kRejected, "NEW_RECORD"), "REJECTED");
  EXPECT_EQ(PushedOutcomeLabel(PushAnswer::kNotDecided, ""), "NOT_DECIDED");
}

TEST(SecondsBetweenTest, CountsForwardAndNeverBelowZero) {
  ManualClock clock;
  const auto start = clock.Now();
  clock.Advance(std::chrono::milliseconds(2500));
  EXPECT_DOUBLE_EQ(SecondsBetween(start, clock.Now()), 2.5);
  EXPECT_DOUBLE_EQ(SecondsBetween(clock.Now(), start), 0.0);
  EXPECT_DOUBLE_EQ(SecondsBetween(start, start), 0.0);
}

}  // namespace
}  // namespace synchub::connector
