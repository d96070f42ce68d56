#include "connector/core/sync_decisions.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

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

// DecideLoad: a reverse load of a canonical state with version 4, against what is held here.
constexpr std::int64_t kLoaded = 4;
const KeyState kNeverApplied{.applied_etag = 0, .local_pending = false, .held_etag = 0};
const KeyState kApplied{.applied_etag = 40, .local_pending = false, .held_etag = 0};
const KeyState kPending{.applied_etag = 40, .local_pending = true, .held_etag = 0};
LocalCopy RowAt(std::int64_t version) { return {.row_version = version, .tombstone_version = {}}; }
LocalCopy DeletedAt(std::int64_t version) {
  return {.row_version = std::nullopt, .tombstone_version = version};
}

TEST(DecideLoad, HoldsWhileALocalChangeIsPendingWhateverIsHeld) {
  const KeyState pending_never_applied{.applied_etag = 0, .local_pending = true, .held_etag = 0};
  for (const LocalCopy& local :
       {RowAt(3), RowAt(4), RowAt(5), DeletedAt(3), DeletedAt(5), LocalCopy{},
        LocalCopy{.row_version = 5, .tombstone_version = 2}}) {
    for (bool deleted : {false, true}) {
      EXPECT_EQ(DecideLoad(kPending, local, kLoaded, deleted), LoadAction::kHold);
      EXPECT_EQ(DecideLoad(pending_never_applied, local, kLoaded, deleted), LoadAction::kHold);
    }
  }
}

TEST(DecideLoad, KeepsALocalRowNewerThanTheCanonicalState) {
  for (const KeyState& key : {kNeverApplied, kApplied}) {
    EXPECT_EQ(DecideLoad(key, RowAt(5), kLoaded, false), LoadAction::kKeepLocal);
    EXPECT_EQ(DecideLoad(key, RowAt(5), kLoaded, true), LoadAction::kKeepLocal);
  }
}

TEST(DecideLoad, KeepsTheSameVersionNeverAppliedFromTheHub) {
  // A populated table attached: its row never synced, the ladder decides when it is sent.
  EXPECT_EQ(DecideLoad(kNeverApplied, RowAt(4), kLoaded, false), LoadAction::kKeepLocal);
}

TEST(DecideLoad, AppliesTheSameVersionOnceAStateWasAppliedFromTheHub) {
  EXPECT_EQ(DecideLoad(kApplied, RowAt(4), kLoaded, false), LoadAction::kApply);
}

TEST(DecideLoad, AppliesACanonicalDeleteOfTheSameVersion) {
  EXPECT_EQ(DecideLoad(kNeverApplied, RowAt(4), kLoaded, true), LoadAction::kApply);
  EXPECT_EQ(DecideLoad(kApplied, RowAt(4), kLoaded, true), LoadAction::kApply);
}

TEST(DecideLoad, AppliesOverAnOlderLocalRow) {
  for (const KeyState& key : {kNeverApplied, kApplied}) {
    for (bool deleted : {false, true}) {
      EXPECT_EQ(DecideLoad(key, RowAt(3), kLoaded, deleted), LoadAction::kApply);
      EXPECT_EQ(DecideLoad(key, RowAt(0), kLoaded, deleted), LoadAction::kApply);  // NULL version
    }
  }
}

TEST(DecideLoad, KeepsALocalDeleteNewerThanALiveCanonicalState) {
  EXPECT_EQ(DecideLoad(kNeverApplied, DeletedAt(5), kLoaded, false), LoadAction::kKeepLocal);
  EXPECT_EQ(DecideLoad(kApplied, DeletedAt(5), kLoaded, false), LoadAction::kKeepLocal);
}

TEST(DecideLoad, AppliesACanonicalDeleteOverANewerLocalDelete) {
  EXPECT_EQ(DecideLoad(kNeverApplied, DeletedAt(5), kLoaded, true), LoadAction::kApply);
  EXPECT_EQ(DecideLoad(kApplied, DeletedAt(5), kLoaded, true), LoadAction::kApply);
}

TEST(DecideLoad, AppliesOverALocalDeleteNotNewerThanTheCanonicalState) {
  for (bool deleted : {false, true}) {
    EXPECT_EQ(DecideLoad(kApplied, DeletedAt(4), kLoaded, deleted), LoadAction::kApply);
    EXPECT_EQ(DecideLoad(kApplied, DeletedAt(3), kLoaded, deleted), LoadAction::kApply);
    EXPECT_EQ(DecideLoad(kNeverApplied, DeletedAt(4), kLoaded, deleted), LoadAction::kApply);
  }
}

TEST(DecideLoad, AppliesWhenNeitherARowNorATombstoneIsHeld) {
  for (const KeyState& key : {kNeverApplied, kApplied}) {
    EXPECT_EQ(DecideLoad(key, LocalCopy{}, kLoaded, false), LoadAction::kApply);
    EXPECT_EQ(DecideLoad(key, LocalCopy{}, kLoaded, true), LoadAction::kApply);
  }
}

TEST(DecideLoad, AnExistingRowDecidesOverTheKeysTombstone) {
  // A row inserted again after its delete: the row's version is what is compared.
  EXPECT_EQ(DecideLoad(kApplied, {.row_version = 6, .tombstone_version = 5}, kLoaded, false),
            LoadAction::kKeepLocal);
  EXPECT_EQ(DecideLoad(kApplied, {.row_version = 3, .tombstone_version = 2}, kLoaded, false),
            LoadAction::kApply);
  EXPECT_EQ(DecideLoad(kApplied, {.row_version = 3, .tombstone_version = 9}, kLoaded, false),
            LoadAction::kApply);
}

TEST(DecideLoad, NeverKeepsALocalCopyOlderThanTheCanonicalState) {
  // The header's invariants over every small combination: pending holds; an older or absent
  // local copy is replaced; what is kept is never older than the canonical state.
  const std::vector<std::optional<std::int64_t>> versions = {std::nullopt, 0, 3, 4, 5};
  for (bool pending : {false, true}) {
    for (std::int64_t applied : {0, 40}) {
      for (const auto& row : versions) {
        for (const auto& tombstone : versions) {
          for (bool deleted : {false, true}) {
            const KeyState key{.applied_etag = applied, .local_pending = pending, .held_etag = 0};
            const LocalCopy local{.row_version = row, .tombstone_version = tombstone};
            const LoadAction action = DecideLoad(key, local, kLoaded, deleted);
            SCOPED_TRACE(testing::Message() << "pending=" << pending << " applied=" << applied
                                            << " row=" << row.value_or(-1) << " tombstone="
                                            << tombstone.value_or(-1) << " deleted=" << deleted);
            if (pending) {
              EXPECT_EQ(action, LoadAction::kHold);
              continue;
            }
            EXPECT_NE(action, LoadAction::kHold);
            const std::int64_t held = row ? *row : tombstone.value_or(-1);
            if (held < kLoaded) {
              EXPECT_EQ(action, LoadAction::kApply);
            }
            if (action == LoadAction::kKeepLocal) {
              EXPECT_GE(held, kLoaded);
            }
          }
        }
      }
    }
  }
}

TEST(ParkAnyFailure, AfterFiveFailedAttempts) {
  EXPECT_FALSE(ParkAnyFailure(4));
  EXPECT_TRUE(ParkAnyFailure(5));
}

}  // namespace
}  // namespace synchub::connector
