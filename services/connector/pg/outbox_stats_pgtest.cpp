// ReadOutboxStats against a real PostgreSQL database set up with SetupSql (no hub).
#include <gtest/gtest.h>

#include "common/pg/testing/test_database.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/pg/connector_sync.hpp"
#include "connector/pg/outbox_stats.hpp"

namespace synchub {
namespace {

class OutboxStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.source = "LocalDB";
    config_.entities = {EntityMapping{
        "client", "local_records", "external_id", "version", {{"full_name", "fullName"}}}};
    Exec(
        "CREATE TABLE local_records (external_id text PRIMARY KEY, full_name text, "
        "version bigint NOT NULL DEFAULT 1)");
    Exec(SetupSql(config_));
  }

  void Exec(const std::string& sql) { db_.Exec(sql); }

  connector::OutboxStats Read() {
    auto connection = db_.Connect();
    auto stats = ReadOutboxStats(*connection);
    EXPECT_TRUE(stats.ok()) << stats.status().message();
    return stats.ok() ? *stats : connector::OutboxStats{};
  }

  testing::TestDatabase db_{false};
  ConnectorConfig config_;
};

TEST_F(OutboxStatsTest, AnEmptyOutboxReadsZero) {
  const auto stats = Read();
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.parked_outbound, 0);
  EXPECT_EQ(stats.parked_inbound, 0);
  EXPECT_EQ(stats.oldest_pending_seconds, 0);
}

TEST_F(OutboxStatsTest, CountsPendingParkedAndTheOldestPendingAge) {
  Exec(
      "INSERT INTO local_records (external_id, full_name) VALUES ('A', 'a'), ('B', 'b'), "
      "('C', 'c'), ('D', 'd')");
  // A sent, B parked, C and D pending; C captured a minute ago.
  Exec("UPDATE synchub_outbox SET sent_at = now() WHERE external_id = 'A'");
  Exec("UPDATE synchub_outbox SET parked = true WHERE external_id = 'B'");
  Exec(
      "UPDATE synchub_outbox SET created_at = now() - interval '60 seconds' "
      "WHERE external_id = 'C'");
  Exec(
      "INSERT INTO synchub_inbound_parked (entity, external_id, etag, record, error) "
      "VALUES ('client', 'E', 3, '{}', 'too long')");
  const auto stats = Read();
  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(stats.parked_outbound, 1);
  EXPECT_EQ(stats.parked_inbound, 1);
  EXPECT_GE(stats.oldest_pending_seconds, 60);
  EXPECT_LT(stats.oldest_pending_seconds, 120);
}

TEST_F(OutboxStatsTest, AMissingOutboxIsAnErrorNotZero) {
  Exec("DROP TABLE synchub_outbox CASCADE");
  auto connection = db_.Connect();
  EXPECT_FALSE(ReadOutboxStats(*connection).ok());
}

}  // namespace
}  // namespace synchub
