#include "outbound/core/reverse_load.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

CursorState Known() {
  CursorState cursor;
  cursor.exists = true;
  cursor.position = {10, 5};
  return cursor;
}

TEST(DecideSubscribe, AFirstSubscriptionStartsALoad) {
  EXPECT_EQ(DecideSubscribe(CursorState{}, std::nullopt).start, SessionStart::kStartLoad);
  EXPECT_EQ(DecideSubscribe(CursorState{}, false).reason, "first subscription");
}

TEST(DecideSubscribe, AKnownSourceStreams) {
  EXPECT_EQ(DecideSubscribe(Known(), std::nullopt).start, SessionStart::kStream);
  EXPECT_EQ(DecideSubscribe(Known(), true).start, SessionStart::kStream);
}

TEST(DecideSubscribe, ASourceAheadOfTheLogIsReloaded) {
  const SubscribeDecision decision = DecideSubscribe(Known(), false);
  EXPECT_EQ(decision.start, SessionStart::kStartLoad);
  EXPECT_NE(decision.reason.find("ahead"), std::string::npos);
}

TEST(DecideSubscribe, ARequestedReloadStarts) {
  CursorState cursor = Known();
  cursor.reload_requested = true;
  EXPECT_EQ(DecideSubscribe(cursor, true).start, SessionStart::kStartLoad);
  EXPECT_EQ(DecideSubscribe(cursor, true).reason, "reload requested");
}

TEST(DecideSubscribe, ALoadInProgressResumesWhateverElseHolds) {
  CursorState cursor = Known();
  cursor.load_in_progress = true;
  cursor.load_reason = "first subscription";
  cursor.reload_requested = true;
  EXPECT_EQ(DecideSubscribe(cursor, false).start, SessionStart::kResumeLoad);
  EXPECT_EQ(DecideSubscribe(cursor, false).reason, "first subscription");
}

}  // namespace
}  // namespace synchub
