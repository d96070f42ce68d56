#include "resolver/core/log_retention.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace synchub {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

LogPartition Partition(std::int64_t from, std::int64_t to, seconds newest_age,
                       std::vector<std::string> unacknowledged = {}, std::int64_t bytes = 100) {
  LogPartition p;
  p.name = "resolution_log_" + std::to_string(from);
  p.seq_from = from;
  p.seq_to = to;
  p.bytes = bytes;
  p.empty = false;
  p.newest_age = newest_age;
  p.unacknowledged_by = std::move(unacknowledged);
  return p;
}

RetentionPolicy Policy(seconds max_age, seconds lag_cap, std::int64_t max_bytes = 0) {
  RetentionPolicy policy;
  policy.max_age = max_age;
  policy.lag_cap = lag_cap;
  policy.max_bytes = max_bytes;
  return policy;
}

std::vector<std::string> Names(const RetentionPlan& plan) {
  std::vector<std::string> names;
  for (const auto& drop : plan.drops) names.push_back(drop.name);
  return names;
}

TEST(LogRetention, DropsAcknowledgedPartitionsOlderThanTheAgeOldestFirst) {
  const auto plan = PlanRetention(
      {Partition(0, 10, hours(30)), Partition(10, 20, hours(25)), Partition(20, 30, hours(1))}, 35,
      Policy(hours(24), hours(48)));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0", "resolution_log_10"}));
  EXPECT_EQ(plan.drops[0].reason, "age");
  EXPECT_TRUE(plan.drops[0].reload.empty());
  EXPECT_EQ(plan.kept_because, "resolution_log_20: within the retention age");
}

TEST(LogRetention, KeepsWhatASourceWithinTheLagCapHasNotAcknowledgedAndEverythingNewer) {
  const auto plan =
      PlanRetention({Partition(0, 10, hours(30)), Partition(10, 20, hours(30), {"ERP"}),
                     Partition(20, 30, hours(30))},
                    35, Policy(hours(24), hours(48)));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0"}));
  EXPECT_EQ(plan.kept_because, "resolution_log_10: not acknowledged by ERP (within the lag cap)");
}

TEST(LogRetention, ASourcePastTheLagCapLosesTheChangesAndIsReloaded) {
  const auto plan = PlanRetention({Partition(0, 10, hours(50), {"ERP", "Portal"})}, 35,
                                  Policy(hours(24), hours(48)));
  ASSERT_EQ(plan.drops.size(), 1u);
  EXPECT_EQ(plan.drops[0].reload, (std::vector<std::string>{"ERP", "Portal"}));
}

TEST(LogRetention, NeverDropsThePartitionBeingWrittenOrAnUnsettledOne) {
  auto plan = PlanRetention({Partition(0, 10, hours(50)), Partition(10, 20, hours(50))}, 15,
                            Policy(seconds(0), seconds(0)));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0"}));
  EXPECT_EQ(plan.kept_because, "resolution_log_10: still being written");
  plan = PlanRetention({Partition(0, 10, seconds(59))}, 15, Policy(seconds(0), seconds(0)));
  EXPECT_TRUE(plan.drops.empty());
  EXPECT_EQ(plan.kept_because, "resolution_log_0: its newest event is younger than 60 s");
}

TEST(LogRetention, TheSizeCapDropsOldestFirstUntilTheLogFitsStillHonouringTheLagCap) {
  std::vector<LogPartition> parts = {Partition(0, 10, hours(2), {}, 400),
                                     Partition(10, 20, hours(2), {}, 400),
                                     Partition(20, 30, hours(2), {}, 400)};
  auto plan = PlanRetention(parts, 35, Policy(hours(24), hours(48), 500));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0", "resolution_log_10"}));
  EXPECT_EQ(plan.drops[0].reason, "size");
  parts[1].unacknowledged_by = {"CRM"};
  plan = PlanRetention(parts, 35, Policy(hours(24), hours(48), 500));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0"}));
  plan = PlanRetention(parts, 35, Policy(hours(24), hours(1), 500));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0", "resolution_log_10"}));
  EXPECT_EQ(plan.drops[1].reload, (std::vector<std::string>{"CRM"}));
}

TEST(LogRetention, EmptyPartitionsBelowTheNextSeqGoAtOnce) {
  LogPartition empty = Partition(0, 10, seconds(0));
  empty.empty = true;
  const auto plan = PlanRetention({empty}, 35, Policy(hours(24), hours(48)));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"resolution_log_0"}));
}

// Properties over random logs: the drops are a prefix of the partitions, never reach the next
// seq, never include an unsettled partition, and a change a source has not acknowledged is
// dropped only past the lag cap, with the source in the drop's reload list.
RC_GTEST_PROP(LogRetentionProperty, NeverDropsAnUnacknowledgedChangeWithinTheLagCap, ()) {
  const int count = *rc::gen::inRange(0, 8);
  std::vector<LogPartition> parts;
  std::int64_t from = 0;
  for (int i = 0; i < count; ++i) {
    const std::int64_t to = from + *rc::gen::inRange<std::int64_t>(1, 100);
    std::vector<std::string> unacked;
    for (const char* source : {"CRM", "ERP"}) {
      if (*rc::gen::inRange(0, 4) == 0) unacked.emplace_back(source);
    }
    parts.push_back(Partition(from, to, seconds(*rc::gen::inRange(0, 1000)), unacked,
                              *rc::gen::inRange<std::int64_t>(0, 1000)));
    from = to;
  }
  const std::int64_t next_seq = *rc::gen::inRange<std::int64_t>(0, from + 50);
  const RetentionPolicy policy =
      Policy(seconds(*rc::gen::inRange(0, 1000)), seconds(*rc::gen::inRange(0, 1000)),
             *rc::gen::inRange<std::int64_t>(0, 3000));
  const RetentionPlan plan = PlanRetention(parts, next_seq, policy);
  RC_ASSERT(plan.drops.size() <= parts.size());
  for (std::size_t i = 0; i < plan.drops.size(); ++i) {
    const LogPartition& part = parts[i];
    RC_ASSERT(plan.drops[i].name == part.name);
    RC_ASSERT(part.seq_to <= next_seq);
    RC_ASSERT(part.empty || part.newest_age >= kSettleTime);
    RC_ASSERT(part.empty || part.newest_age > policy.max_age || policy.max_bytes > 0);
    if (!part.unacknowledged_by.empty()) {
      RC_ASSERT(part.newest_age > policy.lag_cap);
      RC_ASSERT(plan.drops[i].reload == part.unacknowledged_by);
    } else {
      RC_ASSERT(plan.drops[i].reload.empty());
    }
  }
}

}  // namespace
}  // namespace synchub
