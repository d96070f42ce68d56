#include "resolver/core/idempotency.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

using Kind = KeyVerdict::Kind;

KeyedEvent Keyed(std::string source, std::string id, std::string digest, bool rerun = false) {
  return {{std::move(source), std::move(id)}, std::move(digest), rerun};
}

std::vector<Kind> Kinds(const std::vector<KeyVerdict>& verdicts) {
  std::vector<Kind> kinds;
  for (const auto& verdict : verdicts) kinds.push_back(verdict.kind);
  return kinds;
}

TEST(CheckKeysTest, NewKeysAreFresh) {
  EXPECT_EQ(Kinds(CheckKeys({Keyed("CRM", "E1", "a"), Keyed("CRM", "E2", "b")}, {}, {})),
            (std::vector<Kind>{Kind::kFresh, Kind::kFresh}));
}

TEST(CheckKeysTest, TheSameIdFromTwoSourcesIsTwoEvents) {
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "a"}};
  const std::map<EventKey, EventResult> decided = {{{"CRM", "E1"}, EventResult{}}};
  EXPECT_EQ(
      Kinds(CheckKeys({Keyed("ERP", "E1", "other"), Keyed("Portal", "E1", "x")}, known, decided)),
      (std::vector<Kind>{Kind::kFresh, Kind::kFresh}));
}

TEST(CheckKeysTest, ResendWithTheSameContentIsADuplicate) {
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "a"}};
  const std::map<EventKey, EventResult> decided = {{{"CRM", "E1"}, EventResult{}}};
  EXPECT_EQ(Kinds(CheckKeys({Keyed("CRM", "E1", "a")}, known, decided)),
            (std::vector<Kind>{Kind::kDuplicate}));
}

TEST(CheckKeysTest, OtherContentUnderAKnownKeyIsRefused) {
  const std::map<EventKey, std::string> known = {{{"CRM", "DUP-1"}, "first"}};
  const std::map<EventKey, EventResult> decided = {{{"CRM", "DUP-1"}, EventResult{}}};
  auto verdicts = CheckKeys({Keyed("CRM", "DUP-1", "SECOND")}, known, decided);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].kind, Kind::kReused);
  EXPECT_EQ(verdicts[0].kept_digest, "first");
  // Refused even when the first event's decision is gone (a replayed dead letter).
  EXPECT_EQ(CheckKeys({Keyed("CRM", "DUP-1", "SECOND")}, known, {})[0].kind, Kind::kReused);
}

TEST(CheckKeysTest, AKeptKeyWhoseDecisionIsGoneIsResolvedAgainWithTheSameContent) {
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "a"}};
  EXPECT_EQ(CheckKeys({Keyed("CRM", "E1", "a")}, known, {})[0].kind, Kind::kFresh);
}

TEST(CheckKeysTest, ADecidedKeyWithoutADigestIsADuplicate) {
  const std::map<EventKey, EventResult> decided = {{{"CRM", "E1"}, EventResult{}}};
  EXPECT_EQ(CheckKeys({Keyed("CRM", "E1", "a")}, {}, decided)[0].kind, Kind::kDuplicate);
}

TEST(CheckKeysTest, RepeatsInOneBatch) {
  auto verdicts = CheckKeys(
      {Keyed("CRM", "E1", "a"), Keyed("CRM", "E1", "a"), Keyed("CRM", "E1", "b")}, {}, {});
  EXPECT_EQ(Kinds(verdicts), (std::vector<Kind>{Kind::kFresh, Kind::kRepeat, Kind::kReused}));
  EXPECT_EQ(verdicts[1].first, 0u);
  EXPECT_EQ(verdicts[2].kept_digest, "a");
  // A repeat of a refused reuse is refused against the kept digest.
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "k"}};
  auto again = CheckKeys({Keyed("CRM", "E1", "b"), Keyed("CRM", "E1", "c")}, known, {});
  EXPECT_EQ(Kinds(again), (std::vector<Kind>{Kind::kReused, Kind::kReused}));
  EXPECT_EQ(again[1].kept_digest, "k");
}

TEST(CheckKeysTest, RerunsOfDeferredEventsAreFresh) {
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "a"}};
  const std::map<EventKey, EventResult> decided = {{{"CRM", "E1"}, EventResult{}}};
  EXPECT_EQ(CheckKeys({Keyed("CRM", "E1", "a", true)}, known, decided)[0].kind, Kind::kFresh);
}

}  // namespace
}  // namespace synchub
