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

Json Stored(const char* text) { return ParseStoredJson(text); }

TEST(AnswerEqualsSent, TheSameStateOnEveryMappedFieldAndTheVersion) {
  const std::vector<std::string> mapped = {"email", "fullName"};
  const Json sent = Stored(R"({"email":"a@x","fullName":"A"})");
  EXPECT_TRUE(AnswerEqualsSent(
      sent, 3, true, mapped,
      Stored(R"({"version":3,"deleted":false,"fields":{"email":"a@x","fullName":"A","x":1}})")));
  // Numbers by value; a missing field equals null.
  EXPECT_TRUE(AnswerEqualsSent(Stored(R"({"amount":1.50,"note":null})"), 2, true,
                               {"amount", "note"},
                               Stored(R"({"version":2,"fields":{"amount":1.5}})")));
}

TEST(AnswerEqualsSent, AnythingElseIsHeldAndApplied) {
  const std::vector<std::string> mapped = {"email", "fullName"};
  const Json sent = Stored(R"({"email":"a@x","fullName":"A"})");
  const Json record = Stored(R"({"version":3,"fields":{"email":"a@x","fullName":"A"}})");
  EXPECT_FALSE(AnswerEqualsSent(sent, 2, true, mapped, record));   // another version
  EXPECT_FALSE(AnswerEqualsSent(sent, 3, false, mapped, record));  // a delete
  EXPECT_FALSE(AnswerEqualsSent(Stored(R"({"email":"a@x"})"), 3, true, mapped,
                                record));  // a partial update: the row holds more
  EXPECT_FALSE(AnswerEqualsSent(
      sent, 3, true, mapped, Stored(R"({"version":3,"fields":{"email":"b@x","fullName":"A"}})")));
  EXPECT_FALSE(AnswerEqualsSent(
      sent, 3, true, mapped,
      Stored(R"({"version":3,"deleted":true,"fields":{"email":"a@x","fullName":"A"}})")));
  EXPECT_FALSE(AnswerEqualsSent(sent, 3, true, mapped, Json()));  // no record
  EXPECT_FALSE(AnswerEqualsSent(Stored(R"({"email":"1"})"), 3, true, {"email"},
                                Stored(R"({"version":3,"fields":{"email":1}})")));
}

}  // namespace
}  // namespace synchub::connector
