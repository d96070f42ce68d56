#include "common/core/duration.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

TEST(ParseDuration, SecondsMinutesHoursDays) {
  EXPECT_EQ(ParseDuration("90"), std::chrono::seconds(90));
  EXPECT_EQ(ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(ParseDuration("10m"), std::chrono::seconds(600));
  EXPECT_EQ(ParseDuration("2h"), std::chrono::seconds(7200));
  EXPECT_EQ(ParseDuration("7d"), std::chrono::seconds(604800));
}

TEST(ParseDuration, RefusesAnythingElse) {
  for (const char* text : {"", "0", "0s", "s", "-5", "5 m", "5w", "1.5h", "m5", "9999999999999"}) {
    EXPECT_EQ(ParseDuration(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace synchub
