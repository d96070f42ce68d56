#include "resolver/core/memory_hub.hpp"

#include <gtest/gtest.h>

#include "resolver/core/ladder_test_util.hpp"

namespace synchub {
namespace {

using testing_util::MakeEvent;

Event Order(std::string id, Json client_id, std::int64_t version = 1) {
  Event event = MakeEvent("CRM", version, {{"clientId", std::move(client_id)}}, std::move(id));
  event.entity = "order";
  return event;
}

TEST(InMemoryHub, OrderBeforeItsClientWaitsAndLandsWhenTheClientArrives) {
  InMemoryHub hub(Catalog::Demo());
  auto first = hub.Submit(Order("ORD-1", "CUST-1"));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].decision.outcome, Outcome::kDeferred);
  EXPECT_EQ(hub.deferred_count(), 1u);
  EXPECT_EQ(hub.Find("order", "ORD-1"), nullptr);

  auto second = hub.Submit(MakeEvent("ERP", 1, {{"fullName", "C"}}, "CUST-1"));
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].decision.outcome, Outcome::kNewRecord);
  EXPECT_EQ(second[1].event.external_id, "ORD-1");
  EXPECT_EQ(second[1].decision.outcome, Outcome::kNewRecord);
  EXPECT_EQ(hub.deferred_count(), 0u);
  ASSERT_NE(hub.Find("order", "ORD-1"), nullptr);
}

TEST(InMemoryHub, UnrelatedWritesKeepTheOrderWaiting) {
  InMemoryHub hub(Catalog::Demo());
  (void)hub.Submit(Order("ORD-1", "CUST-1"));
  auto other = hub.Submit(MakeEvent("ERP", 1, {}, "CUST-2"));
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[1].decision.outcome, Outcome::kDeferred);
  EXPECT_EQ(hub.deferred_count(), 1u);
}

TEST(InMemoryHub, DeletedClientIsNotLive) {
  InMemoryHub hub(Catalog::Demo());
  (void)hub.Submit(MakeEvent("CRM", 1, {}, "CUST-1"));
  EXPECT_TRUE(hub.IsLive("client", "CUST-1"));
  (void)hub.Submit(MakeEvent("CRM", 2, {}, "CUST-1", Op::kDelete));
  EXPECT_FALSE(hub.IsLive("client", "CUST-1"));
  EXPECT_EQ(hub.Submit(Order("ORD-1", "CUST-1"))[0].decision.outcome, Outcome::kDeferred);
}

TEST(InMemoryHub, ApplyStoresOnlyChanges) {
  InMemoryHub hub(Catalog::Demo());
  (void)hub.Apply(MakeEvent("CRM", 2, {{"a", 1}}));
  CanonicalRecord before = *hub.Find("client", "K");
  Decision stale = hub.Apply(MakeEvent("CRM", 1, {{"a", 5}}));
  EXPECT_EQ(stale.outcome, Outcome::kStaleSkip);
  EXPECT_EQ(*hub.Find("client", "K"), before);
}

}  // namespace
}  // namespace synchub
