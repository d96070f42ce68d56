#include "resolver/core/batch_plan.hpp"

#include <gtest/gtest.h>

#include "resolver/core/deferral.hpp"
#include "resolver/core/ladder_test_util.hpp"

namespace synchub {
namespace {

using testing_util::MakeEvent;
using testing_util::MakeRecord;

Event OrderEvent(std::string id, std::string client_id) {
  Event event = MakeEvent("CRM", 1, {{"clientId", std::move(client_id)}}, std::move(id));
  event.entity = "order";
  return event;
}

TEST(KeysToRead, NamesEachEventsRecordAndEveryReferencedRecordOnce) {
  std::vector<Event> events = {MakeEvent("CRM", 1, {{"a", 1}}, "C1"), OrderEvent("O1", "C1"),
                               OrderEvent("O2", "C2")};
  auto keys = KeysToRead(events, Catalog::Demo());
  std::vector<RecordKey> expected = {
      {"client", "C1"}, {"client", "C2"}, {"order", "O1"}, {"order", "O2"}};
  EXPECT_EQ(keys, expected);
}

TEST(PlanBatch, ANewRecordIsAnInsertWithEtagOne) {
  auto plan = PlanBatch({MakeEvent("CRM", 1, {{"a", 1}})}, {}, Catalog::Demo());
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_EQ(plan.events[0].decision.outcome, Outcome::kNewRecord);
  EXPECT_FALSE(plan.events[0].etag_before.has_value());
  EXPECT_EQ(plan.events[0].etag_after, 1);
  ASSERT_EQ(plan.writes.size(), 1u);
  EXPECT_FALSE(plan.writes[0].expected_etag.has_value());
  EXPECT_EQ(plan.writes[0].new_etag, 1);
  EXPECT_TRUE(plan.unchanged_reads.empty());
}

TEST(PlanBatch, EventsOfOneRecordSeeEachOtherInOrder) {
  StoredRecords stored;
  stored[{"client", "K"}] = {MakeRecord("ERP", 1, {{"name", "A"}}), 7};
  std::vector<Event> events = {MakeEvent("CRM", 1, {{"name", "B"}}),   // PRIORITY_WIN
                               MakeEvent("CRM", 2, {{"mail", "m"}}),   // VERSION_WIN
                               MakeEvent("ERP", 1, {{"name", "C"}})};  // STALE_SKIP
  auto plan = PlanBatch(events, stored, Catalog::Demo());
  ASSERT_EQ(plan.events.size(), 3u);
  EXPECT_EQ(plan.events[0].decision.outcome, Outcome::kPriorityWin);
  EXPECT_EQ(plan.events[0].etag_before, 7);
  EXPECT_EQ(plan.events[0].etag_after, 8);
  EXPECT_EQ(plan.events[1].decision.outcome, Outcome::kVersionWin);
  EXPECT_EQ(plan.events[1].etag_before, 8);
  EXPECT_EQ(plan.events[1].etag_after, 9);
  EXPECT_EQ(plan.events[2].decision.outcome, Outcome::kStaleSkip);
  EXPECT_EQ(plan.events[2].etag_before, 9);
  EXPECT_EQ(plan.events[2].etag_after, 9);
  ASSERT_TRUE(plan.events[2].record_after.has_value());
  EXPECT_EQ(plan.events[2].record_after->fields.at("name"), "B");
  ASSERT_EQ(plan.writes.size(), 1u);
  EXPECT_EQ(plan.writes[0].expected_etag, 7);
  EXPECT_EQ(plan.writes[0].new_etag, 9);
  EXPECT_EQ(plan.writes[0].record.version, 2);
  EXPECT_EQ(plan.writes[0].record.fields.at("mail"), "m");
}

TEST(PlanBatch, MatchesResolvingTheEventsOneByOne) {
  std::vector<Event> events = {
      MakeEvent("ERP", 1, {{"fullName", "A"}}, "CUST-001"),
      MakeEvent("CRM", 1, {{"fullName", "B"}}, "CUST-001"),
      MakeEvent("CRM", 5, {{"email", "a"}}, "CUST-004"),
      MakeEvent("CRM", 5, {{"email", "b"}}, "CUST-004"),
      MakeEvent("Portal", 9, {{"x", 1}}, "CUST-001", Op::kDelete),
  };
  auto plan = PlanBatch(events, {}, Catalog::Demo());
  InMemoryHub hub(Catalog::Demo());
  for (std::size_t i = 0; i < events.size(); ++i) {
    Decision one_by_one = hub.Apply(events[i]);
    EXPECT_EQ(plan.events[i].decision.outcome, one_by_one.outcome) << i;
    EXPECT_EQ(plan.events[i].decision.record, one_by_one.record) << i;
  }
  ASSERT_EQ(plan.writes.size(), 2u);
  for (const auto& write : plan.writes) {
    EXPECT_EQ(write.record, *hub.Find(write.key.first, write.key.second));
  }
}

TEST(PlanBatch, UnchangedReadsKeepTheirEtagForTheCommitCheck) {
  StoredRecords stored;
  stored[{"client", "K"}] = {MakeRecord("CRM", 3, {{"name", "A"}}), 4};
  auto plan = PlanBatch({MakeEvent("ERP", 2, {{"name", "Z"}})}, stored, Catalog::Demo());
  EXPECT_EQ(plan.events[0].decision.outcome, Outcome::kStaleSkip);
  EXPECT_TRUE(plan.writes.empty());
  ASSERT_EQ(plan.unchanged_reads.size(), 1u);
  EXPECT_EQ(plan.unchanged_reads.at({"client", "K"}), 4);
}

TEST(PlanBatch, AnOrderAfterItsClientInTheSameBatchIsNotDeferred) {
  auto plan = PlanBatch({MakeEvent("CRM", 1, {{"n", 1}}, "C1"), OrderEvent("O1", "C1")}, {},
                        Catalog::Demo());
  EXPECT_EQ(plan.events[1].decision.outcome, Outcome::kNewRecord);
}

TEST(PlanBatch, AnOrderBeforeItsClientIsDeferredAndWritesNothing) {
  auto plan = PlanBatch({OrderEvent("O1", "C1"), MakeEvent("CRM", 1, {{"n", 1}}, "C1")}, {},
                        Catalog::Demo());
  EXPECT_EQ(plan.events[0].decision.outcome, Outcome::kDeferred);
  ASSERT_EQ(plan.events[0].decision.unmet_dependencies.size(), 1u);
  EXPECT_EQ(plan.events[0].decision.unmet_dependencies[0].target_external_id, "C1");
  EXPECT_FALSE(plan.events[0].etag_after.has_value());
  ASSERT_EQ(plan.writes.size(), 1u);
  EXPECT_EQ(plan.writes[0].key, RecordKey("client", "C1"));
}

TEST(PlanBatch, ADeletedClientDefersItsOrders) {
  StoredRecords stored;
  CanonicalRecord client = MakeRecord("CRM", 1, {{"n", 1}}, "C1");
  client.fields["_deleted"] = true;
  stored[{"client", "C1"}] = {client, 2};
  auto plan = PlanBatch({OrderEvent("O1", "C1")}, stored, Catalog::Demo());
  EXPECT_EQ(plan.events[0].decision.outcome, Outcome::kDeferred);
  // The client was read for rung 0: its etag must hold at commit.
  ASSERT_EQ(plan.unchanged_reads.size(), 1u);
  EXPECT_EQ(plan.unchanged_reads.at({"client", "C1"}), 2);
}

TEST(DeferralPolicy, DoublesFromOneSecondToSixtyThenGivesUpAfterTenAttempts) {
  const RetryPolicy policy = DefaultDeferralPolicy();
  using std::chrono::milliseconds;
  EXPECT_EQ(RetryDelay(policy, 1, 0.9), milliseconds(1000));
  EXPECT_EQ(RetryDelay(policy, 2, 0.9), milliseconds(2000));
  EXPECT_EQ(RetryDelay(policy, 6, 0.9), milliseconds(32000));
  EXPECT_EQ(RetryDelay(policy, 7, 0.9), milliseconds(60000));
  EXPECT_EQ(RetryDelay(policy, 9, 0.9), milliseconds(60000));
  EXPECT_EQ(RetryDelay(policy, 10, 0.9), std::nullopt);
  EXPECT_EQ(RetryDelay(policy, 11, 0.9), std::nullopt);
}

TEST(DecideDeferrals, RequeuesDeferredEventsAndDeadLettersThoseOutOfAttempts) {
  StoredRecords stored;  // no client: every order is deferred
  auto plan = PlanBatch({OrderEvent("O1", "C1"), OrderEvent("O2", "C2")}, stored, Catalog::Demo());
  RetryPolicy policy{std::chrono::milliseconds(50), std::chrono::milliseconds(120), 2.0, 0.0, 3};
  auto steps = DecideDeferrals(plan, {0, 2}, policy, [] { return 0.0; });
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].kind, DeferralStep::Kind::kRequeue);
  EXPECT_EQ(steps[0].attempts, 1);
  EXPECT_EQ(steps[0].delay, std::chrono::milliseconds(50));
  EXPECT_EQ(steps[1].kind, DeferralStep::Kind::kDeadLetter);
  EXPECT_EQ(steps[1].attempts, 3);
  auto first = DecideDeferrals(plan, {}, policy, [] { return 0.0; });
  EXPECT_EQ(first[1].kind, DeferralStep::Kind::kRequeue);
}

}  // namespace
}  // namespace synchub
