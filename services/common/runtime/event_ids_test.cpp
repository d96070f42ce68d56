#include "common/runtime/event_ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace synchub {
namespace {

TEST(NewEventId, IsUniqueAndOrderedByTime) {
  std::set<std::string> ids;
  std::string previous = NewEventId("cli");
  EXPECT_EQ(previous.rfind("cli-", 0), 0u);
  EXPECT_EQ(previous.size(), 4u + 32u);
  for (int i = 0; i < 10000; ++i) ids.insert(NewEventId("cli"));
  EXPECT_EQ(ids.size(), 10000u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  // Ids made a millisecond or more later sort after (the time prefix leads).
  EXPECT_LT(previous.substr(0, 16), NewEventId("cli").substr(0, 16));
}

}  // namespace
}  // namespace synchub
