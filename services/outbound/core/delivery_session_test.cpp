#include "outbound/core/delivery_session.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

using std::chrono::milliseconds;

QueuedChange Change(std::uint64_t xid, std::int64_t seq) {
  QueuedChange change;
  change.position = {xid, seq};
  change.entity = "client";
  change.external_id = "C" + std::to_string(seq);
  return change;
}

TEST(DeliverySession, ResumesAtTheAcknowledgedPositionWithAtLeastOneCredit) {
  ManualClock clock;
  DeliverySession session("id-1", 0, {7, 40}, clock.Now());
  EXPECT_EQ(session.delivered(), (OutboundPosition{7, 40}));
  EXPECT_EQ(session.Room(500), 1);
  EXPECT_FALSE(session.has_in_flight());
}

TEST(DeliverySession, CreditLimitsWhatIsInFlight) {
  ManualClock clock;
  DeliverySession session("id-1", 3, {}, clock.Now());
  EXPECT_EQ(session.Room(2), 2);  // max_batch caps it
  session.Delivered({Change(1, 1), Change(1, 2)}, {1, 2}, clock.Now());
  EXPECT_EQ(session.Room(500), 1);
  session.Delivered({Change(2, 3)}, {2, 3}, clock.Now());
  EXPECT_EQ(session.Room(500), 0);
}

TEST(DeliverySession, AnAckIsCumulativeAndCoversSkippedPositions) {
  ManualClock clock;
  DeliverySession session("id-1", 10, {}, clock.Now());
  // Read up to (3, 9); positions 4..9 were older changes of the records sent.
  session.Delivered({Change(1, 1), Change(2, 3)}, {3, 9}, clock.Now());
  auto acked = session.Acked(3, 10, clock.Now());
  ASSERT_TRUE(acked);
  EXPECT_EQ(*acked, (OutboundPosition{3, 9}));
  EXPECT_FALSE(session.has_in_flight());
  session.CursorSaved(*acked);
  EXPECT_EQ(session.acked(), (OutboundPosition{3, 9}));
}

TEST(DeliverySession, AnAckOfNoChangeInFlightMovesNothingButTakesTheCredit) {
  ManualClock clock;
  DeliverySession session("id-1", 2, {}, clock.Now());
  session.Delivered({Change(1, 1), Change(1, 2)}, {1, 2}, clock.Now());
  EXPECT_FALSE(session.Acked(99, 5, clock.Now()));
  EXPECT_TRUE(session.has_in_flight());
  EXPECT_EQ(session.Room(500), 3);
  auto first = session.Acked(1, 5, clock.Now());
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (OutboundPosition{1, 1}));
  EXPECT_TRUE(session.has_in_flight());  // seq 2 is still out
}

TEST(DeliverySession, EndsAfterSilenceOrAFailedSendAndAsksForHeartbeats) {
  ManualClock clock;
  DeliverySession session("id-1", 1, {}, clock.Now());
  clock.Advance(milliseconds(999));
  EXPECT_FALSE(session.HeartbeatDue(clock.Now(), milliseconds(1000)));
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(session.HeartbeatDue(clock.Now(), milliseconds(1000)));
  session.Sent(clock.Now());
  EXPECT_FALSE(session.HeartbeatDue(clock.Now(), milliseconds(1000)));
  clock.Advance(milliseconds(2001));
  EXPECT_TRUE(session.Over(clock.Now(), milliseconds(3000)));
  session.Heard(clock.Now());
  EXPECT_FALSE(session.Over(clock.Now(), milliseconds(3000)));
  session.End();
  EXPECT_TRUE(session.Over(clock.Now(), milliseconds(3000)));
}

}  // namespace
}  // namespace synchub
