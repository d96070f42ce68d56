#include "resolver/core/log_replay.hpp"

#include <gtest/gtest.h>

#include "resolver/core/ladder_test_util.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub {
namespace {

using testing_util::MakeEvent;

// The log the hub would write for `events`, resolved one by one.
std::vector<LoggedResolution> LogOf(const std::vector<Event>& events) {
  InMemoryHub hub(Catalog::Demo());
  std::vector<LoggedResolution> log;
  std::int64_t seq = 0;
  for (const auto& event : events) {
    Decision decision = hub.Apply(event);
    const CanonicalRecord* now = hub.Find(event.entity, event.external_id);
    log.push_back({++seq, event, std::string(OutcomeName(decision.outcome)),
                   now ? RecordToJson(*now) : Json()});
  }
  return log;
}

const std::vector<Event> kEvents = {
    MakeEvent("ERP", 1, {{"a", 1}}), MakeEvent("CRM", 1, {{"a", 2}}),
    MakeEvent("Portal", 1, {{"a", 3}, {"b", 1}}), MakeEvent("CRM", 1, {{"a", 9}}),
    MakeEvent("ERP", 2, {{"c", 1}})};

TEST(ReplayRecordLog, ATrueLogReplaysWithoutMismatch) {
  auto replay = ReplayRecordLog(LogOf(kEvents), Catalog::Demo());
  EXPECT_TRUE(replay.mismatches.empty());
  ASSERT_TRUE(replay.final_record.has_value());
  EXPECT_EQ(replay.final_record->version, 2);
  EXPECT_EQ(replay.final_record->fields.at("a"), 2);
  EXPECT_EQ(replay.final_record->fields.at("b"), 1);
}

// Retention cut the log after the first three events: the replay of the rest starts from the
// record after the third (its checkpoint) and reproduces the rest.
TEST(ReplayRecordLog, ATruncatedLogReplaysFromItsCheckpoint) {
  const auto log = LogOf(kEvents);
  const std::vector<LoggedResolution> tail(log.begin() + 3, log.end());
  auto checkpoint = RecordFromJson(log[2].record_after);
  ASSERT_TRUE(checkpoint.ok());
  auto replay = ReplayRecordLog(tail, Catalog::Demo(), *checkpoint);
  EXPECT_TRUE(replay.mismatches.empty());
  ASSERT_TRUE(replay.final_record.has_value());
  EXPECT_EQ(replay.final_record->fields.at("a"), 2);
  EXPECT_EQ(replay.final_record->version, 2);
  // Without the checkpoint the tail does not replay: the first kept event meets no record.
  EXPECT_FALSE(ReplayRecordLog(tail, Catalog::Demo()).mismatches.empty());
}

TEST(ReplayRecordLog, ReportsAWrongOutcome) {
  auto log = LogOf(kEvents);
  log[1].outcome = "STALE_SKIP";
  auto replay = ReplayRecordLog(log, Catalog::Demo());
  ASSERT_EQ(replay.mismatches.size(), 1u);
  EXPECT_NE(replay.mismatches[0].find("seq 2"), std::string::npos);
}

TEST(ReplayRecordLog, ReportsARecordThatDiffers) {
  auto log = LogOf(kEvents);
  log[2].record_after["fields"]["a"] = 42;
  auto replay = ReplayRecordLog(log, Catalog::Demo());
  ASSERT_EQ(replay.mismatches.size(), 1u);
}

TEST(ReplayRecordLog, AnOutOfOrderLogDoesNotReplay) {
  auto log = LogOf(kEvents);
  std::swap(log[0].event, log[1].event);
  EXPECT_FALSE(ReplayRecordLog(log, Catalog::Demo()).mismatches.empty());
}

}  // namespace
}  // namespace synchub
