#include "syncload/load_profile.hpp"

#include <gtest/gtest.h>

#include <map>

namespace synchub {
namespace {

TEST(NextLoadEvent, ConflictShareReusesCurrentVersionsAtAboutThatRate) {
  LoadProfile profile;
  profile.records = 50;
  profile.conflict_share = 0.1;
  VersionBoard board(profile.records);
  std::mt19937_64 random(7);
  int reused = 0;
  std::map<std::string, std::int64_t> highest;
  constexpr int kEvents = 20000;
  for (int i = 0; i < kEvents; ++i) {
    Event event = NextLoadEvent(profile, profile.sources[i % 4], board, random);
    auto& seen = highest[event.external_id];
    if (event.version <= seen) ++reused;
    EXPECT_GE(event.version, seen);  // never older than what was handed out
    seen = std::max(seen, event.version);
    EXPECT_FALSE(event.fields.empty());
    EXPECT_LE(event.fields.size(), 3u);
  }
  EXPECT_NEAR(static_cast<double>(reused) / kEvents, 0.1, 0.02);
}

TEST(NextLoadEvent, HotShareSendsEventsToTheHotKeys) {
  LoadProfile profile;
  profile.records = 10000;
  profile.hot_records = 20;
  profile.hot_share = 0.5;
  VersionBoard board(profile.records);
  std::mt19937_64 random(3);
  int hot = 0;
  for (int i = 0; i < 10000; ++i) {
    Event event = NextLoadEvent(profile, "CRM", board, random);
    const int record = std::stoi(event.external_id.substr(5));
    if (record < 20) ++hot;
  }
  EXPECT_NEAR(hot / 10000.0, 0.5, 0.03);
}

TEST(NextLoadEvent, DeleteShareGivesDeletes) {
  LoadProfile profile;
  profile.delete_share = 1.0;
  VersionBoard board(profile.records);
  std::mt19937_64 random(1);
  EXPECT_EQ(NextLoadEvent(profile, "ERP", board, random).op, Op::kDelete);
}

TEST(Percentile, NearestRank) {
  std::vector<double> sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(Percentile(sorted, 50), 5);
  EXPECT_EQ(Percentile(sorted, 90), 9);
  EXPECT_EQ(Percentile(sorted, 99), 10);
  EXPECT_EQ(Percentile(sorted, 0), 1);
  EXPECT_EQ(Percentile({42}, 99), 42);
}

}  // namespace
}  // namespace synchub
