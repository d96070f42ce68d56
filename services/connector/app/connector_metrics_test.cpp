#include "connector/app/connector_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace synchub {
namespace {

// The value of the sample whose line starts with `series` (name and labels as exposed).
double Sample(prometheus::Registry& registry, const std::string& series) {
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, registry.Collect());
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  ADD_FAILURE() << "no sample " << series << " in\n" << text.str();
  return -1;
}

class ConnectorMetricsTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  ManualClock clock_;
  ConnectorMetrics metrics_{registry_, "CRM", clock_};
};

TEST_F(ConnectorMetricsTest, CountsPushedRowsByOutcomeAndAppliedChanges) {
  metrics_.Pushed("NEW_RECORD");
  metrics_.Pushed("NEW_RECORD");
  metrics_.Pushed("REJECTED");
  metrics_.Applied(3);
  metrics_.Applied(0);
  metrics_.Applied(-1);
  EXPECT_EQ(
      Sample(registry_, R"(synchub_connector_pushed_total{outcome="NEW_RECORD",source="CRM"})"), 2);
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_pushed_total{outcome="REJECTED",source="CRM"})"),
            1);
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_applied_total{source="CRM"})"), 3);
}

TEST_F(ConnectorMetricsTest, SetsTheOutboxGaugesFromARead) {
  metrics_.SetOutboxStats({7, 2, 1, 42.5});
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_outbox_pending_rows{source="CRM"})"), 7);
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_outbox_oldest_pending_seconds{source="CRM"})"),
            42.5);
  EXPECT_EQ(
      Sample(registry_, R"(synchub_connector_parked_rows{direction="outbound",source="CRM"})"), 2);
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_parked_rows{direction="inbound",source="CRM"})"),
            1);
}

TEST_F(ConnectorMetricsTest, HubSilenceCountsFromTheLastAnswer) {
  clock_.Advance(std::chrono::seconds(4));
  metrics_.UpdateHubSilence();  // never answered: since the start
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_hub_silence_seconds{source="CRM"})"), 4);
  metrics_.HubAnswered();
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_hub_silence_seconds{source="CRM"})"), 0);
  clock_.Advance(std::chrono::milliseconds(1500));
  metrics_.UpdateHubSilence();
  EXPECT_EQ(Sample(registry_, R"(synchub_connector_hub_silence_seconds{source="CRM"})"), 1.5);
}

}  // namespace
}  // namespace synchub
