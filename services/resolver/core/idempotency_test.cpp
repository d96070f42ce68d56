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

// Found by a fresh-eyes test: 16 concurrent sends of a decided key, 8 with its content and 8
// with other content, landed in one batch; a resend after a refused one was compared with the
// refused one and refused too (409 event_id_reused for an event that had been applied).
TEST(CheckKeysTest, AResendIsADuplicateEvenAfterARefusedReuseInTheSameBatch) {
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "k"}};
  const std::map<EventKey, EventResult> decided = {{{"CRM", "E1"}, EventResult{}}};
  auto verdicts = CheckKeys(
      {Keyed("CRM", "E1", "x"), Keyed("CRM", "E1", "k"), Keyed("CRM", "E1", "k")}, known, decided);
  EXPECT_EQ(Kinds(verdicts), (std::vector<Kind>{Kind::kReused, Kind::kDuplicate, Kind::kRepeat}));
  EXPECT_EQ(verdicts[0].kept_digest, "k");
  EXPECT_EQ(verdicts[2].first, 1u);
  // A kept key whose decision is gone: the first event with its content is resolved once.
  EXPECT_EQ(
      Kinds(CheckKeys({Keyed("CRM", "E1", "x"), Keyed("CRM", "E1", "k"), Keyed("CRM", "E1", "k")},
                      known, {})),
      (std::vector<Kind>{Kind::kReused, Kind::kFresh, Kind::kRepeat}));
}

// Every batch of up to 4 events of one key over three contents, with the key known (decided or
// not) or new: an event with the named content is never refused, any other content always is,
// and at most one event per key is resolved or answered first.
TEST(CheckKeysTest, EveryBatchOfOneKeyIsJudgedAgainstTheNamedContent) {
  const std::vector<std::string> contents = {"k", "x", "y"};
  for (int known_case = 0; known_case < 3; ++known_case) {
    std::map<EventKey, std::string> known;
    std::map<EventKey, EventResult> decided;
    if (known_case > 0) known[{"CRM", "E1"}] = "k";
    if (known_case == 2) decided[{"CRM", "E1"}] = EventResult{};
    for (int length = 1; length <= 4; ++length) {
      int combinations = 1;
      for (int n = 0; n < length; ++n) combinations *= 3;
      for (int code = 0; code < combinations; ++code) {
        std::vector<KeyedEvent> batch;
        for (int n = 0, c = code; n < length; ++n, c /= 3) {
          batch.push_back(Keyed("CRM", "E1", contents[static_cast<std::size_t>(c % 3)]));
        }
        const std::string named = known_case > 0 ? "k" : batch.front().digest;
        const auto verdicts = CheckKeys(batch, known, decided);
        int leading = 0;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          const bool refused = verdicts[i].kind == Kind::kReused;
          EXPECT_EQ(refused, batch[i].digest != named) << known_case << " " << code << " " << i;
          if (refused) {
            EXPECT_EQ(verdicts[i].kept_digest, named);
          }
          if (verdicts[i].kind == Kind::kRepeat) {
            EXPECT_LT(verdicts[i].first, i);
            EXPECT_EQ(batch[verdicts[i].first].digest, named);
          }
          leading += verdicts[i].kind == Kind::kFresh || verdicts[i].kind == Kind::kDuplicate;
        }
        EXPECT_LE(leading, 1) << known_case << " " << code;
      }
    }
  }
}

TEST(CheckKeysTest, RerunsOfDeferredEventsAreFresh) {
  const std::map<EventKey, std::string> known = {{{"CRM", "E1"}, "a"}};
  const std::map<EventKey, EventResult> decided = {{{"CRM", "E1"}, EventResult{}}};
  EXPECT_EQ(CheckKeys({Keyed("CRM", "E1", "a", true)}, known, decided)[0].kind, Kind::kFresh);
}

}  // namespace
}  // namespace synchub
